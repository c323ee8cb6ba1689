/**
 * POP3 replies as errors (RFC 1939 §3: "-ERR text"; response codes RFC 2449 §8 and RFC 3206).
 *
 * A Pop3Error's message is what the client reads after "-ERR " (with its code in brackets first when it has
 * one); the engine sends nothing else of an error (STYLE.md §4). Every reply text is printable ASCII: anything
 * else is replaced with "?" by the formatters, so no text can break the line protocol.
 */
import { ProtocolError } from '../proto/index.js';

/** RFC 2449 §8 / RFC 3206 extended response codes. */
export type Pop3Code = 'IN-USE' | 'LOGIN-DELAY' | 'SYS/TEMP' | 'SYS/PERM' | 'AUTH' | 'UTF8';

/** A negative POP3 reply. */
export class Pop3Error extends ProtocolError {
  override name = 'Pop3Error';
  constructor(
    message: string,
    readonly code?: Pop3Code,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  /** IN-USE, LOGIN-DELAY and SYS/TEMP say "try again later" (RFC 3206 §4–5). */
  get temporary(): boolean {
    return this.code === 'IN-USE' || this.code === 'SYS/TEMP' || this.code === 'LOGIN-DELAY';
  }
}

/** A Pop3Error that closes the connection after its reply. */
function closing(err: Pop3Error): Pop3Error {
  err.closeConnection = true;
  return err;
}

/** Anything but printable ASCII (RFC 1939 §3: replies are printable ASCII). */
const NOT_PRINTABLE = /[^\x20-\x7e]/;
const NOT_PRINTABLE_ALL = new RegExp(NOT_PRINTABLE.source, 'g');
const DOT = 0x2e;

/** Printable ASCII only: a reply can never carry a line end or a control character. */
const clean = (text: string): string => text.replace(NOT_PRINTABLE_ALL, '?');

/**
 * Formats a positive status line (RFC 1939 §3).
 *
 * @example
 * ```ts
 * formatOk('2 320') === '+OK 2 320\r\n';
 * formatOk('') === '+OK\r\n';
 * ```
 */
export function formatOk(text: string): string {
  return text === '' ? '+OK\r\n' : `+OK ${clean(text)}\r\n`;
}

/**
 * Formats a negative status line, with the response code in brackets when the error has one (RFC 2449 §8).
 *
 * @example
 * ```ts
 * formatError(maildropInUse()) === '-ERR [IN-USE] Maildrop already locked by another session\r\n';
 * ```
 */
export function formatError(err: Pop3Error): string {
  return `-ERR ${err.code ? `[${err.code}] ` : ''}${clean(err.message)}\r\n`;
}

/**
 * Formats a multi-line response (RFC 1939 §3): the status line, each line byte-stuffed when it starts with
 * ".", then the terminating ".".
 *
 * @example
 * ```ts
 * formatMultiline('Capability list follows', ['TOP', 'UIDL']) === '+OK Capability list follows\r\nTOP\r\nUIDL\r\n.\r\n';
 * ```
 */
export function formatMultiline(first: string, lines: readonly string[]): string {
  // A few short lines (CAPA, AUTH's mechanisms): the listings of every message have formatListing.
  let out = formatOk(first);
  for (const line of lines) out += `${line.charCodeAt(0) === DOT ? '.' : ''}${clean(line)}\r\n`;
  return `${out}.\r\n`;
}

/**
 * Formats a listing (LIST's scan listing, RFC 1939 §5; UIDL's, §7): the status line, a line "n value" for each
 * message number n from 1 to `count` whose `valueOf(n)` is not undefined, then ".". A line starts with n's digits,
 * so it never needs byte-stuffing; a number value is digits too, and only a string value is checked (printable
 * ASCII, else cleaned as every reply text).
 * Why not formatMultiline: 10,000 lines go straight into one string, with no array of lines and no joins
 * (1.9 ms against 0.9 ms for LIST of 10,000 messages, reply bytes included).
 *
 * @example
 * ```ts
 * formatListing('2 messages', 3, (n) => (n === 2 ? undefined : 100 * n)) === '+OK 2 messages\r\n1 100\r\n3 300\r\n.\r\n';
 * ```
 */
export function formatListing(first: string, count: number, valueOf: (n: number) => number | string | undefined): string {
  let out = formatOk(first);
  for (let n = 1; n <= count; n++) {
    const v = valueOf(n);
    if (v === undefined) continue;
    out += `${n} ${typeof v === 'number' || !NOT_PRINTABLE.test(v) ? v : clean(v)}\r\n`;
  }
  return `${out}.\r\n`;
}

// Constructors the backend throws.

/** Wrong user name or password; the text never says which (no user enumeration). @example throw authFailed(); */
export const authFailed = (): Pop3Error => new Pop3Error('Authentication failed', 'AUTH');

/** Another session holds the maildrop (RFC 2449 §8.1.1). @example throw maildropInUse(); */
export const maildropInUse = (): Pop3Error => new Pop3Error('Maildrop already locked by another session', 'IN-USE');

/** A temporary failure of the store. @example throw temporaryFailure(); */
export const temporaryFailure = (what = 'Temporary failure, try again later'): Pop3Error => new Pop3Error(what, 'SYS/TEMP');

// The server's own replies. The engine and the commands throw these.

/** An unknown verb; the session goes on (RFC 2449 §3: clients probe). @example throw unknownCommand(); */
export const unknownCommand = (): Pop3Error => new Pop3Error('Unknown command');
/** A command in the wrong state (RFC 1939 §3). @example throw badSequence('Already logged in'); */
export const badSequence = (why: string): Pop3Error => new Pop3Error(why);
/** Bad arguments. @example throw syntax('TOP needs a message number and a line count'); */
export const syntax = (why: string): Pop3Error => new Pop3Error(`Syntax error: ${why}`);
/** A message number out of range or not a number (RFC 1939 §5). @example throw noSuchMessage(); */
export const noSuchMessage = (): Pop3Error => new Pop3Error('No such message');
/** A message marked deleted in this session (RFC 1939 §5 RETR, DELE). @example throw messageDeleted(3); */
export const messageDeleted = (n: number): Pop3Error => new Pop3Error(`Message ${n} already deleted`);
/** A command line over the limit (RFC 2449 §4: 255 octets); the session goes on. @example throw lineTooLong(); */
export const lineTooLong = (): Pop3Error => new Pop3Error('Line too long');
/** A NUL or a disallowed 8-bit byte in a command line. @example throw badLine('NUL byte in command line'); */
export const badLine = (why: string): Pop3Error => new Pop3Error(`Syntax error: ${why}`);
/** Sent after too many errors; closes. @example throw tooManyErrors(); */
export const tooManyErrors = (): Pop3Error => closing(new Pop3Error('Too many errors'));
/** Inactivity or session time limit (RFC 1939 §3: the server may close); closes. @example throw idleTimeout(); */
export const idleTimeout = (): Pop3Error => closing(new Pop3Error('Idle timeout'));
/** The generic reply to an internal error (STYLE.md §4). @example throw internalError(); */
export const internalError = (): Pop3Error => new Pop3Error('Internal error', 'SYS/TEMP');
/** Over the connection limits, in place of the greeting; closes. @example throw tooManyConnections(); */
export const tooManyConnections = (): Pop3Error => closing(new Pop3Error('Too many connections', 'SYS/TEMP'));
/** The server is stopping; closes. @example throw shuttingDown(); */
export const shuttingDown = (): Pop3Error => closing(new Pop3Error('Server shutting down', 'SYS/TEMP'));
/**
 * USER/PASS or AUTH without TLS where policy forbids it (RFC 2595 §4, RFC 3206 §5 AUTH: a policy refusal).
 * @example throw plaintextRefused(true);
 */
export const plaintextRefused = (stlsOffered: boolean): Pop3Error =>
  new Pop3Error(`Plaintext authentication is not allowed without TLS${stlsOffered ? '; use STLS' : ''}`, 'AUTH');
/**
 * Too many failed logins from this client; closes.
 * QUIRK: RFC 2449 §8.1.2 defines LOGIN-DELAY for logins that come too soon after a *successful* one; we also use
 * it for the failure lockout, as issue 4 §2 asks, because it is the code that tells a client to wait, not to
 * re-prompt for a password (which [AUTH] would).
 * @example throw loginDelay();
 */
export const loginDelay = (): Pop3Error => closing(new Pop3Error('Too many failed logins, try again later', 'LOGIN-DELAY'));
/** The client answered a SASL challenge with "*" (RFC 5034 §4). @example throw authCancelled(); */
export const authCancelled = (): Pop3Error => new Pop3Error('Authentication cancelled');
/** A SASL response that is not canonical base64 (RFC 5034 §4). @example throw badBase64(); */
export const badBase64 = (): Pop3Error => new Pop3Error('Invalid base64 data');
/** A SASL mechanism this server does not offer (RFC 5034 §4). @example throw unknownMechanism(); */
export const unknownMechanism = (): Pop3Error => new Pop3Error('Unrecognized authentication mechanism');
/** A command this server does not offer here (APOP when it is off). @example throw commandUnavailable('APOP not available'); */
export const commandUnavailable = (why: string): Pop3Error => new Pop3Error(why);
/** STLS without a certificate, or on the implicit-TLS service (RFC 2595 §4). @example throw tlsUnavailable(); */
export const tlsUnavailable = (): Pop3Error => new Pop3Error('TLS not available');
/** A command that needs TLS first (the engine asks; no POP3 command needs it today). @example throw tlsRequired(); */
export const tlsRequired = (): Pop3Error => new Pop3Error('Must issue STLS first', 'AUTH');
/** Input the client should have waited to send (the engine asks; no POP3 command needs it today); closes. @example throw syncError(); */
export const syncError = (): Pop3Error => closing(new Pop3Error('Protocol synchronization error'));
/** QUIT could not commit the deletions (RFC 1939 §6); the store keeps every message. @example throw commitFailed(); */
export const commitFailed = (): Pop3Error => new Pop3Error('Deleting messages failed, none were deleted', 'SYS/TEMP');
