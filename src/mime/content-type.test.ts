import test from 'node:test';
import assert from 'node:assert/strict';
import { parseHeaderBlock } from './header.js';
import { contentTypeOf } from './content-type.js';

const cases: [string, string | undefined, string, Record<string, string>][] = [
  ['', undefined, 'text/plain', { charset: 'us-ascii' }],
  ['', 'digest', 'message/rfc822', {}],
  ['Content-Type: TEXT/HTML; Charset="UTF-8"', undefined, 'text/html', { charset: 'UTF-8' }],
  ['Content-Type: text; charset=euc-kr', undefined, 'text/plain', { charset: 'euc-kr' }],
  ['Content-Type: multipart/mixed;\r\n boundary="----=_Part_1"', undefined, 'multipart/mixed', { boundary: '----=_Part_1' }],
  ['Content-Type: garbage', undefined, 'text/plain', { charset: 'us-ascii' }],
  ['Content-Type: image/png; name*=utf-8\'\'%ED%95%9C.png', undefined, 'image/png', { name: '한.png' }],
];

for (const [field, parent, mime, params] of cases) {
  test(`contentTypeOf(${JSON.stringify(field)}, ${parent}) is ${mime}`, () => {
    const { header } = parseHeaderBlock(Buffer.from(field ? `${field}\r\n` : '', 'utf8'));
    const { type } = contentTypeOf(header, parent);
    assert.equal(type.mime, mime);
    for (const [k, v] of Object.entries(params)) assert.equal(type.params[k], v);
  });
}

test('contentTypeOf uses the first of two Content-Type fields and records a problem', () => {
  const { header } = parseHeaderBlock(Buffer.from('Content-Type: text/html\r\nContent-Type: text/plain\r\n'));
  const { type, problems } = contentTypeOf(header, undefined);
  assert.equal(type.mime, 'text/html');
  assert.match(problems.join(), /2 Content-Type fields/);
});
