/**
 * Identifiers the composer invents: Message-ID values (RFC 5322 §3.6.4) and multipart boundaries (RFC 2046 §5.1.1).
 *
 * Guarantees: a generated Message-ID is `<random.time@domain>` with 80 random bits in lowercase base32 (RFC 4648 §6
 * alphabet), so it is a valid dot-atom msg-id that no other message shares; a boundary is `----=_Part_` followed by
 * 24 random base32 characters (120 bits). The `=_` pair in every boundary can never occur in quoted-printable or
 * base64 output (QP writes `=` only before two hex digits or a line break; base64 writes `=` only as trailing
 * padding), so those bodies cannot contain a delimiter line by construction.
 * Limits: randomness comes from `crypto.randomBytes`; a domain that is not a valid host name is refused.
 */
import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** RFC 2046 §5.1.1: a boundary is 1 to 70 bchars, not ending in a space. */
const BCHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
/** RFC 5322 §3.2.3 dot-atom-text, the id-left and id-right forms we write. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/**
 * Returns `n` random characters of the RFC 4648 base32 alphabet, lowercase (each carries 5 bits).
 *
 * @example
 * ```ts
 * randomBase32(8); // e.g. 'q3k7m2ab'
 * ```
 */
export function randomBase32(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += BASE32[bytes[i]! & 31]!;
  return s;
}

/**
 * Creates a multipart boundary: `prefix` (default `----=_Part_`) and 24 random base32 characters, uppercase.
 * The prefix must keep the result within RFC 2046 §5.1.1 (at most 70 bchars) and must contain `=_`, the pair that
 * quoted-printable and base64 output never contain.
 *
 * @example
 * ```ts
 * createBoundary(); // e.g. '----=_Part_Q3K7M2ABX4PZ5RT6YC2HJ7WN'
 * ```
 */
export function createBoundary(prefix = '----=_Part_'): string {
  const b = prefix + randomBase32(24).toUpperCase();
  if (!prefix.includes('=_')) throw new Error(`Cannot create boundary: prefix ${JSON.stringify(prefix)} must contain "=_"`);
  if (!BCHARS.test(b)) throw new Error(`Cannot create boundary: prefix ${JSON.stringify(prefix)} is not made of RFC 2046 bchars or is too long`);
  return b;
}

/**
 * Checks a host name for the right side of a Message-ID and returns it in ASCII (IDNA A-labels, RFC 5890).
 * Throws when it is not a dot-atom host name.
 *
 * @example
 * ```ts
 * messageIdDomain('bücher.example'); // 'xn--bcher-kva.example'
 * ```
 */
export function messageIdDomain(domain: string): string {
  const ascii = /^[\x21-\x7e]+$/.test(domain) ? domain.toLowerCase() : domainToASCII(domain);
  if (ascii === '' || !DOT_ATOM.test(ascii)) throw new Error(`Cannot use Message-ID domain ${JSON.stringify(domain)}: not a host name`);
  return ascii;
}

/**
 * Generates a Message-ID (RFC 5322 §3.6.4): `<random.time@domain>`, 16 random base32 characters, a dot and the
 * time in milliseconds in base32.
 *
 * @example
 * ```ts
 * generateMessageId('example.org'); // e.g. '<k2v7d3q9x4mzt5ab.1ae9c0k2p@example.org>'
 * ```
 */
export function generateMessageId(domain: string, now: Date = new Date()): string {
  let t = now.getTime();
  let time = '';
  do {
    time = BASE32[t % 32]! + time;
    t = Math.floor(t / 32);
  } while (t > 0);
  return `<${randomBase32(16)}.${time}@${messageIdDomain(domain)}>`;
}

/**
 * Checks a msg-id given by the caller (with or without angle brackets) and returns it with brackets.
 * Throws on whitespace, control characters, angle brackets inside, a missing "@", or non-ASCII without `utf8`.
 *
 * @example
 * ```ts
 * normalizeMessageId('abc@example.org'); // '<abc@example.org>'
 * ```
 */
export function normalizeMessageId(id: string, opts?: { utf8?: boolean }): string {
  const inner = id.startsWith('<') && id.endsWith('>') ? id.slice(1, -1) : id;
  const what = `Cannot use message id ${JSON.stringify(id)}`;
  if (/[\s<>\x00-\x1f\x7f]/.test(inner)) throw new Error(`${what}: contains whitespace, angle brackets or control characters`);
  if (opts?.utf8 !== true && /[^\x00-\x7f]/.test(inner)) throw new Error(`${what}: non-ASCII needs SMTPUTF8`);
  const at = inner.lastIndexOf('@');
  // RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">"
  if (at <= 0 || at === inner.length - 1) throw new Error(`${what}: not of the form left@right`);
  return `<${inner}>`;
}
