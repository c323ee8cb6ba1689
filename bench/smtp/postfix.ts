/**
 * A private Postfix instance for `npm run bench:smtp`: its own config_directory, queue_directory and
 * data_directory in a temp directory, one loopback SMTP port, and virtual(8) Maildir delivery for one address.
 *
 * Guarantees: the system's Postfix (/etc/postfix, /var/spool/postfix) is neither read nor changed; the instance
 * listens on 127.0.0.1 only, makes no DNS queries (no client hostname lookup, no remote delivery), and `stop()`
 * waits until its master has exited. Everything else is Postfix 3.x's default: one fsync per queue file (cleanup)
 * and per delivered Maildir file (virtual), in_flow_delay 1 s, 100 processes per service, 20 parallel deliveries
 * per destination, logging through postlogd to a file (the file takes the place of syslog).
 * Limits: needs root (master runs as root and drops to `postfix`) and Debian's layout (/usr/lib/postfix/sbin).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, chmodSync, openSync, readSync, closeSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Mailbox } from './load.js';
import { alive } from '../common/proc.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The uid/gid the Maildir belongs to and virtual(8) delivers as (nobody/nogroup on Debian). */
const MAILDIR_OWNER = 65534;

/** Whether this machine can run the Postfix side of the benchmark; the reason when it cannot. */
export function postfixMissing(): string | null {
  if (!existsSync('/usr/sbin/postfix')) return 'Postfix is not installed (apt-get install postfix)';
  if (process.getuid?.() !== 0) return 'a private Postfix instance needs root';
  return null;
}

/** A free loopback port (asked from the kernel, then released; Postfix binds it a moment later). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A running instance. */
export interface PostfixInstance {
  readonly version: string;
  /** host:port of its SMTP service. */
  readonly target: string;
  readonly masterPid: number;
  readonly recipient: string;
  /** The recipient's Maildir: `count()` lists Maildir/new, `progress()` counts the deliveries logged so far. */
  readonly mailbox: Mailbox;
  /** `postfix stop`, then waits (bounded) for the master to exit. */
  stop(): Promise<void>;
}

function mainCf(dir: string, domain: string, local: string): string {
  return `# Written by bench/smtp/postfix.ts for one benchmark run.
compatibility_level = 3.6
queue_directory = ${dir}/spool
data_directory = ${dir}/lib
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.${domain}
mydomain = ${domain}
myorigin = $myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
relay_domains =
smtpd_peername_lookup = no
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
maillog_file_prefixes = ${dir}
maillog_file = ${dir}/maillog
virtual_mailbox_domains = ${domain}
virtual_mailbox_base = ${dir}/vmail
virtual_mailbox_maps = inline:{ ${local}@${domain}=${local}/Maildir/ }
virtual_uid_maps = static:${MAILDIR_OWNER}
virtual_gid_maps = static:${MAILDIR_OWNER}
`;
}

/** Debian's master.cf without chroot (the chroot would need copies of /etc files) and without the optional pipes. */
function masterCf(port: number): string {
  const rows = [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'local unix - n n - - local',
    'virtual unix - n n - - virtual',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  return `# Written by bench/smtp/postfix.ts for one benchmark run.\n${rows.join('\n')}\n`;
}

/** postfix(1) reports start-up errors only to syslog or a terminal: show the instance's log instead. */
function explain(dir: string, err: unknown): Error {
  const log = existsSync(path.join(dir, 'maillog')) ? readFileSync(path.join(dir, 'maillog'), 'utf8').trim().split('\n').slice(-5).join('\n') : '';
  return new Error(
    `Cannot start the benchmark's Postfix in ${dir}: ${(err as Error).message.trim()}` +
      (log ? `\n${log}` : `\n(for the reason run: script -qc "postfix -c ${dir}/etc start" /dev/null)`),
  );
}

/**
 * Counts virtual(8)'s `status=sent` log lines, reading only what was appended since the last call: listing a
 * Maildir of 10,000 files takes about 6 ms of CPU, too much to repeat every 20 ms next to the server under test.
 * Throws on a bounce or deferral, which would otherwise only show as a stall.
 */
function logTail(file: string): () => number {
  let offset = 0;
  let sent = 0;
  let partial = '';
  const buf = Buffer.alloc(1 << 20);
  return () => {
    if (!existsSync(file)) return sent;
    const fd = openSync(file, 'r');
    try {
      for (let n = readSync(fd, buf, 0, buf.length, offset); n > 0; n = readSync(fd, buf, 0, buf.length, offset)) {
        offset += n;
        const lines = (partial + buf.toString('latin1', 0, n)).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.includes(' status=sent ')) sent++;
          else if (/ status=(bounced|deferred) /.test(line)) throw new Error(`Postfix did not deliver: ${line}`);
        }
      }
    } finally {
      closeSync(fd);
    }
    return sent;
  };
}

/** Configures and starts a private Postfix in `dir` (an empty directory) for `local@domain`. */
export async function startPostfix(dir: string, domain: string, local: string): Promise<PostfixInstance> {
  const etc = path.join(dir, 'etc');
  for (const d of ['etc', 'spool', 'lib', 'vmail']) mkdirSync(path.join(dir, d), { recursive: true });
  chmodSync(dir, 0o755); // the postfix user and nobody walk through it
  chownSync(path.join(dir, 'lib'), Number((await run('id', ['-u', 'postfix'])).stdout.trim()), 0);
  chownSync(path.join(dir, 'vmail'), MAILDIR_OWNER, MAILDIR_OWNER);
  const port = await freePort();
  writeFileSync(path.join(etc, 'main.cf'), mainCf(dir, domain, local));
  writeFileSync(path.join(etc, 'master.cf'), masterCf(port));
  try {
    await run('postfix', ['-c', etc, 'start'], { timeout: 30_000 });
  } catch (err) {
    throw explain(dir, err);
  }
  const pidFile = path.join(dir, 'spool', 'pid', 'master.pid');
  const masterPid = Number(readFileSync(pidFile, 'utf8').trim());
  const version = (await run('postconf', ['-c', etc, '-h', 'mail_version'])).stdout.trim();
  const newDir = path.join(dir, 'vmail', local, 'Maildir', 'new');
  let stopped: Promise<void> | undefined;
  return {
    version,
    target: `127.0.0.1:${port}`,
    masterPid,
    recipient: `${local}@${domain}`,
    mailbox: {
      count: () => (existsSync(newDir) ? readdirSync(newDir).length : 0),
      progress: logTail(path.join(dir, 'maillog')),
    },
    stop: () =>
      (stopped ??= (async () => {
        await run('postfix', ['-c', etc, 'stop'], { timeout: 30_000 }).catch(() => undefined);
        for (let i = 0; i < 200 && alive(masterPid); i++) await sleep(100);
        if (alive(masterPid)) throw new Error(`Postfix master ${masterPid} did not stop within 20 s (stop it: postfix -c ${etc} abort)`);
      })()),
  };
}
