/**
 * TOP's cut (RFC 1939 §7 TOP): the header, the blank line that ends it, then the first `lines` lines of the
 * body. The header's end comes from the stored part index (`bodyOffset`) when known, else from the first empty
 * line; with no empty line at all the whole message is header. Lines end at LF (CRLF as stored); a last line
 * without a line end counts as a line.
 *
 * Guarantees: streams (never holds more than the chunk at hand); stops reading the source as soon as the cut
 * is complete, which destroys it (so a 50 MB body is not read for TOP n 0).
 */

const LF = 0x0a;
const CR = 0x0d;

/**
 * Yields the TOP part of `src`.
 *
 * @example
 * ```ts
 * const parts: Buffer[] = [];
 * for await (const b of cutTop(Readable.from([Buffer.from('A: 1\r\n\r\nx\r\ny\r\n')]), 1)) parts.push(b);
 * Buffer.concat(parts).toString() === 'A: 1\r\n\r\nx\r\n';
 * ```
 */
export async function* cutTop(src: AsyncIterable<Buffer>, lines: number, bodyOffset?: number): AsyncGenerator<Buffer> {
  let headerLeft = bodyOffset ?? -1; // octets of header still to pass; -1: look for the empty line
  let lineHasText = false; // header scan: the current line has an octet other than CR
  let linesLeft = lines;
  if (headerLeft === 0 && linesLeft === 0) return;
  for await (const chunk of src) {
    let i = 0;
    if (headerLeft > 0) {
      i = Math.min(headerLeft, chunk.length);
      headerLeft -= i;
    } else if (headerLeft < 0) {
      for (; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (b === LF) {
          if (!lineHasText) {
            headerLeft = 0; // RFC 5322 §2.1: the empty line ends the header
            i++;
            break;
          }
          lineHasText = false;
        } else if (b !== CR) lineHasText = true;
      }
    }
    if (headerLeft === 0) {
      while (linesLeft > 0 && i < chunk.length) {
        const lf = chunk.indexOf(LF, i);
        if (lf < 0) {
          i = chunk.length;
          break;
        }
        i = lf + 1;
        linesLeft--;
      }
    }
    if (i > 0) yield i === chunk.length ? chunk : chunk.subarray(0, i);
    if (headerLeft === 0 && linesLeft === 0) return; // the caller's for-await ends, and the source is destroyed
  }
}
