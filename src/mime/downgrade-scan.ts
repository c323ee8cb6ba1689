/**
 * Byte-level helpers of the 7-bit downgrade (downgrade.ts): the RFC 2045 §2.7 line check and the queue of input
 * bytes not yet written out.
 *
 * Guarantees: both work on any split of the input into chunks with the same result; neither copies input bytes.
 * Limits: RawQueue holds whatever its caller has not taken yet; bounding that is the caller's job.
 */
import { isAscii } from 'node:buffer';

const LF = 0x0a;
const CR = 0x0d;
/** RFC 5322 §2.1.1, RFC 2045 §2.7: at most 998 octets per line, CRLF excluded. */
const MAX_LINE = 998;

/**
 * Checks bytes against RFC 2045 §2.7 as they stream by; `problem` names the first violation (null: none so far).
 *
 * @example
 * ```ts
 * const check = new LineCheck();
 * check.scan(Buffer.from('ok\r'));
 * check.scan(Buffer.from('\nbare\nLF'));
 * check.problem; // 'a bare LF'
 * ```
 */
export class LineCheck {
  problem: string | null = null;
  #col = 0;
  #cr = false; // the last byte seen was a CR

  scan(c: Buffer): void {
    if (this.problem !== null || c.length === 0) return;
    if (!isAscii(c)) return this.#fail('an 8-bit octet');
    if (c.indexOf(0) !== -1) return this.#fail('a NUL octet');
    let p = 0;
    if (this.#cr) {
      if (c[0] !== LF) return this.#fail('a bare CR');
      this.#cr = false;
      this.#col = 0;
      p = 1;
    }
    while (p < c.length) {
      const lf = c.indexOf(LF, p);
      const end = lf === -1 ? c.length : lf;
      const cr = c.indexOf(CR, p);
      if (cr !== -1 && cr < end - 1) return this.#fail('a bare CR');
      const crBefore = cr !== -1 && cr === end - 1;
      this.#col += end - p - (crBefore ? 1 : 0);
      if (this.#col > MAX_LINE) return this.#fail(`a line longer than ${MAX_LINE} octets`);
      if (lf === -1) {
        this.#cr = crBefore;
        return;
      }
      if (!crBefore) return this.#fail('a bare LF');
      this.#col = 0;
      p = lf + 1;
    }
  }

  /** The body ended: a CR it ended with was bare. */
  finish(): void {
    if (this.problem === null && this.#cr) this.#fail('a bare CR');
  }

  #fail(what: string): void {
    this.problem = what;
  }
}

/**
 * Input chunks from the first byte not yet written out; ranges are taken in order and dropped once taken, so it
 * holds only what the caller has not decided about yet.
 *
 * @example
 * ```ts
 * const q = new RawQueue();
 * q.push(Buffer.from('abc'));
 * q.push(Buffer.from('def'));
 * Buffer.concat(q.take(1, 4)).toString(); // 'bcd' ('a' and 'bcd' are dropped)
 * ```
 */
export class RawQueue {
  #chunks: Buffer[] = [];
  #base = 0; // offset of #chunks[0][0] in the message
  length = 0; // bytes pushed so far
  last = LF; // the last byte taken

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Views of `[from, to)`; everything before `to` is dropped. `from` is never before an earlier `to`. */
  take(from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    while (this.#base < to && this.#chunks.length > 0) {
      const c = this.#chunks[0]!;
      const s = Math.max(from - this.#base, 0);
      const e = Math.min(to - this.#base, c.length);
      if (e > s) out.push(c.subarray(s, e));
      if (e < c.length) {
        this.#chunks[0] = c.subarray(e);
        this.#base += e;
        break;
      }
      this.#chunks.shift();
      this.#base += c.length;
    }
    const tail = out[out.length - 1];
    if (tail !== undefined) this.last = tail[tail.length - 1]!;
    return out;
  }
}
