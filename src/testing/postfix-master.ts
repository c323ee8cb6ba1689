/**
 * The lower layer of the private Postfix instances (postfix.ts): writing main.cf and master.cf, starting a master
 * with its own config_directory, queue_directory, data_directory and log file (postlogd in place of syslog), and
 * stopping it again. `npm run bench:smtp` uses this layer directly; tests use `startPostfix` in postfix.ts.
 * Guarantees: the system's Postfix (/etc/postfix, /var/spool/postfix) is neither read nor changed; `stop()` waits
 * until the master has exited; a process that exits without stop() sends the master SIGTERM; every wait is bounded.
 * Limits: needs root (the master runs as root and drops to `postfix`) and Debian's layout (/usr/lib/postfix/sbin).
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { alive } from './peers.js';
import { freePort } from './free-port.js';

export { alive };

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The uid/gid the Maildirs belong to and virtual(8) delivers as (nobody/nogroup on Debian). */
export const MAILDIR_OWNER = 65534;

/**
 * Whether this machine can run a private Postfix; the reason when it cannot.
 *
 * @example
 * ```ts
 * postfixMissing(); // null as root on Debian with the postfix package
 * ```
 */
export function postfixMissing(): string | null {
  if (!existsSync('/usr/sbin/postfix')) return 'Postfix is not installed (apt-get install postfix)';
  if (process.getuid?.() !== 0) return 'a private Postfix instance needs root';
  return null;
}

export { freePort };

/**
 * The main.cf parameters every private instance shares, in the order the bench's main.cf has always had them:
 * own directories, loopback only, no local delivery (empty mydestination), no aliases, the log file.
 *
 * @example
 * ```ts
 * baseParams('/tmp/pf', 'mx.example.test', 'example.test')['queue_directory']; // '/tmp/pf/spool'
 * ```
 */
export function baseParams(dir: string, hostname: string, domain: string): Record<string, string> {
  return {
    compatibility_level: '3.6',
    queue_directory: `${dir}/spool`,
    data_directory: `${dir}/lib`,
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    myhostname: hostname,
    mydomain: domain,
    myorigin: '$myhostname',
    mydestination: '',
    inet_interfaces: 'loopback-only',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    relayhost: '',
    relay_domains: '',
    smtpd_peername_lookup: 'no',
    biff: 'no',
    append_dot_mydomain: 'no',
    alias_maps: '',
    alias_database: '',
    maillog_file_prefixes: dir,
    maillog_file: `${dir}/maillog`,
  };
}

/**
 * main.cf text: a header naming the writer, then one `name = value` line per parameter, in order.
 *
 * @example
 * ```ts
 * renderMainCf('a test', { relayhost: '', biff: 'no' }); // '# Written by a test.\nrelayhost =\nbiff = no\n'
 * ```
 */
export function renderMainCf(writer: string, params: Record<string, string>): string {
  const lines = Object.entries(params).map(([k, v]) => (v === '' ? `${k} =` : `${k} = ${v}`));
  return `# Written by ${writer}.\n${lines.join('\n')}\n`;
}

/**
 * master.cf text: Debian's services without chroot (the chroot would need copies of /etc files) and without the
 * optional pipes, smtpd on 127.0.0.1:`port`; `remote` adds the SMTP client (smtp, relay) and tlsmgr.
 *
 * @example
 * ```ts
 * masterCf(2525, { writer: 'a test', remote: true }).includes('127.0.0.1:2525 inet n - n - - smtpd'); // true
 * ```
 */
export function masterCf(port: number, o: { writer: string; remote?: boolean }): string {
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
    ...(o.remote ? ['smtp unix - - n - - smtp', 'relay unix - - n - - smtp', 'tlsmgr unix - - n 1000? 1 tlsmgr'] : []),
  ];
  return `# Written by ${o.writer}.\n${rows.join('\n')}\n`;
}

/** A running master, configured by the caller. */
export interface PostfixMaster {
  /** mail_version, e.g. "3.7.11". */
  readonly version: string;
  readonly port: number;
  /** "127.0.0.1:port" of its smtpd. */
  readonly target: string;
  readonly masterPid: number;
  /** The config_directory: DIR/etc. */
  readonly etc: string;
  /** The log so far ('' before the first line). */
  log(): string;
  /** `postfix -c DIR/etc stop`, then waits (bounded, 20 s) until the master has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** postfix(1) reports start-up errors only to syslog or a terminal: show the instance's log instead. */
function explain(dir: string, label: string, err: unknown): Error {
  const log = existsSync(path.join(dir, 'maillog')) ? readFileSync(path.join(dir, 'maillog'), 'utf8').trim().split('\n').slice(-5).join('\n') : '';
  return new Error(
    `Cannot start ${label} in ${dir}: ${(err as Error).message.trim()}` +
      (log ? `\n${log}` : `\n(for the reason run: script -qc "postfix -c ${dir}/etc start" /dev/null)`),
  );
}

/**
 * Creates the instance's directories in `dir` (an empty directory, made 0755: the postfix user and nobody walk
 * through it, as through every directory above it, which must be o+x), writes `mainCf`, `masterCf(port)` and `files` (name → text, e.g. texthash maps) into DIR/etc, and
 * starts the master on a free port. When the port was taken in the meantime (bind fails), it tries another one,
 * up to three times. `label` names the instance in errors.
 *
 * @example
 * ```ts
 * const m = await startPostfixMaster({ dir, label: 'a test Postfix', mainCf: renderMainCf('a test', baseParams(dir, 'mx.a.test', 'a.test')),
 *   masterCf: (port) => masterCf(port, { writer: 'a test' }) });
 * await m.stop();
 * ```
 */
export async function startPostfixMaster(o: {
  dir: string;
  label: string;
  mainCf: string;
  masterCf: (port: number) => string;
  files?: Record<string, string>;
}): Promise<PostfixMaster> {
  const { dir } = o;
  const etc = path.join(dir, 'etc');
  for (let up = path.dirname(path.resolve(dir)); up !== path.dirname(up); up = path.dirname(up)) {
    if ((statSync(up).mode & 0o001) === 0) throw new Error(`Cannot start ${o.label} in ${dir}: the postfix user cannot enter ${up} (chmod o+x)`);
  }
  for (const d of ['etc', 'spool', 'lib', 'vmail']) mkdirSync(path.join(dir, d), { recursive: true });
  chmodSync(dir, 0o755);
  chownSync(path.join(dir, 'lib'), Number((await run('id', ['-u', 'postfix'])).stdout.trim()), 0);
  chownSync(path.join(dir, 'vmail'), MAILDIR_OWNER, MAILDIR_OWNER);
  writeFileSync(path.join(etc, 'main.cf'), o.mainCf);
  for (const [name, text] of Object.entries(o.files ?? {})) writeFileSync(path.join(etc, name), text);
  const log = () => (existsSync(path.join(dir, 'maillog')) ? readFileSync(path.join(dir, 'maillog'), 'utf8') : '');
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    writeFileSync(path.join(etc, 'master.cf'), o.masterCf(port));
    const logged = log().length;
    try {
      await run('postfix', ['-c', etc, 'start'], { timeout: 30_000 });
      break;
    } catch (err) {
      if (attempt < 3 && /fatal: bind .*: Address already in use/.test(log().slice(logged))) continue;
      throw explain(dir, o.label, err);
    }
  }
  const masterPid = Number(readFileSync(path.join(dir, 'spool', 'pid', 'master.pid'), 'utf8').trim());
  // If the process ends without stop() (a crash), end the master too (SIGTERM is what `postfix abort` sends).
  const onExit = () => void (alive(masterPid) && process.kill(masterPid, 'SIGTERM'));
  process.once('exit', onExit);
  const version = (await run('postconf', ['-c', etc, '-h', 'mail_version'])).stdout.trim();
  let stopped: Promise<void> | undefined;
  return {
    version,
    port,
    target: `127.0.0.1:${port}`,
    masterPid,
    etc,
    log,
    stop: () =>
      (stopped ??= (async () => {
        process.removeListener('exit', onExit);
        await run('postfix', ['-c', etc, 'stop'], { timeout: 30_000 }).catch(() => undefined);
        for (let i = 0; i < 200 && alive(masterPid); i++) await sleep(100);
        if (alive(masterPid)) throw new Error(`Postfix master ${masterPid} did not stop within 20 s (stop it: postfix -c ${etc} abort)`);
      })()),
  };
}
