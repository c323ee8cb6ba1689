/**
 * The client side of SMTP AUTH (RFC 4954) with the password mechanisms PLAIN (RFC 4616, sent as an initial
 * response) and LOGIN (draft-murchison-sasl-login: user name and password, each after a 334 challenge).
 *
 * Guarantees: credentials are never sent over a connection without TLS unless the caller allowed it; they never
 * appear in an error message. Errors are `auth` errors: a 5xx refusal is permanent (wrong credentials), a 4xx
 * temporary; a peer that offers none of the mechanisms, or a connection without TLS, is temporary (the
 * configuration or the peer may change; Postfix's smtp_sasl_auth_soft_bounce does the same).
 */
import { encodeBase64 } from '../../proto/index.js';
import { replyClass } from './ehlo.js';
import { SmtpClientError, type ClientTimeouts, type ClientReply } from './types.js';
import type { Wire } from './wire.js';

/** The credentials and the mechanisms to try, in order. */
export interface AuthCredentials {
  readonly user: string;
  readonly pass: string;
  readonly mechanisms?: readonly ('PLAIN' | 'LOGIN')[];
}

const b64 = (text: string): string => encodeBase64(Buffer.from(text, 'utf8'));

/**
 * Authenticates with the first mechanism of `creds.mechanisms` (default PLAIN, LOGIN) that the peer's AUTH
 * extension lists.
 *
 * @example
 * ```ts
 * await authenticate(wire, ext, { user: 'alice', pass: 'secret' }, { tls: true, requireTls: true, timeouts });
 * ```
 */
export async function authenticate(
  wire: Wire,
  ext: ReadonlyMap<string, string>,
  creds: AuthCredentials,
  o: { readonly tls: boolean; readonly requireTls: boolean; readonly timeouts: ClientTimeouts },
): Promise<void> {
  if (!o.tls && o.requireTls) throw new SmtpClientError('auth', 'auth', 'Refusing to send credentials over a connection without TLS', true);
  const offered = (ext.get('AUTH') ?? '').toUpperCase().split(/\s+/);
  const mech = (creds.mechanisms ?? ['PLAIN', 'LOGIN']).find((m) => ext.has('AUTH') && offered.includes(m));
  if (!mech) throw new SmtpClientError('auth', 'auth', 'The peer offers no usable AUTH mechanism', true);
  const ms = o.timeouts.command;
  let r: ClientReply;
  if (mech === 'PLAIN') {
    // RFC 4616 §2: [authzid] NUL authcid NUL passwd; RFC 4954 §4: the initial response goes with the command.
    r = await wire.command(`AUTH PLAIN ${b64(`\0${creds.user}\0${creds.pass}`)}`, 'auth', ms);
  } else {
    r = await wire.command('AUTH LOGIN', 'auth', ms);
    if (r.code === 334) r = await wire.command(b64(creds.user), 'auth', ms);
    if (r.code === 334) r = await wire.command(b64(creds.pass), 'auth', ms);
  }
  if (r.code === 235) return;
  if (r.code === 334) {
    // A challenge we have no answer for: cancel (RFC 4954 §4) and read the 501 that ends the exchange.
    await wire.command('*', 'auth', ms);
    throw new SmtpClientError('auth', 'auth', `AUTH ${mech}: unexpected challenge`, true, r);
  }
  throw new SmtpClientError('auth', 'auth', `AUTH ${mech} refused: ${r.code} ${r.text}`, replyClass(r.code) !== 5, r);
}
