/**
 * What the SMTP server asks of the rest of the system (STYLE.md §5). The engine owns the protocol; the backend
 * owns policy and storage and never sees a socket. Throw SmtpError to refuse with a precise reply; any other
 * error becomes `451 4.3.0`.
 */
import type { Readable } from 'node:stream';

/** Who is connected. */
export interface ConnInfo {
  readonly id: string;
  /** The client's IP address. */
  readonly remote: string;
  readonly remotePort: number;
  /** The local address and port the connection arrived on. */
  readonly local: string;
  readonly localPort: number;
  readonly tls: boolean;
  readonly helo?: string;
  /** The authenticated user, after AUTH. */
  readonly user?: string;
  /** Which listener: 'smtp' (port 25, MX), 'submission' (587) or 'submissions' (465, implicit TLS). */
  readonly service: 'smtp' | 'submission' | 'submissions';
}

export type BodyType = '7BIT' | '8BITMIME' | 'BINARYMIME';

export interface MailOptions {
  readonly size?: number;
  readonly body?: BodyType;
  readonly smtputf8: boolean;
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  readonly requireTls: boolean;
}

export interface RcptOptions {
  readonly notify?: readonly ('NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY')[];
  /** `addr-type;address`, xtext decoded (RFC 3461 §4.2). */
  readonly orcpt?: string;
}

/** Called after EHLO/HELO; throw SmtpError to refuse the session. */
export interface SmtpBackend {
  newSession(conn: ConnInfo): Promise<SmtpSession>;
}

export interface SmtpSession {
  /** `from` is '' for the null sender <>. */
  mail(from: string, opts: MailOptions): Promise<void>;
  rcpt(to: string, opts: RcptOptions): Promise<void>;
  /**
   * Consume `body` (the message with CRLF line ends, dot-unstuffed) or throw. The engine enforces the size limit
   * and drains whatever is left. Resolve only when the message is durable; the result is the text of the 250 reply.
   */
  data(body: Readable, info: { size: number | null; bodyType: BodyType }): Promise<string | void>;
  /** RSET, a new MAIL after a finished transaction, a repeated EHLO. */
  reset(): Promise<void>;
  /** QUIT, disconnect, STARTTLS: always called exactly once. */
  close(): Promise<void>;
}

/** A SASL conversation driven by the engine (RFC 4954): challenges and responses are base64 on the wire. */
export interface SaslExchange {
  /** The initial response sent with the AUTH command, decoded; null when absent, empty Buffer for "=". */
  readonly initial: Buffer | null;
  /** Sends a 334 challenge and resolves to the decoded response; rejects with an SmtpError when the client cancels with "*" or sends invalid base64. */
  challenge(data: Buffer): Promise<Buffer>;
}

/** Optional add-on of a session that can authenticate; the engine checks for it with isAuthSession(). */
export interface SmtpAuthSession extends SmtpSession {
  mechanisms(): readonly string[];
  /** Resolves to the authenticated user name; throws SmtpError 535 5.7.8 on bad credentials. */
  authenticate(mech: string, sasl: SaslExchange): Promise<string>;
}

/** Whether a session supports AUTH. */
export function isAuthSession(s: SmtpSession): s is SmtpAuthSession {
  return typeof (s as Partial<SmtpAuthSession>).authenticate === 'function' && typeof (s as Partial<SmtpAuthSession>).mechanisms === 'function';
}
