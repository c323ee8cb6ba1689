/**
 * What a delivery status notification returns of the original message (RFC 3461 §4.3 RET, RFC 3464 §2,
 * RFC 6522 §3): the whole message as message/rfc822, or only its header as text/rfc822-headers.
 *
 * Policy (Postfix's, whose bounce_size_limit is the cap):
 * - RET=HDRS → the header. RET=FULL → the whole message when it is at most `maxFullBytes`, else the header.
 * - No RET → the whole message (capped the same way) in a report with a failed recipient; the header in delay and
 *   success reports.
 * - A message that message/rfc822 cannot carry unencoded (a NUL, a line over 998 octets: RFC 2046 §5.2.1,
 *   RFC 5322 §2.1.1; a BINARYMIME body) → the header.
 * Guarantees: memory stays bounded. The whole message is read only when the stored size is within the cap (and
 * reading stops past it); otherwise the stream is read only up to the empty line after the header, at most
 * `maxHeaderBytes` (past that the header is cut at a line end), and then destroyed.
 */
import type { Readable } from 'node:stream';
import { headerEnd } from '../../mime/index.js';
import type { QueueItem } from '../../store/index.js';
import type { DsnNeed } from '../queue/index.js';

/** Postfix's bounce_size_limit: a larger original is returned as its header only. */
export const DEFAULT_MAX_FULL_BYTES = 50_000;
/** The most of a header that is returned (the MIME parser's default header bound). */
export const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;

/** Why only the header is returned. */
export type HeadersReason = 'ret' | 'size' | 'unsafe';

/** The part of the original a report carries. */
export type ReturnedOriginal =
  | { readonly kind: 'full'; readonly content: Buffer }
  | {
      readonly kind: 'headers';
      /** The header block (without the empty line that ends it). */
      readonly content: Buffer;
      readonly reason: HeadersReason;
      /** The header was longer than the bound and was cut at a line end. */
      readonly cut: boolean;
    };

/**
 * Whether the whole message is wanted (RFC 3461 §4.3): RET=FULL, or no RET and a failed recipient.
 *
 * @example
 * ```ts
 * wantsFull(undefined, ['failed', 'delivered']) === true;
 * wantsFull(undefined, ['delayed']) === false;
 * ```
 */
export function wantsFull(ret: 'FULL' | 'HDRS' | undefined, kinds: readonly DsnNeed['kind'][]): boolean {
  if (ret !== undefined) return ret === 'FULL';
  return kinds.includes('failed');
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads a message's header from a stream: up to the empty line, at most `maxBytes` (then cut after the last
 * complete line), and destroys the stream. A message without an empty line is all header.
 *
 * @example
 * ```ts
 * const { bytes, cut } = await readHeaderBlock(Readable.from([Buffer.from('A: 1\r\n\r\nbody')]), 1024);
 * bytes.toString() === 'A: 1\r\n' && !cut;
 * ```
 */
export async function readHeaderBlock(src: Readable, maxBytes: number): Promise<{ bytes: Buffer; cut: boolean }> {
  const got: Buffer[] = [];
  let size = 0;
  let tail = Buffer.alloc(0); // the last 2 bytes already read, so an empty line across chunks is found
  let ended = false;
  try {
    for await (const chunk of src) {
      const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      got.push(c);
      size += c.length;
      const window = Buffer.concat([tail, c]);
      if (size === window.length ? headerEnd(window) !== null : window.includes('\n\n') || window.includes('\n\r\n')) {
        ended = true;
        break;
      }
      if (size > maxBytes) break;
      tail = window.subarray(Math.max(0, window.length - 2));
    }
  } finally {
    src.destroy();
  }
  const all = Buffer.concat(got);
  const end = headerEnd(all);
  if (end !== null && end <= maxBytes) return { bytes: all.subarray(0, end), cut: false };
  if (all.length <= maxBytes && !ended) return { bytes: all, cut: false };
  const lastLf = all.lastIndexOf(LF, maxBytes - 1);
  return { bytes: all.subarray(0, lastLf + 1), cut: true };
}

/**
 * Reads a whole stream when it holds at most `maxBytes`; null (and the stream destroyed) when it holds more.
 *
 * @example
 * ```ts
 * (await readUpTo(Readable.from([Buffer.from('abc')]), 2)) === null;
 * ```
 */
export async function readUpTo(src: Readable, maxBytes: number): Promise<Buffer | null> {
  const got: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of src) {
      const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += c.length;
      if (size > maxBytes) return null;
      got.push(c);
    }
  } finally {
    src.destroy();
  }
  return Buffer.concat(got);
}

/**
 * True when message/rfc822 can carry the bytes unencoded: no NUL and no line over 998 octets (RFC 2046 §5.2.1:
 * message/rfc822 takes only 7bit, 8bit or binary, and 8bit keeps RFC 5322's line limit).
 *
 * @example
 * ```ts
 * carriable(Buffer.from('A: 1\r\n\r\nhi\r\n')) === true;
 * carriable(Buffer.from('x'.repeat(999))) === false;
 * ```
 */
export function carriable(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  let start = 0;
  for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) {
    if (i - start - (i > start && bytes[i - 1] === CR ? 1 : 0) > 998) return false;
    start = i + 1;
  }
  return bytes.length - start <= 998;
}

/** Options of `returnedOriginal`. */
export interface ReturnOptions {
  /** The largest message returned whole (default 50,000 bytes, Postfix's bounce_size_limit). */
  readonly maxFullBytes?: number;
  /** The largest header returned (default 1 MiB). */
  readonly maxHeaderBytes?: number;
}

/**
 * Decides and reads what a report about `item` returns, for reports of the given kinds.
 *
 * @example
 * ```ts
 * const r = await returnedOriginal(item, ['failed'], () => store.blobs.get(item.body));
 * r.kind; // 'full' for a small message without RET
 * ```
 */
export async function returnedOriginal(
  item: QueueItem,
  kinds: readonly DsnNeed['kind'][],
  body: () => Promise<Readable>,
  o: ReturnOptions = {},
): Promise<ReturnedOriginal> {
  const maxFull = o.maxFullBytes ?? DEFAULT_MAX_FULL_BYTES;
  const maxHeader = o.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const headers = async (reason: HeadersReason): Promise<ReturnedOriginal> => {
    const { bytes, cut } = await readHeaderBlock(await body(), maxHeader);
    return { kind: 'headers', content: bytes, reason, cut };
  };
  if (!wantsFull(item.envelope.ret, kinds)) return headers('ret');
  if (item.body.size > maxFull) return headers('size');
  // RFC 3030: a BINARYMIME body may hold anything; message/rfc822 cannot carry it unencoded.
  if (item.envelope.body === 'BINARYMIME') return headers('unsafe');
  const whole = await readUpTo(await body(), maxFull);
  if (whole === null) return headers('size'); // the stored size was wrong: never read past the cap
  if (!carriable(whole)) return headers('unsafe');
  return { kind: 'full', content: whole };
}
