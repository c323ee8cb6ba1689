/**
 * What a reader wants to know about one entity, from its header: transfer encoding, charset, disposition,
 * file name and Content-ID (RFC 2045 §6, RFC 2183, RFC 2231, RFC 2392).
 *
 * File names come from Content-Disposition `filename*`/`filename`, then Content-Type `name*`/`name` (RFC 2231
 * continuations and charsets, and the RFC 2047-inside-quotes form that many Korean and Japanese mailers send are
 * decoded by the parameter parser).
 */
import type { PartNode } from './tokenizer.js';
import { parseParamValue, decodeWords } from './header-values/index.js';
import { parseTransferEncoding } from './encodings/index.js';

/** A transfer encoding, or the raw value when it is not one we know (then the body is passed through). */
export type TransferEncoding = '7bit' | '8bit' | 'binary' | 'quoted-printable' | 'base64';

/** Facts about an entity that readers and the convenient API use. */
export interface PartInfo {
  /** The encoding to undo; identity ('7bit') when absent or unknown (a problem is recorded then). */
  readonly transferEncoding: TransferEncoding;
  /** The charset parameter as sent, for text parts; undefined when absent. */
  readonly charset: string | undefined;
  /** `inline`, `attachment`, another token, or undefined when no Content-Disposition was sent. */
  readonly disposition: string | undefined;
  readonly filename: string | undefined;
  /** Content-ID without angle brackets. */
  readonly contentId: string | undefined;
  readonly description: string | undefined;
  readonly problems: readonly string[];
}

const cache = new WeakMap<PartNode, PartInfo>();

/**
 * Reads the header facts of an entity (cached per node).
 *
 * @example
 * ```ts
 * partInfo(node).filename; // 'report.pdf'
 * ```
 */
export function partInfo(node: PartNode, maxSegments = 1000): PartInfo {
  const cached = cache.get(node);
  if (cached) return cached;
  const problems: string[] = [];
  const h = node.header;
  const rawCte = h.get('content-transfer-encoding');
  let transferEncoding: TransferEncoding = '7bit';
  if (rawCte !== undefined) {
    const cte = parseTransferEncoding(rawCte);
    if (cte) transferEncoding = cte;
    else problems.push(`Unknown Content-Transfer-Encoding "${rawCte.slice(0, 40)}": body passed through undecoded`);
  }
  if (node.kind !== 'leaf' && (transferEncoding === 'base64' || transferEncoding === 'quoted-printable')) {
    // RFC 2045 §6.4: composite types allow only 7bit, 8bit and binary; the encoding is ignored.
    problems.push(`Content-Transfer-Encoding ${transferEncoding} on ${node.type.mime} is not allowed and was ignored`);
    transferEncoding = '7bit';
  }
  let disposition: string | undefined;
  let filename: string | undefined;
  const cd = h.get('content-disposition');
  if (cd !== undefined) {
    const parsed = parseParamValue(cd, { maxSegments });
    problems.push(...parsed.problems);
    disposition = parsed.value || undefined;
    filename = parsed.params['filename'];
  }
  filename ??= node.type.params['name'];
  if (filename !== undefined && filename.includes('=?')) {
    const decoded = decodeWords(filename);
    problems.push(...decoded.problems.map((p) => `File name: ${p}`));
    filename = decoded.text;
  }
  const cid = h.get('content-id');
  const contentId = cid === undefined ? undefined : cid.trim().replace(/^<\s*/, '').replace(/\s*>$/, '') || undefined;
  const desc = h.get('content-description');
  const info: PartInfo = {
    transferEncoding,
    charset: node.type.params['charset'],
    disposition,
    filename: filename === '' ? undefined : filename,
    contentId,
    description: desc === undefined ? undefined : decodeWords(desc).text,
    problems,
  };
  cache.set(node, info);
  return info;
}
