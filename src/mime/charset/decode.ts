/**
 * One-shot decoding of bytes labelled with a MIME charset (RFC 2045 §5.1, RFC 2046 §4.1.2, RFC 2047 §2).
 *
 * Guarantees: never throws; any label works (any case, alias, quotes, garbage, or none = US-ASCII); the
 * reported charset is the decoder actually used; a problem string says when the label was unknown or wrong or
 * bytes were replaced. ASCII and valid UTF-8 input cost one or two SIMD scans plus one native conversion.
 * Policy: see decide.ts. Limits: guessing covers UTF-8, ISO 2022, CP949, Shift_JIS, EUC-JP, windows-1252.
 */
import { asBuffer } from './engine.js';
import { decide, flaggedProblem, resolve } from './decide.js';

/**
 * Result of decoding bytes as text.
 *
 * @example
 * const { text, charset, problem } = decodeText(bytes, 'iso-8859-1');
 * if (problem !== undefined) part.problems.push(problem);
 */
export interface DecodedText {
  text: string;
  /** Canonical name of the decoder actually used, lower-case: 'utf-8', 'windows-1252', 'cp949', 'iso-2022-jp', … */
  charset: string;
  /** Set when the label was unknown, the bytes lied about the label, or replacement characters were produced. */
  problem?: string;
}

/**
 * Decodes bytes labelled with a MIME charset. Never throws.
 *
 * @example
 * decodeText(Buffer.from([0xbe, 0xc8, 0xb3, 0xe7]), 'ks_c_5601-1987');
 * // { text: '안녕', charset: 'cp949' }
 * decodeText(Buffer.from('café'), 'us-ascii');
 * // { text: 'café', charset: 'utf-8', problem: 'Charset "us-ascii" but the text has 8-bit bytes: decoded as UTF-8' }
 */
export function decodeText(bytes: Uint8Array, label?: string | null): DecodedText {
  const buf = asBuffer(bytes);
  try {
    const r = resolve(label);
    const d = decide(r, buf, true, true, null);
    const problem = d.problem ?? (d.engine.flagged ? flaggedProblem(d.charset) : undefined);
    return problem === undefined ? { text: d.text, charset: d.charset } : { text: d.text, charset: d.charset, problem };
  } catch (err) {
    // Defensive: a bug in a decoder must not take the message down with it.
    const why = err instanceof Error ? err.message : String(err);
    return { text: buf.toString('utf8'), charset: 'utf-8', problem: `Cannot decode text: ${why}` };
  }
}
