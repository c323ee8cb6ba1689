/**
 * Canonical charset name → how it is decoded: its kind (which the policy in `decide.ts` needs) and an engine.
 *
 * Engines: our UTF-8/UTF-16 (unicode.ts), UTF-7 (utf7.ts), single-byte tables (sbcs.ts), ISO 2022 (iso-2022.ts),
 * and iconv-lite's stateful decoders for CJK multi-byte charsets and UTF-32. Node 20's `TextDecoder` is not used
 * for legacy charsets: on this runtime its `euc-kr` rejects CP949 (UHC) syllables such as 똠 and 뷁, its `big5`
 * lacks HKSCS (WHATWG Big5 includes it), and its `gbk`/`shift_jis` map some bytes to private-use or SUB characters.
 */
import iconv from 'iconv-lite';
import type { Engine } from './engine.js';
import { createIso2022Jp, createIso2022Kr } from './iso-2022.js';
import { SbcsEngine, sbcsTable } from './sbcs.js';
import { Utf16Engine, Utf8Engine } from './unicode.js';
import { Utf7Engine } from './utf7.js';

/**
 * How the policy treats a charset.
 *
 * @example
 * charsetSpec('koi8-r')!.kind; // 'sbcs'
 */
export type CharsetKind = 'us-ascii' | 'x-unknown' | 'utf-8' | 'unicode' | 'sbcs' | 'multibyte';

/**
 * Decoding facts about one canonical charset.
 *
 * @example
 * const spec = charsetSpec('cp949')!; // { kind: 'multibyte', asciiCompatible: true, create }
 * spec.create(true).write(Buffer.from([0xbe, 0xc8])); // '안'
 */
export interface CharsetSpec {
  readonly kind: CharsetKind;
  /** Bytes 0x00–0x7F always decode to themselves, so pure ASCII input needs no engine. */
  readonly asciiCompatible: boolean;
  /** A fresh engine; `atStart` lets UTF-8 drop a byte order mark. */
  create(atStart: boolean): Engine;
}

/**
 * An engine over one of iconv-lite's stateful decoders.
 *
 * @example
 * const e = new IconvEngine('cp949');
 * e.write(Buffer.from([0x8c])) + e.write(Buffer.from([0x63])) + e.end(); // '똠'
 */
export class IconvEngine implements Engine {
  flagged = false;
  readonly #decoder: iconv.DecoderStream;

  constructor(name: string) {
    this.#decoder = iconv.getDecoder(name);
  }

  write(chunk: Buffer): string {
    return this.#check(this.#decoder.write(chunk));
  }

  end(): string {
    return this.#check(this.#decoder.end() ?? '');
  }

  #check(s: string): string {
    if (!this.flagged && s.includes('\ufffd')) this.flagged = true;
    return s;
  }
}

// CJK charsets → iconv-lite codec. WHATWG §10–12: GBK decodes with the GB18030 decoder; Big5 includes HKSCS.
const ICONV_MULTIBYTE: Readonly<Record<string, string>> = {
  gbk: 'gb18030',
  gb18030: 'gb18030',
  big5: 'big5hkscs',
  'euc-jp': 'euc-jp',
  shift_jis: 'shift_jis',
  cp949: 'cp949',
};

const specs = new Map<string, CharsetSpec | null>();

/**
 * How to decode a canonical charset (as returned by `canonicalCharset`), or null for a name no engine handles.
 *
 * @example
 * charsetSpec('shift_jis')!.kind; // 'multibyte'
 */
export function charsetSpec(canonical: string): CharsetSpec | null {
  let s = specs.get(canonical);
  if (s === undefined) {
    s = build(canonical);
    specs.set(canonical, s);
  }
  return s;
}

function spec(kind: CharsetKind, asciiCompatible: boolean, create: (atStart: boolean) => Engine): CharsetSpec {
  return { kind, asciiCompatible, create };
}

function build(name: string): CharsetSpec | null {
  switch (name) {
    case 'us-ascii': {
      const table = sbcsTable('us-ascii')!;
      return spec('us-ascii', true, () => new SbcsEngine(table, true));
    }
    case 'x-unknown':
      return spec('x-unknown', true, (atStart) => new Utf8Engine(atStart));
    case 'utf-8':
      return spec('utf-8', true, (atStart) => new Utf8Engine(atStart));
    case 'utf-16':
      return spec('unicode', false, () => new Utf16Engine('detect'));
    case 'utf-16le':
      return spec('unicode', false, () => new Utf16Engine('le'));
    case 'utf-16be':
      return spec('unicode', false, () => new Utf16Engine('be'));
    case 'utf-32':
    case 'utf-32le':
    case 'utf-32be':
      return spec('unicode', false, () => new IconvEngine(name));
    case 'utf-7':
      return spec('multibyte', false, () => new Utf7Engine());
    case 'iso-2022-jp':
      return spec('multibyte', false, createIso2022Jp);
    case 'iso-2022-kr':
      return spec('multibyte', false, createIso2022Kr);
  }
  const codec = ICONV_MULTIBYTE[name];
  if (codec !== undefined) return spec('multibyte', true, () => new IconvEngine(codec));
  const table = sbcsTable(name);
  if (table !== null) return spec('sbcs', table.asciiCompatible, () => new SbcsEngine(table));
  try {
    iconv.getCodec(name); // another of iconv-lite's double-byte code pages
  } catch {
    return null;
  }
  return spec('multibyte', false, () => new IconvEngine(name));
}
