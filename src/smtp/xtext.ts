/**
 * xtext (RFC 3461 §4): the encoding of the DSN parameters ENVID and ORCPT and of MAIL's AUTH parameter
 * (RFC 4954 §5). Printable ASCII except "+" and "=" stands for itself; any other octet is "+" and two upper-case
 * hex digits. Text is UTF-8 on both sides.
 */

/**
 * Decodes xtext; null when it is not valid xtext (a character outside 33..126, "=", or a bad "+XX").
 *
 * @example
 * ```ts
 * decodeXtext('a+2Bb') === 'a+b';
 * decodeXtext('a+zz') === null;
 * ```
 */
export function decodeXtext(text: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c >= 33 && c <= 126 && c !== 0x3d) bytes.push(c);
    else return null;
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Encodes text as xtext.
 *
 * @example
 * ```ts
 * encodeXtext('rfc822;a+b@x.example') === 'rfc822;a+2Bb@x.example';
 * ```
 */
export function encodeXtext(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    out += b >= 33 && b <= 126 && b !== 0x2b && b !== 0x3d ? String.fromCharCode(b) : `+${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
