/**
 * Delivery status notifications (RFC 3461, RFC 3464, RFC 6522; STYLE.md §8): the reports the queue owes its
 * senders, built as multipart/report by the MIME composer and queued like any other message.
 */
export { buildDsn, DEFAULT_DSN_LIFETIME_MS, type BuiltDsn, type DsnBuildOptions } from './build-dsn.js';
export { createDsnSender, type DsnSenderOptions } from './dsn-sender.js';
export { dsnSubject, SUBJECT_DELAYED, SUBJECT_FAILED, SUBJECT_SUCCESS } from './dsn-text.js';
export { DEFAULT_MAX_FULL_BYTES as DEFAULT_DSN_MAX_FULL_BYTES } from './returned-original.js';
