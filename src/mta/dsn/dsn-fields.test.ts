import test from 'node:test';
import assert from 'node:assert/strict';
import type { RcptResult } from '../../store/index.js';
import {
  asciiText,
  diagnosticCode,
  dsnAddress,
  dsnMessageFields,
  dsnRecipientFields,
  dsnStatus,
  envelopeId,
  orcptAddress,
  originalRecipient,
  remoteMtaName,
  resultText,
} from './dsn-fields.js';
import { accepted, ARRIVED, need, NOW, queued, tryLater, userUnknown } from '../../testing/dsn-kit.js';

const failed = (code: number, enhanced?: string): RcptResult => ({ rcpt: 'b@y.test', outcome: 'failed', code, ...(enhanced ? { enhanced } : {}), text: 'x' });

test('dsn-fields TSDoc examples', () => {
  assert.equal(asciiText('User\r\n unknown: Zoë'), 'User unknown: Zo?');
  assert.equal(dsnAddress('b@y.test'), 'rfc822; b@y.test');
  assert.equal(dsnAddress('zoë@y.test'), 'utf-8; zo\\x{EB}@y.test');
  assert.equal(originalRecipient('rfc822;B+tag@y.test'), 'rfc822; B+tag@y.test');
  assert.equal(orcptAddress('rfc822;a@x.test'), 'a@x.test');
  assert.equal(envelopeId('QQ314159'), 'QQ314159');
  assert.equal(envelopeId('ü'), '+C3+BC');
  assert.equal(dsnStatus('failed', userUnknown('b@y.test')), '5.1.1');
  assert.equal(dsnStatus('delivered', { rcpt: 'b@y.test', outcome: 'delivered', reply: '250 Ok' }), '2.0.0');
  assert.equal(remoteMtaName('mx.y.test[192.0.2.1]'), 'mx.y.test');
  assert.equal(resultText(userUnknown('b@y.test')), '550 5.1.1 User unknown');
  assert.equal(diagnosticCode(userUnknown('b@y.test', 'mx.y.test')), 'smtp; 550 5.1.1 User unknown');
});

const statusCases: [Parameters<typeof dsnStatus>[0], RcptResult, string][] = [
  ['failed', failed(550, '5.1.1'), '5.1.1'],
  ['failed', failed(550), '5.0.0'],
  ['failed', failed(554, '5.4.7'), '5.4.7'],
  ['failed', failed(451, '4.4.1'), '5.4.1'], // the class follows the Action (RFC 3463 §3.1)
  ['failed', failed(550, 'bogus'), '5.0.0'],
  ['delayed', tryLater('b@y.test'), '4.4.1'],
  ['delayed', { rcpt: 'b@y.test', outcome: 'deferred', code: 451, text: 'later' }, '4.0.0'],
  ['delivered', accepted('b@y.test'), '2.0.0'],
  ['relayed', { rcpt: 'b@y.test', outcome: 'delivered', reply: '250 2.6.0 Message accepted' }, '2.6.0'],
  ['expanded', { rcpt: 'b@y.test', outcome: 'delivered', reply: '250 Delivered' }, '2.0.0'],
];
for (const [kind, result, want] of statusCases) {
  test(`dsnStatus(${kind}, ${JSON.stringify(result.outcome === 'delivered' ? result.reply : result.enhanced ?? result.code)}) is ${want}`, () => {
    assert.equal(dsnStatus(kind, result), want);
  });
}

test('dsnAddress escapes +, = and \\ of a non-ASCII address and keeps other ASCII (RFC 6533 §3 QCHAR)', () => {
  assert.equal(dsnAddress('a+b=ü@y.test'), 'utf-8; a\\x{2B}b\\x{3D}\\x{FC}@y.test');
  assert.equal(dsnAddress('用户@例子.test'), 'utf-8; \\x{7528}\\x{6237}@\\x{4F8B}\\x{5B50}.test');
});

test('originalRecipient keeps the address type and refuses a malformed ORCPT', () => {
  assert.equal(originalRecipient('RFC822;a@x.test'), 'rfc822; a@x.test');
  assert.equal(originalRecipient('x-local;ann'), 'x-local; ann');
  assert.equal(originalRecipient('no-semicolon'), undefined);
  assert.equal(originalRecipient(';a@x.test'), undefined);
  assert.equal(originalRecipient('rfc822;'), undefined);
});

test('envelopeId xtext-encodes control characters and spaces at the ends, and keeps printable ASCII', () => {
  assert.equal(envelopeId('a b+c'), 'a b+c');
  assert.equal(envelopeId('a\r\nb'), 'a+0D+0Ab');
  assert.equal(envelopeId(' x'), '+20x');
});

test('asciiText cuts long text at 900 characters', () => {
  const t = asciiText('word '.repeat(400));
  assert.equal(t.length, 900);
  assert.ok(t.endsWith('...'));
});

test('diagnosticCode is smtp for a remote reply, X-Postroom for our own reason, and absent for a bare local success', () => {
  assert.equal(diagnosticCode(userUnknown('b@y.test')), 'X-Postroom; User unknown');
  assert.equal(diagnosticCode(accepted('b@y.test', 'mx.y.test')), 'smtp; 250 2.0.0 Ok: queued as 4XyZ');
  assert.equal(diagnosticCode({ rcpt: 'b@y.test', outcome: 'delivered', reply: '250 2.0.0 Delivered to 1 mailbox' }), 'X-Postroom; Delivered to 1 mailbox');
  assert.equal(diagnosticCode({ rcpt: 'b@y.test', outcome: 'delivered', reply: '250' }), undefined);
  assert.equal(diagnosticCode({ ...userUnknown('b@y.test', 'mx'), text: 'Nope\r\n550-5.1.1 ünknown' }), 'smtp; 550 5.1.1 Nope 550-5.1.1 ?nknown');
});

test('remoteMtaName takes the host of name[ip] and name[ip]:port forms and keeps a bare literal', () => {
  assert.equal(remoteMtaName('mx.y.test'), 'mx.y.test');
  assert.equal(remoteMtaName('mx.y.test[2001:db8::1]:25'), 'mx.y.test');
  assert.equal(remoteMtaName('[192.0.2.1]'), '[192.0.2.1]');
});

test('dsnMessageFields writes Reporting-MTA, Original-Envelope-Id when given, the queue id and Arrival-Date', async () => {
  const { item } = await queued({ env: { envid: 'ENV-7' } });
  assert.deepEqual(dsnMessageFields(item, { reportingMta: 'mx.x.test', now: NOW, lifetimeMs: 86_400_000, tzOffsetMinutes: 60 }), [
    ['Reporting-MTA', 'dns; mx.x.test'],
    ['Original-Envelope-Id', 'ENV-7'],
    ['X-Postroom-Queue-ID', item.id],
    ['Arrival-Date', 'Sun, 01 Mar 2026 09:00:00 +0100'],
  ]);
  const plain = await queued();
  assert.deepEqual(
    dsnMessageFields(plain.item, { reportingMta: 'mx.x.test', now: NOW, lifetimeMs: 1 }).map(([n]) => n),
    ['Reporting-MTA', 'X-Postroom-Queue-ID', 'Arrival-Date'],
  );
});

test('dsnRecipientFields writes the RFC 3464 §2.3 fields, Will-Retry-Until only for a delayed recipient', async () => {
  const { item } = await queued({ rcpts: [{ address: 'bob@y.test', orcpt: 'rfc822;bob@y.test' }, 'carl@y.test'] });
  const o = { reportingMta: 'mx.x.test', now: NOW, lifetimeMs: 5 * 86_400_000 };
  assert.deepEqual(dsnRecipientFields(need(item, 'delayed', tryLater('bob@y.test')), o), [
    ['Original-Recipient', 'rfc822; bob@y.test'],
    ['Final-Recipient', 'rfc822; bob@y.test'],
    ['Action', 'delayed'],
    ['Status', '4.4.1'],
    ['Remote-MTA', 'dns; mx.y.test'],
    ['Diagnostic-Code', 'smtp; 451 4.4.1 Connection timed out'],
    ['Last-Attempt-Date', 'Sun, 01 Mar 2026 12:30:00 +0000'],
    ['Will-Retry-Until', 'Fri, 06 Mar 2026 08:00:00 +0000'],
  ]);
  assert.equal(ARRIVED.getTime() + o.lifetimeMs, new Date('2026-03-06T08:00:00Z').getTime());
  assert.deepEqual(dsnRecipientFields(need(item, 'failed', userUnknown('carl@y.test')), o), [
    ['Final-Recipient', 'rfc822; carl@y.test'],
    ['Action', 'failed'],
    ['Status', '5.1.1'],
    ['Diagnostic-Code', 'X-Postroom; User unknown'],
    ['Last-Attempt-Date', 'Sun, 01 Mar 2026 12:30:00 +0000'],
  ]);
});
