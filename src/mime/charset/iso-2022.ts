/**
 * 7-bit ISO 2022 decoders used by mail: ISO-2022-JP (RFC 1468), its -1 (RFC 2237) and -2 (RFC 1554) extensions,
 * and ISO-2022-KR (RFC 1557). No JavaScript library decodes ISO-2022-KR, and ICU's ISO-2022-JP lacks JIS X 0212.
 *
 * Escape sequences designate a set into G0 (or G1/G2); SO/SI invoke G1; each double-byte pair (0x21–0x7E twice)
 * is decoded through the matching EUC table by setting the high bit (JIS X 0208 and 0212 via EUC-JP, GB 2312 via
 * GB18030, KS X 1001 via CP949), a whole run at a time. State (sets, shift, a cut pair or escape) is carried across
 * chunks, so any split of the input decodes to the same text.
 * Leniency: a line end returns to ASCII (RFC 1468 and RFC 1557 require lines to end there; JIS-Roman stays);
 * SO without `ESC $ ) C` still means KS X 1001 (ISO-2022-KR) or JIS X 0201 katakana (CP50222 ISO-2022-JP).
 * Limits: 8-bit bytes, unknown escapes and lone halves of a pair become U+FFFD and flag the engine.
 */
import iconv from 'iconv-lite';
import { unitsToString, type Engine } from './engine.js';
import { sbcsTable } from './sbcs.js';

/** The graphic sets that ISO-2022-JP-2 and ISO-2022-KR can designate. */
type GSet = 'ascii' | 'roman' | 'kana' | 'jis0208' | 'jis0212' | 'gb2312' | 'ksc5601' | 'latin1' | 'greek';

const ESC = 0x1b;
const SO = 0x0e;
const SI = 0x0f;
const LF = 0x0a;
const CR = 0x0d;

// Bytes after ESC → [register, set]; 'skip' for the JIS X 0208-1990 announcer that precedes ESC $ B.
const ESCAPES = new Map<string, readonly [0 | 1 | 2, GSet] | 'skip'>([
  ['(B', [0, 'ascii']], // RFC 1468: ASCII
  ['(J', [0, 'roman']], // RFC 1468: JIS X 0201-Roman
  ['(H', [0, 'roman']], // QUIRK: pre-RFC 1468 mailers used ESC ( H for JIS-Roman
  ['(I', [0, 'kana']], // JIS X 0201 katakana (CP50221; not in RFC 1468)
  ['$@', [0, 'jis0208']], // RFC 1468: JIS C 6226-1978
  ['$B', [0, 'jis0208']], // RFC 1468: JIS X 0208-1983
  ['$(O', [0, 'jis0208']], // ISO-2022-JP-3/2004 plane 1: its JIS X 0208 part
  ['$(Q', [0, 'jis0208']],
  ['$A', [0, 'gb2312']], // RFC 1554: GB 2312
  ['$(C', [0, 'ksc5601']], // RFC 1554: KS C 5601
  ['$(D', [0, 'jis0212']], // RFC 2237 / RFC 1554: JIS X 0212
  ['$)C', [1, 'ksc5601']], // RFC 1557: KS C 5601 into G1
  ['.A', [2, 'latin1']], // RFC 1554: ISO 8859-1 high half into G2
  ['.F', [2, 'greek']], // RFC 1554: ISO 8859-7 high half into G2
  ['&@', 'skip'],
]);

// Double-byte sets: the EUC table that decodes them and the prefix byte EUC puts before the pair.
const DOUBLE: Partial<Record<GSet, readonly [table: string, prefix: number]>> = {
  jis0208: ['euc-jp', 0],
  jis0212: ['euc-jp', 0x8f],
  gb2312: ['gb18030', 0],
  ksc5601: ['cp949', 0],
};

const INCOMPLETE = -1;
const INVALID = -2;

/** Length of the escape sequence at `i` (ESC included), or INCOMPLETE / INVALID. */
function escapeLength(buf: Buffer, i: number): number {
  const b1 = buf[i + 1];
  if (b1 === undefined) return INCOMPLETE;
  let len: number;
  if (b1 === 0x28 || b1 === 0x2e || b1 === 0x26 || b1 === 0x4e) len = 3; // ( . & N
  else if (b1 === 0x24) {
    const b2 = buf[i + 2]; // $
    if (b2 === undefined) return INCOMPLETE;
    len = b2 === 0x28 || b2 === 0x29 ? 4 : 3;
  } else return INVALID;
  return i + len > buf.length ? INCOMPLETE : len;
}

/** Collects output in order: strings, single code units and runs of double-byte pairs. */
class Sink {
  flagged = false;
  readonly #parts: string[] = [];
  readonly #units: number[] = [];
  readonly #capacity: number;
  #db: Buffer | null = null;
  #dbLen = 0;
  #dbSet: GSet | null = null;

  constructor(n: number) {
    this.#capacity = ((n * 3) >>> 1) + 4; // a JIS X 0212 pair takes 3 EUC bytes
  }

  text(s: string): void {
    this.#flushDb();
    this.#flushUnits();
    this.#parts.push(s);
  }

  unit(u: number): void {
    this.#flushDb();
    this.#units.push(u);
  }

  bad(): void {
    this.unit(0xfffd);
    this.flagged = true;
  }

  pair(set: GSet, prefix: number, a: number, b: number): void {
    if (this.#dbSet !== set) {
      this.#flushDb();
      this.#flushUnits();
      this.#dbSet = set;
    }
    const db = (this.#db ??= Buffer.allocUnsafe(this.#capacity));
    if (prefix !== 0) db[this.#dbLen++] = prefix;
    db[this.#dbLen++] = a | 0x80;
    db[this.#dbLen++] = b | 0x80;
  }

  finish(): string {
    this.#flushDb();
    this.#flushUnits();
    return this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('');
  }

  #flushUnits(): void {
    if (this.#units.length === 0) return;
    this.#parts.push(unitsToString(this.#units));
    this.#units.length = 0;
  }

  #flushDb(): void {
    if (this.#dbSet === null || this.#db === null) return;
    const table = DOUBLE[this.#dbSet]![0];
    const s = iconv.decode(this.#db.subarray(0, this.#dbLen), table);
    if (s.includes('\ufffd')) this.flagged = true;
    this.#parts.push(s);
    this.#dbLen = 0;
    this.#dbSet = null;
  }
}

/**
 * Streaming decoder for the ISO 2022 mail charsets.
 *
 * @example
 * // 日本語 in ISO-2022-JP: ESC $ B, three JIS X 0208 pairs, ESC ( B
 * const e = new Iso2022Engine('kana');
 * e.write(Buffer.from('\x1b$BF|K\\8l\x1b(B', 'latin1')) + e.end(); // '日本語'
 */
export class Iso2022Engine implements Engine {
  flagged = false;
  #g0: GSet = 'ascii';
  #g1: GSet | null = null;
  #g2: GSet | null = null;
  #shifted = false;
  #pending: Buffer | null = null;
  readonly #defaultG1: GSet;

  /** @param defaultG1 the set SO invokes when no `ESC $ ) C` came first: 'ksc5601' for KR, 'kana' for JP. */
  constructor(defaultG1: GSet) {
    this.#defaultG1 = defaultG1;
  }

  write(chunk: Buffer): string {
    return this.#run(chunk, false);
  }

  end(): string {
    const p = this.#pending;
    this.#pending = null;
    return p === null ? '' : this.#run(Buffer.alloc(0), true, p);
  }

  #run(input: Buffer, final: boolean, carried = this.#pending): string {
    const buf = carried === null ? input : Buffer.concat([carried, input]);
    this.#pending = null;
    const n = buf.length;
    const sink = new Sink(n);
    let i = 0;
    while (i < n) {
      const b = buf[i]!;
      if (b === ESC) {
        const len = escapeLength(buf, i);
        if (len === INCOMPLETE && !final) {
          this.#pending = Buffer.from(buf.subarray(i));
          break;
        }
        if (len < 0) {
          sink.bad(); // unknown or truncated escape: the bytes after ESC are read as text
          i++;
          continue;
        }
        this.#escape(buf, i, len, sink);
        i += len;
        continue;
      }
      if (b === SO || b === SI) {
        this.#shifted = b === SO; // ISO 2022 locking shifts: SO invokes G1, SI invokes G0
        i++;
        continue;
      }
      if (b === LF || b === CR) {
        // RFC 1468 (Description) and RFC 1557 (h-line): a line ends in ASCII or JIS-Roman, so a line end
        // returns to it; JIS-Roman carries over to the next line, as RFC 1468 says.
        if (this.#g0 !== 'roman') this.#g0 = 'ascii';
        this.#shifted = false;
        sink.unit(b);
        i++;
        continue;
      }
      const set = this.#shifted ? (this.#g1 ?? this.#defaultG1) : this.#g0;
      if (set === 'ascii') {
        let j = i;
        while (j < n) {
          const c = buf[j]!;
          if (c >= 0x80 || c === ESC || c === SO || c === SI) break;
          j++;
        }
        if (j === i) {
          sink.bad(); // 8-bit byte: not part of a 7-bit ISO 2022 text
          i++;
        } else {
          sink.text(buf.toString('latin1', i, j));
          i = j;
        }
        continue;
      }
      if (b >= 0x80) {
        sink.bad();
        i++;
        continue;
      }
      const dbl = DOUBLE[set];
      if (dbl === undefined) {
        this.#single(set, b, sink);
        i++;
        continue;
      }
      if (b <= 0x20 || b === 0x7f) {
        sink.unit(b); // space and controls keep their meaning in a 94-character set
        i++;
        continue;
      }
      const t = buf[i + 1];
      if (t === undefined) {
        if (!final) {
          this.#pending = Buffer.from([b]);
          break;
        }
        sink.bad();
        i++;
        continue;
      }
      if (t < 0x21 || t > 0x7e) {
        sink.bad(); // lone first byte; the next byte is read on its own
        i++;
        continue;
      }
      sink.pair(set, dbl[1], b, t);
      i += 2;
    }
    const text = sink.finish();
    if (sink.flagged) this.flagged = true;
    return text;
  }

  #escape(buf: Buffer, i: number, len: number, sink: Sink): void {
    if (buf[i + 1] === 0x4e) {
      // RFC 1554: ESC N is single shift 2; the next byte is taken from G2 with its high bit set.
      const x = buf[i + 2]!;
      const code = this.#g2 === null || x < 0x20 || x > 0x7f ? -1 : this.#g2Unit(x | 0x80);
      if (code < 0) sink.bad();
      else sink.unit(code);
      return;
    }
    const d = ESCAPES.get(buf.toString('latin1', i + 1, i + len));
    if (d === undefined) {
      sink.bad(); // a well-formed escape for a set we do not know: one U+FFFD for the whole sequence
      return;
    }
    if (d === 'skip') return;
    if (d[0] === 0) this.#g0 = d[1];
    else if (d[0] === 1) this.#g1 = d[1];
    else this.#g2 = d[1];
  }

  #g2Unit(byte: number): number {
    if (this.#g2 === 'latin1') return byte;
    const c = sbcsTable('iso-8859-7')!.map[byte]!;
    return c === 0xfffd ? -1 : c;
  }

  #single(set: GSet, b: number, sink: Sink): void {
    if (b < 0x21 || b === 0x7f) return sink.unit(b);
    if (set === 'roman') {
      // JIS X 0201-Roman differs from ASCII in two places (WHATWG iso-2022-jp decoder, Roman state).
      return sink.unit(b === 0x5c ? 0xa5 : b === 0x7e ? 0x203e : b);
    }
    if (set === 'kana' && b <= 0x5f) return sink.unit(0xff40 + b); // JIS X 0201 katakana → U+FF61…U+FF9F
    sink.bad();
  }
}

/**
 * A fresh ISO-2022-JP (and -1, -2) decoder.
 *
 * @example
 * createIso2022Jp().write(Buffer.from('\x1b$B$3$s\x1b(B', 'latin1')); // 'こん'
 */
export function createIso2022Jp(): Iso2022Engine {
  return new Iso2022Engine('kana');
}

/**
 * A fresh ISO-2022-KR decoder.
 *
 * @example
 * // 한 is EUC-KR C7 D1: minus 0x80 gives 0x47 0x51
 * createIso2022Kr().write(Buffer.from('\x1b$)C\x0eGQ\x0f', 'latin1')); // '한'
 */
export function createIso2022Kr(): Iso2022Engine {
  return new Iso2022Engine('ksc5601');
}
