/**
 * `npm run bench:pop3`: postroom's POP3 server against Dovecot's (Debian's dovecot-pop3d), in the same run, over
 * the same messages, with the same clients (issue 4 §3). Not a test: numbers depend on the machine.
 *
 * Set-up: one temp directory; the maildrops (bench/pop3/corpus.ts) are generated once and written both into a
 * Maildir per user for a private Dovecot (bench/pop3/dovecot.ts) and, through the store API, into a postroom data
 * directory (bench/pop3/postroom.ts, bench/pop3/load.ts); then `sync`, and both servers start and stay up for
 * the whole run. Passwords: postroom hashes with its default (scrypt N=2^14, r=8); Dovecot gets SHA512-CRYPT
 * with its rounds calibrated to cost the same CPU per check (BENCH_DOVECOT_ROUNDS overrides), so the login row
 * compares servers, not hash settings. Before the rows, every maildrop is opened once on both servers (Dovecot
 * builds its index there, as its LDA would at delivery), and what each server sends is checked byte for byte
 * against the generated messages (a sample of each maildrop, plus LIST and UIDL in full).
 *
 * Rows, each measured on both servers, the order alternating between rounds (the median round is reported;
 * CPU is that round's unless the row says otherwise). Every row but login and DELE first runs BENCH_WARMUP rounds
 * on both servers that are not counted (for open, sessions): a server runs for months, and postroom's code is
 * compiled by V8 as it runs (a fresh one needs about 20,000 RETRs before its CPU per message settles: in two runs of
 * BENCH_GROUPS=retr and open,retr with no warm-up, 0.24–0.30 s per 10,000 in its first two rounds, 0.11–0.19 s in
 * the next three). The first warm-up round's figures are printed under the table, so the cold server is not hidden.
 * - login: BENCH_LOGINS connect + USER + PASS + QUIT, over BENCH_LOGIN_CLIENTS connections at a time, on a small
 *   maildrop; logins/s.
 * - open, STAT, LIST, UIDL on the big maildrop: per session, the time from PASS to the reply of a STAT sent at its
 *   +OK (password check and opening the maildrop: Dovecot opens it after answering PASS), then a STAT, a LIST and a
 *   UIDL, each 20 ms after the previous reply, until its full reply; median of BENCH_SESSIONS sessions, CPU summed
 *   over them (sampled just before each command and after its reply).
 * - RETR of the whole big maildrop in one session with bench/pop3/client.ts (BENCH_WINDOW commands in flight),
 *   from the first RETR to the last octet; msg/s and MB/s (MB = 10^6 octets). Each reply's unstuffed size is
 *   checked against LIST.
 * - The same with Python's poplib (bench/pop3/poplib-fetch.py, one RETR after the other), timed by the script
 *   from its first RETR to its last reply.
 * - RETR of the huge maildrop (BENCH_HUGE_MESSAGES × BENCH_HUGE_MIB MiB), pipelined; MB/s.
 * - BENCH_USERS users at once, each fetching its BENCH_PER_USER messages pipelined on its own connection: all log
 *   in first, then all start together; total msg/s until the last one has its last message.
 * - DELE of every message of the big maildrop (pipelined) + QUIT, until QUIT's +OK (the servers say the deletion
 *   is done then); one round, last (it empties the maildrop; checked afterwards with STAT).
 * CPU: seconds the server's whole process tree ran over the measured interval (bench/common/proc.ts, from each
 * thread's schedstat, so per-process tick truncation does not hide short-lived processes): postroom is its node
 * process (all its threads) and its POP3 worker processes if BENCH_POP3_PROCESSES > 1; Dovecot is its master and every descendant (pop3-login, pop3, auth, anvil, log,
 * stats, config), including the pop3 processes that exited meanwhile (the master reaps them).
 * Afterwards: postroom's peak RSS (VmHWM, summed over its processes) over the run; with BENCH_PROFILE=1 (or `auto` when postroom is behind on
 * a row) one more postroom run of one row (BENCH_PROFILE_ROW, else the worst) under node --cpu-prof, summarized.
 * Options (environment): BENCH_MESSAGES (10000), BENCH_BODY_BYTES (4096), BENCH_HUGE_MESSAGES (20),
 * BENCH_HUGE_MIB (10), BENCH_USERS (20), BENCH_PER_USER (500), BENCH_LOGINS (500), BENCH_LOGIN_CLIENTS (4),
 * BENCH_SESSIONS (10), BENCH_WINDOW (100), BENCH_ROUNDS (11), BENCH_WARMUP (2), BENCH_POP3_PROCESSES (1: postroom's
 * pop3.processes), BENCH_DOVECOT_ROUNDS (calibrated), BENCH_PROFILE
 * (auto, 0 or 1), BENCH_PROFILE_ROW (login, open, retr, poplib, huge, concurrent, dele), BENCH_KEEP=1 keeps the
 * temp directory (logs, data), BENCH_ONLY=dovecot runs without postroom, BENCH_GROUPS=retr,huge runs only those groups.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hashPassword } from '../../src/store/index.js';
import { START_NODE_ARGS, type PostroomChild } from '../common/postroom.js';
import { machineLine } from '../common/machine.js';
import { treeCpuSeconds, treeMemoryMiB } from '../common/proc.js';
import { summarizeProfile } from '../common/profile.js';
import { PASSWORD, DOMAIN } from './corpus.js';
import { calibrateSha512Rounds, dovecotMissing, MaildirWriter, sha512CryptHash, startDovecot, type DovecotInstance } from './dovecot.js';
import { groups, warmAndValidate, type Group, type Measured, type RowSpec, type Server } from './groups.js';
import { loadUsers } from './load.js';
import { PostroomLoader, startPostroom } from './postroom.js';
import { allUsers, env, only, onlyGroups, pop3Processes, profile, root, rounds, sessions, sizes, users, version, warmups, MiB } from './settings.js';

// ---------------------------------------------------------------------------------------------------------------
// Running and reporting.

type Results = Map<string, Map<Server['key'], Measured>>;

function median<T>(xs: T[], by: (x: T) => number): T {
  return [...xs].sort((a, b) => by(a) - by(b))[Math.floor((xs.length - 1) / 2)]!;
}

/** One round's figures, as printed while the benchmark runs. */
const roundLine = (m: readonly Measured[]): string => m.map((x) => `${x.value.toFixed(2)} (CPU ${x.cpu.toFixed(3)} s)`).join(', ');

/** Warm-up rounds' first row, per group and server: shown under the table, not in it. */
const warmedUp = new Map<string, Map<Server['key'], Measured>>();

/**
 * Runs a group on every server, alternating which goes first: its warm-up rounds (not counted), then its rounds,
 * folded into one Measured per row.
 */
async function runGroup(g: Group, servers: readonly Server[], results: Results): Promise<void> {
  for (let r = 0; r < g.warmup; r++) {
    for (const s of r % 2 === 0 ? servers : [...servers].reverse()) {
      const m = await g.run(s);
      if (r === 0 && m[0]) warmedUp.set(g.id, (warmedUp.get(g.id) ?? new Map<Server['key'], Measured>()).set(s.key, m[0]));
      console.log(`  ${s.key} warm-up ${r + 1}: ${roundLine(m)}`);
    }
  }
  const samples = new Map<Server['key'], Measured[][]>(); // server → round → row
  for (let r = 0; r < g.rounds; r++) {
    const order = r % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) {
      const m = await g.run(s);
      samples.set(s.key, [...(samples.get(s.key) ?? []), m]);
      console.log(`  ${s.key} round ${r + 1}: ${roundLine(m)}`);
    }
  }
  g.rows.forEach((row, i) => {
    const per = results.get(row.id) ?? new Map<Server['key'], Measured>();
    for (const [key, all] of samples) {
      const mine = all.map((round) => round[i]!);
      const mid = median(mine, (m) => m.value);
      per.set(key, g.cpu === 'sum' ? { ...mid, cpu: mine.reduce((n, m) => n + m.cpu, 0) } : mid);
    }
    results.set(row.id, per);
  });
}

/** The first warm-up round of each group that has one, in the rows' units: what a cold server does. */
function warmUpLine(): string {
  const parts = groups.flatMap((g) => {
    const per = warmedUp.get(g.id);
    if (!per) return [];
    const row = g.rows[0]!;
    const v = (k: Server['key']) => {
      const m = per.get(k);
      return m ? m.value.toLocaleString('en-US', { minimumFractionDigits: row.digits, maximumFractionDigits: row.digits }) : '—';
    };
    return [`${row.id} ${v('postroom')} against ${v('dovecot')} ${row.unit}`];
  });
  return parts.length === 0
    ? ''
    : `First warm-up round (not in the table), postroom against Dovecot: ${parts.join('; ')}.`;
}

/** The ratio oriented so that > 1 means postroom is ahead. */
function ratio(row: RowSpec, pr: Measured, dc: Measured): number {
  return row.better === 'higher' ? pr.value / dc.value : dc.value / pr.value;
}

function table(results: Results, servers: readonly Server[]): string {
  const pr = servers.find((s) => s.key === 'postroom');
  const dc = servers.find((s) => s.key === 'dovecot');
  const lines = [
    `| row | unit (better) | ${pr?.name ?? 'postroom'} | ${dc?.name ?? 'Dovecot'} | ratio (> 1: postroom ahead) | postroom CPU (s) | Dovecot CPU (s) |`,
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const g of groups) {
    for (const row of g.rows) {
      const per = results.get(row.id);
      const p = per?.get('postroom');
      const d = per?.get('dovecot');
      const cell = (m: Measured | undefined) =>
        m ? `${m.value.toLocaleString('en-US', { minimumFractionDigits: row.digits, maximumFractionDigits: row.digits })}${m.note ? ` (${m.note})` : ''}` : '—';
      const q = p && d ? ratio(row, p, d) : NaN;
      const qCell = Number.isFinite(q) ? (q >= 1 ? `${q.toFixed(2)}×` : `**${q.toFixed(2)}×**`) : '—';
      const cpu = (m: Measured | undefined) => (m ? m.cpu.toFixed(2) : '—');
      lines.push(`| ${row.title} | ${row.unit} (${row.better}) | ${cell(p)} | ${cell(d)} | ${qCell} | ${cpu(p)} | ${cpu(d)} |`);
    }
  }
  return lines.join('\n');
}

/**
 * The CPU milliseconds one postroom password check costs here (scrypt with the store's defaults, on the libuv pool:
 * process.cpuUsage counts every thread): the median of 3 batches of 5 hashes one after the other (a check costs
 * what a hash does).
 */
async function scryptMs(): Promise<number> {
  await hashPassword('warm-up');
  const batches: number[] = [];
  for (let b = 0; b < 3; b++) {
    const before = process.cpuUsage();
    for (let i = 0; i < 5; i++) await hashPassword('calibration');
    const used = process.cpuUsage(before);
    batches.push((used.user + used.system) / 1000 / 5);
  }
  return median(batches, (x) => x);
}

async function main(work: string): Promise<void> {
  const unknown = onlyGroups?.filter((id) => !groups.some((g) => g.id === id)) ?? [];
  if (unknown.length) throw new Error(`BENCH_GROUPS: no group ${unknown.join(', ')} (groups: ${groups.map((g) => g.id).join(', ')})`);
  if (!existsSync(path.join(root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('No dist/: run npm run build');
  const noDovecot = dovecotMissing();
  if (noDovecot && only === 'dovecot') throw new Error(noDovecot);
  if (noDovecot) console.log(`Dovecot rows skipped: ${noDovecot}`);
  const withPostroom = only !== 'dovecot';
  const withDovecot = !noDovecot && only !== 'postroom';

  const loadAtStart = os.loadavg();
  const hashMs = await scryptMs();
  let rounds512 = 0;
  let dovecotHash = '';
  if (withDovecot) {
    rounds512 = process.env['BENCH_DOVECOT_ROUNDS'] ? env('BENCH_DOVECOT_ROUNDS', 5000) : await calibrateSha512Rounds(hashMs);
    dovecotHash = await sha512CryptHash(PASSWORD, rounds512);
  }
  const total = allUsers.reduce((n, u) => n + u.messages, 0);
  const octets = allUsers.reduce((n, u) => n + u.messages * u.bytes, 0);
  console.log(`loading ${total.toLocaleString('en-US')} messages (${(octets / MiB).toFixed(0)} MiB) into ${[withPostroom && 'postroom', withDovecot && 'Dovecot'].filter(Boolean).join(' and ')} …`);
  const dcDir = path.join(work, 'dovecot');
  const prDir = path.join(work, 'postroom');
  const prData = path.join(prDir, 'data');
  const t0 = performance.now();
  const loader = withPostroom ? await PostroomLoader.open(prData, DOMAIN) : undefined;
  try {
    await loadUsers(allUsers, {
      password: PASSWORD,
      ...(withDovecot ? { dovecot: new MaildirWriter(dcDir) } : {}),
      ...(loader ? { postroom: loader } : {}),
    });
  } finally {
    await loader?.close();
  }
  console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const servers: Server[] = [];
  let dovecot: DovecotInstance | undefined;
  let postroom: PostroomChild | undefined;
  try {
    if (withDovecot) {
      dovecot = await startDovecot(
        dcDir,
        allUsers.map((u) => ({ address: u.address, hash: dovecotHash })),
      );
      const d = dovecot;
      servers.push({ key: 'dovecot', name: `Dovecot ${d.version}`, host: d.host, port: d.port, cpu: () => treeCpuSeconds(d.masterPid) });
    }
    if (withPostroom) {
      postroom = await startPostroom({ root, dir: prDir, dataDir: prData, domain: DOMAIN, pop3Processes });
      const p = postroom;
      servers.push({ key: 'postroom', name: `postroom ${version}`, host: p.host, port: p.port, cpu: () => treeCpuSeconds(p.pid) });
    }
    const idleRss = postroom ? treeMemoryMiB(postroom.pid, 'VmRSS') : NaN;
    for (const s of servers) {
      console.log(`${s.name}: opening every maildrop once and checking what it sends …`);
      await warmAndValidate(s);
    }
    const results: Results = new Map();
    const hwm: string[] = []; // postroom's peak RSS after the checks and after each group, to see what raised it
    if (postroom) hwm.push(`checks ${treeMemoryMiB(postroom.pid, 'VmHWM').toFixed(0)}`);
    for (const g of groups.filter((x) => !onlyGroups || onlyGroups.includes(x.id))) {
      console.log(`${g.id} (${g.rounds} round${g.rounds > 1 ? 's' : ''}) …`);
      await runGroup(g, servers, results);
      if (postroom) hwm.push(`${g.id} ${treeMemoryMiB(postroom.pid, 'VmHWM').toFixed(0)}`);
    }
    const peakRss = postroom ? treeMemoryMiB(postroom.pid, 'VmHWM') : NaN;
    const dcErrors = dovecot?.errors() ?? [];

    let profileText = '';
    const behind = groups.flatMap((g) =>
      g.rows.flatMap((row) => {
        const p = results.get(row.id)?.get('postroom');
        const d = results.get(row.id)?.get('dovecot');
        return p && d ? [{ g, row, q: ratio(row, p, d) }] : [];
      }),
    );
    const worst = [...behind].sort((a, b) => a.q - b.q)[0];
    const wanted = process.env['BENCH_PROFILE_ROW'];
    const chosen = wanted ? groups.find((g) => g.id === wanted || g.rows.some((r) => r.id === wanted)) : worst?.g;
    if (postroom && chosen && (profile === '1' || (profile === 'auto' && worst !== undefined && worst.q < 1))) {
      await postroom.stop();
      postroom = undefined;
      profileText = await profileRow(chosen, prDir, prData, work, results.has('dele'));
    }

    const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
    const header = [
      `${machineLine(START_NODE_ARGS)}; ` +
        `load average ${load(loadAtStart)} at the start, ${load(os.loadavg())} at the end (1, 5, 15 min).`,
      `postroom runs with pop3.processes = ${pop3Processes} (BENCH_POP3_PROCESSES, default 1)${pop3Processes > 1 ? ': a new connection goes to the process with the fewest' : ''}; ` +
        `Dovecot runs a pop3 process per connection.`,
      `Maildrops: big ${users.big.messages.toLocaleString('en-US')} × ${users.big.bytes} octets; huge ${users.huge.messages} × ${users.huge.bytes / MiB} MiB; ` +
        `${users.many.length} users × ${sizes.perUser} × ${sizes.smallBytes} octets; ${users.login.length} login users × ${sizes.loginMessages} × ${sizes.smallBytes} octets (CRLF, the same bytes on both servers).`,
      `Password check: postroom scrypt N=16384 r=8 p=1 (${hashMs.toFixed(0)} ms of CPU here)` +
        (withDovecot ? `; Dovecot SHA512-CRYPT rounds=${rounds512} (${process.env['BENCH_DOVECOT_ROUNDS'] ? 'set by BENCH_DOVECOT_ROUNDS' : 'calibrated to the same cost'}).` : '.'),
      `Rounds: ${rounds} for RETR rows, poplib included (median shown), ${sessions} sessions for open/STAT/LIST/UIDL (median time, CPU summed over the sessions), 1 for login and DELE; ` +
        `before them, ${warmups} warm-up round${warmups === 1 ? '' : 's'} (for open, sessions) of every row but login and DELE on both servers, not counted. ` +
        `Ratio: postroom ÷ Dovecot when higher is better, Dovecot ÷ postroom when lower is better; bold when postroom is behind.`,
    ].join('\n');
    const sections = [header, table(results, servers)];
    const warm = warmUpLine();
    if (warm) sections.push(warm);
    if (Number.isFinite(peakRss)) {
      sections.push(
        `postroom RSS (${pop3Processes > 1 ? `its ${pop3Processes} processes' summed` : 'its process'}): ${idleRss.toFixed(0)} MiB right after start, peak (VmHWM) ${peakRss.toFixed(0)} MiB over the run ` +
          `(peak after the first opening and check of every maildrop, then after each row group, MiB: ${hwm.join(', ')}).`,
      );
    }
    if (dcErrors.length) sections.push(`Dovecot logged errors:\n${dcErrors.slice(0, 10).join('\n')}`);
    if (profileText) sections.push(profileText);
    console.log(`\n${sections.join('\n\n')}`);
  } finally {
    await postroom?.stop().catch((e: unknown) => console.error(String(e)));
    await dovecot?.stop().catch((e: unknown) => console.error(String(e)));
  }
}

/** Profiles group `g` under node --cpu-prof on a fresh postroom; `refill`: DELE emptied the big maildrop, so it is loaded again first. */
async function profileRow(g: Group, prDir: string, prData: string, work: string, refill: boolean): Promise<string> {
  if (refill) {
    const loader = await PostroomLoader.open(prData, DOMAIN);
    try {
      await loadUsers([users.big], { password: PASSWORD, postroom: loader });
    } finally {
      await loader.close();
    }
  }
  const dir = path.join(work, 'cpu-prof');
  console.log(`postroom: ${g.id} again under node --cpu-prof …`); // one process, whatever BENCH_POP3_PROCESSES: one profile
  const pr = await startPostroom({ root, dir: path.join(prDir, 'prof'), dataDir: prData, domain: DOMAIN, nodeArgs: [...START_NODE_ARGS, '--cpu-prof', '--cpu-prof-dir', dir] });
  let m: Measured[];
  try {
    const s: Server = { key: 'postroom', name: 'postroom (profiled)', host: pr.host, port: pr.port, cpu: () => treeCpuSeconds(pr.pid) };
    m = await g.run(s); // no warm-up or check first: the profile then holds little besides start-up and this row
  } finally {
    await pr.stop();
  }
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
  const values = g.rows.map((row, i) => `${row.id} ${m[i]!.value.toFixed(row.digits)} ${row.unit}`).join(', ');
  return [
    `#### Where postroom's CPU goes: ${g.id} again under node --cpu-prof (${values}, ${m.reduce((n, x) => n + x.cpu, 0).toFixed(2)} s CPU, with the profiler)`,
    '',
    'A fresh postroom (its start-up, module loading included, is in the profile), then this row only.',
    '',
    file ? summarizeProfile(path.join(dir, file)) : '(no profile was written)',
  ].join('\n');
}

const work = mkdtempSync(path.join(os.tmpdir(), 'postroom-bench-pop3-'));
chmodSync(work, 0o755); // Dovecot's login (dovenull) and mail (nobody) processes walk through it
try {
  await main(work);
} finally {
  if (process.env['BENCH_KEEP'] === '1') console.log(`\nkept: ${work}`);
  else {
    execFileSync('sync');
    rmSync(work, { recursive: true, force: true });
  }
}
