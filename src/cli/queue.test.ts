import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { controlSocketPath, openStore, startControlServer } from '../app/index.js';
import { envelope, putText } from '../store/contract-kit.js';
import { runCli, tempDir } from '../testing/app-cli.js';
import { startDaemonChild, waitFor } from '../testing/app-daemon.js';
import { formatQueueList } from './queue.js';

const t0 = new Date('2026-01-02T03:04:05.678Z');
const later = (ms: number): Date => new Date(t0.getTime() + ms);
const retryAt = new Date('2099-01-01T00:00:00Z');
const quiet = { info() {}, warn() {}, error() {} };

/**
 * A data directory with two queued messages: A from sender@remote.test, its first recipient deferred until 2099
 * and its second delivered; B from <> to one pending recipient, on hold.
 */
async function queueWorld(t: { after(fn: () => void): void }): Promise<{ dir: string; a: string; b: string }> {
  const dir = path.join(tempDir(t), 'data');
  const store = await openStore({ dataDir: dir }, { create: true });
  try {
    const bodyA = await putText(store, 'From: sender@remote.test\r\nSubject: \x1b[2Jhello\r\n\r\nbody\r\n');
    const a = await store.queue.enqueue(envelope(['carl@far.test', 'ann@example.test'], { receivedAt: t0 }), bodyA);
    await store.queue.settle(
      a,
      [
        { rcpt: 'carl@far.test', outcome: 'deferred', code: 451, enhanced: '4.4.0', text: 'Remote delivery is not available yet', retryAt },
        { rcpt: 'ann@example.test', outcome: 'delivered', reply: '250 2.0.0 Delivered', remoteMta: 'mx.example.test' },
      ],
      later(60_000),
    );
    const bodyB = await putText(store, 'Subject: bounce\r\n\r\nx\r\n');
    const b = await store.queue.enqueue(envelope(['dan@far.test'], { from: '', receivedAt: later(1000), ret: undefined, envid: undefined }), bodyB);
    await store.queue.hold(b, true);
    return { dir, a, b };
  } finally {
    await store.close();
  }
}

test('postroom queue list: an empty queue, in text and JSON', async (t) => {
  const dir = path.join(tempDir(t), 'data');
  await (await openStore({ dataDir: dir }, { create: true })).close();
  assert.deepEqual(await runCli(['queue', 'list', '--data-dir', dir]), { code: 0, out: 'Mail queue is empty\n', err: '' });
  assert.deepEqual(await runCli(['queue', 'list', '--json', '--data-dir', dir]), { code: 0, out: '[]\n', err: '' });
});

test('postroom queue list: a mailq block per message (recipients still to deliver, last reply, hold mark) and a summary', async (t) => {
  const { dir, a, b } = await queueWorld(t);
  const r = await runCli(['queue', 'list', '--data-dir', dir]);
  const want = [
    '-Queue ID----------- --Size-- ----Arrival Time---- -Sender/Recipient-------',
    'AAAAAAAAAAAAAAAAAAA        54 2026-01-02T03:04:05Z sender@remote.test',
    '(451 4.4.0 Remote delivery is not available yet)',
    '                                                   carl@far.test  deferred, 1 attempt(s), last 2026-01-02T03:05:05Z, next 2099-01-01T00:00:00Z',
    '',
    'BBBBBBBBBBBBBBBBBBB!       22 2026-01-02T03:04:06Z <>',
    '                                                   dan@far.test  pending, 0 attempt(s), next 2026-01-02T03:04:06Z',
    '',
    '-- 1 Kbytes in 2 Requests.',
    '',
  ].join('\n');
  assert.deepEqual(r, { code: 0, out: want.replace('A'.repeat(19), a).replace('B'.repeat(19), b), err: '' });

  const json = await runCli(['queue', 'list', '--json', '--data-dir', dir]);
  assert.equal(json.code, 0);
  const items = JSON.parse(json.out) as {
    id: string;
    held: boolean;
    createdAt: string;
    body: { size: number };
    envelope: { from: string; envid?: string; client: { helo: string } };
    rcpts: { address: string; state: string; attempts: number; nextAttempt: string; lastAttempt?: string; lastReply?: string; remoteMta?: string }[];
  }[];
  assert.deepEqual(items.map((i) => [i.id, i.held, i.createdAt, i.body.size, i.envelope.from]), [
    [a, false, t0.toISOString(), 54, 'sender@remote.test'],
    [b, true, later(1000).toISOString(), 22, ''],
  ]);
  assert.equal(items[0]!.envelope.envid, 'ENV-1');
  assert.equal(items[0]!.envelope.client.helo, 'mx.remote.test');
  assert.deepEqual(items[0]!.rcpts, [
    { address: 'carl@far.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;carl@far.test', state: 'deferred', attempts: 1, nextAttempt: retryAt.toISOString(), lastAttempt: later(60_000).toISOString(), lastReply: '451 4.4.0 Remote delivery is not available yet' },
    { address: 'ann@example.test', state: 'delivered', attempts: 1, nextAttempt: t0.toISOString(), lastAttempt: later(60_000).toISOString(), lastReply: '250 2.0.0 Delivered', remoteMta: 'mx.example.test' },
  ]);
});

test('postroom queue show: envelope, every recipient, and the header with control characters escaped', async (t) => {
  const { dir, a, b } = await queueWorld(t);
  assert.deepEqual(await runCli(['queue', 'show', a, '--data-dir', dir]), {
    code: 0,
    out: [
      `queue id: ${a}`,
      'size: 54 bytes (8BITMIME)',
      'arrival: 2026-01-02T03:04:05Z',
      'from: <sender@remote.test>',
      'envid: ENV-1',
      'ret: HDRS',
      'received from: mx.remote.test [192.0.2.7] with ESMTPS, TLS',
      'recipients:',
      '  carl@far.test',
      '    state: deferred, 1 attempt(s), last 2026-01-02T03:05:05Z, next 2099-01-01T00:00:00Z',
      '    dsn: notify SUCCESS,FAILURE; orcpt rfc822;carl@far.test',
      '    last reply: 451 4.4.0 Remote delivery is not available yet',
      '  ann@example.test',
      '    state: delivered, 1 attempt(s), last 2026-01-02T03:05:05Z',
      '    last reply: 250 2.0.0 Delivered',
      '    remote MTA: mx.example.test',
      'header:',
      '  From: sender@remote.test',
      '  Subject: \\x1b[2Jhello',
      '',
    ].join('\n'),
    err: '',
  });
  const held = await runCli(['queue', 'show', b, '--data-dir', dir]);
  assert.match(held.out, new RegExp(`^queue id: ${b} \\(on hold\\)\nsize: 22 bytes \\(8BITMIME\\)\n`));
  assert.match(held.out, /^from: <>$/m);
  assert.doesNotMatch(held.out, /^envid:/m);
  const json = await runCli(['queue', 'show', b, '--json', '--data-dir', dir]);
  assert.deepEqual((JSON.parse(json.out) as { header: unknown }).header, { text: 'Subject: bounce\r\n', truncated: false });
  assert.deepEqual(await runCli(['queue', 'show', 'Q123', '--data-dir', dir]), { code: 1, out: '', err: 'postroom: no queued message Q123\n' });
});

test('postroom queue hold, release and delete; an unknown id is one line and exit code 1', async (t) => {
  const { dir, a, b } = await queueWorld(t);
  const d = ['--data-dir', dir];
  assert.deepEqual(await runCli(['queue', 'hold', a, ...d]), { code: 0, out: `held queued message ${a}\n`, err: '' });
  assert.deepEqual(await runCli(['queue', 'release', b, ...d]), { code: 0, out: `released queued message ${b}\n`, err: '' });
  const list = (await runCli(['queue', 'list', ...d])).out;
  assert.ok(list.includes(`\n${a}! `) && list.includes(`\n${b}  `), list);
  assert.deepEqual(await runCli(['queue', 'delete', a, ...d]), { code: 0, out: `deleted queued message ${a}\n`, err: '' });
  for (const verb of ['hold', 'release', 'delete', 'retry', 'show']) {
    assert.deepEqual(await runCli(['queue', verb, a, ...d]), { code: 1, out: '', err: `postroom: no queued message ${a}\n` }, verb);
  }
  assert.match((await runCli(['queue', 'list', ...d])).out, /^-- 1 Kbytes in 1 Request\.$/m);
  const usage = await runCli(['queue', 'hold', ...d]);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /missing required argument 'id'/);
});

test('postroom queue flush and retry: deferred recipients become due; a running server is told, else said not running', async (t) => {
  const { dir, a, b } = await queueWorld(t);
  const d = ['--data-dir', dir];
  let r = await runCli(['queue', 'flush', ...d]);
  assert.deepEqual(r, {
    code: 0,
    out: 'queue flushed: 1 recipient(s) due now; no server is running (it will deliver at its next start)\n',
    err: `postroom: warning: 1 message(s) on hold stay queued until released: ${b}\n`,
  });
  const store = await openStore({ dataDir: dir }, { create: false });
  try {
    assert.ok((await store.queue.get(a))!.rcpts[0]!.nextAttempt.getTime() <= Date.now());
  } finally {
    await store.close();
  }

  let flushes = 0;
  const control = await startControlServer({ path: controlSocketPath(dir), onFlush: () => flushes++, log: quiet });
  t.after(() => control.close());
  r = await runCli(['queue', 'retry', a, ...d]);
  assert.deepEqual(r, { code: 0, out: `retry ${a}: 1 recipient(s) due now; the running server was told\n`, err: '' });
  r = await runCli(['queue', 'retry', b, ...d]);
  assert.deepEqual(r, {
    code: 0,
    out: `retry ${b}: 0 recipient(s) due now; the running server was told\n`,
    err: `postroom: warning: ${b} is on hold: it stays queued until: postroom queue release ${b}\n`,
  });
  await runCli(['queue', 'release', b, ...d]);
  r = await runCli(['queue', 'flush', ...d]);
  assert.deepEqual(r, { code: 0, out: 'queue flushed: 2 recipient(s) due now; the running server was told\n', err: '' });
  assert.equal(flushes, 3);
});

test('postroom queue: a missing data directory is one line and exit code 2', async (t) => {
  const missing = path.join(tempDir(t), 'nope');
  for (const args of [['list'], ['flush'], ['show', 'Q1'], ['delete', 'Q1']]) {
    const r = await runCli(['queue', ...args, '--data-dir', missing]);
    assert.deepEqual(r, { code: 2, out: '', err: `postroom: ${missing}: no data directory (start the server once, or pass --data-dir or --config)\n` }, args.join(' '));
  }
});

test('formatQueueList sizes the id column to the longest id (and its hold mark) and counts kilobytes rounded up', () => {
  const item = (id: string, size: number) => ({
    id,
    envelope: envelope(['x@far.test'], { receivedAt: t0 }),
    body: { id: 'b', size, sha256: '' },
    rcpts: [],
    createdAt: t0,
    held: false,
  });
  assert.equal(
    formatQueueList([item('short', 1025), item('a-rather-long-queue-id-xyz', 1)]),
    [
      '-Queue ID------------------ --Size-- ----Arrival Time---- -Sender/Recipient-------',
      'short                           1025 2026-01-02T03:04:05Z sender@remote.test',
      '',
      'a-rather-long-queue-id-xyz         1 2026-01-02T03:04:05Z sender@remote.test',
      '',
      '-- 2 Kbytes in 2 Requests.',
      '',
    ].join('\n'),
  );
});

test('postroom queue flush makes a running server try a deferred message again at once; a second server is refused', { timeout: 120_000 }, async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const ports = ['--smtp-listen', '127.0.0.1:0', '--submission-listen', 'off', '--pop3-listen', 'off', '--web-listen', 'off'];
  const d = await startDaemonChild(t, ['--data-dir', dir, '--domain', 'example.test', ...ports]);
  assert.equal((await runCli(['user', 'add', 'ann@example.test', '--password-stdin', '--data-dir', dir], 'pw\n')).code, 0);

  // A message that one attempt deferred for an hour (as a full disk or a remote 451 would), queued while the server
  // runs: the server sleeps until its next poll of the queue. Local, so that only the flush decides when it goes.
  const store = await openStore({ dataDir: dir }, { create: false });
  let id: string;
  try {
    const blob = await putText(store, 'From: bob@example.net\r\nSubject: later\r\n\r\nHi.\r\n');
    // No NOTIFY=SUCCESS (the envelope helper's default), so the delivery queues no report.
    id = await store.queue.enqueue(envelope([], { rcpts: [{ address: 'ann@example.test' }], receivedAt: new Date() }), blob);
    await store.queue.settle(id, [{ rcpt: 'ann@example.test', outcome: 'deferred', code: 452, enhanced: '4.3.1', text: 'Disk full', retryAt: new Date(Date.now() + 3_600_000) }], new Date());
  } finally {
    await store.close();
  }
  type Listed = { id: string; rcpts: { state: string; attempts: number }[] }[];
  const listed = async () => JSON.parse((await runCli(['queue', 'list', '--json', '--data-dir', dir])).out) as Listed;
  assert.deepEqual((await listed()).map((i) => [i.id, i.rcpts[0]?.state, i.rcpts[0]?.attempts]), [[id, 'deferred', 1]]);
  assert.match((await runCli(['queue', 'list', '--data-dir', dir])).out, /^\(452 4\.3\.1 Disk full\)\n {51}ann@example\.test {2}deferred, 1 attempt\(s\), last /m);

  const flushed = await runCli(['queue', 'flush', '--data-dir', dir]);
  assert.deepEqual(flushed, { code: 0, out: 'queue flushed: 1 recipient(s) due now; the running server was told\n', err: '' });
  // Delivered (the second attempt) within 5 s, not at the server's next poll.
  await waitFor(async () => {
    const s = JSON.parse((await runCli(['status', '--json', '--data-dir', dir])).out) as { queue: { items: number }; mailboxes: { messages: number }[] };
    return s.queue.items === 0 && s.mailboxes[0]?.messages === 1 ? true : undefined;
  }, 50, 100).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await runCli(['queue', 'list', '--data-dir', dir])).out}\n${d.stderr()}`);
  });
  assert.ok(d.stderr().includes('"msg":"control: queue flush requested"'));

  // A second server on the same data directory stops before it opens the store.
  const again = await runCli(['start', '--data-dir', dir, ...ports, '--log-level', 'silent']);
  assert.deepEqual(again, { code: 2, out: '', err: `postroom: another postroom is running on ${dir}\n` });

  assert.equal(await d.stop(), 0);
  assert.equal(existsSync(controlSocketPath(dir)), false);
  assert.deepEqual(await runCli(['queue', 'flush', '--data-dir', dir]), {
    code: 0,
    out: 'queue flushed: 0 recipient(s) due now; no server is running (it will deliver at its next start)\n',
    err: '',
  });
});
