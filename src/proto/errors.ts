/**
 * The only errors whose text is sent to a client (STYLE.md §4). The engine sends a ProtocolError's message as
 * written; any other error is logged with the connection id and answered with a generic temporary failure, so no
 * internal error text, path or stack trace ever reaches the wire.
 */

/** An error meant for the client, with the protocol's own reply. */
export abstract class ProtocolError extends Error {
  /** True for a temporary failure (SMTP 4xx, POP3 [SYS/TEMP] …). */
  abstract readonly temporary: boolean;
  /** Close the connection after sending the reply (SMTP 421, too many errors …). */
  closeConnection = false;
}
