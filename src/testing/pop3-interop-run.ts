/**
 * Runs a third-party program for the POP3 interop test: bounded in time, its output collected, its standard input
 * given, and (for programs that insist on a terminal, such as mutt) under a pseudo-terminal made by Python's pty
 * module. A program still running at the deadline is killed by its PID and the call rejects.
 */
import { spawn } from 'node:child_process';

/** What one run produced. */
export interface ProgramRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to run a program. */
export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to standard input, which is then closed (default: nothing, closed at once). */
  readonly input?: string;
  /** Default 60,000. */
  readonly timeoutMs?: number;
  /** Exit codes that count as success (default [0]). */
  readonly okCodes?: readonly number[];
}

/**
 * Runs `cmd ARGS…` and resolves when it exits with one of `okCodes`; rejects (with its output) otherwise, or when
 * it is still running after `timeoutMs` (it is then killed).
 *
 * @example
 * ```ts
 * const r = await runProgram('curl', ['--version']);
 * r.stdout.startsWith('curl '); // true
 * ```
 */
export function runProgram(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ProgramRun> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const okCodes = opts.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout = (stdout + s).slice(-200_000)));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-200_000)));
    child.stdin.on('error', () => {}); // a program that exits without reading its input
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const shown = `${cmd} ${args.join(' ')}`;
      if (timedOut) reject(new Error(`${shown}: still running after ${timeoutMs} ms, killed\nstdout: ${stdout}\nstderr: ${stderr}`));
      else if (code === null || !okCodes.includes(code)) reject(new Error(`${shown}: exit code ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Python's pty module: runs argv[2:] on a pseudo-terminal (24×80, TERM=vt100), copies what it writes to standard
 * output, kills it (SIGKILL) after argv[1] seconds, and exits with its exit code (124 on the deadline).
 */
const PTY_SCRIPT = `
import os, pty, select, signal, sys, time
limit = float(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(sys.argv[2], sys.argv[2:], dict(os.environ, TERM='vt100', LINES='24', COLUMNS='80'))
deadline = time.time() + limit
timed_out = False
while True:
    left = deadline - time.time()
    ready = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
    if not ready:
        os.kill(pid, signal.SIGKILL)
        timed_out = True
        break
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
_, status = os.waitpid(pid, 0)
sys.stdout.flush()
sys.exit(124 if timed_out else os.waitstatus_to_exitcode(status))
`;

/**
 * Runs `cmd ARGS…` under a pseudo-terminal (python3 pty), for full-screen programs; rejects on a non-zero exit
 * or after `timeoutMs`.
 *
 * @example
 * ```ts
 * await runUnderPty('mutt', ['-n', '-F', muttrc, '-e', 'push "<fetch-mail><quit>"'], { env });
 * ```
 */
export function runUnderPty(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ProgramRun> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  // The child's own deadline comes first, so it is the pty script that kills the program (by its PID) and reports.
  return runProgram('python3', ['-c', PTY_SCRIPT, String(timeoutMs / 1000), cmd, ...args], { ...opts, timeoutMs: timeoutMs + 5_000 });
}
