/**
 * STARTTLS (RFC 3207): 220, TLS handshake, then the session starts over in state 'connected' with nothing kept
 * from before (RFC 3207 §4.2): the EHLO name, the AUTH user and the backend session are dropped, and every
 * plaintext byte the client sent after the command is discarded (no command injection).
 * Refusals: arguments 501 5.5.4, TLS already active 503 5.5.1, no certificate 454 4.7.0.
 */
import { badSequence, syntax, tlsUnavailable } from '../../reply.js';
import type { SmtpConn } from '../conn.js';

/** STARTTLS. */
export async function starttls(c: SmtpConn, arg: string): Promise<void> {
  if (arg.trim() !== '') throw syntax('STARTTLS takes no arguments');
  if (c.info.tls) throw badSequence('TLS already active');
  const ctx = c.ctx.secureContext();
  if (!ctx) throw tlsUnavailable();
  await c.startTls(ctx);
}
