/**
 * A toy line protocol on proto's LineServer and LineConn, for testing them without SMTP or POP3 in the way. It
 * answers with POP3-style status lines ("+OK text", "-ERR text"), so Pop3Script can drive it.
 *
 * Commands: WHO (the client's address and whether TLS is on), STLS (the TLS upgrade), WAIT (busy until the
 * client's next line: a shutdown lets it finish; the deadline aborts it), HANG (busy for ever: only destroy ends
 * it), QUIT.
 */
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import {
  LineConn,
  LineConnInfo,
  LineServer,
  ProtocolError,
  type CommandTable,
  type LineServerOptions,
  silentLogger,
  type PeerAddress,
  type ProtocolErrors,
} from '../proto/index.js';

/** The toy's only state. */
export type ToyState = 'open';

/** A toy refusal: "-ERR text". */
export class ToyError extends ProtocolError {
  override name = 'ToyError';
  readonly temporary = true;
  constructor(text: string, close = false) {
    super(text);
    this.closeConnection = close;
  }
}

const toyErrors: ProtocolErrors<ToyState> = Object.freeze({
  unknownCommand: (verb: string) => new ToyError(`unknown ${verb}`),
  badSequence: (verb: string) => new ToyError(`${verb} out of sequence`),
  tlsRequired: () => new ToyError('tls first'),
  syncError: () => new ToyError('sync', true),
  lineTooLong: () => new ToyError('too long'),
  badLine: (why: string) => new ToyError(why),
  tooManyErrors: () => new ToyError('too many errors', true),
  timeout: () => new ToyError('timeout', true),
  internal: () => new ToyError('internal'),
});

/** The server is stopping; closes. */
const toyShuttingDown = (): ToyError => new ToyError('shutting down', true);

/** What the toy's connections share: their timeouts and the server's certificate. */
export interface ToyContext {
  readonly peerTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  secureContext(): SecureContext | null;
}

/**
 * One toy connection; it counts `releaseSession()` calls.
 *
 * @example
 * ```ts
 * const conn = new ToyConn(socket, { peerTimeoutMs: 1000, sessionTimeoutMs: 60_000, secureContext: () => null }, peer);
 * await runSession(conn, toyCommands);
 * ```
 */
export class ToyConn extends LineConn<ToyState> {
  override state: ToyState = 'open';
  override readonly info: LineConnInfo<'toy'>;
  /** In a command that a shutdown must let finish. */
  busy = false;
  /** How often the session was released. */
  released = 0;

  constructor(
    socket: Socket | TLSSocket,
    readonly ctx: ToyContext,
    peer: PeerAddress,
  ) {
    super(socket, {
      idTag: 't',
      errors: toyErrors,
      log: silentLogger,
      maxErrors: 5,
      maxCommandBytes: 512,
      reader: { maxLineBytes: 512, idleMs: 5000 },
      peerTimeoutMs: ctx.peerTimeoutMs,
      sessionTimeoutMs: ctx.sessionTimeoutMs,
    });
    this.info = new LineConnInfo(this.id, peer, 'toy');
  }

  /** Queues "+OK text". */
  ok(text: string): void {
    this.queue(`+OK ${text}\r\n`);
  }

  protected override queueGreeting(): void {
    this.ok('toy ready');
  }

  override mustStartTls(): boolean {
    return false;
  }

  override interruption(): ProtocolError | null {
    return this.draining && !this.busy ? toyShuttingDown() : null;
  }

  override sendError(err: ProtocolError): void {
    this.queue(`-ERR ${err.message}\r\n`);
  }

  protected override async releaseSession(): Promise<void> {
    this.released++;
  }

  /** STLS: "+OK go", then the handshake. */
  async startTls(): Promise<void> {
    const ctx = this.ctx.secureContext();
    if (!ctx) throw new ToyError('no tls');
    this.ok('go');
    await this.switchToTls(ctx);
  }
}

/** The toy's commands (see the module header). */
export const toyCommands: CommandTable<ToyState, ToyConn> = Object.freeze({
  WHO: { states: ['open'], run: async (c: ToyConn) => c.ok(`${c.info.remote} tls=${c.info.tls}`) },
  STLS: { states: ['open'], run: (c: ToyConn) => c.startTls() },
  WAIT: {
    states: ['open'],
    run: async (c: ToyConn) => {
      c.busy = true;
      try {
        c.ok('waiting');
        await c.flush();
        await c.reader.readLine();
        c.ok('done');
      } finally {
        c.busy = false;
      }
    },
  },
  HANG: {
    states: ['open'],
    run: async (c: ToyConn) => {
      c.busy = true;
      c.ok('hanging');
      await c.flush();
      await new Promise<never>(() => {});
    },
  },
  QUIT: { states: ['open'], run: async (c: ToyConn) => ((c.closing = true), c.ok('bye')) },
});

/**
 * A toy server: connection limits, TLS and logging as given; 1 s peer timeout, 60 s sessions unless given.
 *
 * @example
 * ```ts
 * const server = new ToyServer({ limits: { maxConnections: 10, maxConnectionsPerIp: 10 } });
 * const { port } = await server.listen(0, '127.0.0.1');
 * ```
 */
export class ToyServer extends LineServer<ToyState, ToyConn, ToyError> {
  private readonly ctx: ToyContext;

  constructor(
    opts: Partial<Pick<LineServerOptions<ToyState, ToyConn, ToyError>, 'limits' | 'log' | 'tls' | 'implicitTls'>> & {
      peerTimeoutMs?: number;
      sessionTimeoutMs?: number;
    } = {},
  ) {
    super({
      limits: opts.limits ?? { maxConnections: 100, maxConnectionsPerIp: 100 },
      log: opts.log,
      tls: opts.tls,
      implicitTls: opts.implicitTls ?? false,
      commands: toyCommands,
      replies: { shuttingDown: toyShuttingDown, tooManyConnections: () => new ToyError('too many connections', true), format: (e) => `-ERR ${e.message}\r\n` },
    });
    this.ctx = { peerTimeoutMs: opts.peerTimeoutMs ?? 1000, sessionTimeoutMs: opts.sessionTimeoutMs ?? 60_000, secureContext: () => this.secureContext() };
  }

  protected override open(stream: Socket | TLSSocket, peer: PeerAddress): ToyConn {
    return new ToyConn(stream, this.ctx, peer);
  }
}
