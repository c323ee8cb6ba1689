/**
 * The SMTP client's contract (issue 5 §1): one connection to one next hop, any number of transactions on it.
 * The MTA's remote agent and the user agent's submission both use it; it knows nothing of queues or stores.
 *
 * Guarantees:
 * - Every wait is bounded by the RFC 5321 §4.5.3.2 timeouts (defaults below) and by `signal`.
 * - Replies read before STARTTLS completes are discarded (RFC 3207 §4.2); EHLO is sent again after TLS.
 * - The body is sent with CRLF line ends only (a bare CR or LF becomes CRLF) and dot-stuffed (DATA); BDAT is
 *   used when the peer offers CHUNKING. An 8-bit body to a peer without 8BITMIME is converted to 7-bit MIME
 *   (RFC 6152 §3) with the MIME library's `downgradeTo7bit`; a message that needs SMTPUTF8 to a peer without it
 *   is refused before MAIL with a permanent `SmtpClientError` (kind `smtputf8`).
 * - SIZE (RFC 1870): a message larger than the peer's advertised maximum is refused before MAIL (kind `size`,
 *   permanent) and SIZE= is declared in MAIL when offered.
 * - DSN parameters (NOTIFY, ORCPT, RET, ENVID) are sent only when the peer offers DSN (RFC 3461 §4); the result
 *   says whether it did (`dsn`), so the caller knows to report `relayed` for NOTIFY=SUCCESS.
 * - PIPELINING (RFC 2920): MAIL, every RCPT and DATA go in one write when offered; results stay per recipient.
 * - Errors never carry internal stack text into replies; an `SmtpClientError` says what failed, at which stage,
 *   with the peer's reply when there was one, and whether the failure is temporary.
 */
import type { Readable } from 'node:stream';

/** TLS policy of a connection. */
export type TlsMode =
  /** Plain text only, never STARTTLS. */
  | 'none'
  /** STARTTLS when offered, certificate not verified (RFC 7435 opportunistic security); plain otherwise. */
  | 'opportunistic'
  /** STARTTLS must succeed with a verified certificate for `servername`, else a temporary failure. */
  | 'required'
  /** TLS from the first byte (RFC 8314, port 465), verified. */
  | 'implicit';

/** RFC 5321 §4.5.3.2 timeouts, milliseconds. */
export interface ClientTimeouts {
  /** TCP (and TLS) connection set-up (default 30 s). */
  readonly connect: number;
  /** The 220 greeting (5 min). */
  readonly greeting: number;
  /** EHLO/HELO, STARTTLS, AUTH, RSET, QUIT replies (5 min). */
  readonly command: number;
  /** MAIL reply (5 min). */
  readonly mail: number;
  /** Each RCPT reply (5 min). */
  readonly rcpt: number;
  /** The 354 after DATA (2 min). */
  readonly dataInit: number;
  /** Each write of body data to drain (3 min). */
  readonly dataBlock: number;
  /** The reply after the final dot or last BDAT (10 min). */
  readonly dataEnd: number;
}

export const DEFAULT_CLIENT_TIMEOUTS: ClientTimeouts = {
  connect: 30_000,
  greeting: 300_000,
  command: 300_000,
  mail: 300_000,
  rcpt: 300_000,
  dataInit: 120_000,
  dataBlock: 180_000,
  dataEnd: 600_000,
};

/** How to reach and greet a next hop. */
export interface ClientOptions {
  /** IP address or host name to connect to (the caller resolves MX records; this may be an address). */
  readonly host: string;
  readonly port: number;
  /** The name to verify the certificate against and send as SNI (default: `host` when it is not an IP). */
  readonly servername?: string;
  /** Our name for EHLO/HELO. */
  readonly helo: string;
  /** TLS policy (default 'opportunistic', RFC 7435). */
  readonly tls?: TlsMode;
  /** Extra trusted CA certificates (PEM) for verified modes (tests use the peer's self-signed certificate). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /**
   * AUTH for smarthosts and submission (RFC 4954): the first of `mechanisms` (default PLAIN, then LOGIN) that the
   * peer offers.
   */
  readonly auth?: { readonly user: string; readonly pass: string; readonly mechanisms?: readonly ('PLAIN' | 'LOGIN')[] };
  /** Refuse to send credentials over a connection without TLS (default true). */
  readonly authRequiresTls?: boolean;
  readonly timeouts?: Partial<ClientTimeouts>;
  /**
   * EHLO keywords to treat as not offered (upper case, e.g. 'CHUNKING', 'PIPELINING'), like Postfix's
   * smtp_discard_ehlo_keywords: a way around a peer whose extension is broken.
   */
  readonly ignoreExtensions?: readonly string[];
  /** Source address to bind. */
  readonly localAddress?: string;
  /** Aborts every wait; the connection is destroyed. */
  readonly signal?: AbortSignal;
}

/** One recipient of a transaction, with its RFC 3461 parameters (sent only when the peer offers DSN). */
export interface ClientRcpt {
  readonly address: string;
  readonly notify?: readonly ('NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY')[];
  /** `addr-type;address` (decoded); encoded as xtext on the wire. */
  readonly orcpt?: string;
}

/** The envelope of one transaction. */
export interface ClientEnvelope {
  /** '' for the null sender. */
  readonly from: string;
  readonly rcpts: readonly ClientRcpt[];
  /** What the body is (RFC 6152 / RFC 3030); decides BODY= and whether a downgrade is needed. */
  readonly body: '7BIT' | '8BITMIME' | 'BINARYMIME';
  /** The message needs SMTPUTF8 (UTF-8 header fields, RFC 6531); a non-ASCII address in the envelope implies it. */
  readonly smtputf8: boolean;
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  /** Octets of the body as it will be sent (for SIZE=; omit when unknown). */
  readonly size?: number;
}

/** A reply of the peer (ClientReply, not Reply: smtp/index.ts exports the client beside the server's reply helpers). */
export interface ClientReply {
  readonly code: number;
  /** RFC 3463 enhanced status code of the first line, when present (`5.1.1`). */
  readonly enhanced?: string;
  /** The text of every line (without code and enhanced code), joined with a space. */
  readonly text: string;
  /** The text of each line (without code and enhanced code), in order: EHLO keywords are read from these. */
  readonly lines: readonly string[];
  /** The reply as received, lines joined with "\n" (for DSN Diagnostic-Code and logs). */
  readonly raw: string;
}

/** What happened to one recipient of a transaction. */
export interface ClientRcptResult {
  readonly address: string;
  /**
   * `accepted`: the peer took the message for this recipient (RCPT 2xx and the final reply 2xx). A recipient the
   * RCPT accepted but whose message the final reply (after the dot or BDAT LAST) refused is `temporary` or
   * `permanent` by that reply's class; so is one with no final reply because no recipient was accepted.
   */
  readonly outcome: 'accepted' | 'temporary' | 'permanent';
  /** The RCPT reply when it refused the recipient, else the final (end of data) reply. */
  readonly reply: ClientReply;
}

/** The outcome of one transaction. */
export interface SendResult {
  readonly rcpts: readonly ClientRcptResult[];
  /** Whether the peer offered DSN (so NOTIFY was passed on). */
  readonly dsn: boolean;
  /** Whether the body was converted to 7-bit for this peer. */
  readonly downgraded: boolean;
  /** The final reply (absent when no recipient was accepted and no data was sent). */
  readonly final?: ClientReply;
}

/** Where a failure happened. */
export type ClientStage = 'connect' | 'tls' | 'greeting' | 'ehlo' | 'auth' | 'mail' | 'rcpt' | 'data' | 'quit';

/** Why a connection or a transaction failed as a whole. */
export type ClientErrorKind =
  /** TCP/TLS connection could not be made or was lost. */
  | 'network'
  /** A timeout of ClientTimeouts ran out. */
  | 'timeout'
  /** The peer's reply refused the step (see `reply`). */
  | 'reply'
  /** The peer violated the protocol (unparsable reply, line too long). */
  | 'protocol'
  /** TLS required but not offered, failed, or the certificate did not verify. */
  | 'tls'
  /** AUTH refused or not offered while credentials were configured. */
  | 'auth'
  /** The message exceeds the peer's SIZE. */
  | 'size'
  /** The message needs SMTPUTF8 and the peer lacks it. */
  | 'smtputf8'
  /** `signal` aborted. */
  | 'aborted'
  /** The envelope cannot go on the wire as given (no recipients; a control character in an address); permanent. */
  | 'envelope'
  /** The body source (or its 7-bit conversion) failed; the connection was closed so no partial message is delivered. */
  | 'body';

/** A failure of the whole connection or transaction (per-recipient refusals are results, not errors). */
export class SmtpClientError extends Error {
  override name = 'SmtpClientError';
  constructor(
    readonly kind: ClientErrorKind,
    readonly stage: ClientStage,
    message: string,
    /** Retrying later may succeed (4xx replies, network, timeouts, TLS, body); false for 5xx, size, smtputf8, envelope. */
    readonly temporary: boolean,
    readonly reply?: ClientReply,
    /** `cause` for a body source's error or a socket error (logged, never part of `message`). */
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A body source: called once per attempt to send (a fresh stream each time). */
export type BodySource = () => Promise<Readable> | Readable;

/** An open, greeted (and, per policy, TLS-protected and authenticated) connection. */
export interface SmtpConnection {
  /** EHLO keywords (upper case) to their parameters ('' when none); empty after a HELO fallback. */
  readonly extensions: ReadonlyMap<string, string>;
  /** The peer's greeting host name (first word of the 220 line) and its address, for Remote-MTA. */
  readonly peer: { readonly name: string; readonly address: string; readonly port: number };
  /** Whether the connection is TLS-protected (STARTTLS or implicit), and whether the certificate verified. */
  readonly tls: { readonly on: boolean; readonly verified: boolean; readonly protocol?: string; readonly cipher?: string };
  /**
   * Sends one transaction. Per-recipient refusals are results, and so is a refusal in the final reply (it applies
   * to every recipient RCPT accepted); a refused MAIL, a refused DATA command (no 354) or a network failure
   * throws `SmtpClientError` (after which the connection is unusable unless `usable` is true).
   * After a transaction that ended in an error reply the client sends RSET before the next.
   * One transaction at a time: calling it again before the previous call settled throws.
   */
  send(envelope: ClientEnvelope, body: BodySource): Promise<SendResult>;
  /** Whether another transaction may be sent on this connection. */
  readonly usable: boolean;
  /** QUIT and close (never throws; bounded by the command timeout). */
  quit(): Promise<void>;
  /** Closes at once. */
  destroy(): void;
}

/** Connects, reads the greeting, EHLO (HELO fallback), STARTTLS per policy, AUTH when configured. */
export type Connect = (o: ClientOptions) => Promise<SmtpConnection>;
