/**
 * Envelope addresses of MAIL and RCPT (RFC 5321 §4.1.2, SMTPUTF8 RFC 6531 §3.3): the path in angle brackets,
 * with its source route (accepted and ignored, RFC 5321 §4.1.1.3, Appendix C), a Dot-string or Quoted-string
 * local part, and a domain or an IPv4/IPv6 address literal.
 *
 * Limits (RFC 5321 §4.5.3.1): local part 64 octets, domain 255 octets, path 256 octets including the brackets.
 * Leniency, as Postfix without strict_rfc821_envelopes: spaces after the colon, and a path without brackets.
 * Non-ASCII is accepted only when `utf8` is set (SMTPUTF8); otherwise it is refused with 553 5.6.7.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { utf8Required } from './reply.js';

/** Why a path is malformed (the caller wraps it in 501 5.1.7 or 501 5.1.3). */
export class PathError extends Error {
  override name = 'PathError';
}

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;
const ATEXT_UTF8 = /^(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]|[^\x00-\x7f])+$/u;
const QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;
const QUOTED_UTF8 = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e]|[^\x00-\x7f])*"$/u;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const LABEL_UTF8 = /^[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]*[\p{L}\p{N}\p{M}])?$/u;

const octets = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Whether an address has a character outside ASCII (then it needs SMTPUTF8, RFC 6531 §3.5).
 *
 * @example
 * ```ts
 * hasNonAscii('böb@y.example') && !hasNonAscii('bob@y.example');
 * ```
 */
export const hasNonAscii = (s: string): boolean => /[^\x00-\x7f]/.test(s);

/** Checks a domain or address literal (RFC 5321 §4.1.2, §4.1.3). */
export function checkDomain(domain: string, utf8: boolean): void {
  if (domain === '') throw new PathError('missing domain');
  if (octets(domain) > 255) throw new PathError('domain longer than 255 octets');
  if (domain.startsWith('[')) {
    if (!domain.endsWith(']')) throw new PathError('unterminated address literal');
    const lit = domain.slice(1, -1);
    if (isIPv4(lit)) return;
    if (/^IPv6:/i.test(lit) && isIPv6(lit.slice(5))) return;
    throw new PathError('unsupported address literal');
  }
  if (!utf8 && hasNonAscii(domain)) throw utf8Required();
  const label = utf8 ? LABEL_UTF8 : LABEL;
  for (const part of domain.split('.')) if (!label.test(part)) throw new PathError('invalid domain');
}

/** Checks a local part: Dot-string or Quoted-string (RFC 5321 §4.1.2). */
function checkLocal(local: string, utf8: boolean): void {
  if (local === '') throw new PathError('empty local part');
  if (octets(local) > 64) throw new PathError('local part longer than 64 octets');
  if (!utf8 && hasNonAscii(local)) throw utf8Required();
  if (local.startsWith('"')) {
    if (!(utf8 ? QUOTED_UTF8 : QUOTED).test(local)) throw new PathError('invalid quoted local part');
    return;
  }
  const atom = utf8 ? ATEXT_UTF8 : ATEXT;
  for (const part of local.split('.')) if (!atom.test(part)) throw new PathError('invalid local part');
}

/** Finds the closing ">" of a path, skipping quoted strings; -1 when absent. */
function closingBracket(text: string): number {
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '>' && !quoted) return i;
  }
  return -1;
}

/** The last "@" outside a quoted local part; -1 when absent. */
function atSign(mailbox: string): number {
  if (!mailbox.startsWith('"')) return mailbox.lastIndexOf('@');
  const end = closingQuote(mailbox);
  return end < 0 ? -1 : mailbox.indexOf('@', end + 1);
}

function closingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/** A path split off a MAIL or RCPT argument. */
export interface SplitPath {
  /** The mailbox without brackets and source route ('' for the null path <>). */
  readonly mailbox: string;
  /** The parameters after the path, as sent. */
  readonly rest: string;
}

/**
 * Splits "FROM:<path> params" (or "TO:…") into the mailbox and the parameters, and validates the mailbox.
 * `allowNull` admits "<>" (MAIL only); `allowPostmaster` admits a bare "Postmaster" (RCPT only, RFC 5321 §4.5.1).
 *
 * @example
 * ```ts
 * splitPath('FROM:<@relay.example:a@b.example> SIZE=10', 'FROM', { utf8: false, allowNull: true });
 * // { mailbox: 'a@b.example', rest: 'SIZE=10' }
 * ```
 */
export function splitPath(arg: string, keyword: 'FROM' | 'TO', opts: { utf8: boolean; allowNull?: boolean; allowPostmaster?: boolean }): SplitPath {
  const head = arg.slice(0, keyword.length + 1);
  if (head.toUpperCase() !== `${keyword}:`) throw new PathError(`expected ${keyword}:<address>`);
  const text = arg.slice(keyword.length + 1).replace(/^ +/, '');
  let path: string;
  let rest: string;
  if (text.startsWith('<')) {
    const end = closingBracket(text);
    if (end < 0) throw new PathError('missing ">"');
    path = text.slice(1, end);
    rest = text.slice(end + 1);
    if (rest !== '' && !rest.startsWith(' ')) throw new PathError('text after ">" without a space');
    if (octets(path) + 2 > 256) throw new PathError('path longer than 256 octets');
  } else {
    const sp = text.indexOf(' ');
    path = sp < 0 ? text : text.slice(0, sp);
    rest = sp < 0 ? '' : text.slice(sp);
    if (path === '') throw new PathError('missing address');
  }
  rest = rest.trim();
  if (path === '') {
    if (!opts.allowNull) throw new PathError('empty address');
    return { mailbox: '', rest };
  }
  // RFC 5321 §4.1.1.3: a source route "@a,@b:" is accepted and ignored.
  if (path.startsWith('@')) {
    const colon = path.indexOf(':');
    if (colon < 0) throw new PathError('source route without ":"');
    for (const hop of path.slice(0, colon).split(',')) {
      if (!hop.startsWith('@')) throw new PathError('invalid source route');
      checkDomain(hop.slice(1), opts.utf8);
    }
    path = path.slice(colon + 1);
  }
  if (opts.allowPostmaster && path.toLowerCase() === 'postmaster') return { mailbox: path, rest };
  const at = atSign(path);
  if (at < 0) throw new PathError('missing domain');
  checkLocal(path.slice(0, at), opts.utf8);
  checkDomain(path.slice(at + 1), opts.utf8);
  return { mailbox: path, rest };
}
