/**
 * The rows of `npm run bench:pop3` (see run.ts): each group's sessions against one server, what it measures and
 * how it checks the replies, and the first opening of every maildrop that checks what each server sends.
 */
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { listing, pipelined, Pop3Client, retrCommands, unstuff, wireSize, type Reply } from './client.js';
import { messageBytes, PASSWORD, type BenchUser } from './corpus.js';
import { allUsers, loginClients, logins, PYTHON_SCRIPT, rounds, sessions, sizes, sleep, users, warmups, window, MiB } from './settings.js';

/** A server under test, as the rows see it. */
export interface Server {
  readonly key: 'postroom' | 'dovecot';
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** CPU seconds of the whole server so far (bench/common/proc.ts treeCpuSeconds). */
  cpu(): number;
}

/** One measurement of one row on one server. */
export interface Measured {
  /** In the row's unit. */
  readonly value: number;
  /** Server CPU seconds (user + system) over the measured interval. */
  readonly cpu: number;
  /** Shown after the value (e.g. MB/s next to msg/s). */
  readonly note?: string;
}

export interface RowSpec {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly digits: number;
}

/** Rows measured together (one session yields several rows); `run` returns one Measured per row, in order. */
export interface Group {
  readonly id: string;
  readonly rows: readonly RowSpec[];
  readonly rounds: number;
  /**
   * Rounds run on every server before the measured ones and not counted (BENCH_WARMUP): postroom's code is compiled
   * by V8 as it runs, and a fresh server needs about 20,000 RETRs before its CPU per message settles. 0 for the rows
   * that are warm-up enough by themselves (500 logins) or that cannot run twice (DELE deletes the maildrop).
   */
  readonly warmup: number;
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
export async function session(s: Server, u: BenchUser): Promise<{ c: Pop3Client; count: number }> {
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
export async function warmAndValidate(s: Server): Promise<void> {
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
  warmup: 0,
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
    { id: 'open', title: `open the ${sizes.bigMessages.toLocaleString('en-US')}-message maildrop: PASS, then STAT at its +OK, until STAT's reply (includes the password check)`, unit: 'ms', better: 'lower', digits: 1 },
    { id: 'stat', title: `STAT on ${sizes.bigMessages.toLocaleString('en-US')} messages`, unit: 'ms', better: 'lower', digits: 2 },
    { id: 'list', title: `LIST on ${sizes.bigMessages.toLocaleString('en-US')} messages (full reply)`, unit: 'ms', better: 'lower', digits: 2 },
    { id: 'uidl', title: `UIDL on ${sizes.bigMessages.toLocaleString('en-US')} messages (full reply)`, unit: 'ms', better: 'lower', digits: 2 },
  ],
  rounds: sessions,
  warmup: warmups,
  cpu: 'sum',
  async run(s) {
    const u = users.big;
    const c = await connect(s);
    try {
      const ru = await c.send(`USER ${u.address}`);
      if (!ru.ok) throw new Error(`${s.name}: USER: ${ru.line}`);
      const out: Measured[] = [];
      const stat = ['STAT', false, (r: Reply) => r.line.startsWith(`+OK ${u.messages} ${u.messages * u.bytes}`)] as const;
      /** Sends each command when the previous one's reply is in; measures from the first command to the last reply. */
      const timed = async (...commands: (readonly [line: string, multi: boolean, check: (r: Reply) => boolean])[]) => {
        await sleep(20); // let the previous command's after-work finish before sampling
        const before = s.cpu();
        const t0 = performance.now();
        for (const [line, multi, check] of commands) {
          const r = await c.send(line, multi);
          if (!r.ok || !check(r)) throw new Error(`${s.name}: ${line.split(' ')[0]}: unexpected reply ${r.line}`);
        }
        out.push({ value: performance.now() - t0, cpu: await cpuSpentSince(s, before, 20) });
      };
      // Dovecot answers PASS before it opens the maildrop (its pop3 process reads the index and the uidlist after
      // "+OK Logged in.", seen with strace), so PASS's +OK alone would leave that work out of the open row and into
      // the next command: the maildrop is open when the first command after PASS is answered.
      await timed([`PASS ${PASSWORD}`, false, () => true], stat);
      await timed(stat);
      await timed(['LIST', true, (r) => listing(r).size === u.messages]);
      await timed(['UIDL', true, (r) => listing(r).size === u.messages]);
      await c.quit();
      return out;
    } finally {
      c.destroy();
    }
  },
};

/** How the RETR rows run: BENCH_WARMUP rounds not counted, then BENCH_ROUNDS, the median round's CPU shown. */
const retrRounds = { rounds, warmup: warmups, cpu: 'median-round' } as const;

/** A row measured in messages per second. */
const msgPerSecond = (id: string, title: string): RowSpec => ({ id, title, unit: 'msg/s', better: 'higher', digits: 0 });

const retrGroup: Group = {
  id: 'retr',
  rows: [msgPerSecond('retr', `RETR all ${sizes.bigMessages.toLocaleString('en-US')} × ${sizes.smallBytes / 1024} KiB in one session, pipelined (${window} in flight)`)],
  ...retrRounds,
  async run(s) {
    const u = users.big;
    const { count, seconds, cpu } = await fetchAll(s, u);
    return [{ value: count / seconds, cpu, note: `${((count * u.bytes) / 1e6 / seconds).toFixed(1)} MB/s` }];
  },
};

/** Runs poplib-fetch.py against `s` for user `u`; bounded by 300 s. */
export async function poplibFetch(s: Server, u: BenchUser): Promise<Measured> {
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
  rows: [msgPerSecond('poplib', `RETR all ${sizes.bigMessages.toLocaleString('en-US')} × ${sizes.smallBytes / 1024} KiB with Python poplib (one at a time)`)],
  ...retrRounds,
  run: async (s) => [await poplibFetch(s, users.big)],
};

const hugeGroup: Group = {
  id: 'huge',
  rows: [
    { id: 'huge', title: `RETR ${sizes.hugeMessages} × ${sizes.hugeBytes / MiB} MiB in one session, pipelined`, unit: 'MB/s', better: 'higher', digits: 0 },
  ],
  ...retrRounds,
  async run(s) {
    const u = users.huge;
    const { count, seconds, cpu } = await fetchAll(s, u);
    return [{ value: (count * u.bytes) / 1e6 / seconds, cpu }];
  },
};

const concurrentGroup: Group = {
  id: 'concurrent',
  rows: [msgPerSecond('concurrent', `${sizes.users} users at once, each RETR all its ${sizes.perUser} × ${sizes.smallBytes / 1024} KiB, pipelined`)],
  ...retrRounds,
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
  warmup: 0,
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

export const groups: Group[] = [loginGroup, openGroup, retrGroup, poplibGroup, hugeGroup, concurrentGroup, deleGroup];
