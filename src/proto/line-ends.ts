/**
 * Line-end checking for bodies that arrive without dot-stuffing (SMTP BDAT, RFC 3030): finds bare CR and bare LF
 * (RFC 5321 §2.3.8) across chunk boundaries and, with `normalize`, turns each into CRLF, with the same rules as
 * DotDecoder so that DATA and BDAT treat a message alike.
 */

const CR = 0x0d;
const LF = 0x0a;
const B_CR = Buffer.from('\r');
const B_LF = Buffer.from('\n');

/** Scans (and optionally normalizes) line ends of a body that arrives in chunks. */
export class LineEndScanner {
  private afterCr = false;
  /** True once a bare CR or bare LF was seen. */
  bareNewline = false;

  constructor(private readonly normalize: boolean) {}

  /**
   * Scans one chunk; returns it (normalized when asked).
   *
   * @example
   * ```ts
   * const s = new LineEndScanner(true);
   * s.push(Buffer.from('a\nb\r')).toString() === 'a\r\nb\r'; // the final CR waits for the next chunk
   * s.end().toString() === '\n';                              // …which never came: it was bare
   * ```
   */
  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let run = 0;
    const bare = (at: number, insert: Buffer): void => {
      this.bareNewline = true;
      if (!this.normalize) return;
      out.push(chunk.subarray(run, at), insert);
      run = at;
    };
    const n = chunk.length;
    let i = 0;
    if (this.afterCr && n > 0) {
      this.afterCr = false;
      if (chunk[0] === LF) i = 1;
      else bare(0, B_LF); // the CR ended the previous chunk
    }
    // Native searches, each position reused until passed: linear time on any input.
    let nextCr = -2;
    let nextLf = -2;
    while (i < n) {
      if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
      if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
      if (nextCr < 0 && nextLf < 0) break;
      const at = nextCr < 0 ? nextLf : nextLf < 0 ? nextCr : Math.min(nextCr, nextLf);
      if (at === nextLf) {
        bare(at, B_CR); // an LF not preceded by CR
        i = at + 1;
      } else if (at + 1 === n) {
        this.afterCr = true; // decided by the next chunk
        i = n;
      } else if (chunk[at + 1] === LF) {
        i = at + 2;
      } else {
        bare(at + 1, B_LF); // a CR not followed by LF
        i = at + 1;
      }
    }
    if (out.length === 0) return chunk;
    out.push(chunk.subarray(run));
    return Buffer.concat(out);
  }

  /** Ends the body: a final CR without LF is bare. Returns what normalization adds (possibly nothing). */
  end(): Buffer {
    const pending = this.afterCr;
    this.afterCr = false;
    if (!pending) return Buffer.alloc(0);
    this.bareNewline = true;
    return this.normalize ? B_LF : Buffer.alloc(0);
  }
}
