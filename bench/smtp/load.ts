/**
 * One measured load: Postfix's `smtp-source` sends the messages, and the clock runs from just before its first
 * connect until the server's mailbox holds every message; used by `npm run bench:smtp` for every server alike.
 *
 * Guarantees: the server's CPU is sampled right before the first connect and right when the last message is
 * counted in the mailbox; every wait is bounded (no progress for `stallMs` fails the run).
 * Limits: the mailbox is polled (every 20 ms), so the end time is late by at most one poll plus the time of one
 * count.
 */
import { spawn } from 'node:child_process';
import { cpuSince, treeCpu, type Cpu } from '../common/proc.js';

/** What smtp-source sends. */
export interface LoadSpec {
  /** host:port of the server's SMTP service. */
  readonly target: string;
  readonly messages: number;
  readonly sessions: number;
  /** Body bytes per message (smtp-source -l; its few header lines come on top). */
  readonly bodyBytes: number;
  /** One connection per session for all its messages (smtp-source -d), or a new connection per message. */
  readonly reuseConnections: boolean;
  readonly recipient: string;
}

/** The measurements of one load. */
export interface LoadResult {
  /** From just before the first connect until smtp-source exited (every message got its 250). */
  readonly acceptSeconds: number;
  /** From just before the first connect until every message was counted in the mailbox. */
  readonly deliverSeconds: number;
  /** Messages accepted but not yet in the mailbox when smtp-source exited (the backlog delivery had to catch up on). */
  readonly backlogAtAccept: number;
  /** CPU of the server's process tree over the same interval as `deliverSeconds`. */
  readonly cpu: Cpu;
  readonly delivered: number;
}

/** The smtp-source command line for a load. */
export function smtpSourceArgs(spec: LoadSpec): string[] {
  return [
    ...(spec.reuseConnections ? ['-d'] : []),
    ...['-s', String(spec.sessions), '-m', String(spec.messages), '-l', String(spec.bodyBytes)],
    ...['-f', 'sender@client.bench.test', '-t', spec.recipient, '-M', 'client.bench.test', spec.target],
  ];
}

/** The load generator: Debian's postfix package installs it in /usr/sbin (BENCH_SMTP_SOURCE overrides). */
export const SMTP_SOURCE = process.env['BENCH_SMTP_SOURCE'] ?? '/usr/sbin/smtp-source';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The recipient's mailbox, as the benchmark sees it from outside the server. */
export interface Mailbox {
  /** The exact number of messages in the mailbox. */
  count(): number;
  /** A cheap lower bound of `count()`, polled every 20 ms; `count()` confirms once it reaches the goal. */
  progress(): number;
}

/** Runs smtp-source against a server whose processes descend from `serverPid` and which delivers into `mailbox`. */
export async function runLoad(spec: LoadSpec, serverPid: number, mailbox: Mailbox, stallMs = 60_000): Promise<LoadResult> {
  const before = mailbox.count();
  if (before !== 0) throw new Error(`Cannot start the load: the mailbox already holds ${before} messages`);
  const cpu0 = treeCpu(serverPid);
  const t0 = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
  const child = spawn(SMTP_SOURCE, smtpSourceArgs(spec), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  // Written by the child's events, read by the loop below.
  const client: { acceptSeconds: number | null; backlog: number; failure: string | null } = { acceptSeconds: null, backlog: 0, failure: null };
  child.on('error', (err) => (client.failure = `smtp-source did not start: ${err.message}`));
  child.on('exit', (code, signal) => {
    client.acceptSeconds = seconds();
    try {
      client.backlog = spec.messages - mailbox.count();
    } catch {
      // The run failed and the server is already stopped.
    }
    if (code !== 0) client.failure = `smtp-source exited with ${signal ?? code}: ${output.trim().slice(-500)}`;
  });
  let delivered = 0;
  let lastProgress = Date.now();
  let done = false;
  try {
    while (delivered < spec.messages) {
      if (client.failure) throw new Error(client.failure);
      if (Date.now() - lastProgress > stallMs) {
        throw new Error(`No delivery for ${stallMs / 1000} s: ${delivered} of ${spec.messages} messages in the mailbox`);
      }
      await sleep(20);
      let n = mailbox.progress();
      if (n >= spec.messages) n = mailbox.count(); // confirmed in the mailbox itself
      if (n !== delivered) lastProgress = Date.now();
      delivered = n;
    }
    done = true;
  } finally {
    // Only a failed run ends smtp-source here: a full mailbox may come before its last 250 is read (a server that
    // delivers before it answers), and it is waited for below.
    if (!done && client.acceptSeconds === null && child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM');
  }
  const deliverSeconds = seconds();
  const cpu = cpuSince(cpu0, treeCpu(serverPid));
  // smtp-source exits once it read the last 250 and sent QUIT; when the mailbox fills first, wait for it (bounded).
  for (let i = 0; i < 500 && client.acceptSeconds === null; i++) await sleep(20);
  if (client.failure) throw new Error(client.failure);
  if (client.acceptSeconds === null) throw new Error('smtp-source did not exit within 10 s of the last delivery');
  return { acceptSeconds: client.acceptSeconds, deliverSeconds, backlogAtAccept: client.backlog, cpu, delivered };
}
