import test from 'node:test';
import assert from 'node:assert/strict';
import { SaslMalformedError, decodePlain, readCredentials, readLogin, readPlain, type SaslChannel } from './index.js';

/** A channel that answers challenges from a list and records them. */
function channel(initial: string | null, responses: string[]): SaslChannel & { challenges: string[] } {
  const challenges: string[] = [];
  return {
    initial: initial === null ? null : Buffer.from(initial),
    challenges,
    async challenge(data) {
      challenges.push(data.toString());
      const r = responses.shift();
      if (r === undefined) throw new Error('No more responses');
      return Buffer.from(r);
    },
  };
}

test('decodePlain splits authzid, authcid and password', () => {
  assert.deepEqual(decodePlain(Buffer.from('\0alice\0secret')), { authzid: '', user: 'alice', password: 'secret' });
  assert.deepEqual(decodePlain(Buffer.from('boss\0alice\0pa ss')), { authzid: 'boss', user: 'alice', password: 'pa ss' });
  assert.deepEqual(decodePlain(Buffer.from('\0ålice\0sécret')), { authzid: '', user: 'ålice', password: 'sécret' });
});

const malformed: [string, Buffer][] = [
  ['no separators', Buffer.from('alice')],
  ['one separator', Buffer.from('\0alice')],
  ['empty user', Buffer.from('\0\0secret')],
  ['empty password', Buffer.from('\0alice\0')],
  ['NUL in the password', Buffer.from('\0alice\0sec\0ret')],
  ['invalid UTF-8', Buffer.from([0, 0x61, 0, 0xff])],
  ['an overlong password', Buffer.concat([Buffer.from('\0alice\0'), Buffer.alloc(1025, 0x61)])],
];
for (const [name, msg] of malformed) {
  test(`decodePlain refuses ${name} with SaslMalformedError`, () => {
    assert.throws(() => decodePlain(msg), SaslMalformedError);
  });
}

test('readPlain uses the initial response, or asks with an empty challenge', async () => {
  assert.equal((await readPlain(channel('\0a\0b', []))).user, 'a');
  const ch = channel(null, ['\0a\0b']);
  assert.equal((await readPlain(ch)).password, 'b');
  assert.deepEqual(ch.challenges, ['']);
});

test('readLogin asks Username: and Password:, or takes the user from the initial response', async () => {
  const ch = channel(null, ['alice', 'secret']);
  assert.deepEqual(await readLogin(ch), { authzid: '', user: 'alice', password: 'secret' });
  assert.deepEqual(ch.challenges, ['Username:', 'Password:']);
  const quick = channel('alice', ['secret']);
  assert.equal((await readLogin(quick)).user, 'alice');
  assert.deepEqual(quick.challenges, ['Password:']);
});

test('readCredentials dispatches by mechanism name and refuses others', async () => {
  assert.equal((await readCredentials('plain', channel('\0a\0b', []))).user, 'a');
  await assert.rejects(readCredentials('CRAM-MD5', channel(null, [])), SaslMalformedError);
});
