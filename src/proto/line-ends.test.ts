import test from 'node:test';
import assert from 'node:assert/strict';
import { LineEndScanner } from './line-ends.js';

function scan(chunks: string[], normalize: boolean) {
  const s = new LineEndScanner(normalize);
  const out = chunks.map((c) => s.push(Buffer.from(c, 'latin1')).toString('latin1')).join('') + s.end().toString('latin1');
  return { out, bare: s.bareNewline };
}

test('LineEndScanner passes CRLF text unchanged, also split between chunks', () => {
  assert.deepEqual(scan(['a\r', '\nb\r\n'], false), { out: 'a\r\nb\r\n', bare: false });
});

test('LineEndScanner reports bare LF, bare CR and a final CR', () => {
  assert.equal(scan(['a\nb'], false).bare, true);
  assert.equal(scan(['a\rb'], false).bare, true);
  assert.equal(scan(['a\r'], false).bare, true);
  assert.deepEqual(scan(['a\nb'], false).out, 'a\nb');
});

test('LineEndScanner with normalize turns bare CR and LF into CRLF across chunks', () => {
  assert.deepEqual(scan(['a\n', 'b\r', 'c\r', '\r\n', 'd\r'], true), { out: 'a\r\nb\r\nc\r\n\r\nd\r\n', bare: true });
});

test('LineEndScanner agrees with a byte-at-a-time reference for any chunking', async () => {
  const fc = (await import('fast-check')).default;
  const reference = (text: string, normalize: boolean) => {
    let out = '';
    let bare = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\r' && text[i + 1] !== '\n') (bare = true), (out += normalize ? '\r\n' : '\r');
      else if (c === '\n' && text[i - 1] !== '\r') (bare = true), (out += normalize ? '\r\n' : '\n');
      else out += c;
    }
    return { out, bare };
  };
  fc.assert(
    fc.property(fc.stringMatching(/^[\r\na]{0,30}$/), fc.array(fc.nat(30), { maxLength: 4 }), fc.boolean(), (text, cuts, normalize) => {
      const points = [...new Set([0, ...cuts.filter((c) => c < text.length), text.length])].sort((a, b) => a - b);
      const chunks = points.slice(1).map((p, k) => text.slice(points[k], p));
      assert.deepEqual(scan(chunks, normalize), reference(text, normalize));
    }),
    { numRuns: 2000 },
  );
});
