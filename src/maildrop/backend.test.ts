import test from 'node:test';
import assert from 'node:assert/strict';
import { Pop3Error, type Pop3Code } from '../pop3/index.js';
import { verifyPassword } from '../store/index.js';
import { cheapHash, RecordingLogger } from '../testing/mta-fixtures.js';
import { appendIndexed, faultyStore, openKind, pop3Conn, storeKinds, type Faults } from '../testing/maildrop-stores.js';
import { apopDigest, createMaildropBackend } from './index.js';

/** Matches a Pop3Error with `code` and exactly `message`. */
const pop3Error = (code: Pop3Code, message?: string) => (err: unknown) => {
  assert.ok(err instanceof Pop3Error, String(err));
  assert.equal(err.code, code);
  if (message !== undefined) assert.equal(err.message, message);
  return true;
};

test('apopDigest computes the example of RFC 1939 §7', () => {
  assert.equal(apopDigest('<1896.697170952@dbc.mtview.ca.us>', 'tanstaaf'), 'c4c9334bac560ecc979e58001b3e22fb');
});

for (const kind of storeKinds) {
  /** A store with ann@example.org (password "secret", APOP secret "tanstaaf") and bob@example.org (no APOP secret). */
  const world = async (t: import('node:test').TestContext, faults: Faults = {}) => {
    const h = await openKind(t, kind);
    const store = h.store;
    await store.domains.add('example.org');
    const hash = await cheapHash('secret');
    const ann = await store.users.create('ann@example.org', hash);
    await store.users.create('bob@example.org', hash);
    await store.users.setApopSecret('ann@example.org', 'tanstaaf');
    const inbox = await store.mailbox(ann.id);
    const log = new RecordingLogger();
    const calls: string[] = [];
    const backend = createMaildropBackend({
      store: faultyStore(store, faults),
      log,
      verifyPassword: async (pw, stored) => {
        calls.push(stored);
        return verifyPassword(pw, stored);
      },
    });
    return { h, store, ann, inbox, log, calls, backend };
  };

  test(`${kind.name}: createMaildropBackend example: login locks the INBOX and lists it; commit; release`, async (t) => {
    const { store, inbox, backend } = await world(t);
    const a = await appendIndexed(store, inbox, 'Subject: one\r\n\r\nfirst\r\n');
    const b = await appendIndexed(store, inbox, 'Subject: two\r\nX: y\r\n\r\nsecond body\r\n');
    const drop = await backend.login('ann@example.org', 'secret', pop3Conn());
    assert.equal(drop.user, 'ann@example.org');
    assert.deepEqual(drop.messages, [
      { uid: a.uid, size: a.size, bodyOffset: 'Subject: one\r\n\r\n'.length },
      { uid: b.uid, size: b.size, bodyOffset: 'Subject: two\r\nX: y\r\n\r\n'.length },
    ]);
    await drop.commit(new Set([a.uid]));
    await drop.release();
    assert.deepEqual((await inbox.count()).messages, 1);
  });

  test(`${kind.name}: login finds the user as SMTP AUTH does (domain and then all of it case-insensitive)`, async (t) => {
    const { backend } = await world(t);
    for (const name of ['ann@example.org', 'ann@EXAMPLE.org', 'ANN@Example.ORG']) {
      const drop = await backend.login(name, 'secret', pop3Conn());
      assert.equal(drop.user, 'ann@example.org');
      await drop.release();
    }
  });

  test(`${kind.name}: unknown user and wrong password give the same -ERR [AUTH] after one password check each`, async (t) => {
    const { backend, calls, log, ann } = await world(t);
    await assert.rejects(backend.login('nobody@example.org', 'secret', pop3Conn()), pop3Error('AUTH', 'Authentication failed'));
    await assert.rejects(backend.login('ann@example.org', 'wrong', pop3Conn()), pop3Error('AUTH', 'Authentication failed'));
    await assert.rejects(backend.login('', '', pop3Conn()), pop3Error('AUTH', 'Authentication failed'));
    assert.equal(calls.length, 3);
    // The unknown user's check runs against a real scrypt hash with the default (production) cost.
    assert.match(calls[0]!, /^\$scrypt\$N=16384,r=8,p=1\$/);
    assert.notEqual(calls[0], ann.passwordHash);
    assert.equal(calls[1], ann.passwordHash);
    assert.deepEqual(
      log.messages('authentication failed').map((f) => f.why),
      ['unknown user', 'wrong password', 'unknown user'],
    );
  });

  test(`${kind.name}: a second login on a locked maildrop gets -ERR [IN-USE]; after release() it succeeds`, async (t) => {
    const { backend } = await world(t);
    const first = await backend.login('ann@example.org', 'secret', pop3Conn('p1'));
    // The same connection id must not make the lock re-entrant.
    await assert.rejects(backend.login('ann@example.org', 'secret', pop3Conn('p1')), pop3Error('IN-USE'));
    await assert.rejects(backend.apop('ann@example.org', '<1.2@h>', apopDigest('<1.2@h>', 'tanstaaf'), pop3Conn('p2')), pop3Error('IN-USE'));
    // Another user's maildrop is not affected.
    await (await backend.login('bob@example.org', 'secret', pop3Conn('p3'))).release();
    await first.release();
    await first.release(); // idempotent
    const second = await backend.login('ann@example.org', 'secret', pop3Conn('p4'));
    await second.release();
  });

  test(`${kind.name}: a listing that fails after the lock releases the lock and answers -ERR [SYS/TEMP]`, async (t) => {
    const faults: Faults = {};
    const { store, inbox, backend, log } = await world(t, faults);
    await appendIndexed(store, inbox, 'Subject: a\r\n\r\na\r\n');
    await appendIndexed(store, inbox, 'Subject: b\r\n\r\nb\r\n');
    faults.list = new Error('disk on fire');
    await assert.rejects(backend.login('ann@example.org', 'secret', pop3Conn()), pop3Error('SYS/TEMP'));
    const logged = log.lines.find((l) => l.level === 'error');
    assert.equal((logged?.fields.err as Error | undefined)?.message, 'disk on fire');
    delete faults.list;
    const drop = await backend.login('ann@example.org', 'secret', pop3Conn());
    assert.equal(drop.messages.length, 2);
    await drop.release();
  });

  test(`${kind.name}: a store error while locking answers -ERR [SYS/TEMP], and its text never reaches the reply`, async (t) => {
    const faults: Faults = { lock: new Error('SQLITE_IOERR: secret path /var/x') };
    const { backend } = await world(t, faults);
    await assert.rejects(backend.login('ann@example.org', 'secret', pop3Conn()), (err: unknown) => {
      pop3Error('SYS/TEMP')(err);
      assert.doesNotMatch((err as Error).message, /SQLITE|secret/);
      return true;
    });
  });

  test(`${kind.name}: APOP: the right digest logs in; a wrong digest, a user without a secret and an unknown user get -ERR [AUTH]`, async (t) => {
    const { store, backend, log } = await world(t);
    const ts = '<1896.697170952@dbc.mtview.ca.us>';
    const drop = await backend.apop('ann@example.org', ts, apopDigest(ts, 'tanstaaf'), pop3Conn());
    assert.equal(drop.user, 'ann@example.org');
    await drop.release();
    // Upper-case hex is the same digest.
    await (await backend.apop('ann@example.org', ts, apopDigest(ts, 'tanstaaf').toUpperCase(), pop3Conn())).release();
    const refused: [user: string, digest: string][] = [
      ['ann@example.org', apopDigest(ts, 'tanstaaF')],
      ['ann@example.org', apopDigest('<other@host>', 'tanstaaf')],
      ['ann@example.org', 'c4c9334bac560ecc979e58001b3e22f'], // 31 digits
      ['ann@example.org', 'not hex at all, not hex at all!!'],
      ['bob@example.org', apopDigest(ts, '')],
      ['nobody@example.org', apopDigest(ts, 'tanstaaf')],
    ];
    for (const [user, digest] of refused) {
      await assert.rejects(backend.apop(user, ts, digest, pop3Conn()), pop3Error('AUTH', 'Authentication failed'), `${user} ${digest}`);
    }
    assert.deepEqual(
      log.messages('authentication failed').map((f) => f.why),
      ['wrong digest', 'wrong digest', 'wrong digest', 'wrong digest', 'no APOP secret', 'unknown user'],
    );
    // Clearing the secret turns APOP off for the user.
    await store.users.setApopSecret('ann@example.org', null);
    await assert.rejects(backend.apop('ann@example.org', ts, apopDigest(ts, 'tanstaaf'), pop3Conn()), pop3Error('AUTH'));
  });

  test(`${kind.name}: the lock dies with the store instance: after a restart the maildrop can be locked again`, async (t) => {
    const { h, backend } = await world(t);
    await backend.login('ann@example.org', 'secret', pop3Conn()); // never released
    const store = await h.reopen();
    const again = createMaildropBackend({ store, log: new RecordingLogger() });
    await (await again.login('ann@example.org', 'secret', pop3Conn())).release();
  });
}
