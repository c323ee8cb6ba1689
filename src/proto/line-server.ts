/**
 * The listener under every line-protocol server (SMTP, POP3): accepts connections, counts them, wraps them in TLS
 * on an implicit-TLS service (RFC 8314), runs each one through the protocol engine with the protocol's command
 * table, and stops gracefully. A protocol subclasses LineServer and makes its connections (SmtpServer,
 * Pop3Server); the replies that refuse a connection come from the protocol too, so nothing here knows a reply.
 *
 * Guarantees:
 * - Over the connection limits (per client, total), a new connection gets `replies.tooManyConnections()` in place
 *   of its greeting and is closed at once (destroyed 2 s later if the client does not close).
 * - `close()`: new connections get `replies.shuttingDown()`; each session is marked draining, and one waiting
 *   for a command that its protocol lets stop now (`interruption()`) is aborted with that reply; the others
 *   finish what they are doing and then stop by themselves. At the deadline every session still open is
 *   aborted with `replies.shuttingDown()`, and shortly after destroyed. The listener closes last.
 * - `setTls()` changes the certificate for new connections and new STARTTLS/STLS upgrades only.
 * - The backend sees an IPv4 client on a dual-stack listener as a.b.c.d, never ::ffff:a.b.c.d.
 * - With `handOff` (POP3 worker processes), an accepted connection counted within the limits may go to another
 *   process before a byte of it is read (the listener pauses new sockets), and stays counted until its `closed`
 *   is called; that process runs it with `adopt()`.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import type { CommandTable } from './command-table.js';
import { runSession } from './engine.js';
import type { ProtocolError } from './errors.js';
import type { LineConn, PeerAddress } from './line-conn.js';
import { ConnectionLimiter } from './limits.js';
import { silentLogger, type Logger } from './log.js';

/** A certificate and its key, PEM. */
export interface TlsCredentials {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
}

/**
 * Gives an accepted connection (not read from yet) to another process, or returns false to keep it here. `closed` is
 * to be called once, when that process is done with it (it releases the connection's place in the limits).
 */
export type HandOff = (socket: Socket, closed: () => void) => boolean;

/** The protocol's replies to a connection the server turns away, and how they go on the wire. */
export interface RefusalReplies<E extends ProtocolError> {
  /** The server is stopping (SMTP 421 4.3.2, POP3 -ERR [SYS/TEMP]); also what aborted sessions get. */
  shuttingDown(): E;
  /** Over the connection limits (SMTP 421 4.7.0, POP3 -ERR [SYS/TEMP]). */
  tooManyConnections(): E;
  /** The wire form of a refusal sent in place of the greeting. */
  format(err: E): string;
}

/** What a protocol tells LineServer about itself. */
export interface LineServerOptions<S extends string, C extends LineConn<S>, E extends ProtocolError> {
  /** Open connections in total, and per client (IPv4 address, IPv6 /64): the protocol's limits of these names. */
  readonly limits: { readonly maxConnections: number; readonly maxConnectionsPerIp: number };
  /** A pino-compatible logger; nothing is logged without one. */
  readonly log?: Logger | undefined;
  /** The certificate; STARTTLS/STLS and implicit TLS need one. */
  readonly tls: TlsCredentials | undefined;
  /** TLS from the first byte (RFC 8314 §3.3: submissions, pop3s). */
  readonly implicitTls: boolean;
  readonly commands: CommandTable<S, C>;
  readonly replies: RefusalReplies<E>;
  /** Whether `setHandOff` may be used: new sockets are then paused until a process takes them. */
  readonly handOff?: boolean;
}

/**
 * One listener for a line protocol (see the module header). Subclasses make the connection for each accepted
 * socket.
 *
 * @example
 * ```ts
 * // The whole of a protocol's server (src/testing/toy-line.ts has it all):
 * class ToyServer extends LineServer<'open', ToyConn, ToyError> {
 *   protected override open(stream: Socket | TLSSocket, peer: PeerAddress): ToyConn { return new ToyConn(stream, peer); }
 * }
 * const server = new ToyServer({ limits: { maxConnections: 100, maxConnectionsPerIp: 10 }, tls: undefined, implicitTls: false, commands, replies });
 * const { port } = await server.listen(0, '127.0.0.1');
 * await server.close({ deadlineMs: 30_000 });
 * ```
 */
export abstract class LineServer<S extends string, C extends LineConn<S>, E extends ProtocolError> {
  protected readonly log: Logger;
  private readonly server: Server;
  private readonly limiter: ConnectionLimiter;
  private readonly implicitTls: boolean;
  private readonly commands: CommandTable<S, C>;
  private readonly replies: RefusalReplies<E>;
  private readonly conns = new Set<C>();
  private readonly runs = new Set<Promise<void>>();
  private readonly sockets = new Set<Socket>();
  private secure: SecureContext | null;
  private shutting = false;
  private handOff: HandOff | null = null;
  private readonly paused: boolean;

  protected constructor(opts: LineServerOptions<S, C, E>) {
    this.log = opts.log ?? silentLogger;
    this.limiter = new ConnectionLimiter({ perClient: opts.limits.maxConnectionsPerIp, total: opts.limits.maxConnections });
    this.secure = opts.tls ? createSecureContext({ key: opts.tls.key, cert: opts.tls.cert }) : null;
    this.implicitTls = opts.implicitTls;
    this.commands = opts.commands;
    this.replies = opts.replies;
    this.paused = opts.handOff === true;
    // Paused: a socket handed to another process must not be read here first (the bytes read would stay here).
    this.server = createServer({ pauseOnConnect: this.paused }, (socket) => this.accept(socket));
  }

  /**
   * Sets (or with null, clears) where accepted connections may go instead of this process. Needs `handOff: true`
   * in the options.
   */
  setHandOff(h: HandOff | null): void {
    if (!this.paused) throw new Error('setHandOff needs the handOff option');
    this.handOff = h;
  }

  /**
   * Runs a connection accepted by another process's listener, which counted it in its limits (so it is not
   * counted here); `done` is called once when its session ends (or at once, when it is refused).
   *
   * @example
   * ```ts
   * process.on('message', (m, socket) => server.adopt(socket as Socket, () => process.send!({ t: 'closed', id: m.id })));
   * ```
   */
  adopt(socket: Socket, done: () => void): void {
    this.accept(socket, once(done));
  }

  /** Makes the connection for an accepted socket (`stream` is the TLS socket on an implicit-TLS service). */
  protected abstract open(stream: Socket | TLSSocket, peer: PeerAddress): C;

  /** The current certificate (setTls replaces it), or null without TLS. */
  protected secureContext(): SecureContext | null {
    return this.secure;
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
   * Replaces the certificate (SIGHUP): new connections and new STARTTLS/STLS upgrades use it.
   *
   * @example
   * ```ts
   * server.setTls({ key: readFileSync('key.pem'), cert: readFileSync('cert.pem') });
   * ```
   */
  setTls(tls: TlsCredentials): void {
    this.secure = createSecureContext({ key: tls.key, cert: tls.cert });
  }

  /** Runs (or refuses, or hands off) an accepted socket; `adopted`: another process's listener counted it. */
  private accept(socket: Socket, adopted?: () => void): void {
    // An IPv4 client on a dual-stack listener arrives as ::ffff:a.b.c.d; the backend sees a.b.c.d.
    const remote = (socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    if (this.shutting) adopted?.();
    const release = this.shutting ? null : (adopted ?? this.limiter.acquire(remote));
    if (!adopted && release && this.handOff?.(socket, once(release))) return;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.log.info({ err: err.message, remote: socket.remoteAddress }, 'Socket error'));
    const implicitTls = this.implicitTls && this.secure !== null;
    const stream = implicitTls ? new TLSSocket(socket, { isServer: true, secureContext: this.secure! }) : socket;
    if (stream !== socket) stream.on('error', (err) => this.log.info({ err: err.message, remote }, 'TLS error'));
    // A paused plain socket is read from now on: by its connection, or read and dropped after a refusal (closing with
    // unread bytes would reset the connection and could lose the refusal). A TLS socket reads by itself.
    const resume = (this.paused || adopted) && stream === socket ? () => socket.resume() : () => {};
    if (this.shutting) return this.refuse(stream, this.replies.shuttingDown(), resume);
    if (!release) {
      this.log.warn({ remote }, 'Connection refused: too many connections');
      return this.refuse(stream, this.replies.tooManyConnections(), resume);
    }
    const conn = this.open(stream, {
      remote,
      remotePort: socket.remotePort ?? 0,
      local: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      tls: implicitTls,
    });
    resume();
    this.conns.add(conn);
    const run = runSession(conn, this.commands).finally(() => {
      release();
      this.conns.delete(conn);
      this.runs.delete(run);
    });
    this.runs.add(run);
  }

  /** Sends the protocol's refusal in place of the greeting and closes; a client that does not close is cut off after 2 s. */
  private refuse(stream: Socket | TLSSocket, err: E, resume: () => void): void {
    stream.end(this.replies.format(err));
    resume();
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
      // A session waiting for a command stops now, unless its protocol says it is in the middle of something.
      const stop = c.idle ? c.interruption() : null;
      if (stop) c.abort(stop);
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
      for (const c of this.conns) c.abort(this.replies.shuttingDown());
      if (!(await settled(Math.min(2000, Math.max(100, deadlineMs))))) for (const c of this.conns) c.destroy();
    }
    for (const s of this.sockets) s.destroy();
    // With connections handed to other processes, net.Server waits for those processes to close them; a process
    // killed meanwhile may never answer, so the wait is bounded.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadlineMs) + 10_000).unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** `fn`, run on the first call only. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
