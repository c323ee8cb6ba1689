/**
 * Single-byte charsets: ISO 8859-x, windows-125x, KOI8, Mac, IBM code pages (WHATWG Encoding Standard §9).
 *
 * Each charset is a 256-entry table built once, on first use, from iconv-lite's data and patched where the WHATWG
 * indexes differ (listed in PATCHES). Node 20's own `TextDecoder` is not used here: on this runtime its
 * `windows-1252` decodes 0x80–0x9F as C1 controls (no €) and its `ibm866` swaps 0x1A/0x1C/0x7F.
 * Guarantees: ASCII input costs one SIMD scan and one `latin1` conversion; no per-character strings.
 * Limits: bytes a table leaves undefined decode as U+FFFD and flag the engine.
 */
import { isAscii } from 'node:buffer';
import { endianness } from 'node:os';
import iconv from 'iconv-lite';
import type { Engine } from './engine.js';

/**
 * A decoded single-byte charset.
 *
 * @example
 * sbcsTable('iso-8859-5')!.map[0xb0]; // 0x0410 (А)
 */
export interface SbcsTable {
  /** Code unit for each byte value. */
  readonly map: Uint16Array;
  /** Bytes 0x00–0x7F decode to themselves, so ASCII input can skip the table. */
  readonly asciiCompatible: boolean;
  /** Also 0xA0–0xFF decode as in ISO-8859-1 (windows-1252): text without 0x80–0x9F is plain `latin1`. */
  readonly latin1Like: boolean;
  /** Some byte has no character (decodes as U+FFFD). */
  readonly hasUndefined: boolean;
}

const C1 = /[\u0080-\u009f]/;
const LITTLE_ENDIAN = endianness() === 'LE'; // a Uint16Array then has the byte order of 'utf16le'

// Canonical name → iconv-lite table it starts from (names missing here are looked up in iconv-lite as they are).
const SOURCES: Readonly<Record<string, string>> = {
  'us-ascii': 'windows-1252',
  'iso-8859-8-i': 'iso-8859-8', // WHATWG §9: same bytes as ISO-8859-8, logical order.
  'x-mac-cyrillic': 'macukraine', // WHATWG x-mac-cyrillic is the Mac OS Ukrainian variant.
};

// Where the WHATWG indexes differ from iconv-lite's tables (Node 20's ICU tables agree with WHATWG on these).
const PATCHES: Readonly<Record<string, Readonly<Record<number, number>>>> = {
  macintosh: { 0xbd: 0x03a9, 0xdb: 0x20ac, 0xf0: 0xf8ff }, // index-macintosh: Ω, €, Apple logo.
  'x-mac-cyrillic': { 0xff: 0x20ac },
  'windows-1255': { 0xca: 0x05ba },
};

const tables = new Map<string, SbcsTable | null>();

/**
 * The table of a single-byte charset by canonical name (or any iconv-lite single-byte name), or null.
 *
 * @example
 * sbcsTable('windows-1252')!.map[0x80]; // 0x20ac (€)
 */
export function sbcsTable(name: string): SbcsTable | null {
  let t = tables.get(name);
  if (t === undefined) {
    t = buildTable(name);
    tables.set(name, t);
  }
  return t;
}

function buildTable(name: string): SbcsTable | null {
  const source = SOURCES[name] ?? name;
  let codec: iconv.Codec;
  try {
    codec = iconv.getCodec(source);
  } catch {
    return null;
  }
  if (!('decodeBuf' in codec)) return null; // not a single-byte codec
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  const text = iconv.decode(all, source);
  if (text.length !== 256) return null;
  const map = new Uint16Array(256);
  for (let i = 0; i < 256; i++) map[i] = text.charCodeAt(i);
  if (name.startsWith('windows-')) {
    // WHATWG indexes for windows-125x/874 map the bytes Microsoft leaves undefined to the C1 controls (U+0080+).
    for (let i = 0x80; i < 0xa0; i++) if (map[i] === 0xfffd) map[i] = i;
  }
  const patch = PATCHES[name];
  if (patch !== undefined) for (const [byte, cp] of Object.entries(patch)) map[Number(byte)] = cp;
  let asciiCompatible = true;
  for (let i = 0; i < 0x80; i++) if (map[i] !== i) asciiCompatible = false;
  let latin1Like = asciiCompatible;
  for (let i = 0xa0; i < 0x100; i++) if (map[i] !== i) latin1Like = false;
  return { map, asciiCompatible, latin1Like, hasUndefined: map.includes(0xfffd) };
}

/**
 * Decodes a whole buffer with a table; returns the text and whether a byte was undefined (U+FFFD) or, with
 * `flagHigh`, above 0x7F.
 *
 * @example
 * decodeSbcs(sbcsTable('iso-8859-7')!, Buffer.from([0xe1]), false).text; // 'α'
 */
export function decodeSbcs(t: SbcsTable, buf: Buffer, flagHigh: boolean): { text: string; flagged: boolean } {
  if (t.asciiCompatible && isAscii(buf)) return { text: buf.toString('latin1'), flagged: false };
  const map = t.map;
  if (t.latin1Like) {
    // Without bytes 0x80–0x9F the native conversion is exact (4–5× faster than the loop below).
    const text = buf.toString('latin1');
    if (!C1.test(text)) return { text, flagged: flagHigh };
  }
  const n = buf.length;
  const units = new Uint16Array(n);
  for (let i = 0; i < n; i++) units[i] = map[buf[i]!]!;
  const bytes = Buffer.from(units.buffer, 0, n * 2);
  if (!LITTLE_ENDIAN) bytes.swap16(); // 'utf16le' wants little-endian code units
  const text = bytes.toString('utf16le');
  // Tables map no byte to a real U+FFFD, so one native search finds the undefined ones.
  return { text, flagged: flagHigh || (t.hasUndefined && text.includes('\ufffd')) };
}

/**
 * Stateless engine over a single-byte table.
 *
 * @example
 * new SbcsEngine(sbcsTable('koi8-r')!).write(Buffer.from([0xd0, 0xd2, 0xc9])); // 'при'
 */
export class SbcsEngine implements Engine {
  flagged = false;
  readonly #table: SbcsTable;
  readonly #flagHigh: boolean;

  /** @param flagHigh flag any byte above 0x7F (used for US-ASCII, decoded with the windows-1252 table). */
  constructor(table: SbcsTable, flagHigh = false) {
    this.#table = table;
    this.#flagHigh = flagHigh;
  }

  write(chunk: Buffer): string {
    const r = decodeSbcs(this.#table, chunk, this.#flagHigh);
    if (r.flagged) this.flagged = true;
    return r.text;
  }

  end(): string {
    return '';
  }
}
