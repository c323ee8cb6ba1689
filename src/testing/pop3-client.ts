/**
 * A tiny scripted POP3 line client for conversation tests (STYLE.md §9): each call queues a step, and awaiting
 * the client runs the queue and resolves to the last status line read.
 *
 *   await client.expect(/^\+OK /).send('CAPA').expectMulti('+OK Capability list follows', ['TOP', …]);
 *
 * `expect` reads one line (without CRLF) and checks it: a string must equal it, a RegExp must match.
 * `expectMulti` reads a status line and, when it is +OK, the multi-line body up to "." (RFC 1939 §3),
 * un-byte-stuffed; `lastBody` keeps that body as bytes with its CRLF line ends. Every wait is bounded (5 s by
 * default), and a failed step rejects with what was received, so a test fails instead of hanging. The
 * connection, sending, STLS and the waits are LineScript's (line-script.ts).
 */
import { LineScript, dial, type Dialed } from './line-script.js';

/** A multi-line response as read. */
export interface MultiReply {
  readonly status: string;
  /** The lines after the status line, un-byte-stuffed, without line ends (empty for -ERR). */
  readonly lines: readonly string[];
  /** The same, as the bytes of the message: each line followed by CRLF. */
  readonly body: Buffer;
}

/** A scripted client on one connection. */
export class Pop3Script extends LineScript {
  /** The body of the last multi-line response. */
  lastBody: Buffer = Buffer.alloc(0);

  private constructor(conn: Dialed) {
    super(conn);
  }

  /**
   * Connects to 127.0.0.1:`port` (with implicit TLS when `tls` is set; certificates are not verified).
   *
   * @example
   * ```ts
   * const client = Pop3Script.open(port);
   * await client.expect(/^\+OK /);
   * ```
   */
  static open(port: number, opts: { tls?: boolean; timeoutMs?: number } = {}): Pop3Script {
    return new Pop3Script(dial(port, opts));
  }

  /** Reads one status line. */
  async readLine(ms = 5000): Promise<string> {
    const line = (await this.readRawLine(ms)).toString('latin1');
    this.replies.push(line);
    return line;
  }

  protected override readNext(ms: number): Promise<string> {
    return this.readLine(ms);
  }

  /** Reads a status line and, after +OK, the multi-line body up to "." (un-byte-stuffed). */
  async readMulti(ms = 5000): Promise<MultiReply> {
    const status = await this.readLine(ms);
    if (!status.startsWith('+OK')) return { status, lines: [], body: Buffer.alloc(0) };
    const parts: Buffer[] = [];
    const lines: string[] = [];
    for (;;) {
      let line = await this.readRawLine(ms);
      if (line.length === 1 && line[0] === 0x2e) break;
      if (line[0] === 0x2e) line = line.subarray(1); // RFC 1939 §3: byte-stuffing
      lines.push(line.toString('utf8'));
      parts.push(line, Buffer.from('\r\n'));
    }
    this.lastBody = Buffer.concat(parts);
    return { status, lines, body: this.lastBody };
  }

  /** Reads a multi-line response; checks its status line and, when given, its lines (or its body as text). */
  expectMulti(status: string | RegExp, body?: readonly string[] | string, ms = 5000): this {
    return this.step(async () => {
      const r = await this.readMulti(ms);
      const ok = typeof status === 'string' ? r.status === status : status.test(r.status);
      if (!ok) throw new Error(`Expected ${String(status)}, got ${JSON.stringify(r.status)}`);
      if (typeof body === 'string' && r.body.toString('latin1') !== body) {
        throw new Error(`Expected body ${JSON.stringify(body)}, got ${JSON.stringify(r.body.toString('latin1'))}`);
      }
      if (Array.isArray(body) && JSON.stringify(r.lines) !== JSON.stringify(body)) {
        throw new Error(`Expected lines ${JSON.stringify(body)}, got ${JSON.stringify(r.lines)}`);
      }
      return r.status;
    });
  }

  /** Reads the greeting and logs in with USER/PASS. */
  login(user: string, pass: string): this {
    return this.expect(/^\+OK /).send(`USER ${user}`).expect(/^\+OK/).send(`PASS ${pass}`).expect(/^\+OK /);
  }
}
