/**
 * The MIME library: parse and build Internet messages (RFC 5322, RFC 2045–2049, RFC 2047, RFC 2231, RFC 6532).
 * Everything the rest of Postroom uses goes through this file.
 */
export { defaultLimits, resolveLimits, type MimeLimits } from './limits.js';
export { Header, headerEnd, parseHeaderBlock, type HeaderField, type HeaderBlock } from './header.js';
export { contentTypeOf, type ContentType } from './content-type.js';
export { MimeTokenizer, type PartNode, type PartKind, type TokenSink } from './tokenizer.js';
export { partInfo, type PartInfo, type TransferEncoding } from './part-info.js';
export { parts, bodyDecoderFor, type Part, type ParseOptions, type MessageSource } from './parse.js';
export { bodyStructure, type BodyStructure } from './body-structure.js';
export {
  parseMessage,
  parseMessageBuffer,
  partText,
  type ParsedMessage,
  type PartSummary,
  type Attachment,
} from './message.js';
export * from './charset/index.js';
export * from './encodings/index.js';
export * from './header-values/index.js';
export * from './build/index.js';
export { readReport, readReportBlocks, type Report, type ReportFields } from './report.js';
export { downgradeTo7bit, DowngradeError, type DowngradeOptions } from './downgrade.js';
