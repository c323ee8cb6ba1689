/**
 * A tiny scripted POP3 line client for conversation tests (STYLE.md §9): each call queues a step, and awaiting
 * the client runs the queue and resolves to the last status line read.
 *
 *   await client.expect(/^\+OK /).send('CAPA').expectMulti('+OK Capability list follows', ['TOP', …]);
 *
 * `expect` reads one line (without CRLF) and checks it: a string must equal it, a RegExp must match.
 * `expectMulti` reads a status line and, when it is +OK, the multi-line body up to "." (RFC 1939 §3),
 * un-byte-stuffed; `lastBody` keeps that body as bytes with its CRLF line ends. Every wait is bounded (5 s by
 * default), and a failed step rejects with what was received, so a test fails instead of hanging.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** A multi-line response as read. */
export interface MultiReply {
  readonly status: string;
  /** The lines after the status line, un-byte-stuffed, without line ends (empty for -ERR). */
  readonly lines: readonly string[];
  /** The same, as the bytes of the message: each line followed by CRLF. */
  readonly body: Buffer;
}

/** A scripted client on one connection. */
export class Pop3Script implements PromiseLike<string> {
  /** Every status line read, in order. */
  readonly replies: string[] = [];
  /** The body of the last multi-line response. */
  lastBody: Buffer = Buffer.alloc(0);
  private socket: Socket | TLSSocket;
  private buf: Buffer = Buffer.alloc(0);
  private eof = false;
  private wake: (() => void) | null = null;
  private chain: Promise<string>;
  private last = '';

  private constructor(socket: Socket | TLSSocket, connected: Promise<void>) {
    this.socket = socket;
    this.listen(socket);
    this.chain = connected.then(() => '');
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
    return new Pop3Script(socket, connected);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
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
      const unread = JSON.stringify(this.buf.subarray(0, 500).toString('latin1'));
      if (this.eof) throw new Error(`Connection closed while waiting for ${what}; unread: ${unread}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}; unread: ${unread}`);
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

  /** Reads one line as bytes, without its CRLF. */
  private async readRawLine(ms: number): Promise<Buffer> {
    await this.waitFor(() => this.buf.includes(0x0a), ms, 'a line');
    const lf = this.buf.indexOf(0x0a);
    const line = this.buf.subarray(0, lf > 0 && this.buf[lf - 1] === 0x0d ? lf - 1 : lf);
    this.buf = this.buf.subarray(lf + 1);
    return line;
  }

  /** Reads one status line. */
  async readLine(ms = 5000): Promise<string> {
    const line = (await this.readRawLine(ms)).toString('latin1');
    this.replies.push(line);
    return line;
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

  /** Reads the next line and checks it: a string must equal it, a RegExp must match it. */
  expect(want: string | RegExp, ms = 5000): this {
    return this.step(async () => {
      const got = await this.readLine(ms);
      const ok = typeof want === 'string' ? got === want : want.test(got);
      if (!ok) throw new Error(`Expected ${String(want)}, got ${JSON.stringify(got)}`);
      return got;
    });
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

  /** Waits until the server closes the connection; fails if more than whitespace arrives first. */
  expectClosed(ms = 5000): this {
    return this.step(async () => {
      await this.waitFor(() => this.eof, ms, 'the server to close').catch((err: Error) => {
        if (!this.eof) throw err;
      });
      if (this.buf.toString('latin1').trim() !== '') throw new Error(`Unexpected data before close: ${JSON.stringify(this.buf.toString('latin1'))}`);
    });
  }

  /** Upgrades to TLS (after the server's +OK to STLS); certificates are not verified. */
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

  /** True once the connection is TLS. */
  get encrypted(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  /** The SHA-256 fingerprint of the server's certificate, or null before TLS. */
  get peerFingerprint(): string | null {
    return this.encrypted ? (this.socket as TLSSocket).getPeerCertificate().fingerprint256 : null;
  }

  /** Closes the connection at once (no QUIT). */
  close(): void {
    this.socket.destroy();
  }
}
