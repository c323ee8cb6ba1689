/**
 * The configuration of a Postroom server: defaults for a developer machine (DESIGN.md §6), a TOML file
 * (`--config FILE`) and flags that override it. docs/configuration.md documents every key.
 *
 * Guarantees: a bad file, an unknown key or a bad value throws a ConfigError whose message is ONE line naming the
 * key, the value and what is expected (`config: smtp.max_message_size = "big": expected a size like 25MiB`).
 * Relative paths in the file are resolved against the file's directory, on the command line against the
 * working directory. Reading the configuration touches nothing on disk but the file itself.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { defaultSmtpLimits } from '../smtp/index.js';
import { defaultPop3Limits } from '../pop3/index.js';
import { DEFAULT_BACKOFF } from '../mta/index.js';
import type { AuthWithoutTls } from '../proto/index.js';
import { defaultInlineMaxBytes } from '../store/index.js';
import {
  BAD,
  boolean,
  domainName,
  duration,
  filePath,
  hostName,
  integer,
  listen,
  listOf,
  logLevel,
  network,
  oneOf,
  showValue,
  size,
  userName,
  type ValueContext,
  type ValueType,
} from './config-schema.js';

export type { ListenAddress, LogLevel } from './config-schema.js';

export type { Config, ConfigFlags, Pop3Config, RelayConfig, RouteConfig, ServiceName, SmtpConfig } from './config-types.js';
import type { Config, ConfigFlags, ServiceName } from './config-types.js';
import { bad, ConfigError, key, type Draft, type KeySpec } from './config-keys.js';
import { applyRoutes, checkRoutes, RELAY_KEYS } from './config-relay.js';

export { ConfigError } from './config-keys.js';

/** The machine's host name when it is a usable one, else `localhost`. */
function machineHostname(): string {
  const h = hostName.parse(os.hostname(), { baseDir: '.' });
  return h === BAD ? 'localhost' : h;
}

/**
 * The configuration used when nothing is configured.
 *
 * @example
 * ```ts
 * defaultConfig('/srv').listen.smtp; // { host: '127.0.0.1', port: 2525 }
 * ```
 */
export function defaultConfig(cwd: string = process.cwd()): Config {
  return {
    file: null,
    dataDir: path.resolve(cwd, 'data'),
    hostname: machineHostname(),
    domains: ['localhost'],
    user: null,
    logLevel: 'info',
    trustedNetworks: [],
    shutdownTimeoutMs: 30_000,
    listen: {
      smtp: { host: '127.0.0.1', port: 2525 },
      submission: { host: '127.0.0.1', port: 2587 },
      submissions: null,
      pop3: { host: '127.0.0.1', port: 1110 },
      pop3s: null,
      web: { host: '127.0.0.1', port: 8025 },
    },
    tls: { cert: null, key: null },
    // The defaults are the protocol engines' and the queue's own, so they can never disagree.
    smtp: {
      maxMessageBytes: defaultSmtpLimits.maxMessageBytes,
      maxRecipients: defaultSmtpLimits.maxRecipients,
      bareNewline: 'reject',
      authWithoutTls: 'loopback',
      maxLineLength: defaultSmtpLimits.maxLineBytes,
      maxAuthLineLength: defaultSmtpLimits.maxAuthLineBytes,
      maxErrors: defaultSmtpLimits.maxErrors,
      maxConnections: defaultSmtpLimits.maxConnections,
      maxConnectionsPerIp: defaultSmtpLimits.maxConnectionsPerIp,
      commandTimeoutMs: defaultSmtpLimits.commandTimeoutMs,
      sessionTimeoutMs: defaultSmtpLimits.sessionTimeoutMs,
      minDataRate: defaultSmtpLimits.minDataRate,
      authFailureDelayMs: defaultSmtpLimits.authFailureDelayMs,
      authLockoutFailures: defaultSmtpLimits.authMaxFailures,
      authLockoutWindowMs: defaultSmtpLimits.authWindowMs,
      minFreeDisk: null,
    },
    pop3: {
      maxLineLength: defaultPop3Limits.maxLineBytes,
      maxAuthLineLength: defaultPop3Limits.maxAuthLineBytes,
      idleTimeoutMs: defaultPop3Limits.idleTimeoutMs,
      sessionTimeoutMs: defaultPop3Limits.sessionTimeoutMs,
      maxErrors: defaultPop3Limits.maxErrors,
      maxConnections: defaultPop3Limits.maxConnections,
      maxConnectionsPerIp: defaultPop3Limits.maxConnectionsPerIp,
      authFailureDelayMs: defaultPop3Limits.authFailureDelayMs,
      authWithoutTls: 'loopback',
      // Off: APOP needs every secret stored in clear, and MD5 is weaker than TLS with PASS (issue 4 §1).
      apop: false,
      processes: 1,
    },
    queue: {
      minBackoffMs: DEFAULT_BACKOFF.minMs,
      maxBackoffMs: DEFAULT_BACKOFF.maxMs,
      lifetimeMs: DEFAULT_BACKOFF.lifetimeMs,
      // Postfix's delay_warning_time is off by default; here it applies only to NOTIFY=DELAY recipients.
      delayWarningMs: 4 * 3_600_000,
      bounceSizeLimit: 50_000,
      concurrency: 32,
      deliverAtReceipt: true,
    },
    relay: {
      smarthost: null,
      routes: {},
      tls: 'opportunistic',
      mxPort: 25,
      destinationConcurrency: 20,
      recipientLimit: 50,
      connectTimeoutMs: 30_000,
      connectionCacheTimeMs: 2000,
    },
    store: { inlineMaxBytes: defaultInlineMaxBytes },
  };
}

/** `true` (always), `false` (loopback only, the default) or one of the three words. */
const authWithoutTls: ValueType<AuthWithoutTls> = {
  expected: 'true, false, "never", "loopback" or "always"',
  parse(v, ctx) {
    if (typeof v === 'boolean') return v ? 'always' : 'loopback';
    return oneOf('never', 'loopback', 'always').parse(v, ctx);
  },
};

const LISTEN_FLAGS: Record<ServiceName, keyof ConfigFlags> = {
  smtp: 'smtpListen',
  submission: 'submissionListen',
  submissions: 'submissionsListen',
  pop3: 'pop3Listen',
  pop3s: 'pop3sListen',
  web: 'webListen',
};

/** Every key of the file, in the order of docs/configuration.md. */
export const KEYS: readonly KeySpec[] = [
  key('data_dir', filePath, (c, v) => (c.dataDir = v), 'dataDir'),
  key('hostname', hostName, (c, v) => (c.hostname = v), 'hostname'),
  key('domains', listOf(domainName, 'a list of domain names like ["example.org"]'), (c, v) => (c.domains = v), 'domain'),
  key('user', userName, (c, v) => (c.user = v)),
  key('log_level', logLevel, (c, v) => (c.logLevel = v), 'logLevel'),
  key('trusted_networks', listOf(network, network.expected), (c, v) => (c.trustedNetworks = v)),
  key('shutdown_timeout', duration(), (c, v) => (c.shutdownTimeoutMs = v)),
  ...(Object.keys(LISTEN_FLAGS) as ServiceName[]).map((s) => key(`listen.${s}`, listen, (c, v) => (c.listen[s] = v), LISTEN_FLAGS[s])),
  key('tls.cert', filePath, (c, v) => (c.tls.cert = v)),
  key('tls.key', filePath, (c, v) => (c.tls.key = v)),
  key('smtp.max_message_size', size(1024), (c, v) => (c.smtp.maxMessageBytes = v)),
  key('smtp.max_recipients', integer(1, 100_000), (c, v) => (c.smtp.maxRecipients = v)),
  key('smtp.bare_newline', oneOf('reject', 'normalize'), (c, v) => (c.smtp.bareNewline = v)),
  key('smtp.auth_without_tls', authWithoutTls, (c, v) => (c.smtp.authWithoutTls = v)),
  key('smtp.max_line_length', integer(512, 1_048_576), (c, v) => (c.smtp.maxLineLength = v)),
  key('smtp.max_auth_line_length', integer(512, 1_048_576), (c, v) => (c.smtp.maxAuthLineLength = v)),
  key('smtp.max_errors', integer(1, 10_000), (c, v) => (c.smtp.maxErrors = v)),
  key('smtp.max_connections', integer(1, 1_000_000), (c, v) => (c.smtp.maxConnections = v)),
  key('smtp.max_connections_per_ip', integer(1, 1_000_000), (c, v) => (c.smtp.maxConnectionsPerIp = v)),
  key('smtp.command_timeout', duration(1000), (c, v) => (c.smtp.commandTimeoutMs = v)),
  key('smtp.session_timeout', duration(1000), (c, v) => (c.smtp.sessionTimeoutMs = v)),
  key('smtp.min_data_rate', size(), (c, v) => (c.smtp.minDataRate = v)),
  key('smtp.auth_failure_delay', duration(), (c, v) => (c.smtp.authFailureDelayMs = v)),
  key('smtp.auth_lockout_failures', integer(1, 1_000_000), (c, v) => (c.smtp.authLockoutFailures = v)),
  key('smtp.auth_lockout_window', duration(), (c, v) => (c.smtp.authLockoutWindowMs = v)),
  key('smtp.min_free_disk', size(), (c, v) => (c.smtp.minFreeDisk = v)),
  key('pop3.auth_without_tls', authWithoutTls, (c, v) => (c.pop3.authWithoutTls = v)),
  key('pop3.apop', boolean, (c, v) => (c.pop3.apop = v)),
  key('pop3.processes', integer(1, 64), (c, v) => (c.pop3.processes = v), 'pop3Processes'),
  key('pop3.max_line_length', integer(255, 1_048_576), (c, v) => (c.pop3.maxLineLength = v)),
  key('pop3.max_auth_line_length', integer(255, 1_048_576), (c, v) => (c.pop3.maxAuthLineLength = v)),
  // RFC 1939 §3: an autologout timer, if any, must be of at least 10 minutes.
  key('pop3.idle_timeout', { ...duration(600_000), expected: 'a duration of at least 10m (RFC 1939 §3)' }, (c, v) => (c.pop3.idleTimeoutMs = v)),
  key('pop3.session_timeout', duration(1000), (c, v) => (c.pop3.sessionTimeoutMs = v)),
  key('pop3.max_errors', integer(1, 10_000), (c, v) => (c.pop3.maxErrors = v)),
  key('pop3.max_connections', integer(1, 1_000_000), (c, v) => (c.pop3.maxConnections = v)),
  key('pop3.max_connections_per_ip', integer(1, 1_000_000), (c, v) => (c.pop3.maxConnectionsPerIp = v)),
  key('pop3.auth_failure_delay', duration(), (c, v) => (c.pop3.authFailureDelayMs = v)),
  key('queue.min_backoff', duration(1000), (c, v) => (c.queue.minBackoffMs = v)),
  key('queue.max_backoff', duration(1000), (c, v) => (c.queue.maxBackoffMs = v)),
  key('queue.lifetime', duration(1000), (c, v) => (c.queue.lifetimeMs = v)),
  key('queue.delay_warning', duration(1000), (c, v) => (c.queue.delayWarningMs = v)),
  key('queue.bounce_size_limit', size(), (c, v) => (c.queue.bounceSizeLimit = v)),
  key('queue.concurrency', integer(1, 10_000), (c, v) => (c.queue.concurrency = v)),
  key('queue.deliver_at_receipt', boolean, (c, v) => (c.queue.deliverAtReceipt = v)),
  ...RELAY_KEYS,
  key('store.inline_max_bytes', size(), (c, v) => (c.store.inlineMaxBytes = v)),
];

const FLAG_NAMES: Record<keyof ConfigFlags, string> = {
  config: '--config',
  dataDir: '--data-dir',
  hostname: '--hostname',
  domain: '--domain',
  smtpListen: '--smtp-listen',
  submissionListen: '--submission-listen',
  submissionsListen: '--submissions-listen',
  pop3Listen: '--pop3-listen',
  pop3sListen: '--pop3s-listen',
  webListen: '--web-listen',
  smarthost: '--smarthost',
  logLevel: '--log-level',
  pop3Processes: '--pop3-processes',
};

/** The flags whose key takes a number. */
const NUMBER_FLAGS: ReadonlySet<keyof ConfigFlags> = new Set(['pop3Processes']);

function setValue(c: Draft, spec: KeySpec, name: string, value: unknown, ctx: ValueContext): void {
  const v = spec.type.parse(value, ctx);
  if (v === BAD) throw bad(name, value, spec.type.expected);
  spec.apply(c, v);
}

/** Flattens TOML tables into dotted keys (`smtp.max_recipients`); arrays stay values. */
function flatten(table: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(table).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? flatten(v as Record<string, unknown>, `${prefix}${k}.`)
      : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

/**
 * Why a file named by the configuration could not be read, in a few words (for ConfigError messages).
 *
 * @example
 * ```ts
 * readErrorWhy(Object.assign(new Error('x'), { code: 'ENOENT' })) === 'no such file';
 * ```
 */
export function readErrorWhy(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
}

/**
 * Applies the text of a TOML configuration file to a configuration.
 *
 * @example
 * ```ts
 * const c = applyToml(defaultConfig(), 'smtp.max_recipients = 50', '/etc/postroom/postroom.toml');
 * ```
 */
export function applyToml(base: Config, text: string, file: string): Config {
  let table: Record<string, unknown>;
  try {
    table = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const why = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new ConfigError(`config: ${file}:${err.line}:${err.column}: ${why}`);
    }
    throw err;
  }
  const c = structuredClone(base) as Draft;
  c.file = file;
  const ctx = { baseDir: path.dirname(file) };
  const { routes, ...rest } = table;
  if (routes !== undefined) applyRoutes(c, routes, ctx);
  for (const [name, value] of flatten(rest)) {
    const spec = KEYS.find((k) => k.key === name);
    if (!spec) throw new ConfigError(`config: ${name} = ${showValue(value)}: expected a known key (see docs/configuration.md)`);
    setValue(c, spec, name, value, ctx);
  }
  return c;
}

/**
 * Applies command-line flags to a configuration (they override the file).
 *
 * @example
 * ```ts
 * applyFlags(defaultConfig(), { smtpListen: 'off', domain: ['example.org'] });
 * ```
 */
export function applyFlags(base: Config, flags: ConfigFlags, cwd: string = process.cwd()): Config {
  const c = structuredClone(base) as Draft;
  const ctx = { baseDir: cwd };
  for (const spec of KEYS) {
    const given = spec.flag && flags[spec.flag];
    if (given === undefined) continue;
    // A flag's value is the command line's string: a number only where the key takes one, so that in the file
    // pop3.processes = "4" stays an error as every other string where a number belongs.
    const value = NUMBER_FLAGS.has(spec.flag!) && typeof given === 'string' && /^\d{1,9}$/.test(given) ? Number(given) : given;
    setValue(c, spec, FLAG_NAMES[spec.flag!], value, ctx);
  }
  return c;
}

/** Checks rules that involve more than one key. */
export function checkConfig(c: Config): Config {
  if ((c.tls.cert === null) !== (c.tls.key === null)) {
    const [set, unset] = c.tls.cert === null ? ['tls.key', 'tls.cert'] : ['tls.cert', 'tls.key'];
    throw new ConfigError(`config: ${unset} = (unset): expected a file path when ${set} is set`);
  }
  if (c.queue.maxBackoffMs < c.queue.minBackoffMs) {
    throw bad('queue.max_backoff', `${c.queue.maxBackoffMs / 1000}s`, `a duration of at least queue.min_backoff (${c.queue.minBackoffMs / 1000}s)`);
  }
  if (c.domains.length === 0) throw bad('domains', [], 'at least one domain name');
  checkRoutes(c);
  if (c.pop3.maxAuthLineLength < c.pop3.maxLineLength) {
    throw bad('pop3.max_auth_line_length', c.pop3.maxAuthLineLength, `a whole number of at least pop3.max_line_length (${c.pop3.maxLineLength})`);
  }
  return c;
}

/**
 * Loads the configuration: defaults, then the file named by `flags.config` (when given), then the flags.
 * Throws ConfigError with a one-line message.
 *
 * @example
 * ```ts
 * const config = await loadConfig({ config: 'postroom.toml', smtpListen: '127.0.0.1:0' });
 * ```
 */
export async function loadConfig(flags: ConfigFlags = {}, cwd: string = process.cwd()): Promise<Config> {
  let c = defaultConfig(cwd);
  if (flags.config !== undefined) {
    const file = path.resolve(cwd, flags.config);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`config: ${flags.config}: ${readErrorWhy(err)}`);
    }
    c = applyToml(c, text, file);
  }
  return checkConfig(applyFlags(c, flags, cwd));
}
