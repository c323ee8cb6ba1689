import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { tempDir } from '../testing/app-cli.js';
import {
  assertNoServer,
  checkSocketPath,
  ControlSocketError,
  controlSocketPath,
  MAX_SOCKET_PATH_BYTES,
  notifyDaemon,
  startControlServer,
  type ControlServer,
  type ControlServerOptions,
} from './control.js';

const quiet = { info() {}, warn() {}, error() {} };

/** A control server on `<dir>/control.sock` that counts flushes; closed when the test ends. */
async function start(t: { after(fn: () => Promise<void>): void }, dir: string, o: Partial<ControlServerOptions> = {}): Promise<{ server: ControlServer; flushes: () => number }> {
  let n = 0;
  const server = await startControlServer({ path: controlSocketPath(dir), onFlush: () => n++, log: quiet, ...o });
  t.after(() => server.close());
  return { server, flushes: () => n };
}

/** Sends `raw` and collects what comes back until the server closes or `lines` lines arrived (bounded wait). */
function converse(socketPath: string, raw: string | Buffer, lines = Infinity, timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: socketPath });
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${JSON.stringify(text)}`));
    }, timeoutMs);
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ text, closed });
    };
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      text += d;
      if (text.split('\n').length - 1 >= lines) done(false);
    });
    s.on('close', () => done(true));
    s.on('error', () => {});
    s.write(raw);
  });
}

/** Leaves a stale socket file at `socketPath`: a child listens there and is killed (SIGKILL) by its PID. */
async function staleSocket(socketPath: string): Promise<void> {
  const code = `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the child did not listen within 10 s')), 10_000);
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGKILL');
  await exited;
  assert.ok(lstatSync(socketPath).isSocket());
}

test('startControlServer: FLUSH calls onFlush and answers OK; notifyDaemon says notified; the socket is mode 0600', async (t) => {
  const dir = tempDir(t);
  assert.equal(controlSocketPath('/var/lib/postroom'), '/var/lib/postroom/control.sock');
  const { server, flushes } = await start(t, dir);
  assert.equal(server.path, path.join(dir, 'control.sock'));
  assert.equal(lstatSync(server.path).mode & 0o777, 0o600);
  assert.equal(await notifyDaemon(dir), 'notified');
  assert.equal(flushes(), 1);
  // Several commands on one connection, CRLF accepted.
  assert.deepEqual(await converse(server.path, 'FLUSH\r\nFLUSH\n', 2), { text: 'OK\nOK\n', closed: false });
  assert.equal(flushes(), 3);
});

test('startControlServer answers other lines with ERR unknown command and keeps the connection', async (t) => {
  const dir = tempDir(t);
  const { server, flushes } = await start(t, dir);
  const r = await converse(server.path, Buffer.concat([Buffer.from('HELLO\nflush\n\n'), Buffer.from([0, 0xff, 0x1b, 0x0a]), Buffer.from('FLUSH now\nFLUSH\n')]), 6);
  assert.deepEqual(r, { text: 'ERR unknown command\n'.repeat(5) + 'OK\n', closed: false });
  assert.equal(flushes(), 1);
});

test('startControlServer answers a line over 256 bytes with ERR line too long and closes; an idle connection is closed', async (t) => {
  const dir = tempDir(t);
  const { server, flushes } = await start(t, dir, { idleMs: 200 });
  assert.deepEqual(await converse(server.path, 'x'.repeat(10_000)), { text: 'ERR line too long\n', closed: true });
  assert.deepEqual(await converse(server.path, `${'x'.repeat(257)}\nFLUSH\n`), { text: 'ERR line too long\n', closed: true });
  assert.deepEqual(await converse(server.path, `${'x'.repeat(256)}\n`, 1), { text: 'ERR unknown command\n', closed: false });
  const started = Date.now();
  assert.deepEqual(await converse(server.path, 'FLU'), { text: '', closed: true });
  assert.ok(Date.now() - started < 4000);
  assert.equal(flushes(), 0);
});

test('startControlServer replaces a stale socket file (nothing answers) and refuses to start while a server answers', async (t) => {
  const dir = tempDir(t);
  await staleSocket(controlSocketPath(dir));
  assert.equal(await notifyDaemon(dir), 'not-running');
  const { flushes } = await start(t, dir);
  const running = (err: unknown) => err instanceof ControlSocketError && err.kind === 'running' && err.message === `another postroom is running on ${dir}`;
  await assert.rejects(assertNoServer(controlSocketPath(dir)), running);
  await assert.rejects(
    startControlServer({ path: controlSocketPath(dir), onFlush: () => {}, log: quiet }),
    running,
  );
  assert.equal(await notifyDaemon(dir), 'notified', 'the first server still listens');
  assert.equal(flushes(), 1);
});

test('close() removes the socket file; notifyDaemon then says not-running, as for a missing data directory', async (t) => {
  const dir = tempDir(t);
  const { server } = await start(t, dir);
  await server.close();
  await server.close();
  assert.equal(existsSync(server.path), false);
  assert.equal(await notifyDaemon(dir), 'not-running');
  assert.equal(await notifyDaemon(path.join(dir, 'no', 'such')), 'not-running');
});

test('startControlServer refuses a path that is not a socket (and keeps the file) or too long for a Unix socket', async (t) => {
  const dir = tempDir(t);
  writeFileSync(controlSocketPath(dir), 'mine');
  await assert.rejects(
    startControlServer({ path: controlSocketPath(dir), onFlush: () => {}, log: quiet }),
    (err: unknown) => err instanceof ControlSocketError && err.kind === 'not-socket',
  );
  assert.equal(readFileSync(controlSocketPath(dir), 'utf8'), 'mine');

  const deep = path.join(dir, 'd'.repeat(MAX_SOCKET_PATH_BYTES));
  mkdirSync(deep);
  const long = controlSocketPath(deep);
  assert.throws(() => checkSocketPath(long), (err: unknown) => {
    assert.ok(err instanceof ControlSocketError && err.kind === 'too-long');
    assert.equal(err.message, `the control socket ${long} is ${Buffer.byteLength(long)} bytes long, and a Unix socket path is at most ${MAX_SOCKET_PATH_BYTES}: use a shorter data_dir`);
    return true;
  });
  await assert.rejects(startControlServer({ path: long, onFlush: () => {}, log: quiet }), ControlSocketError);
  assert.equal(await notifyDaemon(deep), 'not-running');
  checkSocketPath(controlSocketPath(dir));
});

test('notifyDaemon rejects with one line when the server answers something other than OK, or nothing', async (t) => {
  const dir = tempDir(t);
  const answers = ['ERR unknown command\n', ''];
  const fake = net.createServer((s) => {
    s.resume(); // read to the client's end, so the connection closes and fake.close() can finish
    const a = answers.shift();
    if (a) s.end(a);
    else s.end();
  });
  await new Promise<void>((resolve) => fake.listen(controlSocketPath(dir), resolve));
  t.after(() => new Promise<void>((resolve) => fake.close(() => resolve())));
  await assert.rejects(notifyDaemon(dir), { message: `the server on ${controlSocketPath(dir)} answered "ERR unknown command"` });
  await assert.rejects(notifyDaemon(dir), { message: `the server on ${controlSocketPath(dir)} closed the connection without an answer` });
});

test('onFlush that throws is logged and answered ERR internal error', async (t) => {
  const dir = tempDir(t);
  const logged: string[] = [];
  const server = await startControlServer({
    path: controlSocketPath(dir),
    onFlush: () => {
      throw new Error('boom');
    },
    log: { ...quiet, error: (_f, msg) => logged.push(msg) },
  });
  t.after(() => server.close());
  assert.deepEqual(await converse(server.path, 'FLUSH\n', 1), { text: 'ERR internal error\n', closed: false });
  assert.deepEqual(logged, ['control: flush failed']);
});
