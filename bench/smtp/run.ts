/**
 * `npm run bench:smtp`: postroom's mail server against Postfix, in the same run, under the same load from
 * Postfix's `smtp-source` (issue 3 §5). Not a test: numbers depend on the machine.
 *
 * 1. Throughput: 10,000 messages of 4 KiB over 20 sessions (smtp-source -d: each session keeps its connection),
 *    to a private Postfix instance (bench/smtp/postfix.ts, virtual(8) delivery into a Maildir) and to a fresh
 *    `postroom start` (bench/smtp/postroom.ts, default configuration: fsync durability on). For each: messages
 *    per second from just before the first connect until smtp-source got its last 250 ("accepted") and until the
 *    last message was in the mailbox ("delivered"), server CPU per message (bench/common/proc.ts), and postroom's
 *    peak RSS (VmHWM).
 * 2. Memory: 20 concurrent messages of 25 MiB (just under the default 25 MiB size limit) to a fresh postroom;
 *    its peak RSS.
 * 3. When postroom misses a goal (or BENCH_PROFILE=1), one more postroom run of load 1 under `node --cpu-prof`,
 *    summarized by bench/common/profile.ts. Its numbers are not in the tables (the profiler costs CPU).
 * Servers are started cold for each load, each in a fresh temp directory; `sync` runs before every load, so no
 * load pays for the previous one's dirty pages. Postfix needs root; without it the Postfix rows are skipped.
 * Options (environment): BENCH_MESSAGES (10000), BENCH_SESSIONS (20), BENCH_BODY_BYTES (4096), BENCH_ROUNDS (3:
 * the order alternates, and each server's median round by delivered msg/s is reported, with the range of its
 * delivered msg/s over the rounds), BENCH_BIG_MESSAGES (20),
 * BENCH_BIG_MIB (25), BENCH_PROFILE (auto, 0 or 1), BENCH_KEEP=1 keeps the temp directory (logs, data).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, smtpSourceArgs, SMTP_SOURCE, type LoadResult, type LoadSpec } from './load.js';
import { postfixMissing, startPostfix } from './postfix.js';
import { startPostroom, type PostroomInstance } from './postroom.js';
import { memoryMiB, threadCpu, threadsSince, threadTable, type Cpu } from '../common/proc.js';
import { summarizeProfile } from '../common/profile.js';
import { machineLine } from '../common/machine.js';
import { START_NODE_ARGS } from '../common/postroom.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const env = (name: string, def: number) => Number(process.env[name] ?? def);
const messages = env('BENCH_MESSAGES', 10_000);
const sessions = env('BENCH_SESSIONS', 20);
const bodyBytes = env('BENCH_BODY_BYTES', 4096);
const rounds = env('BENCH_ROUNDS', 3);
const bigMessages = env('BENCH_BIG_MESSAGES', 20);
const bigMiB = env('BENCH_BIG_MIB', 25);
const profile = process.env['BENCH_PROFILE'] ?? 'auto';
const DOMAIN = 'bench.test';
const LOCAL = 'bench';
const MiB = 1024 * 1024;
/** The issue's goals. */
const GOAL = { ratio: 2, cpuMsPerMessage: 0.8, bigPeakMiB: 200 };

interface Row {
  readonly server: string;
  readonly load: LoadResult;
  readonly peakRssMiB: number | null;
  readonly idleRssMiB: number | null;
  /** postroom only: CPU of the main thread and of the other threads over the load. */
  readonly threads: Map<string, Cpu> | null;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'postroom-bench-smtp-'));
chmodSync(work, 0o755); // Postfix's daemons (user postfix) and virtual(8) (user nobody) walk through it
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const syncDisks = () => execFileSync('sync');

function spec(target: string, recipient: string): LoadSpec {
  return { target, recipient, messages, sessions, bodyBytes, reuseConnections: true };
}

async function postfixRun(round: number): Promise<Row> {
  const pf = await startPostfix(path.join(work, `postfix-${round}`), DOMAIN, LOCAL);
  try {
    syncDisks();
    const load = await runLoad(spec(pf.target, pf.recipient), pf.masterPid, pf.mailbox);
    return { server: `Postfix ${pf.version}`, load, peakRssMiB: null, idleRssMiB: null, threads: null };
  } finally {
    await pf.stop();
  }
}

/** One postroom load in a fresh directory; checks afterwards, through `postroom status`, that all was delivered. */
async function postroomRun(name: string, load: (pr: PostroomInstance) => LoadSpec, nodeArgs: readonly string[] = START_NODE_ARGS): Promise<Row> {
  const pr = await startPostroom({ root, dir: path.join(work, name), domain: DOMAIN, local: LOCAL, maxConnectionsPerIp: Math.max(20, sessions), nodeArgs });
  try {
    const s = load(pr);
    syncDisks();
    const idleRssMiB = memoryMiB(pr.pid, 'VmRSS');
    const t0 = threadCpu(pr.pid);
    const result = await runLoad(s, pr.pid, pr.mailbox, s.bodyBytes > MiB ? 300_000 : 60_000);
    const threads = threadsSince(t0, threadCpu(pr.pid));
    const peakRssMiB = memoryMiB(pr.pid, 'VmHWM');
    const st = await pr.status();
    const box = st.mailboxes.find((m) => m.address === pr.recipient);
    if (st.queue.items !== 0 || box?.messages !== s.messages) {
      throw new Error(`postroom status disagrees: queue ${st.queue.items} items, mailbox ${box?.messages} messages (want 0 and ${s.messages})`);
    }
    return { server: `postroom ${version}`, load: result, peakRssMiB, idleRssMiB, threads };
  } finally {
    await pr.stop();
  }
}

const median = (rows: Row[]): Row => [...rows].sort((a, b) => rate(a) - rate(b))[Math.floor((rows.length - 1) / 2)]!;
const rate = (r: Row) => r.load.delivered / r.load.deliverSeconds;
const ms = (cpu: Cpu, n: number) => ((cpu.user + cpu.system) * 1000) / n;
const met = (ok: boolean) => (ok ? 'met' : '**missed**');

/** Delivered msg/s of the median round, with the range over all rounds when there were several. */
function rateCell(r: Row, all: Row[]): string {
  if (all.length < 2) return rate(r).toFixed(0);
  const rates = all.map(rate);
  return `${rate(r).toFixed(0)} (${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)})`;
}

function throughputTable(rows: [Row, Row[]][], base: Row | undefined): string {
  const lines = [
    `#### ${messages.toLocaleString('en-US')} messages of ${bodyBytes / 1024} KiB over ${sessions} sessions`,
    '',
    `| server | accepted msg/s | not yet delivered at the last 250 | delivered msg/s${rounds > 1 ? ' (range)' : ''} | server CPU per message (ms) | user + system (ms) | peak RSS (MiB) | delivered vs ${base?.server.split(' ')[0] ?? 'Postfix'} |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [r, all] of rows) {
    const n = r.load.delivered;
    lines.push(
      `| ${r.server} | ${(n / r.load.acceptSeconds).toFixed(0)} | ${r.load.backlogAtAccept} | ${rateCell(r, all)} | ${ms(r.load.cpu, n).toFixed(2)} | ` +
        `${((r.load.cpu.user * 1000) / n).toFixed(2)} + ${((r.load.cpu.system * 1000) / n).toFixed(2)} | ${r.peakRssMiB?.toFixed(0) ?? '—'} | ` +
        `${base ? `${(rate(r) / rate(base)).toFixed(2)}×` : '—'} |`,
    );
  }
  return lines.join('\n');
}

function bigTable(r: Row): string {
  const l = r.load;
  return [
    `#### ${bigMessages} concurrent messages of ${bigMiB} MiB`,
    '',
    '| server | delivered | seconds | MB/s | server CPU (s) | RSS before (MiB) | peak RSS (MiB) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    `| ${r.server} | ${l.delivered} | ${l.deliverSeconds.toFixed(1)} | ${((l.delivered * bigMiB * MiB) / 1e6 / l.deliverSeconds).toFixed(0)} | ` +
      `${(l.cpu.user + l.cpu.system).toFixed(1)} | ${r.idleRssMiB!.toFixed(0)} | ${r.peakRssMiB!.toFixed(0)} |`,
  ].join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(SMTP_SOURCE)) throw new Error(`No ${SMTP_SOURCE}: install Debian's postfix package (apt-get install postfix), which ships smtp-source`);
  if (!existsSync(path.join(root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('No dist/: run npm run build');
  const noPostfix = postfixMissing();
  if (noPostfix) console.log(`Postfix rows skipped: ${noPostfix}`);
  const small = (pr: PostroomInstance) => spec(pr.target, pr.recipient);
  const pfRows: Row[] = [];
  const prRows: Row[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['postfix', 'postroom'] : ['postroom', 'postfix'];
    for (const which of order) {
      if (which === 'postfix' && noPostfix) continue;
      console.log(`round ${r + 1}/${rounds}: ${which}, ${messages} × ${bodyBytes} bytes, ${sessions} sessions …`);
      if (which === 'postfix') pfRows.push(await postfixRun(r));
      else prRows.push(await postroomRun(`postroom-${r}`, small));
    }
  }
  // Just under the size limit: smtp-source's header lines (about 200 bytes) come on top of -l.
  const bigBody = bigMiB * MiB - 1024;
  console.log(`postroom, ${bigMessages} concurrent messages of ${bigMiB} MiB …`);
  const big = await postroomRun('postroom-big', (pr) => ({
    target: pr.target,
    recipient: pr.recipient,
    messages: bigMessages,
    sessions: bigMessages,
    bodyBytes: bigBody,
    reuseConnections: false,
  }));

  const pf = pfRows.length ? median(pfRows) : undefined;
  const pr = median(prRows);
  const ratio = pf ? rate(pr) / rate(pf) : NaN;
  const cpuMs = ms(pr.load.cpu, pr.load.delivered);
  const goals = [
    `- delivered msg/s at least ${GOAL.ratio}× Postfix's: ${pf ? `${ratio.toFixed(2)}×, ${met(ratio >= GOAL.ratio)}` : 'not measured'}`,
    `- server CPU under ${GOAL.cpuMsPerMessage} ms per message: ${cpuMs.toFixed(2)} ms, ${met(cpuMs < GOAL.cpuMsPerMessage)}`,
    `- peak RSS with ${bigMessages} × ${bigMiB} MiB under ${GOAL.bigPeakMiB} MiB: ${big.peakRssMiB!.toFixed(0)} MiB, ${met(big.peakRssMiB! < GOAL.bigPeakMiB)}`,
  ];
  const missed = (pf !== undefined && ratio < GOAL.ratio) || cpuMs >= GOAL.cpuMsPerMessage || big.peakRssMiB! >= GOAL.bigPeakMiB;

  let profileText = '';
  if (profile === '1' || (profile === 'auto' && missed)) {
    console.log('postroom under node --cpu-prof (a goal was missed, or BENCH_PROFILE=1) …');
    const dir = path.join(work, 'cpu-prof');
    const row = await postroomRun('postroom-prof', small, [...START_NODE_ARGS, '--cpu-prof', '--cpu-prof-dir', dir]);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    profileText = [
      `#### Where postroom's CPU goes (load 1 again, under node --cpu-prof: ${rate(row).toFixed(0)} msg/s, ${ms(row.load.cpu, row.load.delivered).toFixed(2)} ms CPU per message with the profiler)`,
      '',
      'Per thread, from /proc/PID/task (the measured run above, without the profiler):',
      '',
      threadTable(pr.threads!, pr.load.delivered),
      '',
      file ? summarizeProfile(path.join(dir, file)) : '(no profile was written)',
    ].join('\n');
  }

  const header =
    `${machineLine(START_NODE_ARGS)}; load: smtp-source ${smtpSourceArgs(spec('HOST:PORT', `${LOCAL}@${DOMAIN}`)).join(' ')}` +
    (rounds > 1 ? `; median of ${rounds} rounds` : '');
  const sections = [throughputTable(pf ? [[pf, pfRows], [pr, prRows]] : [[pr, prRows]], pf), bigTable(big), `Goals (issue 3):\n${goals.join('\n')}`];
  if (profileText) sections.push(profileText);
  console.log(`\n${header}\n\n${sections.join('\n\n')}`);
}

try {
  await main();
} finally {
  if (process.env['BENCH_KEEP'] === '1') console.log(`\nkept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
