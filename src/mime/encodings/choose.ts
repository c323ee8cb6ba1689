/**
 * Picking and parsing Content-Transfer-Encoding values (RFC 2045 §6, §6.1; RFC 6152 for 8BITMIME).
 *
 * `chooseTransferEncoding` looks at a sample of a body the builder is about to write and returns the cheapest
 * encoding that survives the transport: '7bit' and '8bit' keep bodies readable, quoted-printable suits text with a
 * few non-ASCII bytes, base64 everything else. `parseTransferEncoding` normalizes a received header value.
 * Guarantees: neither function throws; '7bit' and '8bit' are returned only when the sample meets RFC 2045 §2.7 or
 * §2.8 (lines of at most 998 octets, no NUL, CR and LF only as CRLF).
 * Limits: the verdict is only as good as the sample; a builder that passes the first 64 KiB of a larger body must
 * fall back when the rest breaks the rules '7bit' or '8bit' promise.
 */

/** RFC 5322 §2.1.1 / RFC 2045 §2.7: at most 998 octets per line, CRLF excluded. */
const MAX_LINE = 998;
/**
 * Above this share of bytes that need =XX, quoted-printable (3 bytes each) outgrows base64 (4/3 of the input):
 * 1 + 2 × share > 4/3 when share > 1/6.
 */
const MAX_QP_SHARE = 1 / 6;

/** What one pass over the sample found. */
interface Census {
  /** Bytes >= 0x80. */
  eightBit: number;
  /** Bytes quoted-printable must escape: 8-bit, '=', and controls other than HT, CR and LF. */
  escaped: number;
  nul: boolean;
  /** A CR not followed by LF, or an LF not preceded by CR (RFC 2045 §2.7: only CRLF may appear). */
  bareBreak: boolean;
  longLine: boolean;
}

function census(sample: Buffer): Census {
  let eightBit = 0;
  let escaped = 0;
  let nul = false;
  let bareBreak = false;
  let lineStart = 0;
  let longest = 0;
  const n = sample.length;
  for (let i = 0; i < n; i++) {
    const b = sample[i]!;
    if (b >= 0x20 && b < 0x7f) {
      if (b === 0x3d) escaped++;
    } else if (b === 0x0a) {
      if (i === 0 || sample[i - 1] !== 0x0d) bareBreak = true;
      const len = i - lineStart - (i > lineStart && sample[i - 1] === 0x0d ? 1 : 0);
      if (len > longest) longest = len;
      lineStart = i + 1;
    } else if (b === 0x0d) {
      if (sample[i + 1] !== 0x0a) bareBreak = true;
    } else if (b >= 0x80) {
      eightBit++;
      escaped++;
    } else if (b !== 0x09) {
      if (b === 0) nul = true;
      escaped++;
    }
  }
  if (n - lineStart > longest) longest = n - lineStart;
  return { eightBit, escaped, nul, bareBreak, longLine: longest > MAX_LINE };
}

/**
 * Picks a Content-Transfer-Encoding for a body about to be written, from a sample (the whole body when small, else
 * its first 64 KiB). RFC 2045 §6 and RFC 6152:
 * - a sample that is 7-bit clean (ASCII, no NUL, CR and LF only as CRLF, lines ≤ 998 octets) → '7bit';
 * - mode '8bit' (the peer offers 8BITMIME), text with 8-bit bytes but otherwise clean → '8bit';
 * - other text → 'quoted-printable' when at most about 17% of its bytes need escaping, else 'base64';
 * - other non-text → 'base64'.
 *
 * @example
 * ```ts
 * chooseTransferEncoding(Buffer.from('Hello\r\n'), { text: true });                  // '7bit'
 * chooseTransferEncoding(Buffer.from('Grüße aus Köln, wir sehen uns bald!\r\n'), { text: true }); // 'quoted-printable'
 * chooseTransferEncoding(Buffer.from('Grüße\r\n'), { text: true, mode: '8bit' });    // '8bit'
 * chooseTransferEncoding(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]), { text: false }); // 'base64'
 * ```
 */
export function chooseTransferEncoding(
  sample: Buffer,
  opts: { text: boolean; mode?: '7bit' | '8bit' },
): '7bit' | '8bit' | 'quoted-printable' | 'base64' {
  const c = census(sample);
  const lines = !c.nul && !c.bareBreak && !c.longLine;
  if (lines && c.eightBit === 0) return '7bit'; // RFC 2045 §2.7
  if (!opts.text) return 'base64';
  if (lines && opts.mode === '8bit') return '8bit'; // RFC 2045 §2.8, RFC 6152
  return c.escaped <= sample.length * MAX_QP_SHARE ? 'quoted-printable' : 'base64';
}

/** Removes RFC 5322 §3.2.2 comments (nested, with quoted-pairs) and double quotes from a header value. */
function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && depth > 0) {
      i++;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')' && depth > 0) {
      depth--;
    } else if (depth === 0 && ch !== '"') {
      out += ch;
    }
  }
  return out;
}

/**
 * Normalizes a Content-Transfer-Encoding header value (RFC 2045 §6.1): comments and quotes removed, trimmed,
 * lower-cased. Returns null for a missing value or one this library does not decode ('x-uuencode', 'x-token', …).
 *
 * @example
 * ```ts
 * parseTransferEncoding(' Quoted-Printable (ok) '); // 'quoted-printable'
 * parseTransferEncoding('x-uuencode');              // null
 * ```
 */
export function parseTransferEncoding(
  value: string | undefined | null,
): '7bit' | '8bit' | 'binary' | 'quoted-printable' | 'base64' | null {
  if (value === undefined || value === null) return null;
  const v = (value.includes('(') || value.includes('"') ? stripComments(value) : value).trim().toLowerCase();
  switch (v) {
    case '7bit':
    case '8bit':
    case 'binary':
    case 'quoted-printable':
    case 'base64':
      return v;
    default:
      return null;
  }
}
