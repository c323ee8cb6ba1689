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
 * The listener itself (accepting, counting, implicit TLS, the graceful close) is LineServer's (proto/line-server.ts);
 * this class adds the POP3 connection, its command table and its -ERR refusals.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AuthThrottle, LineServer, type PeerAddress } from '../../proto/index.js';
import { formatError, shuttingDown, tooManyConnections, type Pop3Error } from '../reply.js';
import { pop3Commands } from './commands/index.js';
import { Pop3Conn, type ConnContext } from './conn.js';
import { resolvePop3Limits } from './limits.js';
import type { Pop3ServerOptions } from './options.js';
import type { Pop3State } from './state.js';

/** A POP3 server on one listener. */
export class Pop3Server extends LineServer<Pop3State, Pop3Conn, Pop3Error> {
  private readonly ctx: ConnContext;

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
    const limits = resolvePop3Limits(opts.limits);
    super({
      limits,
      log: opts.log,
      tls: opts.tls,
      implicitTls: opts.service === 'pop3s',
      commands: pop3Commands,
      // Clients show an -ERR greeting's text and try again later.
      replies: { shuttingDown, tooManyConnections, format: formatError },
      handOff: opts.handOff ?? false,
    });
    const now = opts.now ?? Date.now;
    const throttle = opts.authThrottle ?? new AuthThrottle({ maxFailures: limits.authMaxFailures, windowMs: limits.authWindowMs, now });
    this.ctx = {
      hostname: opts.hostname,
      service: opts.service,
      backend: opts.backend,
      limits,
      log: this.log,
      throttle,
      authWithoutTls: opts.authWithoutTls ?? 'loopback',
      apop: opts.apop ?? false,
      now,
      secureContext: () => this.secureContext(),
    };
  }

  protected override open(stream: Socket | TLSSocket, peer: PeerAddress): Pop3Conn {
    return new Pop3Conn(stream, this.ctx, peer);
  }
}
