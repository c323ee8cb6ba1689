import test from 'node:test';
import assert from 'node:assert/strict';
import { parseMailParams, parseParams, parseRcptParams } from './params.js';
import { SmtpError } from './reply.js';

const limits = { maxMessageBytes: 1000 };

test('parseParams upper-cases keywords and keeps values', () => {
  assert.deepEqual([...parseParams('size=100 SMTPUTF8  ret=hdrs')], [['SIZE', '100'], ['SMTPUTF8', null], ['RET', 'hdrs']]);
});

test('parseMailParams reads SIZE, BODY, SMTPUTF8, RET, ENVID and AUTH', () => {
  assert.deepEqual(parseMailParams('SIZE=1000 BODY=8bitmime SMTPUTF8 RET=hdrs ENVID=q+2B1 AUTH=<>', limits), {
    size: 1000,
    body: '8BITMIME',
    smtputf8: true,
    ret: 'HDRS',
    envid: 'q+1',
    requireTls: false,
  });
  assert.deepEqual(parseMailParams('', limits), { size: undefined, body: undefined, smtputf8: false, ret: undefined, envid: undefined, requireTls: false });
});

test('parseRcptParams reads NOTIFY and ORCPT', () => {
  assert.deepEqual(parseRcptParams('NOTIFY=success,FAILURE ORCPT=rfc822;b+2Bx@y.example'), { notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;b+x@y.example' });
  assert.deepEqual(parseRcptParams('NOTIFY=NEVER'), { notify: ['NEVER'], orcpt: undefined });
});

const refused: [string, () => unknown, number, string, RegExp][] = [
  ['SIZE over the limit', () => parseMailParams('SIZE=1001', limits), 552, '5.3.4', /maximum message size/],
  ['SIZE not a number', () => parseMailParams('SIZE=ten', limits), 501, '5.5.4', /SIZE requires a number/],
  ['SIZE without value', () => parseMailParams('SIZE', limits), 501, '5.5.4', /SIZE/],
  ['BODY=BINARYMIME', () => parseMailParams('BODY=BINARYMIME', limits), 555, '5.5.4', /BINARYMIME/],
  ['BODY=other', () => parseMailParams('BODY=9BIT', limits), 501, '5.5.4', /BODY/],
  ['SMTPUTF8 with a value', () => parseMailParams('SMTPUTF8=yes', limits), 501, '5.5.4', /takes no value/],
  ['RET=ALL', () => parseMailParams('RET=ALL', limits), 501, '5.5.4', /RET/],
  ['ENVID not xtext', () => parseMailParams('ENVID=a+zz', limits), 501, '5.5.4', /ENVID/],
  ['ENVID too long', () => parseMailParams(`ENVID=${'a'.repeat(101)}`, limits), 501, '5.5.4', /100/],
  ['an unknown MAIL parameter', () => parseMailParams('FOO=1', limits), 555, '5.5.4', /Unsupported parameter: FOO/],
  ['a duplicate parameter', () => parseMailParams('SIZE=1 size=2', limits), 501, '5.5.4', /duplicate/],
  ['a malformed keyword', () => parseMailParams('-X=1', limits), 501, '5.5.4', /malformed parameter/],
  ['a value with "="', () => parseMailParams('ENVID=a=b', limits), 501, '5.5.4', /malformed value/],
  ['NOTIFY=NEVER,SUCCESS', () => parseRcptParams('NOTIFY=NEVER,SUCCESS'), 501, '5.5.4', /NOTIFY/],
  ['NOTIFY repeated items', () => parseRcptParams('NOTIFY=DELAY,DELAY'), 501, '5.5.4', /NOTIFY/],
  ['ORCPT without type', () => parseRcptParams('ORCPT=bob@y.example'), 501, '5.5.4', /ORCPT/],
  ['an unknown RCPT parameter', () => parseRcptParams('SIZE=1'), 555, '5.5.4', /SIZE/],
];
for (const [name, run, code, enhanced, text] of refused) {
  test(`MAIL/RCPT parameters refuse ${name} with ${code} ${enhanced}`, () => {
    assert.throws(run, (e) => e instanceof SmtpError && e.code === code && e.enhanced === enhanced && text.test(e.message));
  });
}
