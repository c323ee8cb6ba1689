/**
 * The one place that picks concrete classes (DESIGN.md §2): the SQLite store in the data directory, the submit
 * backend and queue runner of mta/, local delivery, one SmtpServer per configured SMTP listener, and the maildrop
 * backend with one Pop3Server per configured POP3 listener, each given the limits and policy of the configuration.
 *
 * Guarantees: openStore runs the migrations before anything uses the store, and never creates a data directory
 * unless asked (admin commands that only read refuse a missing one instead of making an empty store).
 */
import { promises as fsp, readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import {
  createAtOnce,
  createDsnSender,
  createLocalDelivery,
  createRemoteDelivery,
  createResolver,
  forwardByQueue,
  createRouter,
  createSubmitBackend,
  nextHop,
  QueueRunner,
  systemSetTimer,
  type DnsResolver,
  type NextHopPolicy,
  type RouteTarget,
} from '../mta/index.js';
import { connect } from '../smtp/client/index.js';
import { openSqliteStore, verifyPassword, type Store } from '../store/index.js';
import { AuthThrottle } from '../proto/index.js';
import { SmtpServer, type SmtpBackend } from '../smtp/server/index.js';
import { Pop3Server, type Pop3Backend } from '../pop3/server/index.js';
import { createMaildropBackend } from '../maildrop/index.js';
import { AdminError } from './admin.js';
import { ConfigError, readErrorWhy, type Config, type RouteConfig } from './config.js';
import type { Logger } from './log.js';

/** The SMTP services, in the order they are started and printed. */
export const SMTP_SERVICES = ['smtp', 'submission', 'submissions'] as const;
export type SmtpService = (typeof SMTP_SERVICES)[number];

/** The POP3 services: STLS on 110, implicit TLS on 995 (RFC 8314), started after the SMTP ones. */
export const POP3_SERVICES = ['pop3', 'pop3s'] as const;
export type Pop3Service = (typeof POP3_SERVICES)[number];

/**
 * Opens (and migrates) the store of the configured data directory.
 *
 * @example
 * ```ts
 * const store = await openStore(config, { create: false });  // AdminError 'io' when the directory is missing
 * ```
 */
export async function openStore(config: Pick<Config, 'dataDir'> & Partial<Pick<Config, 'store'>>, o: { create: boolean }): Promise<Store> {
  if (o.create) await fsp.mkdir(config.dataDir, { recursive: true });
  else {
    const st = await fsp.stat(config.dataDir).catch(() => null);
    if (!st?.isDirectory()) {
      throw new AdminError('io', `${config.dataDir}: no data directory (start the server once, or pass --data-dir or --config)`);
    }
  }
  const inline = config.store?.inlineMaxBytes;
  // openSqliteStore runs the migrations itself (before its start-up maintenance); no second pass is needed here.
  return openSqliteStore({ dataDir: config.dataDir, ...(inline !== undefined ? { inlineMaxBytes: inline } : {}) });
}

/**
 * Free bytes on the file system of `dir` (for the submit backend's 452 4.3.1), asked of the kernel at most once a
 * second: a statfs per MAIL cost 5 % of the server's CPU under load, and the free-space margin
 * (`smtp.min_free_disk`) is far larger than what a second of mail can fill.
 */
function diskFree(dir: string, maxAgeMs = 1000): () => Promise<number> {
  let last: { at: number; free: Promise<number> } | null = null;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= maxAgeMs) {
      const free = fsp.statfs(dir).then((s) => s.bavail * s.bsize);
      last = { at: now, free };
      free.catch(() => (last = null)); // an error is not kept: the next MAIL asks again
    }
    return last.free;
  };
}

/** The MTA: the SmtpBackend of every listener and the queue runner that delivers what it accepted. */
export interface Mta {
  readonly backend: SmtpBackend;
  readonly runner: QueueRunner;
  /** Stops the runner (waiting for attempts in flight) and quits the idle relay connections. */
  stop(): Promise<void>;
}

/** Reads a file a route names (a password or CA certificates), as a one-line ConfigError when it cannot. */
function routeFile(key: string, file: string, trim: boolean): string {
  try {
    const text = readFileSync(file, 'utf8');
    return trim ? text.replace(/\r?\n$/, '') : text;
  } catch (err) {
    throw new ConfigError(`config: ${key} = ${JSON.stringify(file)}: ${readErrorWhy(err)}`);
  }
}

/** A configured route with its files read; `prefix` names its keys (`relay.smarthost_`, `routes."d".`). */
function routeTarget(prefix: string, r: RouteConfig): RouteTarget {
  return {
    host: r.host,
    port: r.port,
    mx: r.mx,
    tls: r.tls,
    ...(r.user !== null && r.passwordFile !== null ? { auth: { user: r.user, pass: routeFile(`${prefix}password_file`, r.passwordFile, true) } } : {}),
    ...(r.caFile !== null ? { ca: routeFile(`${prefix}ca_file`, r.caFile, false) } : {}),
  };
}

/**
 * The relay's routing policy from the configuration (static routes, smarthost, MX), with password and CA files
 * read now, so a missing file stops the start with one line.
 *
 * @example
 * ```ts
 * const policy = relayPolicy(config, new Resolver());
 * await nextHop('example.net', policy);
 * ```
 */
export function relayPolicy(config: Config, dns: DnsResolver, random: () => number = Math.random): NextHopPolicy {
  const routes = new Map(Object.entries(config.relay.routes).map(([d, r]) => [d, routeTarget(`routes.${JSON.stringify(d)}.`, r)] as const));
  const smart = config.relay.smarthost;
  return {
    routes,
    ...(smart ? { smarthost: routeTarget('relay.smarthost_', smart) } : {}),
    mxPort: config.relay.mxPort,
    mxTls: config.relay.tls,
    hostname: config.hostname,
    dns,
    random,
  };
}

/**
 * Builds the submit backend and the queue runner on a store.
 *
 * @example
 * ```ts
 * const { backend, runner } = buildMta(store, config, log);
 * runner.start();
 * ```
 */
export function buildMta(store: Store, config: Config, log: Logger, now: () => Date = () => new Date(), dns: DnsResolver = new Resolver()): Mta {
  const mtaLog = log.child({ svc: 'mta' });
  const policy = relayPolicy(config, dns);
  const tzOffsetMinutes = -now().getTimezoneOffset();
  const remote = createRemoteDelivery({
    hostname: config.hostname,
    nextHop: (domain) => nextHop(domain, policy),
    connect,
    now,
    log: log.child({ svc: 'relay' }),
    setTimer: systemSetTimer,
    perDestination: config.relay.destinationConcurrency,
    maxRcpts: config.relay.recipientLimit,
    timeouts: { connect: config.relay.connectTimeoutMs },
    connectionIdleMs: config.relay.connectionCacheTimeMs,
    tzOffsetMinutes,
  });
  // Reports are queued like any message; `queued` wakes the runner (assigned below, once it exists).
  let wake = (): void => {};
  const dsn = createDsnSender({
    store,
    reportingMta: config.hostname,
    now,
    log: mtaLog,
    maxFullBytes: config.queue.bounceSizeLimit,
    lifetimeMs: config.queue.lifetimeMs,
    tzOffsetMinutes,
    queued: () => wake(),
  });
  const router = createRouter(store.domains);
  const resolver = createResolver({ users: store.users, aliases: store.aliases, router });
  const local = createLocalDelivery({
    store,
    resolver,
    hostname: config.hostname,
    now,
    log: mtaLog,
    tzOffsetMinutes,
    forward: forwardByQueue(store.queue, now, () => wake()),
  });
  const runner = new QueueRunner({
    store,
    agents: { local, remote },
    router,
    now,
    setTimer: systemSetTimer,
    worker: `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    backoff: { minMs: config.queue.minBackoffMs, maxMs: config.queue.maxBackoffMs, lifetimeMs: config.queue.lifetimeMs },
    log: log.child({ svc: 'queue' }),
    onDsn: dsn,
    delayNoticeMs: config.queue.delayWarningMs,
    concurrency: config.queue.concurrency,
  });
  wake = () => runner.notify();
  const submit = createSubmitBackend({
    store,
    hostname: config.hostname,
    trustedNetworks: config.trustedNetworks,
    maxMessageBytes: config.smtp.maxMessageBytes,
    now,
    log: mtaLog,
    diskFree: diskFree(config.dataDir),
    ...(config.smtp.minFreeDisk !== null ? { minFreeBytes: config.smtp.minFreeDisk } : {}),
    verifyPassword,
    queued: () => runner.notify(),
    ...(config.queue.deliverAtReceipt ? { atOnce: createAtOnce({ store, hostname: config.hostname, log: mtaLog, tzOffsetMinutes }) } : {}),
  });
  return {
    backend: submit,
    runner,
    async stop() {
      await runner.stop();
      await remote.close();
    },
  };
}

/**
 * One AUTH lockout shared by every listener (a guesser cannot switch ports to get more tries), and with the POP3
 * worker processes when there are some (pop3-workers.ts).
 */
export function newAuthThrottle(config: Config): AuthThrottle {
  return new AuthThrottle({ maxFailures: config.smtp.authLockoutFailures, windowMs: config.smtp.authLockoutWindowMs });
}

/**
 * Creates the SMTP server of one service with the configured limits (not listening yet).
 *
 * @example
 * ```ts
 * const server = buildSmtpServer('submission', config, backend, tls, log);
 * const addr = await server.listen(587, '0.0.0.0');
 * ```
 */
export function buildSmtpServer(
  service: SmtpService,
  config: Config,
  backend: SmtpBackend,
  tls: { key: string; cert: string },
  log: Logger,
  authThrottle: AuthThrottle = newAuthThrottle(config),
): SmtpServer {
  const s = config.smtp;
  return new SmtpServer({
    hostname: config.hostname,
    service,
    backend,
    tls: { key: tls.key, cert: tls.cert },
    authWithoutTls: s.authWithoutTls,
    bareNewline: s.bareNewline,
    limits: {
      maxMessageBytes: s.maxMessageBytes,
      maxRecipients: s.maxRecipients,
      maxLineBytes: s.maxLineLength,
      maxAuthLineBytes: s.maxAuthLineLength,
      maxErrors: s.maxErrors,
      maxConnections: s.maxConnections,
      maxConnectionsPerIp: s.maxConnectionsPerIp,
      commandTimeoutMs: s.commandTimeoutMs,
      sessionTimeoutMs: s.sessionTimeoutMs,
      minDataRate: s.minDataRate,
      authFailureDelayMs: s.authFailureDelayMs,
      authMaxFailures: s.authLockoutFailures,
      authWindowMs: s.authLockoutWindowMs,
    },
    authThrottle,
    log: log.child({ svc: service }),
  });
}

/**
 * The POP3 backend over the store: authentication against the store's users, the maildrop lock and snapshot.
 *
 * @example
 * ```ts
 * const backend = buildPop3Backend(store, log);
 * const server = buildPop3Server('pop3', config, backend, tls, log, throttle);
 * ```
 */
export function buildPop3Backend(store: Store, log: Logger): Pop3Backend {
  return createMaildropBackend({ store, log: log.child({ svc: 'maildrop' }), verifyPassword });
}

/**
 * Creates the POP3 server of one service with the configured limits (not listening yet). The AUTH lockout is the
 * one shared with SMTP (`smtp.auth_lockout_*`), so a guesser cannot switch protocols to get more tries.
 *
 * @example
 * ```ts
 * const server = buildPop3Server('pop3s', config, buildPop3Backend(store, log), tls, log, newAuthThrottle(config));
 * const addr = await server.listen(995, '0.0.0.0');
 * ```
 */
export function buildPop3Server(
  service: Pop3Service,
  config: Config,
  backend: Pop3Backend,
  tls: { key: string; cert: string },
  log: Logger,
  authThrottle: AuthThrottle = newAuthThrottle(config),
): Pop3Server {
  const p = config.pop3;
  return new Pop3Server({
    hostname: config.hostname,
    service,
    backend,
    tls: { key: tls.key, cert: tls.cert },
    authWithoutTls: p.authWithoutTls,
    apop: p.apop,
    limits: {
      maxLineBytes: p.maxLineLength,
      maxAuthLineBytes: p.maxAuthLineLength,
      idleTimeoutMs: p.idleTimeoutMs,
      sessionTimeoutMs: p.sessionTimeoutMs,
      maxErrors: p.maxErrors,
      maxConnections: p.maxConnections,
      maxConnectionsPerIp: p.maxConnectionsPerIp,
      authFailureDelayMs: p.authFailureDelayMs,
      // The shared throttle counts with these; passing them keeps the server's own view the same.
      authMaxFailures: config.smtp.authLockoutFailures,
      authWindowMs: config.smtp.authLockoutWindowMs,
    },
    authThrottle,
    log: log.child({ svc: service }),
    // Worker processes take connections from this listener (a worker itself runs with processes = 1).
    handOff: p.processes > 1,
  });
}
