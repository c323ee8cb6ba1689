/**
 * The human-readable side of a delivery status notification: the Subject and the text/plain first part of the
 * multipart/report (RFC 6522 §3, RFC 3464 §1.2: a report explains itself to people too). The texts follow
 * Postfix's bounce(5) templates (failure, delay and success), so users and help desks recognize them, and list
 * each recipient with the last reply, as Postfix does:
 * `<b@y.test>: host mx.y.test[192.0.2.1] said: 550 5.1.1 User unknown`.
 *
 * Limits: English only; the text is UTF-8 where an address is (the composer encodes it for the transport).
 */
import type { DsnAction, DsnNeed } from '../queue/index.js';
import { orcptAddress, resultText } from './dsn-fields.js';
import type { ReturnedOriginal } from './returned-original.js';

/** The Subject of a failure report (Postfix's failure_template). */
export const SUBJECT_FAILED = 'Undelivered Mail Returned to Sender';
/** The Subject of a delay notice (Postfix's delay_template). */
export const SUBJECT_DELAYED = 'Delayed Mail (still being retried)';
/** The Subject of a success report (Postfix's success_template). */
export const SUBJECT_SUCCESS = 'Successful Mail Delivery Report';

/** Which template a report with these Actions takes: a failure wins over a delay, a delay over a success. */
export type DsnTemplate = 'failed' | 'delayed' | 'success';

/**
 * The template of a report whose recipients have these Actions.
 *
 * @example
 * ```ts
 * dsnTemplate(['delivered', 'failed']) === 'failed';
 * dsnTemplate(['relayed', 'expanded']) === 'success';
 * ```
 */
export function dsnTemplate(kinds: readonly DsnAction[]): DsnTemplate {
  if (kinds.includes('failed')) return 'failed';
  if (kinds.includes('delayed')) return 'delayed';
  return 'success';
}

/**
 * The Subject of a report whose recipients have these Actions.
 *
 * @example
 * ```ts
 * dsnSubject(['delayed']) === 'Delayed Mail (still being retried)';
 * ```
 */
export function dsnSubject(kinds: readonly DsnAction[]): string {
  const t = dsnTemplate(kinds);
  return t === 'failed' ? SUBJECT_FAILED : t === 'delayed' ? SUBJECT_DELAYED : SUBJECT_SUCCESS;
}

/** What the human-readable text says besides the recipients. */
export interface DsnTextOptions {
  readonly reportingMta: string;
  /** The address people are asked to write to for help. */
  readonly postmaster: string;
  readonly now: Date;
  /** The queue lifetime (how long a delayed message is retried). */
  readonly lifetimeMs: number;
  /** The cap on returned messages, named when a message was too large to return whole. */
  readonly maxFullBytes: number;
  /** What the report returns of the original (undefined: nothing). */
  readonly returned?: ReturnedOriginal;
}

const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** How long the message has waited, as the delay template says it: hours, or minutes under an hour. */
function waited(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  return hours >= 1 ? plural(hours, 'hour') : plural(Math.max(0, Math.floor(ms / 60_000)), 'minute');
}

/** The queue lifetime in days, to one decimal. */
function days(ms: number): string {
  const d = Math.round((ms / 86_400_000) * 10) / 10;
  return d === 1 ? '1 day' : `${d} days`;
}

/** The sentence on what is attached. */
function attachedNote(r: ReturnedOriginal | undefined, maxFull: number): string[] {
  if (r === undefined) return [];
  if (r.kind === 'full') return ['Your message is attached below.'];
  const cut = r.cut ? ' (cut short: it was too long)' : '';
  if (r.reason === 'size') return [`Your message was larger than ${maxFull} bytes, so only its header is attached below${cut}.`];
  if (r.reason === 'unsafe') return [`Your message cannot be returned as it is, so only its header is attached below${cut}.`];
  return [`The header of your message is attached below${cut}.`];
}

/**
 * One recipient's line: the address (and the address it was expanded from, when ORCPT differs) and what
 * happened, with the remote host when there was one.
 *
 * @example
 * ```ts
 * recipientLine({ kind: 'failed', item, rcpt, result: { rcpt: 'b@y.test', outcome: 'failed', code: 550,
 *   enhanced: '5.1.1', text: 'User unknown', remoteMta: 'mx.y.test[192.0.2.1]' } });
 * // '<b@y.test>: host mx.y.test[192.0.2.1] said: 550 5.1.1 User unknown'
 * ```
 */
export function recipientLine(need: DsnNeed): string {
  const { rcpt, result } = need;
  const original = orcptAddress(rcpt.orcpt);
  const from = original !== undefined && original.toLowerCase() !== rcpt.address.toLowerCase() ? ` (expanded from <${original}>)` : '';
  const text = resultText(result).replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  const host = result.remoteMta?.replace(/[\x00-\x20\x7f]/g, '');
  let what: string;
  if (result.outcome === 'delivered') what = host ? `delivery via ${host}: ${text}` : `delivered: ${text}`;
  else what = host ? `host ${host} said: ${text}` : text;
  return `<${rcpt.address}>${from}: ${what}`;
}

const SIGNATURE = '                   The mail system';

/**
 * The text/plain part of a report: Postfix's template for the report's kind, a note on what is attached, then
 * each recipient's line (under a heading per Action when a report mixes them).
 *
 * @example
 * ```ts
 * dsnText(needs, { reportingMta: 'mx.x.test', postmaster: 'postmaster@mx.x.test', now, lifetimeMs, maxFullBytes: 50_000 });
 * // 'This is the mail system at host mx.x.test.\n\nI'm sorry to have to inform you …'
 * ```
 */
export function dsnText(needs: readonly DsnNeed[], o: DsnTextOptions): string {
  const kinds = needs.map((n) => n.kind);
  const template = dsnTemplate(kinds);
  const lines: string[] = [`This is the mail system at host ${o.reportingMta}.`, ''];
  const help = [
    '',
    `For further assistance, please send mail to <${o.postmaster}>.`,
    '',
    'If you do so, please include this problem report. You can',
    'delete your own text from the attached returned message.',
  ];
  const attached = attachedNote(o.returned, o.maxFullBytes);
  const note = attached.length > 0 ? ['', ...attached] : [];
  if (template === 'failed') {
    lines.push(
      "I'm sorry to have to inform you that your message could not",
      'be delivered to one or more recipients.',
      ...note,
      ...help,
    );
  } else if (template === 'delayed') {
    const item = needs[0]!.item;
    lines.push(
      '####################################################################',
      '# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #',
      '####################################################################',
      '',
      `Your message could not be delivered for more than ${waited(o.now.getTime() - item.createdAt.getTime())}.`,
      `It will be retried until it is ${days(o.lifetimeMs)} old.`,
      ...note,
      ...help,
    );
  } else {
    lines.push(
      'Your message was successfully delivered to the destination(s)',
      'listed below. If the message was delivered to mailbox you will',
      'receive no further notifications. Otherwise you may still receive',
      'notifications of mail delivery errors from other systems.',
      ...note,
    );
  }
  lines.push('', SIGNATURE, '');
  const groups: [string, readonly DsnNeed[]][] = [
    ['Delivery to these recipients failed permanently:', needs.filter((n) => n.kind === 'failed')],
    ['Delivery to these recipients is delayed and still being retried:', needs.filter((n) => n.kind === 'delayed')],
    ['Delivery to these recipients succeeded:', needs.filter((n) => n.kind !== 'failed' && n.kind !== 'delayed')],
  ];
  const used = groups.filter(([, g]) => g.length > 0);
  for (const [heading, group] of used) {
    if (used.length > 1) lines.push(heading, '');
    for (const n of group) lines.push(recipientLine(n), '');
  }
  return lines.join('\n');
}
