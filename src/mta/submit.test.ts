import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { SmtpError } from '../smtp/index.js';
import { isAuthSession, type MailOptions, type SmtpAuthSession, type SmtpSession } from '../smtp/server/index.js';
import { createSubmitBackend, type SubmitDeps } from './submit.js';
import { FakeClock } from '../testing/mta-clock.js';
import { RecordingLogger, bodyStream, conn, message, mtaWorld, scriptedSasl, text, type MtaWorld } from '../testing/mta-fixtures.js';

const mailOpts: MailOptions = { smtputf8: false, requireTls: false };
const info = { size: null, bodyType: '7BIT' as const };

async function setup(o: Partial<SubmitDeps> & { aliases?: Record<string, string[]> } = {}) {
  const world: MtaWorld = await mtaWorld(o.aliases ? { aliases: o.aliases } : {});
  const clock = new FakeClock();
  const log = new RecordingLogger();
  const queued: string[] = [];
  const backend = createSubmitBackend({
    store: world.store,
    hostname: 'mx.example.org',
    maxMessageBytes: 1 << 20,
    now: clock.now,
    log,
    queued: (id) => queued.push(id),
    ...o,
  });
  return { ...world, clock, log, queued, backend };
}

/** Asserts that `p` rejects with an SmtpError "code enhanced". */
async function refuses(p: Promise<unknown>, want: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SmtpError, `expected SmtpError, got ${String(err)}`);
    assert.equal(`${err.code} ${err.enhanced}`, want);
    return true;
  });
}

async function authed(backend: Awaited<ReturnType<typeof setup>>['backend'], user = 'ann@example.org'): Promise<SmtpAuthSession> {
  const s = await backend.newSession(conn('submission', { tls: true }));
  assert.ok(isAuthSession(s));
  assert.equal(await s.authenticate('PLAIN', scriptedSasl(`\0${user}\0secret`)), user);
  return s;
}

test('createSubmitBackend on port 25 accepts a local user and refuses an unknown one with 550 5.1.1', async () => {
  const { backend } = await setup();
  const s = await backend.newSession(conn('smtp'));
  await s.mail('someone@remote.test', mailOpts);
  await s.rcpt('bob@example.org', {});
  await refuses(s.rcpt('nobody@example.org', {}), '550 5.1.1');
});

test('createSubmitBackend on port 25 refuses other domains with 554 5.7.1 Relay access denied, even from loopback', async () => {
  const { backend } = await setup();
  for (const remote of ['198.51.100.7', '127.0.0.1', '::1']) {
    const s = await backend.newSession(conn('smtp', { remote }));
    await s.mail('someone@remote.test', mailOpts);
    await assert.rejects(s.rcpt('x@elsewhere.test', {}), (e: unknown) => e instanceof SmtpError && e.code === 554 && e.enhanced === '5.7.1' && e.message === 'Relay access denied');
  }
});

test('createSubmitBackend on port 25 lets clients in trustedNetworks relay', async () => {
  const { backend } = await setup({ trustedNetworks: ['10.0.0.0/8'] });
  const s = await backend.newSession(conn('smtp', { remote: '10.2.3.4' }));
  await s.mail('app@example.org', mailOpts);
  await s.rcpt('x@elsewhere.test', {});
  const other = await backend.newSession(conn('smtp', { remote: '127.0.0.1' }));
  await other.mail('app@example.org', mailOpts);
  await refuses(other.rcpt('x@elsewhere.test', {}), '554 5.7.1');
});

test('createSubmitBackend on port 25 offers no AUTH and accepts the null sender', async () => {
  const { backend } = await setup();
  const s = await backend.newSession(conn('smtp'));
  assert.equal(isAuthSession(s), false);
  await s.mail('', mailOpts);
  await s.rcpt('ann@example.org', {});
});

test('createSubmitBackend accepts recipients through aliases and the @domain catch-all, case-insensitively', async () => {
  const { backend } = await setup({ aliases: { 'sales@example.org': ['bob@example.org'], '@example.net': ['carol@example.net'] } });
  const s = await backend.newSession(conn('smtp'));
  await s.mail('x@remote.test', mailOpts);
  await s.rcpt('sales@example.org', {});
  await s.rcpt('anything@EXAMPLE.NET', {});
  await s.rcpt('Ann@Example.ORG', {});
  await refuses(s.rcpt('nobody@example.org', {}), '550 5.1.1');
});

test('createSubmitBackend maps <postmaster> without a domain to postmaster@hostname', async () => {
  const { backend, store } = await setup();
  await store.domains.add('mx.example.org');
  await store.aliases.add('postmaster@mx.example.org', ['ann@example.org']);
  const s = await backend.newSession(conn('smtp'));
  await s.mail('x@remote.test', mailOpts);
  await s.rcpt('Postmaster', {});
  await refuses(s.rcpt('root', {}), '501 5.1.3');
});

test('createSubmitBackend on submission refuses MAIL before AUTH with 530 5.7.0', async () => {
  const { backend } = await setup();
  for (const service of ['submission', 'submissions'] as const) {
    const s = await backend.newSession(conn(service));
    assert.ok(isAuthSession(s));
    assert.deepEqual(s.mechanisms(), ['PLAIN', 'LOGIN']);
    await refuses(s.mail('ann@example.org', mailOpts), '530 5.7.0');
  }
});

test('createSubmitBackend authenticates PLAIN and LOGIN against the store and refuses bad credentials with 535 5.7.8', async () => {
  const { backend } = await setup();
  const s = (await backend.newSession(conn('submission'))) as SmtpAuthSession;
  await refuses(s.authenticate('PLAIN', scriptedSasl('\0ann@example.org\0wrong')), '535 5.7.8');
  await refuses(s.authenticate('PLAIN', scriptedSasl('\0nobody@example.org\0secret')), '535 5.7.8');
  await refuses(s.authenticate('PLAIN', scriptedSasl('bob@example.org\0ann@example.org\0secret')), '535 5.7.8');
  await refuses(s.authenticate('CRAM-MD5', scriptedSasl(null)), '504 5.5.4');
  const login = scriptedSasl(null, ['ann@example.org', 'secret']);
  assert.equal(await s.authenticate('LOGIN', login), 'ann@example.org');
  assert.deepEqual(login.challenges, ['Username:', 'Password:']);
  const plain = scriptedSasl(null, ['\0bob@example.org\0secret']);
  const s2 = (await backend.newSession(conn('submission'))) as SmtpAuthSession;
  assert.equal(await s2.authenticate('plain', plain), 'bob@example.org');
});

test('createSubmitBackend on submission accepts the user’s own addresses and aliases, else 553 5.7.1', async () => {
  const { backend } = await setup({ aliases: { 'ann.lee@example.org': ['ann@example.org'], 'team@example.org': ['ann@example.org', 'bob@example.org'], '@example.net': ['ann@example.org'] } });
  const s = await authed(backend);
  await s.mail('ann@example.org', mailOpts);
  await s.mail('ANN@Example.org', mailOpts);
  await s.mail('ann.lee@example.org', mailOpts);
  await s.mail('team@example.org', mailOpts);
  await refuses(s.mail('bob@example.org', mailOpts), '553 5.7.1');
  await refuses(s.mail('ann@elsewhere.test', mailOpts), '553 5.7.1');
  await refuses(s.mail('', mailOpts), '553 5.7.1');
  // A catch-all does not make every address of its domain the user's.
  await refuses(s.mail('random@example.net', mailOpts), '553 5.7.1');
});

test('createSubmitBackend on submission accepts recipients in any domain', async () => {
  const { backend } = await setup();
  const s = await authed(backend);
  await s.mail('ann@example.org', mailOpts);
  await s.rcpt('someone@elsewhere.test', {});
  await s.rcpt('bob@example.org', {});
});

test('createSubmitBackend refuses MAIL with 452 4.3.1 when free disk space is under the threshold', async () => {
  let free = 10 << 20;
  const { backend } = await setup({ diskFree: async () => free, minFreeBytes: 5 << 20 });
  const s = await backend.newSession(conn('smtp'));
  await s.mail('x@remote.test', mailOpts);
  await refuses(s.mail('x@remote.test', { ...mailOpts, size: 6 << 20 }), '452 4.3.1');
  free = 1 << 20;
  await refuses(s.mail('x@remote.test', mailOpts), '452 4.3.1');
});

async function transaction(s: SmtpSession, body: string | Readable, rcpts = ['bob@example.org']): Promise<string | void> {
  await s.mail('sender@remote.test', { ...mailOpts, ret: 'HDRS', envid: 'ENV-1', body: '8BITMIME' });
  for (const r of rcpts) await s.rcpt(r, { notify: ['SUCCESS', 'FAILURE'], orcpt: `rfc822;${r}` });
  return s.data(typeof body === 'string' ? bodyStream(body, 7) : body, info);
}

test('createSubmitBackend data() enqueues once with the envelope and replies "Ok: queued as <id>" after the enqueue', async () => {
  const { backend, store, queued, clock } = await setup();
  const s = await backend.newSession(conn('smtp', { helo: 'relay.remote.test' }));
  const body = message({ received: 3 });
  const reply = await transaction(s, body, ['bob@example.org', 'Ann@Example.ORG', 'bob@EXAMPLE.org']);
  const items = await store.queue.list();
  assert.equal(items.length, 1);
  const item = items[0]!;
  assert.equal(reply, `Ok: queued as ${item.id}`);
  assert.deepEqual(queued, [item.id]);
  assert.equal(item.envelope.from, 'sender@remote.test');
  assert.deepEqual(item.envelope.rcpts, [
    { address: 'bob@example.org', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;bob@example.org' },
    { address: 'Ann@example.org', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;Ann@Example.ORG' },
  ]);
  assert.equal(item.envelope.ret, 'HDRS');
  assert.equal(item.envelope.envid, 'ENV-1');
  assert.equal(item.envelope.body, '8BITMIME');
  assert.equal(item.envelope.receivedAt.getTime(), clock.now().getTime());
  assert.deepEqual(item.envelope.client, { helo: 'relay.remote.test', ip: '198.51.100.7', tls: false, protocol: 'ESMTP' });
  assert.equal(await text(await store.blobs.get(item.body)), body);
  // The transaction is over: a new one starts empty.
  await s.mail('sender@remote.test', mailOpts);
  await s.rcpt('ann@example.org', {});
  await s.data(bodyStream('Subject: 2\r\n\r\nx\r\n'), info);
  assert.deepEqual((await store.queue.list())[1]!.envelope.rcpts.map((r) => r.address), ['ann@example.org']);
});

test('createSubmitBackend data() records ESMTPSA and the user for an authenticated TLS session', async () => {
  const { backend, store } = await setup();
  const s = await authed(backend);
  await s.mail('ann@example.org', mailOpts);
  await s.rcpt('x@elsewhere.test', {});
  await s.data(bodyStream(message()), info);
  const [item] = await store.queue.list();
  assert.deepEqual(item!.envelope.client, { helo: 'client.example.com', ip: '198.51.100.7', user: 'ann@example.org', tls: true, protocol: 'ESMTPSA' });
});

test('createSubmitBackend data() refuses a message with 51 Received fields with 554 5.4.6 and keeps nothing', async () => {
  const { backend, store, queued } = await setup();
  const s = await backend.newSession(conn('smtp'));
  await assert.rejects(transaction(s, message({ received: 51 })), (e: unknown) => e instanceof SmtpError && e.code === 554 && e.enhanced === '5.4.6');
  assert.equal((await store.queue.list()).length, 0);
  assert.equal(store.state.blobs.size, 0);
  assert.deepEqual(queued, []);
  await s.reset();
  assert.match(String(await transaction(s, message({ received: 50 }))), /^Ok: queued as /);
});

test('createSubmitBackend data() resolves only after Queue.enqueue resolved', async () => {
  const { backend, store } = await setup();
  const enqueue = store.queue.enqueue.bind(store.queue);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  store.queue.enqueue = async (env, blob) => {
    await gate;
    return enqueue(env, blob);
  };
  const s = await backend.newSession(conn('smtp'));
  let done = false;
  const p = transaction(s, message()).then((r) => {
    done = true;
    return r;
  });
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'no reply while the enqueue is pending');
  release();
  assert.match(String(await p), /^Ok: queued as /);
});

test('createSubmitBackend data() rethrows when enqueue fails and queues nothing', async () => {
  const { backend, store, queued } = await setup();
  store.queue.enqueue = async () => {
    throw new Error('disk on fire');
  };
  const s = await backend.newSession(conn('smtp'));
  await assert.rejects(transaction(s, message()), /disk on fire/);
  // The blob stays: if the enqueue committed but its fsync failed, a row may point to it (orphans go at start).
  assert.equal(store.state.blobs.size, 1);
  assert.deepEqual(queued, []);
});

test('createSubmitBackend data() answers 552 5.3.4 when the body exceeds maxMessageBytes', async () => {
  const { backend, store } = await setup({ maxMessageBytes: 100 });
  const s = await backend.newSession(conn('smtp'));
  await refuses(Promise.resolve(transaction(s, message({ body: 'x'.repeat(200) }))), '552 5.3.4');
  assert.equal(store.state.blobs.size, 0);
});

test('createSubmitBackend data() streams the body: the source is read only as the blob store pulls it', async () => {
  const { backend, store } = await setup();
  const s = await backend.newSession(conn('smtp'));
  let pulled = 0;
  const chunks = 500;
  const src = new Readable({
    highWaterMark: 1024,
    read() {
      pulled++;
      if (pulled === 1) this.push(Buffer.from('Subject: big\r\n\r\n'));
      else if (pulled <= chunks) this.push(Buffer.alloc(1024, 0x61));
      else this.push(null);
    },
  });
  const put = store.blobs.put.bind(store.blobs);
  let pulledAtFirstChunk = -1;
  store.blobs.put = async (body, opts) => {
    async function* watch(): AsyncGenerator<Uint8Array> {
      for await (const c of body) {
        if (pulledAtFirstChunk === -1) pulledAtFirstChunk = pulled;
        yield c as Uint8Array;
      }
    }
    return put(watch(), opts);
  };
  await transaction(s, src);
  assert.ok(pulledAtFirstChunk > 0 && pulledAtFirstChunk < 10, `source read ${pulledAtFirstChunk} chunks ahead`);
  const [item] = await store.queue.list();
  assert.equal(item!.body.size, 'Subject: big\r\n\r\n'.length + (chunks - 1) * 1024);
});
