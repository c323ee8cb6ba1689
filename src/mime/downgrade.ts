/**
 * 8-bit to 7-bit MIME conversion for a next hop without 8BITMIME (RFC 6152 §3, RFC 1652 §4 "convert to 7 bit
 * MIME"), also for BINARYMIME bodies (RFC 3030 §3); RFC 2045 §2.7, §6; RFC 2046 §5; RFC 2047; RFC 1428.
 *
 * The message streams through the MIME tokenizer and is written back entity by entity. A leaf entity is decided
 * once the first `lookAhead` bytes (64 KiB) of its body have been seen, or at its end if sooner. "Clean" means the
 * 7bit rules of RFC 2045 §2.7: no octet above 127, no NUL, CR and LF only as CRLF, lines of at most 998 octets.
 * - declared 8bit or binary: re-encoded; but a body that ends inside the window and is clean is only relabelled 7bit;
 * - declared 7bit, or no Content-Transfer-Encoding: passed through when the window is clean, else re-encoded;
 * - declared quoted-printable or base64: passed through when the window is clean, else decoded with the library's
 *   decoder and re-encoded (senders do put raw 8-bit octets or endless lines in them);
 * - an unknown encoding (x-uuencode, …), or an entity that must not be encoded (RFC 2045 §6.4, RFC 2046 §5.2.2.1,
 *   §5.2.3.1: a multipart or message/rfc822, partial or external-body the tokenizer kept as a leaf, and the opaque
 *   rest past the part limit): passed through when clean (a declared 8bit/binary is then relabelled 7bit), else a
 *   {@link DowngradeError};
 * - re-encoding is quoted-printable in text mode for text/* (line breaks become CRLF, RFC 2046 §4.1.1), else base64.
 * A body passed through stays watched: an octet above 127 past the window throws a DowngradeError (the bytes before
 * it are already out, so the caller must abandon the transaction); NUL, bare CR or LF, and long lines past the
 * window pass (the SMTP client turns bare CR and LF into CRLF).
 * Composites: multipart and message/rfc822 entities declared 8bit or binary are relabelled 7bit, since everything
 * inside them is converted (RFC 2045 §6.4 allows them no other encoding); message/global declared 8bit or binary is
 * base64-encoded whole, as RFC 6532 §3.5 allows, because its header fields are UTF-8.
 * Header fields pass byte for byte, except: the Content-Transfer-Encoding of a changed entity is replaced (the first
 * one; extra ones are dropped) or added; a message's top-level entity (also inside message/rfc822) whose encoding
 * changes gets `MIME-Version: 1.0` if it lacks one (RFC 2045 §4); converted text with no Content-Type is labelled `text/plain; charset=unknown-8bit` (RFC 1428 §3:
 * its charset is unknown, not us-ascii); Subject, Comments and Content-Description (unstructured, RFC 5322 §3.6.5,
 * RFC 2045 §8) holding raw 8-bit octets that are valid UTF-8 and no encoded word become RFC 2047 encoded words.
 * 8-bit or NUL octets in a preamble or epilogue, which readers ignore (RFC 2046 §5.1.1), become "?", except on
 * lines that start with "-" (so a delimiter line is never touched).
 * Guarantees: delimiters, boundaries, preambles' 7-bit bytes, and every byte of an entity that is passed through are
 * unchanged, so a 7-bit message comes out byte-identical; the output bytes do not depend on how the input is chunked;
 * memory is bounded by one header block (MimeLimits.maxHeaderBytes), a preamble (64 KiB), the window, and a chunk.
 * Limits: other header fields with raw 8-bit octets pass as they are (they need SMTPUTF8, which the caller checks);
 * a body declared 7bit whose 8-bit octets come only after the window cannot be converted (DowngradeError); text is
 * always quoted-printable, even when mostly non-ASCII (CJK text grows up to 3×, base64 would be 4/3).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { MimeTokenizer, type PartNode, type TokenSink } from './tokenizer.js';
import { bodyDecoderFor, toBuffer } from './parse.js';
import type { HeaderField } from './header.js';
import type { MimeLimits } from './limits.js';
import { createBase64Encoder, createQpEncoder, parseTransferEncoding, type BodyDecoder, type BodyEncoder } from './encodings/index.js';
import { formatHeader } from './header-values/index.js';
import { LineCheck, RawQueue } from './downgrade-scan.js';

const LF = 0x0a;
const DASH = 0x2d;
const CRLF = Buffer.from('\r\n', 'latin1');
/** Unstructured fields (RFC 5322 §3.6.5, RFC 2045 §8) that may carry RFC 2047 encoded words anywhere. */
const UNSTRUCTURED = new Set(['subject', 'comments', 'content-description']);

/**
 * Options of {@link downgradeTo7bit}.
 *
 * @example
 * ```ts
 * const opts: DowngradeOptions = { lookAhead: 16 * 1024, limits: { maxDepth: 20 } };
 * ```
 */
export interface DowngradeOptions {
  /** Body bytes of each leaf looked at before deciding (default 64 KiB); an integer ≥ 0. */
  readonly lookAhead?: number;
  /** Limits of the MIME tokenizer. */
  readonly limits?: Partial<MimeLimits>;
}

/**
 * The message cannot be made 7-bit without changing what it means; nothing has been lost, but part of the output may
 * already have been yielded, so the transaction must be abandoned (an SMTP client reports 5.6.3, RFC 3463).
 *
 * @example
 * ```ts
 * const err = new DowngradeError('2', 'Cannot convert part 2 to 7-bit: an 8-bit octet');
 * err.part === '2' && err.name === 'DowngradeError';
 * ```
 */
export class DowngradeError extends Error {
  override name = 'DowngradeError';
  /** IMAP-style section of the entity ('' for the message itself). */
  readonly part: string;
  constructor(part: string, message: string) {
    super(message);
    this.part = part;
  }
}

type LeafMode = 'deciding' | 'pass' | 'encode';

interface Leaf {
  readonly node: PartNode;
  mode: LeafMode;
  readonly check: LineCheck;
  seen: number;
  decoder: BodyDecoder | null;
  encoder: BodyEncoder | null;
}

function where(node: PartNode): string {
  return `${node.path === '' ? 'the message body' : `part ${node.path}`} (${node.type.mime})`;
}

/** RFC 2045 §6.4, RFC 2046 §5.2.2.1 and §5.2.3.1: these may only be 7bit, 8bit or binary, never encoded. */
function mustNotEncode(node: PartNode): boolean {
  const declared = (node.header.get('content-type') ?? '').toLowerCase();
  const opaque = node.type.defaulted && node.type.mime === 'application/octet-stream'; // past the part limit
  return (
    opaque ||
    node.type.type === 'multipart' ||
    /^(multipart\/|message\/(rfc822|partial|external-body)\b)/.test(declared) ||
    ['message/rfc822', 'message/partial', 'message/external-body'].includes(node.type.mime)
  );
}

/** An unstructured field with raw 8-bit UTF-8 as RFC 2047 encoded words (CRLF-terminated), or null to keep it. */
function wordEncoded(f: HeaderField): Buffer | null {
  if (!UNSTRUCTURED.has(f.key) || isAscii(f.raw) || !isUtf8(f.raw)) return null;
  const value = f.value;
  // A value that already holds an encoded word would have it encoded again, and read back literally.
  if (value.includes('=?') || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return null;
  try {
    return Buffer.from(`${formatHeader(f.name, value)}\r\n`, 'latin1');
  } catch {
    return null;
  }
}

const line = (s: string): Buffer => Buffer.from(`${s}\r\n`, 'latin1');

/** The conversion as a token sink: tokenizer events in, output buffers collected in `#out`. */
class Downgrader implements TokenSink {
  readonly #raw = new RawQueue();
  readonly #tok: MimeTokenizer;
  readonly #lookAhead: number;
  #out: Buffer[] = [];
  /** Offset in the message up to which the input has been written out or replaced. */
  #at = 0;
  /** Offset just past the body bytes reported so far for the current leaf. */
  #pos = 0;
  #leaf: Leaf | null = null;
  /** A message/global being base64-encoded whole, and its encoder. */
  #whole: { node: PartNode; enc: BodyEncoder } | null = null;
  /** Preamble/epilogue line state: at a line start, in a line kept as is ("-"), or in a line to clean. */
  #line: 'start' | 'keep' | 'clean' = 'start';

  constructor(opts: DowngradeOptions | undefined) {
    const lookAhead = opts?.lookAhead ?? 64 * 1024;
    if (!Number.isInteger(lookAhead) || lookAhead < 0) {
      throw new RangeError(`Cannot downgrade to 7-bit: lookAhead ${lookAhead} is not an integer ≥ 0`);
    }
    this.#lookAhead = lookAhead;
    this.#tok = new MimeTokenizer(this, opts?.limits);
  }

  write(chunk: Buffer): void {
    this.#raw.push(chunk);
    this.#tok.write(chunk);
  }

  end(): void {
    this.#tok.end();
    this.#pass(this.#raw.length, true); // the epilogue, or whatever trails
  }

  /** The output collected since the last call: large pieces as they are (no copy), runs of small ones joined. */
  take(): Buffer[] {
    const out: Buffer[] = [];
    let run: Buffer[] = [];
    const flush = (): void => {
      if (run.length > 0) out.push(run.length === 1 ? run[0]! : Buffer.concat(run));
      run = [];
    };
    for (const b of this.#out) {
      if (b.length >= 4096) {
        flush();
        out.push(b);
      } else if (b.length > 0) {
        run.push(b);
      }
    }
    flush();
    this.#out = [];
    return out;
  }

  partStart(node: PartNode): void {
    this.#pos = node.offsets.body;
    const whole = this.#whole;
    if (whole) return this.#encodeTo(node.offsets.header, null, whole.enc);
    this.#pass(node.offsets.header, true);
    if (node.kind === 'leaf') {
      this.#leaf = { node, mode: 'deciding', check: new LineCheck(), seen: 0, decoder: null, encoder: null };
      return;
    }
    const cte = parseTransferEncoding(node.header.get('content-transfer-encoding'));
    const eight = cte === '8bit' || cte === 'binary';
    if (eight && node.type.mime === 'message/global') {
      this.#header(node, 'base64');
      this.#whole = { node, enc: createBase64Encoder() };
      return;
    }
    this.#header(node, eight ? '7bit' : null);
  }

  body(node: PartNode, chunk: Buffer): void {
    const whole = this.#whole;
    if (whole) {
      this.#pos += chunk.length;
      return this.#encodeTo(this.#pos, null, whole.enc);
    }
    const leaf = this.#leaf;
    if (leaf === null || leaf.node !== node) return;
    let rest = chunk;
    if (leaf.mode === 'deciding') {
      const n = Math.min(rest.length, this.#lookAhead - leaf.seen);
      leaf.check.scan(rest.subarray(0, n));
      leaf.seen += n;
      this.#pos += n;
      if (leaf.seen >= this.#lookAhead) this.#decide(leaf, false);
      rest = rest.subarray(n);
      if (rest.length === 0) return;
    }
    this.#pos += rest.length;
    if (leaf.mode === 'encode') return this.#encodeTo(this.#pos, leaf.decoder, leaf.encoder!);
    if (!isAscii(rest)) {
      throw new DowngradeError(node.path, `Cannot convert ${where(node)} to 7-bit: an 8-bit octet after the first ${this.#lookAhead} bytes of a body passed through`);
    }
    this.#pass(this.#pos, false);
  }

  partEnd(node: PartNode): void {
    const whole = this.#whole;
    if (whole) {
      this.#encodeTo(node.offsets.end, null, whole.enc);
      if (node === whole.node) {
        this.#out.push(whole.enc.end());
        this.#whole = null;
      }
      return;
    }
    const leaf = this.#leaf;
    if (leaf === null || leaf.node !== node) return;
    if (leaf.mode === 'deciding') this.#decide(leaf, true);
    if (leaf.mode === 'encode') {
      const enc = leaf.encoder!;
      this.#encodeTo(node.offsets.end, leaf.decoder, enc);
      if (leaf.decoder) this.#out.push(enc.write(leaf.decoder.end()));
      this.#out.push(enc.end());
    } else {
      this.#pass(node.offsets.end, false);
    }
    this.#leaf = null;
  }

  /** Applies the decision rule of the module header to a leaf and writes its header and the window. */
  #decide(leaf: Leaf, complete: boolean): void {
    if (complete) leaf.check.finish();
    const node = leaf.node;
    const dirty = leaf.check.problem;
    const declared = node.header.get('content-transfer-encoding');
    const cte = parseTransferEncoding(declared);
    const eight = cte === '8bit' || cte === 'binary';
    const target = node.type.type === 'text' ? 'quoted-printable' : 'base64';
    let label: '7bit' | 'quoted-printable' | 'base64' | null = null;
    if ((declared !== undefined && cte === null) || mustNotEncode(node)) {
      if (dirty !== null) {
        const why = cte === null && declared !== undefined ? `Content-Transfer-Encoding "${declared.slice(0, 40)}" is unknown` : 'it may not be encoded';
        throw new DowngradeError(node.path, `Cannot convert ${where(node)} to 7-bit: ${dirty}, and ${why}`);
      }
      if (eight) label = '7bit';
    } else if (eight) {
      label = complete && dirty === null ? '7bit' : target;
    } else if (dirty !== null) {
      label = target;
      leaf.decoder = cte === 'quoted-printable' || cte === 'base64' ? bodyDecoderFor(cte) : null;
    }
    this.#header(node, label);
    if (label === null || label === '7bit') {
      leaf.mode = 'pass';
      this.#pass(this.#pos, false);
      return;
    }
    leaf.mode = 'encode';
    leaf.encoder = label === 'base64' ? createBase64Encoder() : createQpEncoder();
    this.#encodeTo(this.#pos, leaf.decoder, leaf.encoder);
  }

  /**
   * Writes the header block of `node` (up to its body): as it arrived when nothing changes, else rebuilt with
   * `cte` as its Content-Transfer-Encoding (null: keep it) and unstructured 8-bit fields encoded.
   */
  #header(node: PartNode, cte: string | null): void {
    const h = node.header;
    const fields = h.fields;
    const words = fields.map(wordEncoded);
    if (cte === null && words.every((w) => w === null)) return this.#pass(node.offsets.body, false);
    const out: Buffer[] = [];
    let replaced = false;
    fields.forEach((f, i) => {
      if (cte !== null && f.key === 'content-transfer-encoding') {
        if (!replaced) out.push(line(`Content-Transfer-Encoding: ${cte}`));
        replaced = true;
      } else {
        out.push(words[i] ?? f.raw);
      }
    });
    const added: string[] = [];
    if (cte !== null && (node.parent === null || node.parent.kind === 'message') && !h.has('mime-version')) {
      added.push('MIME-Version: 1.0'); // RFC 2045 §4
    }
    if (cte !== null && cte !== '7bit' && node.type.type === 'text' && !h.has('content-type')) {
      added.push('Content-Type: text/plain; charset=unknown-8bit'); // RFC 1428 §3
    }
    if (cte !== null && !replaced) added.push(`Content-Transfer-Encoding: ${cte}`);
    out.push(...added.map(line));
    const last = out[out.length - 1];
    if (last !== undefined && last[last.length - 1] !== LF) out.push(CRLF);
    // The blank line (or whatever ended the block) as it arrived; a block that had none gets one.
    const lastField = fields[fields.length - 1];
    const blockEnd = lastField ? lastField.offset + lastField.raw.length : node.offsets.header;
    this.#raw.take(this.#at, blockEnd);
    const rest = this.#raw.take(blockEnd, node.offsets.body);
    this.#at = node.offsets.body;
    out.push(...(rest.length > 0 ? rest : [CRLF]));
    this.#out.push(...out);
    this.#line = 'start';
  }

  /** Writes the input up to `to` as it is; `structural` (preamble, delimiters, epilogue) cleans 8-bit octets. */
  #pass(to: number, structural: boolean): void {
    if (to <= this.#at) return;
    for (const v of this.#raw.take(this.#at, to)) this.#out.push(structural ? this.#clean(v) : v);
    this.#at = to;
    if (!structural) this.#line = this.#raw.last === LF ? 'start' : 'clean';
  }

  /** Encodes the input up to `to` (decoding it first when `dec` is given). */
  #encodeTo(to: number, dec: BodyDecoder | null, enc: BodyEncoder): void {
    if (to <= this.#at) return;
    for (const v of this.#raw.take(this.#at, to)) this.#out.push(enc.write(dec ? dec.write(v) : v));
    this.#at = to;
  }

  /** RFC 2046 §5.1.1: preamble and epilogue are ignored by readers, so their 8-bit and NUL octets become "?". */
  #clean(v: Buffer): Buffer {
    let state = this.#line;
    if (isAscii(v) && v.indexOf(0) === -1) {
      const lf = v.lastIndexOf(LF);
      if (lf !== -1) state = lf + 1 === v.length ? 'start' : v[lf + 1] === DASH ? 'keep' : 'clean';
      else if (state === 'start') state = v[0] === DASH ? 'keep' : 'clean';
      this.#line = state;
      return v;
    }
    const out = Buffer.from(v);
    for (let i = 0; i < out.length; i++) {
      const b = out[i]!;
      if (state === 'start') state = b === DASH ? 'keep' : 'clean';
      if (b === LF) state = 'start';
      else if ((b >= 0x80 || b === 0) && state === 'clean') out[i] = 0x3f;
    }
    this.#line = state;
    return out;
  }
}

/**
 * Streams a whole message (header and body, CRLF line ends) converted to 7-bit MIME for a next hop without
 * 8BITMIME or BINARYMIME; see the module header for the decision rule. Throws a {@link DowngradeError} (possibly
 * after yielding part of the output) when the message cannot be converted, and a RangeError for a bad option.
 *
 * @example
 * ```ts
 * const msg = 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncafé\r\n';
 * const out: Buffer[] = [];
 * for await (const chunk of downgradeTo7bit([Buffer.from(msg)])) out.push(chunk);
 * Buffer.concat(out).toString();
 * // 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n'
 * ```
 */
export async function* downgradeTo7bit(
  src: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts?: DowngradeOptions,
): AsyncGenerator<Buffer> {
  const d = new Downgrader(opts);
  for await (const chunk of src) {
    d.write(toBuffer(chunk));
    yield* d.take();
  }
  d.end();
  yield* d.take();
}
