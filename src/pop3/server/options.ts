/**
 * The options and limits of Pop3Server, as the daemon passes them (the contract between pop3/server and app/).
 * Each limit has its default here and its reply in the server.
 */
import type { AuthThrottle, AuthWithoutTls, Logger, TlsCredentials } from '../../proto/index.js';
import type { Pop3Backend } from './backend.js';

/** A certificate and its key, PEM (the same shape as SMTP's). */
export type Pop3TlsCredentials = TlsCredentials;

/** Every limit of the POP3 server. */
export interface Pop3Limits {
  /** Command line in octets including CRLF (RFC 2449 §4: 255). Longer: `-ERR Line too long`, session goes on. Default 255. */
  readonly maxLineBytes: number;
  /** AUTH command and SASL response lines (RFC 5034 §4 lifts the 255 limit for AUTH). Default 12,288. */
  readonly maxAuthLineBytes: number;
  /** Inactivity before the session is closed without UPDATE (RFC 1939 §3: at least 10 minutes). Default 600,000. */
  readonly idleTimeoutMs: number;
  /** Whole session. Default 3,600,000 (1 hour). */
  readonly sessionTimeoutMs: number;
  /** Error replies per session, then `-ERR Too many errors` and close. Default 20. */
  readonly maxErrors: number;
  /** Open connections in total: `-ERR [SYS/TEMP]` greeting and close. Default 1,000. */
  readonly maxConnections: number;
  /** Open connections per client (IPv4 address, IPv6 /64). Default 20. */
  readonly maxConnectionsPerIp: number;
  /** Delay before answering a failed login (issue 4 §2). Default 2,000. */
  readonly authFailureDelayMs: number;
  /** Login failures per client within the window before `-ERR [LOGIN-DELAY]` and close. Default 10. */
  readonly authMaxFailures: number;
  /** The lockout window. Default 900,000 (15 minutes). */
  readonly authWindowMs: number;
}

/** How the POP3 server runs. */
export interface Pop3ServerOptions {
  /** This host's name, for the greeting and APOP timestamps. */
  hostname: string;
  /** 'pop3' (110, STLS offered when `tls` is set) or 'pop3s' (995, implicit TLS, RFC 8314; needs `tls`). */
  service: 'pop3' | 'pop3s';
  backend: Pop3Backend;
  tls?: Pop3TlsCredentials;
  /** Where USER/PASS and AUTH are allowed without TLS: 'never', 'loopback' clients only (default), or 'always'. */
  authWithoutTls?: AuthWithoutTls;
  /** Offer APOP (a timestamp in the greeting, RFC 1939 §7). Default false. */
  apop?: boolean;
  limits?: Partial<Pop3Limits>;
  /** A pino-compatible logger; nothing is logged without one. */
  log?: Logger;
  /** Milliseconds since the epoch, for the lockout window and timestamps (default Date.now). */
  now?: () => number;
  /** Share one login lockout between services (SMTP AUTH and POP3); default: one per server. */
  authThrottle?: AuthThrottle;
  /** Connections may be handed to other processes (`setHandOff`, POP3 worker processes). Default false. */
  handOff?: boolean;
}
