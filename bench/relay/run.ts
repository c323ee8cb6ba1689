/**
 * `npm run bench:relay`: postroom as a relay against Postfix as a relay, in the same run, under the same load
 * from Postfix's `smtp-source` (issue 5 §4). Not a test: numbers depend on the machine.
 *
 * For each message size (4 KiB, then 1 KiB): 10,000 messages to rcpt@remote.test over 20 sessions (smtp-source
 * -d, bench/smtp/load.ts) into a fresh server that relays them to its own smtp-sink (bench/relay/servers.ts). The
 * clock runs from just before smtp-source's first connect until it has its last 250 ("accepted") and until the
 * sink has counted every message ("relayed"). Server CPU is the server's process tree over the same interval
 * (bench/common/proc.ts; the sink is not in it, and its CPU is shown apart), also as CPU seconds per second
 * ("busy": far below the machine's cores means the server waits rather than computes), postroom's peak RSS is VmHWM. A
 * "sink alone" row sends the same load straight to an smtp-sink: the ceiling the sink itself sets.
 * After each load the server's queue must be empty and the sink must hold exactly the messages sent.
 * When postroom relays slower than Postfix (or BENCH_PROFILE=1), one more postroom run of the 4 KiB load under
 * `node --cpu-prof`, summarized by bench/common/profile.ts (its numbers are not in the tables).
 * Servers start cold for each load, each in a fresh temp directory, after `sync`. Postfix needs root; without it
 * the Postfix rows are skipped.
 * Options (environment): BENCH_MESSAGES (10000), BENCH_SESSIONS (20), BENCH_SIZES (4096,1024: body bytes per
 * load), BENCH_ROUNDS (1: more alternate the order and report each server's median round with the range),
 * BENCH_PROFILE (auto, 0 or 1), BENCH_NODE_ARGS (options for postroom's node, space-separated, e.g. `--import
 * ./experiment.mjs` to try a change without editing the product; shown in the header), BENCH_KEEP=1 keeps the
 * temp directory (logs, data, dumps).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, smtpSourceArgs, SMTP_SOURCE, type LoadResult, type LoadSpec } from '../smtp/load.js';
import { cpuSince, memoryMiB, threadCpu, threadsSince, threadTable, treeCpu, type Cpu } from '../common/proc.js';
import { summarizeProfile } from '../common/profile.js';
import { postfixMissing } from '../../src/testing/postfix.js';
import { smtpSinkMissing, startSmtpSink } from '../../src/testing/smtp-sink.js';
import { REMOTE_DOMAIN, startPostfixRelay, startPostroomRelay, type Relay } from './servers.js';
import { machineLine } from '../common/machine.js';
import { START_NODE_ARGS } from '../common/postroom.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const env = (name: string, def: number) => Number(process.env[name] ?? def);
const messages = env('BENCH_MESSAGES', 10_000);
const sessions = env('BENCH_SESSIONS', 20);
const sizes = (process.env['BENCH_SIZES'] ?? '4096,1024').split(',').map(Number);
const rounds = env('BENCH_ROUNDS', 1);
const profile = process.env['BENCH_PROFILE'] ?? 'auto';
const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
const RECIPIENT = `rcpt@${REMOTE_DOMAIN}`;
/** No sink progress for this long fails the run. */
const STALL_MS = 60_000;

interface Row {
  readonly server: string;
  readonly load: LoadResult;
  /** CPU of the sink over the load. */
  readonly sinkCpu: Cpu;
  readonly peakRssMiB: number | null;
  /** postroom only: CPU of the main thread and of the other threads over the load. */
  readonly threads: Map<string, Cpu> | null;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'postroom-bench-relay-'));
chmodSync(work, 0o755); // Postfix's daemons (user postfix) and smtp-sink (user nobody) walk through it
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const syncDisks = () => execFileSync('sync');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spec(target: string, bodyBytes: number): LoadSpec {
  return { target, recipient: RECIPIENT, messages, sessions, bodyBytes, reuseConnections: true };
}

/** One load through `relay`; afterwards the queue must be empty and the sink must hold exactly the messages sent. */
async function relayRun(relay: Relay, bodyBytes: number, isPostroom: boolean): Promise<Row> {
  try {
    syncDisks();
    const sink0 = treeCpu(relay.sink.pid);
    const t0 = isPostroom ? threadCpu(relay.pid) : null;
    const load = await runLoad(spec(relay.target, bodyBytes), relay.pid, relay.mailbox, STALL_MS);
    const sinkCpu = cpuSince(sink0, treeCpu(relay.sink.pid));
    const threads = t0 ? threadsSince(t0, threadCpu(relay.pid)) : null;
    const peakRssMiB = isPostroom ? memoryMiB(relay.pid, 'VmHWM') : null;
    // Settles may trail the sink's 250 by a commit: wait (bounded) for the queue to empty.
    let left = -1;
    for (let i = 0; i < 50 && (left = await relay.queued()) !== 0; i++) await sleep(200);
    await sleep(500); // a late extra copy would show up here
    if (left !== 0 || relay.sink.count() !== messages) {
      throw new Error(`${relay.server}: queue ${left} items, sink ${relay.sink.count()} messages after the load (want 0 and ${messages})`);
    }
    return { server: relay.server, load, sinkCpu, peakRssMiB, threads };
  } finally {
    await relay.stop();
  }
}

/** The same load straight into an smtp-sink: what the sink can take at most. */
async function sinkAloneRun(name: string, bodyBytes: number): Promise<Row> {
  const sink = await startSmtpSink({ dir: path.join(work, name) });
  try {
    syncDisks();
    const mailbox = { count: () => sink.count(), progress: () => sink.count() };
    const load = await runLoad(spec(sink.target, bodyBytes), sink.pid, mailbox, STALL_MS);
    return { server: 'sink alone (no relay)', load, sinkCpu: load.cpu, peakRssMiB: null, threads: null };
  } finally {
    await sink.stop();
  }
}

const rate = (r: Row) => r.load.delivered / r.load.deliverSeconds;
const median = (rows: Row[]): Row => [...rows].sort((a, b) => rate(a) - rate(b))[Math.floor((rows.length - 1) / 2)]!;
const ms = (cpu: Cpu, n: number) => ((cpu.user + cpu.system) * 1000) / n;
/** CPU seconds per second of the load: well under the cores the machine has means the server waits, not computes. */
const busy = (r: Row) => (r.load.cpu.user + r.load.cpu.system) / r.load.deliverSeconds;

function rateCell(r: Row, all: Row[]): string {
  if (all.length < 2) return rate(r).toFixed(0);
  const rates = all.map(rate);
  return `${rate(r).toFixed(0)} (${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)})`;
}

function table(bodyBytes: number, rows: [Row, Row[]][], base: Row | undefined, ceiling: Row): string {
  const lines = [
    `#### ${messages.toLocaleString('en-US')} messages of ${bodyBytes / 1024} KiB over ${sessions} sessions, relayed to smtp-sink`,
    '',
    `| server | accepted msg/s | not yet relayed at the last 250 | relayed msg/s${rounds > 1 ? ' (range)' : ''} | server CPU per message (ms) | user + system (ms) | server CPU busy (cores) | sink CPU per message (ms) | peak RSS (MiB) | relayed vs ${base?.server.split(' ')[0] ?? 'Postfix'} |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [r, all] of rows) {
    const n = r.load.delivered;
    lines.push(
      `| ${r.server} | ${(n / r.load.acceptSeconds).toFixed(0)} | ${r.load.backlogAtAccept} | ${rateCell(r, all)} | ${ms(r.load.cpu, n).toFixed(2)} | ` +
        `${((r.load.cpu.user * 1000) / n).toFixed(2)} + ${((r.load.cpu.system * 1000) / n).toFixed(2)} | ${busy(r).toFixed(2)} | ${ms(r.sinkCpu, n).toFixed(2)} | ` +
        `${r.peakRssMiB?.toFixed(0) ?? '—'} | ${base ? `${(rate(r) / rate(base)).toFixed(2)}×` : '—'} |`,
    );
  }
  const c = ceiling.load;
  lines.push(`| ${ceiling.server} | ${(c.delivered / c.acceptSeconds).toFixed(0)} | — | ${rate(ceiling).toFixed(0)} | — | — | — | ${ms(ceiling.sinkCpu, c.delivered).toFixed(2)} | — | — |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(SMTP_SOURCE)) throw new Error(`No ${SMTP_SOURCE}: install Debian's postfix package (apt-get install postfix), which ships smtp-source`);
  const noSink = smtpSinkMissing();
  if (noSink) throw new Error(`Cannot run the relay benchmark: ${noSink}`);
  if (!existsSync(path.join(root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('No dist/: run npm run build');
  const noPostfix = postfixMissing();
  if (noPostfix) console.log(`Postfix rows skipped: ${noPostfix}`);
  const postroom = (name: string, more: string[] = []) =>
    startPostroomRelay({ root, dir: path.join(work, name), version, maxConnectionsPerIp: Math.max(20, sessions), nodeArgs: [...START_NODE_ARGS, ...nodeArgs, ...more] });

  const sections: string[] = [];
  const ratios: number[] = [];
  let first: Row | undefined;
  for (const size of sizes) {
    const pfRows: Row[] = [];
    const prRows: Row[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['postfix', 'postroom'] : ['postroom', 'postfix'];
      for (const which of order) {
        if (which === 'postfix' && noPostfix) continue;
        console.log(`${size} bytes, round ${r + 1}/${rounds}: ${which}, ${messages} messages, ${sessions} sessions …`);
        const name = `${which}-${size}-${r}`;
        if (which === 'postfix') pfRows.push(await relayRun(await startPostfixRelay(path.join(work, name)), size, false));
        else prRows.push(await relayRun(await postroom(name), size, true));
      }
    }
    console.log(`${size} bytes: smtp-sink alone …`);
    const ceiling = await sinkAloneRun(`sink-${size}`, size);
    const pf = pfRows.length ? median(pfRows) : undefined;
    const pr = median(prRows);
    first ??= pr;
    if (pf) ratios.push(rate(pr) / rate(pf));
    sections.push(table(size, pf ? [[pf, pfRows], [pr, prRows]] : [[pr, prRows]], pf, ceiling));
  }

  if (profile === '1' || (profile === 'auto' && (ratios[0] ?? 1) < 1)) {
    const size = sizes[0]!;
    console.log(`postroom under node --cpu-prof (${size} bytes; it relayed slower than Postfix, or BENCH_PROFILE=1) …`);
    const dir = path.join(work, 'cpu-prof');
    const row = await relayRun(await postroom('postroom-prof', ['--cpu-prof', '--cpu-prof-dir', dir]), size, true);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    sections.push(
      [
        `#### Where postroom's CPU goes (${size} bytes again, under node --cpu-prof: ${rate(row).toFixed(0)} msg/s, ${ms(row.load.cpu, row.load.delivered).toFixed(2)} ms CPU per message with the profiler)`,
        '',
        'Per thread, from /proc/PID/task (the measured run above, without the profiler):',
        '',
        threadTable(first!.threads!, first!.load.delivered),
        '',
        file ? summarizeProfile(path.join(dir, file)) : '(no profile was written)',
      ].join('\n'),
    );
  }

  const header =
    `${machineLine([...START_NODE_ARGS, ...nodeArgs])}; load: smtp-source ${smtpSourceArgs(spec('HOST:PORT', sizes[0]!)).join(' ')}` +
    (rounds > 1 ? `; median of ${rounds} rounds` : '');
  console.log(`\n${header}\n\n${sections.join('\n\n')}`);
}

try {
  await main();
} finally {
  if (process.env['BENCH_KEEP'] === '1') console.log(`\nkept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
