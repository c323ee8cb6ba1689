/**
 * Helpers for the differential allow rules: isolation runs (one header field, or one text part, given to a peer
 * on its own), RFC 3676 unflowing, and facts about a parsed message that the rules test for.
 *
 * Isolation is how a rule proves that a disagreement comes from one value and not from the structure: the peer
 * parses a tiny message holding only that value (the same bytes, the same charset label), and must produce exactly
 * what it produced inside the real message.
 */
import { simpleParser } from 'mailparser';
import PostalMime from 'postal-mime';
import { partText, type ParsedMessage, type PartSummary } from '../mime/index.js';
import { partBytes } from './golden.js';
import { mailparserView, postalView, type PeerName, type View } from './differential.js';

const CRLF = Buffer.from('\r\n');

/** Raw bytes of every field with that name in the message's own header (name, colon, value, folding, line end). */
export function rawFields(m: ParsedMessage, name: string): Buffer[] {
  return m.header.fields.filter((f) => f.key === name).map((f) => (f.raw.subarray(-1)[0] === 0x0a ? f.raw : Buffer.concat([f.raw, CRLF])));
}

/** The peer's view of a message made of the given header fields and an empty body. */
export async function isolatedHeaderView(peer: PeerName, fields: readonly Buffer[]): Promise<View> {
  const msg = Buffer.concat([...fields, Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n\r\n')]);
  return peer === 'postal-mime' ? postalView(msg) : mailparserView(msg);
}

/** The peer's text for `bytes` labelled `charset`, given alone as a base64 text/plain message (no line-end games). */
export async function isolatedText(peer: PeerName, bytes: Buffer, charset: string | undefined, params = ''): Promise<string> {
  const ct = `text/plain${charset === undefined ? '' : `; charset="${charset}"`}${params}`;
  const msg = Buffer.from(`Content-Type: ${ct}\r\nContent-Transfer-Encoding: base64\r\n\r\n${bytes.toString('base64')}\r\n`, 'latin1');
  if (peer === 'postal-mime') return (await PostalMime.parse(msg)).text ?? '';
  return (await simpleParser(msg, { skipHtmlToText: true })).text ?? '';
}

/** A text/plain leaf that is part of Postroom's `text`. */
export interface TextLeaf {
  readonly part: PartSummary;
  readonly bytes: Buffer;
  readonly text: string;
  readonly flowed: boolean;
  readonly delsp: boolean;
}

/** The leaves Postroom joins into `text` (RFC 8621 textBody, text/plain only), in order. */
export function textLeaves(m: ParsedMessage): TextLeaf[] {
  return m.textBody
    .map((i) => m.parts[i]!)
    .filter((p) => p.contentType === 'text/plain')
    .map((p) => {
      const bytes = partBytes(m, p);
      return {
        part: p,
        bytes,
        text: partText(bytes, p.charset).text,
        flowed: (p.params['format'] ?? '').toLowerCase() === 'flowed',
        delsp: (p.params['delsp'] ?? '').toLowerCase() === 'yes',
      };
    });
}

/**
 * RFC 3676 §4.2 unflowing: a line ending in a space is joined with the next (the space is removed with DelSp=yes),
 * space-stuffing is undone (§4.4), the signature separator "-- " is never joined (§4.3), and quote depth must match.
 *
 * @example
 * ```ts
 * unflow('a \nb\n', false) === 'a b\n';
 * ```
 */
export function unflow(text: string, delsp: boolean): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  let cur: string | null = null;
  let curDepth = -1;
  for (const raw of lines) {
    const depth = /^>*/.exec(raw)![0].length;
    let line = raw.slice(depth);
    if (line.startsWith(' ')) line = line.slice(1);
    const soft = line.endsWith(' ') && line !== '-- ';
    const body = soft && delsp ? line.slice(0, -1) : line;
    if (cur !== null && depth === curDepth) cur += body;
    else {
      if (cur !== null) out.push('>'.repeat(curDepth) + (curDepth > 0 ? ' ' : '') + cur);
      cur = body;
      curDepth = depth;
    }
    if (!soft) {
      out.push('>'.repeat(curDepth) + (curDepth > 0 ? ' ' : '') + cur);
      cur = null;
      curDepth = -1;
    }
  }
  if (cur !== null) out.push(cur);
  return out.join('\n');
}

/** Whether any entity of the message has a problem matching `re`. */
export function hasProblem(m: ParsedMessage, re: RegExp): boolean {
  return m.problems.some((p) => re.test(p));
}

/** Lines that are not blank, trailing white space removed: the text without the blank lines joins add. */
export function contentLines(s: string | null): string[] {
  return (s ?? '').split('\n').map((l) => l.replace(/[ \t]+$/, '')).filter((l) => l !== '');
}
