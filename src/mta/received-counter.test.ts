import test from 'node:test';
import assert from 'node:assert/strict';
import { ReceivedCounter } from './received-counter.js';

const count = (chunks: string[]): number => {
  const c = new ReceivedCounter();
  for (const s of chunks) c.push(Buffer.from(s, 'latin1'));
  return c.count;
};

test('ReceivedCounter counts Received fields of the header only, case-insensitively', () => {
  const msg = 'Received: from a\r\n\tby b\r\nRECEIVED: x\r\nreceived : obsolete\r\nX-Received: no\r\nReceivedX: no\r\nSubject: s\r\n\r\nReceived: in body\r\n';
  assert.equal(count([msg]), 3);
});

test('ReceivedCounter gives the same count whatever the chunking', () => {
  const msg = 'Received: a\r\nReceived: b\r\nFrom: x\r\nReceived: c\r\n\r\nReceived: d\r\n';
  for (let size = 1; size < msg.length; size++) {
    const chunks: string[] = [];
    for (let i = 0; i < msg.length; i += size) chunks.push(msg.slice(i, i + size));
    assert.equal(count(chunks), 3, `chunk size ${size}`);
  }
});

test('ReceivedCounter stops at a line that is not a header field', () => {
  assert.equal(count(['Received: a\r\nnot a field\r\nReceived: b\r\n']), 1);
  assert.equal(count(['Received: a\nReceived: b\n\nReceived: c\n']), 2);
});

test('ReceivedCounter reports headerDone after the blank line', () => {
  const c = new ReceivedCounter();
  c.push(Buffer.from('Received: a\r\n'));
  assert.equal(c.headerDone, false);
  c.push(Buffer.from('\r\nbody'));
  assert.equal(c.headerDone, true);
});
