import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMessageBuffer } from '../message.js';
import { composeMessageBuffer, type AttachmentInput, type ComposeInput } from './index.js';

/** Header text as people type it: any Unicode except CR, LF, NUL; no outer whitespace (readers trim it). */
const headerText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', maxLength }).map((s) => s.replace(/[\r\n\0]/g, '').trim());
/** Body text; a leading U+FEFF is left out because readers drop it as a byte order mark. */
const bodyText = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 990, maxLength: 2500 }), // lines over 998 octets
  )
  .map((s) => s.replace(/^\ufeff+/, ''));
const mailbox = fc.record({ name: headerText(30), address: fc.emailAddress() }, { noNullPrototype: true }).filter((m) => m.name !== m.address);
const attachment: fc.Arbitrary<AttachmentInput> = fc.oneof(
  fc.record({ filename: headerText(60).filter((f) => f !== ''), content: fc.uint8Array({ maxLength: 3000 }) }),
  fc.record({ filename: headerText(20).map((f) => `${f}.txt`), content: fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a)) }),
  fc.record({ filename: headerText(20).map((f) => `${f}.txt`), content: fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s)) }),
  fc.record(
    { filename: headerText(20).map((f) => `${f}.png`), content: fc.uint8Array({ maxLength: 200 }), description: headerText(100) },
    { noNullPrototype: true },
  ),
);
const message = fc.record(
  {
    from: mailbox,
    to: fc.array(mailbox, { minLength: 1, maxLength: 3 }),
    cc: fc.array(mailbox, { maxLength: 2 }),
    subject: headerText(120),
    text: bodyText,
    html: bodyText,
    attachments: fc.array(attachment, { maxLength: 4 }),
    headers: fc.array(fc.tuple(fc.constantFrom('X-Note', 'Comments', 'Keywords'), headerText(90)), { maxLength: 2 }),
  },
  { requiredKeys: ['from', 'to', 'subject', 'attachments'], noNullPrototype: true },
);

/** Asserts RFC 5322 §2.1 / RFC 2045 §2.7: CRLF only, lines ≤ 998 octets, no NUL, and (7-bit) no byte ≥ 0x80. */
function assertWireSafe(raw: Buffer, sevenBit: boolean): void {
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (sevenBit && b >= 0x80) assert.fail(`8-bit byte 0x${b.toString(16)} at ${i}`);
    if (b === 0) assert.fail(`NUL at ${i}`);
    if (b === 0x0d && raw[i + 1] !== 0x0a) assert.fail(`bare CR at ${i}`);
    if (b === 0x0a) {
      if (raw[i - 1] !== 0x0d) assert.fail(`bare LF at ${i}`);
      assert.ok(i - 1 - start <= 998, `line of ${i - 1 - start} octets at ${start}`);
      start = i + 1;
    }
  }
  assert.equal(start, raw.length, 'the message ends with CRLF');
}

test('composeMessageBuffer in 7bit mode writes only ASCII, CRLF lines of at most 998 octets', async () => {
  await fc.assert(
    fc.asyncProperty(message, async (input) => {
      assertWireSafe(await composeMessageBuffer(input as ComposeInput), true);
    }),
    { numRuns: 300 },
  );
});

test('composeMessageBuffer in 8bitmime and smtputf8 modes writes CRLF lines of at most 998 octets', async () => {
  await fc.assert(
    fc.asyncProperty(message, fc.constantFrom('8bitmime' as const, 'smtputf8' as const), async (input, mode) => {
      assertWireSafe(await composeMessageBuffer({ ...(input as ComposeInput), mode }), false);
    }),
    { numRuns: 200 },
  );
});

test('composeMessageBuffer output parses back to the same subject, addresses, bodies and attachments', async () => {
  await fc.assert(
    fc.asyncProperty(message, fc.constantFrom('7bit' as const, '8bitmime' as const, 'smtputf8' as const), async (input, mode) => {
      const m = parseMessageBuffer(await composeMessageBuffer({ ...(input as ComposeInput), mode }));
      assert.equal(m.subject, input.subject);
      assert.deepEqual(m.from, input.from);
      assert.deepEqual(m.to, input.to);
      assert.deepEqual(m.cc, input.cc ?? []);
      // A single-part message gets a final CRLF (a message ends with a line break); a multipart adds none.
      const single = input.attachments.length === 0 && (input.text === undefined || input.html === undefined);
      const expected = (s: string | undefined): string | undefined => {
        const c = s?.replace(/\r\n|\r|\n/g, '\r\n');
        return c === undefined || c === '' || c.endsWith('\r\n') || !single ? c : c + '\r\n';
      };
      const noBody = input.text === undefined && input.html === undefined && input.attachments.length === 0;
      assert.equal(m.text, noBody ? '' : expected(input.text));
      assert.equal(m.html, expected(input.html));
      assert.deepEqual(
        m.attachments.map((a) => [a.filename, a.content.toString('hex')]),
        input.attachments.map((a) => [a.filename, Buffer.from(a.content as Uint8Array).toString('hex')]),
      );
      // Raw 8-bit bytes in a .txt file that are not UTF-8 have no charset to declare; readers note that, rightly.
      assert.deepEqual(m.problems.filter((p) => !p.includes('No charset declared')), []);
    }),
    { numRuns: 300 },
  );
});
