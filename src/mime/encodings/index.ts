/**
 * Content-Transfer-Encoding codecs (RFC 2045 §6): base64 and quoted-printable, as push decoders/encoders for
 * streamed bodies and as one-shot helpers for encoded words and small parts, plus choosing and parsing the
 * encoding name. Decoders never throw on malformed input; they record problems instead.
 */
export type { BodyDecoder, BodyEncoder } from './body-codec.js';
export { createBase64Decoder, createBase64Encoder, decodeBase64, encodeBase64Lines } from './base64.js';
export { createQpDecoder, decodeQp } from './qp.js';
export { createQpEncoder, encodeQp, encodeQWord } from './qp-encode.js';
export { chooseTransferEncoding, parseTransferEncoding } from './choose.js';
