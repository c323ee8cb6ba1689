/**
 * CPU time and memory of server processes, read from Linux /proc (proc(5)); used by `npm run bench:smtp` and
 * `npm run bench:pop3`.
 *
 * CPU of a process tree: the root and every living descendant, plus the root's cutime + cstime (the CPU of the
 * children it has already reaped). Sampled before and after a run, the difference is the CPU the whole tree spent
 * in between, including children that started and exited meanwhile, as long as the root reaped them (Postfix's
 * and Dovecot's masters fork every process themselves; a postroom server is one process, all its threads, plus its
 * POP3 worker processes when pop3.processes > 1, which it forks itself).
 * Two readers of the same tree:
 * - `treeCpu`: user and system apart, from /proc/PID/stat utime + stime, in clock ticks (usually 10 ms),
 *   truncated per process (SMTP: few, long-lived processes).
 * - `treeCpuSeconds`: one total to the nanosecond, from every live thread's /proc/PID/task/TID/schedstat (the
 *   first field is the task's run time in ns, sched-stats(7)); only the reaped children come from cutime +
 *   cstime (ticks, but one sum, truncated once). For Dovecot's POP3, one process per session: with 20 sessions
 *   each using a few milliseconds, per-process truncation would lose about as much as a row measures.
 * Limits: Linux only; threads that exit while their process lives are lost to `treeCpuSeconds` (neither server
 * does that in a row); children of non-root processes that exit are lost; CPU spent by kernel threads on the
 * tree's behalf (ext4 journal commits, block-device writeback) is not counted, for any server.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds, split as the kernel accounts them. */
export interface Cpu {
  readonly user: number;
  readonly system: number;
}

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every common Linux). */
const ticks = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  readonly pid: number;
  readonly ppid: number;
  readonly utime: number;
  readonly stime: number;
  readonly cutime: number;
  readonly cstime: number;
}

/** Parses /proc/PID/stat (or /proc/PID/task/TID/stat); null when the process is gone. */
function readStat(file: string): Stat | null {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    return null;
  }
  // proc(5): "pid (comm) state ppid …"; comm may contain spaces and parentheses, so split after the last ')'.
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  const field = (n: number) => Number(rest[n - 3]); // field numbers as proc(5) counts them, from 1
  return {
    pid: Number(text.slice(0, text.indexOf(' '))),
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
  };
}

/** Every process on the machine, as a ppid → children map. */
function children(): Map<number, Stat[]> {
  const map = new Map<number, Stat[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(`/proc/${name}/stat`);
    if (!s) continue;
    const list = map.get(s.ppid);
    if (list) list.push(s);
    else map.set(s.ppid, [s]);
  }
  return map;
}

/** `root` (first) and its living descendants; throws when `root` is gone. */
function tree(root: number): [Stat, ...Stat[]] {
  const top = readStat(`/proc/${root}/stat`);
  if (!top) throw new Error(`Cannot read CPU time: process ${root} is gone`);
  const kids = children();
  const all: [Stat, ...Stat[]] = [top];
  for (let i = 0; i < all.length; i++) all.push(...(kids.get(all[i]!.pid) ?? []));
  return all;
}

/** CPU seconds used so far by `root` and its descendants, user and system apart, in ticks (see the module header). */
export function treeCpu(root: number): Cpu {
  const all = tree(root);
  let user = all[0].cutime;
  let system = all[0].cstime;
  for (const s of all) {
    user += s.utime;
    system += s.stime;
  }
  return { user: user / ticks, system: system / ticks };
}

/**
 * Run time in seconds, to the nanosecond (schedstat), of `pid`'s main thread and of its other live threads together
 * (zeros when it is gone).
 */
export function threadSeconds(pid: number): { main: number; other: number } {
  const out = { main: 0, other: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const s = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]) / 1e9;
      if (Number(tid) === pid) out.main += s;
      else out.other += s;
    } catch {
      // exited between the listing and the read: its time is in its process (or its parent's cutime) now
    }
  }
  return out;
}

/** Run time in seconds of every live thread of `pid` (0 when it is gone). */
function threadsSeconds(pid: number): number {
  const t = threadSeconds(pid);
  return t.main + t.other;
}

/** CPU seconds used so far by `root` and its descendants, to the nanosecond for live threads (see the module header). */
export function treeCpuSeconds(root: number): number {
  const all = tree(root);
  let seconds = (all[0].cutime + all[0].cstime) / ticks; // reaped children
  for (const s of all) seconds += threadsSeconds(s.pid);
  return seconds;
}

/** The difference of two samples. */
export function cpuSince(before: Cpu, after: Cpu): Cpu {
  return { user: after.user - before.user, system: after.system - before.system };
}

/**
 * CPU seconds of one process's main thread and of all its other threads together. Node 20 names every thread
 * `node`, so the others (the libuv pool doing file I/O and fsync, V8's GC and compiler threads) cannot be told apart.
 */
export function threadCpu(pid: number): Map<string, Cpu> {
  const out = new Map<string, Cpu>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const s = readStat(`/proc/${pid}/task/${tid}/stat`);
    if (!s) continue;
    const name = Number(tid) === pid ? 'main thread' : 'other threads';
    const prev = out.get(name) ?? { user: 0, system: 0 };
    out.set(name, { user: prev.user + s.utime / ticks, system: prev.system + s.stime / ticks });
  }
  return out;
}

/** A field of /proc/PID/status in MiB: `VmHWM` is the peak resident set size, `VmRSS` the current one. */
export function memoryMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m) throw new Error(`Cannot read ${field} of process ${pid}`);
  return Number(m[1]) / 1024;
}

/** `memoryMiB` summed over `root` and its living descendants (each process's own peak, for `VmHWM`). */
export function treeMemoryMiB(root: number, field: 'VmHWM' | 'VmRSS'): number {
  let sum = 0;
  for (const s of tree(root)) {
    try {
      sum += memoryMiB(s.pid, field);
    } catch {
      // a descendant that ended meanwhile
    }
  }
  return sum;
}

export { alive } from '../../src/testing/peers.js';

/**
 * The CPU of each thread between two `threadCpu` readings (threads that started meanwhile count from zero).
 *
 * @example
 * ```ts
 * const t0 = threadCpu(pid); runLoad(); const used = threadsSince(t0, threadCpu(pid));
 * ```
 */
export function threadsSince(before: Map<string, Cpu>, after: Map<string, Cpu>): Map<string, Cpu> {
  const out = new Map<string, Cpu>();
  for (const [name, cpu] of after) out.set(name, cpuSince(before.get(name) ?? { user: 0, system: 0 }, cpu));
  return out;
}

/**
 * A markdown table of each thread's CPU per message (ms, user + system), busiest first.
 *
 * @example
 * ```ts
 * console.log(threadTable(threadsSince(t0, threadCpu(pid)), 10_000));
 * ```
 */
export function threadTable(threads: Map<string, Cpu>, messages: number): string {
  const lines = ['| postroom thread | CPU per message (ms): user + system |', '|---|---:|'];
  const per = (s: number) => ((s * 1000) / messages).toFixed(3);
  for (const [name, cpu] of [...threads].sort((a, b) => b[1].user + b[1].system - (a[1].user + a[1].system))) {
    if (cpu.user + cpu.system === 0) continue;
    lines.push(`| ${name} | ${per(cpu.user + cpu.system)} (${per(cpu.user)} + ${per(cpu.system)}) |`);
  }
  return lines.join('\n');
}
