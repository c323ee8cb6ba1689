import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { AuthThrottle, silentLogger } from '../proto/index.js';
import { defaultConfig } from './config.js';
import { Pop3Workers, workerNodeArgs, type Pop3WorkersOptions } from './pop3-workers.js';

test('workerNodeArgs: a worker gets the server\'s node options, not those that belong to one process', () => {
  const server = ['--v8-pool-size=1', '--max-semi-space-size=4', '--stack-size=900'];
  const oneProcess = ['--inspect=9229', '--cpu-prof', '--cpu-prof-dir', '/tmp/prof', '--test-name-pattern=x', '--heap-prof', '--diagnostic-dir=/tmp/d'];
  assert.deepEqual(workerNodeArgs([...server.slice(0, 2), ...oneProcess, server[2]!]), server);
  assert.deepEqual(workerNodeArgs([]), []);
});

// Workers that misbehave, as real processes: the server side (Pop3Workers) is what is tested. Each appends
// "start <ms>" to its log when it starts and "ready" once it said so. `exit` ends at once (a worker that cannot
// start); `hang` says ready and never takes a connection (a stuck worker); `die` says ready and exits on the first
// connection, before taking it; `take` says ready and takes every connection (and then does nothing with it).
const FAKE_WORKER = `
import { appendFileSync } from 'node:fs';
const [behaviour, log] = process.argv.slice(2);
appendFileSync(log, 'start ' + Date.now() + '\\n');
if (behaviour === 'exit') process.exit(1);
process.on('message', (m) => {
  if (m.t === 'init') process.send({ t: 'ready' }, () => appendFileSync(log, 'ready\\n'));
  if (m.t === 'conn' && behaviour === 'die') process.exit(1);
  if (m.t === 'conn' && behaviour === 'take') process.send({ t: 'took', id: m.id });
  if (m.t === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
`;

/** A Pop3Workers of one fake worker, stopped at the end of the test; `log()` reads the worker's lines. */
function fakeWorkers(t: TestContext, behaviour: 'exit' | 'hang' | 'die' | 'take', opts: Pop3WorkersOptions = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'postroom-workers-'));
  const script = path.join(dir, 'worker.mjs');
  const logFile = path.join(dir, 'log');
  writeFileSync(script, FAKE_WORKER);
  writeFileSync(logFile, '');
  const tls = { key: '', cert: '' };
  const workers = new Pop3Workers(1, defaultConfig(dir), tls, new AuthThrottle(), silentLogger, { command: [script, behaviour, logFile], ...opts });
  t.after(async () => {
    await workers.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });
  const log = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  const starts = () => log().filter((l) => l.startsWith('start ')).map((l) => Number(l.slice(6)));
  return { workers, log, starts };
}

/** Polls `cond` every 20 ms until it holds, for at most `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A loopback connection whose server end is paused and unread, as LineServer hands it off. */
async function pausedConnection(t: TestContext): Promise<{ client: Socket; serverSide: Socket }> {
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  const [serverSide] = (await once(server, 'connection')) as [Socket];
  server.close();
  t.after(() => {
    client.destroy();
    serverSide.destroy();
  });
  return { client, serverSide };
}

/** A ready fake worker and one connection handed to it (this process has 1); `released()` counts its place's releases. */
async function handedConnection(t: TestContext, behaviour: 'hang' | 'die' | 'take', opts: Pop3WorkersOptions) {
  const f = fakeWorkers(t, behaviour, opts);
  f.workers.start();
  await until(() => f.log().includes('ready'), 10_000, 'the worker to be ready');
  const { client, serverSide } = await pausedConnection(t);
  let released = 0;
  const handOff = f.workers.handOff('pop3', () => 1);
  const t0 = Date.now();
  assert.equal(handOff(serverSide, () => released++), true, 'the ready worker with fewer connections gets it');
  return { ...f, client, handOff, t0, released: () => released };
}

test('a worker that keeps exiting is started again after restartMinMs, the wait doubling up to restartMaxMs, and not after stop()', { timeout: 40_000 }, async (t) => {
  const { workers, starts } = fakeWorkers(t, 'exit', { restartMinMs: 200, restartMaxMs: 400 });
  workers.start();
  await until(() => starts().length >= 6, 20_000, 'six starts');
  const s = starts();
  const gaps = s.slice(1, 6).map((x, i) => x - s[i]!);
  // Each gap is the wait plus a process start: never shorter than the wait (200, 400, then 400 at the cap).
  [200, 400, 400, 400, 400].forEach((wait, i) => assert.ok(gaps[i]! >= wait - 5, `gap ${i + 1} ${gaps[i]} ms, wait ${wait} ms: ${gaps}`));
  // Uncapped, the last two waits would be 1,600 and 3,200 ms (and each gap is at least its wait).
  assert.ok(gaps[3]! < 1600 && gaps[4]! < 3200, `the wait stays at the cap: ${gaps}`);
  await workers.stop(1000);
  const after = starts().length;
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(starts().length, after, 'no worker starts after stop()');
});

test('a worker that does not take a connection in time is taken for hung: the connection is closed, its place released, the worker ended and another started', { timeout: 40_000 }, async (t) => {
  const { client, handOff, t0, released, log, starts } = await handedConnection(t, 'hang', { takeMs: 300, restartMinMs: 100 });
  client.resume();
  await once(client, 'close');
  assert.ok(Date.now() - t0 >= 290, 'closed once takeMs has passed');
  await until(() => released() === 1, 2000, 'the place to be released');
  await until(() => starts().length === 2, 10_000, 'another worker');
  assert.equal(released(), 1, 'released once');
  // The hung worker takes nothing more: the new one, once ready, is handed the next connection.
  await until(() => log().filter((l) => l === 'ready').length === 2, 10_000, 'the new worker to be ready');
  const next = await pausedConnection(t);
  assert.equal(handOff(next.serverSide, () => {}), true);
});

test('a server that stalls past takeMs does not take a worker that took the connection meanwhile for hung', { timeout: 40_000 }, async (t) => {
  const { client, released, starts } = await handedConnection(t, 'take', { takeMs: 300, restartMinMs: 100 });
  // This process busy for twice takeMs right after the hand-off: the timer is due before the worker's `took` is read.
  for (const end = Date.now() + 600; Date.now() < end; );
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(starts().length, 1, 'the worker was not ended');
  assert.equal(released(), 0, 'the connection is still the worker\'s');
  assert.equal(client.destroyed, false);
});

test('a worker that exits before taking a connection: the connection is closed and its place released at once, and another worker starts', { timeout: 40_000 }, async (t) => {
  const { client, released, starts } = await handedConnection(t, 'die', { takeMs: 60_000, restartMinMs: 100 });
  client.resume();
  await once(client, 'close'); // long before takeMs
  await until(() => released() === 1, 2000, 'the place to be released');
  await until(() => starts().length === 2, 10_000, 'another worker');
  assert.equal(released(), 1);
});

test('no ready worker, or none with fewer connections than the server: the connection stays in the server', { timeout: 40_000 }, async (t) => {
  const { workers, log } = fakeWorkers(t, 'hang', { takeMs: 60_000 });
  const { serverSide } = await pausedConnection(t);
  const handOff = workers.handOff('pop3', () => 0);
  assert.equal(handOff(serverSide, () => {}), false, 'not started');
  workers.start();
  await until(() => log().includes('ready'), 10_000, 'the worker to be ready');
  assert.equal(handOff(serverSide, () => {}), false, 'the server has no more connections than the worker');
});

test('a real worker keeps a stop that comes while it starts, and stops once it is ready instead of waiting to be killed', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'postroom-workers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = defaultConfig(dir);
  mkdirSync(config.dataDir); // the worker opens the store there, as the server made it
  const said: string[] = [];
  const log = { info: (_o: object, msg?: string) => said.push(msg ?? ''), warn: () => {}, error: (_o: object, msg?: string) => said.push(msg ?? '') };
  const workers = new Pop3Workers(1, config, { key: '', cert: '' }, new AuthThrottle(), log);
  workers.start();
  // At once: the worker's node is still loading, long before it has its configuration and says it is ready.
  const t0 = Date.now();
  await workers.stop(20_000);
  // Lost, the stop would leave the worker running until the deadline (20 s) and its grace (5 s) ended it with SIGKILL.
  assert.ok(Date.now() - t0 < 15_000, `stopped in ${Date.now() - t0} ms`);
  assert.deepEqual(said, ['pop3 worker ready'], 'it got its configuration, opened the store, and then stopped');
});
