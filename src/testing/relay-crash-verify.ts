/**
 * The verdict of the relay crash test (test/crash/relay-crash.test.ts, issue 5 §4): what an smtp-sink received
 * from a relaying postroom, compared with the load's ledger (crash-load.ts).
 *
 * Relaying is at least once (remote.ts, scheduler.ts): a kill after the next hop's `250` but before the settle
 * sends the message again, so copies beyond the first are counted, not failed. A record is split at the first
 * `\r\nMessage-ID: <` (every message of the load starts with that field): before it must be one `Received` field
 * (the relay's trace, RFC 5321 §4.4); after it, the bytes exactly as the load sent them.
 * Limits: the sink's dump has LF line ends (smtp-sink.ts QUIRK); the load's messages use CRLF only, so the
 * restored `data` is byte-exact.
 */
import type { Ledger, SentMessage } from './crash-load.js';
import type { SinkMessage } from './smtp-sink.js';
import { firstDifference } from './pop3-interop.js';

/** Everything that is wrong, by kind (one line each for the report), and the counts that are fine. */
export interface RelayVerdict {
  /** Acknowledged (250 after the dot) and never received by the sink for some recipient. */
  readonly lost: string[];
  /** Received although its final dot was never sent, or although the server refused it. */
  readonly neverAccepted: string[];
  /** Unacknowledged and received for some of its recipients only. */
  readonly partial: string[];
  /** A record whose bytes after the trace field differ from what was sent, or whose trace or envelope is wrong. */
  readonly corrupt: string[];
  /** A record for a recipient the message did not have, or with no known Message-ID. */
  readonly unknown: string[];
  /** Records (one per transaction) read from the sink. */
  readonly records: number;
  /** Acknowledged messages received (every recipient at least once). */
  readonly delivered: number;
  /** Unacknowledged messages received (every recipient). */
  readonly unackedDelivered: number;
  /** (message, recipient) copies beyond the first. */
  readonly duplicateCopies: number;
  /** Messages with at least one recipient received more than once. */
  readonly duplicatedMessages: number;
  /** The most copies one recipient of one message received. */
  readonly maxCopies: number;
  /** For each copy beyond the first: the index of the record that held the copy before it (its settle was lost). */
  readonly duplicateOf: number[];
  /** Up to 5 examples of duplicated messages, for the report. */
  readonly duplicateSamples: string[];
}

const MARK = Buffer.from('\r\nMessage-ID: <', 'latin1');
/** One Received field, folded over continuation lines, then the load's first field. */
const TRACE = /^Received: [^\r\n]+\r\n(?:[ \t][^\r\n]*\r\n)*$/;

const describe = (m: SentMessage): string => `<${m.id}> (${m.outcome}${m.reply ? `, "${m.reply}"` : ''}, to ${m.rcpts.join(', ')})`;

/**
 * Compares the sink's records with the ledger.
 *
 * @example
 * ```ts
 * const v = verifyRelay(await sink.messages(), ledger);
 * assert.deepEqual(v.lost, []);
 * ```
 */
export function verifyRelay(records: readonly SinkMessage[], ledger: Ledger): RelayVerdict {
  const v = {
    lost: [] as string[],
    neverAccepted: [] as string[],
    partial: [] as string[],
    corrupt: [] as string[],
    unknown: [] as string[],
    records: records.length,
    delivered: 0,
    unackedDelivered: 0,
    duplicateCopies: 0,
    duplicatedMessages: 0,
    maxCopies: 0,
    duplicateOf: [] as number[],
    duplicateSamples: [] as string[],
  };
  // Message-ID → recipient → copies received; and the record of each one's latest copy.
  const got = new Map<string, Map<string, number>>();
  const latest = new Map<string, number>();
  for (const [i, r] of records.entries()) {
    const at = r.data.indexOf(MARK);
    const idEnd = at < 0 ? -1 : r.data.indexOf('>', at + MARK.length);
    if (at < 0 || idEnd < 0) {
      v.unknown.push(`record ${i}: no Message-ID; starts ${JSON.stringify(r.data.toString('latin1', 0, 300))}`);
      continue;
    }
    const id = r.data.toString('latin1', at + MARK.length, idEnd);
    const sent = ledger.messages.get(id);
    if (!sent) {
      v.unknown.push(`record ${i}: Message-ID <${id}> was never sent`);
      continue;
    }
    const rest = r.data.subarray(at + 2);
    if (!rest.equals(sent.bytes)) {
      v.corrupt.push(`record ${i} <${id}>: ${rest.length} bytes after the trace field, ${sent.bytes.length} sent; ${firstDifference(rest, sent.bytes)}`);
    }
    if (!TRACE.test(r.data.toString('latin1', 0, at + 2))) {
      v.corrupt.push(`record ${i} <${id}>: not one Received field before the message: ${JSON.stringify(r.data.toString('latin1', 0, at + 2))}`);
    }
    if (r.from !== sent.from) v.corrupt.push(`record ${i} <${id}>: MAIL FROM <${r.from}>, sent from <${sent.from}>`);
    const byRcpt = got.get(id) ?? new Map<string, number>();
    got.set(id, byRcpt);
    for (const { to } of r.rcpts) {
      if (!sent.rcpts.includes(to)) v.unknown.push(`record ${i} <${id}>: RCPT TO <${to}>, sent to ${sent.rcpts.join(', ')}`);
      const copies = (byRcpt.get(to) ?? 0) + 1;
      byRcpt.set(to, copies);
      v.maxCopies = Math.max(v.maxCopies, copies);
      const key = `${id}\n${to}`;
      if (copies > 1) v.duplicateOf.push(latest.get(key)!);
      latest.set(key, i);
    }
  }
  for (const m of ledger.messages.values()) {
    const byRcpt = got.get(m.id);
    const missing = m.rcpts.filter((r) => !byRcpt?.has(r));
    const extra = [...(byRcpt?.values() ?? [])].reduce((n, c) => n + c - 1, 0);
    if (extra > 0) {
      v.duplicateCopies += extra;
      v.duplicatedMessages++;
      if (v.duplicateSamples.length < 5) v.duplicateSamples.push(`${describe(m)}: ${[...byRcpt!].map(([r, c]) => `${r} ×${c}`).join(', ')}`);
    }
    const where = (): string => `${describe(m)}: received for ${[...(byRcpt?.keys() ?? [])].join(', ') || 'nobody'}, missing ${missing.join(', ')}`;
    if (m.outcome === 'acked') {
      if (missing.length > 0) v.lost.push(where());
      else v.delivered++;
    } else if (m.outcome === 'unacked') {
      if (byRcpt && missing.length === 0) v.unackedDelivered++;
      else if (byRcpt) v.partial.push(where());
    } else if (byRcpt) {
      v.neverAccepted.push(`${describe(m)}: received for ${[...byRcpt.keys()].join(', ')}`);
    }
  }
  return v;
}
