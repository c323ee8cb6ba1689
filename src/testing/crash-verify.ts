/**
 * The verdict of the SMTP crash test (test/crash/): every mailbox and the queue of a stopped server's data
 * directory, compared with the clients' ledger (crash-load.ts).
 *
 * A stored copy is split at the first `\r\nMessage-ID: <` (every message of the load starts with that field):
 * before it must be the trace fields local delivery adds (Return-Path, Delivered-To naming the mailbox's owner,
 * Received); after it, the bytes exactly as sent.
 */
import { openStore } from '../app/index.js';
import { readAll } from '../store/contract-kit.js';
import type { Ledger, SentMessage } from './crash-load.js';
import { firstDifference } from './pop3-interop.js';

/** Everything that is wrong, by kind (each entry is one line for the report), and what is fine. */
export interface Verdict {
  /** Acknowledged, missing from a recipient's mailbox, and not in the queue either. */
  readonly lost: string[];
  /** Still in the queue (not delivered yet). */
  readonly queued: string[];
  /** A Message-ID present more than once in one mailbox. */
  readonly duplicates: string[];
  /** A stored message that is not in the ledger (or whose Message-ID cannot be found). */
  readonly unknown: string[];
  /** A copy in the mailbox of a user who was not a recipient. */
  readonly misdelivered: string[];
  /** A copy whose bytes after the trace fields differ from what was sent, or whose trace fields are wrong. */
  readonly corrupt: string[];
  /** Delivered although its final dot was never sent, or although the server refused it. */
  readonly neverAccepted: string[];
  /** Unacknowledged and delivered to some recipients only (and not queued for the others). */
  readonly partial: string[];
  /** Unacknowledged messages that were delivered (to all their recipients). */
  readonly unackedDelivered: number;
  /** Copies read from the mailboxes. */
  readonly copies: number;
}

const MARK = Buffer.from('\r\nMessage-ID: <', 'latin1');
const TRACE = /^Return-Path: <([^>\r\n]*)>\r\nDelivered-To: ([^\r\n]+)\r\nReceived: from [^\r\n]+\r\n(?:\t[^\r\n]*\r\n)+$/;

/**
 * Reads every mailbox of `users` and the queue in `dataDir` (the server must be stopped or idle) and compares them
 * with the ledger.
 *
 * @example
 * ```ts
 * const v = await verifyCrash(dataDir, ['ann@crash.test'], ledger);
 * assert.deepEqual(v.lost, []);
 * ```
 */
export async function verifyCrash(dataDir: string, users: readonly string[], ledger: Ledger): Promise<Verdict> {
  const v = {
    lost: [] as string[],
    queued: [] as string[],
    duplicates: [] as string[],
    unknown: [] as string[],
    misdelivered: [] as string[],
    corrupt: [] as string[],
    neverAccepted: [] as string[],
    partial: [] as string[],
    unackedDelivered: 0,
    copies: 0,
  };
  // Message-ID → the mailboxes holding it (with repetitions).
  const found = new Map<string, string[]>();
  const queuedIds = new Set<string>();
  const store = await openStore({ dataDir }, { create: false });
  try {
    for (const address of users) {
      const user = await store.users.get(address);
      if (!user) throw new Error(`No user ${address} in ${dataDir}`);
      const box = await store.mailbox(user.id);
      for await (const rec of box.list()) {
        v.copies++;
        const raw = await readAll(await box.open(rec.uid));
        const at = raw.indexOf(MARK);
        const idEnd = at < 0 ? -1 : raw.indexOf('>', at + MARK.length);
        if (at < 0 || idEnd < 0) {
          v.unknown.push(`${address} uid ${rec.uid}: no Message-ID; starts ${JSON.stringify(raw.toString('latin1', 0, 300))}`);
          continue;
        }
        const id = raw.toString('latin1', at + MARK.length, idEnd);
        const sent = ledger.messages.get(id);
        if (!sent) {
          v.unknown.push(`${address} uid ${rec.uid}: Message-ID <${id}> was never sent`);
          continue;
        }
        found.set(id, [...(found.get(id) ?? []), address]);
        if (!sent.rcpts.includes(address)) v.misdelivered.push(`<${id}> in ${address}, sent to ${sent.rcpts.join(', ')}`);
        const rest = raw.subarray(at + 2);
        if (!rest.equals(sent.bytes)) {
          v.corrupt.push(`<${id}> in ${address} uid ${rec.uid}: ${rest.length} bytes stored after the trace fields, ${sent.bytes.length} sent; ${firstDifference(rest, sent.bytes)}`);
        }
        const trace = TRACE.exec(raw.toString('latin1', 0, at + 2));
        if (!trace || trace[1] !== sent.from || trace[2] !== address) {
          v.corrupt.push(`<${id}> in ${address} uid ${rec.uid}: bad trace fields ${JSON.stringify(raw.toString('latin1', 0, at + 2))}`);
        }
      }
    }
    for (const item of await store.queue.list()) {
      const head = await readAll(await store.blobs.get(item.body, { start: 0, end: Math.min(item.body.size, 400) }));
      const m = /^Message-ID: <([^>]+)>/.exec(head.toString('latin1'));
      const open = item.rcpts.filter((r) => r.state === 'pending' || r.state === 'deferred').map((r) => `${r.address} ${r.state} after ${r.attempts} attempts${r.lastReply ? ` (${r.lastReply})` : ''}`);
      if (m) queuedIds.add(m[1]!);
      v.queued.push(`queue item ${item.id} <${m?.[1] ?? '?'}> created ${item.createdAt.toISOString()}: ${open.join('; ')}`);
    }
  } finally {
    await store.close();
  }

  for (const [id, boxes] of found) {
    const seen = new Set<string>();
    for (const b of boxes) {
      if (seen.has(b)) v.duplicates.push(`<${id}> is ${boxes.filter((x) => x === b).length} times in ${b} (${ledger.messages.get(id)!.outcome})`);
      seen.add(b);
    }
  }
  v.duplicates.splice(0, v.duplicates.length, ...new Set(v.duplicates));
  for (const m of ledger.messages.values()) {
    const boxes = new Set(found.get(m.id) ?? []);
    const missing = m.rcpts.filter((r) => !boxes.has(r));
    const where = (): string => `${describe(m)}: in ${[...boxes].join(', ') || 'no mailbox'}, missing from ${missing.join(', ')}`;
    if (m.outcome === 'acked') {
      if (missing.length > 0 && !queuedIds.has(m.id)) v.lost.push(where());
    } else if (m.outcome === 'unacked') {
      if (boxes.size > 0 && missing.length === 0) v.unackedDelivered++;
      else if (boxes.size > 0 && !queuedIds.has(m.id)) v.partial.push(where());
    } else if (boxes.size > 0) {
      v.neverAccepted.push(`${describe(m)}: delivered to ${[...boxes].join(', ')}`);
    }
  }
  return v;
}

function describe(m: SentMessage): string {
  return `<${m.id}> (${m.outcome}${m.reply ? `, "${m.reply}"` : ''}, to ${m.rcpts.join(', ')})`;
}
