/**
 * Strict base64 (RFC 4648 §4) for SASL exchanges (RFC 4954 §4: a response that is not valid base64 is refused).
 * Node's `Buffer.from(s, 'base64')` silently skips characters outside the alphabet, accepts missing padding and
 * the URL-safe alphabet; this decoder accepts only canonical base64: the standard alphabet, length a multiple of
 * 4, padding only at the end, and zero bits in the unused low bits of the last symbol (RFC 4648 §3.5).
 */

const SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Decodes canonical base64, or returns null when `text` is not canonical base64. The empty string decodes to an
 * empty buffer.
 *
 * @example
 * ```ts
 * decodeBase64Strict('AGFsaWNlAHNlY3JldA==');  // Buffer '\0alice\0secret'
 * decodeBase64Strict('AGFsaWNl*AHNl');         // null (Node would skip the '*')
 * ```
 */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!SHAPE.test(text)) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (pad > 0) {
    // RFC 4648 §3.5: the bits that do not fit a whole octet must be zero in canonical encoding.
    const last = ALPHABET.indexOf(text[text.length - pad - 1]!);
    if ((pad === 2 && (last & 0x0f) !== 0) || (pad === 1 && (last & 0x03) !== 0)) return null;
  }
  return Buffer.from(text, 'base64');
}

/**
 * Encodes bytes as base64 (standard alphabet, padded).
 *
 * @example
 * ```ts
 * encodeBase64(Buffer.from('Username:')) === 'VXNlcm5hbWU6';
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
