/**
 * CPU time of a server's process tree for `npm run bench:pop3`, to the nanosecond where Linux allows it.
 *
 * Why not bench/smtp/proc.ts's treeCpu: /proc/PID/stat reports utime and stime in clock ticks (10 ms), truncated
 * per process. Dovecot runs one pop3 process per session; with 20 sessions each using a few milliseconds, the
 * truncation loses up to 10 ms per process, about as much as the row measures. Here every live task (thread) of
 * the tree is read from /proc/PID/task/TID/schedstat (the first field is the task's run time in ns, sched-stats(7)),
 * and only the children the root has already reaped come from its cutime + cstime (ticks, but one sum, truncated
 * once). Sampled before and after a row, the difference is the CPU the whole tree spent in between, including
 * processes that started and exited meanwhile (the root reaps them: Dovecot's master does; postroom is one process).
 * Limits: Linux only; threads that exit while their process lives are lost (neither server does that in a row);
 * children of non-root processes that exit are lost (Dovecot's master forks every process itself); CPU that the
 * kernel spends for the tree in its own threads (journal commits, writeback) is not counted, for either server.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every common Linux). */
const ticks = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/PID/stat, numbered as proc(5) counts them from 1; null when the process is gone. */
function statFields(pid: number): string[] | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // "pid (comm) state ppid …": comm may contain spaces and parentheses, so split after the last ')'.
  return ['', text.slice(0, text.indexOf(' ')), '', ...text.slice(text.lastIndexOf(')') + 2).split(' ')];
}

/** Run time in seconds of every live thread of `pid` (0 when it is gone). */
function threadsSeconds(pid: number): number {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
    } catch {
      // exited between the listing and the read: its time is in its process (or its parent's cutime) now
    }
  }
  return ns / 1e9;
}

/** ppid → child pids, for every process on the machine. */
function childMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (!f) continue;
    const ppid = Number(f[4]);
    const list = map.get(ppid);
    if (list) list.push(Number(name));
    else map.set(ppid, [Number(name)]);
  }
  return map;
}

/** CPU seconds used so far by `root`, its live descendants and the children it reaped; throws when `root` is gone. */
export function treeCpuSeconds(root: number): number {
  const top = statFields(root);
  if (!top) throw new Error(`Cannot read CPU time: process ${root} is gone`);
  const kids = childMap();
  let seconds = (Number(top[16]) + Number(top[17])) / ticks; // cutime + cstime: reaped children
  const todo = [root];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    seconds += threadsSeconds(pid);
    todo.push(...(kids.get(pid) ?? []));
  }
  return seconds;
}
