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
 * The listener itself (accepting, counting, implicit TLS, the graceful close) is LineServer's (proto/line-server.ts);
 * this class adds the SMTP connection, its command table and its 421 replies.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AuthThrottle, LineServer, type PeerAddress } from '../../proto/index.js';
import { formatError, shuttingDown, tooManyConnections, type SmtpError } from '../reply.js';
import { smtpCommands } from './commands/index.js';
import { SmtpConn, type ConnContext } from './conn.js';
import { resolveSmtpLimits } from './limits.js';
import type { SmtpServerOptions } from './options.js';
import type { SmtpState } from './sequence.js';

/** An ESMTP server on one listener. */
export class SmtpServer extends LineServer<SmtpState, SmtpConn, SmtpError> {
  private readonly ctx: ConnContext;

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
    const limits = resolveSmtpLimits(opts.limits);
    super({
      limits,
      log: opts.log,
      tls: opts.tls,
      implicitTls: opts.service === 'submissions',
      commands: smtpCommands,
      replies: {
        shuttingDown: () => shuttingDown(opts.hostname),
        tooManyConnections: () => tooManyConnections(opts.hostname),
        // RFC 5321 §3.1: a 421 in place of the 220 greeting.
        format: formatError,
      },
    });
    const throttle =
      opts.authThrottle ?? new AuthThrottle({ maxFailures: limits.authMaxFailures, windowMs: limits.authWindowMs, ...(opts.now ? { now: opts.now } : {}) });
    this.ctx = {
      hostname: opts.hostname,
      service: opts.service,
      backend: opts.backend,
      limits,
      log: this.log,
      throttle,
      requireAuth: opts.requireAuth ?? opts.service !== 'smtp',
      requireTls: opts.requireTls ?? false,
      authWithoutTls: opts.authWithoutTls ?? 'loopback',
      bareNewline: opts.bareNewline ?? 'reject',
      hasSpaceFor: opts.hasSpaceFor ?? (async () => true),
      secureContext: () => this.secureContext(),
    };
  }

  protected override open(stream: Socket | TLSSocket, peer: PeerAddress): SmtpConn {
    return new SmtpConn(stream, this.ctx, peer);
  }
}
