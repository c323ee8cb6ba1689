/**
 * The ESMTP server (RFC 5321 with SIZE, 8BITMIME, PIPELINING, ENHANCEDSTATUSCODES, STARTTLS, AUTH, SMTPUTF8,
 * DSN, CHUNKING): listens, counts connections, greets, and runs each session through the protocol engine with
 * the SMTP command table. Policy and storage are the backend's (SmtpBackend); this class never stores anything.
 *
 * Guarantees:
 * - Over the connection limits (per client, total), a new connection gets `421 4.7.0` and is closed at once.
 * - `close()`: new connections get `421 4.3.2`; idle sessions get `421 4.3.2` now; a session in a transaction
 *   finishes it (250 only after the backend's commit) and then gets `421 4.3.2`; at the deadline every session
 *   still open is interrupted (its body stream fails, so nothing half-received is acknowledged), and shortly
 *   after, destroyed. The listener closes last.
 * - `setTls()` changes the certificate for new connections and new STARTTLS upgrades only.
 * Limits: see SmtpLimits.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { AuthThrottle, ConnectionLimiter, runSession, silentLogger, type Logger } from '../../proto/index.js';
import { formatReply, shuttingDown, tooManyConnections, type SmtpError } from '../reply.js';
import { smtpCommands } from './commands/index.js';
import { SmtpConn, type ConnContext } from './conn.js';
import { resolveSmtpLimits, type SmtpLimits } from './limits.js';
import type { SmtpServerOptions, TlsCredentials } from './options.js';

/** An ESMTP server on one listener. */
export class SmtpServer {
  private readonly server: Server;
  private readonly limits: SmtpLimits;
  private readonly log: Logger;
  private readonly limiter: ConnectionLimiter;
  private readonly ctx: ConnContext;
  private readonly conns = new Set<SmtpConn>();
  private readonly runs = new Set<Promise<void>>();
  private readonly sockets = new Set<Socket>();
  private secure: SecureContext | null;
  private shutting = false;

  /**
   * @example
   * ```ts
   * const server = new SmtpServer({ hostname: 'mx.example', service: 'smtp', backend, tls: { key, cert } });
   * const addr = await server.listen(2525, '127.0.0.1');
   * process.on('SIGTERM', () => server.close({ deadlineMs: 30_000 }));
   * ```
   */
  constructor(opts: SmtpServerOptions) {
    if (!/^[\x21-\x7e]{1,255}$/.test(opts.hostname)) throw new Error(`Invalid SMTP hostname: ${JSON.stringify(opts.hostname)}`);
    if (opts.service === 'submissions' && !opts.tls) throw new Error('The submissions service needs a TLS certificate and key');
    this.limits = resolveSmtpLimits(opts.limits);
    this.log = opts.log ?? silentLogger;
    this.limiter = new ConnectionLimiter({ perClient: this.limits.maxConnectionsPerIp, total: this.limits.maxConnections });
    this.secure = opts.tls ? createSecureContext({ key: opts.tls.key, cert: opts.tls.cert }) : null;
    const throttle =
      opts.authThrottle ?? new AuthThrottle({ maxFailures: this.limits.authMaxFailures, windowMs: this.limits.authWindowMs, ...(opts.now ? { now: opts.now } : {}) });
    this.ctx = {
      hostname: opts.hostname,
      service: opts.service,
      backend: opts.backend,
      limits: this.limits,
      log: this.log,
      throttle,
      requireAuth: opts.requireAuth ?? opts.service !== 'smtp',
      requireTls: opts.requireTls ?? false,
      authWithoutTls: opts.authWithoutTls ?? 'loopback',
      bareNewline: opts.bareNewline ?? 'reject',
      hasSpaceFor: opts.hasSpaceFor ?? (async () => true),
      secureContext: () => this.secure,
    };
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Open sessions. */
  get connections(): number {
    return this.conns.size;
  }

  /** Starts listening; resolves to the bound address (port 0 picks a free port). */
  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Replaces the certificate (SIGHUP): new connections and new STARTTLS upgrades use it. */
  setTls(tls: TlsCredentials): void {
    this.secure = createSecureContext({ key: tls.key, cert: tls.cert });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.log.info({ err: err.message, remote: socket.remoteAddress }, 'Socket error'));
    // An IPv4 client on a dual-stack listener arrives as ::ffff:a.b.c.d; the backend sees a.b.c.d.
    const remote = (socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const implicitTls = this.ctx.service === 'submissions' && this.secure !== null;
    const stream = implicitTls ? new TLSSocket(socket, { isServer: true, secureContext: this.secure! }) : socket;
    if (stream !== socket) stream.on('error', (err) => this.log.info({ err: err.message, remote }, 'TLS error'));
    if (this.shutting) return this.refuse(stream, shuttingDown(this.ctx.hostname));
    const release = this.limiter.acquire(remote);
    if (!release) {
      this.log.warn({ remote }, 'Connection refused: too many connections');
      return this.refuse(stream, tooManyConnections(this.ctx.hostname));
    }
    const conn = new SmtpConn(stream, this.ctx, {
      remote,
      remotePort: socket.remotePort ?? 0,
      local: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      tls: implicitTls,
    });
    this.conns.add(conn);
    const run = runSession(conn, smtpCommands).finally(() => {
      release();
      this.conns.delete(conn);
      this.runs.delete(run);
    });
    this.runs.add(run);
  }

  /** Greets with a 421 and closes (RFC 5321 §3.1). */
  private refuse(stream: Socket | TLSSocket, err: SmtpError): void {
    stream.end(formatReply(err.code, err.enhanced, err.message));
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
      if (c.idle && !c.inTransaction()) c.abort(shuttingDown(this.ctx.hostname));
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
      for (const c of this.conns) c.abort(shuttingDown(this.ctx.hostname));
      if (!(await settled(Math.min(2000, Math.max(100, deadlineMs))))) for (const c of this.conns) c.destroy();
    }
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
