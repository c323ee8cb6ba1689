/**
 * Builds one delivery status notification (RFC 3464) for one queue item: a multipart/report (RFC 6522) with
 * Postfix's human-readable text, the message/delivery-status fields, and the original message or its header
 * (RFC 3461 §4.3 RET), plus the envelope it is queued with. The MIME composer writes the report
 * (`composeMessage` with `report`); this module decides what goes into it.
 *
 * Rules:
 * - The envelope is from the null sender `<>` (RFC 3461 §6.2, RFC 5321 §4.5.5), to the original envelope sender
 *   only, with no NOTIFY (a report never asks for a report).
 * - Header: `From: "Mail Delivery System" <MAILER-DAEMON@host>` (Postfix), `To:` the sender, Subject by kind
 *   (dsn-text.ts), `Auto-Submitted: auto-replied` (RFC 3834 §5), Date, Message-ID.
 * - Transport: 7bit when everything is ASCII. A returned original with 8-bit bytes makes the report 8BITMIME
 *   (message/rfc822 is never re-encoded, RFC 2046 §5.2.1). SMTPUTF8 is asked for when the sender's address is not
 *   ASCII, or when the original came with SMTPUTF8 and the returned header has UTF-8 in it (RFC 6531 §3.2,
 *   RFC 6532 §3.7).
 * Limits: the Date field is written in the local zone (the composer's choice); `tzOffsetMinutes` sets the zone of
 * the report's own dates (Arrival-Date, Last-Attempt-Date, Will-Retry-Until). No message/global or
 * message/global-delivery-status (RFC 6533): UTF-8 in report fields is escaped (dsn-fields.ts).
 */
import { isAscii } from 'node:buffer';
import type { Readable } from 'node:stream';
import { composeMessage, headerEnd, type ComposeInput } from '../../mime/index.js';
import type { Envelope } from '../../store/index.js';
import type { DsnNeed } from '../queue/index.js';
import { dsnMessageFields, dsnRecipientFields, type DsnFieldOptions } from './dsn-fields.js';
import { dsnSubject, dsnText } from './dsn-text.js';
import { DEFAULT_MAX_FULL_BYTES, returnedOriginal } from './returned-original.js';

/** Postfix's maximal_queue_lifetime (5 days), for Will-Retry-Until and the delay text. */
export const DEFAULT_DSN_LIFETIME_MS = 5 * 86_400_000;

/** How reports are made. */
export interface DsnBuildOptions {
  /** This server's host name: Reporting-MTA, the From domain and the Message-ID domain. */
  readonly reportingMta: string;
  readonly now: Date;
  /** Minutes east of UTC for the report's dates (default 0: UTC). */
  readonly tzOffsetMinutes?: number;
  /** The largest original returned whole (default 50,000 bytes, Postfix's bounce_size_limit); larger: its header. */
  readonly maxFullBytes?: number;
  /** The largest header returned (default 1 MiB; a longer one is cut at a line end). */
  readonly maxHeaderBytes?: number;
  /** The address the text asks people to write to (default `postmaster@<reportingMta>`). */
  readonly postmaster?: string;
  /** The queue lifetime, for Will-Retry-Until of delayed recipients (default 5 days). */
  readonly lifetimeMs?: number;
}

/** A report ready to store and queue. */
export interface BuiltDsn {
  readonly envelope: Envelope;
  /** The whole report, streamed (everything in it is already in memory: bounded by the caps). */
  readonly message: Readable;
}

const hasNonAscii = (s: string): boolean => /[^\x00-\x7f]/.test(s);

/**
 * Builds the report for `needs`, which must all be of the same queue item (throws otherwise, and for none).
 * `body` opens the item's stored message; it is read only as far as the report needs (see returned-original.ts).
 *
 * @example
 * ```ts
 * const { envelope, message } = await buildDsn(needs, () => store.blobs.get(item.body), { reportingMta: 'mx.x.test', now: new Date() });
 * await store.queue.enqueue(envelope, await store.blobs.put(message, { maxBytes: 1 << 24 }));
 * ```
 */
export async function buildDsn(needs: readonly DsnNeed[], body: () => Promise<Readable>, o: DsnBuildOptions): Promise<BuiltDsn> {
  const first = needs[0];
  if (first === undefined) throw new Error('Cannot build DSN: no recipients to report');
  const item = first.item;
  const other = needs.find((n) => n.item.id !== item.id);
  if (other !== undefined) throw new Error(`Cannot build DSN: recipients of two queue items (${item.id}, ${other.item.id})`);
  const sender = item.envelope.from;
  if (sender === '') throw new Error(`Cannot build DSN: queue item ${item.id} is from the null sender`);
  const host = o.reportingMta;
  if (!/^[A-Za-z0-9.-]+$/.test(host) && !/^\[[0-9A-Fa-f:.]+\]$/.test(host)) throw new Error(`Cannot build DSN: reporting MTA ${JSON.stringify(host)} is not a host name`);
  // One line per recipient: a later need for the same recipient replaces an earlier one.
  const byRcpt = new Map<string, DsnNeed>();
  for (const n of needs) byRcpt.set(n.rcpt.address, n);
  const list = [...byRcpt.values()];
  const kinds = list.map((n) => n.kind);
  const maxFullBytes = o.maxFullBytes ?? DEFAULT_MAX_FULL_BYTES;
  const lifetimeMs = o.lifetimeMs ?? DEFAULT_DSN_LIFETIME_MS;
  const returned = await returnedOriginal(item, kinds, body, {
    maxFullBytes,
    ...(o.maxHeaderBytes !== undefined ? { maxHeaderBytes: o.maxHeaderBytes } : {}),
  });
  const fieldOpts: DsnFieldOptions = {
    reportingMta: host,
    now: o.now,
    lifetimeMs,
    ...(o.tzOffsetMinutes !== undefined ? { tzOffsetMinutes: o.tzOffsetMinutes } : {}),
  };
  const fields = [dsnMessageFields(item, fieldOpts), ...list.map((n) => dsnRecipientFields(n, fieldOpts))];
  const human = dsnText(list, {
    reportingMta: host,
    postmaster: o.postmaster ?? `postmaster@${host}`,
    now: o.now,
    lifetimeMs,
    maxFullBytes,
    returned,
  });
  const content = returned.content;
  const headerBytes = returned.kind === 'headers' ? content : content.subarray(0, headerEnd(content) ?? content.length);
  const smtputf8 = hasNonAscii(sender) || (item.envelope.smtputf8 && !isAscii(headerBytes));
  const eightBit = smtputf8 || !isAscii(content);
  const mode: ComposeInput['mode'] = smtputf8 ? 'smtputf8' : eightBit ? '8bitmime' : '7bit';
  const message = composeMessage({
    from: { name: 'Mail Delivery System', address: `MAILER-DAEMON@${host}` },
    to: [{ address: sender }],
    subject: dsnSubject(kinds),
    date: o.now,
    messageIdDomain: host.startsWith('[') ? 'postroom.invalid' : host,
    headers: [['Auto-Submitted', 'auto-replied']],
    mode,
    report: {
      reportType: 'delivery-status',
      human,
      fields,
      original: { content, headersOnly: returned.kind === 'headers' },
    },
  });
  const envelope: Envelope = {
    from: '',
    rcpts: [{ address: sender }],
    smtputf8,
    // In 7bit mode the composer encodes UTF-8 in the human text quoted-printable; only the original forces 8BITMIME.
    body: mode === '7bit' ? '7BIT' : '8BITMIME',
    receivedAt: o.now,
    client: { helo: host, ip: '127.0.0.1', tls: false, protocol: 'LOCAL' },
  };
  return { envelope, message };
}

