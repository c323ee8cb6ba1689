/**
 * The composer: a message described as data in, a stream of CRLF-ended lines out, 7-bit safe by default
 * (RFC 5322, RFC 2045–2049, RFC 2047, RFC 2231, RFC 2387, RFC 6152, RFC 6522, RFC 6532).
 *
 * Guarantees:
 * - The whole input is checked and every header field formatted before the stream is returned, so a bad input
 *   (CR, LF or NUL anywhere in a header value, address, file name or content id; a field the composer owns in
 *   `headers`) throws and no half-written message exists. Files are opened, and streamed text and messages
 *   sampled, before the first byte, so a missing file fails the stream before it has produced anything.
 * - Lines end with CRLF and are at most 998 octets (RFC 5322 §2.1.1); in '7bit' mode every byte is below 0x80
 *   (RFC 2045 §2.7): non-ASCII header text becomes RFC 2047/2231 encoded words, bodies quoted-printable or base64.
 * - Memory stays bounded: sources are read as the consumer reads (backpressure), one sample of about 64 KiB of
 *   each streamed text or message part is read ahead, and in-memory bodies are encoded 64 KiB at a time.
 * - Boundaries cannot occur in the content: each has `=_` and 120 random bits. Quoted-printable and base64
 *   output never contain `=_` (see message-id.ts); identity-encoded bodies known before writing (text, small
 *   forwarded messages, report fields) are scanned and the boundary replaced on a match. Identity-encoded
 *   streams too large to sample (a big forwarded message, RFC 2046 §5.2.1 forbids encoding it) are not scanned:
 *   the boundary is chosen after that content existed, so it matches only by chance, with probability 2^-120.
 * Limits: message/rfc822 content is never re-encoded, so in '7bit' mode a forwarded message with 8-bit data is
 * refused (use '8bitmime'); when it is a stream larger than the sample and breaks its transfer encoding's rules
 * after the first 64 KiB (8-bit data in '7bit' mode, a line over 998 octets, NUL), the stream fails at that point.
 */
import type { Readable, Writable } from 'node:stream';
import { createBase64Encoder, createQpEncoder } from '../encodings/index.js';
import { headerEnd } from '../header.js';
import {
  encodeChunks,
  guardLines,
  guessCharset,
  LineGuard,
  openSource,
  peekSource,
  SAMPLE_BYTES,
  textFileEncoding,
  type OpenedSource,
  type TransferEncoding,
} from './body.js';
import { headersPlan, messageBytes, type EntityPlan, type LeafPlan, type MessagePlan } from './entities.js';
import { contentTypeField } from './fields.js';
import type { ComposeInput } from './input.js';
import { createBoundary } from './message-id.js';
import { planMessage } from './plan.js';
import { MimeWriter, readableFrom, writableSink, type ByteSink } from './writer.js';

/** How much of a header block `headersOnly` reads at most (the parser's default header bound). */
const MAX_HEADER_BYTES = 1024 * 1024;
/** In-memory bodies are handed to the encoder in pieces of this size, so no encoded copy of a big Buffer exists. */
const PIECE = 64 * 1024;

/** A leaf's body ready to write. */
interface ResolvedBody {
  readonly cte: TransferEncoding;
  /** The whole unencoded body, when known before writing. */
  readonly bytes: Buffer | null;
  readonly chunks: AsyncIterator<Buffer> | null;
  /** Replaces the planned Content-Type field (a charset learned from the sample). */
  readonly typeField?: string;
}

/**
 * Composes a message as a stream of CRLF-ended lines. Throws synchronously on a bad input; I/O errors (a missing
 * file, a failing source stream) destroy the stream with the error.
 *
 * @example
 * ```ts
 * const msg = composeMessage({
 *   from: { name: 'Zoë', address: 'zoe@x.test' }, to: ['bob@y.test'], subject: 'Grüße',
 *   text: 'Hallo', attachments: [{ filename: 'photo.jpg', content: { path: '/tmp/photo.jpg' } }],
 * });
 * await pipeline(msg, fs.createWriteStream('out.eml'));
 * ```
 */
export function composeMessage(input: ComposeInput): Readable {
  const plan = planMessage(input);
  return readableFrom((sink) => writePlan(plan, sink));
}

/**
 * Composes a message into one Buffer (for tests and small messages; use `composeMessage` for big attachments).
 *
 * @example
 * ```ts
 * const raw = await composeMessageBuffer({ from: 'a@x.test', to: ['b@y.test'], subject: 'Hi', text: 'Hello' });
 * parseMessageBuffer(raw).text === 'Hello\r\n';
 * ```
 */
export async function composeMessageBuffer(input: ComposeInput): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of composeMessage(input)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Composes a message straight into a Writable (a socket, a blob file) or a `ByteSink`, honouring backpressure.
 * Rejects on a bad input before writing anything. Does not end the Writable.
 *
 * @example
 * ```ts
 * await composeMessageTo({ from: 'a@x.test', to: ['b@y.test'], text: 'Hi' }, fs.createWriteStream('out.eml'));
 * ```
 */
export async function composeMessageTo(input: ComposeInput, out: Writable | ByteSink): Promise<void> {
  const plan = planMessage(input);
  const sink = 'on' in out && 'end' in out ? writableSink(out as Writable) : (out as ByteSink);
  await writePlan(plan, sink);
}

/** Opens, samples and decides every streamed body, in document order. */
async function resolve(plan: MessagePlan, opened: OpenedSource[]): Promise<Map<LeafPlan, ResolvedBody>> {
  const out = new Map<LeafPlan, ResolvedBody>();
  const ctx = plan.ctx;
  const visit = async (node: EntityPlan): Promise<void> => {
    if (node.kind === 'multipart') {
      for (const c of node.children) await visit(c);
      return;
    }
    const b = node.body;
    if (b.how === 'ready') {
      out.set(node, { cte: b.cte, bytes: b.bytes, chunks: null });
      return;
    }
    const src = await openSource(b.source);
    opened.push(src);
    if (b.as === 'binary') {
      out.set(node, { cte: 'base64', bytes: null, chunks: src.chunks });
    } else if (b.as === 'headers') {
      const got: Buffer[] = [];
      let size = 0;
      let tail = Buffer.alloc(0); // the last 2 bytes already read, so an empty line across chunks is found
      for (let r = await src.chunks.next(); r.done !== true; r = await src.chunks.next()) {
        got.push(r.value);
        size += r.value.length;
        const window = Buffer.concat([tail, r.value]);
        const ended = size === window.length ? headerEnd(window) !== null : window.includes('\n\n') || window.includes('\n\r\n');
        if (ended) break;
        if (size > MAX_HEADER_BYTES) throw new Error(`Cannot compose message: ${b.what} has a header over 1 MiB`);
        tail = window.subarray(Math.max(0, window.length - 2));
      }
      await src.close();
      const ready = headersPlan(ctx, Buffer.concat(got)) as { bytes: Buffer; cte: TransferEncoding };
      out.set(node, { cte: ready.cte, bytes: ready.bytes, chunks: null });
    } else {
      const { head, complete, rest } = await peekSource(src, SAMPLE_BYTES);
      if (b.as === 'text-file') {
        const cte = textFileEncoding(head, complete, ctx.transport);
        const charset = node.retype ? guessCharset(head, complete) : null;
        const typeField = charset !== null ? { typeField: node.retype!(charset) } : {};
        out.set(node, complete ? { cte, bytes: head, chunks: null, ...typeField } : { cte, bytes: null, chunks: rest, ...typeField });
      } else if (complete) {
        const ready = messageBytes(ctx, head, b.what) as { bytes: Buffer; cte: TransferEncoding };
        out.set(node, { cte: ready.cte, bytes: ready.bytes, chunks: null });
      } else {
        const sevenBit = ctx.transport === '7bit';
        new LineGuard({ sevenBit, what: b.what }).push(head); // fail before the first byte when the sample already breaks a rule
        out.set(node, { cte: sevenBit ? '7bit' : '8bit', bytes: null, chunks: guardLines(rest, { sevenBit, what: b.what }) });
      }
    }
  };
  await visit(plan.root);
  return out;
}

/** Replaces any boundary that occurs in an identity-encoded body known before writing (RFC 2046 §5.1.1). */
function avoidCollisions(plan: MessagePlan, bodies: Map<LeafPlan, ResolvedBody>): void {
  const known = [...bodies.values()].filter((b) => b.bytes !== null && (b.cte === '7bit' || b.cte === '8bit')).map((b) => b.bytes!);
  const visit = (node: EntityPlan): void => {
    if (node.kind === 'leaf') return;
    while (known.some((k) => k.includes(node.boundary))) node.boundary = createBoundary(plan.ctx.boundaryPrefix);
    node.children.forEach(visit);
  };
  visit(plan.root);
}

/** The Content-* fields of an entity, Content-Transfer-Encoding right after Content-Type. */
function entityFields(plan: MessagePlan, node: EntityPlan, bodies: Map<LeafPlan, ResolvedBody>): string[] {
  if (node.kind === 'multipart') return [contentTypeField(plan.ctx, node.mime, { ...node.params, boundary: node.boundary })];
  const [type, ...rest] = node.fields;
  const body = bodies.get(node)!;
  return [body.typeField ?? type!, `Content-Transfer-Encoding: ${body.cte}`, ...rest];
}

async function* pieces(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += PIECE) yield bytes.subarray(i, i + PIECE);
}

async function writeEntity(plan: MessagePlan, w: MimeWriter, node: EntityPlan, bodies: Map<LeafPlan, ResolvedBody>): Promise<void> {
  if (node.kind === 'multipart') {
    for (const child of node.children) {
      const boundary = child.kind === 'multipart' ? child.boundary : undefined;
      const part = await w.createPart(entityFields(plan, child, bodies), boundary === undefined ? {} : { boundary });
      await writeEntity(plan, part, child, bodies);
    }
    await w.close();
    return;
  }
  const body = bodies.get(node)!;
  // Text bodies are already CRLF, so text-mode quoted-printable keeps them byte for byte (RFC 2045 §6.7 (4)).
  const enc = body.cte === 'base64' ? createBase64Encoder() : body.cte === 'quoted-printable' ? createQpEncoder() : null;
  const src = body.bytes !== null ? pieces(body.bytes) : body.chunks!;
  for await (const chunk of encodeChunks(src, enc)) await w.write(chunk);
  await w.close();
}

/**
 * Writes a planned message into a sink: resolves streamed bodies, then writes the header and every entity.
 * Sources opened here are always closed, also when the consumer stops reading.
 */
async function writePlan(plan: MessagePlan, sink: ByteSink): Promise<void> {
  const opened: OpenedSource[] = [];
  try {
    const bodies = await resolve(plan, opened);
    avoidCollisions(plan, bodies);
    const root = plan.root;
    const fields = [...plan.header, ...entityFields(plan, root, bodies)];
    const w = await MimeWriter.create(sink, fields, { utf8: plan.ctx.utf8, ...(root.kind === 'multipart' ? { boundary: root.boundary } : {}) });
    await writeEntity(plan, w, root, bodies);
  } finally {
    await Promise.allSettled(opened.map((o) => o.close()));
  }
}
