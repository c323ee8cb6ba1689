/**
 * Header blocks (RFC 5322 §2.2, §3.6; RFC 6532 for 8-bit values).
 *
 * Guarantees: every field is kept raw, byte-exact and in order, so `header.toBuffer()` returns the block exactly
 * as it arrived (DKIM, exact round trips); values are unfolded on read (RFC 5322 §2.2.3) and decoded lazily, so
 * parsing a header block costs one pass over its lines. Raw 8-bit bytes in a value are decoded as UTF-8 when
 * valid (RFC 6532 §3.2), else by the message's charset, else as windows-1252.
 * Limits: the size of a block is bounded by the caller (MimeLimits.maxHeaderBytes).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { decodeText } from './charset/index.js';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/** One header field as it arrived. */
export interface HeaderField {
  /** The field name as written, e.g. `Content-Type`. */
  readonly name: string;
  /** The field name in lower case, e.g. `content-type`. */
  readonly key: string;
  /** The whole field: name, colon, value and every line end, byte for byte. */
  readonly raw: Buffer;
  /** Offset of the field's first byte in the message. */
  readonly offset: number;
  /** Offset of the value (the byte after the colon) in the message. */
  readonly valueOffset: number;
  /** The value unfolded and with outer whitespace trimmed; encoded words (RFC 2047) are not decoded here. */
  readonly value: string;
}

class Field implements HeaderField {
  #value: string | undefined;
  constructor(
    readonly name: string,
    readonly raw: Buffer,
    readonly offset: number,
    private readonly colon: number,
    private readonly owner: Header,
  ) {}
  get key(): string {
    return this.name.toLowerCase();
  }
  get valueOffset(): number {
    return this.offset + this.colon + 1;
  }
  get value(): string {
    return (this.#value ??= decodeValue(this.raw.subarray(this.colon + 1), this.name, this.owner));
  }
}

/**
 * Unfolds a raw value (RFC 5322 §2.2.3: remove every CRLF that is followed by WSP; a trailing line end goes too),
 * trims outer whitespace and decodes bytes to a string.
 */
function decodeValue(raw: Buffer, name: string, owner: Header): string {
  let end = raw.length;
  if (end > 0 && raw[end - 1] === LF) end--;
  if (end > 0 && raw[end - 1] === CR) end--;
  let bytes = end === raw.length ? raw : raw.subarray(0, end);
  // Most fields are one line: only folded ones need the copy that drops their line breaks.
  if (bytes.indexOf(LF) !== -1 || bytes.indexOf(CR) !== -1) {
    const out = Buffer.allocUnsafe(raw.length);
    let n = 0;
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (c !== CR && c !== LF) out[n++] = c;
    }
    bytes = out.subarray(0, n);
  }
  let s = 0;
  let e = bytes.length;
  while (s < e && (bytes[s] === SP || bytes[s] === HT)) s++;
  while (e > s && (bytes[e - 1] === SP || bytes[e - 1] === HT)) e--;
  bytes = bytes.subarray(s, e);
  if (isAscii(bytes)) return bytes.toString('latin1');
  if (isUtf8(bytes)) return bytes.toString('utf8');
  // RFC 6532 §3.2 allows only UTF-8: anything else is recovered with the entity's charset, else a guess.
  const d = decodeText(bytes, owner.fallbackCharset);
  owner.problems.push(`Header field ${name || '(no name)'} has 8-bit bytes that are not UTF-8: decoded as ${d.charset}`);
  return d.text;
}

/**
 * An ordered, raw-preserving header block.
 *
 * @example
 * ```ts
 * const { header } = parseHeaderBlock(Buffer.from('Subject: hi\r\n there\r\n'));
 * header.get('subject') === 'hi there';
 * header.toBuffer().toString() === 'Subject: hi\r\n there\r\n';
 * ```
 */
export class Header {
  #index: Map<string, number[]> | undefined;
  /** Charset used for raw 8-bit values that are not UTF-8 (the message's charset), set by the parser. */
  fallbackCharset: string | undefined;
  /** Problems found while decoding values (they are decoded lazily, so this list grows as fields are read). */
  readonly problems: string[] = [];

  constructor(readonly fields: readonly HeaderField[]) {}

  #lookup(name: string): number[] | undefined {
    if (!this.#index) {
      const index = new Map<string, number[]>();
      this.fields.forEach((f, i) => {
        const list = index.get(f.key);
        if (list) list.push(i);
        else index.set(f.key, [i]);
      });
      this.#index = index;
    }
    return this.#index.get(name.toLowerCase());
  }

  /** The first field of that name, unfolded; undefined when absent. */
  get(name: string): string | undefined {
    const i = this.#lookup(name)?.[0];
    return i === undefined ? undefined : this.fields[i]!.value;
  }

  /** The last field of that name (RFC 5322 §3.6 allows one; when a message has several, mailers use the last). */
  getLast(name: string): string | undefined {
    const list = this.#lookup(name);
    const i = list?.[list.length - 1];
    return i === undefined ? undefined : this.fields[i]!.value;
  }

  /** Every field of that name, in order. */
  getAll(name: string): string[] {
    return (this.#lookup(name) ?? []).map((i) => this.fields[i]!.value);
  }

  /** Whether at least one field of that name is present. */
  has(name: string): boolean {
    return this.#lookup(name) !== undefined;
  }

  /** The block exactly as it arrived (without the blank line that ends it). */
  toBuffer(): Buffer {
    return Buffer.concat(this.fields.map((f) => f.raw));
  }
}

/** Result of {@link parseHeaderBlock}. */
export interface HeaderBlock {
  header: Header;
  problems: string[];
}

/**
 * Splits a header block into fields. `bytes` holds the block without its terminating blank line; `base` is the
 * offset of `bytes[0]` in the message (for field offsets). Lines before the first field that are continuation
 * lines, and lines without a colon, are kept as fields with an empty name so the block still round-trips.
 *
 * @example
 * ```ts
 * parseHeaderBlock(Buffer.from('To: a@x.test\nX-A: 1\n')).header.fields.length === 2;
 * ```
 */
export function parseHeaderBlock(bytes: Buffer, base = 0): HeaderBlock {
  const fields: HeaderField[] = [];
  const problems: string[] = [];
  const header = new Header(fields);
  let start = 0;
  const n = bytes.length;
  while (start < n) {
    // A field runs until a line end not followed by WSP (RFC 5322 §2.2.3).
    let end = start;
    for (;;) {
      const lf = bytes.indexOf(LF, end);
      if (lf === -1) {
        end = n;
        break;
      }
      end = lf + 1;
      const next = bytes[end];
      if (next !== SP && next !== HT) break;
    }
    const raw = bytes.subarray(start, end);
    let colon = raw.indexOf(COLON);
    const lineEnd = raw.indexOf(LF);
    if (colon !== -1 && lineEnd !== -1 && colon > lineEnd) colon = -1;
    let name = '';
    if (colon > 0) {
      let e = colon;
      // RFC 5322 §4.5 (obsolete): whitespace may stand between the name and the colon.
      while (e > 0 && (raw[e - 1] === SP || raw[e - 1] === HT)) e--;
      name = raw.toString('latin1', 0, e);
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
        problems.push(`Header field name "${name.slice(0, 40)}" contains invalid characters`);
      }
    } else {
      problems.push(
        colon === 0 ? 'Header field without a name' : `Header line without a colon: "${raw.toString('latin1', 0, Math.min(raw.length, 40)).trim()}"`,
      );
      colon = colon === 0 ? 0 : -1;
    }
    fields.push(new Field(name, raw, base + start, colon, header));
    start = end;
  }
  return { header, problems };
}

/**
 * The offset just after the last header line's line break, or null when the bytes hold no empty line yet.
 *
 * @example
 * ```ts
 * headerEnd(Buffer.from('A: 1\r\n\r\nbody')) === 6;
 * ```
 */
export function headerEnd(bytes: Buffer): number | null {
  if (bytes[0] === LF || (bytes[0] === CR && bytes[1] === LF)) return 0;
  for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) {
    if (bytes[i + 1] === LF || (bytes[i + 1] === CR && bytes[i + 2] === LF)) return i + 1;
  }
  return null;
}

/**
 * Whether the line `buf[p, eol)` is a header field: a name of printable characters, then a colon (RFC 5322 §2.2;
 * §4.5 obsolete syntax allows whitespace between the name and the colon).
 *
 * @example
 * ```ts
 * isFieldLine(Buffer.from('Subject: hi'), 0, 11) === true;
 * isFieldLine(Buffer.from('just text'), 0, 9) === false;
 * ```
 */
export function isFieldLine(buf: Buffer, p: number, eol: number): boolean {
  for (let i = p; i < eol; i++) {
    const c = buf[i]!;
    if (c === COLON) return i > p;
    if (c === SP || c === HT) {
      while (i < eol && (buf[i] === SP || buf[i] === HT)) i++;
      return i > p && buf[i] === COLON;
    }
    if (c < SP || c >= 0x7f) return false;
  }
  return false;
}
