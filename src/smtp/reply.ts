/**
 * SMTP replies as errors (RFC 5321 §4.2, enhanced status codes RFC 3463 / RFC 2034).
 *
 * Guarantee: the class digit of the enhanced status code always comes from the reply code, so a 451 can never
 * carry 5.x.x (STYLE.md §4).
 */
import { ProtocolError } from '../proto/index.js';

/** X.subject.detail without the class digit (RFC 3463 §2). */
export type Status = readonly [subject: number, detail: number];

/** An SMTP reply that ends a command with a failure (or, with `closeConnection`, a 421). */
export class SmtpError extends ProtocolError {
  override name = 'SmtpError';
  constructor(
    readonly code: number,
    readonly status: Status | null,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  /** The enhanced status code, its class taken from `code`. */
  get enhanced(): string | null {
    return enhancedCode(this.code, this.status);
  }
  get temporary(): boolean {
    return Math.trunc(this.code / 100) === 4;
  }
}

/**
 * The enhanced status code of a reply (RFC 3463 §2, RFC 2034 §4): the class digit always comes from `code`, so
 * a 451 can never carry 5.x.x; null without a status.
 *
 * @example
 * ```ts
 * enhancedCode(451, [3, 0]) === '4.3.0';
 * enhancedCode(220, null) === null;
 * ```
 */
export function enhancedCode(code: number, status: Status | null): string | null {
  return status && `${Math.trunc(code / 100)}.${status.join('.')}`;
}

/**
 * Marks an SmtpError to close the connection after its reply: every 421, and a refusal after which the input
 * cannot be read in step (RFC 2920 §3.1 554; a BDAT whose chunk cannot be found).
 *
 * @example
 * ```ts
 * throw closing(syntax('expected BDAT size [LAST]'));
 * ```
 */
export function closing(err: SmtpError): SmtpError {
  err.closeConnection = true;
  return err;
}

/**
 * Formats a reply (RFC 5321 §4.2.1): every line but the last as `code-text`, the last as `code text`, each text
 * prefixed with the enhanced status code when there is one (RFC 2034 §4). Characters outside printable ASCII
 * become "?" so no reply can break the line protocol.
 *
 * @example
 * ```ts
 * formatReply(250, '2.1.0', 'Sender OK') === '250 2.1.0 Sender OK\r\n';
 * formatReply(250, null, ['mx.example', 'PIPELINING']) === '250-mx.example\r\n250 PIPELINING\r\n';
 * ```
 */
export function formatReply(code: number, enhanced: string | null, text: string | readonly string[]): string {
  const lines = typeof text === 'string' ? [text] : text.length > 0 ? text : [''];
  return lines
    .map((line, i) => {
      const clean = line.replace(/[^\x20-\x7e]/g, '?');
      const body = enhanced ? (clean ? `${enhanced} ${clean}` : enhanced) : clean;
      return `${code}${i === lines.length - 1 ? ' ' : '-'}${body}\r\n`;
    })
    .join('');
}

/**
 * Formats an SmtpError as its reply: code, enhanced status code, message.
 *
 * @example
 * ```ts
 * formatError(tooBig()) === '552 5.3.4 Message size exceeds fixed maximum message size\r\n';
 * ```
 */
export function formatError(err: SmtpError): string {
  return formatReply(err.code, err.enhanced, err.message);
}

// Reply constructors. The engine and the backends throw these; their texts are what the client reads.

/** 503 5.5.1: a command out of order (RFC 5321 §4.3.2). @example throw badSequence('send MAIL first'); */
export const badSequence = (why: string) => new SmtpError(503, [5, 1], `Bad sequence of commands: ${why}`);
/** 501 5.5.4: bad command arguments (RFC 5321 §4.2.2). @example throw syntax('EHLO requires a domain'); */
export const syntax = (why: string) => new SmtpError(501, [5, 4], `Syntax error: ${why}`);
/** 500 5.5.2: an unknown verb. @example throw unknownCommand('FOO'); */
export const unknownCommand = (verb = '') => new SmtpError(500, [5, 2], verb ? `Command not recognized: ${verb}` : 'Command not recognized');
/** 500 5.5.2: a command line with NUL or disallowed 8-bit bytes. @example throw badLine('NUL byte in command line'); */
export const badLine = (why: string) => new SmtpError(500, [5, 2], `Syntax error: ${why}`);
/** 500 5.5.6: a line over the limit (RFC 5321 §4.5.3.1.4, RFC 4954 §4). @example throw lineTooLong(); */
export const lineTooLong = () => new SmtpError(500, [5, 6], 'Line too long');
/** 502 5.5.1: a command this server does not offer. @example throw commandUnavailable('AUTH is not available'); */
export const commandUnavailable = (why = 'Command not available') => new SmtpError(502, [5, 1], why);
/** 552 5.3.4: over the message size limit (RFC 1870 §6). @example throw tooBig(); */
export const tooBig = () => new SmtpError(552, [3, 4], 'Message size exceeds fixed maximum message size');
/** 452 4.5.3: over the recipient limit (RFC 5321 §4.5.3.1.10). @example throw tooManyRecipients(); */
export const tooManyRecipients = () => new SmtpError(452, [5, 3], 'Too many recipients');
/** 530 5.7.0: submission without AUTH (RFC 4954 §6). @example throw authRequired(); */
export const authRequired = () => new SmtpError(530, [7, 0], 'Authentication required');
/** 535 5.7.8: bad credentials (RFC 4954 §6). @example throw authFailed(); */
export const authFailed = () => new SmtpError(535, [7, 8], 'Authentication credentials invalid');
/** 454 4.7.0: authentication could not be done now (RFC 4954 §6), also during a lockout. @example throw authTemporary(); */
export const authTemporary = (why = 'Temporary authentication failure') => new SmtpError(454, [7, 0], why);
/** 501 5.7.0: the client cancelled AUTH with "*" (RFC 4954 §4). @example throw authCancelled(); */
export const authCancelled = () => new SmtpError(501, [7, 0], 'Authentication cancelled');
/** 501 5.5.2: a SASL response that is not base64 (RFC 4954 §4). @example throw badBase64(); */
export const badBase64 = () => new SmtpError(501, [5, 2], 'Invalid base64 data');
/** 504 5.5.4: an unknown SASL mechanism (RFC 4954 §4). @example throw unknownMechanism(); */
export const unknownMechanism = () => new SmtpError(504, [5, 4], 'Unrecognized authentication mechanism');
/** 538 5.7.11: AUTH refused without TLS (RFC 4954 §6). @example throw encryptionRequired(); */
export const encryptionRequired = () => new SmtpError(538, [7, 11], 'Encryption required for requested authentication mechanism');
/** 530 5.7.0: the server requires STARTTLS first (RFC 3207 §4). @example throw tlsRequired(); */
export const tlsRequired = () => new SmtpError(530, [7, 0], 'Must issue a STARTTLS command first');
/** 454 4.7.0: STARTTLS not possible (RFC 3207 §4). @example throw tlsUnavailable(); */
export const tlsUnavailable = () => new SmtpError(454, [7, 0], 'TLS not available');
/** 451 4.3.0: the generic reply to an internal error (STYLE.md §4). @example throw tempFailure(); */
export const tempFailure = () => new SmtpError(451, [3, 0], 'Internal error, try again later');
/** 452 4.3.1: not enough disk space (RFC 3463). @example throw insufficientStorage(); */
export const insufficientStorage = () => new SmtpError(452, [3, 1], 'Insufficient system storage');
/** 421 4.3.2: shutting down; closes (RFC 5321 §3.8). @example throw shuttingDown('mx.example'); */
export const shuttingDown = (host?: string) => closing(new SmtpError(421, [3, 2], `${host ? `${host} ` : ''}Service shutting down, closing connection`));
/** 421 4.7.0: over the connection limits; closes. @example throw tooManyConnections('mx.example'); */
export const tooManyConnections = (host?: string) => closing(new SmtpError(421, [7, 0], `${host ? `${host} ` : ''}Too many connections, try again later`));
/** 421 4.7.0: too many errors in one session; closes. @example throw tooManyErrors(); */
export const tooManyErrors = () => closing(new SmtpError(421, [7, 0], 'Too many errors, closing connection'));
/** 421 4.4.2: a read timed out (RFC 5321 §4.5.3.2); closes. @example throw timeout(); */
export const timeout = () => closing(new SmtpError(421, [4, 2], 'Timeout, closing connection'));
/** 554 5.5.0: input sent before a reply the client had to wait for (RFC 2920 §3.1); closes. @example throw syncError(); */
export const syncError = () => closing(new SmtpError(554, [5, 0], 'Protocol synchronization error: input sent before the reply'));
/** 550 5.6.0: bare CR or LF in a message (RFC 5321 §2.3.8). @example throw bareNewline(); */
export const bareNewline = () => new SmtpError(550, [6, 0], 'Message contains bare CR or LF line ends');
/** 555 5.5.4: an unknown MAIL/RCPT parameter (RFC 5321 §4.1.1.11). @example throw unsupportedParameter('FOO'); */
export const unsupportedParameter = (name: string) => new SmtpError(555, [5, 4], `Unsupported parameter: ${name}`);
/** 501 5.1.7: a malformed sender address (RFC 3463). @example throw badSender('missing domain'); */
export const badSender = (why: string) => new SmtpError(501, [1, 7], `Bad sender address syntax: ${why}`);
/** 501 5.1.3: a malformed recipient address (RFC 3463). @example throw badRecipient('missing domain'); */
export const badRecipient = (why: string) => new SmtpError(501, [1, 3], `Bad recipient address syntax: ${why}`);
/** 553 5.6.7: a non-ASCII address without SMTPUTF8 (RFC 6531 §3.5). @example throw utf8Required(); */
export const utf8Required = () => new SmtpError(553, [6, 7], 'Non-ASCII address requires SMTPUTF8');
/** 550 5.1.1: no such local user (policy). @example throw unknownUser(); */
export const unknownUser = () => new SmtpError(550, [1, 1], 'User unknown');
/** 554 5.7.1: a remote recipient without permission to relay (policy). @example throw relayDenied(); */
export const relayDenied = () => new SmtpError(554, [7, 1], 'Relay access denied');
/** 553 5.7.1: a sender the authenticated user does not own (policy). @example throw senderNotOwned(); */
export const senderNotOwned = () => new SmtpError(553, [7, 1], 'Sender address not owned by the authenticated user');
/** 554 5.4.6: a mail loop, too many Received fields (RFC 5321 §6.3). @example throw loopDetected(); */
export const loopDetected = () => new SmtpError(554, [4, 6], 'Too many Received header fields: mail loop');
