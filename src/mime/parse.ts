/**
 * The streaming parser: a message as an async iterable of parts, each with a decoded body stream
 * (RFC 5322, RFC 2045–2049; the go-message model).
 *
 * Guarantees: input is pulled only as fast as the consumer reads bodies (backpressure reaches the source);
 * a 100 MB attachment is never held in memory; every entity is yielded in document order, containers
 * (multipart, message/rfc822) before their children; a body not read before the next part is requested is
 * skipped. Transfer encodings are undone; charsets are not (bodies are bytes — see `charset/` for text).
 * Decoding problems are appended to `part.problems` as the body is read; nothing here throws on bad input.
 */
import { Readable } from 'node:stream';
import { MimeTokenizer, type PartNode, type TokenSink } from './tokenizer.js';
import { partInfo, type PartInfo } from './part-info.js';
import { createBase64Decoder, createQpDecoder, type BodyDecoder } from './encodings/index.js';
import type { MimeLimits } from './limits.js';

/** One entity of a message, as the streaming parser yields it. */
export interface Part extends PartInfo {
  /** The scanner's node: header, media type, kind, path, depth, offsets (`offsets.end` is known once the body is read). */
  readonly node: PartNode;
  /** Decoded body bytes (transfer encoding undone). Empty for multipart and message/rfc822 containers. */
  readonly body: Readable;
  /** Header, decoding and structure problems of this part (grows while the body is read). */
  readonly problems: string[];
}

/** Options of the parsers. */
export interface ParseOptions {
  readonly limits?: Partial<MimeLimits>;
}

/** Anything the parsers read a message from. */
export type MessageSource = Readable | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array>;

type Event = { t: 'start' | 'end'; node: PartNode } | { t: 'body'; node: PartNode; chunk: Buffer };

/**
 * Creates the decoder that undoes a part's transfer encoding, or null for identity.
 *
 * @example
 * ```ts
 * const d = bodyDecoderFor('base64');
 * d?.write(Buffer.from('aGk=')).toString() === 'hi';
 * ```
 */
export function bodyDecoderFor(encoding: PartInfo['transferEncoding']): BodyDecoder | null {
  if (encoding === 'base64') return createBase64Decoder();
  if (encoding === 'quoted-printable') return createQpDecoder();
  return null;
}

/** Turns any chunk a source yields into a Buffer without copying. */
export function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'latin1');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

class Live {
  decoder: BodyDecoder | null;
  ended = false;
  skipping = false;
  readonly body: Readable;
  constructor(
    readonly node: PartNode,
    readonly problems: string[],
    info: PartInfo,
    pull: (live: Live) => Promise<void>,
  ) {
    this.decoder = node.kind === 'leaf' ? bodyDecoderFor(info.transferEncoding) : null;
    this.body = new Readable({
      read: () => {
        pull(this).catch((err: unknown) => this.body.destroy(err as Error));
      },
    });
    if (node.kind !== 'leaf') {
      this.ended = true;
      this.body.push(null);
    }
  }
}

class PartStream implements AsyncIterable<Part> {
  readonly #iter: AsyncIterator<Uint8Array | string> | Iterator<Uint8Array>;
  readonly #events: Event[] = [];
  readonly #tok: MimeTokenizer;
  #done = false;
  #lock: Promise<void> = Promise.resolve();

  constructor(src: MessageSource, opts: ParseOptions) {
    this.#iter = Symbol.asyncIterator in src ? src[Symbol.asyncIterator]() : (src as Iterable<Uint8Array>)[Symbol.iterator]();
    const events = this.#events;
    const sink: TokenSink = {
      partStart: (node) => events.push({ t: 'start', node }),
      body: (node, chunk) => events.push({ t: 'body', node, chunk }),
      partEnd: (node) => events.push({ t: 'end', node }),
    };
    this.#tok = new MimeTokenizer(sink, opts.limits);
  }

  /** Problems about the message as a whole (limits reached). */
  get problems(): readonly string[] {
    return this.#tok.problems;
  }

  /** Runs `fn` after every earlier pull: the body stream and the iterator share one source. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Reads source chunks until at least one event is queued; false at the end of everything. */
  async #fill(): Promise<boolean> {
    while (this.#events.length === 0) {
      if (this.#done) return false;
      const r = await this.#iter.next();
      if (r.done) {
        this.#done = true;
        this.#tok.end();
      } else {
        this.#tok.write(toBuffer(r.value));
      }
    }
    return true;
  }

  /** Feeds one leaf's body stream until it has pushed data, ended, or the consumer wants no more. */
  #pull = (live: Live): Promise<void> =>
    this.#serial(async () => {
      while (!live.ended) {
        if (!(await this.#fill())) {
          this.#endLive(live);
          return;
        }
        const ev = this.#events[0]!;
        if (ev.node !== live.node) {
          this.#endLive(live); // cannot happen: a leaf's end event precedes anything after it
          return;
        }
        this.#events.shift();
        if (ev.t === 'body') {
          const out = live.decoder ? live.decoder.write(ev.chunk) : ev.chunk;
          if (out.length > 0 && !live.skipping) {
            live.body.push(out); // the stream calls read() again when it wants more
            return;
          }
        } else if (ev.t === 'end') {
          this.#endLive(live);
        }
      }
    });

  #endLive(live: Live): void {
    if (live.ended) return;
    live.ended = true;
    if (live.decoder) {
      const tail = live.decoder.end();
      if (tail.length > 0 && !live.skipping) live.body.push(tail);
      live.problems.push(...live.decoder.problems);
    }
    live.body.push(null);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Part> {
    let current: Live | null = null;
    for (;;) {
      if (current && !current.ended) {
        const skip: Live = current;
        skip.skipping = true;
        await this.#serial(async () => {
          while (!skip.ended) {
            if (!(await this.#fill())) break;
            const ev = this.#events.shift()!;
            if (ev.t === 'body') skip.decoder?.write(ev.chunk);
            else if (ev.t === 'end' && ev.node === skip.node) this.#endLive(skip);
          }
          this.#endLive(skip);
        });
      }
      const ev = await this.#serial(async () => ((await this.#fill()) ? this.#events.shift()! : null));
      if (ev === null) return;
      if (ev.t !== 'start') continue;
      const info = partInfo(ev.node);
      const problems = ev.node.problems;
      problems.push(...info.problems);
      const live = new Live(ev.node, problems, info, this.#pull);
      current = live;
      yield { ...info, node: ev.node, body: live.body, problems };
    }
  }
}

/**
 * Parses a message as a stream of parts. Each leaf's `body` must be read (or abandoned) before asking for the
 * next part; an abandoned body is skipped.
 *
 * @example
 * ```ts
 * for await (const part of parts(fs.createReadStream('mail.eml'))) {
 *   if (part.filename) await pipeline(part.body, fs.createWriteStream(part.filename));
 * }
 * ```
 */
export function parts(src: MessageSource, opts: ParseOptions = {}): AsyncIterable<Part> & { readonly problems: readonly string[] } {
  return new PartStream(src, opts);
}
