/**
 * EHLO (RFC 5321 §4.1.1.1) and the extensions it advertises: SIZE (RFC 1870), 8BITMIME (RFC 6152), PIPELINING
 * (RFC 2920), ENHANCEDSTATUSCODES (RFC 2034), SMTPUTF8 (RFC 6531), DSN (RFC 3461), CHUNKING (RFC 3030), STARTTLS
 * (RFC 3207) when a certificate is configured and TLS is not active, and AUTH (RFC 4954) when the session can
 * authenticate, the connection allows it (TLS, loopback or configured) and nobody is authenticated yet.
 * RFC 2034 §3: EHLO replies carry no enhanced status codes.
 */
import { isAuthSession } from '../backend.js';
import type { SmtpConn } from '../conn.js';
import { hello } from './hello.js';

/** The EHLO keywords for this connection, in the order they are sent. */
export function extensions(c: SmtpConn): string[] {
  const ext = ['PIPELINING', `SIZE ${c.ctx.limits.maxMessageBytes}`, '8BITMIME', 'ENHANCEDSTATUSCODES', 'SMTPUTF8', 'DSN', 'CHUNKING'];
  if (!c.info.tls && c.ctx.secureContext()) ext.push('STARTTLS');
  const s = c.session;
  if (s && isAuthSession(s) && c.authAllowed() && !c.info.user) {
    const mechs = s.mechanisms();
    if (mechs.length > 0) ext.push(`AUTH ${mechs.join(' ')}`);
  }
  return ext;
}

/** EHLO domain. */
export async function ehlo(c: SmtpConn, arg: string): Promise<void> {
  await hello(c, 'EHLO', arg);
  c.reply(250, null, [`${c.ctx.hostname} Hello ${c.info.helo ?? ''}`, ...extensions(c)]);
}
