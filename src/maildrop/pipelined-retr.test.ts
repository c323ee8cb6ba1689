/**
 * A pipelined RETR run through the store-backed maildrop (read-ahead, RETR answered in the same turn) over a real
 * socket: the wire is exactly each message byte-stuffed and terminated, in order, whichever path served it (read
 * ahead, read alone, or streamed because it is too large to read whole).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Pop3Server } from '../pop3/server/index.js';
import { RecordingLogger } from '../testing/mta-fixtures.js';
import { annInbox, appendIndexed, storeKinds } from '../testing/maildrop-stores.js';
import { createMaildropBackend } from './index.js';

/** RFC 1939 §3: a "." at a line start doubled, CRLF before the terminator if missing, then ".\r\n". */
const stuffed = (m: string) => `${m.replace(/^\./gm, '..')}${m === '' || m.endsWith('\r\n') ? '' : '\r\n'}.\r\n`;

for (const kind of storeKinds) {
  test(`${kind.name}: 60 pipelined RETRs in one write, then again out of order: the wire is every message byte-stuffed, in order`, async (t) => {
    const { h, inbox } = await annInbox(t, kind);
    const messages: string[] = [];
    for (let i = 0; i < 60; i++) {
      const body = i === 40 ? `${'.big line\r\n'.repeat(8000)}` : i % 7 === 0 ? `.dot ${i}\r\n..two\r\nlast` : `body ${i}\r\n`;
      const text = `Subject: ${i}\r\n\r\n${body}`;
      await appendIndexed(h.store, inbox, text, `Received: ${i}\r\n`);
      messages.push(`Received: ${i}\r\n${text}`);
    }
    const server = new Pop3Server({ hostname: 'pop.test', service: 'pop3', backend: createMaildropBackend({ store: h.store, log: new RecordingLogger() }) });
    const { port } = await server.listen(0, '127.0.0.1');
    t.after(() => server.close({ deadlineMs: 1000 }));
    const sock = connect(port, '127.0.0.1');
    t.after(() => sock.destroy());
    let wire = '';
    sock.on('data', (d: Buffer) => (wire += d.toString('latin1')));
    const order = [...messages.keys(), 5, 3, 59, 0];
    sock.write(`USER ann@example.org\r\nPASS secret\r\n${order.map((i) => `RETR ${i + 1}\r\n`).join('')}QUIT\r\n`);
    await new Promise((resolve) => sock.on('close', resolve));
    const replies = order.map((i) => `+OK ${Buffer.byteLength(messages[i]!, 'latin1')} octets\r\n${stuffed(messages[i]!)}`).join('');
    // The greeting, USER and PASS replies, every RETR reply in order byte for byte, QUIT's reply: nothing else.
    const lines = /^(\+OK [^\r]*\r\n){3}/.exec(wire)?.[0] ?? '';
    assert.equal(wire.slice(lines.length, lines.length + replies.length), replies);
    assert.match(wire.slice(lines.length + replies.length), /^\+OK [^\r\n]*\r\n$/);
  });
}
