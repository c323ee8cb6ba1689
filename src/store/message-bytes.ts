/**
 * The bytes of a stored message: an optional per-message `prefix` (kept with the message row, e.g. the trace fields
 * local delivery adds) followed by a blob that may be shared with a queue item or other messages.
 *
 * Guarantees: a byte range (`end` exclusive) is over the whole message, so it may start in the prefix and end in the
 * blob; the blob is opened only when the range reaches it; destroying the returned stream destroys the blob's stream.
 * `checkRange` is the one validation of a byte range, shared by openMessage and every BlobStore.get.
 * Limits: none beyond the blob store's (the prefix is small and held in the row).
 */
import { Readable } from 'node:stream';

/**
 * Checks a byte range (`end` exclusive) before anything is read; throws RangeError. Every blob store and
 * openMessage use it, so they refuse the same ranges.
 * @example checkRange({ start: 5, end: 2 }) // throws RangeError: Invalid byte range: 5-2
 */
export function checkRange(range: { start: number; end: number } | undefined): void {
  if (!range) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`Invalid byte range: ${start}-${end}`);
  }
}

/**
 * Opens prefix + blob, or a range of it.
 *
 * @example
 * ```ts
 * const s = await openMessage(Buffer.from('Return-Path: <>\r\n'), (r) => blobs.get(ref, r), { start: 10, end: 40 });
 * ```
 */
export async function openMessage(
  prefix: Buffer | undefined,
  openBlob: (range?: { start: number; end: number }) => Promise<Readable>,
  range?: { start: number; end: number },
): Promise<Readable> {
  checkRange(range);
  const p = prefix ?? Buffer.alloc(0);
  if (p.length === 0) return openBlob(range);
  const start = range?.start ?? 0;
  const end = range?.end ?? Number.MAX_SAFE_INTEGER;
  const head = p.subarray(Math.min(start, p.length), Math.min(end, p.length));
  if (range && range.end <= p.length) {
    // The range lies in the prefix; the blob must still exist (a message never outlives its blob).
    (await openBlob({ start: 0, end: 0 })).destroy();
    return Readable.from(head.length > 0 ? [head] : [], { objectMode: false });
  }
  const body = await openBlob(range ? { start: Math.max(start - p.length, 0), end: end - p.length } : undefined);
  if (head.length === 0) return body;
  async function* both(): AsyncGenerator<Buffer> {
    yield head;
    for await (const c of body) yield c as Buffer;
  }
  const out = Readable.from(both(), { objectMode: false });
  out.once('close', () => body.destroy());
  return out;
}
