/**
 * The entities of a parsed message as the scanner reports them (RFC 2045 §2.4 entity; RFC 2046 §5).
 */
import { Header } from './header.js';
import type { ContentType } from './content-type.js';

/** How an entity is structured. */
export type PartKind = 'leaf' | 'multipart' | 'message';

/** One entity of a message: the message itself, a part of a multipart, or a message inside message/rfc822. */
export interface PartNode {
  /** Order of appearance, 0 for the message itself. */
  readonly index: number;
  readonly parent: PartNode | null;
  /** 0 for the message itself; each multipart or message/rfc822 level adds one. */
  readonly depth: number;
  /** IMAP-style section number: '' for the message, '1', '1.2', … */
  readonly path: string;
  kind: PartKind;
  header: Header;
  type: ContentType;
  /** Byte offsets in the message: header start, body start, and end of the body (before the next delimiter's line break). */
  readonly offsets: { header: number; body: number; end: number };
  readonly problems: string[];
  readonly children: PartNode[];
}

/** Receives the scanner's events, in document order. */
export interface TokenSink {
  partStart(node: PartNode): void;
  /** Raw body bytes of a leaf. The buffer may be a view of the input: copy it to keep it past the call. */
  body(node: PartNode, chunk: Buffer): void;
  partEnd(node: PartNode): void;
}

/**
 * A new entity with an empty header and the default type, its offsets all at `start` until the scanner knows more.
 *
 * @example
 * ```ts
 * const root = createNode(null, 0, '', 0);
 * ```
 */
export function createNode(parent: PartNode | null, index: number, path: string, start: number): PartNode {
  return {
    index,
    parent,
    depth: parent ? parent.depth + 1 : 0,
    path,
    kind: 'leaf',
    header: new Header([]),
    type: { mime: 'text/plain', type: 'text', subtype: 'plain', params: {}, defaulted: true },
    offsets: { header: start, body: start, end: start },
    problems: [],
    children: [],
  };
}
