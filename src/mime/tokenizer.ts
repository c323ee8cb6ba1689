/**
 * The MIME structure scanner: bytes in, entities out (RFC 5322 §2.1, RFC 2045 §3, RFC 2046 §5.1, §5.2.1).
 *
 * It is push-based and synchronous: `write(chunk)` any number of times, then `end()`. It reports each entity's
 * start (after its header), the raw (still transfer-encoded) body bytes of each leaf, and each entity's end, to a
 * {@link TokenSink}. Above it, `parse.ts` decodes bodies and offers async iteration.
 *
 * Guarantees:
 * - Linear time: delimiters are found with `Buffer#indexOf` on "\n--"; a body is never scanned twice; given the whole
 *   message in one chunk it copies nothing (body chunks are views of the input).
 * - Bounded memory: it keeps only an unfinished header block (≤ maxHeaderBytes), a multipart preamble (≤ 64 KiB)
 *   and the tail of a chunk that may start a delimiter (≤ longest boundary + a few bytes).
 * - Delimiters: a line that starts with "--" boundary (RFC 2046 §5.1.1: the boundary is compared with the start of
 *   the line, the rest of the line is ignored; when boundaries overlap the longest wins); the line break before a
 *   delimiter belongs to the delimiter, and so does the one after an inner close delimiter that an enclosing
 *   delimiter follows. A delimiter of any enclosing multipart also ends the inner entities (with a problem
 *   recorded), so a broken inner part cannot swallow its siblings.
 * - Malformed structure never hides content: a multipart whose boundary never appears, or has none, is kept as a
 *   text leaf; a header block with no blank line ends at the first line that is not a header field.
 * Limits (MimeLimits): nesting depth, part count and header block size; past one, the rest is kept as opaque data.
 */
import { isFieldLine, parseHeaderBlock } from './header.js';
import { contentTypeOf } from './content-type.js';
import { matchDelimiter, type Bound, type DelimiterMatch } from './delimiter.js';
import { createNode, type PartKind, type PartNode, type TokenSink } from './part-node.js';
import { resolveLimits, type MimeLimits } from './limits.js';

export type { PartKind, PartNode, TokenSink } from './part-node.js';

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const SP = 0x20;
const HT = 0x09;
const NL_DASH_DASH = Buffer.from('\n--', 'latin1');
const EMPTY = Buffer.alloc(0);
/** A preamble longer than this without any delimiter means the boundary is missing: the body is kept as text. */
const MAX_PREAMBLE = 64 * 1024;
/** RFC 2046 §5.1.1 allows 70 characters; longer boundaries are honoured up to this length. */
const MAX_BOUNDARY = 998;

type Region = 'header' | 'leaf' | 'preamble' | 'epilogue';

/**
 * Scans a message and reports its entities to a sink.
 *
 * @example
 * ```ts
 * const seen: string[] = [];
 * const t = new MimeTokenizer({ partStart: (n) => seen.push(n.type.mime), body() {}, partEnd() {} });
 * t.write(Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhi\r\n--b--\r\n'));
 * t.end(); // seen: ['multipart/mixed', 'text/plain']
 * ```
 */
export class MimeTokenizer {
  readonly limits: MimeLimits;
  readonly root: PartNode;
  /** Problems about the message as a whole (limits reached). */
  readonly problems: string[] = [];
  #buf: Buffer = EMPTY;
  /** Absolute offset of #buf[0]. */
  #base = 0;
  /** Relative index in #buf up to which the current region has been consumed. */
  #pos = 0;
  /** Relative index from which to look for the next delimiter candidate. */
  #scan = 0;
  #region: Region = 'header';
  #cur: PartNode;
  #bounds: Bound[] = [];
  #parts = 1;
  #opaque = false;
  #final = false;
  #preamble: Buffer[] = [];
  #preambleBytes = 0;
  /** Absolute offsets of the last close delimiter's line break and of the byte after it (-1: none yet). */
  #closeBreak = -1;
  #closeNext = -1;
  #sink: TokenSink;

  constructor(sink: TokenSink, limits?: Partial<MimeLimits>) {
    this.#sink = sink;
    this.limits = resolveLimits(limits);
    this.root = createNode(null, 0, '', 0);
    this.#cur = this.root;
  }

  /** Total bytes seen so far. */
  get length(): number {
    return this.#base + this.#buf.length;
  }

  /** Feeds the next chunk of the message. */
  write(chunk: Buffer): void {
    if (this.#final) throw new Error('Cannot write to a MIME tokenizer after end()');
    if (chunk.length === 0) return;
    this.#append(chunk);
    this.#run();
  }

  /** Signals the end of the message and closes every open entity. */
  end(): void {
    if (this.#final) return;
    this.#final = true;
    this.#run();
    const end = this.length;
    if (this.#region === 'preamble') this.#preambleToText(this.#cur, 'Multipart boundary never appears');
    for (let n: PartNode | null = this.#cur; n; n = n.parent) {
      if (n.kind === 'multipart' && this.#bounds.some((b) => b.node === n)) {
        n.problems.push('Multipart has no close delimiter');
      }
      this.#finish(n, end);
    }
    this.#buf = EMPTY;
  }

  #append(chunk: Buffer): void {
    // Everything before #pos is consumed and dropped. A delimiter line may start right at #pos when the byte
    // before it is a line break: that is remembered as #scan = -1 instead of keeping the byte, so a chunk is
    // never copied just to keep one byte in front of it.
    const pos = this.#pos;
    const lineStart = pos === 0 ? this.#scan === -1 : this.#buf[pos - 1] === LF;
    const scan = this.#scan - pos;
    const rest = this.#buf.subarray(pos);
    this.#base += pos;
    this.#pos = 0;
    this.#scan = scan > 0 ? scan : lineStart ? -1 : 0;
    this.#buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
  }

  #run(): void {
    for (;;) {
      const progressed = this.#region === 'header' ? this.#header() : this.#body();
      if (!progressed) return;
    }
  }

  /** Consumes a header block; returns false when more input is needed. */
  #header(): boolean {
    const buf = this.#buf;
    const start = this.#pos;
    const max = this.limits.maxHeaderBytes;
    let p = this.#scan > start ? this.#scan : start;
    let blockEnd = -1;
    let bodyStart = -1;
    while (blockEnd === -1) {
      if (p >= buf.length && !this.#final) break;
      const lf = buf.indexOf(LF, p);
      const eol = lf === -1 ? buf.length : lf;
      if (eol - start > max) {
        this.problems.push(`Header block exceeds ${max} bytes: the rest is kept as the body`);
        this.#cur.problems.push(`Header block exceeds ${max} bytes`);
        blockEnd = bodyStart = start + max;
        break;
      }
      if (lf === -1 && !this.#final) break;
      const c = buf[p];
      if (p === buf.length || p === eol || (c === CR && eol === p + 1)) {
        // The blank line that ends the block (RFC 5322 §2.1), or the end of the input.
        blockEnd = p;
        bodyStart = lf === -1 ? buf.length : lf + 1;
        break;
      }
      if (c === DASH && buf[p + 1] === DASH) {
        const m = this.#matchDelimiter(p);
        if (m === 'more') break;
        if (m !== null) {
          // A header with no blank line and no body: the delimiter follows. The line break before the delimiter
          // belongs to it (RFC 2046 §5.1.1), not to the header, unless it ended an earlier line (empty header).
          let brk = p;
          if (p > start) brk = p - 2 >= start && buf[p - 2] === CR ? p - 2 : p - 1;
          blockEnd = bodyStart = brk;
          break;
        }
      }
      if (c !== SP && c !== HT && !isFieldLine(buf, p, eol)) {
        if (!(this.#base + p === 0 && buf.toString('latin1', 0, 5) === 'From ')) {
          this.#cur.problems.push('Header block not ended by a blank line');
          blockEnd = bodyStart = p;
          break;
        }
      }
      p = lf === -1 ? buf.length : lf + 1;
    }
    if (blockEnd === -1) {
      this.#scan = p;
      return false;
    }
    this.#scan = 0;
    this.#openEntity(buf.subarray(start, blockEnd), this.#base + start, bodyStart);
    return true;
  }

  #openEntity(block: Buffer, headerAt: number, bodyStart: number): void {
    const node = this.#cur;
    const parsed = parseHeaderBlock(block, headerAt);
    node.header = parsed.header;
    node.problems.push(...parsed.problems);
    const ct = contentTypeOf(parsed.header, node.parent?.kind === 'multipart' ? node.parent.type.subtype : undefined, this.limits.maxParamSegments);
    node.type = ct.type;
    node.problems.push(...ct.problems);
    node.header.fallbackCharset = ct.type.params['charset'];
    node.offsets.body = this.#base + bodyStart;
    this.#pos = bodyStart;
    this.#scan = bodyStart > 0 ? bodyStart - 1 : -1;

    let kind: PartKind = 'leaf';
    if (ct.type.type === 'multipart') kind = 'multipart';
    else if (ct.type.mime === 'message/rfc822' || ct.type.mime === 'message/global') kind = 'message';
    const cte = (node.header.get('content-transfer-encoding') ?? '').trim().toLowerCase();
    if (kind === 'message' && (cte === 'base64' || cte === 'quoted-printable')) {
      // RFC 2046 §5.2.1 forbids it, but mailers do it: the encoded message is kept as an attachment.
      node.problems.push(`Content-Transfer-Encoding ${cte} on ${ct.type.mime} is not allowed (RFC 2046 §5.2.1): kept as an attachment`);
      kind = 'leaf';
    }
    if (kind !== 'leaf' && node.depth >= this.limits.maxDepth) {
      node.problems.push(`Nesting deeper than ${this.limits.maxDepth} levels: kept as opaque data`);
      this.problems.push(`Nesting depth limit (${this.limits.maxDepth}) reached`);
      kind = 'leaf';
    }
    if (this.#opaque) kind = 'leaf';
    node.kind = kind;

    if (kind === 'multipart') {
      const boundary = ct.type.params['boundary'] ?? '';
      if (boundary === '' || boundary.length > MAX_BOUNDARY) {
        this.#multipartToText(node, boundary === '' ? 'Multipart has no boundary parameter' : 'Multipart boundary is too long');
        return;
      }
      this.#bounds.push({ node, boundary: Buffer.from(boundary, 'utf8') });
      this.#region = 'preamble';
      this.#preamble = [];
      this.#preambleBytes = 0;
      return; // partStart is sent at the first delimiter, once the structure is known
    }
    this.#sink.partStart(node);
    if (kind === 'message') {
      this.#cur = this.#child(node, node.path, bodyStart);
      this.#region = 'header';
      return;
    }
    this.#region = 'leaf';
  }

  #child(parent: PartNode, path: string, relStart: number): PartNode {
    this.#parts++;
    const child = createNode(parent, this.#parts - 1, path, this.#base + relStart);
    parent.children.push(child);
    return child;
  }

  #multipartToText(node: PartNode, why: string): void {
    node.problems.push(`${why}: body kept as text`);
    node.kind = 'leaf';
    node.type = { mime: 'text/plain', type: 'text', subtype: 'plain', params: { ...node.type.params }, defaulted: true };
    this.#sink.partStart(node);
    this.#region = 'leaf';
  }

  #preambleToText(node: PartNode, why: string): void {
    this.#bounds = this.#bounds.filter((b) => b.node !== node);
    this.#multipartToText(node, why);
    for (const chunk of this.#preamble) this.#sink.body(node, chunk);
    this.#preamble = [];
  }

  /** Consumes body bytes of the current region up to the next delimiter; false when more input is needed. */
  #body(): boolean {
    const buf = this.#buf;
    if (this.#bounds.length === 0) {
      this.#emit(buf.length);
      return false;
    }
    for (;;) {
      let i: number;
      if (this.#scan === -1) {
        // A line starts at 0 (its line break was consumed before this buffer): a candidate when it begins with "-".
        this.#scan = 0;
        if (buf.length > 0 && buf[0] !== DASH) continue;
        i = -1;
      } else {
        i = buf.indexOf(NL_DASH_DASH, this.#scan);
        if (i === -1) {
          this.#emitSafe();
          return false;
        }
      }
      const lineStart = i + 1;
      const m = this.#matchDelimiter(lineStart);
      if (m === 'more') {
        // Hold the candidate line (and the CR before it) until the next chunk tells.
        this.#emit(i > this.#pos && buf[i - 1] === CR ? i - 1 : i);
        this.#scan = i;
        return false;
      }
      if (m === null) {
        this.#scan = lineStart;
        continue;
      }
      // The line break before the delimiter is part of it (RFC 2046 §5.1.1), unless it ended the header.
      let delimStart = lineStart;
      if (i >= this.#pos) delimStart = i > this.#pos && buf[i - 1] === CR ? i - 1 : i;
      else if (this.#region === 'epilogue' && this.#base + lineStart === this.#closeNext) {
        // RFC 2046 §5.1.1: close-delimiter transport-padding [CRLF epilogue]; with no epilogue, the line break after
        // an inner close delimiter is the CRLF of the enclosing delimiter, so the inner entities end before it.
        delimStart = this.#closeBreak - this.#base;
      }
      this.#emit(delimStart);
      this.#delimiter(m, delimStart);
      return true;
    }
  }

  /** Sends body bytes up to `to` (relative) to the current region's owner. */
  #emit(to: number): void {
    if (to <= this.#pos) return;
    const chunk = this.#buf.subarray(this.#pos, to);
    this.#pos = to;
    if (this.#region === 'leaf') this.#sink.body(this.#cur, chunk);
    else if (this.#region === 'preamble') {
      this.#preambleBytes += chunk.length;
      this.#preamble.push(Buffer.from(chunk));
      if (this.#preambleBytes > MAX_PREAMBLE) {
        this.#preambleToText(this.#cur, `Multipart boundary not found in the first ${MAX_PREAMBLE} bytes`);
      }
    }
  }

  /**
   * Emits everything but a tail that could still begin a delimiter. No complete "\n--" lies past #scan (indexOf
   * found none), so only a final "\n" or "\n-", the CR before them, or a final CR can start one.
   */
  #emitSafe(): void {
    const buf = this.#buf;
    let safe = buf.length;
    if (!this.#final) {
      if (buf[safe - 1] === DASH && buf[safe - 2] === LF) safe -= 2;
      else if (buf[safe - 1] === LF) safe -= 1;
      if (safe > 0 && buf[safe - 1] === CR) safe--;
    }
    this.#emit(safe);
    this.#scan = Math.max(0, Math.min(safe, this.#pos - 1));
  }

  #matchDelimiter(p: number): DelimiterMatch | null | 'more' {
    return this.#opaque ? null : matchDelimiter(this.#buf, p, this.#bounds, this.#final);
  }

  #delimiter(m: DelimiterMatch, delimStart: number): void {
    const owner = m.bound.node;
    const at = this.#base + delimStart;
    if (this.#region === 'preamble' && this.#cur === owner) {
      this.#sink.partStart(owner);
      this.#preamble = [];
    }
    // Close every entity inside the owner of this boundary.
    for (let n: PartNode | null = this.#cur; n && n !== owner; n = n.parent) {
      if (n.kind === 'multipart' && this.#bounds.some((b) => b.node === n)) {
        n.problems.push('Multipart ended by an enclosing boundary without its close delimiter');
      }
      if (this.#region === 'preamble' && n === this.#cur) this.#preambleToText(n, 'Multipart boundary never appears');
      this.#finish(n, at);
    }
    const idx = this.#bounds.indexOf(m.bound);
    this.#bounds.length = m.close ? idx : idx + 1;
    this.#cur = owner;
    this.#pos = m.next;
    this.#scan = m.next > 0 ? m.next - 1 : 0;
    if (m.close) {
      this.#region = 'epilogue';
      this.#closeBreak = this.#base + m.brk;
      this.#closeNext = this.#base + m.next;
      return;
    }
    if (this.#parts >= this.limits.maxParts) {
      if (!this.#opaque) {
        this.problems.push(`More than ${this.limits.maxParts} parts: the rest is kept as opaque data`);
        owner.problems.push(`Part limit (${this.limits.maxParts}) reached: the rest is kept as opaque data`);
      }
      this.#opaque = true;
      this.#bounds = [];
    }
    const n = owner.children.length + 1;
    this.#cur = this.#child(owner, owner.path ? `${owner.path}.${n}` : String(n), this.#opaque ? delimStart : m.next);
    if (this.#opaque) {
      this.#cur.type = { mime: 'application/octet-stream', type: 'application', subtype: 'octet-stream', params: {}, defaulted: true };
      this.#cur.offsets.body = at;
      this.#pos = delimStart;
      this.#region = 'leaf';
      this.#sink.partStart(this.#cur);
      return;
    }
    this.#region = 'header';
  }

  #finish(node: PartNode, end: number): void {
    node.offsets.end = end;
    this.#sink.partEnd(node);
  }
}
