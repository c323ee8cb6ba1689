import test from 'node:test';
import assert from 'node:assert/strict';
import { parseMessageBuffer } from './message.js';
import { readReport } from './report.js';
import { composeMessageBuffer } from './build/index.js';

// The shape Postfix's bounce daemon sends (RFC 3464), written by hand.
const postfixBounce = [
  'Return-Path: <>',
  'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)',
  'Subject: Undelivered Mail Returned to Sender',
  'To: alice@example.org',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status;',
  '\tboundary="4B1A2C3D.1764157841/mx.example.net"',
  '',
  'This is a MIME-encapsulated message.',
  '',
  '--4B1A2C3D.1764157841/mx.example.net',
  'Content-Description: Notification',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'I\'m sorry to have to inform you that your message could not',
  'be delivered to one or more recipients.',
  '',
  '--4B1A2C3D.1764157841/mx.example.net',
  'Content-Description: Delivery report',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mx.example.net',
  'X-Postfix-Queue-ID: 4B1A2C3D',
  'Arrival-Date: Thu, 26 Nov 2026 11:50:41 +0000 (UTC)',
  '',
  'Final-Recipient: rfc822; nobody@example.net',
  'Original-Recipient: rfc822;nobody@example.net',
  'Action: failed',
  'Status: 5.1.1',
  'Diagnostic-Code: X-Postfix; unknown user: "nobody"',
  '',
  '--4B1A2C3D.1764157841/mx.example.net',
  'Content-Description: Undelivered Message Headers',
  'Content-Type: text/rfc822-headers',
  '',
  'From: alice@example.org',
  'To: nobody@example.net',
  'Subject: hello',
  'Message-ID: <orig-1@example.org>',
  '',
  '--4B1A2C3D.1764157841/mx.example.net--',
  '',
].join('\n');

test('readReport recognizes a Postfix bounce and reads its per-message and per-recipient fields', () => {
  const r = readReport(parseMessageBuffer(postfixBounce));
  assert.ok(r);
  assert.equal(r.reportType, 'delivery-status');
  assert.equal(r.fields['reporting-mta'], 'dns; mx.example.net');
  assert.equal(r.recipients.length, 1);
  assert.equal(r.recipients[0]!['final-recipient'], 'rfc822; nobody@example.net');
  assert.equal(r.recipients[0]!['status'], '5.1.1');
  assert.equal(r.recipients[0]!['action'], 'failed');
  assert.match(r.text ?? '', /could not\nbe delivered/);
  assert.equal(r.original?.get('message-id'), '<orig-1@example.org>');
  assert.deepEqual(r.problems, []);
});

test('readReport reads a DSN built by our composer, with the returned message', async () => {
  const original = Buffer.from('From: a@x.test\r\nTo: b@y.test\r\nSubject: orig\r\nMessage-ID: <o@x.test>\r\n\r\nbody\r\n');
  const raw = await composeMessageBuffer({
    from: { name: 'Mail Delivery System', address: 'mailer-daemon@x.test' },
    to: ['a@x.test'],
    subject: 'Delivery Status Notification (Failure)',
    report: {
      reportType: 'delivery-status',
      human: 'Your message could not be delivered.',
      fields: [
        [['Reporting-MTA', 'dns; x.test']],
        [
          ['Final-Recipient', 'rfc822; b@y.test'],
          ['Action', 'failed'],
          ['Status', '5.1.1'],
        ],
      ],
      original: { content: original },
    },
  });
  const r = readReport(parseMessageBuffer(raw));
  assert.ok(r);
  assert.equal(r.reportType, 'delivery-status');
  assert.equal(r.recipients[0]!['status'], '5.1.1');
  assert.equal(r.original?.get('message-id'), '<o@x.test>');
  assert.match(r.text ?? '', /could not be delivered/);
});

test('readReport returns undefined for an ordinary message', () => {
  assert.equal(readReport(parseMessageBuffer('Subject: hi\r\n\r\nx')), undefined);
});

test('readReport recognizes a read receipt (MDN, RFC 8098)', () => {
  const mdn = [
    'Content-Type: multipart/report; report-type=disposition-notification; boundary=m',
    '',
    '--m',
    'Content-Type: text/plain',
    '',
    'Your message was displayed.',
    '--m',
    'Content-Type: message/disposition-notification',
    '',
    'Reporting-UA: mail.example.org; Postroom',
    'Final-Recipient: rfc822; bob@example.org',
    'Original-Message-ID: <o@x.test>',
    'Disposition: manual-action/MDN-sent-manually; displayed',
    '',
    '--m--',
  ].join('\r\n');
  const r = readReport(parseMessageBuffer(mdn));
  assert.equal(r?.reportType, 'disposition-notification');
  assert.equal(r?.fields['original-message-id'], '<o@x.test>');
  assert.equal(r?.fields['disposition'], 'manual-action/MDN-sent-manually; displayed');
  assert.deepEqual(r?.recipients, []);
});
