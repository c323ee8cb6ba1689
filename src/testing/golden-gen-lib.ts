/**
 * Building blocks of the golden-corpus generator (`golden-gen.ts`): legacy-charset bytes (iconv-lite, plus
 * hand-made ISO-2022-JP and ISO-2022-KR, which iconv-lite cannot encode), RFC 2047 words, RFC 2231 values,
 * base64 and quoted-printable bodies, deterministic binary files, and the expected-value helpers.
 *
 * Nothing here uses Postroom's own MIME code: the corpus must not inherit the parser's mistakes. Not run by tests.
 */
import iconv from 'iconv-lite';
import { sha256, type Golden, type GoldenAddress, type GoldenAttachment, type GoldenPart } from './golden.js';

/** A message of the corpus: its bytes (LF line ends; the generator writes CRLF) and what it must parse to. */
export interface GenCase {
  readonly suite: 'rfc' | 'legacy' | 'clients' | 'malformed';
  readonly name: string;
  /** One line: what the message exercises (goes into the README index). */
  readonly about: string;
  readonly eml: Buffer;
  readonly expected: Golden;
}

/** Encodes text in a charset with iconv-lite (`euc-kr` there is CP949, as in WHATWG). */
export function enc(text: string, charset: string): Buffer {
  return iconv.encode(text, charset);
}

/** UTF-8 bytes. */
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** LF → CRLF (text bodies are canonically CRLF before base64, RFC 2045 §6.8 / RFC 2046 §4.1.1). */
export const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

/**
 * ISO-2022-JP (RFC 1468): ASCII as is, JIS X 0208 runs as ESC $ B + EUC-JP bytes with bit 8 cleared + ESC ( B.
 * Only characters of JIS X 0208 are accepted (no half-width katakana, no JIS X 0212).
 */
export function iso2022jp(text: string): Buffer {
  const out: number[] = [];
  let kanji = false;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) {
      if (kanji) out.push(0x1b, 0x28, 0x42);
      kanji = false;
      out.push(ch.charCodeAt(0));
      continue;
    }
    const e = iconv.encode(ch, 'euc-jp');
    if (e.length !== 2 || e[0]! < 0xa1) throw new Error(`Not JIS X 0208: ${ch}`);
    if (!kanji) out.push(0x1b, 0x24, 0x42);
    kanji = true;
    out.push(e[0]! & 0x7f, e[1]! & 0x7f);
  }
  if (kanji) out.push(0x1b, 0x28, 0x42);
  return Buffer.from(out);
}

/**
 * ISO-2022-KR (RFC 1557): ESC $ ) C once at the start, then KS X 1001 runs between SO and SI (EUC-KR bytes with
 * bit 8 cleared); every line ends in ASCII. Only KS X 1001 syllables (no 똠, 뷁: those are CP949 extensions).
 */
export function iso2022kr(text: string): Buffer {
  const out: number[] = [0x1b, 0x24, 0x29, 0x43];
  let so = false;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) {
      if (so) out.push(0x0f);
      so = false;
      out.push(ch.charCodeAt(0));
      continue;
    }
    const e = iconv.encode(ch, 'euc-kr');
    if (e.length !== 2 || e[0]! < 0xa1 || e[1]! < 0xa1) throw new Error(`Not KS X 1001: ${ch}`);
    if (!so) out.push(0x0e);
    so = true;
    out.push(e[0]! & 0x7f, e[1]! & 0x7f);
  }
  if (so) out.push(0x0f);
  return Buffer.from(out);
}

/** Bytes of `text` in `charset`, with the hand-made ISO 2022 encoders. */
export function bytesIn(text: string, charset: string): Buffer {
  const c = charset.toLowerCase();
  if (c === 'iso-2022-jp') return iso2022jp(text);
  if (c === 'iso-2022-kr') return iso2022kr(text);
  if (c === 'utf-8') return utf8(text);
  if (c === 'ks_c_5601-1987') return enc(text, 'cp949');
  return enc(text, c);
}

/** RFC 2047 'B' word: `=?charset?B?...?=`. */
export function ewB(text: string, charset: string): string {
  return `=?${charset}?B?${bytesIn(text, charset).toString('base64')}?=`;
}

/** RFC 2047 'Q' word (§4.2: space as '_', everything but letters and digits as =XX). */
export function ewQ(text: string, charset: string): string {
  let q = '';
  for (const b of bytesIn(text, charset)) {
    if (b === 0x20) q += '_';
    else if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) q += String.fromCharCode(b);
    else q += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `=?${charset}?Q?${q}?=`;
}

/** RFC 2231 §4 extended value: `charset''%XX…` (attribute-char kept, everything else escaped). */
export function rfc2231(text: string, charset: string, lang = ''): string {
  let v = '';
  for (const b of bytesIn(text, charset)) {
    const c = String.fromCharCode(b);
    v += /[A-Za-z0-9!#$&+\-.^_`|~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `${charset}'${lang}'${v}`;
}

/** Base64 in lines of `width` characters (RFC 2045 §6.8: at most 76). */
export function b64(bytes: Buffer, width = 76): string {
  const s = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += width) lines.push(s.slice(i, i + width));
  return lines.join('\n');
}

/**
 * Quoted-printable (RFC 2045 §6.7) of bytes whose line breaks are LF: '=' and 8-bit bytes as =XX, trailing SP/HT
 * as =20/=09, lines soft-broken with '=' to at most 76 characters.
 */
export function qp(bytes: Buffer): string {
  const out: string[] = [];
  const lines = bytes.toString('latin1').split('\n');
  for (const line of lines) {
    const tokens: string[] = [];
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      const last = i === line.length - 1;
      if (c === 0x3d || c > 0x7e || (c < 0x20 && c !== 0x09) || ((c === 0x20 || c === 0x09) && last)) {
        tokens.push(`=${c.toString(16).toUpperCase().padStart(2, '0')}`);
      } else tokens.push(line[i]!);
    }
    let cur = '';
    for (const t of tokens) {
      if (cur.length + t.length > 75) {
        out.push(`${cur}=`);
        cur = '';
      }
      cur += t;
    }
    out.push(cur);
  }
  return out.join('\n');
}

/** A deterministic pseudo-random generator (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` deterministic bytes after a file-type signature. */
export function fakeFile(kind: 'png' | 'jpeg' | 'gif' | 'pdf' | 'zip' | 'tnef' | 'hwp' | 'bin', size: number, seed: number): Buffer {
  const sig: Record<typeof kind, number[]> = {
    png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    jpeg: [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46],
    gif: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
    pdf: [...Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')],
    zip: [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00],
    tnef: [0x78, 0x9f, 0x3e, 0x22, 0x01, 0x00],
    hwp: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    bin: [],
  };
  const rnd = prng(seed);
  const out = Buffer.alloc(size);
  Buffer.from(sig[kind]).copy(out);
  for (let i = sig[kind].length; i < size; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

/** A mailbox of the expected file. */
export const mb = (name: string, address: string): GoldenAddress => ({ name, address });

/** An entity of the expected `parts` list. */
export function P(path: string, contentType: string, charset: string | null, transferEncoding: string, filename: string | null, size: number): GoldenPart {
  return { path, contentType, charset, transferEncoding, filename, size };
}

/** A container entity (multipart or message/rfc822) of the expected `parts` list. */
export const C = (path: string, contentType: string, transferEncoding = '7bit'): GoldenPart => P(path, contentType, null, transferEncoding, null, 0);

/** An attachment of the expected result, from its decoded bytes. */
export function A(filename: string | null, contentType: string, bytes: Buffer): GoldenAttachment {
  return { filename, contentType, size: bytes.length, sha256: sha256(bytes) };
}

/** Defaults of the expected result; each case fills in what its message has. */
export function golden(g: Partial<Golden> & Pick<Golden, 'parts'>): Golden {
  // The key order of summarize(), so that drafts written with UPDATE_GOLDEN=1 diff cleanly against these.
  return {
    from: g.from ?? null,
    to: g.to ?? [],
    cc: g.cc ?? [],
    subject: g.subject ?? null,
    date: g.date ?? null,
    messageId: g.messageId ?? null,
    text: g.text ?? null,
    html: g.html ?? null,
    attachments: g.attachments ?? [],
    parts: g.parts,
    problems: g.problems ?? 0,
  };
}

/**
 * A message from pieces: strings are UTF-8 (the templates are ASCII unless a case wants raw 8-bit text), Buffers are
 * taken as they are. Line breaks stay LF here.
 *
 * @example
 * ```ts
 * mail`Subject: ${ewB('안녕', 'EUC-KR')}\n\n${enc('본문', 'euc-kr')}\n`;
 * ```
 */
export function mail(strings: TemplateStringsArray, ...values: (string | Buffer | number)[]): Buffer {
  const out: Buffer[] = [];
  strings.forEach((s, i) => {
    out.push(utf8(s));
    if (i < values.length) {
      const v = values[i]!;
      out.push(Buffer.isBuffer(v) ? v : utf8(String(v)));
    }
  });
  return Buffer.concat(out);
}

/** The bytes between a part's blank line and the line break before the next delimiter, as a parser decodes 8bit text. */
export const sizeOf = (b: Buffer | string): number => (Buffer.isBuffer(b) ? b.length : utf8(b).length);
