/**
 * Charset labels → canonical names: every label of the WHATWG Encoding Standard (§4.2, encodings.json) plus the
 * aliases mailers really send (RFC 2045 §5.1 `charset=`, RFC 2047 encoded words, RFC 2231 parameters).
 *
 * Labels are matched case-insensitively after trimming whitespace and quotes; an RFC 2231 language suffix
 * (`utf-8*en`, §5) or language part (`utf-8'en'`, §4) is cut off. A label that matches nothing exactly is retried
 * without punctuation (`UTF_8`, `ISO 8859 15`), then against iconv-lite's single- and double-byte code pages
 * (`cp437`, `cp850`, `viscii`, …), whose canonical name is the label itself.
 * Deliberate deviations from WHATWG are marked QUIRK below. Results are cached (bounded: labels come from mail).
 */
import iconv from 'iconv-lite';

// Canonical name → labels (space-separated). WHATWG labels first, then mail aliases after `|`.
const GROUPS: Readonly<Record<string, string>> = {
  'utf-8': 'unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8',
  ibm866: '866 cp866 csibm866 ibm866',
  'iso-8859-2': 'csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2',
  'iso-8859-3': 'csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3',
  'iso-8859-4': 'csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4',
  'iso-8859-5': 'csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988',
  'iso-8859-6':
    'arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i ' +
    'iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987',
  'iso-8859-7':
    'csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 ' +
    'iso_8859-7:1987 sun_eu_greek',
  'iso-8859-8':
    'csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 ' +
    'iso_8859-8:1988 visual',
  'iso-8859-8-i': 'csiso88598i iso-8859-8-i logical',
  'iso-8859-10': 'csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6',
  'iso-8859-13': 'iso-8859-13 iso8859-13 iso885913',
  'iso-8859-14': 'iso-8859-14 iso8859-14 iso885914',
  'iso-8859-15': 'csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9',
  'iso-8859-16': 'iso-8859-16',
  'koi8-r': 'cskoi8r koi koi8 koi8-r koi8_r',
  'koi8-u': 'koi8-ru koi8-u',
  macintosh: 'csmacintosh mac macintosh x-mac-roman',
  'windows-874': 'dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874 | cp874 ms874',
  'windows-1250': 'cp1250 windows-1250 x-cp1250',
  'windows-1251': 'cp1251 windows-1251 x-cp1251',
  // WHATWG §4.2: ISO-8859-1 and its labels decode as windows-1252 (a superset on 0xA0–0xFF).
  'windows-1252':
    'cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 ' +
    'latin1 windows-1252 x-cp1252',
  'windows-1253': 'cp1253 windows-1253 x-cp1253',
  'windows-1254':
    'cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 ' +
    'windows-1254 x-cp1254',
  'windows-1255': 'cp1255 windows-1255 x-cp1255',
  'windows-1256': 'cp1256 windows-1256 x-cp1256',
  'windows-1257': 'cp1257 windows-1257 x-cp1257',
  'windows-1258': 'cp1258 windows-1258 x-cp1258',
  'x-mac-cyrillic': 'x-mac-cyrillic x-mac-ukrainian',
  gbk:
    'chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk | ' +
    'cp936 ms936 windows-936 euc-cn x-euc-cn',
  gb18030: 'gb18030',
  big5: 'big5 big5-hkscs cn-big5 csbig5 x-x-big5 | cp950 ms950 windows-950 x-big5',
  'euc-jp': 'cseucpkdfmtjapanese euc-jp x-euc-jp | ujis x-euc cp51932 eucjp-ms euc-jp-ms',
  // QUIRK: WHATWG knows only ISO-2022-JP; the -1/-2/-3 extensions and Microsoft's variants decode with our
  // ISO-2022-JP decoder, which also reads their JIS X 0212, GB 2312, KS C 5601 and G2 escapes (RFC 1554, RFC 2237).
  'iso-2022-jp':
    'csiso2022jp iso-2022-jp | iso-2022-jp-1 iso-2022-jp-2 iso-2022-jp-3 iso-2022-jp-2004 csiso2022jp2 ' +
    'iso-2022-jp-ms cp50220 cp50221 cp50222',
  'shift_jis':
    'csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis | cp932 windows-932 x-ms-cp932 x-shift-jis',
  // QUIRK: WHATWG names this EUC-KR, but it is CP949 (Unified Hangul Code); canonical 'cp949' says what is decoded.
  cp949:
    'cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949 | ' +
    'cp949 uhc x-uhc ms949 x-windows-949 ks_c_5601 ksc5601-1987',
  // QUIRK: WHATWG maps ISO-2022-KR to its "replacement" decoder; RFC 1557 mail still uses it, so we decode it.
  'iso-2022-kr': 'csiso2022kr iso-2022-kr | cp50225',
  'utf-16be': 'unicodefffe utf-16be',
  'utf-16le': 'utf-16le',
  // QUIRK: WHATWG decodes these as UTF-16LE; RFC 2781 §4.3 says `utf-16` carries a BOM and defaults to big-endian.
  'utf-16': 'csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16',
  // QUIRK: WHATWG decodes ASCII labels as windows-1252; mail decides per message (decide.ts, RFC 2045 §5.2).
  'us-ascii':
    'ansi_x3.4-1968 ascii us-ascii | us iso646-us iso-ir-6 csascii ansi_x3.4-1986 iso_646.irv:1991 cp367 ibm367 646',
  // Not in WHATWG: charsets that mail still carries.
  'utf-7': 'utf-7 unicode-1-1-utf-7 csunicode11utf7',
  'utf-32': 'utf-32 ucs-4 csucs4 iso-10646-ucs-4',
  'utf-32le': 'utf-32le',
  'utf-32be': 'utf-32be',
  // QUIRK: labels that admit the charset is unknown (RFC 1428 `unknown-8bit`); WHATWG's x-user-defined too.
  'x-unknown': 'x-user-defined | x-unknown unknown-8bit unknown default',
};

function squash(s: string): string {
  return s.replace(/[^a-z0-9]/g, '');
}

const LABELS = new Map<string, string>();
const SQUASHED = new Map<string, string | null>();
for (const [name, labels] of Object.entries(GROUPS)) {
  for (const label of labels.split(' ')) {
    if (label === '' || label === '|') continue;
    LABELS.set(label, name);
    const key = squash(label);
    const seen = SQUASHED.get(key);
    SQUASHED.set(key, seen === undefined || seen === name ? name : null); // null: ambiguous without punctuation
  }
}

/**
 * Normalizes a label for lookup: trims whitespace and quotes, lower-cases, cuts an RFC 2231 language part.
 *
 * @example
 * normalizeLabel(' "UTF-8*en" '); // 'utf-8'
 */
export function normalizeLabel(label: string): string {
  // Loops, not a regular expression: a label can be as long as a header line and must cost linear time.
  let start = 0;
  let end = label.length;
  while (start < end && isPadding(label.charCodeAt(start))) start++;
  while (end > start && (isPadding(label.charCodeAt(end - 1)) || label[end - 1] === ';' || label[end - 1] === ',')) {
    end--;
  }
  let s = label.slice(start, end).toLowerCase();
  const cut = s.search(/[*']/); // RFC 2231 §5 `charset*language`, §4 `charset'language'`
  if (cut >= 0) s = s.slice(0, cut).trimEnd();
  return s;
}

function isPadding(c: number): boolean {
  return c <= 0x20 || c === 0x22 || c === 0x27 || c === 0xa0; // controls, space, quotes, NBSP
}

const MAX_LABEL = 100;
const MAX_CACHE = 1024;
const cache = new Map<string, string | null>();

/**
 * The canonical, lower-case name of the decoder for a charset label, or null when the label is unknown.
 *
 * Korean labels (`euc-kr`, `ks_c_5601-1987`, `korean`, …) give `cp949`; ISO-8859-1 labels give `windows-1252`
 * (WHATWG); ASCII labels give `us-ascii`; labels that admit an unknown charset give `x-unknown`.
 *
 * @example
 * canonicalCharset('KS_C_5601-1987'); // 'cp949'
 * canonicalCharset('"utf8"');         // 'utf-8'
 * canonicalCharset('x-foo');          // null
 */
export function canonicalCharset(label: string): string | null {
  if (typeof label !== 'string') return null;
  const hit = cache.get(label);
  if (hit !== undefined) return hit;
  const name = lookup(label);
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(label, name);
  return name;
}

function lookup(label: string): string | null {
  if (label.length > MAX_LABEL) return null;
  const s = normalizeLabel(label);
  if (s === '') return null;
  const exact = LABELS.get(s);
  if (exact !== undefined) return exact;
  const loose = SQUASHED.get(squash(s));
  if (loose !== undefined && loose !== null) return loose;
  return iconvCodePage(s);
}

/** iconv-lite's extra code pages; its internal codecs (base64, hex, binary, ucs2, cesu8) are not charsets. */
function iconvCodePage(s: string): string | null {
  try {
    const codec = iconv.getCodec(s);
    return 'decodeBuf' in codec || 'decodeTables' in codec ? s : null;
  } catch {
    return null;
  }
}
