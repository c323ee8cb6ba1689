/**
 * The server process: start every configured service in one process (POP3 sessions also in worker processes when
 * `pop3.processes` > 1), run until SIGTERM/SIGINT, stop gracefully.
 *
 * Start order: the data directory and store (migrations), the configured domains, TLS (configured or
 * self-signed), the MTA (submit backend, queue runner) and the POP3 maildrop backend, the SMTP listeners and then
 * the POP3 listeners (ports below 1024 are bound while still root; one AUTH lockout shared by all of them), then
 * privileges are dropped to `user`, the control socket `<data_dir>/control.sock` starts (control.ts: `postroom
 * queue flush` tells the queue runner to run at once), the queue runner starts, and the banner is printed: each
 * service's address, the data directory and how to add the first user. Before it opens the store, start-up
 * refuses a data directory on which another server answers the control socket, and one whose socket path is too
 * long for a Unix socket (one line, exit code 2).
 *
 * Stop (SIGTERM or SIGINT): the listeners stop accepting and answer new connections (`421 4.3.2`, `-ERR`), the
 * control socket closes (its file is removed), transactions and POP3 sessions in flight may finish until
 * `shutdown_timeout`, the queue runner finishes its attempts, the store is closed, and the exit code is 0. A
 * second signal exits at once with code 1 (nothing acknowledged is lost: 250 was only sent after the queue commit,
 * POP3 `+OK` to QUIT only after the expunge).
 * SIGHUP reloads the TLS certificate and key for every listener.
 * With `pop3.processes` > 1, the POP3 worker processes start after the privileges are dropped, take the POP3
 * listeners' connections when they have fewer than this process, get every certificate reload, and drain with the
 * listeners (pop3-workers.ts).
 * Limits: webmail is accepted in the configuration and printed as "not available yet".
 */
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { AuthThrottle, HandOff } from '../proto/index.js';
import type { Store } from '../store/index.js';
import type { Config, ListenAddress, ServiceName } from './config.js';
import { createLogger, type Logger } from './log.js';
import { dropPrivileges, resolveRunAs } from './privileges.js';
import { loadTls, type TlsMaterial } from './tls.js';
import { Pop3Workers } from './pop3-workers.js';
import { ConfigError } from './config.js';
import { assertNoServer, ControlSocketError, controlSocketPath, startControlServer, type ControlServer } from './control.js';
import {
  buildMta,
  buildPop3Backend,
  buildPop3Server,
  buildSmtpServer,
  newAuthThrottle,
  openStore,
  POP3_SERVICES,
  SMTP_SERVICES,
  type Mta,
} from './wiring.js';

/** A running server. */
export interface Daemon {
  /** The addresses the started services listen on (port 0 in the configuration is resolved here). */
  readonly addresses: ReadonlyMap<ServiceName, AddressInfo>;
  readonly tls: TlsMaterial;
  /** Reads the certificate and key again and hands them to every server (what SIGHUP does). */
  reloadTls(): Promise<void>;
  /** Stops gracefully; resolves when everything is closed. Calling it again returns the same promise. */
  stop(): Promise<void>;
}

/** Where the banner goes. */
export interface DaemonIo {
  out(text: string): void;
  err(text: string): void;
}

const WHAT: Record<ServiceName, string> = {
  smtp: 'MX: mail from other servers for your domains',
  submission: 'your users send mail (STARTTLS + AUTH)',
  submissions: 'your users send mail (implicit TLS + AUTH)',
  pop3: 'your users fetch mail (STLS + USER/PASS or AUTH)',
  pop3s: 'your users fetch mail (implicit TLS)',
  web: 'webmail, not available yet',
};

function showAddress(a: { address: string; port: number } | ListenAddress): string {
  const host = 'address' in a ? a.address : a.host;
  return host.includes(':') ? `[${host}]:${a.port}` : `${host}:${a.port}`;
}

/** The lines printed after start: one per service, then the data directory and the next step. */
function banner(config: Config, addresses: ReadonlyMap<ServiceName, AddressInfo>, tls: TlsMaterial): string {
  const lines = [`postroom is running as ${config.hostname} for ${config.domains.join(', ')}`];
  const rows = (Object.keys(WHAT) as ServiceName[]).map((s) => {
    const bound = addresses.get(s);
    const configured = config.listen[s];
    const where = bound ? `listening on ${showAddress(bound)}` : configured ? showAddress(configured) : 'off';
    return [s, where, bound || configured ? WHAT[s] : ''] as const;
  });
  const width = Math.max(...rows.map((r) => r[1].length));
  for (const [s, where, what] of rows) lines.push(`  ${s.padEnd(12)} ${what ? `${where.padEnd(width)}  ${what}` : where}`);
  const workers = config.pop3.processes - 1;
  if (workers > 0) lines.push(`pop3 sessions: in this process and ${workers} worker process${workers === 1 ? '' : 'es'} (pop3.processes = ${config.pop3.processes})`);
  lines.push(`relay: ${relaySummary(config)}`);
  lines.push(`data directory: ${config.dataDir}`);
  lines.push(tls.source === 'configured' ? `TLS certificate: ${tls.certFile}` : `TLS certificate: self-signed, ${tls.certFile}`);
  const where = config.file ? ` --config ${config.file}` : config.dataDir !== path.resolve('data') ? ` --data-dir ${config.dataDir}` : '';
  lines.push(`add the first user: postroom user add you@${config.domains[0]}${where}`);
  lines.push('stop with Ctrl-C or SIGTERM; SIGHUP reloads the TLS certificate');
  return lines.join('\n') + '\n';
}

/** Where mail for other domains goes, in a few words (the banner's relay line). */
function relaySummary(config: Config): string {
  const routes = Object.keys(config.relay.routes).length;
  const s = config.relay.smarthost;
  const via = s ? `smarthost ${s.mx ? s.host : `[${s.host}]`}:${s.port}${s.user ? ` as ${s.user}` : ''}` : 'MX records';
  return `other domains through ${via}${routes > 0 ? `, ${routes} static route${routes === 1 ? '' : 's'}` : ''}`;
}

/** A refusal of the control socket is one line for the operator, like a configuration problem (exit code 2). */
function asConfigError(err: unknown): never {
  throw err instanceof ControlSocketError ? new ConfigError(err.message) : err;
}

async function ensureDomains(store: Store, domains: readonly string[]): Promise<void> {
  for (const d of domains) if (!(await store.domains.has(d))) await store.domains.add(d);
}

/** What the daemon needs of every protocol server (SmtpServer and Pop3Server have the same lifecycle). */
interface Listener {
  listen(port: number, host: string): Promise<AddressInfo>;
  setTls(tls: { key: string; cert: string }): void;
  setHandOff(h: HandOff | null): void;
  readonly connections: number;
  close(opts: { deadlineMs?: number }): Promise<void>;
}

type Started = Map<ServiceName, { server: Listener; address: AddressInfo }>;

async function listenAll(config: Config, store: Store, mta: Mta, tls: TlsMaterial, log: Logger, throttle: AuthThrottle): Promise<Started> {
  const started: Started = new Map();
  const pop3 = buildPop3Backend(store, log);
  const services: [ServiceName, () => Listener][] = [];
  for (const s of SMTP_SERVICES) services.push([s, () => buildSmtpServer(s, config, mta.backend, tls, log, throttle)]);
  for (const s of POP3_SERVICES) services.push([s, () => buildPop3Server(s, config, pop3, tls, log, throttle)]);
  try {
    for (const [service, build] of services) {
      const at = config.listen[service];
      if (!at) continue;
      const server = build();
      try {
        started.set(service, { server, address: await server.listen(at.port, at.host) });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        const why = code === 'EADDRINUSE' ? 'address in use' : code === 'EACCES' ? 'permission denied (ports below 1024 need root)' : code === 'EADDRNOTAVAIL' ? 'no such local address' : code;
        throw new ConfigError(`config: listen.${service} = "${showAddress(at)}": expected an address this machine can listen on (${why})`);
      }
    }
  } catch (err) {
    await Promise.all([...started.values()].map((s) => s.server.close({ deadlineMs: 0 })));
    throw err;
  }
  return started;
}

/**
 * Starts the server and prints the banner; resolves once every listener is bound.
 * Throws ConfigError (one line) for what the configuration got wrong (a port in use, a missing TLS file …).
 *
 * @example
 * ```ts
 * const daemon = await startDaemon(await loadConfig({ smtpListen: '127.0.0.1:0' }), { out: console.log, err: console.error });
 * await daemon.stop();
 * ```
 */
export async function startDaemon(config: Config, io: DaemonIo, log: Logger = createLogger({ level: config.logLevel })): Promise<Daemon> {
  const runAs = await resolveRunAs(config.user);
  const controlPath = controlSocketPath(config.dataDir);
  await assertNoServer(controlPath).catch(asConfigError);
  const store = await openStore(config, { create: true });
  let servers: Started = new Map();
  let mta: Mta | undefined;
  let control: ControlServer | undefined;
  let workers: Pop3Workers | undefined;
  try {
    await ensureDomains(store, config.domains);
    const tls = await loadTls(config);
    if (tls.source === 'generated') log.info({ cert: tls.certFile }, 'generated a self-signed TLS certificate');
    mta = buildMta(store, config, log);
    const throttle = newAuthThrottle(config);
    servers = await listenAll(config, store, mta, tls, log, throttle);
    if (runAs) {
      await dropPrivileges(runAs, config.dataDir);
      log.info({ user: runAs.name, uid: runAs.uid }, 'dropped privileges');
    }
    if (config.pop3.processes > 1 && POP3_SERVICES.some((s) => servers.has(s))) {
      const pool = (workers = new Pop3Workers(config.pop3.processes - 1, config, tls, throttle, log.child({ svc: 'pop3-workers' })));
      pool.start();
      // This process's POP3 sessions, on every POP3 listener: a worker gets a connection when it has fewer.
      const here = (): number => POP3_SERVICES.reduce((n, s) => n + (servers.get(s)?.server.connections ?? 0), 0);
      for (const s of POP3_SERVICES) servers.get(s)?.server.setHandOff(pool.handOff(s, here));
    }
    const runner = mta.runner;
    const started = mta;
    control = await startControlServer({ path: controlPath, onFlush: () => runner.notify(), log: log.child({ svc: 'control' }) }).catch(asConfigError);
    runner.start();
    const addresses = new Map([...servers].map(([s, v]) => [s, v.address] as const));
    for (const [s, a] of addresses) log.info({ svc: s, address: a.address, port: a.port }, 'listening');
    io.out(banner(config, addresses, tls));

    let current = tls;
    let stopping: Promise<void> | null = null;
    const controlServer = control;
    return {
      addresses,
      get tls() {
        return current;
      },
      async reloadTls() {
        current = await loadTls(config);
        for (const { server } of servers.values()) server.setTls({ key: current.key, cert: current.cert });
        workers?.setTls({ key: current.key, cert: current.cert });
        log.info({ cert: current.certFile, validTo: current.validTo.toISOString() }, 'reloaded the TLS certificate');
      },
      stop() {
        stopping ??= (async () => {
          log.info({ deadlineMs: config.shutdownTimeoutMs }, 'stopping');
          // The listeners start refusing new connections at once; then the control socket goes.
          const listeners = Promise.all([...servers.values()].map((s) => s.server.close({ deadlineMs: config.shutdownTimeoutMs })));
          const workersDone = workers?.stop(config.shutdownTimeoutMs);
          await controlServer.close();
          await listeners;
          await workersDone;
          await started.stop();
          await store.close();
          log.info({}, 'stopped');
          log.flush?.();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await workers?.stop(0);
    await control?.close();
    await Promise.all([...servers.values()].map((s) => s.server.close({ deadlineMs: 0 })));
    await mta?.stop();
    await store.close();
    throw err;
  }
}

/**
 * Runs the server until SIGTERM or SIGINT and resolves to the exit code (0 after a graceful stop).
 * Installs the signal handlers for its lifetime (SIGHUP reloads TLS).
 *
 * @example
 * ```ts
 * process.exitCode = await runDaemon(config, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
 * ```
 */
export async function runDaemon(config: Config, io: DaemonIo): Promise<number> {
  const log = createLogger({ level: config.logLevel });
  const daemon = await startDaemon(config, io, log);
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onStop = (signal: NodeJS.Signals): void => {
      if (signalled) {
        log.warn({ signal }, 'second signal: exiting at once');
        process.exit(1);
      }
      signalled = true;
      log.info({ signal }, 'signal received');
      daemon.stop().then(
        () => {
          cleanup();
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          cleanup();
          resolve(1);
        },
      );
    };
    const onHup = (): void => {
      daemon.reloadTls().catch((err: unknown) => log.error({ err: (err as Error).message }, 'TLS reload failed; keeping the old certificate'));
    };
    const cleanup = (): void => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHup);
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
  });
}
