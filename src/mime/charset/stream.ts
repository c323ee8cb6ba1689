/**
 * Streaming text decoding for MIME bodies: state is carried across chunks (sequences cut by a chunk boundary,
 * ISO 2022 shift state), so any split of the input gives the same text as `decodeText` on the whole.
 *
 * The label policy (decide.ts) needs to see bytes before it can choose: ASCII chunks pass straight through (every
 * candidate decodes ASCII alike); from the first chunk with an 8-bit byte (or, without a trustworthy label, an ESC)
 * up to 64 KiB are held, then the policy decides once and the chosen engine continues. So a text below 64 KiB
 * decodes exactly as `decodeText`; a longer one is judged by its first 64 KiB of 8-bit text.
 * Limits: holds at most 64 KiB (plus one chunk); `charset` and `problem` are final after `end()`.
 */
import { isAscii } from 'node:buffer';
import { asBuffer, type Engine } from './engine.js';
import { decide, flaggedProblem, resolve, type Resolved } from './decide.js';
import { charsetSpec } from './registry.js';

/**
 * A streaming decoder (state carried across chunks).
 *
 * @example
 * const d = createTextDecoder('euc-kr');
 * for await (const chunk of body) out.write(d.write(chunk));
 * out.end(d.end());
 * if (d.problem !== undefined) part.problems.push(d.problem);
 */
export interface TextStreamDecoder {
  /** Decodes the next chunk; may return '' while bytes are held. */
  write(chunk: Uint8Array): string;
  /** Returns the rest of the text; the decoder cannot be written afterwards. */
  end(): string;
  /** Canonical name of the decoder in use (final after `end()`). */
  readonly charset: string;
  /** As `DecodedText.problem` (final after `end()`). */
  readonly problem: string | undefined;
}

const WINDOW = 64 * 1024;
const ESC = 0x1b;

class StreamDecoder implements TextStreamDecoder {
  readonly #r: Resolved;
  #engine: Engine | null = null;
  #pre: Engine | null = null;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #emitted = false;
  #ended = false;
  #charset: string;
  #problem: string | undefined;

  constructor(label: string | null | undefined) {
    const r = resolve(label);
    this.#r = r;
    const c = r.canonical;
    if (r.mode === 'utf-8' || r.mode === 'unicode') {
      this.#engine = charsetSpec(c!)!.create(true);
      this.#charset = c!;
    } else if (r.mode === 'sbcs' || r.mode === 'multibyte') {
      // ASCII-compatible charsets decode ASCII chunks themselves; others (ISO 2022, UTF-7) need their engine.
      if (!r.asciiCompatible) this.#pre = charsetSpec(c!)!.create(true);
      this.#charset = c!;
    } else {
      this.#charset = r.mode === 'missing' || r.mode === 'us-ascii' ? 'us-ascii' : 'utf-8';
    }
  }

  get charset(): string {
    return this.#charset;
  }

  get problem(): string | undefined {
    return this.#problem;
  }

  write(chunk: Uint8Array): string {
    if (this.#ended) throw new Error('Cannot write to a text decoder: end() was called');
    const buf = asBuffer(chunk);
    if (buf.length === 0) return '';
    if (this.#engine !== null) return this.#out(this.#engine.write(buf));
    if (this.#heldBytes === 0 && !this.#interesting(buf)) {
      this.#emitted = true;
      return this.#pre === null ? buf.toString('latin1') : this.#pre.write(buf);
    }
    this.#held.push(Buffer.from(buf)); // copied: the caller may reuse its buffer
    this.#heldBytes += buf.length;
    return this.#heldBytes < WINDOW ? '' : this.#decide(false);
  }

  end(): string {
    if (this.#ended) return '';
    let text: string;
    if (this.#engine === null) text = this.#decide(true);
    else text = this.#out(this.#engine.end());
    this.#ended = true;
    return text;
  }

  #interesting(buf: Buffer): boolean {
    if (!isAscii(buf)) return true;
    const m = this.#r.mode;
    return (m === 'missing' || m === 'us-ascii' || m === 'unknown' || m === 'x-unknown') && buf.includes(ESC);
  }

  #decide(final: boolean): string {
    const w = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held, this.#heldBytes);
    this.#held = [];
    this.#heldBytes = 0;
    const d = decide(this.#r, w, final, !this.#emitted, this.#pre);
    this.#engine = d.engine;
    this.#pre = null;
    this.#charset = d.charset;
    this.#problem = d.problem;
    return this.#out(d.text);
  }

  #out(text: string): string {
    if (text.length > 0) this.#emitted = true;
    if (this.#problem === undefined && this.#engine!.flagged) this.#problem = flaggedProblem(this.#charset);
    return text;
  }
}

/**
 * Creates a streaming decoder for a MIME charset label (undefined or null: US-ASCII, as in RFC 2045 §5.2).
 * Never throws on malformed input; throws only when written after `end()`.
 *
 * @example
 * const d = createTextDecoder('shift_jis');
 * d.write(Buffer.from([0x93, 0xfa, 0x96])) + d.write(Buffer.from([0x7b])) + d.end(); // '日本'
 * d.charset; // 'shift_jis'
 */
export function createTextDecoder(label?: string | null): TextStreamDecoder {
  return new StreamDecoder(label);
}
