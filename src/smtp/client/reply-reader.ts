/**
 * Reading SMTP replies (RFC 5321 §4.2) from the peer, in order, for a pipelining client (RFC 2920 §3): each
 * `next()` call queues one reply read behind the ones already asked for, so a caller can send MAIL, every RCPT
 * and DATA in one write and then ask for their replies in the same order.
 *
 * A reply is one or more lines "ddd-text" ending with a line "ddd text" (or "ddd"); every line carries the same
 * code. An RFC 3463 enhanced status code at the start of a line's text (RFC 2034 §4) is taken out when its class
 * digit agrees with the reply code's.
 *
 * Guarantees and limits:
 * - Memory is bounded: a reply line is at most MAX_REPLY_LINE_BYTES octets including CRLF and a reply at most
 *   MAX_REPLY_LINES lines; more is a `protocol` error (RFC 5321 §4.5.3.1.5 allows 512 octets per line).
 * - Time is bounded: each reply must be complete within the timeout given for it, counted from the moment its
 *   read starts (after the previous reply was read); past it, a `timeout` error.
 * - `upgrade()` discards everything received but not yet read (RFC 3207 §4.2: replies sent before the TLS
 *   handshake must not be taken as coming over TLS).
 * Errors are SmtpClientError with the stage given; a failed read leaves the reader unusable (the caller closes
 * the connection).
 */
import type { Readable } from 'node:stream';
import { LineReader, LineTooLongError, ReadTimeoutError } from '../../proto/index.js';
import { SmtpClientError, type ClientStage, type ClientReply } from './types.js';

/** Longest reply line accepted, in octets including CRLF. */
export const MAX_REPLY_LINE_BYTES = 2048;
/** Most lines in one reply (an EHLO reply has one per extension). */
export const MAX_REPLY_LINES = 100;

// RFC 5321 §4.2: ClientReply-code = %x32-35 %x30-35 %x30-39, then SP or "-" and text, or nothing (a bare "ddd").
const LINE = /^([2-5][0-5][0-9])(?:([ -])(.*))?$/s;
// RFC 3463 §2: class "." subject "." detail, subject and detail 1 to 3 digits.
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: +|$)/;

/** One parsed reply line. */
export interface ReplyLine {
  readonly code: number;
  /** True for "ddd-": more lines follow. */
  readonly more: boolean;
  /** The text after the code and its separator (enhanced code included). */
  readonly text: string;
}

/**
 * Parses one reply line (without CRLF); null when it is not "ddd", "ddd text" or "ddd-text".
 *
 * @example
 * ```ts
 * parseReplyLine('250-PIPELINING');  // { code: 250, more: true, text: 'PIPELINING' }
 * parseReplyLine('hello');           // null
 * ```
 */
export function parseReplyLine(line: string): ReplyLine | null {
  const m = LINE.exec(line);
  if (!m) return null;
  return { code: Number(m[1]), more: m[2] === '-', text: m[3] ?? '' };
}

/**
 * Builds a ClientReply from its lines (as received, without CRLF). Throws when a line is not a reply line, when the
 * lines' codes differ, or when a line but the last is not a continuation.
 *
 * @example
 * ```ts
 * const r = buildReply(['550-5.1.1 No such user', '550 5.1.1 here']);
 * r.code === 550 && r.enhanced === '5.1.1' && r.text === 'No such user here';
 * ```
 */
export function buildReply(raw: readonly string[]): ClientReply {
  const parsed = raw.map((line, i) => {
    const p = parseReplyLine(line);
    if (!p) throw new Error(`Cannot parse reply line ${i + 1}: not "ddd text"`);
    return p;
  });
  const first = parsed[0];
  if (!first) throw new Error('Cannot parse reply: no lines');
  parsed.forEach((p, i) => {
    if (p.code !== first.code) throw new Error(`Cannot parse reply: line ${i + 1} has code ${p.code}, the first ${first.code}`);
    if (p.more !== (i < parsed.length - 1)) throw new Error(`Cannot parse reply: line ${i + 1} continues wrongly`);
  });
  const cls = String(Math.trunc(first.code / 100));
  const m = ENHANCED.exec(first.text);
  const enhanced = m && m[1] === cls ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : undefined;
  const lines = parsed.map((p) => {
    const e = ENHANCED.exec(p.text);
    return enhanced && e && e[1] === cls ? p.text.slice(e[0].length) : p.text;
  });
  return { code: first.code, ...(enhanced ? { enhanced } : {}), text: lines.join(' '), lines, raw: raw.join('\n') };
}

/** Reads replies in order from a byte stream that `upgrade()` can replace. */
export class ReplyReader {
  /** Mutable on purpose: LineReader reads `idleMs` at each readLine, and each reply has its own deadline. */
  private readonly limits = { maxLineBytes: MAX_REPLY_LINE_BYTES, idleMs: 0 };
  private readonly lines: LineReader;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(src: Readable) {
    this.lines = new LineReader(src, this.limits);
  }

  /**
   * The next reply not yet asked for; calls are served in order, each within its own `timeoutMs` counted from
   * when its read starts (`onStart` is called then). The returned promise is marked handled: a reply nobody awaits (its connection failed
   * first) never becomes an unhandled rejection.
   *
   * @example
   * ```ts
   * socket.write('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n');
   * const mail = replies.next('mail', 300_000), rcpt = replies.next('rcpt', 300_000);
   * (await mail).code === 250;
   * ```
   */
  next(stage: ClientStage, timeoutMs: number, onStart?: () => void): Promise<ClientReply> {
    const p = this.queue.then(() => {
      onStart?.();
      return this.read(stage, timeoutMs);
    });
    this.queue = p.catch(() => undefined);
    p.catch(() => undefined);
    return p;
  }

  /** True when a complete line is already received (a reply the peer sent early). */
  hasBufferedLine(): boolean {
    return this.lines.hasBufferedLine();
  }

  /** Switches to `next` (the TLS socket), discarding everything received and not yet read (RFC 3207 §4.2). */
  upgrade(next: Readable): void {
    this.lines.upgrade(next);
  }

  /** Makes the pending read and every later one throw `err`. */
  abort(err: Error): void {
    this.lines.abort(err);
  }

  private async read(stage: ClientStage, timeoutMs: number): Promise<ClientReply> {
    const deadline = performance.now() + timeoutMs;
    const raw: string[] = [];
    for (;;) {
      this.limits.idleMs = Math.max(0, deadline - performance.now());
      let bytes: Buffer | null;
      try {
        bytes = await this.lines.readLine();
      } catch (err) {
        if (err instanceof ReadTimeoutError) throw new SmtpClientError('timeout', stage, `Timed out waiting for the ${stage} reply`, true);
        if (err instanceof LineTooLongError) {
          throw new SmtpClientError('protocol', stage, `ClientReply line longer than ${MAX_REPLY_LINE_BYTES} octets`, true);
        }
        throw err;
      }
      if (bytes === null) throw new SmtpClientError('network', stage, `Connection closed by the peer while waiting for the ${stage} reply`, true);
      const line = bytes.toString('utf8');
      const parsed = parseReplyLine(line);
      if (!parsed) throw new SmtpClientError('protocol', stage, `Cannot parse the ${stage} reply: not "ddd text"`, true);
      raw.push(line);
      if (!parsed.more) break;
      if (raw.length === MAX_REPLY_LINES) throw new SmtpClientError('protocol', stage, `ClientReply longer than ${MAX_REPLY_LINES} lines`, true);
    }
    try {
      return buildReply(raw);
    } catch (err) {
      throw new SmtpClientError('protocol', stage, `Cannot parse the ${stage} reply: the lines do not agree`, true, undefined, { cause: err });
    }
  }
}
