/**
 * Charset facts the differential allow rules test for, written from the standards (WHATWG Encoding labels, the
 * CP949 and windows-1252 code charts) rather than from Postroom's charset module.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';

const norm = (label: string): string => label.trim().replace(/^["']|["']$/g, '').toLowerCase();

/** Labels of EUC-KR / CP949 (WHATWG EUC-KR labels plus the mail aliases). */
export const isEucKrLabel = (label: string): boolean =>
  /^(euc-?kr|cseuckr|ks_c_5601-19(87|89)|ksc_?5601(-1987)?|csksc56011987|iso-ir-149|korean|cp949|uhc|(x-)?windows-949|ms949)$/.test(norm(label));

/** Labels that WHATWG decodes as windows-1252. */
export const isLatin1Label = (label: string): boolean =>
  /^(iso-?8859-1|iso_8859-1(:1987)?|latin1|l1|cp819|ibm819|csisolatin1|iso-ir-100|windows-1252|cp1252|x-cp1252)$/.test(norm(label));

/** Rough family of a label: single-byte code pages, or anything else. */
export function charsetSpecOf(label: string): 'sbcs' | 'other' {
  return /^(iso-?8859-\d+|iso_8859-\d+.*|latin\d|l\d|windows-125\d|cp125\d|koi8-[ru]|us-ascii|ascii)$/.test(norm(label)) ? 'sbcs' : 'other';
}

/** True when the text has a Hangul syllable that exists only in CP949's extension (not in KS X 1001), e.g. 똠, 뷁. */
export function uhcOnly(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0xac00 || c > 0xd7a3) continue;
    const b = iconv.encode(ch, 'cp949');
    if (b.length === 2 && (b[0]! < 0xa1 || b[1]! < 0xa1)) return true;
  }
  return false;
}

/** Characters windows-1252 puts at 0x80-0x9F, where ISO-8859-1 has C1 controls. */
const WIN1252_HIGH = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';

/** True when the text has a character that windows-1252 encodes in 0x80-0x9F. */
export const win1252Only = (text: string): boolean => [...text].some((c) => WIN1252_HIGH.includes(c));

/** The bytes of an encoded word's payload (RFC 2047 §4), or null when it is malformed. */
function wordBytes(enc: string, payload: string): Buffer | null {
  if (enc.toLowerCase() === 'b') return Buffer.from(payload, 'base64');
  return Buffer.from(payload.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
}

/** True when some encoded word in `raw` has a single-byte label but carries non-ASCII UTF-8 (the label lies). */
export function lyingWord(raw: string): boolean {
  for (const m of raw.matchAll(/=\?([^?*\s]+)(?:\*[^?]*)?\?([bq])\?([^?]*)\?=/gi)) {
    if (charsetSpecOf(m[1]!) !== 'sbcs') continue;
    const b = wordBytes(m[2]!, m[3]!);
    if (b && !isAscii(b) && isUtf8(b)) return true;
  }
  return false;
}

/** True when some encoded word in `raw` has an iso-8859-1/windows-1252 label and bytes 0x80-0x9F (and is not UTF-8). */
export function win1252Word(raw: string): boolean {
  for (const m of raw.matchAll(/=\?([^?*\s]+)(?:\*[^?]*)?\?([bq])\?([^?]*)\?=/gi)) {
    if (!isLatin1Label(m[1]!)) continue;
    const b = wordBytes(m[2]!, m[3]!);
    if (b && !isUtf8(b) && b.some((x) => x >= 0x80 && x <= 0x9f)) return true;
  }
  return false;
}

/** True when bytes labelled iso-8859-1/windows-1252 use 0x80-0x9F and are not UTF-8. */
export const win1252Bytes = (label: string | undefined, b: Buffer): boolean =>
  label !== undefined && isLatin1Label(label) && !isUtf8(b) && b.some((x) => x >= 0x80 && x <= 0x9f);

/** True when some pair of adjacent UTF-8 encoded words in `raw` cuts a character (a word alone is not UTF-8). */
export function splitUtf8Word(raw: string): boolean {
  const words = [...raw.matchAll(/=\?(utf-?8)(?:\*[^?]*)?\?([bq])\?([^?]*)\?=(?=\s*=\?utf-?8)/gi)];
  return words.some((m) => {
    const b = wordBytes(m[2]!, m[3]!);
    return b !== null && !isUtf8(b);
  });
}
