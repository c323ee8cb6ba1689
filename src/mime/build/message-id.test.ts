import test from 'node:test';
import assert from 'node:assert/strict';
import { parseMessageIds } from '../header-values/index.js';
import { createBoundary, generateMessageId, normalizeMessageId } from './index.js';
import { messageIdDomain, randomBase32 } from './message-id.js';
import { mediaTypeFor } from './media-types.js';

test('generateMessageId returns <random.time@domain> that parses back and differs each time', () => {
  const a = generateMessageId('example.org', new Date(0));
  assert.match(a, /^<[a-z2-7]{16}\.a@example\.org>$/);
  assert.notEqual(generateMessageId('example.org'), generateMessageId('example.org'));
  assert.deepEqual(parseMessageIds(a), [a.slice(1, -1)]);
  assert.match(generateMessageId('bücher.example'), /@xn--bcher-kva\.example>$/);
  assert.throws(() => generateMessageId('[10.0.0.1]'), /not a host name/);
  assert.equal(messageIdDomain('Mail.Example'), 'mail.example');
});

test('createBoundary has "=_" and 24 random base32 characters within RFC 2046 §5.1.1 limits', () => {
  const b = createBoundary();
  assert.match(b, /^----=_Part_[A-Z2-7]{24}$/);
  assert.notEqual(createBoundary(), b);
  assert.match(createBoundary('=_Postroom_'), /^=_Postroom_[A-Z2-7]{24}$/);
  assert.throws(() => createBoundary('no-marker'), /must contain "=_"/);
  assert.throws(() => createBoundary('=_' + 'x'.repeat(50)), /too long/);
  assert.equal(randomBase32(8).length, 8);
});

test('normalizeMessageId adds angle brackets and refuses ids that are not left@right', () => {
  assert.equal(normalizeMessageId('abc@example.org'), '<abc@example.org>');
  assert.equal(normalizeMessageId('<abc@example.org>'), '<abc@example.org>');
  for (const bad of ['abc', 'a b@c', '<a@b', 'a@b>x', '@b', 'a@', 'é@b']) assert.throws(() => normalizeMessageId(bad), /Cannot use message id/, bad);
  assert.equal(normalizeMessageId('é@b', { utf8: true }), '<é@b>');
});

test('mediaTypeFor maps common extensions and falls back to application/octet-stream', () => {
  assert.equal(mediaTypeFor('Photo.JPG'), 'image/jpeg');
  assert.equal(mediaTypeFor('report.pdf'), 'application/pdf');
  assert.equal(mediaTypeFor('data.bin'), 'application/octet-stream');
  assert.equal(mediaTypeFor('README'), 'application/octet-stream');
  assert.equal(mediaTypeFor(undefined), 'application/octet-stream');
});
