import test from 'node:test';
import assert from 'node:assert/strict';
import { dsnSubject, dsnTemplate, dsnText, recipientLine, SUBJECT_DELAYED, SUBJECT_FAILED, SUBJECT_SUCCESS } from './dsn-text.js';
import { accepted, need, NOW, queued, tryLater, userUnknown } from '../../testing/dsn-kit.js';

const base = { reportingMta: 'mx.x.test', postmaster: 'postmaster@mx.x.test', now: NOW, lifetimeMs: 5 * 86_400_000, maxFullBytes: 50_000 };

test('dsn-text TSDoc examples', async () => {
  assert.equal(dsnTemplate(['delivered', 'failed']), 'failed');
  assert.equal(dsnTemplate(['relayed', 'expanded']), 'success');
  assert.equal(dsnSubject(['delayed']), 'Delayed Mail (still being retried)');
  const { item } = await queued({ rcpts: ['b@y.test'] });
  const line = recipientLine(need(item, 'failed', userUnknown('b@y.test', 'mx.y.test[192.0.2.1]')));
  assert.equal(line, '<b@y.test>: host mx.y.test[192.0.2.1] said: 550 5.1.1 User unknown');
  const text = dsnText([need(item, 'failed', userUnknown('b@y.test'))], base);
  assert.ok(text.startsWith("This is the mail system at host mx.x.test.\n\nI'm sorry to have to inform you"));
});

const subjects: [Parameters<typeof dsnSubject>[0], string][] = [
  [['failed'], SUBJECT_FAILED],
  [['delayed'], SUBJECT_DELAYED],
  [['delivered'], SUBJECT_SUCCESS],
  [['relayed'], SUBJECT_SUCCESS],
  [['expanded'], SUBJECT_SUCCESS],
  [['delivered', 'delayed'], SUBJECT_DELAYED],
  [['delayed', 'failed', 'delivered'], SUBJECT_FAILED],
];
for (const [kinds, want] of subjects) {
  test(`dsnSubject(${kinds.join('+')}) is "${want}" (Postfix's templates)`, () => assert.equal(dsnSubject(kinds), want));
}

test('dsnText of a delay notice says how long the message waited and how long it is retried', async () => {
  const { item } = await queued({ rcpts: ['b@y.test'] });
  const text = dsnText([need(item, 'delayed', tryLater('b@y.test'))], {
    ...base,
    returned: { kind: 'headers', content: Buffer.from('A: 1\r\n'), reason: 'ret', cut: false },
  });
  assert.match(text, /# THIS IS A WARNING ONLY\. {2}YOU DO NOT NEED TO RESEND YOUR MESSAGE\. #/);
  assert.match(text, /Your message could not be delivered for more than 4 hours\.\nIt will be retried until it is 5 days old\./);
  assert.match(text, /The header of your message is attached below\./);
  assert.match(text, /<b@y\.test>: host mx\.y\.test\[192\.0\.2\.1\] said: 451 4\.4\.1 Connection timed out/);
  const soon = dsnText([need(item, 'delayed', tryLater('b@y.test'))], { ...base, now: new Date(item.createdAt.getTime() + 30 * 60_000), lifetimeMs: 36 * 3_600_000 });
  assert.match(soon, /for more than 30 minutes\.\nIt will be retried until it is 1\.5 days old\./);
});

test('dsnText of a success report lists each recipient with the reply, and names the remote host', async () => {
  const { item } = await queued({ rcpts: ['b@y.test', 'c@z.test'] });
  const text = dsnText([need(item, 'delivered', accepted('b@y.test')), need(item, 'relayed', accepted('c@z.test', 'mx.z.test[192.0.2.9]'))], base);
  assert.match(text, /Your message was successfully delivered to the destination\(s\)/);
  assert.match(text, /<b@y\.test>: delivered: 250 2\.0\.0 Ok: queued as 4XyZ/);
  assert.match(text, /<c@z\.test>: delivery via mx\.z\.test\[192\.0\.2\.9\]: 250 2\.0\.0 Ok: queued as 4XyZ/);
  assert.doesNotMatch(text, /Delivery to these recipients/);
});

test('dsnText of a mixed report takes the failure template and groups recipients by Action', async () => {
  const { item } = await queued({ rcpts: ['b@y.test', 'c@y.test', 'd@y.test'] });
  const text = dsnText(
    [need(item, 'delivered', accepted('d@y.test')), need(item, 'failed', userUnknown('b@y.test')), need(item, 'delayed', tryLater('c@y.test'))],
    { ...base, returned: { kind: 'headers', content: Buffer.alloc(0), reason: 'size', cut: false } },
  );
  assert.match(text, /I'm sorry to have to inform you/);
  assert.match(text, /Your message was larger than 50000 bytes, so only its header is attached below\./);
  const order = ['failed permanently', 'delayed and still being retried', 'succeeded'].map((h) => text.indexOf(h));
  assert.ok(order.every((i, n) => i > 0 && (n === 0 || i > order[n - 1]!)), text);
});

test('recipientLine names the ORCPT address the recipient was expanded from, and strips line breaks from replies', async () => {
  const { item } = await queued({ rcpts: [{ address: 'bob@y.test', orcpt: 'rfc822;team@y.test' }, { address: 'c@y.test', orcpt: 'rfc822;C@Y.test' }] });
  assert.equal(recipientLine(need(item, 'failed', userUnknown('bob@y.test'))), '<bob@y.test> (expanded from <team@y.test>): 550 5.1.1 User unknown');
  assert.equal(recipientLine(need(item, 'failed', { ...userUnknown('c@y.test'), text: 'a\r\nb' })), '<c@y.test>: 550 5.1.1 a b');
});
