/**
 * Test helpers for the relay interop tests (issue 5 §4): `postroom start` children configured by a TOML file
 * with static routes (`[routes]`), short queue timers and local users, and ways to look at what they did without
 * typing a command into them: the messages in a mailbox (read from the store while the server runs: SQLite
 * WAL), the queue as `postroom queue list --json` prints it, and a message split into the trace fields servers
 * prepend and the rest.
 *
 * Guarantees: no DNS (every route names `[127.0.0.1]:PORT`, and the daemon helper's smarthost is a loopback port
 * where nothing listens); every wait is bounded; each child is ended by its PID when the test ends.
 * Limits: the data directory must be short enough for its control socket (a temporary directory is).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './app-cli.js';
import { startDaemonChild, type DaemonChild } from './app-daemon.js';
import { openStore } from '../app/index.js';
import { readAll } from '../store/contract-kit.js';

/** Something that runs clean-ups when a test ends (a TestContext, or workDir's stack). */
export interface AfterHook {
  after(fn: () => void | Promise<void>): void;
}

/**
 * A temporary directory (mode 0755, so Postfix's daemons and smtp-sink's `nobody` can walk through it) and a
 * clean-up stack: what is registered with the returned `after` runs when the test ends, last registered first,
 * and then the directory is removed. (A TestContext runs its `after` hooks first registered first, which would
 * remove the directory before the peers living in it were stopped.) Every clean-up runs even when one fails; the
 * first failure is thrown after the removal.
 *
 * @example
 * ```ts
 * const work = workDir(t, 'postroom-relay-');
 * const sink = await startSmtpSink({ dir: path.join(work.dir, 'sink') });
 * work.after(() => sink.stop());
 * ```
 */
export function workDir(t: AfterHook, prefix: string): AfterHook & { readonly dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  const stack: (() => void | Promise<void>)[] = [];
  t.after(async () => {
    let failure: { err: unknown } | undefined;
    for (const fn of stack.reverse()) {
      try {
        await fn();
      } catch (err) {
        failure ??= { err };
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (failure) throw failure.err;
  });
  return { dir, after: (fn) => void stack.push(fn) };
}

/** The password of every user these helpers add. */
export const RELAY_PASSWORD = 'correct horse battery';

/** A static route as the tests write it: always to 127.0.0.1 (an IP literal in brackets: no DNS). */
export interface TestRoute {
  readonly port: number;
  readonly tls: 'none' | 'opportunistic' | 'required';
  /** PEM file of the certificates to trust (for `required`). */
  readonly caFile?: string;
}

/** How to configure one relay daemon. */
export interface RelayDaemonOptions {
  /** A directory of the test; the data directory is `<dir>/<name>`. */
  readonly dir: string;
  /** A short name for the data directory and the configuration file ("a", "b"). */
  readonly name: string;
  readonly hostname: string;
  readonly domains: readonly string[];
  /** Port of the SMTP (MX) listener on 127.0.0.1; 0 (default) picks a free one. */
  readonly smtpPort?: number;
  /** Also listen for submission (STARTTLS + AUTH) on a free port. */
  readonly submission?: boolean;
  /** Domain → route. */
  readonly routes?: Readonly<Record<string, TestRoute>>;
  /** `[queue]` keys as written in the file: `{ min_backoff: '1s', lifetime: '4s' }`. */
  readonly queue?: Readonly<Record<string, string>>;
  /** `trusted_networks` (default 127.0.0.0/8: the test submits on the MX port without AUTH). */
  readonly trustedNetworks?: readonly string[];
  /** Users to add before the start, with RELAY_PASSWORD. */
  readonly users?: readonly string[];
  /** Send all mail for other domains through 127.0.0.1:port, with AUTH as `user` (password RELAY_PASSWORD). */
  readonly smarthost?: TestRoute & { readonly user?: string };
}

/** A running relay daemon. */
export interface RelayDaemon {
  readonly child: DaemonChild;
  readonly dataDir: string;
  readonly hostname: string;
  readonly smtp: { readonly host: string; readonly port: number };
  /** The submission listener (when asked for). */
  readonly submission: { readonly host: string; readonly port: number } | undefined;
  /** The certificate its listeners present (generated into the data directory on the first start). */
  readonly certFile: string;
  /** SIGTERM and waits for the exit (bounded); resolves to the exit code. */
  stop(): Promise<number | null>;
}

const toml = (s: string): string => JSON.stringify(s);

/**
 * The configuration file of a relay daemon (TOML, docs/configuration.md).
 *
 * @example
 * ```ts
 * relayConfig({ dir, name: 'a', hostname: 'mx.a.test', domains: ['a.test'], routes: { 'b.test': { port: 2526, tls: 'none' } } });
 * // 'hostname = "mx.a.test"\n…[routes."b.test"]\nhost = "[127.0.0.1]:2526"\ntls = "none"\n'
 * ```
 */
export function relayConfig(o: RelayDaemonOptions): string {
  const lines = [
    `hostname = ${toml(o.hostname)}`,
    `domains = [${o.domains.map(toml).join(', ')}]`,
    `trusted_networks = [${(o.trustedNetworks ?? ['127.0.0.0/8']).map(toml).join(', ')}]`,
    'shutdown_timeout = "5s"',
    '',
    '[listen]',
    `smtp = "127.0.0.1:${o.smtpPort ?? 0}"`,
    `submission = ${o.submission ? '"127.0.0.1:0"' : '"off"'}`,
    'pop3 = "off"',
    'web = "off"',
  ];
  if (o.queue) lines.push('', '[queue]', ...Object.entries(o.queue).map(([k, v]) => `${k} = ${toml(v)}`));
  const s = o.smarthost;
  if (s) {
    lines.push('', '[relay]', `smarthost = "[127.0.0.1]:${s.port}"`, `smarthost_tls = ${toml(s.tls)}`);
    if (s.caFile !== undefined) lines.push(`smarthost_ca_file = ${toml(s.caFile)}`);
    if (s.user !== undefined) lines.push(`smarthost_user = ${toml(s.user)}`, `smarthost_password_file = ${toml(path.join(o.dir, `${o.name}.password`))}`);
  }
  for (const [domain, r] of Object.entries(o.routes ?? {})) {
    lines.push('', `[routes.${toml(domain)}]`, `host = "[127.0.0.1]:${r.port}"`, `tls = ${toml(r.tls)}`);
    if (r.caFile !== undefined) lines.push(`ca_file = ${toml(r.caFile)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Adds the users, writes the configuration and starts `postroom start --config FILE` (see the module header).
 *
 * @example
 * ```ts
 * const b = await startRelayDaemon(t, { dir, name: 'b', hostname: 'mx.example.net', domains: ['example.net'], users: ['bob@example.net'] });
 * ```
 */
export async function startRelayDaemon(t: AfterHook, o: RelayDaemonOptions): Promise<RelayDaemon> {
  const dataDir = path.join(o.dir, o.name);
  for (const u of o.users ?? []) {
    const r = await runCli(['user', 'add', u, '--password-stdin', '--data-dir', dataDir], `${RELAY_PASSWORD}\n`);
    if (r.code !== 0) throw new Error(`Cannot add user ${u}: ${r.err.trim()}`);
  }
  const file = path.join(o.dir, `${o.name}.toml`);
  writeFileSync(file, relayConfig(o));
  if (o.smarthost?.user !== undefined) writeFileSync(path.join(o.dir, `${o.name}.password`), `${RELAY_PASSWORD}\n`, { mode: 0o600 });
  // The flag repeats the file's smarthost: without it the daemon helper would send other domains to a dead port.
  const relay = o.smarthost ? ['--smarthost', `[127.0.0.1]:${o.smarthost.port}`] : [];
  const child = await startDaemonChild(t, ['--config', file, '--data-dir', dataDir, ...relay]);
  const smtp = child.addresses.get('smtp');
  if (!smtp) throw new Error(`postroom ${o.name} printed no SMTP address:\n${child.stdout()}`);
  return {
    child,
    dataDir,
    hostname: o.hostname,
    smtp,
    submission: child.addresses.get('submission'),
    certFile: path.join(dataDir, 'tls', 'cert.pem'),
    stop: () => child.stop('SIGTERM'),
  };
}

/**
 * The messages in `address`'s INBOX, oldest first, read from the store (the server may be running).
 *
 * @example
 * ```ts
 * const [first] = await mailboxMessages(b.dataDir, 'bob@example.net');
 * ```
 */
export async function mailboxMessages(dataDir: string, address: string): Promise<Buffer[]> {
  const store = await openStore({ dataDir }, { create: false });
  try {
    const user = await store.users.get(address);
    if (!user) throw new Error(`No user ${address} in ${dataDir}`);
    const box = await store.mailbox(user.id);
    const out: Buffer[] = [];
    for await (const rec of box.list()) out.push(await readAll(await box.open(rec.uid)));
    return out;
  } finally {
    await store.close();
  }
}

/**
 * Waits until `address`'s INBOX holds at least `n` messages (rejects after `timeoutMs`), then returns them all.
 *
 * @example
 * ```ts
 * const [m] = await waitForMailboxMessages(b.dataDir, 'bob@example.net', 1);
 * ```
 */
export async function waitForMailboxMessages(dataDir: string, address: string, n: number, timeoutMs = 15_000): Promise<Buffer[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await mailboxMessages(dataDir, address);
    if (got.length >= n) return got;
    if (Date.now() > deadline) throw new Error(`${address} holds ${got.length} of ${n} messages after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A recipient as `postroom queue list --json` prints it. */
export interface ListedRcpt {
  readonly address: string;
  readonly state: string;
  readonly attempts: number;
  readonly lastReply?: string;
  readonly notify?: readonly string[];
  readonly orcpt?: string;
  readonly delayReported?: boolean;
}

/** A message as `postroom queue list --json` prints it. */
export interface ListedItem {
  readonly id: string;
  readonly envelope: { readonly from: string; readonly envid?: string; readonly ret?: string };
  readonly rcpts: readonly ListedRcpt[];
}

/**
 * Runs `postroom queue list --json --data-dir DIR` and parses what it printed (throws on a non-zero exit).
 *
 * @example
 * ```ts
 * const [item] = await queueList(a.dataDir); // item.rcpts[0].state === 'deferred'
 * ```
 */
export async function queueList(dataDir: string): Promise<ListedItem[]> {
  const r = await runCli(['queue', 'list', '--json', '--data-dir', dataDir]);
  if (r.code !== 0) throw new Error(`postroom queue list failed (${r.code}): ${r.err.trim()}`);
  return JSON.parse(r.out) as ListedItem[];
}

/**
 * Polls `queueList` until `accept` returns a value other than undefined (rejects after `timeoutMs`).
 *
 * @example
 * ```ts
 * await waitForQueue(a.dataDir, (items) => (items.length === 0 ? true : undefined));
 * ```
 */
export async function waitForQueue<T>(dataDir: string, accept: (items: ListedItem[]) => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: ListedItem[] = [];
  for (;;) {
    last = await queueList(dataDir);
    const v = accept(last);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`The queue of ${dataDir} did not reach the state wanted in ${timeoutMs} ms: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The trace fields servers prepend (RFC 5321 §4.4) and Postfix's virtual(8) adds. */
const TRACE = /^(?:return-path|delivered-to|received|x-original-to):/i;

/**
 * Splits a delivered message into the trace fields at its top (Return-Path, Delivered-To, Received …, with their
 * continuation lines) and the rest, byte for byte. Works for CRLF and LF line ends.
 *
 * @example
 * ```ts
 * splitTrace(Buffer.from('Received: from a\r\n\tby b; date\r\nSubject: x\r\n\r\nHi\r\n'));
 * // { trace: ['Received: from a\r\n\tby b; date\r\n'], rest: <'Subject: x\r\n\r\nHi\r\n'> }
 * ```
 */
export function splitTrace(raw: Buffer): { trace: string[]; rest: Buffer } {
  const trace: string[] = [];
  let at = 0;
  for (;;) {
    const line = (from: number): number => {
      const nl = raw.indexOf(0x0a, from);
      return nl < 0 ? raw.length : nl + 1;
    };
    if (!TRACE.test(raw.toString('latin1', at, Math.min(raw.length, at + 20)))) break;
    let end = line(at);
    while (raw[end] === 0x20 || raw[end] === 0x09) end = line(end);
    trace.push(raw.toString('utf8', at, end));
    at = end;
  }
  return { trace, rest: raw.subarray(at) };
}
