/**
 * What callers give the composer: the message as data (addresses, subject, bodies, attachments, a forwarded
 * message, a delivery or disposition report) and the transport mode it must fit (RFC 5322, RFC 2045–2049,
 * RFC 6152, RFC 6531/6532, RFC 6522, RFC 3464, RFC 8098).
 */
import type { ContentSource } from './body.js';

/** A mailbox: `'a@x.test'`, `'Ann <a@x.test>'` (parsed), or `{ name, address }`. */
export type AddressInput = string | { name?: string; address: string };

/** One attached file. */
export interface AttachmentInput {
  /** Shown to the recipient and used to guess the type; RFC 2231 encoded when non-ASCII. */
  filename?: string;
  /** `type/subtype` with optional parameters; default from the filename extension, else application/octet-stream. */
  contentType?: string;
  content: ContentSource;
  /** Default 'attachment'. An inline part with a contentId goes into multipart/related with the HTML body. */
  disposition?: 'attachment' | 'inline';
  /** Without angle brackets; the HTML refers to it as `cid:...` (RFC 2392). */
  contentId?: string;
  description?: string;
}

/** A multipart/report (RFC 6522): a human-readable part, a machine-readable part and the original message. */
export interface ReportInput {
  /** RFC 3464 delivery status notification, or RFC 8098 message disposition notification. */
  reportType: 'delivery-status' | 'disposition-notification';
  /** The text/plain first part, for people. */
  human: string;
  /**
   * The machine-readable part: written as it is (a string), or blocks of fields. For delivery-status the first
   * block is the per-message fields and each following block one recipient (RFC 3464 §2.1); blocks are separated
   * by an empty line. Values must be ASCII.
   */
  fields: string | readonly (readonly (readonly [string, string])[])[];
  /** The original message as message/rfc822, or only its header as text/rfc822-headers. */
  original?: { content: ContentSource; headersOnly?: boolean };
}

/** A whole message to compose. */
export interface ComposeInput {
  from: AddressInput;
  sender?: AddressInput;
  to?: AddressInput[];
  cc?: AddressInput[];
  bcc?: AddressInput[];
  replyTo?: AddressInput[];
  subject?: string;
  /** Default: now. */
  date?: Date;
  /** With or without angle brackets; default: generated `<random.time@domain>`. */
  messageId?: string;
  inReplyTo?: string | string[];
  references?: string[];
  /** Custom header fields, in order. Fields the composer writes itself (addresses, Subject, Content-*…) are refused. */
  headers?: readonly (readonly [string, string])[];
  /** Both text and html → multipart/alternative, text first (RFC 2046 §5.1.4). */
  text?: string;
  html?: string;
  attachments?: AttachmentInput[];
  /** A whole message attached as message/rfc822, never re-encoded (RFC 2046 §5.2.1). */
  forward?: { message: ContentSource; filename?: string };
  /** Makes the message a multipart/report; then text, html, attachments and forward must be absent. */
  report?: ReportInput;
  /** Write the Bcc field (default false: RFC 5322 §3.6.3, Bcc recipients are only in the envelope). */
  bccHeader?: boolean;
  /**
   * '7bit' (default): every byte ASCII, lines ≤ 998 octets, CRLF. '8bitmime' (RFC 6152): text may be 8bit.
   * 'smtputf8' (RFC 6531/6532): header fields in raw UTF-8 too.
   */
  mode?: '7bit' | '8bitmime' | 'smtputf8';
  /** Text parts are written in UTF-8 (us-ascii when pure ASCII). */
  charset?: 'utf-8';
  /** Boundary prefix; must contain "=_" (see message-id.ts). Default `----=_Part_`. */
  boundaryPrefix?: string;
  /** Right side of a generated Message-ID; default the From domain. */
  messageIdDomain?: string;
}
