/**
 * The convenient parser: a whole message into addresses, subject, date, text, HTML, attachments and a part
 * index with byte offsets (RFC 5322, RFC 2045–2049, RFC 2047, RFC 2231, RFC 6532, RFC 8621 §4.1.4).
 *
 * Guarantees: never throws on bad input (problems are listed instead); linear time; given a Buffer it decodes
 * in one pass and shares memory with the input for bodies that need no decoding. For messages too large to
 * hold, use the streaming `parts()` instead: this API keeps the message and its decoded parts in memory.
 */
import { Readable } from 'node:stream';
import { MimeTokenizer, type PartNode, type TokenSink } from './tokenizer.js';
import { partInfo } from './part-info.js';
import { bodyDecoderFor, toBuffer, type MessageSource, type ParseOptions } from './parse.js';
import { bodyStructure } from './body-structure.js';
import { decodeText } from './charset/index.js';
import type { Header } from './header.js';
import {
  decodeWords,
  flattenAddresses,
  parseAddressList,
  parseDate,
  parseMessageIds,
  type Mailbox,
} from './header-values/index.js';

/** One entity in the part index. */
export interface PartSummary {
  readonly index: number;
  /** IMAP-style section: '' for the message, '1', '1.2', … */
  readonly path: string;
  readonly parent: number | null;
  readonly depth: number;
  readonly kind: 'leaf' | 'multipart' | 'message';
  readonly contentType: string;
  readonly params: Readonly<Record<string, string>>;
  readonly charset: string | undefined;
  readonly transferEncoding: string;
  readonly disposition: string | undefined;
  readonly filename: string | undefined;
  readonly contentId: string | undefined;
  /** Byte offsets in the message: header start, body start, body end. */
  readonly offsets: { readonly header: number; readonly body: number; readonly end: number };
  /** Decoded size of a leaf's body in bytes (transfer encoding undone); 0 for containers. */
  readonly size: number;
  readonly header: Header;
  readonly problems: readonly string[];
}

/** A file carried by the message (RFC 8621 attachments: also inline images and message/rfc822 parts). */
export interface Attachment {
  readonly part: string;
  readonly index: number;
  readonly filename: string | undefined;
  readonly contentType: string;
  readonly charset: string | undefined;
  readonly disposition: string | undefined;
  readonly contentId: string | undefined;
  /** Decoded size in bytes. */
  readonly size: number;
  /** Decoded bytes (for message/rfc822: the enclosed message as it is). */
  readonly content: Buffer;
  /** The content as a stream. */
  stream(): Readable;
}

/** The parsed message. */
export interface ParsedMessage {
  readonly header: Header;
  readonly from: Mailbox | undefined;
  readonly sender: Mailbox | undefined;
  readonly replyTo: Mailbox[];
  readonly to: Mailbox[];
  readonly cc: Mailbox[];
  readonly bcc: Mailbox[];
  readonly subject: string | undefined;
  /** undefined when absent, null when present but unreadable. */
  readonly date: Date | null | undefined;
  readonly messageId: string | undefined;
  readonly inReplyTo: string[];
  readonly references: string[];
  /** The text/plain body parts joined; undefined when the message has none. */
  readonly text: string | undefined;
  /** The text/html body parts joined; undefined when the message has none. */
  readonly html: string | undefined;
  readonly textBody: number[];
  readonly htmlBody: number[];
  readonly attachments: Attachment[];
  /** Every entity in document order; `parts[i].index === i`. */
  readonly parts: PartSummary[];
  /** Problems found anywhere in the message. */
  readonly problems: string[];
  /** The message bytes the offsets refer to. */
  readonly raw: Buffer;
}

class Collector implements TokenSink {
  readonly nodes: PartNode[] = [];
  readonly bodies = new Map<number, Buffer[]>();
  readonly decoded = new Map<number, Buffer>();
  readonly #decoders = new Map<number, ReturnType<typeof bodyDecoderFor>>();
  partStart(node: PartNode): void {
    this.nodes[node.index] = node;
    if (node.kind !== 'leaf') return;
    const info = partInfo(node);
    node.problems.push(...info.problems);
    this.#decoders.set(node.index, bodyDecoderFor(info.transferEncoding));
    this.bodies.set(node.index, []);
  }
  body(node: PartNode, chunk: Buffer): void {
    const d = this.#decoders.get(node.index);
    this.bodies.get(node.index)!.push(d ? d.write(chunk) : chunk);
  }
  partEnd(node: PartNode): void {
    const list = this.bodies.get(node.index);
    if (!list) return;
    const d = this.#decoders.get(node.index);
    if (d) {
      const tail = d.end();
      if (tail.length > 0) list.push(tail);
      node.problems.push(...d.problems);
    }
    this.decoded.set(node.index, list.length === 1 ? list[0]! : Buffer.concat(list));
    this.bodies.delete(node.index);
    this.#decoders.delete(node.index);
  }
}

/** Reads a whole source into one Buffer. */
async function readAll(src: MessageSource): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of src as AsyncIterable<Uint8Array | string>) chunks.push(toBuffer(c));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Parses a message held in memory.
 *
 * @example
 * ```ts
 * const m = parseMessageBuffer(Buffer.from('Subject: =?UTF-8?B?7JWI64WV?=\r\n\r\nhello\r\n'));
 * m.subject === '안녕'; m.text === 'hello\r\n';
 * ```
 */
export function parseMessageBuffer(raw: Buffer | Uint8Array | string, opts: ParseOptions = {}): ParsedMessage {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : toBuffer(raw);
  const sink = new Collector();
  const tok = new MimeTokenizer(sink, opts.limits);
  tok.write(bytes);
  tok.end();
  return assemble(tok, sink, bytes);
}

/**
 * Parses a message from bytes, a string or a stream.
 *
 * @example
 * ```ts
 * const m = await parseMessage(fs.createReadStream('mail.eml'));
 * console.log(m.from?.address, m.subject, m.attachments.map((a) => a.filename));
 * ```
 */
export async function parseMessage(input: Buffer | Uint8Array | string | MessageSource, opts: ParseOptions = {}): Promise<ParsedMessage> {
  if (typeof input === 'string' || input instanceof Uint8Array) return parseMessageBuffer(input, opts);
  return parseMessageBuffer(await readAll(input), opts);
}

function summary(node: PartNode, size: number): PartSummary {
  const info = partInfo(node);
  return {
    index: node.index,
    path: node.path,
    parent: node.parent ? node.parent.index : null,
    depth: node.depth,
    kind: node.kind,
    contentType: node.type.mime,
    params: node.type.params,
    charset: info.charset,
    transferEncoding: info.transferEncoding,
    disposition: info.disposition,
    filename: info.filename,
    contentId: info.contentId,
    offsets: node.offsets,
    size,
    header: node.header,
    problems: node.problems,
  };
}

/**
 * Decodes a text part's bytes with its charset (fallbacks and problems as in `decodeText`).
 *
 * @example
 * ```ts
 * partText(Buffer.from([0xc7, 0xd1]), 'euc-kr').text === '한';
 * ```
 */
export function partText(bytes: Buffer, charset: string | undefined): { text: string; problem?: string } {
  return decodeText(bytes, charset);
}

function mailboxes(h: Header, name: string): Mailbox[] {
  const all = h.getAll(name);
  if (all.length === 0) return [];
  for (const v of all) {
    // The address parser decodes display names silently; the problems of their encoded words are reported here
    // (but for adjacency: next to quotes and angle brackets, words look glued to text when they are not).
    if (v.includes('=?')) {
      for (const p of decodeWords(v).problems) if (!p.startsWith('Encoded word is not separated')) h.problems.push(`${name}: ${p}`);
    }
  }
  return flattenAddresses(all.flatMap((v) => parseAddressList(v)));
}

function assemble(tok: MimeTokenizer, sink: Collector, raw: Buffer): ParsedMessage {
  const problems: string[] = [...tok.problems];
  const parts: PartSummary[] = [];
  const texts = new Map<number, string>();
  for (const node of sink.nodes) {
    if (!node) continue;
    const size = node.kind === 'leaf' ? (sink.decoded.get(node.index)?.length ?? 0) : 0;
    if (node.kind === 'leaf' && node.type.type === 'text') {
      const bytes = sink.decoded.get(node.index) ?? Buffer.alloc(0);
      const t = partText(bytes, partInfo(node).charset);
      if (t.problem) node.problems.push(t.problem);
      texts.set(node.index, t.text);
    }
    parts.push(summary(node, size));
  }
  const structure = bodyStructure(tok.root);
  const join = (list: number[], mime: string): string | undefined => {
    const chosen = list.filter((i) => parts[i]?.contentType === mime);
    return chosen.length === 0 ? undefined : chosen.map((i) => texts.get(i) ?? '').join('\n');
  };
  const attachments: Attachment[] = structure.attachments.map((i) => {
    const p = parts[i]!;
    const content = p.kind === 'message' ? raw.subarray(p.offsets.body, p.offsets.end) : (sink.decoded.get(i) ?? Buffer.alloc(0));
    return {
      part: p.path,
      index: i,
      filename: p.filename,
      contentType: p.contentType,
      charset: p.charset,
      disposition: p.disposition,
      contentId: p.contentId,
      size: content.length,
      content,
      stream: () => Readable.from([content]),
    };
  });
  const h = tok.root.header;
  const first = (list: Mailbox[]): Mailbox | undefined => list[0];
  const rawSubject = h.get('subject');
  const subject = rawSubject === undefined ? undefined : decodeWords(rawSubject);
  if (subject) h.problems.push(...subject.problems.map((p) => `Subject: ${p}`));
  const dateValue = h.get('date');
  const date = dateValue === undefined ? undefined : parseDate(dateValue);
  if (date === null) h.problems.push(`Date field cannot be read: "${dateValue!.slice(0, 60)}"`);
  const ids = (name: string): string[] => h.getAll(name).flatMap((v) => parseMessageIds(v));
  const fields = {
    from: first(mailboxes(h, 'from')),
    sender: first(mailboxes(h, 'sender')),
    replyTo: mailboxes(h, 'reply-to'),
    to: mailboxes(h, 'to'),
    cc: mailboxes(h, 'cc'),
    bcc: mailboxes(h, 'bcc'),
  };
  // Collected last: header values decode lazily, and their problems appear as they are read.
  for (const node of sink.nodes) {
    if (!node) continue;
    node.problems.push(...node.header.problems);
    for (const p of node.problems) problems.push(node.path ? `Part ${node.path}: ${p}` : p);
  }
  return {
    header: h,
    ...fields,
    subject: subject?.text,
    date,
    messageId: ids('message-id')[0],
    inReplyTo: ids('in-reply-to'),
    references: ids('references'),
    text: join(structure.textBody, 'text/plain'),
    html: join(structure.htmlBody, 'text/html'),
    textBody: structure.textBody,
    htmlBody: structure.htmlBody,
    attachments,
    parts,
    problems,
    raw,
  };
}
