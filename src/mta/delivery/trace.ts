/**
 * The trace fields local delivery prepends to a message (RFC 5321 §4.4, RFC 5322 §3.6.7):
 *
 * ```
 * Return-Path: <sender>
 * Delivered-To: <final recipient>
 * Received: from <helo> (<ptr-or-ip> [<ip>])
 * 	by <hostname> with ESMTP[S][A] id <queue id>
 * 	for <rcpt>; <RFC 5322 date>
 * ```
 *
 * - RFC 5321 §4.4: the delivering SMTP server adds `Return-Path` with the envelope sender (`<>` for the null
 *   sender) and each relay adds a `Received` line; `with` takes the RFC 3848 protocol (ESMTPS = TLS, ESMTPA = AUTH).
 * - `Delivered-To` (Postfix, qmail) names the final mailbox after alias expansion; it is what loop detection of
 *   forwarding setups keys on.
 * - Lines end in CRLF and the Received line is folded before 78 columns where it has spaces (RFC 5322 §2.1.1).
 * Values that came from the client (HELO name, addresses) are stripped of control characters, so a hostile
 * HELO can never add a header field.
 */
import { formatDate } from '../../mime/index.js';
import type { Envelope } from '../../store/index.js';
import { addressLiteral, unmapIPv4 } from '../address.js';

/** What the trace fields say. */
export interface TraceInfo {
  /** The envelope sender ('' for <>). */
  readonly sender: string;
  /** The mailbox the copy is delivered to (after alias expansion). */
  readonly deliveredTo: string;
  /** The envelope recipient as queued (for the `for` clause). */
  readonly rcpt: string;
  readonly helo: string;
  readonly ip: string;
  /** The client's reverse DNS name, when known. */
  readonly ptr?: string;
  /** This server's name. */
  readonly hostname: string;
  /** RFC 3848 protocol: ESMTP, ESMTPS, ESMTPA, ESMTPSA (SMTP for HELO clients). */
  readonly protocol: string;
  readonly queueId: string;
  readonly date: Date;
  /** Minutes east of UTC for the date (default 0: UTC). */
  readonly tzOffsetMinutes?: number;
}

// Control characters, DEL, and anything that could end a header line.
const UNSAFE = /[\x00-\x20\x7f]/g;
const clean = (s: string): string => s.replace(UNSAFE, '');

/** What a relay's Received line says: the trace info without the local delivery's fields; `rcpt` optional. */
export type ReceivedInfo = Omit<TraceInfo, 'sender' | 'deliveredTo' | 'rcpt'> & { readonly rcpt?: string };

/**
 * The `Received` field alone (RFC 5321 §4.4), as every relay adds it; the `for` clause only for one recipient
 * (RFC 5321 §4.4: naming several would disclose Bcc recipients).
 *
 * @example
 * ```ts
 * receivedField({ helo: 'c.test', ip: '192.0.2.1', hostname: 'mx.y.test', protocol: 'ESMTP', queueId: 'Q1', date: new Date(0) });
 * // 'Received: from c.test (192.0.2.1 [192.0.2.1])\r\n\tby mx.y.test with ESMTP id Q1; Thu, 01 Jan 1970 00:00:00 +0000\r\n'
 * ```
 */
export function receivedField(t: ReceivedInfo): string {
  const ip = unmapIPv4(clean(t.ip));
  const literal = addressLiteral(ip);
  const helo = clean(t.helo) || literal;
  const from = `from ${helo} (${clean(t.ptr ?? '') || ip} ${literal})`;
  const by = `by ${clean(t.hostname)} with ${clean(t.protocol) || 'ESMTP'} id ${clean(t.queueId)}`;
  const date = formatDate(t.date, t.tzOffsetMinutes ?? 0);
  const rcpt = t.rcpt !== undefined ? `\r\n\tfor <${clean(t.rcpt)}>;` : ';';
  return `Received: ${from}\r\n\t${by}${rcpt} ${date}\r\n`;
}

/**
 * The trace fields of one delivered copy of a received message (local delivery, queued or at receipt).
 *
 * @example
 * ```ts
 * deliveryTrace(item.envelope, { queueId: item.id, rcpt: 'b@y.test', deliveredTo: 'b@y.test', hostname: 'mx.y.test', date: new Date() });
 * ```
 */
export function deliveryTrace(
  env: Pick<Envelope, 'from' | 'client'>,
  o: { readonly queueId: string; readonly rcpt: string; readonly deliveredTo: string; readonly hostname: string; readonly date: Date; readonly ptr?: string; readonly tzOffsetMinutes?: number },
): Buffer {
  return traceFields({
    sender: env.from,
    deliveredTo: o.deliveredTo,
    rcpt: o.rcpt,
    helo: env.client.helo,
    ip: env.client.ip,
    ...(o.ptr ? { ptr: o.ptr } : {}),
    hostname: o.hostname,
    protocol: env.client.protocol,
    queueId: o.queueId,
    date: o.date,
    ...(o.tzOffsetMinutes !== undefined ? { tzOffsetMinutes: o.tzOffsetMinutes } : {}),
  });
}

/**
 * The three trace fields as bytes, each line ending in CRLF.
 *
 * @example
 * ```ts
 * traceFields({ sender: 'a@x.test', deliveredTo: 'b@y.test', rcpt: 'b@y.test', helo: 'c.test', ip: '192.0.2.1',
 *   hostname: 'mx.y.test', protocol: 'ESMTP', queueId: 'Q1', date: new Date(0) }).toString();
 * // Return-Path: <a@x.test>\r\nDelivered-To: b@y.test\r\nReceived: from c.test (192.0.2.1 [192.0.2.1])\r\n\tby …
 * ```
 */
export function traceFields(t: TraceInfo): Buffer {
  return Buffer.from(`Return-Path: <${clean(t.sender)}>\r\nDelivered-To: ${clean(t.deliveredTo)}\r\n` + receivedField(t), 'utf8');
}
