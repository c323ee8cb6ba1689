/**
 * Streaming (STYLE.md §1.2): a 50 MB body goes through the client over DATA and over BDAT while the process's
 * resident memory grows by less than 64 MiB, and arrives intact (size and SHA-256). The scripted peer keeps only
 * a hash of what it receives.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { startSmtpPeer } from '../../testing/smtp-peer.js';
import { connect } from './index.js';

const TOTAL = 50 * 1024 * 1024;
const MiB = 1024 * 1024;

/** 50 MB of CRLF lines (every seventh starts with a dot), a fresh buffer per chunk like a file read; its hash when done. */
function source(): { readable: () => Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let text = '';
  for (let i = 0; text.length < 64 * 1024; i++) text += `${i % 7 === 0 ? '.' : ''}line ${i} ${'abcdefghij'.repeat(7)}\r\n`;
  const template = Buffer.from(text);
  let sent = 0;
  const readable = (): Readable =>
    new Readable({
      read() {
        if (sent >= TOTAL) return void this.push(null);
        const chunk = Buffer.from(template); // a copy, as a file read would give
        sent += chunk.length;
        hash.update(chunk);
        this.push(chunk);
      },
    });
  return { readable, sha256: () => hash.digest('hex') };
}

for (const ehlo of [['PIPELINING', '8BITMIME'], ['PIPELINING', 'CHUNKING']]) {
  const via = ehlo.includes('CHUNKING') ? 'BDAT' : 'DATA';
  test(`send streams a 50 MB body over ${via} with RSS growth under 64 MiB`, async (t) => {
    const peer = await startSmtpPeer(t, { ehlo, keepBodies: false });
    const conn = await connect({ host: '127.0.0.1', port: peer.port, helo: 'client.test', tls: 'none', timeouts: { dataEnd: 30_000 } });
    t.after(() => conn.destroy());
    const src = source();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      const res = await conn.send({ from: 'a@x.test', rcpts: [{ address: 'b@y.test' }], body: '7BIT', smtputf8: false }, src.readable);
      assert.equal(res.rcpts[0]!.outcome, 'accepted');
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const msg = peer.messages[0]!;
    assert.equal(msg.via, via);
    assert.ok(msg.size >= TOTAL, `received ${msg.size} octets`);
    assert.equal(msg.sha256, src.sha256(), 'the peer got exactly the body (dot-unstuffed for DATA)');
    const growth = (peak - before) / MiB;
    t.diagnostic(`RSS growth ${growth.toFixed(1)} MiB`);
    assert.ok(growth < 64, `RSS grew by ${growth.toFixed(1)} MiB`);
  });
}
