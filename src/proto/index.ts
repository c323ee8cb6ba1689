/**
 * What the line protocols share (SMTP, POP3): the listener and the connection under both servers, the bounded
 * line reader, dot-stuffed bodies, the command engine, body streams with a size limit, SASL decoders and the
 * SASL exchange on the wire, strict base64, connection and authentication limits, where a password may be sent,
 * and ProtocolError, the only error whose text reaches a client.
 * Nothing here knows SMTP or POP3 replies: the protocols pass theirs in.
 */
export { ProtocolError } from './errors.js';
export { LineReader, LineTooLongError, ReadTimeoutError, ConnectionLostError, type LineReaderOptions, type BodyReader } from './line-reader.js';
export { DotDecoder, DotStuffer, dotStuff } from './dot-body.js';
export { LineEndScanner } from './line-ends.js';
export { BodyFeed, type BodyFeedOptions } from './body-feed.js';
export { splitCommand, type CommandSpec, type CommandTable } from './command-table.js';
export { FLUSH_AT, runSession, toProtocolError, type EngineConn, type ProtocolErrors } from './engine.js';
export { ConnectionLimiter, resolveLimits, type ConnectionLimits, type LineLimits } from './limits.js';
export { LineConn, LineConnInfo, type LineConnOptions, type PeerAddress } from './line-conn.js';
export { LineServer, type HandOff, type LineServerOptions, type RefusalReplies, type TlsCredentials } from './line-server.js';
export { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';
export { passwordAllowed, type AuthWithoutTls } from './auth-policy.js';
export { clientKey, isLoopback } from './client-key.js';
export { decodeBase64Strict, encodeBase64 } from './base64-strict.js';
export { saslChannel, type SaslWire } from './sasl-wire.js';
export { silentLogger, type Logger } from './log.js';
export * from './sasl/index.js';
