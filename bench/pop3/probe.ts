/**
 * A developer's probe for the POP3 hot paths (not a benchmark, no Dovecot): loads the big, huge and 20 users'
 * maildrops of bench:pop3 once (kept in PROBE_DIR between runs), starts one `postroom start` per build of
 * PROBE_ROOTS (name:repo,…; default this checkout) on its own copy of the data, prints their pids, then runs
 * PROBE_ROW (retr, poplib, huge, concurrent, open, stat) PROBE_REPEAT times, alternating the builds, and prints
 * each run's rate and server CPU per message on the main thread and on the others. PROBE_NODE_ARGS (or
 * PROBE_NODE_ARGS_<name>) replaces the node options `postroom start` runs with (those on this checkout's executable's
 * first line: give them again next to e.g. `--perf-basic-prof`); PROBE_ENV_<name> sets environment
 * variables for one build; PROBE_WAIT_MS waits before the first round (time to attach `perf record -p PID`).
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { START_NODE_ARGS } from '../common/postroom.js';
import { threadSeconds, treeCpuSeconds } from '../common/proc.js';
import { pipelined, Pop3Client, retrCommands } from './client.js';
import { benchUsers, PASSWORD, DOMAIN, type BenchUser } from './corpus.js';
import { poplibFetch, session, type Server } from './groups.js';
import { loadUsers } from './load.js';
import { PostroomLoader, startPostroom } from './postroom.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const dir = process.env['PROBE_DIR'] ?? '/tmp/postroom-probe';
const row = process.env['PROBE_ROW'] ?? 'retr';
if (!['retr', 'poplib', 'huge', 'concurrent', 'open', 'stat'].includes(row)) throw new Error(`PROBE_ROW: no row ${row}`);
const repeat = Number(process.env['PROBE_REPEAT'] ?? 5);
const users = benchUsers({ bigMessages: 10_000, smallBytes: 4096, hugeMessages: 20, hugeBytes: 10 * 1024 * 1024, users: 20, perUser: 500, loginMessages: 10, loginUsers: 1 });
const data = path.join(dir, 'data');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!existsSync(data)) {
  mkdirSync(dir, { recursive: true });
  const loader = await PostroomLoader.open(data, DOMAIN);
  await loadUsers([users.big, users.huge, ...users.many], { password: PASSWORD, postroom: loader });
  await loader.close();
}
// PROBE_ROOTS=name:repo,name:repo compares builds: each runs on its own copy of the data, rounds alternate.
const roots = (process.env['PROBE_ROOTS'] ?? `this:${root}`).split(',').map((x) => x.split(':') as [string, string]);
const servers = [];
for (const [name, r] of roots) {
  const d = path.join(dir, `data-${name}`);
  if (!existsSync(d)) cpSync(data, d, { recursive: true });
  const saved = { ...process.env };
  for (const kv of (process.env[`PROBE_ENV_${name}`] ?? '').split(' ').filter(Boolean)) process.env[kv.split('=')[0]!] = kv.slice(kv.indexOf('=') + 1);
  const pr = await startPostroom({ root: r, dir: path.join(dir, name), dataDir: d, domain: DOMAIN, nodeArgs: (process.env[`PROBE_NODE_ARGS_${name}`] ?? process.env['PROBE_NODE_ARGS'] ?? START_NODE_ARGS.join(' ')).split(' ').filter(Boolean) });
  process.env = saved;
  console.log(`${name}: pid ${pr.pid}`);
  servers.push({ name, pr });
}
await sleep(Number(process.env['PROBE_WAIT_MS'] ?? 0));

type Started = Awaited<ReturnType<typeof startPostroom>>;
let pr: Started = servers[0]!.pr;

/** The server being run, as bench:pop3's rows see one. */
const asServer = (name: string): Server => ({ key: 'postroom', name, host: pr.host, port: pr.port, cpu: () => treeCpuSeconds(pr.pid) });

/** Logs in as `u` (bench:pop3's session: USER, PASS, STAT). */
const login = async (u: BenchUser): Promise<Pop3Client> => (await session(asServer('postroom'), u)).c;

const runs = new Map<string, { rate: number; main: number; other: number }[]>();
try {
  for (let j = 0; j < repeat * servers.length; j++) {
    const i = Math.floor(j / servers.length);
    const server = servers[(j + i) % servers.length]!; // ABBA…
    pr = server.pr;
    let n = 0;
    let rate: number | undefined; // the row's own figure, when it times itself
    let t1 = 0;
    let c0 = { main: 0, other: 0 };
    const mark = () => {
      c0 = threadSeconds(pr.pid);
      t1 = performance.now();
    };
    if (row === 'retr' || row === 'huge') {
      const u = row === 'retr' ? users.big : users.huge;
      const c = await login(u);
      mark();
      await pipelined(c, retrCommands(u.messages), { multi: true, window: 100 });
      n = u.messages;
      await c.quit();
    } else if (row === 'concurrent') {
      const cs = await Promise.all(users.many.map(login));
      mark();
      await Promise.all(cs.map((c, k) => pipelined(c, retrCommands(users.many[k]!.messages), { multi: true, window: 100 })));
      n = 10_000;
      await Promise.all(cs.map((c) => c.quit()));
    } else if (row === 'poplib') {
      mark();
      // bench:pop3's row: the script times itself from its first RETR (not Python's start-up); the CPU below also
      // holds its login's password check, on the other threads.
      rate = (await poplibFetch(asServer(server.name), users.big)).value;
      n = users.big.messages;
    } else if (row === 'open') {
      const times: number[] = [];
      mark();
      for (let k = 0; k < 12; k++) {
        const c = await Pop3Client.connect(pr.host, pr.port, 120_000);
        await c.send(`USER ${users.big.address}`);
        await sleep(20);
        const t = performance.now();
        if (!(await c.send(`PASS ${PASSWORD}`)).ok) throw new Error('login failed');
        if (!(await c.send('STAT')).ok) throw new Error('STAT failed'); // as bench:pop3's open row: until the first reply from the opened maildrop
        times.push(performance.now() - t);
        await c.quit();
        c.destroy();
      }
      times.sort((a, b) => a - b);
      console.log(`PASS + STAT median ${times[6]!.toFixed(1)} ms`);
      n = 12;
    } else if (row === 'stat') {
      const c = await login(users.big);
      const times: number[] = [];
      mark();
      for (let k = 0; k < 200; k++) {
        await sleep(20);
        const t = performance.now();
        await c.send('STAT');
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(`stat median ${times[100]!.toFixed(3)} ms`);
      n = 200;
      await c.quit();
    }
    const secs = (performance.now() - t1) / 1000;
    const c1 = threadSeconds(pr.pid);
    const m = { rate: rate ?? n / secs, main: ((c1.main - c0.main) * 1e6) / n, other: ((c1.other - c0.other) * 1e6) / n };
    console.log(`${server.name} ${row} #${i + 1}: ${m.rate.toFixed(0)}/s, server µs/msg main ${m.main.toFixed(1)} other ${m.other.toFixed(1)}`);
    runs.set(server.name, [...(runs.get(server.name) ?? []), m]);
    await sleep(300);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  for (const [name, ms] of runs) {
    console.log(`== ${name}: median ${med(ms.map((m) => m.rate)).toFixed(0)}/s, main ${med(ms.map((m) => m.main)).toFixed(1)} µs/msg, other ${med(ms.map((m) => m.other)).toFixed(1)} µs/msg`);
  }
} finally {
  for (const s of servers) await s.pr.stop();
}
