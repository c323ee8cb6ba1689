/**
 * The connection under the SMTP client: writes with backpressure, replies read in order (ReplyReader), the
 * in-place STARTTLS upgrade (RFC 3207) and the rules that end a connection.
 *
 * Guarantees:
 * - Every wait is bounded: a write that fills the socket buffer waits for 'drain' at most the timeout given, a
 *   reply at most its own timeout; `signal` aborts any of them.
 * - The first failure wins and closes the connection: a timeout, a protocol violation, a lost connection, a
 *   421 reply (RFC 5321 §3.8: the server is closing) or the abort. Every later operation throws that failure,
 *   so the caller sees the cause, not a follow-on error.
 * - The TLS upgrade discards what the peer sent before the handshake (RFC 3207 §4.2, STARTTLS injection).
 */
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { ReplyReader } from './reply-reader.js';
import { SmtpClientError, type ClientStage, type ClientReply } from './types.js';

const CRLF = '\r\n';

/** A greeted or greeting connection: the socket, its reply queue and its failure state. */
export class Wire {
  private sock: Socket;
  private readonly replies: ReplyReader;
  private failure: SmtpClientError | null = null;
  private stage: ClientStage = 'connect';
  private socketError: Error | null = null;
  private readonly onAbort = (): void => {
    this.fail(new SmtpClientError('aborted', this.stage, 'Aborted', true, undefined, { cause: this.signal?.reason }));
  };

  /**
   * Takes over a connected socket (TCP, or TLS for implicit TLS).
   *
   * @example
   * ```ts
   * const wire = new Wire(socket, signal);
   * const greeting = await wire.read('greeting', 300_000);
   * ```
   */
  constructor(
    socket: Socket,
    private readonly signal?: AbortSignal,
  ) {
    this.sock = socket;
    this.guard(socket);
    this.replies = new ReplyReader(socket);
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
    // A long-lived signal must not keep a closed connection alive (the plain socket closes under TLS too).
    socket.once('close', () => signal?.removeEventListener('abort', this.onAbort));
  }

  /** The current socket (the TLS socket after STARTTLS). */
  get socket(): Socket {
    return this.sock;
  }

  /** False once the connection failed or was closed. */
  get usable(): boolean {
    return this.failure === null && !this.sock.destroyed;
  }

  private guard(s: Socket): void {
    s.on('error', (err) => (this.socketError ??= err));
  }

  /**
   * Closes the connection because of `err` (the first failure is kept and returned; later ones are dropped).
   *
   * @example
   * ```ts
   * throw wire.fail(new SmtpClientError('protocol', 'mail', 'Unexpected reply', true));
   * ```
   */
  fail(err: unknown): SmtpClientError {
    if (this.failure) return this.failure;
    this.failure =
      err instanceof SmtpClientError
        ? err
        : new SmtpClientError('network', this.stage, 'Connection failed', true, undefined, { cause: err });
    this.signal?.removeEventListener('abort', this.onAbort);
    this.replies.abort(this.failure);
    this.sock.destroy();
    return this.failure;
  }

  /** Throws when the connection can no longer be used. */
  private check(stage: ClientStage): void {
    this.stage = stage;
    if (this.failure) throw this.failure;
    if (this.sock.destroyed || !this.sock.writable) {
      throw this.fail(new SmtpClientError('network', stage, 'Connection closed', true, undefined, { cause: this.socketError }));
    }
  }

  /**
   * Writes bytes; when the socket buffer is full, waits for it to drain for at most `timeoutMs` (the
   * backpressure that keeps a streamed body out of memory).
   *
   * @example
   * ```ts
   * await wire.write(chunk, 'data', timeouts.dataBlock);
   * ```
   */
  async write(data: string | Buffer, stage: ClientStage, timeoutMs: number): Promise<void> {
    this.check(stage);
    if (this.sock.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)) return;
    await new Promise<void>((resolve, reject) => {
      const s = this.sock;
      const done = (err?: SmtpClientError): void => {
        clearTimeout(timer);
        s.off('drain', onDrain);
        s.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void =>
        done(this.fail(new SmtpClientError('network', stage, 'Connection lost while sending', true, undefined, { cause: this.socketError })));
      const timer = setTimeout(() => done(this.fail(new SmtpClientError('timeout', stage, `Timed out sending ${stage}`, true))), timeoutMs);
      s.on('drain', onDrain);
      s.on('close', onClose);
      if (s.destroyed) onClose();
    });
  }

  /**
   * The next reply in order (queued behind replies already asked for: pipelining). A 421 reply closes the
   * connection and throws a temporary `reply` error; any read failure closes it too.
   *
   * @example
   * ```ts
   * await wire.write('MAIL FROM:<>\r\nRCPT TO:<b@y.test>\r\n', 'mail', 300_000);
   * const [mail, rcpt] = [wire.read('mail', 300_000), wire.read('rcpt', 300_000)];
   * ```
   */
  read(stage: ClientStage, timeoutMs: number): Promise<ClientReply> {
    const p = this.replies.next(stage, timeoutMs, () => (this.stage = stage)).then(
      (reply) => {
        // RFC 5321 §3.8: 421 means the server is closing the transmission channel.
        if (reply.code === 421) throw this.fail(new SmtpClientError('reply', stage, `Service not available: ${reply.text}`, true, reply));
        return reply;
      },
      (err: unknown) => {
        throw this.fail(err);
      },
    );
    p.catch(() => undefined);
    return p;
  }

  /**
   * Sends one command line (CRLF is added) and reads its reply.
   *
   * @example
   * ```ts
   * const reply = await wire.command('RSET', 'mail', 300_000);
   * ```
   */
  async command(line: string, stage: ClientStage, timeoutMs: number): Promise<ClientReply> {
    await this.write(line + CRLF, stage, timeoutMs);
    return this.read(stage, timeoutMs);
  }

  /** True when a complete reply line has already arrived (a peer that replied early). */
  hasBufferedLine(): boolean {
    return this.failure === null && this.replies.hasBufferedLine();
  }

  /**
   * Starts TLS on the connection after the peer's 220 to STARTTLS; everything received before is discarded
   * (RFC 3207 §4.2). A failed handshake (or an unverified certificate with `rejectUnauthorized`) closes the
   * connection and throws a temporary `tls` error.
   *
   * @example
   * ```ts
   * const secure = await wire.startTls({ host: 'mx.example', servername: 'mx.example' }, 30_000);
   * ```
   */
  async startTls(opts: ConnectionOptions, timeoutMs: number): Promise<TLSSocket> {
    this.check('tls');
    const secure = tlsConnect({ ...opts, socket: this.sock });
    this.replies.upgrade(secure);
    this.sock = secure;
    this.guard(secure);
    await new Promise<void>((resolve, reject) => {
      const done = (err?: SmtpClientError): void => {
        clearTimeout(timer);
        secure.off('secureConnect', onSecure);
        secure.off('error', onError);
        secure.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onSecure = (): void => done();
      const onError = (err: Error): void =>
        done(this.fail(new SmtpClientError('tls', 'tls', `TLS handshake failed: ${errorCode(err)}`, true, undefined, { cause: err })));
      const onClose = (): void => done(this.fail(new SmtpClientError('tls', 'tls', 'Connection closed during the TLS handshake', true)));
      const timer = setTimeout(() => done(this.fail(new SmtpClientError('timeout', 'tls', 'Timed out in the TLS handshake', true))), timeoutMs);
      secure.on('secureConnect', onSecure);
      secure.on('error', onError);
      secure.on('close', onClose);
    });
    return secure;
  }

  /**
   * Closes the connection at once (no QUIT); later operations throw.
   *
   * @example
   * ```ts
   * wire.destroy();
   * ```
   */
  destroy(): void {
    this.fail(new SmtpClientError('network', this.stage, 'Connection closed by the client', true));
  }
}

/** A socket or TLS error's code (ECONNRESET, DEPTH_ZERO_SELF_SIGNED_CERT), never its stack. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}
