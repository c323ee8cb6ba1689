/**
 * STLS (RFC 2595 §4): +OK, the TLS handshake, and the session goes on in AUTHORIZATION over TLS. Every plaintext
 * byte the client sent after the command is discarded (no command injection, CVE-2011-0411 class), and a USER
 * given before it is forgotten.
 * Refusals: arguments, TLS already active, no certificate or the implicit-TLS service (pop3s).
 */
import { badSequence, syntax, tlsUnavailable } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/** STLS. */
export async function stls(c: Pop3Conn, arg: string): Promise<void> {
  if (arg.trim() !== '') throw syntax('STLS takes no arguments');
  if (c.info.tls) throw badSequence('TLS already active');
  const ctx = c.ctx.service === 'pop3' ? c.ctx.secureContext() : null;
  if (!ctx) throw tlsUnavailable();
  await c.startTls(ctx);
}
