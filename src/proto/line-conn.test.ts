import test from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { Pop3Script } from '../testing/pop3-client.js';
import { testTls } from '../testing/tls.js';
import { ToyConn, ToyServer, toyCommands } from '../testing/toy-line.js';
import { runSession } from './engine.js';
import { LineConnInfo } from './line-conn.js';

const peer = { remote: '192.0.2.1', remotePort: 40000, local: '192.0.2.9', localPort: 110, tls: false };

/** A connection over an in-memory stream; `reads: false` makes a client that never reads (writes never complete). */
function memoryConn(opts: { reads?: boolean; peerTimeoutMs?: number; sessionTimeoutMs?: number } = {}): { conn: ToyConn; socket: Duplex; send(s: string): void; output(): string } {
  let out = '';
  const socket = new Duplex({
    writableHighWaterMark: 1,
    read() {},
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString('latin1');
      if (opts.reads !== false) done();
    },
  });
  const ctx = { peerTimeoutMs: opts.peerTimeoutMs ?? 1000, sessionTimeoutMs: opts.sessionTimeoutMs ?? 60_000, secureContext: () => null };
  const conn = new ToyConn(socket as unknown as Socket, ctx, peer);
  return { conn, socket, send: (s) => socket.push(s), output: () => out };
}

test('LineConnInfo copies the peer address, and its example works', () => {
  const info = new LineConnInfo('a1', { remote: '192.0.2.1', remotePort: 4000, local: '192.0.2.9', localPort: 110, tls: false }, 'pop3');
  assert.deepEqual({ ...info }, { id: 'a1', service: 'pop3', remote: '192.0.2.1', remotePort: 4000, local: '192.0.2.9', localPort: 110, tls: false });
  info.tls = true;
  assert.equal(info.tls, true);
});

test('LineConn gives each connection its own id with the protocol tag', () => {
  const [a, b] = [memoryConn().conn, memoryConn().conn];
  assert.match(a.id, /^t[0-9a-f]{6}[0-9a-z]+$/);
  assert.notEqual(a.id, b.id);
  a.reader.abort(new Error('done'));
  b.reader.abort(new Error('done'));
});

test('LineConn writes queued output in one write per flush, in order', async () => {
  const { conn, send, output } = memoryConn();
  const run = runSession(conn, toyCommands);
  send('WHO\r\nWHO\r\nQUIT\r\n');
  await run;
  assert.equal(output(), '+OK toy ready\r\n+OK 192.0.2.1 tls=false\r\n+OK 192.0.2.1 tls=false\r\n+OK bye\r\n');
  assert.equal(conn.pendingBytes(), 0);
});

test('LineConn.flush waits for a client that does not read at most peerTimeoutMs, then destroys the socket', async () => {
  const { conn, socket } = memoryConn({ reads: false, peerTimeoutMs: 50 });
  conn.queue('+OK one\r\n');
  const started = Date.now();
  await conn.flush();
  assert.ok(Date.now() - started >= 40);
  assert.equal(socket.destroyed, true);
});

test('LineConn.abort ends a flush waiting to drain at once and fails later reads with its error', async () => {
  const { conn, socket } = memoryConn({ reads: false, peerTimeoutMs: 10_000 });
  conn.queue('+OK one\r\n');
  const started = Date.now();
  const flushed = conn.flush();
  setTimeout(() => conn.abort(new Error('stop')), 10);
  await flushed;
  assert.ok(Date.now() - started < 1000);
  await assert.rejects(conn.reader.readLine(), /stop/);
  assert.equal(socket.destroyed, false);
  socket.destroy();
});

test('LineConn.end releases the session once, sends what is queued and ends the socket', async () => {
  const { conn, socket, output } = memoryConn();
  conn.ok('last words');
  await Promise.all([conn.end(), conn.end()]);
  await conn.end();
  assert.equal(conn.released, 1);
  assert.equal(output(), '+OK last words\r\n');
  assert.equal(socket.writableEnded, true);
});

test('LineConn ends a session past sessionTimeoutMs with the protocol timeout reply', async () => {
  const { conn, output } = memoryConn({ sessionTimeoutMs: 30 });
  await runSession(conn, toyCommands);
  assert.equal(output(), '+OK toy ready\r\n-ERR timeout\r\n');
  assert.equal(conn.released, 1);
});

test('LineConn.switchToTls discards plaintext pipelined after the command and sets info.tls', async (t) => {
  const server = new ToyServer({ tls: await testTls() });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = Pop3Script.open(port);
  t.after(async () => {
    client.close();
    await server.close({ deadlineMs: 100 });
  });
  // A line injected after STLS in the same packet must never be answered (CVE-2011-0411 class).
  await client.expect('+OK toy ready').sendRaw('STLS\r\nQUIT\r\n').expect('+OK go').startTls();
  await client.send('WHO').expect('+OK 127.0.0.1 tls=true');
  assert.equal(client.encrypted, true);
});

/** A ToyConn on a real loopback socket whose client is paused until `receivedIntact` reads from it. */
async function pausedClient(t: { after(fn: () => unknown): void }): Promise<{ conn: ToyConn; socket: Socket; client: Socket }> {
  const { createServer, connect } = await import('node:net');
  let client: Socket | undefined;
  const socket = await new Promise<Socket>((resolve) => {
    const server = createServer((s) => resolve(s));
    t.after(() => server.close());
    server.listen(0, '127.0.0.1', () => {
      client = connect((server.address() as { port: number }).port, '127.0.0.1');
      client.pause();
    });
  });
  const conn = new ToyConn(socket, { peerTimeoutMs: 30_000, sessionTimeoutMs: 60_000, secureContext: () => null }, peer);
  t.after(() => {
    client!.destroy();
    conn.reader.abort(new Error('done'));
    socket.destroy();
  });
  return { conn, socket, client: client! };
}

/** What `flushNumbered` queues for flushes 0 … n−1, in bytes. */
const numberedBytes = (n: number): number => n * (3000 + 3001 + 3002);

/** Reads from `client` until `total` bytes came (bounded: 20 s), then compares them with `expected`. */
async function receivedIntact(client: Socket, expected: readonly Buffer[], total: number): Promise<void> {
  const got: Buffer[] = [];
  let bytes = 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 20_000); // bounded: what arrived by then is compared
    client.on('data', (d: Buffer) => {
      got.push(d);
      bytes += d.length;
      if (bytes >= total) resolve(clearTimeout(timer));
    });
    client.resume();
  });
  assert.equal(bytes, total);
  assert.ok(Buffer.concat(got).equals(Buffer.concat(expected)), 'the bytes received are the bytes queued');
}

/** Queues three chunks filled with flush number `i` (a reused buffer would show another number) and flushes them. */
function flushNumbered(conn: ToyConn, i: number, expected: Buffer[]): Promise<void> | undefined {
  for (let k = 0; k < 3; k++) {
    const chunk = Buffer.alloc(3000 + k, i % 251);
    expected.push(chunk);
    conn.queue(chunk);
  }
  return conn.flush();
}

test('LineConn.flush: output gathered while earlier writes still wait for a slow client arrives intact and in order', async (t) => {
  // Flushes of several chunks are gathered into pooled buffers; a write the kernel could not take keeps its buffer
  // until its callback, so the next flushes must not write into it. The client reads only at the end.
  const { conn, client } = await pausedClient(t);
  const expected: Buffer[] = [];
  const waits: Promise<void>[] = [];
  // 18 MB: more than the kernel's socket buffers hold, so writes are left pending.
  for (let i = 0; i < 2000; i++) {
    const w = flushNumbered(conn, i, expected);
    if (w) waits.push(w);
  }
  await receivedIntact(client, expected, numberedBytes(2000));
  await Promise.all(waits);
});

test('LineConn.flush: pooled buffers given back by completed writes are refilled without touching a pending one', async (t) => {
  // The client reads all along while the writer waits for each drain, so buffers come back from write callbacks
  // and are reused while later writes are still pending: every byte must still be the one queued.
  const { conn, client } = await pausedClient(t);
  const expected: Buffer[] = [];
  const reading = receivedIntact(client, expected, numberedBytes(2000));
  for (let i = 0; i < 2000; i++) await flushNumbered(conn, i, expected);
  await reading;
});
