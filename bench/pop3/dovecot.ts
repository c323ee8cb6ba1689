/**
 * A private Dovecot POP3 instance for `npm run bench:pop3`: its own configuration, base_dir, state_dir and log in a
 * temp directory, one loopback POP3 port, a passwd-file passdb and Maildirs (`DIR/users/ADDRESS/Maildir`) owned by
 * nobody (Dovecot refuses mail access as root).
 *
 * Guarantees: the system's Dovecot (/etc/dovecot, /run/dovecot, /var/lib/dovecot) is neither read nor changed; the
 * instance listens on 127.0.0.1 only; `stop()` ends the master by its PID and waits (bounded) until it has exited.
 * Configuration: Debian's Dovecot 2.3 defaults (mail_fsync = optimized, no auth cache, one pop3 process per
 * session, pop3_lock_session = no) except: pop3-login in Dovecot's documented "high-performance" mode
 * (service_count = 0, process_min_avail = CPU count: login processes are reused, not forked per connection),
 * plaintext logins allowed on loopback (no TLS on either server), and mail_save_crlf = yes because the Maildir
 * files hold the messages with CRLF line ends (the same bytes postroom stores; Dovecot sends them without
 * converting LF, its cheapest path).
 * Limits: needs root (the master binds and switches users) and Debian's layout (/usr/sbin/dovecot, doveadm).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { alive } from '../common/proc.js';
import { freePort } from '../../src/testing/free-port.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DOVECOT = '/usr/sbin/dovecot';

/** The uid/gid mail processes run as and the Maildirs belong to (nobody/nogroup on Debian). */
const MAIL_OWNER = 65534;

/** Whether this machine can run the Dovecot side; the reason when it cannot. */
export function dovecotMissing(): string | null {
  if (!existsSync(DOVECOT) || !existsSync('/usr/lib/dovecot/pop3')) return 'Dovecot POP3 is not installed (apt-get install dovecot-pop3d)';
  if (process.getuid?.() !== 0) return 'a private Dovecot instance needs root';
  return null;
}

/** `dovecot --version`, e.g. "2.3.19.1". */
export function dovecotVersion(): string {
  return execFileSync(DOVECOT, ['--version'], { encoding: 'utf8' }).trim().split(' ')[0]!;
}

export { freePort };

/** A Dovecot password hash: `{SHA512-CRYPT}$6$rounds=R$…` from `doveadm pw` (the scheme Debian's docs recommend). */
export async function sha512CryptHash(password: string, rounds: number): Promise<string> {
  const { stdout } = await run('doveadm', ['pw', '-s', 'SHA512-CRYPT', '-r', String(rounds), '-p', password], { timeout: 60_000 });
  return stdout.trim();
}

/**
 * SHA512-CRYPT rounds that cost about `targetMs` of CPU per check on this machine, measured with doveadm (the same
 * libc crypt(3) Dovecot's auth process calls): the CPU time (not wall time, so other load on the machine does not
 * skew it) of 5 `doveadm pw` runs at a low and at a high round count, read from bash's `times`; the median of
 * 3 such estimates.
 */
export async function calibrateSha512Rounds(targetMs: number): Promise<number> {
  const cpuMs = async (rounds: number) => {
    const script = `for i in 1 2 3 4 5; do doveadm pw -s SHA512-CRYPT -r ${rounds} -p calibration >/dev/null || exit 1; done; times`;
    const { stdout } = await run('bash', ['-c', script], { timeout: 120_000 });
    // `times`: the shell's user and system time, then its children's: "0m0.281s 0m0.008s".
    const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(stdout.trim().split('\n')[1] ?? '');
    if (!m) throw new Error(`Cannot read bash's times: ${stdout}`);
    return ((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000) / 5;
  };
  const low = 1000;
  const high = 400_000;
  const estimates: number[] = [];
  for (let i = 0; i < 3; i++) estimates.push(((await cpuMs(high)) - (await cpuMs(low))) / (high - low));
  const perRound = Math.max(1e-6, estimates.sort((a, b) => a - b)[1]!);
  return Math.max(1000, Math.min(999_999_999, Math.round(targetMs / perRound)));
}

/** A running instance. */
export interface DovecotInstance {
  readonly version: string;
  readonly host: string;
  readonly port: number;
  readonly masterPid: number;
  readonly dir: string;
  /** The error lines of its log so far (a healthy run has none). */
  errors(): string[];
  /** SIGTERM to the master, then waits up to 30 s for it to exit (SIGKILL after that). */
  stop(): Promise<void>;
}

/** Where `address`'s Maildir lives under `dir`. */
export function maildirOf(dir: string, address: string): string {
  return path.join(dir, 'users', address, 'Maildir');
}

/**
 * Writes Maildirs the way Dovecot's own delivery leaves them, but straight into cur/ (already seen by a client,
 * so the first login moves nothing): `TIME.MnP<pid>.bench,S=<size>,W=<size>:2,` (S = bytes in the file,
 * W = size with CRLF line ends, equal here). Files are not fsynced one by one: the caller runs `sync` once.
 */
export class MaildirWriter {
  #dir: string;
  #made = new Set<string>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Adds message `n` (1-based) received at `at` to `address`'s Maildir. */
  write(address: string, n: number, at: Date, bytes: Buffer): void {
    const md = maildirOf(this.#dir, address);
    if (!this.#made.has(address)) {
      for (const d of ['cur', 'new', 'tmp']) mkdirSync(path.join(md, d), { recursive: true });
      for (const d of [path.dirname(md), md, ...['cur', 'new', 'tmp'].map((d) => path.join(md, d))]) chownSync(d, MAIL_OWNER, MAIL_OWNER);
      this.#made.add(address);
    }
    const name = `${Math.floor(at.getTime() / 1000)}.M${n}P${process.pid}.bench,S=${bytes.length},W=${bytes.length}:2,`;
    const file = path.join(md, 'cur', name);
    const fd = openSync(file, 'wx', 0o600);
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
    } finally {
      closeSync(fd);
    }
    chownSync(file, MAIL_OWNER, MAIL_OWNER);
  }
}

function config(dir: string, port: number): string {
  return `# Written by bench/pop3/dovecot.ts for one benchmark run.
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = postroom-bench
protocols = pop3
listen = 127.0.0.1
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
mail_location = maildir:~/Maildir
mail_save_crlf = yes
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${MAIL_OWNER} gid=${MAIL_OWNER} home=${dir}/users/%u
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${port}
  }
  service_count = 0
  process_min_avail = ${os.cpus().length}
}
`;
}

/** Resolves once `host:port` accepts a connection and greets (bounded: rejects after `timeoutMs` or if `child` exits). */
async function waitForGreeting(child: ChildProcess, host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dovecot exited with ${child.exitCode ?? child.signalCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      const t = setTimeout(() => (s.destroy(), resolve(false)), 2000);
      s.once('data', (c: Buffer) => {
        clearTimeout(t);
        s.destroy();
        resolve(c.toString('latin1').startsWith('+OK'));
      });
      s.once('error', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`dovecot did not greet on ${host}:${port} within ${timeoutMs} ms`);
}

/**
 * Configures and starts a private Dovecot in `dir` (its Maildirs may already be there) with one passwd-file line
 * per user: `address:hash`.
 */
export async function startDovecot(dir: string, users: readonly { address: string; hash: string }[]): Promise<DovecotInstance> {
  for (const d of ['run', 'state', 'users']) mkdirSync(path.join(dir, d), { recursive: true });
  chmodSync(dir, 0o755); // dovenull (pop3-login) and nobody (pop3) walk through it
  writeFileSync(path.join(dir, 'passwd'), users.map((u) => `${u.address}:${u.hash}\n`).join(''), { mode: 0o644 }); // read by auth (user dovecot)
  const port = await freePort();
  const conf = path.join(dir, 'dovecot.conf');
  writeFileSync(conf, config(dir, port));
  const host = '127.0.0.1';
  const child = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const log = path.join(dir, 'dovecot.log');
  const errors = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => /: (Error|Fatal|Panic): /.test(l)) : []);
  try {
    await waitForGreeting(child, host, port, 20_000);
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw new Error(`Cannot start the benchmark's Dovecot in ${dir}: ${(err as Error).message}\n${stderr}${errors().slice(-5).join('\n')}`);
  }
  const masterPid = child.pid!;
  let stopped: Promise<void> | undefined;
  return {
    version: dovecotVersion(),
    host,
    port,
    masterPid,
    dir,
    errors,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        for (let i = 0; i < 300 && alive(masterPid); i++) await sleep(100);
        if (alive(masterPid)) {
          child.kill('SIGKILL');
          throw new Error(`Dovecot master ${masterPid} did not stop within 30 s (killed)`);
        }
      })()),
  };
}
