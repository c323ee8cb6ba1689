import test from 'node:test';
import assert from 'node:assert/strict';
import { downgradeTo7bit } from './downgrade.js';
import { parts } from './index.js';

const BOUNDARY = '=_pr0p3rty_b0und4ry';

async function run(msg: Buffer, cuts: readonly number[]): Promise<Buffer> {
  const src: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    const to = Math.min(c, msg.length);
    if (to > at) src.push(msg.subarray(at, to));
    at = Math.max(at, to);
  }
  src.push(msg.subarray(at));
  const out: Buffer[] = [];
  for await (const c of downgradeTo7bit(src)) out.push(c);
  return Buffer.concat(out);
}

function sevenBitProblem(out: Buffer): string | null {
  let lineStart = 0;
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!;
    if (b >= 0x80 || b === 0) return `octet ${b} at ${i}`;
    if (b === 0x0d && out[i + 1] !== 0x0a) return `bare CR at ${i}`;
    if (b === 0x0a) {
      if (out[i - 1] !== 0x0d) return `bare LF at ${i}`;
      if (i - 1 - lineStart > 998) return `long line at ${lineStart}`;
      lineStart = i + 1;
    }
  }
  return out.length - lineStart > 998 ? 'long last line' : null;
}

async function decodedLeaves(msg: Buffer): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const p of parts([msg])) {
    const chunks: Buffer[] = [];
    for await (const c of p.body) chunks.push(c as Buffer);
    if (p.node.kind === 'leaf') out.push(Buffer.concat(chunks));
  }
  return out;
}

interface PartSpec {
  text: boolean;
  cte: '8bit' | 'binary' | '7bit' | null;
  body: Buffer;
}

function entity(p: PartSpec): Buffer {
  let head = p.text ? 'Content-Type: text/plain; charset=utf-8\r\n' : 'Content-Type: application/octet-stream\r\n';
  if (p.cte !== null) head += `Content-Transfer-Encoding: ${p.cte}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`), p.body]);
}

test('downgradeTo7bit: random 8-bit bodies decode to what went in, and the output is 7-bit, for any chunking', async () => {
  const fc = (await import('fast-check')).default;
  // A text line: any octet but CR and LF (so its line breaks are CRLF, as RFC 2046 §4.1.1 text has them).
  const textLine = fc.uint8Array({ maxLength: 1200, size: 'max' }).map((a) => Buffer.from(a.filter((b) => b !== 0x0d && b !== 0x0a)));
  const textBody = fc
    .tuple(fc.array(textLine, { maxLength: 6 }), fc.boolean())
    .map(([lines, crlf]) => Buffer.from(Buffer.concat(lines.flatMap((l, i) => (i === 0 ? [l] : [Buffer.from('\r\n'), l]))).toString('latin1') + (crlf ? '\r\n' : ''), 'latin1'));
  const utf8Body = fc.string({ unit: 'grapheme', maxLength: 300, size: 'max' }).map((s) => Buffer.from(s.replace(/\r\n|\r|\n/g, '\r\n'), 'utf8'));
  const cte = fc.constantFrom<PartSpec['cte']>('8bit', 'binary', '7bit', null);
  const part = fc.oneof(
    fc.record({ text: fc.constant(true), cte, body: fc.oneof(textBody, utf8Body) }),
    fc.record({ text: fc.constant(false), cte, body: fc.uint8Array({ maxLength: 3000, size: 'max' }).map((a) => Buffer.from(a)) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.array(fc.nat(8000), { maxLength: 6 }), async (specs, multipart, cuts) => {
      const list = multipart ? specs : specs.slice(0, 1);
      const msg = multipart
        ? Buffer.concat([
            Buffer.from(`MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${BOUNDARY}"\r\n\r\n`),
            ...list.flatMap((p) => [Buffer.from(`--${BOUNDARY}\r\n`), entity(p), Buffer.from('\r\n')]),
            Buffer.from(`--${BOUNDARY}--\r\n`),
          ])
        : Buffer.concat([Buffer.from('MIME-Version: 1.0\r\n'), entity(list[0]!)]);
      const out = await run(msg, cuts);
      assert.equal(sevenBitProblem(out), null);
      assert.ok(out.equals(await run(msg, [])), 'the output does not depend on the chunking');
      const got = await decodedLeaves(out);
      assert.equal(got.length, list.length);
      list.forEach((p, i) => assert.ok(got[i]!.equals(p.body), `part ${i + 1} decodes to its input`));
    }),
    // Shrinking large byte arrays can take minutes: a failure is reported after a minute at most.
    { numRuns: 300, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
  );
});
