/**
 * Content-Type resolution for one entity (RFC 2045 §5, RFC 2046 §5.1.5).
 *
 * Guarantees: always returns a usable media type. A missing or syntactically invalid field means
 * text/plain; charset=us-ascii (RFC 2045 §5.2), except inside multipart/digest where the default is
 * message/rfc822 (RFC 2046 §5.1.5); `text` without a subtype is text/plain (RFC 2045 §5.2).
 */
import type { Header } from './header.js';
import { parseParamValue } from './header-values/index.js';

/** A resolved media type. */
export interface ContentType {
  /** `type/subtype`, lower case. */
  readonly mime: string;
  readonly type: string;
  readonly subtype: string;
  /** Parameters with lower-case names, RFC 2231 and RFC 2047 decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** True when the field was absent or unusable and the default applies. */
  readonly defaulted: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Resolves the media type of an entity from its header and its parent's subtype.
 *
 * @example
 * ```ts
 * const { header } = parseHeaderBlock(Buffer.from('Content-Type: TEXT; charset=utf-8\r\n'));
 * contentTypeOf(header, undefined).type.mime === 'text/plain';
 * ```
 */
export function contentTypeOf(header: Header, parentSubtype: string | undefined, maxSegments = 1000): { type: ContentType; problems: string[] } {
  const problems: string[] = [];
  const all = header.getAll('content-type');
  const fallback: ContentType =
    parentSubtype === 'digest'
      ? { mime: 'message/rfc822', type: 'message', subtype: 'rfc822', params: {}, defaulted: true }
      : { mime: 'text/plain', type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, defaulted: true };
  if (all.length === 0) return { type: fallback, problems };
  if (all.length > 1) problems.push(`${all.length} Content-Type fields: the first one is used`);
  const parsed = parseParamValue(all[0]!, { maxSegments });
  problems.push(...parsed.problems);
  const slash = parsed.value.indexOf('/');
  let type = (slash === -1 ? parsed.value : parsed.value.slice(0, slash)).trim();
  let subtype = slash === -1 ? '' : parsed.value.slice(slash + 1).trim();
  if (type === 'text' && subtype === '') {
    // RFC 2045 §5.2 and common practice: "Content-Type: text" is text/plain.
    subtype = 'plain';
    problems.push('Content-Type "text" has no subtype: read as text/plain');
  }
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) {
    problems.push(`Invalid Content-Type "${all[0]!.slice(0, 60)}": read as ${fallback.mime}`);
    return { type: { ...fallback, params: { ...fallback.params, ...parsed.params } }, problems };
  }
  type = type.toLowerCase();
  subtype = subtype.toLowerCase();
  return { type: { mime: `${type}/${subtype}`, type, subtype, params: parsed.params, defaulted: false }, problems };
}
