/**
 * Encoding text in a MIME charset for the message builder (RFC 2045 §5.1, RFC 2046 §4.1.2).
 *
 * UTF-8 always works. Legacy charsets go through iconv-lite, except ISO-2022-JP (RFC 1468) and ISO-2022-KR
 * (RFC 1557), which we write ourselves from EUC bytes: every line ends in ASCII, the text ends in ASCII, and
 * ISO-2022-KR starts with its `ESC $ ) C` designator. Labels whose decoder is a WHATWG superset still encode
 * strictly: `iso-8859-1` as ISO-8859-1 (not windows-1252), `iso-8859-9` as ISO-8859-9, `iso-8859-11` as is.
 * Guarantees: the output decodes back to exactly `text` (checked by a round trip), else this throws
 * `Cannot encode as "<cs>": text contains characters outside the charset`, so the builder can fall back to UTF-8.
 * Throws `Cannot encode as "<cs>": unknown charset` for a label without an encoder (API misuse).
 */
import iconv from 'iconv-lite';
import { canonicalCharset, normalizeLabel } from './labels.js';
import { createIso2022Jp, createIso2022Kr } from './iso-2022.js';

const ESC = 0x1b;
const SO = 0x0e;
const SI = 0x0f;

// Squashed labels whose canonical decoder is a superset, mapped to the strict charset they name.
const STRICT: Readonly<Record<string, string>> = {
  iso88591: 'iso-8859-1',
  iso885911987: 'iso-8859-1',
  latin1: 'iso-8859-1',
  l1: 'iso-8859-1',
  csisolatin1: 'iso-8859-1',
  isoir100: 'iso-8859-1',
  ibm819: 'iso-8859-1',
  cp819: 'iso-8859-1',
  iso88599: 'iso-8859-9',
  iso885991989: 'iso-8859-9',
  latin5: 'iso-8859-9',
  l5: 'iso-8859-9',
  csisolatin5: 'iso-8859-9',
  isoir148: 'iso-8859-9',
  iso885911: 'iso-8859-11',
  tis620: 'tis620',
};

// Canonical name → iconv-lite codec, where they differ.
const CODEC: Readonly<Record<string, string>> = {
  big5: 'big5hkscs',
  'iso-8859-8-i': 'iso-8859-8',
  'x-mac-cyrillic': 'macukraine',
};

type Encoder = (text: string) => Buffer;

function outside(charset: string): Error {
  return new Error(`Cannot encode as "${charset}": text contains characters outside the charset`);
}

function encoderFor(label: string): Encoder | null {
  const canonical = canonicalCharset(label);
  if (canonical === null || canonical === 'x-unknown') return null;
  switch (canonical) {
    case 'utf-8':
      return (text) => Buffer.from(text, 'utf8');
    case 'us-ascii':
      return (text) => {
        if (/[^\u0000-\u007f]/.test(text)) throw outside(label);
        return Buffer.from(text, 'latin1');
      };
    case 'iso-2022-jp':
      return (text) => roundTrip(label, text, encodeIso2022Jp(label, text), (b) => decodeWith(createIso2022Jp(), b));
    case 'iso-2022-kr':
      return (text) => roundTrip(label, text, encodeIso2022Kr(label, text), (b) => decodeWith(createIso2022Kr(), b));
  }
  const codec = STRICT[normalizeLabel(label).replace(/[^a-z0-9]/g, '')] ?? CODEC[canonical] ?? canonical;
  if (!iconv.encodingExists(codec)) return null;
  return (text) => roundTrip(label, text, iconv.encode(text, codec), (b) => iconv.decode(b, codec));
}

function decodeWith(e: { write(b: Buffer): string; end(): string }, b: Buffer): string {
  return e.write(b) + e.end();
}

function roundTrip(label: string, text: string, out: Buffer, decode: (b: Buffer) => string): Buffer {
  if (decode(out) !== text) throw outside(label);
  return out;
}

/** Writes EUC-JP bytes as ISO-2022-JP: JIS X 0208 pairs between ESC $ B and ESC ( B (RFC 1468). */
function encodeIso2022Jp(label: string, text: string): Buffer {
  const euc = iconv.encode(text, 'euc-jp');
  const out = Buffer.allocUnsafe(euc.length * 2 + 8);
  let n = 0;
  let jis = false;
  for (let i = 0; i < euc.length; ) {
    const b = euc[i]!;
    if (b < 0x80) {
      if (jis) n += out.write('\x1b(B', n, 'latin1'); // back to ASCII before any ASCII byte, so lines end in ASCII
      jis = false;
      out[n++] = b;
      i++;
      continue;
    }
    const t = euc[i + 1];
    // 0x8E (half-width katakana) and 0x8F (JIS X 0212) have no place in ISO-2022-JP (RFC 1468).
    if (b < 0xa1 || b > 0xfe || t === undefined || t < 0xa1 || t > 0xfe) throw outside(label);
    if (!jis) n += out.write('\x1b$B', n, 'latin1');
    jis = true;
    out[n++] = b - 0x80;
    out[n++] = t - 0x80;
    i += 2;
  }
  if (jis) n += out.write('\x1b(B', n, 'latin1'); // RFC 1468: the text ends in ASCII
  return out.subarray(0, n);
}

/** Writes CP949 bytes as ISO-2022-KR: designator first, KS X 1001 pairs between SO and SI (RFC 1557). */
function encodeIso2022Kr(label: string, text: string): Buffer {
  const euc = iconv.encode(text, 'cp949');
  const out = Buffer.allocUnsafe(euc.length * 2 + 8);
  let n = 0;
  let shifted = false;
  for (let i = 0; i < euc.length; ) {
    const b = euc[i]!;
    if (b < 0x80) {
      if (shifted) out[n++] = SI; // RFC 1557 h-line: each SO segment ends with SI, so lines end in ASCII
      shifted = false;
      out[n++] = b;
      i++;
      continue;
    }
    const t = euc[i + 1];
    // CP949's extended (UHC) syllables are outside KS X 1001 and cannot be shifted in.
    if (b < 0xa1 || b > 0xfe || t === undefined || t < 0xa1 || t > 0xfe) throw outside(label);
    if (n === 0 || out[0] !== ESC) {
      // RFC 1557: ESC $ ) C appears once, at the beginning of a line, before any SO: we put it first.
      out.copy(out, 4, 0, n);
      out.write('\x1b$)C', 0, 'latin1');
      n += 4;
    }
    if (!shifted) out[n++] = SO;
    shifted = true;
    out[n++] = b - 0x80;
    out[n++] = t - 0x80;
    i += 2;
  }
  if (shifted) out[n++] = SI;
  return out.subarray(0, n);
}

/**
 * Encodes text in a charset for a message body or encoded word.
 * Throws on an unknown charset and on characters the charset cannot represent (fall back to UTF-8 then).
 *
 * @example
 * encodeText('日本語', 'iso-2022-jp'); // <1b 24 42 46 7c 4b 5c 38 6c 1b 28 42>
 * encodeText('€', 'iso-8859-1');
 * // throws: Cannot encode as "iso-8859-1": text contains characters outside the charset
 */
export function encodeText(text: string, charset: string): Buffer {
  const encode = encoderFor(charset);
  if (encode === null) throw new Error(`Cannot encode as "${charset}": unknown charset`);
  return encode(text);
}
