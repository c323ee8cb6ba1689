/**
 * The internal decoder contract shared by every charset implementation in this folder.
 *
 * An engine turns bytes into text chunk by chunk and keeps whatever state a charset needs between chunks (a
 * multi-byte sequence cut in two, an ISO 2022 shift state). It never throws on malformed input: it writes U+FFFD
 * and sets `flagged`. The policy (which engine a label gets, fallbacks, problems) lives in `decide.ts`.
 * Not exported from the folder's index: callers use `decodeText` and `createTextDecoder`.
 */

/**
 * A stateful bytes-to-text decoder for one charset.
 *
 * @example
 * const e: Engine = new Utf8Engine();
 * const text = e.write(chunk1) + e.write(chunk2) + e.end();
 */
export interface Engine {
  /** Decodes the next chunk; an incomplete trailing sequence is kept for the next call. */
  write(chunk: Buffer): string;
  /** Flushes the state: a kept incomplete sequence becomes U+FFFD. */
  end(): string;
  /** True once malformed input was replaced (U+FFFD) or, for US-ASCII, an 8-bit byte was seen. */
  readonly flagged: boolean;
}

/**
 * Views bytes as a Buffer without copying.
 *
 * @example
 * asBuffer(new Uint8Array([104, 105])).toString('latin1'); // 'hi'
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const CHUNK = 8192;

/**
 * Builds a string from UTF-16 code units without per-character concatenation.
 *
 * @example
 * unitsToString([0x48, 0x69]); // 'Hi'
 */
export function unitsToString(units: readonly number[]): string {
  if (units.length <= CHUNK) return String.fromCharCode(...units);
  const parts: string[] = [];
  for (let i = 0; i < units.length; i += CHUNK) parts.push(String.fromCharCode(...units.slice(i, i + CHUNK)));
  return parts.join('');
}
