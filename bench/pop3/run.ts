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
 * CPU is that round's unless the row says otherwise):
 * - login: BENCH_LOGINS connect + USER + PASS + QUIT, over BENCH_LOGIN_CLIENTS connections at a time, on a small
 *   maildrop; logins/s.
 * - open, STAT, LIST, UIDL on the big maildrop: per session, the time from PASS to its +OK (password check and
 *   opening the maildrop) and each command until its full reply; median of BENCH_SESSIONS sessions, CPU summed
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
 * thread's schedstat, so per-process tick truncation does not hide short-lived processes): postroom is one node
 * process (all its threads); Dovecot is its master and every descendant (pop3-login, pop3, auth, anvil, log,
 * stats, config), including the pop3 processes that exited meanwhile (the master reaps them).
 * Afterwards: postroom's peak RSS (VmHWM) over the run; with BENCH_PROFILE=1 (or `auto` when postroom is behind on
 * a row) one more postroom run of one row (BENCH_PROFILE_ROW, else the worst) under node --cpu-prof, summarized.
 * Options (environment): BENCH_MESSAGES (10000), BENCH_BODY_BYTES (4096), BENCH_HUGE_MESSAGES (20),
 * BENCH_HUGE_MIB (10), BENCH_USERS (20), BENCH_PER_USER (500), BENCH_LOGINS (500), BENCH_LOGIN_CLIENTS (4),
 * BENCH_SESSIONS (10), BENCH_WINDOW (100), BENCH_ROUNDS (3), BENCH_DOVECOT_ROUNDS (calibrated), BENCH_PROFILE
 * (auto, 0 or 1), BENCH_PROFILE_ROW (login, open, retr, poplib, huge, concurrent, dele), BENCH_KEEP=1 keeps the
 * temp directory (logs, data), BENCH_ONLY=dovecot runs without postroom, BENCH_GROUPS=retr,huge runs only those groups.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../../src/store/index.js';
import { START_NODE_ARGS, type PostroomChild } from '../common/postroom.js';
import { machineLine } from '../common/machine.js';
import { memoryMiB, treeCpuSeconds } from '../common/proc.js';
import { summarizeProfile } from '../common/profile.js';
import { listing, pipelined, Pop3Client, retrCommands, unstuff, wireSize, type Reply } from './client.js';
import { benchUsers, messageBytes, PASSWORD, DOMAIN, type BenchUser, type CorpusSizes } from './corpus.js';
import { calibrateSha512Rounds, dovecotMissing, MaildirWriter, sha512CryptHash, startDovecot, type DovecotInstance } from './dovecot.js';
import { loadUsers } from './load.js';
import { PostroomLoader, startPostroom } from './postroom.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const env = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0`);
  return v;
};
const MiB = 1024 * 1024;
const sizes: CorpusSizes = {
  bigMessages: env('BENCH_MESSAGES', 10_000),
  smallBytes: env('BENCH_BODY_BYTES', 4096),
  hugeMessages: env('BENCH_HUGE_MESSAGES', 20),
  hugeBytes: env('BENCH_HUGE_MIB', 10) * MiB,
  users: env('BENCH_USERS', 20),
  perUser: env('BENCH_PER_USER', 500),
  loginMessages: 10,
  loginUsers: Math.max(1, env('BENCH_LOGIN_CLIENTS', 4)),
};
const logins = env('BENCH_LOGINS', 500);
const loginClients = sizes.loginUsers;
const sessions = Math.max(1, env('BENCH_SESSIONS', 10));
const window = Math.max(1, env('BENCH_WINDOW', 100));
const rounds = Math.max(1, env('BENCH_ROUNDS', 3));
const profile = process.env['BENCH_PROFILE'] ?? 'auto';
const only = process.env['BENCH_ONLY'];
const onlyGroups = process.env['BENCH_GROUPS']?.split(',');
const users = benchUsers(sizes);
const allUsers: BenchUser[] = [...users.login, users.big, users.huge, ...users.many];
const PYTHON_SCRIPT = path.join(root, 'bench', 'pop3', 'poplib-fetch.py');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** A server under test, as the rows see it. */
interface Server {
  readonly key: 'postroom' | 'dovecot';
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** CPU seconds of the whole server so far (bench/common/proc.ts treeCpuSeconds). */
  cpu(): number;
}

/** One measurement of one row on one server. */
interface Measured {
  /** In the row's unit. */
  readonly value: number;
  /** Server CPU seconds (user + system) over the measured interval. */
  readonly cpu: number;
  /** Shown after the value (e.g. MB/s next to msg/s). */
  readonly note?: string;
}

interface RowSpec {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly digits: number;
}

/** Rows measured together (one session yields several rows); `run` returns one Measured per row, in order. */
interface Group {
  readonly id: string;
  readonly rows: readonly RowSpec[];
  readonly rounds: number;
  /** How a row's CPU is reported over rounds: that of the median round, or the sum of all rounds. */
  readonly cpu: 'median-round' | 'sum';
  run(s: Server): Promise<Measured[]>;
}

/** CPU spent since `before`, sampled once the server has had a moment to finish (and Dovecot to reap its processes). */
async function cpuSpentSince(s: Server, before: number, settleMs = 150): Promise<number> {
  await sleep(settleMs);
  return s.cpu() - before;
}

async function connect(s: Server): Promise<Pop3Client> {
  return Pop3Client.connect(s.host, s.port, 120_000);
}

/** Connects and logs in (USER, then PASS, as most clients do); returns the client and the message count. */
async function session(s: Server, u: BenchUser): Promise<{ c: Pop3Client; count: number }> {
  const c = await connect(s);
  try {
    const ru = await c.send(`USER ${u.address}`);
    if (!ru.ok) throw new Error(`${s.name}: USER ${u.address}: ${ru.line}`);
    const rp = await c.send(`PASS ${PASSWORD}`);
    if (!rp.ok) throw new Error(`${s.name}: PASS for ${u.address}: ${rp.line}`);
    const st = await c.send('STAT');
    const m = /^\+OK (\d+) (\d+)/.exec(st.line);
    if (!m) throw new Error(`${s.name}: STAT: ${st.line}`);
    return { c, count: Number(m[1]) };
  } catch (e) {
    c.destroy();
    throw e;
  }
}

/** Checks that a RETR reply has `u`'s message size once unstuffed. */
const sizeCheck = (s: Server, u: BenchUser) => (i: number, r: Reply) => {
  const n = wireSize(r);
  if (n !== u.bytes) throw new Error(`${s.name}: RETR ${i + 1} of ${u.address}: ${n} octets, expected ${u.bytes}`);
};

/**
 * Logs in as `u`, RETRs its whole maildrop in one session (BENCH_WINDOW in flight, each reply's size checked) and
 * quits; the time and the server's CPU run from the first RETR to the last octet.
 */
async function fetchAll(s: Server, u: BenchUser): Promise<{ count: number; seconds: number; cpu: number }> {
  const { c, count } = await session(s, u);
  try {
    const before = s.cpu();
    const t0 = performance.now();
    await pipelined(c, retrCommands(count), { multi: true, window, check: sizeCheck(s, u) });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = await cpuSpentSince(s, before);
    await c.quit();
    return { count, seconds, cpu };
  } finally {
    c.destroy();
  }
}

/** The message number a message says in its Subject ("Benchmark message N for …"). */
function numberOf(msg: Buffer): number {
  const m = /\r\nSubject: Benchmark message (\d+) for /.exec(msg.toString('latin1', 0, Math.min(msg.length, 1024)));
  if (!m) throw new Error('A retrieved message has no benchmark Subject');
  return Number(m[1]);
}

/** Opens every maildrop once and checks LIST, UIDL and a sample of messages byte for byte (not measured). */
async function warmAndValidate(s: Server): Promise<void> {
  for (const u of allUsers) {
    const { c, count } = await session(s, u);
    try {
      if (count !== u.messages) throw new Error(`${s.name}: ${u.address} has ${count} messages, expected ${u.messages}`);
      const list = listing(await c.send('LIST', true));
      const uidl = listing(await c.send('UIDL', true));
      if (list.size !== count || [...list.values()].some((v) => Number(v) !== u.bytes)) throw new Error(`${s.name}: LIST of ${u.address} is wrong`);
      const uids = new Set(uidl.values());
      if (uidl.size !== count || uids.size !== count || [...uids].some((x) => !/^[\x21-\x7e]{1,70}$/.test(x))) {
        throw new Error(`${s.name}: UIDL of ${u.address} is wrong`);
      }
      // Messages 1–12 (two with a dot-stuffed line among the first 20 generated) and the last one.
      const sample = [...new Set([...Array.from({ length: Math.min(12, count) }, (_, i) => i + 1), count])].filter((n) => n >= 1);
      const seen = new Set<number>();
      for (const n of sample) {
        const r = await c.send(`RETR ${n}`, true);
        if (!r.ok) throw new Error(`${s.name}: RETR ${n} of ${u.address}: ${r.line}`);
        const got = unstuff(r);
        const k = numberOf(got);
        if (!got.equals(messageBytes(u, k))) throw new Error(`${s.name}: message ${k} of ${u.address} differs from what was stored`);
        if (seen.has(k)) throw new Error(`${s.name}: message ${k} of ${u.address} seen twice`);
        seen.add(k);
      }
      await c.quit();
    } finally {
      c.destroy();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The rows.

const loginGroup: Group = {
  id: 'login',
  rows: [
    {
      id: 'login',
      title: `login: ${logins} × (connect, USER, PASS, QUIT), ${loginClients} clients at a time, each on its own ${sizes.loginMessages}-message maildrop`,
      unit: 'logins/s',
      better: 'higher',
      digits: 1,
    },
  ],
  rounds: 1,
  cpu: 'median-round',
  async run(s) {
    const before = s.cpu();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: loginClients }, async (_, k) => {
        const u = users.login[k]!;
        const mine = Math.floor(logins / loginClients) + (k < logins % loginClients ? 1 : 0);
        for (let i = 0; i < mine; i++) {
          const c = await connect(s);
          try {
            const ru = await c.send(`USER ${u.address}`);
            const rp = await c.send(`PASS ${PASSWORD}`);
            if (!ru.ok || !rp.ok) throw new Error(`${s.name}: login failed: ${ru.line} / ${rp.line}`);
            await c.quit();
          } finally {
            c.destroy();
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = await cpuSpentSince(s, before);
    return [{ value: logins / seconds, cpu, note: `${((cpu * 1000) / logins).toFixed(0)} ms CPU/login` }];
  },
};

const openGroup: Group = {
  id: 'open',
  rows: [
    { id: 'open', title: `open the ${sizes.bigMessages.toLocaleString('en-US')}-message maildrop: PASS → +OK (includes the password check)`, unit: 'ms', better: 'lower', digits: 1 },
    { id: 'stat', title: `STAT on ${sizes.bigMessages.toLocaleString('en-US')} messages`, unit: 'ms', better: 'lower', digits: 2 },
    { id: 'list', title: `LIST on ${sizes.bigMessages.toLocaleString('en-US')} messages (full reply)`, unit: 'ms', better: 'lower', digits: 2 },
    { id: 'uidl', title: `UIDL on ${sizes.bigMessages.toLocaleString('en-US')} messages (full reply)`, unit: 'ms', better: 'lower', digits: 2 },
  ],
  rounds: sessions,
  cpu: 'sum',
  async run(s) {
    const u = users.big;
    const c = await connect(s);
    try {
      const ru = await c.send(`USER ${u.address}`);
      if (!ru.ok) throw new Error(`${s.name}: USER: ${ru.line}`);
      const out: Measured[] = [];
      const timed = async (line: string, multi: boolean, check: (r: Reply) => boolean) => {
        await sleep(20); // let the previous command's after-work finish before sampling
        const before = s.cpu();
        const t0 = performance.now();
        const r = await c.send(line, multi);
        const ms = performance.now() - t0;
        if (!r.ok || !check(r)) throw new Error(`${s.name}: ${line.split(' ')[0]}: unexpected reply ${r.line}`);
        out.push({ value: ms, cpu: await cpuSpentSince(s, before, 20) });
      };
      await timed(`PASS ${PASSWORD}`, false, () => true);
      await timed('STAT', false, (r) => r.line.startsWith(`+OK ${u.messages} ${u.messages * u.bytes}`));
      await timed('LIST', true, (r) => listing(r).size === u.messages);
      await timed('UIDL', true, (r) => listing(r).size === u.messages);
      await c.quit();
      return out;
    } finally {
      c.destroy();
    }
  },
};

const retrGroup: Group = {
  id: 'retr',
  rows: [
    {
      id: 'retr',
      title: `RETR all ${sizes.bigMessages.toLocaleString('en-US')} × ${sizes.smallBytes / 1024} KiB in one session, pipelined (${window} in flight)`,
      unit: 'msg/s',
      better: 'higher',
      digits: 0,
    },
  ],
  rounds,
  cpu: 'median-round',
  async run(s) {
    const u = users.big;
    const { count, seconds, cpu } = await fetchAll(s, u);
    return [{ value: count / seconds, cpu, note: `${((count * u.bytes) / 1e6 / seconds).toFixed(1)} MB/s` }];
  },
};

/** Runs poplib-fetch.py against `s` for user `u`; bounded by 300 s. */
async function poplibFetch(s: Server, u: BenchUser): Promise<Measured> {
  const py = spawn('python3', [PYTHON_SCRIPT, s.host, String(s.port), u.address, PASSWORD], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  py.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<number | null>((resolve) => py.on('exit', resolve));
  const timer = setTimeout(() => py.kill('SIGKILL'), 300_000);
  try {
    const lines = readline.createInterface({ input: py.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const r = await lines.next();
      if (r.done) throw new Error(`${s.name}: poplib-fetch.py ended early (exit ${await exited}): ${stderr}`);
      return r.value;
    };
    const ready = await next();
    const m = /^ready (\d+)$/.exec(ready);
    if (!m || Number(m[1]) !== u.messages) throw new Error(`${s.name}: poplib-fetch.py: ${ready}`);
    const before = s.cpu();
    py.stdin.write('go\n');
    const result = JSON.parse(await next()) as { seconds: number; messages: number; octets: number };
    const cpu = await cpuSpentSince(s, before);
    const code = await exited;
    if (code !== 0) throw new Error(`${s.name}: poplib-fetch.py exited with ${code}: ${stderr}`);
    if (result.messages !== u.messages) throw new Error(`${s.name}: poplib fetched ${result.messages} messages`);
    return {
      value: result.messages / result.seconds,
      cpu,
      note: `${((result.messages * u.bytes) / 1e6 / result.seconds).toFixed(1)} MB/s`,
    };
  } finally {
    clearTimeout(timer);
    if (py.exitCode === null) py.kill('SIGKILL');
  }
}

const poplibGroup: Group = {
  id: 'poplib',
  rows: [
    {
      id: 'poplib',
      title: `RETR all ${sizes.bigMessages.toLocaleString('en-US')} × ${sizes.smallBytes / 1024} KiB with Python poplib (one at a time)`,
      unit: 'msg/s',
      better: 'higher',
      digits: 0,
    },
  ],
  rounds: 1,
  cpu: 'median-round',
  run: async (s) => [await poplibFetch(s, users.big)],
};

const hugeGroup: Group = {
  id: 'huge',
  rows: [
    { id: 'huge', title: `RETR ${sizes.hugeMessages} × ${sizes.hugeBytes / MiB} MiB in one session, pipelined`, unit: 'MB/s', better: 'higher', digits: 0 },
  ],
  rounds,
  cpu: 'median-round',
  async run(s) {
    const u = users.huge;
    const { count, seconds, cpu } = await fetchAll(s, u);
    return [{ value: (count * u.bytes) / 1e6 / seconds, cpu }];
  },
};

const concurrentGroup: Group = {
  id: 'concurrent',
  rows: [
    {
      id: 'concurrent',
      title: `${sizes.users} users at once, each RETR all its ${sizes.perUser} × ${sizes.smallBytes / 1024} KiB, pipelined`,
      unit: 'msg/s',
      better: 'higher',
      digits: 0,
    },
  ],
  rounds,
  cpu: 'median-round',
  async run(s) {
    const opened = await Promise.allSettled(users.many.map((u) => session(s, u)));
    const clients = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value.c] : []));
    try {
      const bad = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad) throw bad.reason;
      const before = s.cpu();
      const t0 = performance.now();
      const results = await Promise.all(
        opened.map((r, i) => {
          const { c, count } = (r as PromiseFulfilledResult<{ c: Pop3Client; count: number }>).value;
          return pipelined(c, retrCommands(count), { multi: true, window, check: sizeCheck(s, users.many[i]!) });
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const cpu = await cpuSpentSince(s, before);
      await Promise.all(clients.map((c) => c.quit()));
      const total = results.reduce((n, r) => n + r.replies, 0);
      return [{ value: total / seconds, cpu, note: `${((total * sizes.smallBytes) / 1e6 / seconds).toFixed(1)} MB/s` }];
    } finally {
      for (const c of clients) c.destroy();
    }
  },
};

const deleGroup: Group = {
  id: 'dele',
  rows: [
    {
      id: 'dele',
      title: `DELE all ${sizes.bigMessages.toLocaleString('en-US')} (pipelined) + QUIT, until QUIT's +OK`,
      unit: 's',
      better: 'lower',
      digits: 3,
    },
  ],
  rounds: 1,
  cpu: 'median-round',
  async run(s) {
    const u = users.big;
    const { c, count } = await session(s, u);
    try {
      const before = s.cpu();
      const t0 = performance.now();
      await pipelined(c, retrCommands(count, 'DELE'), { multi: false, window });
      const tq = performance.now();
      await c.quit();
      const t1 = performance.now();
      const cpu = await cpuSpentSince(s, before);
      const after = await session(s, u);
      await after.c.quit().finally(() => after.c.destroy());
      if (after.count !== 0) throw new Error(`${s.name}: ${after.count} messages left after DELE all + QUIT`);
      return [{ value: (t1 - t0) / 1000, cpu, note: `QUIT ${(t1 - tq).toFixed(0)} ms` }];
    } finally {
      c.destroy();
    }
  },
};

const groups: Group[] = [loginGroup, openGroup, retrGroup, poplibGroup, hugeGroup, concurrentGroup, deleGroup];

// ---------------------------------------------------------------------------------------------------------------
// Running and reporting.

type Results = Map<string, Map<Server['key'], Measured>>;

function median<T>(xs: T[], by: (x: T) => number): T {
  return [...xs].sort((a, b) => by(a) - by(b))[Math.floor((xs.length - 1) / 2)]!;
}

/** Runs a group on every server, alternating which goes first, and folds the rounds into one Measured per row. */
async function runGroup(g: Group, servers: readonly Server[], results: Results): Promise<void> {
  const samples = new Map<Server['key'], Measured[][]>(); // server → round → row
  for (let r = 0; r < g.rounds; r++) {
    const order = r % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) {
      const m = await g.run(s);
      samples.set(s.key, [...(samples.get(s.key) ?? []), m]);
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
      postroom = await startPostroom({ root, dir: prDir, dataDir: prData, domain: DOMAIN });
      const p = postroom;
      servers.push({ key: 'postroom', name: `postroom ${version}`, host: p.host, port: p.port, cpu: () => treeCpuSeconds(p.pid) });
    }
    const idleRss = postroom ? memoryMiB(postroom.pid, 'VmRSS') : NaN;
    for (const s of servers) {
      console.log(`${s.name}: opening every maildrop once and checking what it sends …`);
      await warmAndValidate(s);
    }
    const results: Results = new Map();
    const hwm: string[] = []; // postroom's peak RSS after the checks and after each group, to see what raised it
    if (postroom) hwm.push(`checks ${memoryMiB(postroom.pid, 'VmHWM').toFixed(0)}`);
    for (const g of groups.filter((x) => !onlyGroups || onlyGroups.includes(x.id))) {
      console.log(`${g.id} (${g.rounds} round${g.rounds > 1 ? 's' : ''}) …`);
      await runGroup(g, servers, results);
      if (postroom) hwm.push(`${g.id} ${memoryMiB(postroom.pid, 'VmHWM').toFixed(0)}`);
    }
    const peakRss = postroom ? memoryMiB(postroom.pid, 'VmHWM') : NaN;
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
      `Maildrops: big ${users.big.messages.toLocaleString('en-US')} × ${users.big.bytes} octets; huge ${users.huge.messages} × ${users.huge.bytes / MiB} MiB; ` +
        `${users.many.length} users × ${sizes.perUser} × ${sizes.smallBytes} octets; ${users.login.length} login users × ${sizes.loginMessages} × ${sizes.smallBytes} octets (CRLF, the same bytes on both servers).`,
      `Password check: postroom scrypt N=16384 r=8 p=1 (${hashMs.toFixed(0)} ms of CPU here)` +
        (withDovecot ? `; Dovecot SHA512-CRYPT rounds=${rounds512} (${process.env['BENCH_DOVECOT_ROUNDS'] ? 'set by BENCH_DOVECOT_ROUNDS' : 'calibrated to the same cost'}).` : '.'),
      `Rounds: ${rounds} for RETR rows (median shown), ${sessions} sessions for open/STAT/LIST/UIDL (median time, CPU summed over the sessions), 1 for login, poplib and DELE. ` +
        `Ratio: postroom ÷ Dovecot when higher is better, Dovecot ÷ postroom when lower is better; bold when postroom is behind.`,
    ].join('\n');
    const sections = [header, table(results, servers)];
    if (Number.isFinite(peakRss)) {
      sections.push(
        `postroom RSS: ${idleRss.toFixed(0)} MiB right after start, peak (VmHWM) ${peakRss.toFixed(0)} MiB over the run ` +
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

/** One more postroom run of group `g` under node --cpu-prof, after refilling the big maildrop (DELE emptied it). */
/** Profiles group `g` on a fresh postroom; `refill`: DELE emptied the big maildrop, so it is loaded again first. */
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
  console.log(`postroom: ${g.id} again under node --cpu-prof …`);
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
