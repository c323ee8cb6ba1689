/**
 * The machine-readable part of a delivery status notification: the message/delivery-status fields
 * (RFC 3464 §2.2 per-message, §2.3 per-recipient), as blocks of `[name, value]` for the MIME composer's
 * `ReportInput.fields`.
 *
 * Guarantees:
 * - Every value is printable ASCII and short enough to fold within 998 octets (RFC 3464 §2.1 takes RFC 822
 *   header syntax; the composer refuses anything else): addresses that are not ASCII take the `utf-8` address
 *   type with RFC 6533 §3 `\x{HEX}` escapes, an ENVID that is not printable ASCII goes out as xtext
 *   (RFC 3461 §4.4), reply texts lose control characters and non-ASCII (shown as `?`) and are cut at 900 characters.
 * - Status always agrees with Action (RFC 3464 §2.3.4, RFC 3463 §3.1: failed → 5.x.x, delayed → 4.x.x, delivered,
 *   relayed and expanded → 2.x.x): the class digit comes from the Action, only subject and detail from the reply.
 * Limits: no message/global-delivery-status (RFC 6533 §6): UTF-8 is escaped instead of written raw.
 */
import { formatDate } from '../../mime/index.js';
import { encodeXtext } from '../../smtp/index.js';
import type { QueueItem, RcptResult } from '../../store/index.js';
import type { DsnAction, DsnNeed } from '../queue/index.js';

/** One block of report fields. */
export type DsnFieldBlock = readonly (readonly [string, string])[];

/** The longest free text (reply, diagnostic) written into a field. */
const MAX_TEXT = 900;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})$/;
const isPrintableAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);

/**
 * Free text made fit for a report field: control characters become spaces, other non-ASCII characters `?`,
 * runs of white space one space, and at most 900 characters are kept.
 *
 * @example
 * ```ts
 * asciiText('User\r\n unknown: Zoë') === 'User unknown: Zo?';
 * ```
 */
export function asciiText(s: string): string {
  const out = s
    .replace(/[\x00-\x1f\x7f]/g, ' ')
    .replace(/[^\x00-\x7f]/gu, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  return out.length > MAX_TEXT ? `${out.slice(0, MAX_TEXT - 3)}...` : out;
}

/**
 * An address as a report field value: `rfc822; a@b` for an ASCII address, else the RFC 6533 §3 `utf-8` type with
 * every character outside QCHAR (printable ASCII but "+", "=", "\") written `\x{HEX}`.
 *
 * @example
 * ```ts
 * dsnAddress('b@y.test') === 'rfc822; b@y.test';
 * dsnAddress('zoë@y.test') === 'utf-8; zo\\x{EB}@y.test';
 * ```
 */
export function dsnAddress(address: string, type = 'rfc822'): string {
  if (isPrintableAscii(address) && !/\s/.test(address)) return `${type}; ${address}`;
  let out = '';
  for (const ch of address) {
    const c = ch.codePointAt(0)!;
    out += c > 0x20 && c < 0x7f && ch !== '+' && ch !== '=' && ch !== '\\' ? ch : `\\x{${c.toString(16).toUpperCase()}}`;
  }
  return `utf-8; ${out}`;
}

/**
 * The Original-Recipient value (RFC 3464 §2.3.1) from a stored ORCPT (`addr-type;address`, xtext already
 * decoded); undefined when it is malformed.
 *
 * @example
 * ```ts
 * originalRecipient('rfc822;B+tag@y.test') === 'rfc822; B+tag@y.test';
 * ```
 */
export function originalRecipient(orcpt: string): string | undefined {
  const semi = orcpt.indexOf(';');
  if (semi < 1) return undefined;
  const type = orcpt.slice(0, semi).trim();
  const address = orcpt.slice(semi + 1).trim();
  if (!/^[A-Za-z0-9-]+$/.test(type) || address === '') return undefined;
  const value = dsnAddress(address, type.toLowerCase());
  return value.length > MAX_TEXT ? undefined : value;
}

/**
 * The address an ORCPT names, when it is an rfc822 or utf-8 address (for the human-readable part).
 *
 * @example
 * ```ts
 * orcptAddress('rfc822;a@x.test') === 'a@x.test';
 * ```
 */
export function orcptAddress(orcpt: string | undefined): string | undefined {
  const m = orcpt === undefined ? null : /^(rfc822|utf-8)\s*;\s*(.+)$/i.exec(orcpt);
  return m?.[2]?.trim();
}

/**
 * The Original-Envelope-Id value (RFC 3464 §2.2.1): the ENVID as the client gave it. The store keeps it xtext
 * decoded; printable ASCII is written as it is, anything else as xtext again (RFC 3461 §4.4), so the field stays ASCII.
 *
 * @example
 * ```ts
 * envelopeId('QQ314159') === 'QQ314159';
 * envelopeId('ü') === '+C3+BC';
 * ```
 */
export function envelopeId(envid: string): string {
  return isPrintableAscii(envid) && !/^\s|\s$/.test(envid) && envid.length <= MAX_TEXT ? envid : encodeXtext(envid).slice(0, MAX_TEXT);
}

/** A delivered result's reply split into code, enhanced code and text. */
function splitReply(reply: string): { code?: number; enhanced?: string; text: string } {
  const m = /^(\d{3})(?:[ -](\d\.\d{1,3}\.\d{1,3})(?= |$))?[ -]?(.*)$/s.exec(reply.trim());
  if (!m) return { text: reply };
  return { code: Number(m[1]), ...(m[2] !== undefined ? { enhanced: m[2] } : {}), text: m[3] ?? '' };
}

const CLASS: Record<DsnAction, '2' | '4' | '5'> = { failed: '5', delayed: '4', delivered: '2', relayed: '2', expanded: '2' };

/**
 * The Status value (RFC 3464 §2.3.4): the result's enhanced code with the class digit of the Action, or
 * `X.0.0` when the result has none (failed → 5.0.0, delayed → 4.0.0, success → 2.0.0).
 *
 * @example
 * ```ts
 * dsnStatus('failed', { rcpt: 'b@y.test', outcome: 'failed', code: 550, enhanced: '5.1.1', text: 'User unknown' }) === '5.1.1';
 * dsnStatus('delivered', { rcpt: 'b@y.test', outcome: 'delivered', reply: '250 Ok' }) === '2.0.0';
 * ```
 */
export function dsnStatus(kind: DsnAction, result: RcptResult): string {
  const enhanced = result.outcome === 'delivered' ? splitReply(result.reply).enhanced : result.enhanced;
  const m = enhanced === undefined ? null : ENHANCED.exec(enhanced);
  // RFC 3463 §3.1: the class says success, persistent or transient failure; it must match the Action.
  return m ? `${CLASS[kind]}.${Number(m[2])}.${Number(m[3])}` : `${CLASS[kind]}.0.0`;
}

/**
 * The remote MTA's host name from a stored `remoteMta` (`mx.y.test`, `mx.y.test[192.0.2.1]` or `[192.0.2.1]`).
 *
 * @example
 * ```ts
 * remoteMtaName('mx.y.test[192.0.2.1]') === 'mx.y.test';
 * ```
 */
export function remoteMtaName(remoteMta: string): string {
  const m = /^([^[\s]+)\[[^\]]*\](?::\d+)?$/.exec(remoteMta.trim());
  return asciiText(m ? m[1]! : remoteMta);
}

/**
 * The reply or error text of a result as the human-readable part and `lastReply` show it:
 * `550 5.1.1 User unknown`.
 *
 * @example
 * ```ts
 * resultText({ rcpt: 'b@y.test', outcome: 'failed', code: 550, enhanced: '5.1.1', text: 'User unknown' }) === '550 5.1.1 User unknown';
 * ```
 */
export function resultText(result: RcptResult): string {
  if (result.outcome === 'delivered') return result.reply;
  return [String(result.code), result.enhanced, result.text].filter((s) => s !== undefined && s !== '').join(' ');
}

/**
 * The Diagnostic-Code value (RFC 3464 §2.3.6): `smtp; <reply>` when the result came from a remote SMTP server,
 * else `X-Postroom; <text>` (this server's own reason, like Postfix's `X-Postfix` type); undefined for a
 * local success with nothing to say.
 *
 * @example
 * ```ts
 * diagnosticCode({ rcpt: 'b@y.test', outcome: 'failed', code: 550, enhanced: '5.1.1', text: 'User unknown', remoteMta: 'mx.y.test' });
 * // 'smtp; 550 5.1.1 User unknown'
 * ```
 */
export function diagnosticCode(result: RcptResult): string | undefined {
  if (result.remoteMta !== undefined) {
    const text = asciiText(resultText(result));
    return text === '' ? undefined : `smtp; ${text}`;
  }
  const text = asciiText(result.outcome === 'delivered' ? splitReply(result.reply).text : result.text);
  return text === '' ? undefined : `X-Postroom; ${text}`;
}

/** What the field builders need besides the needs. */
export interface DsnFieldOptions {
  readonly reportingMta: string;
  /** When the report is made (Last-Attempt-Date: the attempt that owes the report just ended). */
  readonly now: Date;
  /** Minutes east of UTC for the dates (default 0). */
  readonly tzOffsetMinutes?: number;
  /** The queue lifetime, for Will-Retry-Until of delayed recipients. */
  readonly lifetimeMs: number;
}

/**
 * The per-message block (RFC 3464 §2.2): Reporting-MTA, Original-Envelope-Id (when the client gave ENVID),
 * X-Postroom-Queue-ID, Arrival-Date.
 *
 * @example
 * ```ts
 * dsnMessageFields(item, { reportingMta: 'mx.x.test', now, lifetimeMs });
 * // [['Reporting-MTA', 'dns; mx.x.test'], ['X-Postroom-Queue-ID', 'Q1'], ['Arrival-Date', 'Thu, 1 Jan 2026 …']]
 * ```
 */
export function dsnMessageFields(item: QueueItem, o: DsnFieldOptions): DsnFieldBlock {
  const env = item.envelope;
  const tz = o.tzOffsetMinutes ?? 0;
  const out: [string, string][] = [['Reporting-MTA', `dns; ${asciiText(o.reportingMta)}`]];
  if (env.envid !== undefined && env.envid !== '') out.push(['Original-Envelope-Id', envelopeId(env.envid)]);
  out.push(['X-Postroom-Queue-ID', asciiText(item.id)]);
  out.push(['Arrival-Date', formatDate(env.receivedAt, tz)]);
  return out;
}

/**
 * A per-recipient block (RFC 3464 §2.3): Original-Recipient (from ORCPT), Final-Recipient, Action, Status,
 * Remote-MTA, Diagnostic-Code, Last-Attempt-Date, and Will-Retry-Until for a delayed recipient.
 *
 * @example
 * ```ts
 * dsnRecipientFields(need, { reportingMta: 'mx.x.test', now, lifetimeMs });
 * // [['Final-Recipient', 'rfc822; b@y.test'], ['Action', 'failed'], ['Status', '5.1.1'], …]
 * ```
 */
export function dsnRecipientFields(need: DsnNeed, o: DsnFieldOptions): DsnFieldBlock {
  const { kind, item, rcpt, result } = need;
  const tz = o.tzOffsetMinutes ?? 0;
  const out: [string, string][] = [];
  const original = rcpt.orcpt === undefined ? undefined : originalRecipient(rcpt.orcpt);
  if (original !== undefined) out.push(['Original-Recipient', original]);
  out.push(['Final-Recipient', dsnAddress(rcpt.address)]);
  out.push(['Action', kind]);
  out.push(['Status', dsnStatus(kind, result)]);
  if (result.remoteMta !== undefined && remoteMtaName(result.remoteMta) !== '') out.push(['Remote-MTA', `dns; ${remoteMtaName(result.remoteMta)}`]);
  const diagnostic = diagnosticCode(result);
  if (diagnostic !== undefined) out.push(['Diagnostic-Code', diagnostic]);
  out.push(['Last-Attempt-Date', formatDate(o.now, tz)]);
  // RFC 3464 §2.3.8: for delayed recipients, when the MTA will give up.
  if (kind === 'delayed') out.push(['Will-Retry-Until', formatDate(new Date(item.createdAt.getTime() + o.lifetimeMs), tz)]);
  return out;
}
