/**
 * The SMTP server's limits (issue 3 §4), each with its default and the reply it produces. The server owns every
 * one of them (STYLE.md §1.3); a backend never checks a size or a count itself.
 */
import { resolveLimits } from '../../proto/index.js';

/** Every limit of the SMTP server. */
export interface SmtpLimits {
  /** Command line in octets including CRLF: 500 5.5.6 (RFC 5321 §4.5.3.1.4 allows raising 512). Default 4,096. */
  readonly maxLineBytes: number;
  /** AUTH command and SASL response lines: 500 5.5.6 (RFC 4954 §4 asks for at least 12,288). Default 12,288. */
  readonly maxAuthLineBytes: number;
  /** Message size, advertised with SIZE: 552 5.3.4 (RFC 1870). Default 25 MiB. */
  readonly maxMessageBytes: number;
  /** Recipients per transaction: 452 4.5.3 (RFC 5321 §4.5.3.1.8 requires at least 100). Default 1,000. */
  readonly maxRecipients: number;
  /** Error replies per session, then 421 4.7.0 and close (Postfix smtpd_hard_error_limit). Default 20. */
  readonly maxErrors: number;
  /** Open connections in total: 421 4.7.0 in the greeting. Default 1,000. */
  readonly maxConnections: number;
  /** Open connections per client (IPv4 address, IPv6 /64): 421 4.7.0 in the greeting. Default 20. */
  readonly maxConnectionsPerIp: number;
  /** Time for one command line or body read: 421 4.4.2 (RFC 5321 §4.5.3.2.7: 5 minutes). Default 300,000. */
  readonly commandTimeoutMs: number;
  /** Time for a whole session: 421 4.4.2. Default 3,600,000 (1 hour). */
  readonly sessionTimeoutMs: number;
  /** Minimum average DATA/BDAT rate in bytes per second (Postfix smtpd_min_data_rate): 421 4.4.2. Default 500. */
  readonly minDataRate: number;
  /** Delay before answering a failed AUTH (RFC 4954 §14 suggests slowing guessing). Default 2,000. */
  readonly authFailureDelayMs: number;
  /** AUTH failures per client within the window before a lockout (454 4.7.0). Default 10. */
  readonly authMaxFailures: number;
  /** The lockout window. Default 900,000 (15 minutes). */
  readonly authWindowMs: number;
}

/**
 * The defaults of issue 3 §4.
 *
 * @example
 * ```ts
 * defaultSmtpLimits.maxMessageBytes === 25 * 1024 * 1024;
 * ```
 */
export const defaultSmtpLimits: SmtpLimits = Object.freeze({
  maxLineBytes: 4096,
  maxAuthLineBytes: 12_288,
  maxMessageBytes: 25 * 1024 * 1024,
  maxRecipients: 1000,
  maxErrors: 20,
  maxConnections: 1000,
  maxConnectionsPerIp: 20,
  commandTimeoutMs: 300_000,
  sessionTimeoutMs: 3_600_000,
  minDataRate: 500,
  authFailureDelayMs: 2000,
  authMaxFailures: 10,
  authWindowMs: 900_000,
});

/**
 * The defaults with `partial` applied (proto's `resolveLimits`); throws when a value is not a positive integer
 * (minDataRate and authFailureDelayMs may be 0) or when maxAuthLineBytes is below maxLineBytes.
 *
 * @example
 * ```ts
 * resolveSmtpLimits({ maxRecipients: 100 }).maxRecipients === 100;
 * ```
 */
export function resolveSmtpLimits(partial: Partial<SmtpLimits> = {}): SmtpLimits {
  return resolveLimits('SMTP', defaultSmtpLimits, partial, ['minDataRate', 'authFailureDelayMs']);
}
