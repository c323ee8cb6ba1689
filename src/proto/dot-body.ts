/**
 * Dot-stuffed bodies: SMTP DATA (RFC 5321 §4.1.1.4, §4.5.2) and POP3 multi-line responses (RFC 1939 §3).
 *
 * `DotDecoder` turns the bytes after DATA's 354 into the message: a line that starts with "." loses that dot
 * (RFC 5321 §4.5.2), and only <CRLF>.<CRLF> ends the body (RFC 5321 §4.1.1.4). Guard against SMTP smuggling
 * (CVE-2023-51764 class): <LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF> and <CR><LF>.<LF> are content, never the end; a
 * line start is only what follows CRLF (or the start of the body).
 *
 * Bare line ends (a CR not followed by LF, an LF not preceded by CR; RFC 5321 §2.3.8) are reported through
 * `bareNewline`; with `normalize` each becomes CRLF, otherwise the bytes pass unchanged (the caller refuses the
 * message). A normalized line end is not a line start: it neither unstuffs a dot nor ends the body.
 *
 * `DotStuffer` (and `dotStuff`, its Transform) is the reverse for senders: doubles a "." at a line start and
 * appends the terminator.
 *
 * Guarantees: the decoder keeps at most two deferred bytes of state across chunks and never copies content (it
 * emits slices of its input), so any chunking of the input gives the same output.
 */
import { Transform } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const B_DOT = Buffer.from('.');
const B_CR = Buffer.from('\r');
const B_LF = Buffer.from('\n');
const B_DOT_CR = Buffer.from('.\r');

/** S: line start; D: "." at a line start (deferred); DC: "." CR at a line start (deferred); M: mid line; C: after CR. */
type DotState = 'S' | 'D' | 'DC' | 'M' | 'C';

/** Decodes a dot-stuffed body incrementally. */
export class DotDecoder {
  private state: DotState = 'S';
  /** True once the terminating <CRLF>.<CRLF> has been consumed. */
  done = false;
  /** True once a bare CR or bare LF was seen. */
  bareNewline = false;

  /** @param normalize turn each bare CR or LF into CRLF */
  constructor(private readonly normalize: boolean) {}

  /**
   * Decodes `input`, appending output slices to `out`. Returns the number of input bytes consumed: all of them,
   * or up to and including the terminator (then `done` is true and the rest belongs to the next command).
   *
   * @example
   * ```ts
   * const d = new DotDecoder(false), out: Buffer[] = [];
   * d.decode(Buffer.from('..hi\r\n.\r\nQUIT\r\n'), out); // 9; Buffer.concat(out) is '.hi\r\n'; d.done
   * ```
   */
  decode(input: Buffer, out: Buffer[]): number {
    if (this.done) return 0;
    let run = 0; // start of the pending slice of input to emit
    const flush = (end: number): void => {
      if (end > run) out.push(input.subarray(run, end));
    };
    const bare = (at: number, isLf: boolean): void => {
      this.bareNewline = true;
      if (!this.normalize) return;
      if (isLf) {
        flush(at);
        out.push(B_CR); // the LF itself stays in the slice
        run = at;
      } else {
        flush(at); // the CR is already in the slice
        out.push(B_LF);
        run = at;
      }
    };
    let state = this.state;
    let nextLf = -2; // -2: not searched yet; -1: none in the rest of the input
    let nextCr = -2;
    let i = 0;
    const n = input.length;
    while (i < n) {
      if (state === 'M') {
        // Fast path (native search): jump to the line's CR LF when no other CR or LF comes first. The positions
        // found are reused until passed, so each byte is searched once (no quadratic time on odd input).
        if (nextLf !== -1 && nextLf < i) nextLf = input.indexOf(LF, i);
        if (nextCr !== -1 && nextCr < i) nextCr = input.indexOf(CR, i);
        const lf = nextLf;
        const cr = nextCr;
        if (lf > i && cr === lf - 1) {
          i = lf + 1;
          state = 'S';
          continue;
        }
        if (lf < 0 && cr < 0) break;
        const at = lf < 0 ? cr : cr < 0 ? lf : Math.min(cr, lf);
        if (input[at] === CR) state = 'C';
        else bare(at, true);
        i = at + 1;
        continue;
      }
      const b = input[i]!;
      switch (state) {
        case 'S':
          if (b === DOT) {
            flush(i);
            run = i + 1;
            state = 'D';
          } else if (b === CR) state = 'C';
          else if (b === LF) bare(i, true), (state = 'M');
          else state = 'M';
          break;
        case 'C':
          if (b === LF) state = 'S';
          else if (b === CR) bare(i, false);
          else bare(i, false), (state = 'M');
          break;
        case 'D':
          if (b === CR) {
            run = i + 1;
            state = 'DC';
          } else if (b === LF) {
            out.push(B_DOT); // "." followed by a bare LF: the dot is content, not stuffing
            bare(i, true);
            state = 'M';
          } else state = 'M'; // the first dot was stuffing (RFC 5321 §4.5.2)
          break;
        case 'DC':
          if (b === LF) {
            this.state = 'S';
            this.done = true; // RFC 5321 §4.1.1.4: <CRLF>.<CRLF>
            return i + 1;
          }
          out.push(B_DOT_CR); // "." then a bare CR: both are content
          this.bareNewline = true;
          if (this.normalize) out.push(B_LF);
          run = i;
          state = 'M';
          continue; // look at this byte again in state M
      }
      i++;
    }
    this.state = state;
    flush(input.length);
    return input.length;
  }
}

const END_AT_LINE_START = Buffer.from('.\r\n');
const END_AFTER_CR = Buffer.from('\n.\r\n');
const END_MID_LINE = Buffer.from('\r\n.\r\n');

/**
 * Dot-stuffing for senders over chunks (RFC 5321 §4.5.2, RFC 1939 §3), synchronous: a "." after a line feed (or
 * at the start) is doubled; `end()` gives a CRLF when the body did not end with a line end, then ".\r\n". A chunk
 * without a line-start dot passes through as is (no copy); dots are found with indexOf, not a byte loop.
 *
 * @example
 * ```ts
 * const s = new DotStuffer();
 * Buffer.concat([s.push(Buffer.from('.a\r\n.')), s.push(Buffer.from('b')), s.end()]).toString() === '..a\r\n..b\r\n.\r\n';
 * ```
 */
export class DotStuffer {
  private atLineStart = true;
  private last = -1;

  /** Stuffs one chunk; returns it unchanged (no copy) when no line in it starts with ".". */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    // Dots are looked for, not line feeds: mail has several times fewer dots than lines, so far fewer searches.
    let at = this.nextLineDot(chunk, 0);
    this.last = chunk[chunk.length - 1]!;
    const startsLine = this.atLineStart;
    this.atLineStart = this.last === LF;
    if (at < 0) return chunk; // the common case: no array, no copy
    const out: Buffer[] = [];
    let run = 0;
    for (; at >= 0; at = this.nextLineDot(chunk, at + 1, startsLine)) {
      out.push(chunk.subarray(run, at), B_DOT);
      run = at;
    }
    out.push(chunk.subarray(run));
    return Buffer.concat(out);
  }

  /** The next "." at or after `from` that starts a line (after a LF, or at 0 when the chunk starts a line), or -1. */
  private nextLineDot(chunk: Buffer, from: number, startsLine = this.atLineStart): number {
    for (let at = chunk.indexOf(DOT, from); at >= 0; at = chunk.indexOf(DOT, at + 1)) {
      if (at === 0 ? startsLine : chunk[at - 1] === LF) return at;
    }
    return -1;
  }

  /** The end: CRLF when the body did not end with a line end, then ".\r\n" (shared buffers: do not modify). */
  end(): Buffer {
    return this.last === -1 || this.last === LF ? END_AT_LINE_START : this.last === CR ? END_AFTER_CR : END_MID_LINE;
  }
}

/**
 * DotStuffer as a Transform, for pipelines.
 *
 * @example
 * ```ts
 * await pipeline(Readable.from([Buffer.from('.a\r\nb')]), dotStuff(), sink); // sink gets '..a\r\nb\r\n.\r\n'
 * ```
 */
export function dotStuff(): Transform {
  const s = new DotStuffer();
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, s.push(chunk));
    },
    flush(done) {
      done(null, s.end());
    },
  });
}
