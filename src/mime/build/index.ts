/**
 * The MIME composer: messages out, 7-bit safe by default, streamed (RFC 5322, RFC 2045–2049, RFC 2047, RFC 2231,
 * RFC 2387, RFC 6522, RFC 6532). `composeMessage` is the high-level API; `MimeWriter` writes entities and
 * boundaries for callers that build their own structure.
 */
export { composeMessage, composeMessageBuffer, composeMessageTo } from './compose.js';
export type { AddressInput, AttachmentInput, ComposeInput, ReportInput } from './input.js';
export type { ContentSource } from './body.js';
export { MimeWriter, readableFrom, writableSink, type ByteSink, type EntityOptions } from './writer.js';
export { createBoundary, generateMessageId, normalizeMessageId } from './message-id.js';
export { mediaTypeFor } from './media-types.js';
export { reportFields } from './report.js';
