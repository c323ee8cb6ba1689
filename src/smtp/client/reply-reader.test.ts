import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { buildReply, MAX_REPLY_LINE_BYTES, parseReplyLine, ReplyReader } from './reply-reader.js';
import { SmtpClientError } from './types.js';

const lines: [string, ReturnType<typeof parseReplyLine>][] = [
  ['250-PIPELINING', { code: 250, more: true, text: 'PIPELINING' }],
  ['250 OK', { code: 250, more: false, text: 'OK' }],
  ['250', { code: 250, more: false, text: '' }],
  ['354 ', { code: 354, more: false, text: '' }],
  ['550 5.1.1 No such user', { code: 550, more: false, text: '5.1.1 No such user' }],
  ['hello', null],
  ['25 OK', null],
  ['2500 OK', null],
  ['650 OK', null],
  ['260 OK', null],
  ['250_OK', null],
];
for (const [input, want] of lines) {
  test(`parseReplyLine(${JSON.stringify(input)})`, () => assert.deepEqual(parseReplyLine(input), want));
}

test('buildReply joins lines, takes out enhanced codes of the same class, and keeps the raw reply', () => {
  const r = buildReply(['550-5.1.1 No such user', '550 5.1.1 here']);
  assert.deepEqual(r, { code: 550, enhanced: '5.1.1', text: 'No such user here', lines: ['No such user', 'here'], raw: '550-5.1.1 No such user\n550 5.1.1 here' });
  assert.equal(buildReply(['451 5.1.1 class mismatch']).enhanced, undefined, 'RFC 3463: the class digit must agree');
  assert.equal(buildReply(['451 5.1.1 class mismatch']).text, '5.1.1 class mismatch');
  assert.equal(buildReply(['250 2.0.0']).text, '');
  assert.equal(buildReply(['250 2.000.0 x']).enhanced, '2.0.0');
  assert.throws(() => buildReply(['250-a', '251 b']), /code/);
  assert.throws(() => buildReply(['250 a', '250 b']), /continues/);
  assert.throws(() => buildReply([]), /no lines/);
});

test('ReplyReader.next serves pipelined replies in order, across chunk boundaries', async () => {
  const src = new PassThrough();
  const replies = new ReplyReader(src);
  const mail = replies.next('mail', 1000);
  const rcpt = replies.next('rcpt', 1000);
  const data = replies.next('data', 1000);
  src.write('250 2.1.0 OK\r\n550-5.1.1 no\r');
  src.write('\n550 5.1.1 user\r\n3');
  src.write('54 Go\r\n');
  assert.equal((await mail).code, 250);
  assert.deepEqual([(await rcpt).code, (await rcpt).text], [550, 'no user']);
  assert.equal((await data).code, 354);
});

test('ReplyReader.next times out per reply, counted from when its read starts', async () => {
  const src = new PassThrough();
  const replies = new ReplyReader(src);
  const first = replies.next('mail', 1000);
  const second = replies.next('rcpt', 150);
  setTimeout(() => src.write('250 OK\r\n'), 100); // the second's 150 ms start only now
  assert.equal((await first).code, 250);
  const started = performance.now();
  const err = await second.catch((e: unknown) => e);
  assert.ok(err instanceof SmtpClientError);
  assert.deepEqual([err.kind, err.stage], ['timeout', 'rcpt']);
  assert.ok(performance.now() - started >= 100);
});

test('ReplyReader.next refuses a line over the limit, and reports the end of the stream', async () => {
  const src = new PassThrough();
  const replies = new ReplyReader(src);
  const long = replies.next('mail', 1000);
  src.write(`250 ${'x'.repeat(MAX_REPLY_LINE_BYTES)}\r\n`);
  assert.equal(((await long.catch((e: unknown) => e)) as SmtpClientError).kind, 'protocol');
  const src2 = new PassThrough();
  const r2 = new ReplyReader(src2);
  const eof = r2.next('greeting', 1000);
  src2.end('220-partial\r\n');
  assert.equal(((await eof.catch((e: unknown) => e)) as SmtpClientError).kind, 'network');
});

test('ReplyReader.upgrade discards what was received before it (RFC 3207 §4.2)', async () => {
  const plain = new PassThrough();
  const replies = new ReplyReader(plain);
  plain.write('220 Go ahead\r\n250 injected\r\n');
  assert.equal((await replies.next('tls', 1000)).code, 220);
  const secure = new PassThrough();
  replies.upgrade(secure);
  secure.write('250-real.test\r\n250 PIPELINING\r\n');
  assert.deepEqual((await replies.next('ehlo', 1000)).lines, ['real.test', 'PIPELINING']);
});
