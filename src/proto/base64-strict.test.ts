import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64Strict, encodeBase64 } from './base64-strict.js';

const valid: [string, string][] = [
  ['', ''],
  ['AGFsaWNlAHNlY3JldA==', '\0alice\0secret'],
  ['VXNlcm5hbWU6', 'Username:'],
  ['YQ==', 'a'],
  ['YWI=', 'ab'],
];
for (const [input, want] of valid) {
  test(`decodeBase64Strict(${JSON.stringify(input)}) decodes`, () => {
    assert.equal(decodeBase64Strict(input)?.toString('latin1'), want);
  });
}

// Node's decoder accepts every one of these (skipping or guessing); the strict decoder refuses them.
const invalid = ['AGFsaWNl*AHNl', 'YQ', 'YQ=', 'Y Q==', 'YQ==YQ==', 'YR==', 'YWJ=', '-_8=', '====', 'YWI=\n', 'Zm9v\r\n'];
for (const input of invalid) {
  test(`decodeBase64Strict(${JSON.stringify(input)}) is null`, () => {
    assert.equal(decodeBase64Strict(input), null);
  });
}

test('encodeBase64 encodes with padding', () => {
  assert.equal(encodeBase64(Buffer.from('Username:')), 'VXNlcm5hbWU6');
  assert.equal(encodeBase64(new Uint8Array([0xff])), '/w==');
});
