/**
 * What a SASL mechanism decoder needs of the protocol (RFC 4422 §3): the optional initial response, and a way
 * to send a challenge and receive the client's response. SMTP's SaslExchange (RFC 4954) and POP3's AUTH
 * (RFC 5034) both fit this shape; base64 and cancellation ("*") are the protocol's business, not the decoder's.
 */

/** One SASL conversation, as seen by a mechanism. */
export interface SaslChannel {
  /** The initial response, decoded; null when none was sent, an empty Buffer for "=". */
  readonly initial: Buffer | null;
  /** Sends a challenge and resolves to the decoded response. */
  challenge(data: Buffer): Promise<Buffer>;
}

/** What a password mechanism yields. */
export interface SaslCredentials {
  /** The authorization identity ('' when the client asks to act as itself). */
  readonly authzid: string;
  /** The authentication identity (user name). */
  readonly user: string;
  readonly password: string;
}

/** The client's message does not follow the mechanism; the protocol answers it as a failed authentication. */
export class SaslMalformedError extends Error {
  override name = 'SaslMalformedError';
}

/** Longest identity or password accepted, in octets (RFC 4616 §2 requires at least 255). */
export const maxSaslFieldBytes = 1024;

/** Decodes one field: UTF-8, no NUL, 1..maxSaslFieldBytes octets (0 allowed when `optional`). */
export function saslField(bytes: Buffer, what: string, optional = false): string {
  if (bytes.length === 0 && optional) return '';
  if (bytes.length === 0) throw new SaslMalformedError(`Empty ${what}`);
  if (bytes.length > maxSaslFieldBytes) throw new SaslMalformedError(`The ${what} is longer than ${maxSaslFieldBytes} octets`);
  if (bytes.includes(0)) throw new SaslMalformedError(`NUL in the ${what}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SaslMalformedError(`The ${what} is not UTF-8`);
  }
}
