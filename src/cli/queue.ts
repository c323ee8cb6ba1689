/**
 * `postroom queue list|show|flush|retry|hold|release|delete`: the mail queue, like Postfix's mailq, postqueue
 * and postsuper. Each command takes `--config FILE` and `--data-dir DIR` to find the store, as `postroom start`
 * does, and works while the server runs; `flush` and `retry` also tell a running server (its control socket,
 * ../app/control.ts) to try the due recipients at once.
 *
 * Output: `list` prints one block per message like mailq (queue id with `!` when on hold, size, arrival time,
 * sender, then each recipient still to deliver with its state, attempts, last and next attempt, and the last
 * reply in parentheses) and a summary line; `--json` prints every field of every message (dates in ISO 8601).
 * `show` prints the envelope, every recipient (delivered and failed ones too) and the message's header.
 * Times are UTC. Text from messages and remote servers is printed with its control characters escaped.
 *
 * Exit codes: 0 done; 1 for an unknown queue id; 2 for usage and I/O errors. Every error is one line on standard
 * error. A server that cannot be told (other than "not running") is a warning, not a failure: the queue change is
 * made, and the server finds it at its next poll of the queue.
 */
import type { Command } from 'commander';
import type { CliIo } from './main.js';
import {
  deleteQueueItem,
  holdQueueItem,
  isOpenRcpt,
  listQueue,
  notifyDaemon,
  printable,
  retryQueue,
  showQueueItem,
  MAX_HEADER_BYTES,
  type Config,
  type QueueItem,
  type QueueItemDetail,
  type QueueRcpt,
} from '../app/index.js';

import { storeOptions, withStore, type SetCode, type StoreFlags } from './store-command.js';

/** A time as `2026-01-02T03:04:05Z` (UTC, whole seconds). */
function when(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** State, attempts, last and next attempt of a recipient (next only while it is still to deliver). */
function rcptState(r: QueueRcpt): string {
  const parts = [r.state, `${r.attempts} attempt(s)`];
  if (r.lastAttempt) parts.push(`last ${when(r.lastAttempt)}`);
  if (isOpenRcpt(r)) parts.push(`next ${when(r.nextAttempt)}`);
  return parts.join(', ');
}

/**
 * The `queue list` text: a mailq-style block per message and a summary line, or `Mail queue is empty`.
 *
 * @example
 * ```ts
 * io.out(formatQueueList(await listQueue(store)));
 * // -Queue ID----------- --Size-- ----Arrival Time---- -Sender/Recipient-------
 * // 0mk1x2y3z4a5b6c7d8e!      412 2026-01-02T03:04:05Z sender@remote.test
 * // (451 4.7.1 Greylisted, try again later)
 * //                                                    carl@far.test  deferred, 1 attempt(s), …
 * //
 * // -- 1 Kbytes in 1 Request.
 * ```
 */
export function formatQueueList(items: readonly QueueItem[]): string {
  if (items.length === 0) return 'Mail queue is empty\n';
  const idWidth = Math.max(10, ...items.map((i) => i.id.length + 1));
  const indent = ' '.repeat(idWidth + 1 + 8 + 1 + 20 + 1);
  const lines = [`${'-Queue ID-'.padEnd(idWidth, '-')} --Size-- ----Arrival Time---- -Sender/Recipient-------`];
  let bytes = 0;
  for (const item of items) {
    bytes += item.body.size;
    const from = item.envelope.from === '' ? '<>' : printable(item.envelope.from);
    lines.push(`${(item.id + (item.held ? '!' : '')).padEnd(idWidth)} ${String(item.body.size).padStart(8)} ${when(item.createdAt)} ${from}`);
    for (const r of item.rcpts.filter(isOpenRcpt)) {
      if (r.lastReply !== undefined) lines.push(`(${printable(r.lastReply)})`);
      lines.push(`${indent}${printable(r.address)}  ${rcptState(r)}`);
    }
    lines.push('');
  }
  // Postfix's summary: kilobytes rounded up, "Request" per message.
  lines.push(`-- ${Math.ceil(bytes / 1024)} Kbytes in ${items.length} Request${items.length === 1 ? '' : 's'}.`);
  return lines.join('\n') + '\n';
}

/**
 * The `queue show` text: envelope, every recipient with its delivery state, and the message's header.
 *
 * @example
 * ```ts
 * io.out(formatQueueItem(await showQueueItem(store, id)));
 * ```
 */
export function formatQueueItem({ item, header }: QueueItemDetail): string {
  const e = item.envelope;
  const c = e.client;
  const lines = [`queue id: ${item.id}${item.held ? ' (on hold)' : ''}`];
  lines.push(`size: ${item.body.size} bytes (${e.body}${e.smtputf8 ? ', SMTPUTF8' : ''})`);
  lines.push(`arrival: ${when(item.createdAt)}`);
  lines.push(`from: <${printable(e.from)}>`);
  if (e.envid !== undefined) lines.push(`envid: ${printable(e.envid)}`);
  if (e.ret !== undefined) lines.push(`ret: ${e.ret}`);
  const how = [c.protocol, ...(c.tls ? ['TLS'] : []), ...(c.user !== undefined ? [`user ${printable(c.user)}`] : [])].join(', ');
  lines.push(`received from: ${printable(c.helo)} [${printable(c.ip)}] with ${how}`);
  lines.push('recipients:');
  for (const r of item.rcpts) {
    lines.push(`  ${printable(r.address)}`);
    lines.push(`    state: ${rcptState(r)}`);
    const dsn = [...(r.notify ? [`notify ${r.notify.join(',')}`] : []), ...(r.orcpt !== undefined ? [`orcpt ${printable(r.orcpt)}`] : [])];
    if (dsn.length > 0) lines.push(`    dsn: ${dsn.join('; ')}`);
    if (r.lastReply !== undefined) lines.push(`    last reply: ${printable(r.lastReply)}`);
    if (r.remoteMta !== undefined) lines.push(`    remote MTA: ${printable(r.remoteMta)}`);
  }
  if (!header) lines.push('header: (the message cannot be read)');
  else {
    lines.push('header:');
    for (const l of header.text.split(/\r?\n/)) if (l !== '') lines.push(`  ${printable(l)}`);
    if (header.truncated) lines.push(`  (the header goes on: only the first ${MAX_HEADER_BYTES / 1024} KiB of the message were read)`);
  }
  return lines.join('\n') + '\n';
}

/** Tells the running server, and says what happened at the end of `done` (one line on standard output). */
async function tellServer(io: CliIo, config: Config, done: string): Promise<void> {
  try {
    const r = await notifyDaemon(config.dataDir);
    io.out(`${done}; ${r === 'notified' ? 'the running server was told' : 'no server is running (it will deliver at its next start)'}\n`);
  } catch (err) {
    io.out(`${done}\n`);
    io.err(`postroom: warning: cannot tell the running server: ${(err as Error).message} (it finds the change at its next queue poll)\n`);
  }
}

function registerRetry(queue: Command, io: CliIo, setCode: SetCode): void {
  storeOptions(queue.command('flush').description('make every deferred recipient due now and tell a running server (postqueue -f)')).action(async (o: StoreFlags) => {
    await withStore(io, setCode, o, false, async (store, config) => {
      const r = await retryQueue(store);
      await tellServer(io, config, `queue flushed: ${r.recipients} recipient(s) due now`);
      if (r.held.length > 0) io.err(`postroom: warning: ${r.held.length} message(s) on hold stay queued until released: ${r.held.join(', ')}\n`);
    });
  });
  storeOptions(queue.command('retry').description('make the deferred recipients of one message due now and tell a running server (postqueue -i)'))
    .argument('<id>', 'queue id (see postroom queue list)')
    .action(async (id: string, o: StoreFlags) => {
      await withStore(io, setCode, o, false, async (store, config) => {
        const r = await retryQueue(store, id);
        await tellServer(io, config, `retry ${id}: ${r.recipients} recipient(s) due now`);
        if (r.held.length > 0) io.err(`postroom: warning: ${id} is on hold: it stays queued until: postroom queue release ${id}\n`);
      });
    });
}

/**
 * Adds the `queue` command and its subcommands.
 *
 * @example
 * ```ts
 * registerQueue(program, io, (code) => (exitCode = code));
 * ```
 */
export function registerQueue(program: Command, io: CliIo, setCode: SetCode): void {
  const queue = program.command('queue').description('the mail queue: list, show, flush, retry, hold, release, delete (like mailq/postqueue)');
  storeOptions(queue.command('list').description('the queued messages and their recipients still to deliver (mailq)'))
    .option('--json', 'print JSON for scripts: every field of every message')
    .action(async (o: StoreFlags & { json?: boolean }) => {
      await withStore(io, setCode, o, false, async (store) => {
        const items = await listQueue(store);
        io.out(o.json ? JSON.stringify(items, null, 2) + '\n' : formatQueueList(items));
      });
    });
  storeOptions(queue.command('show').description('one message: envelope, every recipient, and its header'))
    .argument('<id>', 'queue id (see postroom queue list)')
    .option('--json', 'print JSON for scripts: { item, header }')
    .action(async (id: string, o: StoreFlags & { json?: boolean }) => {
      await withStore(io, setCode, o, false, async (store) => {
        const detail = await showQueueItem(store, id);
        io.out(o.json ? JSON.stringify(detail, null, 2) + '\n' : formatQueueItem(detail));
      });
    });
  registerRetry(queue, io, setCode);
  const hold = (verb: 'hold' | 'release', what: string, held: boolean): void => {
    storeOptions(queue.command(verb).description(what))
      .argument('<id>', 'queue id (see postroom queue list)')
      .action(async (id: string, o: StoreFlags) => {
        await withStore(io, setCode, o, false, async (store) => {
          await holdQueueItem(store, id, held);
          io.out(`${held ? 'held' : 'released'} queued message ${id}\n`);
        });
      });
  };
  hold('hold', 'keep a message in the queue without delivering it until released (postsuper -h)', true);
  hold('release', 'release a held message: the server delivers it at its next queue run (at once after: postroom queue retry ID)', false);
  storeOptions(queue.command('delete').description('remove a message from the queue, without delivery or DSN (postsuper -d)'))
    .argument('<id>', 'queue id (see postroom queue list)')
    .action(async (id: string, o: StoreFlags) => {
      await withStore(io, setCode, o, false, async (store) => {
        await deleteQueueItem(store, id);
        io.out(`deleted queued message ${id}\n`);
      });
    });
}
