import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeXtext, encodeXtext } from './xtext.js';

const pairs: [string, string][] = [
  ['abc', 'abc'],
  ['a+b', 'a+2Bb'],
  ['a=b c', 'a+3Db+20c'],
  ['rfc822;bob@y.example', 'rfc822;bob@y.example'],
  ['é', '+C3+A9'],
];
for (const [text, xtext] of pairs) {
  test(`encodeXtext(${JSON.stringify(text)}) and decodeXtext reverse each other`, () => {
    assert.equal(encodeXtext(text), xtext);
    assert.equal(decodeXtext(xtext), text);
  });
}

for (const bad of ['a+2b', 'a+', 'a+G0', 'a=b', 'a b', 'a\u00e9']) {
  test(`decodeXtext(${JSON.stringify(bad)}) is null`, () => assert.equal(decodeXtext(bad), null));
}
