/**
 * The low-level MIME writer (go-message's `message.Writer`): a header block, then either a body or parts separated
 * by boundary delimiters (RFC 2045 §3, RFC 2046 §5.1.1, RFC 5322 §2.1 and §2.2).
 *
 * Guarantees: every header line it writes ends with CRLF, is at most 998 octets and holds no bare CR, LF or NUL
 * (a field is refused before a byte of it is written); without `utf8` header lines are ASCII; delimiters follow
 * RFC 2046 §5.1.1 (the CRLF before `--boundary` belongs to the delimiter, so a body's own final line break
 * survives); a top-level entity always ends with CRLF (an empty body stays empty); every write awaits the sink, so backpressure reaches the
 * producer. Misuse (a part created while the previous one is open, writing a body into a multipart) throws.
 * Limits: bodies are written as given: the caller encodes them (see body.ts) and keeps them free of the boundary.
 */
import { Readable, type Writable } from 'node:stream';

/** Where the writer puts bytes; `write` resolves when the sink can take more. */
export interface ByteSink {
  write(chunk: Buffer): Promise<void> | void;
}

/** RFC 2046 §5.1.1 bchars, 1 to 70, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * Checks one formatted header field (`Name: value`, folded with CRLF + WSP) and returns its bytes with the final CRLF.
 * Throws when the field could break the header: a bare CR or LF, a line not folded with whitespace, NUL, a line
 * over 998 octets (RFC 5322 §2.1.1), a name that is not printable ASCII, or non-ASCII without `utf8` (RFC 6532).
 */
function fieldBytes(field: string, utf8: boolean): Buffer {
  const what = `Cannot write header field ${JSON.stringify(field.slice(0, 40))}`;
  // RFC 5322 §2.2: field-name = 1*ftext, then ":".
  if (!/^[\x21-\x39\x3b-\x7e]+:/.test(field)) throw new Error(`${what}: no field name`);
  if (field.includes('\0')) throw new Error(`${what}: contains NUL`);
  if (!utf8 && /[^\x00-\x7f]/.test(field)) throw new Error(`${what}: contains non-ASCII characters`);
  const lines = field.split('\r\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/[\r\n]/.test(line)) throw new Error(`${what}: contains a bare CR or LF`);
    // RFC 5322 §2.2.3: a continuation line starts with WSP and is not only whitespace.
    if (i > 0 && !/^[ \t]+[^ \t]/.test(line)) throw new Error(`${what}: continuation line does not start with whitespace`);
    if (Buffer.byteLength(line, 'utf8') > 998) throw new Error(`${what}: a line exceeds 998 octets`);
  }
  return Buffer.from(field + '\r\n', 'utf8');
}

/** Options of `MimeWriter.create` and `createPart`. */
export interface EntityOptions {
  /** The entity is a multipart with this boundary (it must also be in the Content-Type field the caller wrote). */
  readonly boundary?: string;
  /** Allow raw UTF-8 in header fields (RFC 6532, SMTPUTF8). Parts inherit it. */
  readonly utf8?: boolean;
}

/**
 * Writes one entity: its header at creation, then a body (`write`) or parts (`createPart`), then `close()`.
 *
 * @example
 * ```ts
 * const out: Buffer[] = [];
 * const sink = { write: (c: Buffer) => void out.push(c) };
 * const w = await MimeWriter.create(sink, ['Content-Type: multipart/mixed; boundary="b=_1"'], { boundary: 'b=_1' });
 * const p = await w.createPart(['Content-Type: text/plain']);
 * await p.write(Buffer.from('hi'));
 * await p.close();
 * await w.close();
 * Buffer.concat(out).toString(); // 'Content-Type: ...\r\n\r\n--b=_1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b=_1--\r\n'
 * ```
 */
export class MimeWriter {
  readonly #sink: ByteSink;
  readonly #boundary: string | undefined;
  readonly #utf8: boolean;
  readonly #parent: MimeWriter | null;
  #open: MimeWriter | null = null;
  #parts = 0;
  #closed = false;
  #tail = 0; // the last two bytes of the body, to know whether it ended with CRLF
  #written = false;

  private constructor(sink: ByteSink, parent: MimeWriter | null, opts: EntityOptions) {
    if (opts.boundary !== undefined && !BOUNDARY.test(opts.boundary)) {
      throw new Error(`Cannot write multipart: boundary ${JSON.stringify(opts.boundary)} is not 1 to 70 RFC 2046 bchars`);
    }
    this.#sink = sink;
    this.#parent = parent;
    this.#boundary = opts.boundary;
    this.#utf8 = opts.utf8 ?? (parent === null ? false : parent.#utf8);
  }

  /**
   * Writes a top-level header block (each field checked, then the empty line) and returns the writer for its body.
   *
   * @example
   * ```ts
   * const w = await MimeWriter.create(sink, ['Subject: hi', 'Content-Type: text/plain']);
   * ```
   */
  static async create(sink: ByteSink, fields: readonly string[], opts: EntityOptions = {}): Promise<MimeWriter> {
    const w = new MimeWriter(sink, null, opts);
    await w.#header(fields, Buffer.alloc(0));
    return w;
  }

  /** True when this entity is a multipart (it takes parts, not a body). */
  get multipart(): boolean {
    return this.#boundary !== undefined;
  }

  async #header(fields: readonly string[], before: Buffer): Promise<void> {
    const chunks = [before, ...fields.map((f) => fieldBytes(f, this.#utf8)), CRLF];
    await this.#sink.write(Buffer.concat(chunks));
  }

  /**
   * Starts the next part of a multipart: writes the delimiter and the part's header, and returns the part's writer.
   * The previous part must be closed. Fields are checked before anything is written.
   *
   * @example
   * ```ts
   * const part = await multipart.createPart(['Content-Type: text/plain; charset=us-ascii']);
   * ```
   */
  async createPart(fields: readonly string[], opts: EntityOptions = {}): Promise<MimeWriter> {
    if (this.#boundary === undefined) throw new Error('Cannot create part: the entity is not a multipart');
    if (this.#closed) throw new Error('Cannot create part: the multipart is closed');
    if (this.#open !== null) throw new Error('Cannot create part: the previous part is not closed');
    const part = new MimeWriter(this.#sink, this, { utf8: this.#utf8, ...opts });
    // RFC 2046 §5.1.1: the delimiter is CRLF "--" boundary; the first one may start the body (empty preamble).
    const delimiter = `${this.#parts === 0 ? '' : '\r\n'}--${this.#boundary}\r\n`;
    this.#open = part;
    this.#parts++;
    await part.#header(fields, Buffer.from(delimiter, 'latin1'));
    return part;
  }

  /**
   * Writes body bytes of a leaf entity (already transfer-encoded).
   *
   * @example
   * ```ts
   * await part.write(Buffer.from('Hello\r\n'));
   * ```
   */
  async write(chunk: Buffer): Promise<void> {
    if (this.#boundary !== undefined) throw new Error('Cannot write body: the entity is a multipart, create parts instead');
    if (this.#closed) throw new Error('Cannot write body: the entity is closed');
    if (chunk.length === 0) return;
    this.#written = true;
    this.#tail = chunk.length >= 2 ? (chunk[chunk.length - 2]! << 8) | chunk[chunk.length - 1]! : ((this.#tail & 0xff) << 8) | chunk[0]!;
    await this.#sink.write(chunk);
  }

  /**
   * Ends the entity: a multipart writes its close delimiter (RFC 2046 §5.1.1 `--boundary--`); a top-level entity
   * with a body ends with CRLF. Throws when a multipart has no parts (RFC 2046 §5.1.1 requires at least one) or a part is open.
   *
   * @example
   * ```ts
   * await part.close();
   * await multipart.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#open !== null) throw new Error('Cannot close entity: a part is still open');
    let end = '';
    if (this.#boundary !== undefined) {
      if (this.#parts === 0) throw new Error('Cannot close multipart: it has no parts');
      end = `\r\n--${this.#boundary}--`;
      if (this.#parent === null) end += '\r\n';
    } else if (this.#parent === null && this.#written && this.#tail !== 0x0d0a) {
      end = '\r\n';
    }
    this.#closed = true;
    if (this.#parent !== null) this.#parent.#open = null;
    if (end !== '') await this.#sink.write(Buffer.from(end, 'latin1'));
  }
}

/**
 * A sink over a Node Writable: waits for 'drain' when the stream's buffer is full.
 *
 * @example
 * ```ts
 * const w = await MimeWriter.create(writableSink(socket), fields);
 * ```
 */
export function writableSink(out: Writable): ByteSink {
  return {
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (out.destroyed) return reject(new Error('Cannot write message: the output stream is destroyed'));
        if (out.write(chunk)) return resolve();
        const done = (err?: Error): void => {
          out.off('drain', ok);
          out.off('close', closed);
          if (err) reject(err);
          else resolve();
        };
        const ok = (): void => done();
        const closed = (): void => done(new Error('Cannot write message: the output stream closed'));
        out.once('drain', ok);
        out.once('close', closed);
      }),
  };
}

/**
 * Runs `produce` when the consumer first reads, and exposes what it writes as a Readable. A write resolves only
 * when the consumer wants more (backpressure); after the consumer destroys the stream, writes throw so the
 * producer stops and releases its sources. An error thrown by `produce` destroys the stream with that error.
 *
 * @example
 * ```ts
 * const r = readableFrom(async (sink) => { await sink.write(Buffer.from('hello\r\n')); });
 * ```
 */
export function readableFrom(produce: (sink: ByteSink) => Promise<void>, opts: { highWaterMark?: number } = {}): Readable {
  let wake: (() => void) | null = null;
  let started = false;
  const resume = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const readable = new Readable({
    highWaterMark: opts.highWaterMark ?? 64 * 1024,
    read() {
      if (!started) {
        started = true;
        produce(sink).then(
          () => readable.push(null),
          (err: unknown) => readable.destroy(err instanceof Error ? err : new Error(String(err))),
        );
      }
      resume();
    },
    destroy(err, cb) {
      resume();
      cb(err);
    },
  });
  const sink: ByteSink = {
    async write(chunk) {
      if (readable.destroyed) throw new Error('Cannot write message: the output stream is destroyed');
      if (chunk.length === 0 || readable.push(chunk)) return;
      await new Promise<void>((r) => (wake = r));
      if (readable.destroyed) throw new Error('Cannot write message: the output stream is destroyed');
    },
  };
  return readable;
}
