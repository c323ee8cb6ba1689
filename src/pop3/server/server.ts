/**
 * The POP3 server (RFC 1939 with RFC 2449 CAPA and response codes, RFC 2595 STLS, RFC 8314 implicit TLS,
 * RFC 5034 SASL, RFC 6856 UTF8): listens, counts connections, greets, and runs each session through the protocol
 * engine with the POP3 command table. Authentication, locking and storage are the backend's (Pop3Backend).
 *
 * Guarantees:
 * - Over the connection limits (per client, total), a new connection gets `-ERR [SYS/TEMP] Too many
 *   connections` in place of the greeting and is closed at once.
 * - `close()`: new connections get `-ERR [SYS/TEMP] Server shutting down`; idle sessions get it now and end
 *   without UPDATE (nothing is deleted unless the client sent QUIT); a command in progress (a RETR being sent,
 *   a QUIT committing) finishes, then the session gets the same reply; at the deadline every session still open
 *   is interrupted (a message being sent is cut off without its terminator) and shortly after destroyed. The
 *   listener closes last. Every maildrop is released exactly once.
 * - `setTls()` changes the certificate for new connections and new STLS upgrades only.
 * Limits: see Pop3Limits.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { AuthThrottle, ConnectionLimiter, runSession, silentLogger, type Logger } from '../../proto/index.js';
import { formatError, shuttingDown, tooManyConnections, type Pop3Error } from '../reply.js';
import { pop3Commands } from './commands/index.js';
import { Pop3Conn, type ConnContext } from './conn.js';
import { resolvePop3Limits } from './limits.js';
import type { Pop3Limits, Pop3ServerOptions, Pop3TlsCredentials } from './options.js';

/** A POP3 server on one listener. */
export class Pop3Server {
  private readonly server: Server;
  private readonly limits: Pop3Limits;
  private readonly log: Logger;
  private readonly limiter: ConnectionLimiter;
  private readonly ctx: ConnContext;
  private readonly conns = new Set<Pop3Conn>();
  private readonly runs = new Set<Promise<void>>();
  private readonly sockets = new Set<Socket>();
  private secure: SecureContext | null;
  private shutting = false;

  /**
   * Throws when the hostname is not printable ASCII (or holds "<" or ">", which would break the APOP
   * timestamp), when 'pop3s' has no certificate, or when a limit is invalid.
   *
   * @example
   * ```ts
   * const server = new Pop3Server({ hostname: 'pop.example', service: 'pop3', backend, tls: { key, cert } });
   * const addr = await server.listen(110, '0.0.0.0');
   * process.on('SIGTERM', () => server.close({ deadlineMs: 30_000 }));
   * ```
   */
  constructor(opts: Pop3ServerOptions) {
    if (!/^[\x21-\x7e]{1,255}$/.test(opts.hostname) || /[<>]/.test(opts.hostname)) {
      throw new Error(`Invalid POP3 hostname: ${JSON.stringify(opts.hostname)}`);
    }
    if (opts.service === 'pop3s' && !opts.tls) throw new Error('The pop3s service needs a TLS certificate and key');
    this.limits = resolvePop3Limits(opts.limits);
    this.log = opts.log ?? silentLogger;
    this.limiter = new ConnectionLimiter({ perClient: this.limits.maxConnectionsPerIp, total: this.limits.maxConnections });
    this.secure = opts.tls ? createSecureContext({ key: opts.tls.key, cert: opts.tls.cert }) : null;
    const now = opts.now ?? Date.now;
    const throttle = opts.authThrottle ?? new AuthThrottle({ maxFailures: this.limits.authMaxFailures, windowMs: this.limits.authWindowMs, now });
    this.ctx = {
      hostname: opts.hostname,
      service: opts.service,
      backend: opts.backend,
      limits: this.limits,
      log: this.log,
      throttle,
      authWithoutTls: opts.authWithoutTls ?? 'loopback',
      apop: opts.apop ?? false,
      now,
      secureContext: () => this.secure,
    };
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Open sessions. */
  get connections(): number {
    return this.conns.size;
  }

  /**
   * Starts listening; resolves to the bound address (port 0 picks a free port).
   *
   * @example
   * ```ts
   * const { port } = await server.listen(0, '127.0.0.1');
   * ```
   */
  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * Replaces the certificate (SIGHUP): new connections and new STLS upgrades use it.
   *
   * @example
   * ```ts
   * server.setTls({ key: readFileSync('key.pem'), cert: readFileSync('cert.pem') });
   * ```
   */
  setTls(tls: Pop3TlsCredentials): void {
    this.secure = createSecureContext({ key: tls.key, cert: tls.cert });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.log.info({ err: err.message, remote: socket.remoteAddress }, 'Socket error'));
    // An IPv4 client on a dual-stack listener arrives as ::ffff:a.b.c.d; the backend sees a.b.c.d.
    const remote = (socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    // RFC 8314 §3.3: on pop3s, TLS from the first byte.
    const implicitTls = this.ctx.service === 'pop3s' && this.secure !== null;
    const stream = implicitTls ? new TLSSocket(socket, { isServer: true, secureContext: this.secure! }) : socket;
    if (stream !== socket) stream.on('error', (err) => this.log.info({ err: err.message, remote }, 'TLS error'));
    if (this.shutting) return this.refuse(stream, shuttingDown());
    const release = this.limiter.acquire(remote);
    if (!release) {
      this.log.warn({ remote }, 'Connection refused: too many connections');
      return this.refuse(stream, tooManyConnections());
    }
    const conn = new Pop3Conn(stream, this.ctx, {
      remote,
      remotePort: socket.remotePort ?? 0,
      local: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      tls: implicitTls,
    });
    this.conns.add(conn);
    const run = runSession(conn, pop3Commands).finally(() => {
      release();
      this.conns.delete(conn);
      this.runs.delete(run);
    });
    this.runs.add(run);
  }

  /** Answers with -ERR in place of the greeting (clients show its text and try again later) and closes. */
  private refuse(stream: Socket | TLSSocket, err: Pop3Error): void {
    stream.end(formatError(err));
    setTimeout(() => stream.destroy(), 2000).unref();
  }

  /**
   * Stops the server gracefully (see the module header). Resolves when every session has ended (or been
   * destroyed) and the listener is closed.
   *
   * @example
   * ```ts
   * await server.close({ deadlineMs: 30_000 });
   * ```
   */
  async close(opts: { deadlineMs?: number } = {}): Promise<void> {
    const deadlineMs = opts.deadlineMs ?? 30_000;
    this.shutting = true;
    for (const c of this.conns) {
      c.draining = true;
      if (c.idle) c.abort(shuttingDown());
    }
    const settled = (ms: number): Promise<boolean> =>
      new Promise((resolve) => {
        if (this.runs.size === 0) return resolve(true);
        const timer = setTimeout(() => resolve(false), ms);
        void Promise.allSettled([...this.runs]).then(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    // Sessions that end start no new ones here, so waiting on the current set is enough.
    if (!(await settled(deadlineMs))) {
      this.log.warn({ sessions: this.conns.size }, 'Shutdown deadline reached: interrupting sessions');
      for (const c of this.conns) c.abort(shuttingDown());
      if (!(await settled(Math.min(2000, Math.max(100, deadlineMs))))) for (const c of this.conns) c.destroy();
    }
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
