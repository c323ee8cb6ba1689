/**
 * Text in every charset mail uses: decoding (one-shot and streaming) and encoding.
 *
 * Standards: WHATWG Encoding Standard (labels and decoders), RFC 2045 §5 / RFC 2046 §4.1.2 (charset parameter),
 * RFC 2047 and RFC 2231 (charsets in headers), RFC 6532 (UTF-8 mail), RFC 1468/1554/2237 (ISO-2022-JP family),
 * RFC 1557 (ISO-2022-KR), RFC 2781 (UTF-16), RFC 3629 (UTF-8).
 * Guarantees: decoding never throws and reports what it had to guess or replace; encoding round-trips or throws.
 */
export { canonicalCharset } from './labels.js';
export { decodeText, type DecodedText } from './decode.js';
export { createTextDecoder, type TextStreamDecoder } from './stream.js';
export { encodeText } from './encode.js';
export { utf8Valid } from './unicode.js';
