/**
 * Differential testing of the MIME parser: the same bytes through Postroom, postal-mime 4 and mailparser 3
 * (`simpleParser`), reduced to what all three report — first From, To, Subject, the plain text, and the attachments
 * (file name and bytes) — and compared field by field. Each disagreement must be a Postroom bug or a justified
 * difference listed in `differential-allow.ts` (and described in docs/mime-differential.md).
 *
 * Normalisation (so that only meaning is compared): text gets LF line ends, no trailing white space on a line and no
 * trailing empty lines; names and subjects are compared exactly; attachments are compared as a sorted list of
 * `{ filename, sha256 }` and their bytes, because the parsers list them in different orders.
 *
 * Policy options of the peers are set to Postroom's documented policy where the peer offers one, so that the
 * comparison shows differences of reading rather than of taste: postal-mime gets `forceRfc822Attachments` (RFC 8621
 * §4.1.4: an enclosed message is an attachment), mailparser gets `skipHtmlToText` (Postroom's `text` is the
 * text/plain body only), `keepDeliveryStatus` (a delivery-status report is an attachment) and no text/HTML rewriting.
 */
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import PostalMime from 'postal-mime';
import { parseMessageBuffer, type ParsedMessage } from '../mime/index.js';
import { sha256 } from './golden.js';

/** A parser under comparison. */
export type ParserName = 'postroom' | 'postal-mime' | 'mailparser';
/** The two peers. */
export type PeerName = Exclude<ParserName, 'postroom'>;
/** The compared fields. */
export type Field = 'from' | 'to' | 'subject' | 'text' | 'attachments';
export const fields: readonly Field[] = ['from', 'to', 'subject', 'text', 'attachments'];

/** A mailbox as compared. */
export interface ViewAddress {
  name: string;
  address: string;
}

/** An attachment as compared. */
export interface ViewAttachment {
  filename: string | null;
  sha256: string;
  size: number;
}

/** What one parser made of a message, normalised. */
export interface View {
  from: ViewAddress | null;
  to: ViewAddress[];
  subject: string | null;
  text: string | null;
  attachments: ViewAttachment[];
  /** Set when the parser threw or rejected. */
  error?: string;
}

/** Text normalisation: LF line ends, trailing white space removed from each line, trailing empty lines removed. */
export function normText(s: string | undefined | null): string | null {
  if (s === undefined || s === null) return null;
  return s
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}

/**
 * Attachments in the order views compare them (by hash, then file name): the parsers list them in different orders.
 *
 * @example
 * ```ts
 * sortAttachments([{ filename: 'b', sha256: 'f0', size: 1 }, { filename: 'a', sha256: '0f', size: 1 }])[0].filename === 'a';
 * ```
 */
export function sortAttachments(list: readonly ViewAttachment[]): ViewAttachment[] {
  return [...list].sort((a, b) => (a.sha256 + (a.filename ?? '')).localeCompare(b.sha256 + (b.filename ?? '')));
}

function attachment(filename: string | null | undefined, bytes: Uint8Array): ViewAttachment {
  return { filename: filename ?? null, sha256: sha256(bytes), size: bytes.length };
}

/** The view of a peer that threw or rejected. */
const failedView = (err: unknown): View => ({ from: null, to: [], subject: null, text: null, attachments: [], error: String(err) });

/** Postroom's view, and the parsed message (the allow rules look at its parts). */
export function postroomView(bytes: Buffer): { view: View; parsed: ParsedMessage } {
  const m = parseMessageBuffer(bytes);
  const addr = (a: { name: string; address: string }): ViewAddress => ({ name: a.name, address: a.address });
  return {
    parsed: m,
    view: {
      from: m.from ? addr(m.from) : null,
      to: m.to.map(addr),
      subject: m.subject ?? null,
      text: normText(m.text),
      attachments: sortAttachments(m.attachments.map((a) => attachment(a.filename, a.content))),
    },
  };
}

type PostalAddress = { name: string; address?: string | undefined; group?: { name: string; address: string }[] | undefined };
const flatPostal = (list: readonly PostalAddress[] | undefined): ViewAddress[] =>
  (list ?? []).flatMap((a) => (a.group ? a.group.map((g) => ({ name: g.name, address: g.address })) : a.address !== undefined ? [{ name: a.name, address: a.address }] : []));

/** postal-mime's view. */
export async function postalView(bytes: Buffer): Promise<View> {
  try {
    const e = await PostalMime.parse(bytes, { forceRfc822Attachments: true, attachmentEncoding: 'arraybuffer' });
    const from = flatPostal(e.from ? [e.from as PostalAddress] : [])[0] ?? null;
    return {
      from,
      to: flatPostal(e.to as PostalAddress[] | undefined),
      subject: e.subject ?? null,
      text: normText(e.text),
      attachments: sortAttachments(
        e.attachments.map((a) => {
          const c = a.content;
          const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c instanceof ArrayBuffer ? new Uint8Array(c) : c;
          return attachment(a.filename, b);
        }),
      ),
    };
  } catch (err) {
    return failedView(err);
  }
}

const flatMailparser = (o: AddressObject | AddressObject[] | undefined): ViewAddress[] =>
  (o === undefined ? [] : Array.isArray(o) ? o : [o]).flatMap((x) =>
    x.value.flatMap((a) => (a.group ? a.group.map((g) => ({ name: g.name, address: g.address ?? '' })) : [{ name: a.name, address: a.address ?? '' }])),
  );

/** mailparser's view (simpleParser). */
export async function mailparserView(bytes: Buffer): Promise<View> {
  try {
    const m: ParsedMail = await simpleParser(bytes, { skipHtmlToText: true, keepCidLinks: true, skipTextToHtml: true, skipImageLinks: true, keepDeliveryStatus: true });
    return {
      from: flatMailparser(m.from)[0] ?? null,
      to: flatMailparser(m.to),
      subject: m.subject ?? null,
      text: normText(m.text),
      attachments: sortAttachments(m.attachments.map((a) => attachment(a.filename, a.content))),
    };
  } catch (err) {
    return failedView(err);
  }
}

/** One field on which a peer and Postroom disagree. */
export interface Disagreement {
  readonly peer: PeerName;
  readonly field: Field;
  readonly ours: unknown;
  readonly theirs: unknown;
}

/** Everything a rule or a report needs about one message. */
export interface DiffContext {
  /** Where the message comes from: `golden:legacy/004`, `corpus:stalwart/rfc/001.eml`, `generated:17`. */
  readonly id: string;
  readonly bytes: Buffer;
  readonly parsed: ParsedMessage;
  readonly views: Readonly<Record<ParserName, View>>;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Runs the three parsers over one message and lists where each peer disagrees with Postroom.
 *
 * @example
 * ```ts
 * const { disagreements } = await differ('x', Buffer.from('Subject: hi\r\n\r\nbody\r\n'));
 * disagreements.length === 0;
 * ```
 */
export async function differ(id: string, bytes: Buffer): Promise<{ ctx: DiffContext; disagreements: Disagreement[] }> {
  const { view, parsed } = postroomView(bytes);
  const [postal, mailparser] = await Promise.all([postalView(bytes), mailparserView(bytes)]);
  const views = { postroom: view, 'postal-mime': postal, mailparser };
  const disagreements: Disagreement[] = [];
  for (const peer of ['postal-mime', 'mailparser'] as const) {
    for (const field of fields) {
      const ours = view[field];
      const theirs = views[peer][field];
      if (!same(ours, theirs)) disagreements.push({ peer, field, ours, theirs });
    }
  }
  return { ctx: { id, bytes, parsed, views }, disagreements };
}

/** A short, readable description of a disagreement for test output. */
export function describe(d: Disagreement): string {
  const show = (v: unknown): string => {
    const s = JSON.stringify(v);
    return s === undefined ? 'undefined' : s.length > 300 ? `${s.slice(0, 300)}…` : s;
  };
  return `${d.peer} ${d.field}: postroom ${show(d.ours)} vs ${show(d.theirs)}`;
}
