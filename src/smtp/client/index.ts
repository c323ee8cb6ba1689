/**
 * The SMTP client (RFC 5321 with PIPELINING, SIZE, 8BITMIME, BINARYMIME, CHUNKING, SMTPUTF8, DSN, STARTTLS,
 * AUTH): `connect()` opens a greeted connection to one next hop; `send()` runs transactions on it with results
 * per recipient. Used by the MTA's remote delivery and by the user agent's submission; it knows nothing of
 * queues or stores.
 */
export * from './types.js';
export { connect } from './connect.js';
export { planTransaction, type TransactionPlan } from './plan.js';
export { parseEhlo } from './ehlo.js';
export { buildReply, parseReplyLine, MAX_REPLY_LINE_BYTES, MAX_REPLY_LINES, type ReplyLine } from './reply-reader.js';
export { BDAT_CHUNK_BYTES, BDAT_WINDOW } from './body.js';
