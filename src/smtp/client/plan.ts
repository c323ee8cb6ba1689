/**
 * What one transaction will look like on the wire for a given peer, decided before anything is sent: the MAIL
 * and RCPT lines with their parameters, DATA or BDAT, and whether the body must be converted to 7-bit.
 *
 * Rules (each at its RFC below): SIZE (RFC 1870), BODY= (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531), the DSN
 * parameters NOTIFY, ORCPT, RET, ENVID (RFC 3461 §4) only when the peer offers DSN, ENVID and ORCPT as xtext.
 * Refusals before MAIL are permanent SmtpClientErrors: `envelope` (no recipients, a control character or angle
 * bracket in an address, which could smuggle a command), `smtputf8`, `size`.
 */
import { encodeXtext } from '../xtext.js';
import { SmtpClientError, type ClientEnvelope } from './types.js';

/** The decisions for one transaction. */
export interface TransactionPlan {
  /** "MAIL FROM:<…> params", without CRLF. */
  readonly mail: string;
  /** One "RCPT TO:<…> params" per recipient, in order. */
  readonly rcpts: readonly string[];
  /** BDAT when the peer offers CHUNKING (RFC 3030), else DATA. */
  readonly transfer: 'DATA' | 'BDAT';
  /** The body goes through downgradeTo7bit (RFC 6152 §3). */
  readonly downgrade: boolean;
  /** BODY=BINARYMIME: the bytes are sent as they are, without line-end normalization. */
  readonly binary: boolean;
  /** MAIL, every RCPT (and DATA) in one write (RFC 2920). */
  readonly pipelining: boolean;
  /** The peer offers DSN, so the DSN parameters were included. */
  readonly dsn: boolean;
}

// An address goes between "<" and ">" on a command line: no control character, no bracket (RFC 5321 §4.1.2).
const UNSAFE = /[\x00-\x1f\x7f<>]/;
const NON_ASCII = /[^\x00-\x7f]/;

function checkAddress(address: string, stage: 'mail' | 'rcpt'): void {
  if (UNSAFE.test(address)) {
    throw new SmtpClientError('envelope', stage, `Cannot send ${stage === 'mail' ? 'sender' : 'recipient'} address: control character or angle bracket`, false);
  }
}

/** The peer's SIZE maximum (RFC 1870 §4: absent or 0 means no fixed limit). */
function sizeLimit(ext: ReadonlyMap<string, string>): number {
  const n = Number((ext.get('SIZE') ?? '').trim() || '0');
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * Plans a transaction for a peer with the extensions `ext`; throws a permanent SmtpClientError when the message
 * cannot go to this peer at all.
 *
 * @example
 * ```ts
 * const ext = new Map([['8BITMIME', ''], ['DSN', ''], ['SIZE', '1000']]);
 * const p = planTransaction({ from: 'a@x.test', rcpts: [{ address: 'b@y.test', notify: ['FAILURE'] }], body: '8BITMIME', smtputf8: false, size: 10 }, ext);
 * p.mail === 'MAIL FROM:<a@x.test> SIZE=10 BODY=8BITMIME';
 * p.rcpts[0] === 'RCPT TO:<b@y.test> NOTIFY=FAILURE';
 * ```
 */
export function planTransaction(env: ClientEnvelope, ext: ReadonlyMap<string, string>): TransactionPlan {
  if (env.rcpts.length === 0) throw new SmtpClientError('envelope', 'rcpt', 'Cannot send a transaction without recipients', false);
  checkAddress(env.from, 'mail');
  for (const r of env.rcpts) checkAddress(r.address, 'rcpt');

  // RFC 6531 §3.4: a non-ASCII address needs SMTPUTF8 even when the caller did not say so.
  const utf8 = env.smtputf8 || NON_ASCII.test(env.from) || env.rcpts.some((r) => NON_ASCII.test(r.address));
  if (utf8 && !ext.has('SMTPUTF8')) {
    throw new SmtpClientError('smtputf8', 'mail', 'The message needs SMTPUTF8 and the peer does not offer it', false);
  }
  const max = sizeLimit(ext);
  if (max > 0 && env.size !== undefined && env.size > max) {
    // RFC 1870 §6: a client should not send a message the server has declared too large.
    throw new SmtpClientError('size', 'mail', `Message of ${env.size} octets exceeds the peer's limit of ${max}`, false);
  }

  const chunking = ext.has('CHUNKING');
  // RFC 3030 §3: BINARYMIME needs CHUNKING too; RFC 6152 §3: 8-bit data to a peer without 8BITMIME is converted.
  const binary = env.body === 'BINARYMIME' && chunking && ext.has('BINARYMIME');
  const downgrade = (env.body === '8BITMIME' && !ext.has('8BITMIME')) || (env.body === 'BINARYMIME' && !binary);
  const dsn = ext.has('DSN');

  let mail = `MAIL FROM:<${env.from}>`;
  // The converted body is longer by an unknown amount, so its size is not declared (RFC 1870 §4 allows that).
  if (ext.has('SIZE') && env.size !== undefined && !downgrade) mail += ` SIZE=${env.size}`;
  if (binary) mail += ' BODY=BINARYMIME';
  else if (env.body === '8BITMIME' && !downgrade) mail += ' BODY=8BITMIME';
  if (utf8) mail += ' SMTPUTF8';
  if (dsn && env.ret) mail += ` RET=${env.ret}`;
  if (dsn && env.envid !== undefined) mail += ` ENVID=${encodeXtext(env.envid)}`;

  const rcpts = env.rcpts.map((r) => {
    let line = `RCPT TO:<${r.address}>`;
    if (dsn && r.notify && r.notify.length > 0) line += ` NOTIFY=${r.notify.join(',')}`;
    if (dsn && r.orcpt !== undefined) line += ` ORCPT=${encodeXtext(r.orcpt)}`;
    return line;
  });

  return { mail, rcpts, transfer: chunking ? 'BDAT' : 'DATA', downgrade, binary, pipelining: ext.has('PIPELINING'), dsn };
}
