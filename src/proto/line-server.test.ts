import test from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Pop3Script } from '../testing/pop3-client.js';
import { testTls } from '../testing/tls.js';
import { ToyServer } from '../testing/toy-line.js';

/** Starts a toy server on `host`:0; closes it after the test. */
async function startToy(t: test.TestContext, opts: ConstructorParameters<typeof ToyServer>[0] = {}, host = '127.0.0.1'): Promise<{ server: ToyServer; port: number; open(tls?: boolean): Pop3Script }> {
  const server = new ToyServer(opts);
  const { port } = await server.listen(0, host);
  const clients: Pop3Script[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await server.close({ deadlineMs: 100 });
  });
  return {
    server,
    port,
    open: (tls = false) => {
      const c = Pop3Script.open(port, { tls });
      clients.push(c);
      return c;
    },
  };
}

test('LineServer runs each connection through the command table, and the example works', async (t) => {
  const { open } = await startToy(t);
  await open().expect('+OK toy ready').send('WHO').expect('+OK 127.0.0.1 tls=false').send('QUIT').expect('+OK bye').expectClosed();
});

test('LineServer shows an IPv4 client on a dual-stack listener as a.b.c.d, not ::ffff:a.b.c.d', async (t) => {
  let toy;
  try {
    toy = await startToy(t, {}, '::');
  } catch {
    return t.skip('no IPv6 on this host');
  }
  await toy.open().expect(/^\+OK /).send('WHO').expect('+OK 127.0.0.1 tls=false');
});

test('LineServer refuses a connection over the limits with the reply the protocol formats, and closes it', async (t) => {
  const { server, open } = await startToy(t, { limits: { maxConnections: 10, maxConnectionsPerIp: 1 } });
  const first = open();
  await first.expect('+OK toy ready');
  await open().expect('-ERR too many connections').expectClosed();
  assert.equal(server.connections, 1);
  await first.send('WHO').expect(/^\+OK /);
});

test('LineServer.close() stops an idle session at once, lets a busy one finish, and refuses new connections', async (t) => {
  const { server, open } = await startToy(t);
  const idle = open();
  const busy = open();
  await idle.expect('+OK toy ready');
  await busy.expect('+OK toy ready').send('WAIT').expect('+OK waiting');
  const closed = server.close({ deadlineMs: 5000 });
  await idle.expect('-ERR shutting down').expectClosed();
  await open().expect('-ERR shutting down').expectClosed();
  await busy.send('go on').expect('+OK done').expect('-ERR shutting down').expectClosed();
  await closed;
  assert.equal(server.connections, 0);
});

test('LineServer.close() interrupts sessions still busy at the deadline, and destroys those that do not end', async (t) => {
  const { server, open } = await startToy(t);
  const waiting = open();
  const hanging = open();
  await waiting.expect('+OK toy ready').send('WAIT').expect('+OK waiting');
  await hanging.expect('+OK toy ready').send('HANG').expect('+OK hanging');
  const started = Date.now();
  await server.close({ deadlineMs: 100 });
  assert.ok(Date.now() - started < 2000);
  await waiting.expect('-ERR shutting down').expectClosed();
  await hanging.expectClosed();
});

test('LineServer with implicit TLS speaks TLS from the first byte; setTls changes the certificate for new connections', async (t) => {
  const [first, second] = [await testTls(), await testTls('other')];
  const { server, open } = await startToy(t, { tls: first, implicitTls: true });
  const a = open(true);
  await a.expect('+OK toy ready').send('WHO').expect('+OK 127.0.0.1 tls=true');
  assert.equal(a.peerFingerprint, new X509Certificate(first.cert).fingerprint256);
  server.setTls(second);
  const b = open(true);
  await b.expect('+OK toy ready');
  assert.equal(b.peerFingerprint, new X509Certificate(second.cert).fingerprint256);
});
