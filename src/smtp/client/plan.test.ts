import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BodyChunks } from './body.js';
import { parseEhlo } from './ehlo.js';
import { planTransaction } from './plan.js';
import { SmtpClientError, type ClientEnvelope } from './types.js';

const base: ClientEnvelope = { from: 'a@x.test', rcpts: [{ address: 'b@y.test' }], body: '7BIT', smtputf8: false };
const ext = (...keys: string[]) => new Map(keys.map((k) => [k.split(' ')[0]!, k.split(' ').slice(1).join(' ')]));

test('planTransaction (the TSDoc example)', () => {
  const e = new Map([['8BITMIME', ''], ['DSN', ''], ['SIZE', '1000']]);
  const p = planTransaction({ from: 'a@x.test', rcpts: [{ address: 'b@y.test', notify: ['FAILURE'] }], body: '8BITMIME', smtputf8: false, size: 10 }, e);
  assert.equal(p.mail, 'MAIL FROM:<a@x.test> SIZE=10 BODY=8BITMIME');
  assert.equal(p.rcpts[0], 'RCPT TO:<b@y.test> NOTIFY=FAILURE');
});

const cases: [string, Partial<ClientEnvelope>, string[], Partial<ReturnType<typeof planTransaction>>][] = [
  ['null sender, no extensions', { from: '' }, [], { mail: 'MAIL FROM:<>', transfer: 'DATA', pipelining: false, dsn: false, downgrade: false }],
  ['SIZE 0 means no limit', { size: 10 ** 9 }, ['SIZE 0'], { mail: `MAIL FROM:<a@x.test> SIZE=${10 ** 9}` }],
  ['CHUNKING chooses BDAT', {}, ['CHUNKING', 'PIPELINING'], { transfer: 'BDAT', pipelining: true }],
  ['8BITMIME without the extension is downgraded, no SIZE', { body: '8BITMIME', size: 5 }, ['SIZE 100'], { mail: 'MAIL FROM:<a@x.test>', downgrade: true }],
  ['BINARYMIME needs CHUNKING too', { body: 'BINARYMIME' }, ['BINARYMIME', '8BITMIME'], { mail: 'MAIL FROM:<a@x.test>', downgrade: true, binary: false }],
  ['BINARYMIME with both', { body: 'BINARYMIME' }, ['BINARYMIME', 'CHUNKING'], { mail: 'MAIL FROM:<a@x.test> BODY=BINARYMIME', downgrade: false, binary: true }],
  ['DSN parameters as xtext', { ret: 'HDRS', envid: 'a+b=c', rcpts: [{ address: 'b@y.test', orcpt: 'rfc822;b@y.test', notify: ['SUCCESS', 'DELAY'] }] }, ['DSN'], { mail: 'MAIL FROM:<a@x.test> RET=HDRS ENVID=a+2Bb+3Dc', rcpts: ['RCPT TO:<b@y.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b@y.test'], dsn: true }],
  ['SMTPUTF8 for a UTF-8 sender', { from: 'ü@x.test' }, ['SMTPUTF8'], { mail: 'MAIL FROM:<ü@x.test> SMTPUTF8' }],
];
for (const [name, over, keys, want] of cases) {
  test(`planTransaction: ${name}`, () => {
    const p = planTransaction({ ...base, ...over }, ext(...keys));
    for (const [k, v] of Object.entries(want)) assert.deepEqual(p[k as keyof typeof p], v, k);
  });
}

const refusals: [string, Partial<ClientEnvelope>, string[], string][] = [
  ['no recipients', { rcpts: [] }, [], 'envelope'],
  ['CR LF in the sender', { from: 'a@x.test>\r\nDATA' }, [], 'envelope'],
  ['NUL in a recipient', { rcpts: [{ address: 'b\0@y.test' }] }, [], 'envelope'],
  ['SMTPUTF8 not offered', { smtputf8: true }, ['8BITMIME'], 'smtputf8'],
  ['over SIZE', { size: 101 }, ['SIZE 100'], 'size'],
];
for (const [name, over, keys, kind] of refusals) {
  test(`planTransaction refuses: ${name} (kind ${kind}, permanent)`, () => {
    assert.throws(
      () => planTransaction({ ...base, ...over }, ext(...keys)),
      (e: unknown) => e instanceof SmtpClientError && e.kind === kind && !e.temporary,
    );
  });
}

test('parseEhlo (the TSDoc example) and repeated AUTH lines', () => {
  const e = parseEhlo(['mx.test Hello', 'SIZE 1000', 'auth=LOGIN', 'PIPELINING']);
  assert.deepEqual([e.get('SIZE'), e.get('AUTH'), e.get('PIPELINING')], ['1000', 'LOGIN', '']);
  assert.equal(parseEhlo(['mx', 'AUTH PLAIN LOGIN', 'AUTH=LOGIN']).get('AUTH'), 'PLAIN LOGIN LOGIN');
  assert.equal(parseEhlo(['mx', '!!bad line', '8BITMIME']).size, 1);
});

test('BodyChunks.open reads the first chunk early and hands out chunks in order (the TSDoc example)', async () => {
  const body = await BodyChunks.open(() => Readable.from([Buffer.from('Subject: hi\r\n\r\n'), '', 'Hi\r\n']), false);
  const got: string[] = [];
  for (let c; (c = await body.next()) !== null; ) got.push(c.toString());
  body.close();
  assert.deepEqual(got, ['Subject: hi\r\n\r\n', 'Hi\r\n']);
  const failing = BodyChunks.open(() => Readable.from((async function* () {
    throw new Error('EIO');
  })()), false);
  await assert.rejects(failing, (e: unknown) => e instanceof SmtpClientError && e.kind === 'body');
});
