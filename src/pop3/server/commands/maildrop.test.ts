import test from 'node:test';
import assert from 'node:assert/strict';
import { Pop3Error, temporaryFailure } from '../../reply.js';
import { sampleMessages, startPop3, until } from '../../../testing/pop3-fakes.js';

test('STAT, LIST [n] and UIDL [n] describe the snapshot (RFC 1939 §5, §7)', async (t) => {
  const { client } = await startPop3(t);
  await client.login('alice', 's3cret').send('STAT').expect('+OK 3 107');
  await client.send('LIST').expectMulti('+OK 3 messages (107 octets)', ['1 39', '2 47', '3 21']).send('LIST 2').expect('+OK 2 47');
  await client.send('UIDL').expectMulti('+OK Unique-ID listing follows', ['1 uid-1', '2 uid-2', '3 uid-3']).send('UIDL 3').expect('+OK 3 uid-3');
});

test('DELE hides a message from STAT, LIST and UIDL; it keeps its number, and RETR/TOP/DELE/LIST/UIDL of it say already deleted', async (t) => {
  const { client } = await startPop3(t);
  await client.login('alice', 's3cret').send('DELE 2').expect('+OK Message 2 deleted').send('STAT').expect('+OK 2 60');
  await client.send('LIST').expectMulti('+OK 2 messages (60 octets)', ['1 39', '3 21']).send('UIDL').expectMulti(/^\+OK/, ['1 uid-1', '3 uid-3']);
  for (const cmd of ['RETR 2', 'TOP 2 0', 'DELE 2', 'LIST 2', 'UIDL 2']) await client.send(cmd).expect('-ERR Message 2 already deleted');
  await client.send('LIST 3').expect('+OK 3 21');
});

test('A message number out of range or not a number gets -ERR No such message', async (t) => {
  const { client } = await startPop3(t);
  await client.login('alice', 's3cret');
  for (const arg of ['0', '4', '-1', 'x', '1x', '99999999999', '', ' 1']) {
    await client.send(`RETR ${arg}`.trimEnd()).expect('-ERR No such message');
  }
  await client.send('DELE 4').expect('-ERR No such message').send('LIST 9').expect('-ERR No such message').send('UIDL abc').expect('-ERR No such message');
  await client.send('LIST 1 2').expect('-ERR Syntax error: expected LIST [message]').send('STAT 1').expect('-ERR Syntax error: STAT takes no arguments');
});

test('RSET unmarks every deleted message; NOOP says +OK', async (t) => {
  const { client, backend } = await startPop3(t);
  await client.login('alice', 's3cret').send('DELE 1').expect(/^\+OK/).send('DELE 3').expect(/^\+OK/).send('STAT').expect('+OK 1 47');
  await client.send('RSET').expect('+OK Maildrop has 3 messages (107 octets)').send('NOOP').expect('+OK').send('QUIT').expect(/^\+OK /);
  assert.deepEqual(backend.events, ['login alice', 'commit alice ', 'release alice']);
  assert.deepEqual(backend.uids('alice'), ['uid-1', 'uid-2', 'uid-3']);
});

test('QUIT in TRANSACTION commits the deleted UIDs, releases, and only then says +OK; the maildrop is free at once', async (t) => {
  const { client, connect, backend } = await startPop3(t, { backendOpts: { commitDelayMs: 100 } });
  await client.login('alice', 's3cret').send('DELE 1').expect(/^\+OK/).send('DELE 3').expect(/^\+OK/);
  const started = performance.now();
  await client.send('QUIT').expect('+OK pop.test POP3 server signing off (2 messages deleted)').expectClosed();
  assert.ok(performance.now() - started >= 90, 'the reply waited for the commit');
  assert.deepEqual(backend.events, ['login alice', 'commit alice uid-1,uid-3', 'release alice']);
  await connect().login('alice', 's3cret').send('UIDL').expectMulti(/^\+OK/, ['1 uid-2']);
});

test('QUIT in AUTHORIZATION says +OK and commits nothing', async (t) => {
  const { client, backend } = await startPop3(t);
  await client.expect(/^\+OK /).send('USER alice').expect(/^\+OK/).send('QUIT').expect('+OK pop.test POP3 server signing off').expectClosed();
  assert.deepEqual(backend.events, []);
});

test('QUIT whose commit fails says -ERR [SYS/TEMP] (or the backend Pop3Error), deletes nothing, releases once', async (t) => {
  for (const [err, want] of [
    [new Error('fsync: EIO on /data'), '-ERR [SYS/TEMP] Deleting messages failed, none were deleted'],
    [temporaryFailure('Store busy, try again later'), '-ERR [SYS/TEMP] Store busy, try again later'],
  ] as const) {
    const { client, backend } = await startPop3(t, { backendOpts: { commitError: () => err } });
    await client.login('alice', 's3cret').send('DELE 1').expect(/^\+OK/).send('QUIT').expect(want).expectClosed();
    await until(() => backend.open === 0);
    assert.deepEqual(backend.events, ['login alice', 'commit alice uid-1', 'release alice']);
    assert.deepEqual(backend.uids('alice'), ['uid-1', 'uid-2', 'uid-3']);
    assert.ok(!(err instanceof Pop3Error) || !client.replies.some((r) => r.includes('EIO')));
  }
});

test('DELE then disconnect commits nothing and releases the maildrop exactly once', async (t) => {
  const { client, backend, server } = await startPop3(t);
  await client.login('alice', 's3cret').send('DELE 1').expect(/^\+OK/).send('DELE 2').expect(/^\+OK/);
  client.close();
  await until(() => backend.open === 0 && server.connections === 0);
  assert.deepEqual(backend.events, ['login alice', 'release alice']);
  assert.deepEqual(backend.uids('alice'), ['uid-1', 'uid-2', 'uid-3']);
  assert.equal(backend.doubleReleases, 0);
});

test('A second session on one maildrop gets -ERR [IN-USE]; the lock dies with the first connection', async (t) => {
  const { connect, backend } = await startPop3(t);
  const first = connect();
  await first.login('alice', 's3cret');
  const second = connect();
  await second.expect(/^\+OK /).send('USER alice').expect(/^\+OK/).send('PASS s3cret').expect('-ERR [IN-USE] Maildrop already locked by another session');
  await second.send('STAT').expect(/^-ERR Not logged in/);
  first.close();
  await until(() => backend.open === 0);
  await second.send('USER alice').expect(/^\+OK/).send('PASS s3cret').expect(/^\+OK Maildrop locked/).send('STAT').expect('+OK 3 107');
});

test('Message numbers never change during a session, even when another session could change the maildrop', async (t) => {
  const { client, backend } = await startPop3(t);
  await client.login('alice', 's3cret');
  backend.maildrops.set('alice', [sampleMessages[2]!]); // what a concurrent delivery/expunge would do to the store
  await client.send('UIDL').expectMulti(/^\+OK/, ['1 uid-1', '2 uid-2', '3 uid-3']).send('LIST 3').expect('+OK 3 21');
});
