/**
 * Delivery and read reports: recognizes RFC 6522 multipart/report messages and reads their machine part, a
 * delivery status notification (RFC 3464, message/delivery-status; RFC 6533 message/global-delivery-status) or a
 * message disposition notification (RFC 8098, message/disposition-notification).
 *
 * Guarantees: never throws; a report whose machine part is missing or unreadable is still recognized, with
 * empty fields and a problem, so a mail client can show it as a report and the raw parts stay available.
 */
import { headerEnd, parseHeaderBlock, type Header } from './header.js';
import type { ParsedMessage } from './message.js';

/** One block of report fields: lower-case field names to unfolded values (the first of repeated fields wins). */
export type ReportFields = Readonly<Record<string, string>>;

/** A recognized report. */
export interface Report {
  /** The report-type parameter, lower case: 'delivery-status', 'disposition-notification', … */
  readonly reportType: string;
  /** DSN per-message fields (Reporting-MTA, Original-Envelope-Id, Arrival-Date…) or the MDN's fields. */
  readonly fields: ReportFields;
  /** DSN per-recipient blocks (Final-Recipient, Original-Recipient, Action, Status, Remote-MTA, Diagnostic-Code…). */
  readonly recipients: readonly ReportFields[];
  /** The human-readable first part, decoded. */
  readonly text: string | undefined;
  /** Header of the returned message (message/rfc822 or text/rfc822-headers), when the report carries it. */
  readonly original: Header | undefined;
  readonly problems: readonly string[];
}

const MACHINE = new Set(['message/delivery-status', 'message/global-delivery-status', 'message/disposition-notification', 'message/global-disposition-notification']);

/**
 * Splits a delivery-status body into its blocks of fields (RFC 3464 §2.1: a per-message block, then one block
 * per recipient, separated by blank lines).
 *
 * @example
 * ```ts
 * readReportBlocks(Buffer.from('Reporting-MTA: dns; mx.test\r\n\r\nFinal-Recipient: rfc822; a@b.test\r\nAction: failed\r\n'))
 *   // [{ 'reporting-mta': 'dns; mx.test' }, { 'final-recipient': 'rfc822; a@b.test', action: 'failed' }]
 * ```
 */
export function readReportBlocks(body: Buffer): ReportFields[] {
  const text = body.toString('latin1').replace(/\r\n/g, '\n');
  const blocks: ReportFields[] = [];
  for (const chunk of text.split(/\n[ \t]*\n/)) {
    if (chunk.trim() === '') continue;
    const { header } = parseHeaderBlock(Buffer.from(chunk.replace(/^\n+/, '') + '\n', 'latin1'));
    const fields: Record<string, string> = {};
    for (const f of header.fields) if (f.key && !(f.key in fields)) fields[f.key] = f.value;
    blocks.push(fields);
  }
  return blocks;
}

/**
 * Recognizes a report in a parsed message: the first multipart/report entity and its parts.
 *
 * @example
 * ```ts
 * const r = readReport(parseMessageBuffer(bounce));
 * r?.recipients[0]?.['status']; // '5.1.1'
 * ```
 */
export function readReport(m: ParsedMessage): Report | undefined {
  const container = m.parts.find((p) => p.contentType === 'multipart/report');
  if (!container) return undefined;
  const problems: string[] = [];
  const reportType = (container.params['report-type'] ?? '').toLowerCase();
  if (!reportType) problems.push('multipart/report without a report-type parameter');
  const children = m.parts.filter((p) => p.parent === container.index);
  const machine = children.find((p) => MACHINE.has(p.contentType));
  let blocks: ReportFields[] = [];
  if (!machine) problems.push('Report has no machine-readable part');
  else {
    const att = m.attachments.find((a) => a.index === machine.index);
    const bytes = att ? att.content : m.raw.subarray(machine.offsets.body, machine.offsets.end);
    blocks = readReportBlocks(bytes);
    if (blocks.length === 0) problems.push(`Report part ${machine.contentType} is empty`);
  }
  const human = children[0] && children[0].contentType.startsWith('text/') && children[0] !== machine ? children[0] : undefined;
  let text: string | undefined;
  if (human && m.textBody.includes(human.index)) text = m.text;
  else if (human) text = m.raw.toString('utf8', human.offsets.body, human.offsets.end);
  const returned = children.find((p) => p.contentType === 'message/rfc822' || p.contentType === 'message/global' || p.contentType === 'text/rfc822-headers');
  let original: Header | undefined;
  if (returned) {
    const inner = m.parts.find((p) => p.parent === returned.index);
    if (inner) original = inner.header;
    else {
      const bytes = m.raw.subarray(returned.offsets.body, returned.offsets.end);
      original = parseHeaderBlock(bytes.subarray(0, headerEnd(bytes) ?? bytes.length)).header;
    }
  }
  return {
    reportType,
    fields: blocks[0] ?? {},
    recipients: reportType === 'disposition-notification' ? [] : blocks.slice(1),
    text,
    original,
    problems,
  };
}
