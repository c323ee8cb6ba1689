import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createQpDecoder, decodeQp } from './qp.js';

const STRAY = 'Quoted-printable body contains a stray "="';

/** Feeds `input` cut at `cuts` and checks that no returned buffer changes later (the decoder shares output slabs). */
function feed(input: Buffer, cuts: readonly number[]): { bytes: Buffer; problems: string[] } {
  const dec = createQpDecoder();
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const outs: Buffer[] = [];
  const copies: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, input.length]) {
    outs.push(dec.write(input.subarray(prev, p)));
    copies.push(Buffer.from(outs[outs.length - 1]!));
    prev = p;
  }
  outs.push(dec.end());
  copies.push(Buffer.from(outs[outs.length - 1]!));
  assert.deepEqual(Buffer.concat(outs), Buffer.concat(copies), 'an output buffer changed after it was returned');
  return { bytes: Buffer.concat(outs), problems: [...dec.problems] };
}

/** An independent model of the decoding rules, as a tokenizer over the latin1 text. */
function model(input: Buffer): { bytes: Buffer; problems: string[] } {
  const s = input.toString('latin1');
  let out = '';
  let stray = false;
  let i = 0;
  const escape = /=([0-9A-Fa-f]{2})/y;
  const soft = /=[ \t]*(\r\n|\n|\r|$)/y;
  const blanks = /[ \t]+/y;
  while (i < s.length) {
    escape.lastIndex = soft.lastIndex = blanks.lastIndex = i;
    let m: RegExpExecArray | null;
    if ((m = escape.exec(s))) {
      out += String.fromCharCode(parseInt(m[1]!, 16));
      i += 3;
    } else if ((m = soft.exec(s)) && m[0].length - m[1]!.length - 1 <= 998) {
      i += m[0].length; // soft line break, also before a bare CR or at the end
    } else if ((m = blanks.exec(s))) {
      const run = m[0];
      const next = s.slice(i + run.length);
      const atEol = next === '' || next.startsWith('\n') || next.startsWith('\r\n');
      if (!(atEol && run.length <= 998)) out += run; // RFC 2045 §6.7 rule 3
      i += run.length;
    } else {
      if (s[i] === '=') stray = true;
      out += s[i];
      i++;
    }
  }
  return { bytes: Buffer.from(out, 'latin1'), problems: stray ? [STRAY] : [] };
}

const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

test('decodeQp decodes the hand-written RFC 2045 §6.7 vectors', () => {
  const cases: [string, string][] = [
    // §6.7 rule 5, the RFC's own example of soft line breaks
    ["Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.", "Now's the time for all folk to come to the aid of their country."],
    ['=0C and =3D', '\x0c and ='], // rule 1
    ['caf=E9 =E0 la cr=e8me', 'caf\xe9 \xe0 la cr\xe8me'], // lower-case hex is accepted
    ['trailing  \t\r\nblanks \r\n', 'trailing\r\nblanks\r\n'], // rule 3: transport padding removed
    ['kept=20\r\nkept=09\r\n', 'kept \r\nkept\t\r\n'], // encoded blanks stay
    ['soft=  \t\r\nbreak', 'softbreak'], // blanks after the soft break '='
    ['lf=\nonly  \nbody\n', 'lfonly\nbody\n'], // bare LF bodies keep LF
    ['a\r\n\r\nb', 'a\r\n\r\nb'],
    ['end of body  ', 'end of body'],
    ['soft at the end=', 'soft at the end'],
    ['soft at the end=  ', 'soft at the end'],
    ['mac=\rline', 'macline'],
    ['raw 8-bit \xe9 and \x01 stay', 'raw 8-bit \xe9 and \x01 stay'],
    ['', ''],
  ];
  for (const [input, want] of cases) {
    assert.deepEqual(decodeQp(Buffer.from(input, 'latin1')), { bytes: Buffer.from(want, 'latin1'), problems: [] }, JSON.stringify(input));
  }
});

test('decodeQp keeps a stray "=" literally and reports it once per body', () => {
  const cases: [string, string][] = [
    ['100% =X', '100% =X'],
    ['a=4', 'a=4'],
    ['a=4g=G4', 'a=4g=G4'],
    ['a= b', 'a= b'],
    ['x=\ty  \r\n', 'x=\ty\r\n'],
  ];
  for (const [input, want] of cases) {
    assert.deepEqual(decodeQp(input), { bytes: Buffer.from(want, 'latin1'), problems: [STRAY] }, JSON.stringify(input));
  }
});

test('decodeQp with encodedWord decodes an RFC 2047 §4.2 Q payload', () => {
  const cases: [string, string, string[]][] = [
    ['caf=C3=A9_noir', 'café noir', []],
    ['a_b=5Fc', 'a b_c', []],
    ['=3D=3d', '==', []],
    ['50=_off', '50= off', [STRAY]],
    ['x=\r\ny', 'x=\r\ny', [STRAY]], // no soft line breaks in a word
    ['raw_café', 'raw café', []], // a string is read as UTF-8, so raw text keeps its UTF-8 bytes
  ];
  for (const [input, want, problems] of cases) {
    assert.deepEqual(decodeQp(input, { encodedWord: true }), { bytes: Buffer.from(want), problems }, JSON.stringify(input));
  }
});

test('decodeQp runs its TSDoc example', () => {
  assert.equal(decodeQp('Gr=FC=DFe =\r\nan alle').bytes.toString('latin1'), 'Grüße an alle');
  assert.equal(decodeQp('caf=C3=A9_noir', { encodedWord: true }).bytes.toString(), 'café noir');
  assert.deepEqual(decodeQp('100% =X').problems, [STRAY]);
});

test('createQpDecoder runs its TSDoc example', () => {
  const dec = createQpDecoder();
  const parts = [dec.write(Buffer.from('caf=C3=A9 =\r\nau la')), dec.write(Buffer.from('it  \r\nend')), dec.end()];
  assert.equal(Buffer.concat(parts).toString(), 'café au lait\r\nend');
});

test('createQpDecoder equals the rule model for any input and any chunking', () => {
  const soup = fc
    .array(fc.constantFrom(...'==AfF04g  \t\r\n\r\nx\xc3_'.split('')), { maxLength: 200 })
    .map((cs) => Buffer.from(cs.join(''), 'latin1'));
  fc.assert(
    fc.property(soup, cutsArb, (body, cuts) => {
      assert.deepEqual(feed(body, cuts), model(body));
    }),
    { numRuns: 2000 },
  );
});

test('createQpDecoder treats blank runs longer than 998 the same for any chunking', () => {
  const part = fc
    .array(fc.constantFrom(...'=Ax\r\n '.split('')), { maxLength: 6 })
    .map((cs) => cs.join(''));
  const body = fc
    .tuple(part, fc.constantFrom('', '='), fc.integer({ min: 990, max: 1005 }), fc.constantFrom(' ', '\t'), part)
    .map(([a, eq, n, blank, b]) => {
      const runStart = a.length + eq.length;
      return { input: Buffer.from(a + eq + blank.repeat(n) + b, 'latin1'), anchors: [runStart + 998, runStart + n] };
    });
  // Cuts near the 998th blank and near the end of the run, where the decoder must hold back or give up holding.
  const near = fc.array(fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: -8, max: 8 })), { maxLength: 4 });
  fc.assert(
    fc.property(body, near, ({ input, anchors }, offsets) => {
      const cuts = offsets.map(([k, d]) => Math.max(0, anchors[k]! + d));
      assert.deepEqual(feed(input, cuts), model(input));
    }),
    { numRuns: 1000 },
  );
});

test('createQpDecoder gives the same result one byte at a time as in one chunk', () => {
  const text = 'Gr=C3=BC=C3=9Fe  \r\nsoft =\r\nbreak=20\r\n=\r\n=3D=3d= x  \t\nend=  ';
  const body = Buffer.from(text.repeat(50), 'latin1');
  const cuts = Array.from({ length: body.length }, (_, i) => i);
  assert.deepEqual(feed(body, cuts), decodeQp(body));
  assert.deepEqual(decodeQp(body), model(body));
});
