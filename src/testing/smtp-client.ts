/**
 * A tiny scripted SMTP line client for conversation tests (STYLE.md §9): each call queues a step, and awaiting
 * the client runs the queue and resolves to the last reply read.
 *
 *   await client.expect(/^220 /).send('EHLO c.test').expect(/^250 /m);
 *
 * `expect` reads exactly one reply (all lines of a multi-line reply, joined with "\n", without CRLF) and checks
 * it: a string must equal the whole reply, a RegExp must match. Every wait is bounded (5 s by default), and a
 * failed step rejects with what was received, so a test fails instead of hanging. The connection, sending,
 * STARTTLS and the waits are LineScript's (line-script.ts).
 */
import { LineScript, dial, type Dialed } from './line-script.js';

/** A scripted client on one connection. */
export class SmtpScript extends LineScript {
  private constructor(conn: Dialed) {
    super(conn);
  }

  /**
   * Connects to 127.0.0.1:`port` (with implicit TLS when `tls` is set; certificates are not verified). The
   * client is returned at once; the connection is the first step of its script.
   *
   * @example
   * ```ts
   * const client = SmtpScript.open(port);
   * await client.expect(/^220 /);
   * ```
   */
  static open(port: number, opts: { tls?: boolean; timeoutMs?: number } = {}): SmtpScript {
    return new SmtpScript(dial(port, opts));
  }

  /** Reads one complete reply (RFC 5321 §4.2.1: lines "ddd-" then one "ddd "). */
  async readReply(ms = 5000): Promise<string> {
    const lines: string[] = [];
    for (;;) {
      const line = (await this.readRawLine(ms, 'a reply line')).toString('latin1');
      lines.push(line);
      if (!/^\d{3}-/.test(line)) break;
    }
    const reply = lines.join('\n');
    this.replies.push(reply);
    return reply;
  }

  protected override readNext(ms: number): Promise<string> {
    return this.readReply(ms);
  }

  /** Reads the greeting and sends EHLO (its 250 reply is checked loosely). */
  hello(name = 'c.test'): this {
    return this.expect(/^220 /).send(`EHLO ${name}`).expect(/^250[ -]/);
  }
}
