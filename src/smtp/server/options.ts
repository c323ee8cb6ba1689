/**
 * The options of SmtpServer, as the daemon passes them.
 */
import type { AuthThrottle, AuthWithoutTls, Logger, TlsCredentials } from '../../proto/index.js';
import type { SmtpBackend } from './backend.js';
import type { SmtpLimits } from './limits.js';

export type { TlsCredentials } from '../../proto/index.js';

/** How the SMTP server runs. */
export interface SmtpServerOptions {
  /** This host's name, for the greeting, EHLO and 421 replies. */
  hostname: string;
  /** 'smtp' (MX, port 25), 'submission' (587) or 'submissions' (465, implicit TLS, RFC 8314). */
  service: 'smtp' | 'submission' | 'submissions';
  backend: SmtpBackend;
  /** STARTTLS is offered when present; required for 'submissions'. */
  tls?: TlsCredentials;
  /** Where AUTH is offered without TLS: 'never', 'loopback' clients only (default), or 'always'. */
  authWithoutTls?: AuthWithoutTls;
  /** Bare CR or LF in a message: 'reject' with 550 5.6.0 after the end of data (default), or 'normalize' to CRLF. */
  bareNewline?: 'reject' | 'normalize';
  /** Every limit of issue 3 §4; missing ones take their defaults. */
  limits?: Partial<SmtpLimits>;
  /** A pino-compatible logger; nothing is logged without one. */
  log?: Logger;
  /** Milliseconds since the epoch, for the AUTH lockout window (default Date.now). */
  now?: () => number;
  /** Require AUTH before MAIL (530 5.7.0). Default: true for 'submission' and 'submissions', false for 'smtp'. */
  requireAuth?: boolean;
  /** Refuse every command but EHLO, HELO, STARTTLS, RSET, NOOP, HELP and QUIT before TLS (530 5.7.0). Default false. */
  requireTls?: boolean;
  /**
   * Asked at MAIL with the declared SIZE (0 when none): false refuses with 452 4.3.1 (the daemon checks the free
   * space of its data directory, like Postfix's queue_minfree). Default: always true.
   */
  hasSpaceFor?: (bytes: number) => Promise<boolean>;
  /** Share one AUTH lockout between services (POP3 and SMTP); default: one per server. */
  authThrottle?: AuthThrottle;
}
