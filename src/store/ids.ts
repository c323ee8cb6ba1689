/**
 * Identifiers shared by the backends: record ids, queue ids and mailbox UIDs.
 *
 * Guarantees: a UID is 1–70 printable ASCII characters (RFC 1939 §7 UIDL), made of the mailbox's random stamp
 * and its sequence number padded to 12 digits, so within one mailbox UIDs compare as strings in append order and
 * a mailbox deleted and created again never repeats an earlier UID (a POP3 client that leaves mail on the server
 * would otherwise skip new mail). Queue ids sort by creation time to the millisecond.
 */
import { randomBytes, randomUUID } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/**
 * `bytes` random bytes as lower-case hex, drawn from a pool filled 4 KiB at a time: one randomBytes() call per
 * message for two ids cost 2.5 % of the SMTP server's main thread under load.
 * @example randomHex(5) // 'a3f09c41be'
 */
export function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, bytes));
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/** A random record id (users, mailboxes). */
export function newId(): string {
  return randomUUID();
}

/** A queue id: base-36 milliseconds (sortable) and 40 random bits. */
export function newQueueId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}${randomHex(5)}`;
}

/** A mailbox's UID stamp: 8 random hex digits, fixed when the mailbox is created. */
export function newUidStamp(): string {
  return randomBytes(4).toString('hex');
}

/**
 * The UID of the `seq`-th message of a mailbox (seq counts from 1 and is never reused).
 * @example formatUid('5f3a9c01', 7) // '5f3a9c01-000000000007'
 */
export function formatUid(stamp: string, seq: number): string {
  return `${stamp}-${String(seq).padStart(12, '0')}`;
}
