/**
 * Counts the `Received:` fields in the header of a message as it streams past (RFC 5321 §6.3: a simple loop
 * check counts Received lines; Postfix's hopcount_limit is 50, so a message with 51 is refused as a loop).
 *
 * Guarantees: constant memory (a byte-level state machine that keeps at most the first 9 bytes of a field name);
 * only the header is examined: it ends at the first empty line, or at a line that is neither a field nor a
 * continuation, as the MIME tokenizer decides it; bytes after the header are not looked at. Field names compare
 * case-insensitively, and the obsolete `Received :` (space before the colon, RFC 5322 §4.5) counts too.
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;
const NAME = 'received';

type State = 'lineStart' | 'crAtStart' | 'name' | 'nameWsp' | 'skip' | 'done';

/**
 * Feed it the message in chunks; read `count` at any time.
 *
 * @example
 * ```ts
 * const c = new ReceivedCounter();
 * c.push(Buffer.from('Received: from a\r\nreceived : from b\r\n\r\nReceived: body\r\n'));
 * c.count === 2;
 * ```
 */
export class ReceivedCounter {
  /** Received fields seen so far. */
  count = 0;
  #state: State = 'lineStart';
  /** Lower-cased start of the current field name, while it can still be "received". */
  #name = '';
  #maybe = true;

  /** True once the header has ended; later chunks are ignored. */
  get headerDone(): boolean {
    return this.#state === 'done';
  }

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length && this.#state !== 'done'; i++) this.#byte(chunk[i]!);
  }

  #byte(c: number): void {
    switch (this.#state) {
      case 'lineStart':
        if (c === LF) this.#state = 'done';
        else if (c === CR) this.#state = 'crAtStart';
        else if (c === SP || c === HT) this.#state = 'skip'; // a continuation line (RFC 5322 §2.2.3)
        else if (c > SP && c < 0x7f && c !== COLON) {
          this.#name = String.fromCharCode(c | 0x20);
          this.#maybe = this.#name === 'r';
          this.#state = 'name';
        } else this.#state = 'done';
        return;
      case 'crAtStart':
        // CRLF on its own: the blank line that ends the header (RFC 5322 §2.1). A line starting with a bare CR is not
        // a field, which also ends the header.
        this.#state = 'done';
        return;
      case 'name':
        if (c === COLON) this.#field();
        else if (c === SP || c === HT) this.#state = 'nameWsp';
        else if (c > SP && c < 0x7f) {
          if (this.#maybe) {
            this.#name += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
            this.#maybe = NAME.startsWith(this.#name);
          }
        } else this.#state = 'done';
        return;
      case 'nameWsp':
        if (c === COLON) this.#field();
        else if (c !== SP && c !== HT) this.#state = 'done';
        return;
      case 'skip':
        if (c === LF) this.#state = 'lineStart';
        return;
      case 'done':
        return;
    }
  }

  #field(): void {
    if (this.#maybe && this.#name === NAME) this.count++;
    this.#state = 'skip';
  }
}
