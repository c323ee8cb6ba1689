/**
 * What the POP3 server asks of the rest of the system (STYLE.md §5). The engine owns the protocol (states,
 * numbering, dot-stuffing, TOP cutting); the backend owns authentication, the maildrop lock and storage, and
 * never sees a socket. Throw Pop3Error to refuse with a precise reply; any other error becomes
 * `-ERR [SYS/TEMP] Internal error`.
 */
import type { Readable } from 'node:stream';

/** Who is connected. */
export interface Pop3ConnInfo {
  readonly id: string;
  /** The client's IP address. */
  readonly remote: string;
  readonly remotePort: number;
  readonly local: string;
  readonly localPort: number;
  readonly tls: boolean;
  /** 'pop3' (110, STLS) or 'pop3s' (995, implicit TLS, RFC 8314). */
  readonly service: 'pop3' | 'pop3s';
}

/** One message of a maildrop snapshot. */
export interface Pop3Message {
  /** The UIDL: unique in the maildrop forever, 1–70 characters 0x21–0x7E (RFC 1939 §7). */
  readonly uid: string;
  /** Octets as sent on the wire: CRLF line ends, before dot-stuffing (RFC 1939 §5 LIST). */
  readonly size: number;
  /**
   * Offset of the first body octet (just after the blank line that ends the header), from the stored part
   * index; lets TOP read the header as a byte range. Absent when unknown; the server checks it (an integer from 0
   * to `size`) and scans the header instead when it is absent or does not fit.
   */
  readonly bodyOffset?: number;
}

/**
 * An exclusive snapshot of one user's maildrop for one session (RFC 1939 §8): message numbers are positions in
 * `messages` and never change during the session.
 */
export interface Pop3Maildrop {
  /** The authenticated user's address. */
  readonly user: string;
  readonly messages: readonly Pop3Message[];
  /** Streams the message (CRLF line ends, not dot-stuffed), or a byte range of it (`end` exclusive). */
  open(uid: string, range?: { start: number; end: number }): Promise<Readable>;
  /**
   * Optional fast path for RETR of small messages: the whole message as buffers in order, or undefined when it is
   * too large to read whole (the server then uses `open`). Saves building a stream per message. `at`, when given,
   * is the message's position in `messages` (its number − 1): a hint that saves a look-up, checked against `uid`.
   */
  read?(uid: string, at?: number): Promise<readonly Buffer[] | undefined>;
  /**
   * Optional, with `read`: the whole message when it is already in memory (read ahead by an earlier `read`), taken
   * without waiting; otherwise undefined (then call `read`). Lets a pipelined RETR be answered in the same turn.
   * `at` as for `read`.
   */
  readReady?(uid: string, at?: number): readonly Buffer[] | undefined;
  /**
   * Removes the messages marked deleted, atomically (all or none) and durably before it resolves; called only on
   * QUIT in the TRANSACTION state (RFC 1939 §6). The server answers +OK only after it resolves.
   */
  commit(deleted: ReadonlySet<string>): Promise<void>;
  /** Releases the maildrop lock; always called exactly once, after commit or without it (dropped connection). */
  release(): Promise<void>;
}

/** Authentication and maildrop access. */
export interface Pop3Backend {
  /**
   * USER/PASS and SASL PLAIN/LOGIN: checks the password, locks the maildrop and takes the snapshot. Throws
   * Pop3Error 'AUTH' for bad credentials (never saying which part was wrong), 'IN-USE' when another session
   * holds the lock, 'SYS/TEMP' when the store fails.
   */
  login(user: string, password: string, conn: Pop3ConnInfo): Promise<Pop3Maildrop>;
  /**
   * APOP (RFC 1939 §7): `digest` is the lower-case hex MD5 of `timestamp` (the greeting's `<…>`, brackets
   * included) followed by the user's APOP secret. Throws Pop3Error 'AUTH' when the user has no APOP secret or
   * the digest does not match (compared in constant time), 'IN-USE' as login does.
   */
  apop(user: string, timestamp: string, digest: string, conn: Pop3ConnInfo): Promise<Pop3Maildrop>;
}
