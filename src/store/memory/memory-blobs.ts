/**
 * Blobs held in memory, for the reference store that every server test uses.
 *
 * Guarantees: the same observable behaviour as the file blob store: size and SHA-256 computed while reading,
 * `maxBytes` enforced while reading (nothing kept when exceeded, the source destroyed), ranges with an exclusive
 * end, a missing blob rejected by `get`. Limits: everything lives in the process heap, so a 50 MB blob costs 50 MB;
 * this is the one place where a body is buffered, and it exists for tests only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobTooLargeError, type BlobRef, type BlobStore } from '../store.js';
import { checkRange } from '../message-bytes.js';

/** The chunks of every blob, keyed by id; shared by the stores that reopen the same MemoryState. */
export type MemoryBlobMap = Map<string, readonly Buffer[]>;

function toBuffer(chunk: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk); // a copy: the producer may reuse its buffer
  throw new TypeError('Cannot store blob chunk: not bytes');
}

/**
 * A BlobStore in memory.
 * @example
 * const blobs = new MemoryBlobStore();
 * const ref = await blobs.put(Readable.from([Buffer.from('hi')]), { maxBytes: 10 }); // ref.size === 2
 */
export class MemoryBlobStore implements BlobStore {
  constructor(readonly map: MemoryBlobMap = new Map()) {}

  async put(src: Readable | AsyncIterable<Uint8Array>, opts: { maxBytes: number }): Promise<BlobRef> {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of src) {
      const b = toBuffer(chunk);
      size += b.length;
      if (size > opts.maxBytes) throw new BlobTooLargeError(opts.maxBytes);
      hash.update(b);
      chunks.push(b);
    }
    const id = randomBytes(16).toString('hex');
    this.map.set(id, chunks);
    return { id, size, sha256: hash.digest('hex') };
  }

  /** The chunks of a blob as stored (not copied); throws for an unknown one. */
  chunksOf(ref: BlobRef | string): readonly Buffer[] {
    const id = typeof ref === 'string' ? ref : ref.id;
    const chunks = this.map.get(id);
    if (!chunks) throw new Error(`Blob not found: ${id}`);
    return chunks;
  }

  async get(ref: BlobRef | string, range?: { start: number; end: number }): Promise<Readable> {
    checkRange(range);
    const id = typeof ref === 'string' ? ref : ref.id;
    const chunks = this.map.get(id);
    if (!chunks) throw new Error(`Blob not found: ${id}`);
    if (!range) return Readable.from(chunks, { objectMode: false });
    const out: Buffer[] = [];
    let pos = 0;
    for (const c of chunks) {
      const s = Math.max(range.start - pos, 0);
      const e = Math.min(range.end - pos, c.length);
      if (e > s) out.push(c.subarray(s, e));
      pos += c.length;
    }
    return Readable.from(out, { objectMode: false });
  }

  async delete(ref: BlobRef | string): Promise<void> {
    this.map.delete(typeof ref === 'string' ? ref : ref.id);
  }
}
