/**
 * The syntaxes inside header fields, both directions: encoded words (RFC 2047, RFC 2231 §5), addresses (RFC 5322
 * §3.4, RFC 6532), dates (RFC 5322 §3.3, §4.3), parameters (RFC 2045, RFC 2183, RFC 2231), msg-ids (RFC 5322
 * §3.6.4) and header line folding (RFC 5322 §2.2.3).
 *
 * Parsers take values already unfolded and already converted to strings, never throw, and report what they
 * tolerated where their API has room for it. Builders throw on CR, LF or NUL, so header injection is impossible.
 */
export { decodeWords, encodeWords } from './encoded-word.js';
export type { WordContext } from './encode-words.js';
export { formatHeader } from './fold.js';
export { parseAddressList, flattenAddresses, formatMailbox, formatAddressList } from './address.js';
export type { Mailbox, Group, AddressItem } from './address.js';
export { parseDate, formatDate } from './date.js';
export { parseParamValue, formatParams } from './params.js';
export type { ParsedValue } from './params.js';
export { parseMessageIds } from './message-id.js';
