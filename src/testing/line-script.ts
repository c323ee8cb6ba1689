/**
 * What the scripted SMTP and POP3 test clients (SmtpScript, Pop3Script) share: the connection, the step queue
 * (each call queues a step; awaiting the client runs the queue and resolves to the last reply read), bounded
 * waits for bytes, sending, STARTTLS/STLS, and a test fixture that listens on port 0 and closes everything after
 * the test. What a reply looks like (SMTP "ddd-" continuation lines, POP3 status lines and dot-ended bodies) is
 * the subclass's.
 *
 * Every wait is bounded (5 s by default), and a failed step rejects with what was received, so a test fails
 * instead of hanging.
 */
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** A connection being opened: the socket at once, and when it is ready. */
export interface Dialed {
  readonly socket: Socket | TLSSocket;
  /** Resolves when connected (after the handshake with TLS); rejects on error or after `timeoutMs`. */
  readonly connected: Promise<void>;
}

/**
 * Connects to 127.0.0.1:`port` (with implicit TLS when `tls` is set; certificates are not verified).
 *
 * @example
 * ```ts
 * const { socket, connected } = dial(port, { tls: true });
 * await connected;
 * socket.destroy();
 * ```
 */
export function dial(port: number, opts: { tls?: boolean; timeoutMs?: number } = {}): Dialed {
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
  return { socket, connected };
}

/**
 * A scripted client on one connection; the connection is the first step of its script. Subclasses read their
 * protocol's replies with `readRawLine()` and push what they read onto `replies`.
 *
 * @example
 * ```ts
 * const client = SmtpScript.open(port);               // a LineScript
 * await client.expect(/^220 /).send('QUIT').expect(/^221 /).expectClosed();
 * ```
 */
export abstract class LineScript implements PromiseLike<string> {
  /** Every reply read, in order. */
  readonly replies: string[] = [];
  private socket: Socket | TLSSocket;
  private buf: Buffer = Buffer.alloc(0);
  private eof = false;
  private wake: (() => void) | null = null;
  private chain: Promise<string>;
  private last = '';

  protected constructor({ socket, connected }: Dialed) {
    this.socket = socket;
    this.listen(socket);
    this.chain = connected.then(() => '');
  }

  /** Reads the protocol's next reply (what `expect` checks). */
  protected abstract readNext(ms: number): Promise<string>;

  private listen(socket: Socket | TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('end', () => ((this.eof = true), this.wake?.()));
    socket.on('close', () => ((this.eof = true), this.wake?.()));
    socket.on('error', () => ((this.eof = true), this.wake?.()));
  }

  /** Queues a step; a string it returns becomes the value the script resolves to. */
  protected step(fn: () => Promise<string | void>): this {
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

  /** Reads one line as bytes, without its CRLF (or bare LF). */
  protected async readRawLine(ms: number, what = 'a line'): Promise<Buffer> {
    await this.waitFor(() => this.buf.includes(0x0a), ms, what);
    const lf = this.buf.indexOf(0x0a);
    const line = this.buf.subarray(0, lf > 0 && this.buf[lf - 1] === 0x0d ? lf - 1 : lf);
    this.buf = this.buf.subarray(lf + 1);
    return line;
  }

  /** Sends a line (CRLF is added). */
  send(line: string): this {
    return this.sendRaw(`${line}\r\n`);
  }

  /** Sends bytes as they are (a string as UTF-8). */
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
      const got = await this.readNext(ms);
      const ok = typeof want === 'string' ? got === want : want.test(got);
      if (!ok) throw new Error(`Expected ${String(want)}, got ${JSON.stringify(got)}`);
      return got;
    });
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

  /** Upgrades to TLS (after the server's go-ahead to STARTTLS or STLS); certificates are not verified. */
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

/** A server listening for one test, and scripted clients to it. */
export interface ScriptedServer<C extends LineScript> {
  readonly port: number;
  /** A scripted client, opened on first use (closed after the test). */
  readonly client: C;
  /** Opens another scripted client (closed after the test). */
  connect(opts?: { tls?: boolean }): C;
}

/** What `serveScripts` needs of a server: SmtpServer and Pop3Server have the same lifecycle. */
export interface TestableServer {
  listen(port: number, host: string): Promise<AddressInfo>;
  close(opts: { deadlineMs?: number }): Promise<void>;
}

/**
 * Starts `fixture.server` on 127.0.0.1:0 and returns the fixture with scripted clients made by `open` (with TLS
 * from the first byte when `implicitTls`); after the test, closes the clients, then the server.
 *
 * @example
 * ```ts
 * const { client, backend } = await serveScripts(t, { server, backend }, (port, o) => SmtpScript.open(port, o), false);
 * await client.expect(/^220 /);
 * ```
 */
export async function serveScripts<C extends LineScript, F extends { readonly server: TestableServer }>(
  t: TestContext,
  fixture: F,
  open: (port: number, opts: { tls?: boolean }) => C,
  implicitTls: boolean,
): Promise<F & ScriptedServer<C>> {
  const { server } = fixture;
  const { port } = await server.listen(0, '127.0.0.1');
  const clients: C[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await server.close({ deadlineMs: 200 });
  });
  const connect = (o: { tls?: boolean } = {}): C => {
    const c = open(port, { ...o, ...(implicitTls ? { tls: true } : {}) });
    clients.push(c);
    return c;
  };
  let first: C | null = null;
  return {
    ...fixture,
    port,
    connect,
    get client() {
      first ??= connect();
      return first;
    },
  };
}
