import test from 'node:test';
import assert from 'node:assert/strict';
import { deliveryTrace, receivedField, traceFields } from './trace.js';
import { deliveryId } from './local.js';

const base = {
  sender: 'ann@x.test',
  deliveredTo: 'bob@y.test',
  rcpt: 'Bobby@y.test',
  helo: 'client.x.test',
  ip: '192.0.2.7',
  hostname: 'mx.y.test',
  protocol: 'ESMTPS',
  queueId: 'Q123',
  date: new Date('2026-03-04T05:06:07Z'),
};

test('traceFields writes Return-Path, Delivered-To and an RFC 5321 §4.4 Received line with CRLF', () => {
  assert.equal(
    traceFields(base).toString(),
    'Return-Path: <ann@x.test>\r\nDelivered-To: bob@y.test\r\n' +
      'Received: from client.x.test (192.0.2.7 [192.0.2.7])\r\n\tby mx.y.test with ESMTPS id Q123\r\n' +
      '\tfor <Bobby@y.test>; Wed, 04 Mar 2026 05:06:07 +0000\r\n',
  );
});

test('traceFields writes <> for the null sender, the PTR name when known, and IPv6 literals', () => {
  const t = traceFields({ ...base, sender: '', ip: '2001:db8::1', ptr: 'host.x.test' }).toString();
  assert.match(t, /^Return-Path: <>\r\n/);
  assert.match(t, /from client\.x\.test \(host\.x\.test \[IPv6:2001:db8::1\]\)/);
});

test('traceFields strips control characters a hostile HELO could use to add a field', () => {
  const t = traceFields({ ...base, helo: 'evil\r\nX-Injected: yes' }).toString();
  assert.equal(t.split('\r\n').filter((l) => l.startsWith('X-Injected')).length, 0);
  assert.equal(t.split('\r\n').length, 6);
});

test('receivedField is the relay trace: no for clause without one recipient, and the example in its doc holds', () => {
  const { sender: _s, deliveredTo: _d, rcpt: _r, ...relay } = base;
  assert.equal(
    receivedField(relay),
    'Received: from client.x.test (192.0.2.7 [192.0.2.7])\r\n\tby mx.y.test with ESMTPS id Q123; Wed, 04 Mar 2026 05:06:07 +0000\r\n',
  );
  assert.match(receivedField({ ...relay, rcpt: 'b@y.test' }), /id Q123\r\n\tfor <b@y\.test>; Wed/);
  assert.equal(
    receivedField({ helo: 'c.test', ip: '192.0.2.1', hostname: 'mx.y.test', protocol: 'ESMTP', queueId: 'Q1', date: new Date(0) }),
    'Received: from c.test (192.0.2.1 [192.0.2.1])\r\n\tby mx.y.test with ESMTP id Q1; Thu, 01 Jan 1970 00:00:00 +0000\r\n',
  );
});

test('deliveryTrace writes the trace fields of a received envelope, as traceFields does from its parts', () => {
  const env = { from: 'ann@x.test', client: { helo: 'client.x.test', ip: '192.0.2.7', tls: true, protocol: 'ESMTPS' } };
  const got = deliveryTrace(env, { queueId: 'Q123', rcpt: 'Bobby@y.test', deliveredTo: 'bob@y.test', hostname: 'mx.y.test', date: base.date });
  assert.deepEqual(got, traceFields(base));
  assert.equal(deliveryId('Q1', 'ann@example.org'), 'Q1:ann@example.org');
});
