import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { bigMessage, fakeMessage, startPop3, until } from '../../../testing/pop3-fakes.js';
import { Pop3Error } from '../../reply.js';

test('RETR byte-stuffs lines that start with "." on the wire and ends with CRLF.CRLF (RFC 1939 §3)', async (t) => {
  const { port, backend } = await startPop3(t);
  const sock = connect(port, '127.0.0.1');
  t.after(() => sock.destroy());
  let wire = '';
  sock.on('data', (d) => (wire += d.toString('latin1')));
  sock.write('USER alice\r\nPASS s3cret\r\nRETR 2\r\n');
  await until(() => wire.endsWith('\r\n.\r\n'));
  assert.ok(wire.endsWith('+OK 47 octets\r\nSubject: two\r\n\r\n..dot line\r\nline 2\r\n...two dots\r\n.\r\n'), JSON.stringify(wire));
  assert.deepEqual(backend.events, ['login alice']);
});

test('RETR returns the message un-stuffed to a client and never changes anything', async (t) => {
  const { client, backend } = await startPop3(t);
  await client.login('alice', 's3cret').send('RETR 2').expectMulti('+OK 47 octets', 'Subject: two\r\n\r\n.dot line\r\nline 2\r\n..two dots\r\n');
  await client.send('RETR 2').expectMulti('+OK 47 octets').send('STAT').expect('+OK 3 107').send('QUIT').expect(/^\+OK/);
  assert.deepEqual(backend.events, ['login alice', 'commit alice ', 'release alice']);
  assert.deepEqual(backend.uids('alice'), ['uid-1', 'uid-2', 'uid-3']);
  assert.ok(backend.opens.every((o) => o.destroyed));
});

test('RETR of a message not ending in CRLF adds CRLF before the terminator', async (t) => {
  const { client } = await startPop3(t, { backendOpts: { maildrops: { alice: [fakeMessage('u', 'Subject: x\r\n\r\nno end'), fakeMessage('v', '')] } } });
  await client.login('alice', 's3cret').send('RETR 1').expectMulti('+OK 20 octets', 'Subject: x\r\n\r\nno end\r\n');
  await client.send('RETR 2').expectMulti('+OK 0 octets', '');
});

test('RETR passes a backend Pop3Error from open() through as written', async (t) => {
  const { client } = await startPop3(t, { backendOpts: { openError: () => new Pop3Error('Message store unavailable', 'SYS/TEMP') } });
  await client.login('alice', 's3cret').send('RETR 1').expect('-ERR [SYS/TEMP] Message store unavailable').send('STAT').expect('+OK 3 107');
});

test('RETR that fails in the middle of the body closes the connection without the terminator, and nothing is committed', async (t) => {
  const big = bigMessage('big', 200);
  let calls = 0;
  const broken = {
    ...big,
    generate: (s: number, e: number) => {
      const next = big.generate!(s, e);
      return () => {
        if (++calls > 3) throw new Error('I/O error on blob');
        return next();
      };
    },
  };
  const { client, backend } = await startPop3(t, { backendOpts: { maildrops: { alice: [broken] } } });
  await client.login('alice', 's3cret').send('RETR 1').expect(`+OK ${big.size} octets`);
  const lines: string[] = [];
  await assert.rejects(async () => {
    for (;;) lines.push(await client.readLine());
  }, /Connection closed/);
  assert.ok(lines.length > 0, `what was sent before the failure arrives (${lines.length} lines)`);
  assert.ok(!lines.includes('.'), 'no terminator');
  await until(() => backend.open === 0);
  assert.deepEqual(backend.events, ['login alice', 'release alice']);
});

test('TOP n 0 with bodyOffset reads only the header range (the stored part index)', async (t) => {
  const { client, backend } = await startPop3(t);
  await client.login('alice', 's3cret').send('TOP 1 0').expectMulti('+OK Top of message follows', 'From: a@x.test\r\nSubject: one\r\n\r\n');
  assert.deepEqual(backend.opens[0]?.range, { start: 0, end: 32 });
  assert.equal(backend.opens[0]?.produced, 32);
});

test('TOP n m with and without bodyOffset sends the header, the blank line and m body lines, byte-stuffed', async (t) => {
  for (const withOffset of [true, false]) {
    const text = 'Subject: t\r\nX: y\r\n\r\n.one\r\ntwo\r\n\r\nfour\r\n';
    const { client, backend } = await startPop3(t, { backendOpts: { maildrops: { alice: [fakeMessage('t', text, withOffset)] }, chunkBytes: 5 } });
    await client.login('alice', 's3cret');
    const cases: [number, string][] = [
      [0, 'Subject: t\r\nX: y\r\n\r\n'],
      [1, 'Subject: t\r\nX: y\r\n\r\n.one\r\n'],
      [3, 'Subject: t\r\nX: y\r\n\r\n.one\r\ntwo\r\n\r\n'],
      [99, text],
    ];
    for (const [m, want] of cases) await client.send(`TOP 1 ${m}`).expectMulti('+OK Top of message follows', want);
    assert.ok(backend.opens.every((o) => o.destroyed));
    assert.equal(backend.opens[0]!.range !== undefined, withOffset, 'the range is used only with bodyOffset');
  }
});

test('TOP stops reading a big message once its lines are sent (the stream is destroyed early)', async (t) => {
  for (const big of [bigMessage('big', 10_000), { ...bigMessage('big', 10_000), bodyOffset: undefined }]) {
    const { client, backend } = await startPop3(t, { backendOpts: { maildrops: { alice: [big] } } });
    await client.login('alice', 's3cret').send('TOP 1 2').expectMulti('+OK Top of message follows');
    assert.equal(client.lastBody.toString(), `Subject: big\r\n\r\n.0${'0'.repeat(96)}\r\nL${'1'.repeat(97)}\r\n`);
    await until(() => backend.opens[0]?.destroyed === true);
    assert.ok(backend.opens[0]!.produced <= 200_000, `read ${backend.opens[0]!.produced} of ${big.size} octets`);
  }
});

test('TOP refuses a bad line count and missing arguments with -ERR Syntax error', async (t) => {
  const { client } = await startPop3(t);
  await client.login('alice', 's3cret');
  await client.send('TOP 1').expect('-ERR Syntax error: expected TOP message lines');
  await client.send('TOP 1 x').expect('-ERR Syntax error: the line count must be a non-negative number');
  await client.send('TOP 1 -1').expect('-ERR Syntax error: the line count must be a non-negative number');
  await client.send('TOP 9 1').expect('-ERR No such message');
  await client.send('TOP 1 99999999999999999999').expectMulti(/^\+OK/, 'From: a@x.test\r\nSubject: one\r\n\r\nHello\r\n');
});

test('RETR of a 50 MB message to a slow reader streams with backpressure: RSS stays bounded and every byte arrives', async (t) => {
  const big = bigMessage('big', 50_000);
  const { port, backend } = await startPop3(t, { backendOpts: { maildrops: { alice: [big] } } });
  const sock = connect(port, '127.0.0.1');
  t.after(() => sock.destroy());
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  t.after(() => clearInterval(sampler));
  // Read the status lines, then count (never keep) the body; pause 30 ms after every 2 MB (a slow reader).
  const result = await new Promise<{ status: string; octets: number; hash: string; lead: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('RETR took longer than 60 s')), 60_000);
    let head = '';
    let inBody = false;
    let octets = 0;
    let sincePause = 0;
    let tail = '';
    let lead = 0; // how far the backend ran ahead of what the client received
    const hash = createHash('sha256');
    sock.on('data', (d: Buffer) => {
      if (!inBody) {
        head += d.toString('latin1');
        const at = head.indexOf('octets\r\n');
        if (at < 0) return;
        inBody = true;
        d = Buffer.from(head.slice(at + 8), 'latin1');
      }
      octets += d.length;
      lead = Math.max(lead, (backend.opens[0]?.produced ?? 0) - octets);
      hash.update(d);
      tail = (tail + d.toString('latin1')).slice(-16);
      sincePause += d.length;
      if (sincePause > 2_000_000) {
        sincePause = 0;
        sock.pause();
        setTimeout(() => sock.resume(), 30);
      }
      if (tail.endsWith('\r\n.\r\n')) {
        clearTimeout(timer);
        resolve({ status: head.slice(0, head.indexOf('octets\r\n') + 6), octets, hash: hash.digest('hex'), lead });
      }
    });
    sock.write('USER alice\r\nPASS s3cret\r\nRETR 1\r\n');
  });
  clearInterval(sampler);
  assert.ok(result.status.endsWith(`+OK ${big.size} octets`), result.status);
  assert.equal(result.octets, big.size + 50_000 + 3, 'the message, one stuffed dot per block, and ".\\r\\n"');
  // The same bytes computed independently: header, then the blocks with their first dot doubled.
  const want = createHash('sha256');
  want.update('Subject: big\r\n\r\n');
  const block = Buffer.from(Array.from({ length: 10 }, (_, i) => `${i === 0 ? '..' : 'L'}${String(i).repeat(97)}\r\n`).join(''));
  for (let i = 0; i < 50_000; i++) want.update(block);
  want.update('.\r\n');
  assert.equal(result.hash, want.digest('hex'));
  assert.ok(peak - base < 64 * 1024 * 1024, `RSS grew by ${((peak - base) / 1048576).toFixed(1)} MiB`);
  // Backpressure: the server reads from the backend only as fast as the client reads (plus socket buffers).
  assert.ok(result.lead < 16 * 1024 * 1024, `the backend ran ${(result.lead / 1048576).toFixed(1)} MiB ahead of the client`);
  assert.equal(backend.opens[0]?.produced, big.size);
});
