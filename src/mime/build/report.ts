/**
 * The plan of a multipart/report (RFC 6522): a human-readable text/plain part, the machine-readable
 * message/delivery-status (RFC 3464 §2) or message/disposition-notification (RFC 8098 §3) part, and the original
 * message as message/rfc822 or its header as text/rfc822-headers.
 *
 * Guarantees: the machine part is ASCII, CRLF, lines ≤ 998 octets, ending with CRLF, and fields given as blocks
 * are written `Name: value` (folded) with an empty line between blocks (RFC 3464 §2.1: per-message fields, then
 * per-recipient fields); a bad field throws before anything is written.
 * Limits: UTF-8 field values (RFC 6533 message/global-delivery-status) are refused.
 */
import { formatHeader } from '../header-values/index.js';
import { assertSource, crlf, hasLongLine, memoryBytes } from './body.js';
import { checkText, contentTypeField, formatting, type ComposeContext } from './fields.js';
import type { ReportInput } from './input.js';
import { headersPlan, messageBytes, multipart, textPlan, type BodyPlan, type LeafPlan, type MultipartPlan } from './entities.js';

/**
 * Serializes the machine-readable fields of a report: a string is taken as it is (line breaks made CRLF), blocks
 * of `[name, value]` pairs are formatted with an empty line between blocks. Throws on non-ASCII, NUL, CR or LF
 * inside a value, or a line over 998 octets.
 *
 * @example
 * ```ts
 * reportFields([[['Reporting-MTA', 'dns; mx.x.test']], [['Final-Recipient', 'rfc822; b@y.test'], ['Action', 'failed'], ['Status', '5.1.1']]]);
 * // 'Reporting-MTA: dns; mx.x.test\r\n\r\nFinal-Recipient: rfc822; b@y.test\r\nAction: failed\r\nStatus: 5.1.1\r\n'
 * ```
 */
export function reportFields(fields: ReportInput['fields']): string {
  let text: string;
  if (typeof fields === 'string') {
    text = crlf(fields);
    if (text !== '' && !text.endsWith('\r\n')) text += '\r\n';
  } else {
    if (!Array.isArray(fields)) throw new Error('Cannot compose message: report.fields is not a string or an array of blocks');
    text = fields
      .map((block, b) => {
        if (!Array.isArray(block)) throw new Error(`Cannot compose message: report.fields[${b}] is not an array of [name, value] pairs`);
        return block
          .map((f, i) => {
            const what = `report.fields[${b}][${i}]`;
            if (!Array.isArray(f) || f.length !== 2) throw new Error(`Cannot compose message: ${what} is not a [name, value] pair`);
            const name = checkText(`${what} name`, f[0]);
            const value = checkText(`${what} value`, f[1]);
            return formatting(what, () => formatHeader(name, value, { structured: true })) + '\r\n';
          })
          .join('');
      })
      .join('\r\n');
  }
  if (/[^\x01-\x7f]/.test(text)) throw new Error('Cannot compose message: report.fields must be ASCII without NUL');
  if (hasLongLine(Buffer.from(text, 'latin1'))) throw new Error('Cannot compose message: report.fields has a line longer than 998 octets');
  return text;
}

/**
 * Plans the multipart/report entity.
 *
 * @example
 * ```ts
 * reportPlan(ctx, { reportType: 'delivery-status', human: 'Your message could not be delivered.', fields }).mime === 'multipart/report';
 * ```
 */
export function reportPlan(ctx: ComposeContext, report: ReportInput): MultipartPlan {
  if (typeof report !== 'object' || report === null) throw new Error('Cannot compose message: report is not an object');
  const type = report.reportType;
  if (type !== 'delivery-status' && type !== 'disposition-notification') {
    throw new Error('Cannot compose message: report.reportType must be "delivery-status" or "disposition-notification"');
  }
  const human = textPlan(ctx, 'plain', report.human, 'report.human');
  const machine: LeafPlan = {
    kind: 'leaf',
    fields: [contentTypeField(ctx, `message/${type}`, {})],
    body: { how: 'ready', bytes: Buffer.from(reportFields(report.fields), 'latin1'), cte: '7bit' },
  };
  const children = [human, machine];
  if (report.original !== undefined) {
    const { content, headersOnly } = report.original;
    assertSource('report.original.content', content);
    const mem = memoryBytes(content);
    let body: BodyPlan;
    if (headersOnly === true) {
      body = mem === null ? { how: 'stream', source: content, as: 'headers', what: 'report.original' } : headersPlan(ctx, mem);
    } else {
      body = mem === null ? { how: 'stream', source: content, as: 'message', what: 'report.original' } : messageBytes(ctx, mem, 'report.original');
    }
    const mime = headersOnly === true ? 'text/rfc822-headers' : 'message/rfc822';
    children.push({ kind: 'leaf', fields: [contentTypeField(ctx, mime, {})], body });
  }
  // RFC 6522 §3: report-type names the machine-readable part's subtype.
  return multipart(ctx, 'report', children, { 'report-type': type });
}
