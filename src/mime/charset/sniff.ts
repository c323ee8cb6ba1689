/**
 * Charset guessing for text whose label is missing, unknown or a lie.
 *
 * Deliberately small and conservative: ISO 2022 is recognised by its designator escapes; CP949 (EUC-KR) when the
 * 8-bit bytes form valid pairs and three in four are KS X 1001 Hangul syllables; Shift_JIS and EUC-JP when every
 * 8-bit byte fits the encoding and kana occur (Japanese prose always has some). Anything else is windows-1252.
 * A Latin text rarely passes: its accented letters are followed by ASCII letters or spaces, which no Hangul pair
 * and no kana pair allows. The caller still verifies a guess by decoding it without U+FFFD.
 * Limits: Chinese (GBK, Big5) and Cyrillic legacy text is not recognised and decodes as windows-1252.
 */

const ESC = 0x1b;

/**
 * The ISO 2022 charset whose designator escapes occur in 7-bit text, or null.
 *
 * @example
 * sniffIso2022(Buffer.from('\x1b$BF|K\\\x1b(B', 'latin1')); // 'iso-2022-jp'
 */
export function sniffIso2022(buf: Buffer): 'iso-2022-jp' | 'iso-2022-kr' | null {
  let i = buf.indexOf(ESC);
  for (let seen = 0; i !== -1 && seen < 64; seen++) {
    const a = buf[i + 1];
    const b = buf[i + 2];
    const c = buf[i + 3];
    if (a === 0x24) {
      if (b === 0x29 && c === 0x43) return 'iso-2022-kr'; // RFC 1557: ESC $ ) C
      if (b === 0x42 || b === 0x40 || b === 0x41) return 'iso-2022-jp'; // RFC 1468/1554: ESC $ B, ESC $ @, ESC $ A
      if (b === 0x28 && (c === 0x43 || c === 0x44 || c === 0x4f || c === 0x51)) return 'iso-2022-jp'; // ESC $ ( C/D/O/Q
    } else if (a === 0x28 && (b === 0x4a || b === 0x49)) {
      return 'iso-2022-jp'; // ESC ( J, ESC ( I
    }
    i = buf.indexOf(ESC, i + 1);
  }
  return null;
}

/** True when the 8-bit bytes are CP949 pairs, three in four of them KS X 1001 Hangul (leads 0xB0–0xC8). */
function looksCp949(buf: Buffer, final: boolean): boolean {
  const n = buf.length;
  let pairs = 0;
  let hangul = 0;
  let kana = 0;
  for (let i = 0; i < n; ) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b === 0x80 || b === 0xff) return false;
    const t = buf[i + 1];
    if (t === undefined) {
      if (final) return false;
      break;
    }
    // CP949: trail 0x41–0x5A, 0x61–0x7A, 0x81–0xFE; leads above 0xC6 take only 0xA1–0xFE (KS X 1001 rows).
    const trailOk = (t >= 0x41 && t <= 0x5a) || (t >= 0x61 && t <= 0x7a) || (t >= 0x81 && t <= 0xfe);
    if (!trailOk || (b > 0xc6 && t < 0xa1)) return false;
    pairs++;
    if (b >= 0xb0 && b <= 0xc8 && t >= 0xa1) hangul++;
    else if ((b === 0xa4 || b === 0xa5) && t >= 0xa1) kana++; // EUC-JP kana rows: Japanese, not Korean
    i += 2;
  }
  return hangul > 0 && hangul * 4 >= pairs * 3 && kana * 10 <= pairs;
}

/** True when the 8-bit bytes are Shift_JIS and include hiragana or katakana pairs. */
function looksShiftJis(buf: Buffer, final: boolean): boolean {
  const n = buf.length;
  let pairs = 0;
  let kana = 0;
  let halfWidth = 0;
  for (let i = 0; i < n; ) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b >= 0xa1 && b <= 0xdf) {
      halfWidth++; // JIS X 0201 katakana, one byte
      i++;
      continue;
    }
    if (!((b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc))) return false;
    const t = buf[i + 1];
    if (t === undefined) {
      if (final) return false;
      break;
    }
    if (t < 0x40 || t === 0x7f || t > 0xfc) return false;
    pairs++;
    if ((b === 0x82 && t >= 0x9f && t <= 0xf1) || (b === 0x83 && t >= 0x40 && t <= 0x96)) kana++;
    i += 2;
  }
  return kana > 0 && halfWidth <= pairs;
}

/** True when the 8-bit bytes are EUC-JP and at least a tenth of the pairs are kana (rows 0xA4, 0xA5). */
function looksEucJp(buf: Buffer, final: boolean): boolean {
  const n = buf.length;
  let pairs = 0;
  let kana = 0;
  for (let i = 0; i < n; ) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b === 0x8f ? 3 : 2; // 0x8F: JIS X 0212 (three bytes); 0x8E: half-width katakana
    if (i + need > n) {
      if (final) return false;
      break;
    }
    if (b === 0x8e) {
      const t = buf[i + 1]!;
      if (t < 0xa1 || t > 0xdf) return false;
    } else {
      if (b !== 0x8f && (b < 0xa1 || b > 0xfe)) return false;
      for (let k = i + need - 2; k < i + need; k++) if (buf[k]! < 0xa1 || buf[k]! > 0xfe) return false;
      pairs++;
      if (b === 0xa4 || b === 0xa5) kana++;
    }
    i += need;
  }
  return kana > 0 && kana * 10 >= pairs;
}

/**
 * Legacy charsets worth trying, most specific first; always ends with windows-1252.
 * With `final` false the bytes may stop inside a character (a streaming window).
 *
 * @example
 * legacyCandidates(Buffer.from([0xbe, 0xc8, 0xb3, 0xe7]), true); // ['cp949', 'windows-1252'] (안녕)
 */
export function legacyCandidates(buf: Buffer, final: boolean): string[] {
  const out: string[] = [];
  if (looksCp949(buf, final)) out.push('cp949');
  if (looksShiftJis(buf, final)) out.push('shift_jis');
  if (looksEucJp(buf, final)) out.push('euc-jp');
  out.push('windows-1252');
  return out;
}
