/**
 * The entity tree the composer writes, and the leaves every kind of message shares: text bodies, multipart
 * containers, message/rfc822 and text/rfc822-headers bodies held in memory (RFC 2046 §4.1.1, §5.1, §5.2.1; RFC 6522 §3).
 *
 * Guarantees: a planned body held in memory has its final bytes (text in CRLF form) and a transfer encoding that
 * fits the transport; multipart plans get a fresh random boundary.
 */
import { isAscii } from 'node:buffer';
import { headerEnd } from '../header.js';
import { crlf, LineGuard, textEncoding, type ContentSource, type TransferEncoding } from './body.js';
import { contentTypeField, type ComposeContext } from './fields.js';
import { createBoundary } from './message-id.js';

/** A body: final bytes and encoding, or a source to open and decide later. */
export type BodyPlan =
  | { readonly how: 'ready'; readonly bytes: Buffer; readonly cte: TransferEncoding }
  | {
      readonly how: 'stream';
      readonly source: ContentSource;
      /** binary: base64; text-file: decided from a sample; message: identity, guarded; headers: the header block only. */
      readonly as: 'binary' | 'text-file' | 'message' | 'headers';
      /** Names the input in errors. */
      readonly what: string;
    };

/** A leaf entity: its Content-* fields (Content-Type first; the transfer encoding is added when known) and body. */
export interface LeafPlan {
  readonly kind: 'leaf';
  readonly fields: readonly string[];
  readonly body: BodyPlan;
  /** For a streamed text file without a charset: the Content-Type field with the charset its sample shows. */
  readonly retype?: (charset: string) => string;
}

/** A multipart entity; the boundary may be replaced if a body turns out to contain it. */
export interface MultipartPlan {
  readonly kind: 'multipart';
  /** `multipart/<subtype>`. */
  readonly mime: string;
  /** Parameters other than boundary. */
  readonly params: Readonly<Record<string, string>>;
  boundary: string;
  readonly children: readonly EntityPlan[];
}

export type EntityPlan = LeafPlan | MultipartPlan;

/** The message: its header fields (up to MIME-Version) and its top entity. */
export interface MessagePlan {
  readonly header: readonly string[];
  readonly root: EntityPlan;
  readonly ctx: ComposeContext;
}

/**
 * Creates a multipart plan with a fresh boundary.
 *
 * @example
 * ```ts
 * multipart(ctx, 'alternative', [text, html]).mime === 'multipart/alternative';
 * ```
 */
export function multipart(ctx: ComposeContext, subtype: string, children: EntityPlan[], params: Record<string, string> = {}): MultipartPlan {
  return { kind: 'multipart', mime: `multipart/${subtype}`, params, boundary: createBoundary(ctx.boundaryPrefix), children };
}

/**
 * A text body part held in memory: line breaks to CRLF, UTF-8 (us-ascii when pure ASCII), encoding chosen from the
 * whole body.
 *
 * @example
 * ```ts
 * textPlan(ctx, 'plain', 'Grüße\n', 'text').fields[0] === 'Content-Type: text/plain; charset=utf-8';
 * ```
 */
export function textPlan(ctx: ComposeContext, subtype: string, text: string, what: string): LeafPlan {
  if (typeof text !== 'string') throw new Error(`Cannot compose message: ${what} is not a string`);
  const bytes = Buffer.from(crlf(text), 'utf8');
  const charset = isAscii(bytes) ? 'us-ascii' : 'utf-8';
  return {
    kind: 'leaf',
    fields: [contentTypeField(ctx, `text/${subtype}`, { charset })],
    body: { how: 'ready', bytes, cte: textEncoding(bytes, ctx.transport) },
  };
}

/**
 * A message/rfc822 body held in memory: canonical CRLF, checked against the transport (RFC 2046 §5.2.1).
 *
 * @example
 * ```ts
 * messageBytes(ctx, Buffer.from('Subject: x\n\nhi\n'), 'forward.message'); // { how: 'ready', bytes: 'Subject: x\r\n\r\nhi\r\n', cte: '7bit' }
 * ```
 */
export function messageBytes(ctx: ComposeContext, bytes: Buffer, what: string): BodyPlan {
  const g = new LineGuard({ sevenBit: ctx.transport === '7bit', what });
  const head = g.push(bytes);
  const tail = g.end();
  const canonical = tail.length === 0 ? head : Buffer.concat([head, tail]);
  return { how: 'ready', bytes: canonical, cte: isAscii(canonical) ? '7bit' : '8bit' };
}

/**
 * The header block of a message held in memory (up to the first empty line, without it), in CRLF form: the body
 * of a text/rfc822-headers part (RFC 6522 §3, RFC 3464 §2).
 *
 * @example
 * ```ts
 * headerBlock(Buffer.from('A: 1\nB: 2\n\nbody')).toString() === 'A: 1\r\nB: 2\r\n';
 * ```
 */
export function headerBlock(bytes: Buffer): Buffer {
  const end = headerEnd(bytes);
  return Buffer.from(crlf(bytes.subarray(0, end ?? bytes.length).toString('latin1')), 'latin1');
}

/**
 * A text/rfc822-headers body from bytes in memory, its encoding chosen for the transport.
 *
 * @example
 * ```ts
 * headersPlan(ctx, original); // { how: 'ready', bytes: <the header block>, cte: '7bit' }
 * ```
 */
export function headersPlan(ctx: ComposeContext, bytes: Buffer): BodyPlan {
  const block = headerBlock(bytes);
  return { how: 'ready', bytes: block, cte: textEncoding(block, ctx.transport) };
}
