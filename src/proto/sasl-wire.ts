/**
 * The protocol side of a SASL exchange (RFC 4422 §3), shared by SMTP AUTH (RFC 4954 §4) and POP3 AUTH (RFC 5034
 * §4): challenges go out base64-encoded in the protocol's own line, and each response line is "*" (the client
 * cancels) or strict base64 (base64-strict.ts), up to the protocol's AUTH line limit. An initial response of "="
 * is an empty one. The mechanism decoders (sasl/) see only decoded bytes.
 */
import { decodeBase64Strict } from './base64-strict.js';
import type { ProtocolError } from './errors.js';
import { ConnectionLostError, type LineReader } from './line-reader.js';
import type { SaslChannel } from './sasl/index.js';

/** What a protocol sends and answers during a SASL exchange. */
export interface SaslWire {
  /** The challenge line for the base64 text, CRLF included (SMTP "334 …", POP3 "+ …"). */
  challenge(base64: string): string;
  /** The reply to a response of "*". */
  cancelled(): ProtocolError;
  /** The reply to a response that is not strict base64. */
  badBase64(): ProtocolError;
  /** The longest response line, in octets including CRLF. */
  readonly maxLineBytes: number;
}

/** Decodes one response: "*" cancels, anything else must be strict base64. */
function decodeResponse(text: string, wire: SaslWire): Buffer {
  if (text === '*') throw wire.cancelled();
  const bytes = decodeBase64Strict(text);
  if (!bytes) throw wire.badBase64();
  return bytes;
}

/**
 * The SaslChannel of one exchange on a line connection: `initialText` is the initial response as sent with the
 * command (undefined when none), decoded at once, so a malformed one is refused before any challenge.
 *
 * @example
 * ```ts
 * const sasl = saslChannel(conn, 'AGFsaWNlAHNlY3JldA==', { challenge: (b) => `+ ${b}\r\n`, cancelled, badBase64, maxLineBytes: 12_288 });
 * sasl.initial; // Buffer '\0alice\0secret'
 * ```
 */
export function saslChannel(
  c: { queue(data: string): void; flush(): Promise<void> | undefined; readonly reader: LineReader },
  initialText: string | undefined,
  wire: SaslWire,
): SaslChannel {
  return {
    initial: initialText === undefined ? null : initialText === '=' ? Buffer.alloc(0) : decodeResponse(initialText, wire),
    async challenge(data: Buffer): Promise<Buffer> {
      c.queue(wire.challenge(data.toString('base64')));
      await c.flush();
      const line = await c.reader.readLine(wire.maxLineBytes);
      if (line === null) throw new ConnectionLostError();
      return decodeResponse(line.toString('latin1'), wire);
    },
  };
}
