/**
 * Message-shaping helpers of the golden-corpus generator: multipart bodies laid out so that each part's decoded body
 * is exactly the bytes given (RFC 2046 §5.1.1: the line break before a delimiter belongs to the delimiter).
 */
import { utf8 } from './golden-gen-lib.js';

type Bytes = string | Buffer;
const buf = (b: Bytes): Buffer => (Buffer.isBuffer(b) ? b : utf8(b));

/** A MIME entity: header lines (joined with LF, no final line break), a blank line, the body. */
export function entity(headers: Bytes, body: Bytes): Buffer {
  return Buffer.concat([buf(headers), utf8('\n\n'), buf(body)]);
}

/**
 * A multipart body: `[preamble LF] (--b LF part LF)* --b-- LF [epilogue]`.
 *
 * @example
 * ```ts
 * multipart('b', [entity('Content-Type: text/plain', 'hi')]).toString() === '--b\nContent-Type: text/plain\n\nhi\n--b--\n';
 * ```
 */
export function multipart(boundary: string, parts: readonly Bytes[], opts: { preamble?: string; epilogue?: string; close?: boolean } = {}): Buffer {
  const out: Buffer[] = [];
  if (opts.preamble !== undefined) out.push(utf8(`${opts.preamble}\n`));
  for (const p of parts) out.push(utf8(`--${boundary}\n`), buf(p), utf8('\n'));
  if (opts.close !== false) out.push(utf8(`--${boundary}--\n`));
  if (opts.epilogue !== undefined) out.push(utf8(opts.epilogue));
  return Buffer.concat(out);
}
