/**
 * The decoding policy: which charset a label really gets, given the bytes, and which problem to report.
 *
 * Rules (shared by `decodeText` and the streaming decoder, which applies them to its first 64 KiB of 8-bit text):
 * - UTF-8 labels decode as UTF-8 with U+FFFD for invalid bytes; no guessing (RFC 6532 mail is UTF-8).
 * - No label or US-ASCII (RFC 2045 §5.2 default): ASCII as is; ISO 2022 escapes → ISO-2022-JP/KR; valid UTF-8 →
 *   UTF-8; else a legacy guess (sniff.ts), usually windows-1252. Each fallback reports a problem.
 * - Unknown label: the same, always with a problem. `x-unknown` (and its aliases): the same, with a problem only
 *   for a legacy guess.
 * - Single-byte label on bytes that are valid UTF-8 and not ASCII: UTF-8 (a Latin text that happens to be valid
 *   multi-byte UTF-8 is vanishingly rare; the opposite mislabel is common). Multi-byte label: UTF-8 only when its
 *   own decoding produced U+FFFD and the bytes are valid UTF-8.
 */
import { isAscii } from 'node:buffer';
import type { Engine } from './engine.js';
import { canonicalCharset, normalizeLabel } from './labels.js';
import { charsetSpec, type CharsetKind } from './registry.js';
import { legacyCandidates, sniffIso2022 } from './sniff.js';
import { Utf8Engine, utf8Valid } from './unicode.js';

/**
 * A label as the policy sees it.
 *
 * @example
 * resolve('"ISO-8859-1"'); // { mode: 'sbcs', canonical: 'windows-1252', shown: '"ISO-8859-1"', asciiCompatible: true }
 */
export interface Resolved {
  readonly mode: CharsetKind | 'missing' | 'unknown';
  /** Canonical name, null when missing or unknown. */
  readonly canonical: string | null;
  /** The label as sent, made safe for a problem message. */
  readonly shown: string;
  readonly asciiCompatible: boolean;
}

/**
 * What the policy chose for some bytes; the engine has consumed them.
 *
 * @example
 * const d = decide(resolve('us-ascii'), Buffer.from('é'), true, true, null);
 * // d.charset 'utf-8', d.text 'é', d.problem 'Charset "us-ascii" but the text has 8-bit bytes: decoded as UTF-8'
 */
export interface Decision {
  readonly engine: Engine;
  readonly charset: string;
  readonly text: string;
  readonly problem: string | undefined;
}

const MISSING: Resolved = { mode: 'missing', canonical: null, shown: '', asciiCompatible: true };
const ESC = 0x1b;
const MAX_SHOWN = 64;
const MAX_RESOLVED = 1024;
const resolved = new Map<string, Resolved>(); // bounded: labels come from mail

/**
 * Resolves a label (undefined, null or empty: missing).
 *
 * @example
 * resolve('ks_c_5601-1987').canonical; // 'cp949'
 */
export function resolve(label: string | null | undefined): Resolved {
  if (typeof label !== 'string') return MISSING;
  let r = resolved.get(label);
  if (r === undefined) {
    r = resolveUncached(label);
    if (resolved.size >= MAX_RESOLVED) resolved.clear();
    resolved.set(label, r);
  }
  return r;
}

function resolveUncached(label: string): Resolved {
  if (normalizeLabel(label) === '') return MISSING;
  const shown = label.trim().replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, MAX_SHOWN);
  const canonical = canonicalCharset(label);
  const spec = canonical === null ? null : charsetSpec(canonical);
  if (canonical === null || spec === null) return { mode: 'unknown', canonical: null, shown, asciiCompatible: true };
  return { mode: spec.kind, canonical, shown, asciiCompatible: spec.asciiCompatible };
}

function display(charset: string): string {
  return charset === 'utf-8' ? 'UTF-8' : charset;
}

/**
 * The problem to report once an engine flagged its input.
 *
 * @example
 * flaggedProblem('shift_jis'); // 'Invalid bytes for charset "shift_jis": replaced with U+FFFD'
 */
export function flaggedProblem(charset: string): string {
  if (charset === 'us-ascii') return 'Charset "us-ascii" but the text has 8-bit bytes: decoded as windows-1252';
  return `Invalid bytes for charset "${charset}": replaced with U+FFFD`;
}

function feed(e: Engine, w: Buffer, final: boolean): string {
  return final ? e.write(w) + e.end() : e.write(w);
}

function run(engine: Engine, charset: string, problem: string | undefined, w: Buffer, final: boolean): Decision {
  return { engine, charset, text: feed(engine, w, final), problem };
}

function lieProblem(r: Resolved): string {
  return `Charset "${r.shown}" but the text is UTF-8: decoded as UTF-8`;
}

function guessProblem(r: Resolved, charset: string, why: '8-bit' | 'escapes'): string | undefined {
  const how = `decoded as ${display(charset)}`;
  const what = why === 'escapes' ? 'ISO 2022 escapes' : '8-bit bytes';
  switch (r.mode) {
    case 'missing':
      return `No charset declared but the text has ${what}: ${how}`;
    case 'unknown':
      return `Unknown charset "${r.shown}": ${how}`;
    case 'x-unknown':
      return charset === 'utf-8' || why === 'escapes' ? undefined : `Charset "${r.shown}" names no charset: ${how}`;
    default:
      return `Charset "${r.shown}" but the text has ${what}: ${how}`;
  }
}

/**
 * Chooses a charset for `w` and decodes it. `final`: no bytes follow (else an engine keeps a cut sequence);
 * `atStart`: nothing was emitted before `w`; `pre`: the label's engine when it already decoded earlier chunks.
 *
 * @example
 * decide(resolve('iso-8859-1'), Buffer.from('é'), true, true, null).charset; // 'utf-8' (the label lied)
 */
export function decide(r: Resolved, w: Buffer, final: boolean, atStart: boolean, pre: Engine | null): Decision {
  const canonical = r.canonical;
  if (canonical === null || r.mode === 'us-ascii' || r.mode === 'x-unknown') return guess(r, w, final, atStart);
  const create = (): Engine => pre ?? charsetSpec(canonical)!.create(atStart);
  switch (r.mode) {
    case 'sbcs':
      if (r.asciiCompatible && !isAscii(w) && utf8Valid(w, final)) {
        return run(new Utf8Engine(atStart), 'utf-8', lieProblem(r), w, final);
      }
      return run(create(), canonical, undefined, w, final);
    case 'multibyte': {
      const e = create();
      const text = feed(e, w, final);
      if (e.flagged && !isAscii(w) && utf8Valid(w, final)) {
        return run(new Utf8Engine(atStart), 'utf-8', lieProblem(r), w, final);
      }
      return { engine: e, charset: canonical, text, problem: undefined };
    }
    default: // utf-8, unicode
      return run(create(), canonical, undefined, w, final);
  }
}

function guess(r: Resolved, w: Buffer, final: boolean, atStart: boolean): Decision {
  if (isAscii(w)) {
    const iso = w.includes(ESC) ? sniffIso2022(w) : null;
    if (iso !== null) return run(charsetSpec(iso)!.create(atStart), iso, guessProblem(r, iso, 'escapes'), w, final);
    if (r.mode === 'missing' || r.mode === 'us-ascii') {
      return run(charsetSpec('us-ascii')!.create(atStart), 'us-ascii', undefined, w, final);
    }
    return run(new Utf8Engine(atStart), 'utf-8', guessProblem(r, 'utf-8', '8-bit'), w, final);
  }
  if (utf8Valid(w, final)) return run(new Utf8Engine(atStart), 'utf-8', guessProblem(r, 'utf-8', '8-bit'), w, final);
  const candidates = legacyCandidates(w, final);
  for (let k = 0; k < candidates.length - 1; k++) {
    const cs = candidates[k]!;
    const e = charsetSpec(cs)!.create(atStart);
    const text = feed(e, w, final);
    if (!e.flagged) return { engine: e, charset: cs, text, problem: guessProblem(r, cs, '8-bit') };
  }
  const fallback = charsetSpec('windows-1252')!.create(atStart);
  return run(fallback, 'windows-1252', guessProblem(r, 'windows-1252', '8-bit'), w, final);
}
