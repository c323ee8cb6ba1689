/**
 * Media types for attachments: a small table from file name extension to type (RFC 2046, IANA media types), and
 * the check of a caller's Content-Type value.
 *
 * Guarantees: `mediaTypeFor` always returns a valid `type/subtype` (application/octet-stream, RFC 2046 §4.5.1,
 * when it does not know the extension); `parseMediaType` returns a lower-case type and parameters, or throws.
 * Limits: the table covers what people usually attach, not the whole IANA registry.
 */
import { parseParamValue } from '../header-values/index.js';

const TYPES: Readonly<Record<string, string>> = {
  txt: 'text/plain', text: 'text/plain', log: 'text/plain', md: 'text/markdown', csv: 'text/csv', tsv: 'text/tab-separated-values',
  htm: 'text/html', html: 'text/html', css: 'text/css', ics: 'text/calendar', vcf: 'text/vcard', xml: 'application/xml',
  json: 'application/json', js: 'text/javascript', pdf: 'application/pdf', rtf: 'application/rtf',
  zip: 'application/zip', gz: 'application/gzip', tar: 'application/x-tar', '7z': 'application/x-7z-compressed',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff', ico: 'image/vnd.microsoft.icon', heic: 'image/heic',
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', m4a: 'audio/mp4', mp4: 'video/mp4', mov: 'video/quicktime',
  webm: 'video/webm', eml: 'message/rfc822', p7s: 'application/pkcs7-signature', asc: 'application/pgp-signature',
};

/**
 * The media type for a file name, from its extension (case-insensitive); application/octet-stream when unknown.
 *
 * @example
 * ```ts
 * mediaTypeFor('Photo.JPG') === 'image/jpeg';
 * mediaTypeFor('data.bin') === 'application/octet-stream';
 * ```
 */
export function mediaTypeFor(filename: string | undefined): string {
  const dot = filename?.lastIndexOf('.') ?? -1;
  if (filename === undefined || dot === -1) return 'application/octet-stream';
  return TYPES[filename.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** RFC 2045 §5.1 token. */
const TOKEN = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+$/;

/** A media type split into its parts. */
export interface MediaType {
  /** `type/subtype`, lower case. */
  readonly mime: string;
  readonly type: string;
  readonly params: Record<string, string>;
}

/**
 * Parses a Content-Type value given by the caller (`text/plain; charset=iso-8859-1`). Throws when it is not
 * `type/subtype` made of RFC 2045 tokens or has parameters that do not parse.
 *
 * @example
 * ```ts
 * parseMediaType('Text/Plain; charset=UTF-8'); // { mime: 'text/plain', type: 'text', params: { charset: 'UTF-8' } }
 * ```
 */
export function parseMediaType(value: string): MediaType {
  const what = `Cannot use content type ${JSON.stringify(value)}`;
  if (/[\r\n\0]/.test(value)) throw new Error(`${what}: contains CR, LF or NUL`);
  const parsed = parseParamValue(value);
  if (parsed.problems.length > 0) throw new Error(`${what}: ${parsed.problems[0]!}`);
  const [type = '', subtype = '', ...more] = parsed.value.split('/');
  if (!TOKEN.test(type) || !TOKEN.test(subtype) || more.length > 0) throw new Error(`${what}: not of the form type/subtype`);
  return { mime: `${type}/${subtype}`.toLowerCase(), type: type.toLowerCase(), params: { ...parsed.params } };
}
