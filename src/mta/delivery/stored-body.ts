/**
 * The bytes of a delivered copy: the trace fields, then the queued body with CRLF line ends, with the MIME part
 * index computed on the way (STYLE.md §7: a body is never held in one buffer). `indexStored` only reads (for a body
 * already in CRLF, stored as prefix + the shared queue blob); `storedBody` produces a new copy to write.
 *
 * - Line ends: the store keeps messages with CRLF line ends (their size is the POP3 size). A bare LF becomes CRLF;
 *   CRLF and bare CR pass unchanged, so a body received over SMTP (always CRLF) is kept byte for byte.
 * - Part index: every byte that goes to the blob also goes through the MIME tokenizer, so the offsets are those of
 *   the stored bytes (trace fields included) and POP3 TOP or a webmail download can read a byte range.
 * Limits: the tokenizer's (nesting depth, part count, header size); past them the index is coarser, never wrong.
 */
import { MimeTokenizer, type PartNode } from '../../mime/index.js';
import type { PartIndex, PartIndexEntry } from '../../store/index.js';

const LF = 0x0a;
const CR = 0x0d;
const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * Converts bare LF to CRLF across chunk boundaries; chunks without a bare LF pass through without a copy.
 *
 * @example
 * ```ts
 * for await (const c of toCrlf(Readable.from([Buffer.from('a\nb\r\n')]))) out.push(c); // 'a\r\nb\r\n'
 * ```
 */
export async function* toCrlf(src: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
  let prevCR = false;
  for await (const raw of src) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (chunk.length === 0) continue;
    let start = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      const before = i === 0 ? prevCR : chunk[i - 1] === CR;
      if (before) continue;
      if (i > start) yield chunk.subarray(start, i);
      yield CRLF;
      start = i + 1;
    }
    if (start === 0) yield chunk;
    else if (start < chunk.length) yield chunk.subarray(start);
    prevCR = chunk[chunk.length - 1] === CR;
  }
}

/** Collects a part index from the MIME tokenizer's events. */
export class PartIndexer {
  #tokenizer: MimeTokenizer;
  #entries: { index: number; entry: PartIndexEntry }[] = [];

  constructor() {
    this.#tokenizer = new MimeTokenizer({
      partStart() {},
      body() {},
      partEnd: (n: PartNode) => {
        this.#entries.push({
          index: n.index,
          entry: { path: n.path, contentType: n.type.mime, header: n.offsets.header, body: n.offsets.body, end: n.offsets.end },
        });
      },
    });
  }

  write(chunk: Buffer): void {
    this.#tokenizer.write(chunk);
  }

  /** Ends the scan and returns the entries in document order. */
  finish(): PartIndex {
    this.#tokenizer.end();
    return this.#entries.sort((a, b) => a.index - b.index).map((e) => e.entry);
  }
}

/**
 * Finds a bare LF (an LF not after a CR) across chunk boundaries: the store keeps CRLF bodies as they are and
 * writes a CRLF copy of any other (bare CR passes, as `toCrlf` leaves it).
 *
 * @example
 * ```ts
 * const check = new BareLfCheck();
 * check.push(Buffer.from('a\r')) && check.push(Buffer.from('\nb\n')); // false: the second LF is bare
 * ```
 */
export class BareLfCheck {
  #prevCR = false;

  /** False when `chunk` holds a bare LF (then the body needs a CRLF copy); true while every LF follows a CR. */
  push(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      if (!(i === 0 ? this.#prevCR : chunk[i - 1] === CR)) return false;
    }
    this.#prevCR = chunk[chunk.length - 1] === CR;
    return true;
  }
}

/**
 * Feeds `prefix` and then `body` to `indexer`, as long as the body has no bare LF; returns false at the first bare
 * LF (the rest is not read: the caller must write a CRLF copy with `storedBody` and a fresh indexer instead).
 *
 * @example
 * ```ts
 * const indexer = new PartIndexer();
 * if (await indexStored(trace, queued, indexer)) await mailbox.append(queuedRef, { prefix: trace, parts: indexer.finish(), receivedAt });
 * ```
 */
export async function indexStored(prefix: Buffer, body: AsyncIterable<Uint8Array | string>, indexer: PartIndexer): Promise<boolean> {
  indexer.write(prefix);
  const check = new BareLfCheck();
  for await (const raw of body) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (!check.push(chunk)) return false;
    if (chunk.length > 0) indexer.write(chunk);
  }
  return true;
}

/**
 * The stream to store: `prefix`, then `body` with CRLF line ends, each chunk also fed to `indexer`.
 *
 * @example
 * ```ts
 * const indexer = new PartIndexer();
 * const ref = await blobs.put(storedBody(trace, queued, indexer), { maxBytes });
 * const parts = indexer.finish();
 * ```
 */
export async function* storedBody(
  prefix: Buffer,
  body: AsyncIterable<Uint8Array | string>,
  indexer: PartIndexer,
): AsyncGenerator<Buffer> {
  indexer.write(prefix);
  yield prefix;
  for await (const chunk of toCrlf(body)) {
    indexer.write(chunk);
    yield chunk;
  }
}
