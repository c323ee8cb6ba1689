/**
 * The header fields the composer writes: the message header in Thunderbird's order (RFC 5322 §3.6) and the
 * Content-* fields of each part (RFC 2045 §5, §6; RFC 2183; RFC 2231; RFC 2392), plus the up-front checks of every
 * string that ends up in a header.
 *
 * Guarantees: every field comes from `formatHeader` (folded, ≤ 998 octets per line, RFC 2047 encoded unless
 * SMTPUTF8); every caller string is checked for CR, LF and NUL first, with an error that names the input
 * (`Cannot compose message: attachments[2].filename contains CR or LF`), so header injection is impossible and
 * nothing is written for a bad input. Custom fields may not take the place of a field the composer owns.
 */
import {
  flattenAddresses,
  formatAddressList,
  formatDate,
  formatHeader,
  formatParams,
  parseAddressList,
} from '../header-values/index.js';
import type { AddressInput, ComposeInput } from './input.js';
import { generateMessageId, messageIdDomain, normalizeMessageId } from './message-id.js';

/** How the message must travel. */
export interface ComposeContext {
  /** SMTPUTF8 (RFC 6532): raw UTF-8 in header fields. */
  readonly utf8: boolean;
  /** The mode `chooseTransferEncoding` decides text encodings for: '8bit' under 8BITMIME or SMTPUTF8. */
  readonly transport: '7bit' | '8bit';
  readonly boundaryPrefix: string | undefined;
}

/**
 * Checks a caller string that goes into a header: it must be a string without CR, LF or NUL.
 *
 * @example
 * ```ts
 * checkText('subject', 'Hi\r\nBcc: x@evil.test'); // throws 'Cannot compose message: subject contains CR or LF'
 * ```
 */
export function checkText(what: string, value: unknown): string {
  if (typeof value !== 'string') throw new Error(`Cannot compose message: ${what} is not a string`);
  if (/[\r\n]/.test(value)) throw new Error(`Cannot compose message: ${what} contains CR or LF`);
  if (value.includes('\0')) throw new Error(`Cannot compose message: ${what} contains NUL`);
  return value;
}

/**
 * Runs a formatter and prefixes its error with the input it was formatting.
 *
 * @example
 * ```ts
 * formatting('to[0]', () => formatMailbox({ address: 'nope' })); // throws 'Cannot compose message: to[0]: Cannot encode address "nope": ...'
 * ```
 */
export function formatting<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot compose message: ${what}: ${msg}`, { cause: err });
  }
}

function checkAddress(what: string, a: unknown): AddressInput {
  if (typeof a === 'string') return checkText(what, a);
  if (typeof a !== 'object' || a === null) throw new Error(`Cannot compose message: ${what} is not an address`);
  const { name, address } = a as { name?: unknown; address?: unknown };
  checkText(`${what}.address`, address);
  if (name !== undefined) checkText(`${what}.name`, name);
  return a as AddressInput;
}

function addressField(ctx: ComposeContext, name: string, what: string, list: readonly unknown[] | undefined): string | null {
  if (list === undefined) return null;
  if (!Array.isArray(list)) throw new Error(`Cannot compose message: ${what} is not an array`);
  if (list.length === 0) return null;
  const items = list.map((a, i) => {
    const item = `${what}[${i}]`;
    const f = formatting(item, () => formatAddressList([checkAddress(item, a)], { utf8: ctx.utf8 }));
    if (f === '') throw new Error(`Cannot compose message: ${item} has no address`);
    return f;
  });
  return formatting(what, () => formatHeader(name, items.join(', '), { structured: true, utf8: ctx.utf8 }));
}

/** Fields the composer writes itself; custom headers may not set them (RFC 5322 §3.6 allows most only once). */
const OWNED = new Set(['date', 'from', 'sender', 'reply-to', 'subject', 'to', 'cc', 'bcc', 'message-id', 'in-reply-to', 'references', 'mime-version']);

/** The domain of the first mailbox of an address input, or undefined. */
function domainOf(a: AddressInput): string | undefined {
  const address = typeof a === 'string' ? flattenAddresses(parseAddressList(a))[0]?.address : a.address;
  const at = address?.lastIndexOf('@') ?? -1;
  return at === -1 ? undefined : address!.slice(at + 1);
}

function msgIds(ctx: ComposeContext, what: string, ids: unknown): string[] {
  const list = typeof ids === 'string' ? [ids] : ids;
  if (!Array.isArray(list)) throw new Error(`Cannot compose message: ${what} is not a string array`);
  return list.map((id, i) => formatting(`${what}[${i}]`, () => normalizeMessageId(checkText(`${what}[${i}]`, id), { utf8: ctx.utf8 })));
}

/**
 * Builds the message header fields in Thunderbird's order: Date, From, Sender, Reply-To, Subject, To, Cc, Bcc
 * (only with `bccHeader`), Message-ID, In-Reply-To, References, the custom fields, MIME-Version. The Content-*
 * fields of the top entity follow (see compose.ts). Throws on any bad input.
 *
 * @example
 * ```ts
 * messageFields({ from: 'a@x.test', subject: 'Hi', date: new Date(0) }, ctx);
 * // ['Date: Thu, 01 Jan 1970 00:00:00 +0000', 'From: a@x.test', 'Subject: Hi', 'Message-ID: <…@x.test>', 'MIME-Version: 1.0']
 * ```
 */
export function messageFields(input: ComposeInput, ctx: ComposeContext): string[] {
  const utf8 = ctx.utf8;
  const out: string[] = [];
  const push = (f: string | null): void => void (f !== null && out.push(f));
  const date = input.date ?? new Date();
  if (!(date instanceof Date) || !Number.isFinite(date.getTime())) throw new Error('Cannot compose message: date is not a valid Date');
  if (input.from === undefined) throw new Error('Cannot compose message: from is required');
  push(formatHeader('Date', formatDate(date), { structured: true }));
  push(addressField(ctx, 'From', 'from', [input.from]));
  if (input.sender !== undefined) push(addressField(ctx, 'Sender', 'sender', [input.sender]));
  push(addressField(ctx, 'Reply-To', 'replyTo', input.replyTo));
  if (input.subject !== undefined) {
    const subject = checkText('subject', input.subject);
    push(formatting('subject', () => formatHeader('Subject', subject, { utf8 })));
  }
  push(addressField(ctx, 'To', 'to', input.to));
  push(addressField(ctx, 'Cc', 'cc', input.cc));
  const bcc = addressField(ctx, 'Bcc', 'bcc', input.bcc); // checked even when not written
  if (input.bccHeader === true) push(bcc);
  let id: string;
  if (input.messageId !== undefined) {
    id = msgIds(ctx, 'messageId', [input.messageId])[0]!;
  } else {
    let domain = input.messageIdDomain;
    if (domain !== undefined) formatting('messageIdDomain', () => messageIdDomain(checkText('messageIdDomain', domain)));
    else {
      domain = domainOf(input.from);
      // A From domain that is not a host name (an address literal) cannot be an id-right dot-atom.
      try {
        if (domain !== undefined) messageIdDomain(domain);
      } catch {
        domain = undefined;
      }
    }
    id = generateMessageId(domain ?? 'postroom.invalid', date);
  }
  push(formatHeader('Message-ID', id, { structured: true, utf8 }));
  if (input.inReplyTo !== undefined) {
    const ids = msgIds(ctx, 'inReplyTo', input.inReplyTo);
    if (ids.length > 0) push(formatHeader('In-Reply-To', ids.join(' '), { structured: true, utf8 }));
  }
  if (input.references !== undefined) {
    const ids = msgIds(ctx, 'references', input.references);
    if (ids.length > 0) push(formatHeader('References', ids.join(' '), { structured: true, utf8 }));
  }
  for (const [i, h] of (input.headers ?? []).entries()) {
    if (!Array.isArray(h) || h.length !== 2) throw new Error(`Cannot compose message: headers[${i}] is not a [name, value] pair`);
    const name = checkText(`headers[${i}] name`, h[0]);
    const value = checkText(`headers[${i}] value`, h[1]);
    const key = name.toLowerCase();
    if (OWNED.has(key) || key.startsWith('content-')) {
      throw new Error(`Cannot compose message: header ${JSON.stringify(name)} is written by the composer and cannot be set in headers`);
    }
    // ASCII values are kept as written (only folded); others are RFC 2047 encoded, or raw under SMTPUTF8.
    const ascii = /^[\x00-\x7f]*$/.test(value);
    push(formatting(`headers[${i}]`, () => formatHeader(name, value, { structured: ascii, utf8 })));
  }
  out.push('MIME-Version: 1.0');
  return out;
}

/**
 * Formats a Content-Type field: the media type, its parameters, and `name` (a file name) in both the RFC 2231
 * form and the RFC 2047-in-quotes form old clients read.
 *
 * @example
 * ```ts
 * contentTypeField(ctx, 'text/plain', { charset: 'utf-8' }) === 'Content-Type: text/plain; charset=utf-8';
 * ```
 */
export function contentTypeField(ctx: ComposeContext, mime: string, params: Record<string, string>, filename?: string): string {
  const list = [mime, ...formatParams(params, { utf8: ctx.utf8 })];
  if (filename !== undefined) list.push(...formatParams({ name: filename }, { utf8: ctx.utf8, rfc2047Fallback: true }));
  return formatHeader('Content-Type', list.join('; '), { structured: true, utf8: ctx.utf8 });
}

/**
 * Formats a Content-Disposition field (RFC 2183) with an RFC 2231 `filename` parameter.
 *
 * @example
 * ```ts
 * dispositionField(ctx, 'attachment', 'résumé.pdf') === "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf";
 * ```
 */
export function dispositionField(ctx: ComposeContext, disposition: 'attachment' | 'inline', filename?: string): string {
  const list = [disposition, ...(filename === undefined ? [] : formatParams({ filename }, { utf8: ctx.utf8 }))];
  return formatHeader('Content-Disposition', list.join('; '), { structured: true, utf8: ctx.utf8 });
}

/**
 * Checks a Content-ID given without brackets (RFC 2392: the msg-id syntax of RFC 5322 §3.6.4) and formats the field.
 *
 * @example
 * ```ts
 * contentIdField('logo@x.test') === 'Content-ID: <logo@x.test>';
 * ```
 */
export function contentIdField(what: string, cid: string): string {
  if (!/^[\x21-\x7e]+$/.test(cid) || /[<>"\\]/.test(cid)) {
    throw new Error(`Cannot compose message: ${what} must be printable ASCII without whitespace, <, >, " or \\`);
  }
  return formatHeader('Content-ID', `<${cid}>`, { structured: true });
}
