/**
 * A tiny scripted SMTP line client for conversation tests (STYLE.md §9): each call queues a step, and awaiting
 * the client runs the queue and resolves to the last reply read.
 *
 *   await client.expect(/^220 /).send('EHLO c.test').expect(/^250 /m);
 *
 * `expect` reads exactly one reply (all lines of a multi-line reply, joined with "\n", without CRLF) and checks
 * it: a string must equal the whole reply, a RegExp must match. Every wait is bounded (5 s by default), and a
 * failed step rejects with what was received, so a test fails instead of hanging.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** A scripted client on one connection. */
export class SmtpScript implements PromiseLike<string> {
  /** Every reply read, in order. */
  readonly replies: string[] = [];
  private socket: Socket | TLSSocket;
  private buf = Buffer.alloc(0);
  private eof = false;
  private wake: (() => void) | null = null;
  private chain: Promise<string> = Promise.resolve('');
  private last = '';

  private constructor(socket: Socket | TLSSocket, connected: Promise<void>) {
    this.socket = socket;
    this.listen(socket);
    this.chain = connected.then(() => '');
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
    const socket = opts.tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : connect(port, '127.0.0.1');
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => (socket.destroy(), reject(new Error('Connect timed out'))), opts.timeoutMs ?? 5000);
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    connected.catch(() => undefined); // reported when the script is awaited
    return new SmtpScript(socket, connected);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('end', () => ((this.eof = true), this.wake?.()));
    socket.on('close', () => ((this.eof = true), this.wake?.()));
    socket.on('error', () => ((this.eof = true), this.wake?.()));
  }

  private step(fn: () => Promise<string | void>): this {
    this.chain = this.chain.then(async () => {
      const r = await fn();
      if (typeof r === 'string') this.last = r;
      return this.last;
    });
    this.chain.catch(() => undefined); // a step nobody awaits must not become an unhandled rejection
    return this;
  }

  then<A = string, B = never>(onFulfilled?: ((v: string) => A | PromiseLike<A>) | null, onRejected?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.chain.then(onFulfilled, onRejected);
  }

  /** Waits until `ready()` or the end of the stream, for at most `ms`. */
  private async waitFor(ready: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ready()) {
      if (this.eof) throw new Error(`Connection closed while waiting for ${what}; unread: ${JSON.stringify(this.buf.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}; unread: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
  }

  /** Reads one complete reply (RFC 5321 §4.2.1: lines "ddd-" then one "ddd "). */
  async readReply(ms = 5000): Promise<string> {
    const lines: string[] = [];
    for (;;) {
      await this.waitFor(() => this.buf.includes(0x0a), ms, 'a reply line');
      const lf = this.buf.indexOf(0x0a);
      const line = this.buf.subarray(0, lf).toString('latin1').replace(/\r$/, '');
      this.buf = this.buf.subarray(lf + 1);
      lines.push(line);
      if (!/^\d{3}-/.test(line)) break;
    }
    const reply = lines.join('\n');
    this.replies.push(reply);
    return reply;
  }

  /** Sends a line (CRLF is added). */
  send(line: string): this {
    return this.sendRaw(`${line}\r\n`);
  }

  /** Sends bytes as they are. */
  sendRaw(data: string | Buffer): this {
    return this.step(
      () =>
        new Promise<void>((resolve, reject) => {
          this.socket.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, (err) => (err ? reject(err) : resolve()));
        }),
    );
  }

  /** Reads the next reply and checks it: a string must equal it, a RegExp must match it. */
  expect(want: string | RegExp, ms = 5000): this {
    return this.step(async () => {
      const got = await this.readReply(ms);
      const ok = typeof want === 'string' ? got === want : want.test(got);
      if (!ok) throw new Error(`Expected reply ${String(want)}, got ${JSON.stringify(got)}`);
      return got;
    });
  }

  /** Reads the greeting and sends EHLO (its 250 reply is checked loosely). */
  hello(name = 'c.test'): this {
    return this.expect(/^220 /).send(`EHLO ${name}`).expect(/^250[ -]/);
  }

  /** Waits until the server closes the connection; fails if more than whitespace arrives first. */
  expectClosed(ms = 5000): this {
    return this.step(async () => {
      await this.waitFor(() => this.eof, ms, 'the server to close').catch((err: Error) => {
        if (!this.eof) throw err;
      });
      if (this.buf.toString('latin1').trim() !== '') throw new Error(`Unexpected data before close: ${JSON.stringify(this.buf.toString('latin1'))}`);
    });
  }

  /** Upgrades to TLS (after the server's 220 to STARTTLS); certificates are not verified. */
  startTls(): this {
    return this.step(
      () =>
        new Promise<void>((resolve, reject) => {
          const plain = this.socket;
          plain.removeAllListeners('data').removeAllListeners('end').removeAllListeners('close').removeAllListeners('error');
          const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'localhost' });
          secure.once('secureConnect', () => resolve());
          secure.once('error', reject);
          this.socket = secure;
          this.buf = Buffer.alloc(0);
          this.listen(secure);
        }),
    );
  }

  /** The TLS socket's state (for assertions). */
  get encrypted(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  /** The SHA-256 fingerprint of the server's certificate, or null before TLS. */
  get peerFingerprint(): string | null {
    return this.encrypted ? (this.socket as TLSSocket).getPeerCertificate().fingerprint256 : null;
  }

  /** Closes the connection. */
  close(): void {
    this.socket.destroy();
  }
}
