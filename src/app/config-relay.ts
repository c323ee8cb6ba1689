/**
 * The relay's keys (issue 5, docs/configuration.md `[relay]` and `[routes]`): the smarthost and its options, MX
 * delivery settings, and the static routes table, whose domain names (with dots) are read before the file's keys
 * are flattened.
 */
import type { TlsMode } from '../smtp/client/index.js';
import { BAD, domainName, duration, filePath, hopAddress, integer, oneOf, type ValueContext } from './config-schema.js';
import type { Config, RouteConfig } from './config-types.js';
import { bad, ConfigError, key, type Draft, type KeySpec, type Mutable } from './config-keys.js';

/** TLS policy of a next hop. */
const tlsMode = oneOf<TlsMode>('none', 'opportunistic', 'required', 'implicit');

/** The keys of one route table (`routes."example.net".tls`) or of the smarthost (`relay.smarthost_tls`). */
function routeKeys(prefix: string, route: (c: Draft) => Mutable<RouteConfig>): KeySpec[] {
  return [
    key(`${prefix}tls`, tlsMode, (c, v) => (route(c).tls = v)),
    key(`${prefix}user`, { expected: 'a user name', parse: (v) => (typeof v === 'string' && v !== '' && !/[\0\r\n]/.test(v) ? v : BAD) }, (c, v) => (route(c).user = v)),
    key(`${prefix}password_file`, filePath, (c, v) => (route(c).passwordFile = v)),
    key(`${prefix}ca_file`, filePath, (c, v) => (route(c).caFile = v)),
  ];
}

/** A route before its keys are read: STARTTLS when offered, no AUTH (Postfix's smtp_tls_security_level = may). */
function defaultRoute(): Mutable<RouteConfig> {
  return { host: '', port: 25, mx: false, tls: 'opportunistic', user: null, passwordFile: null, caFile: null };
}

/** The `relay.*` keys, in the order of docs/configuration.md. */
export const RELAY_KEYS: readonly KeySpec[] = [
  key('relay.smarthost', { ...hopAddress, parse: (v, ctx) => (v === '' ? null : hopAddress.parse(v, ctx)) }, (c, v) => {
    c.relay.smarthost = v === null ? null : { ...(c.relay.smarthost ?? defaultRoute()), ...v };
  }, 'smarthost'),
  ...routeKeys('relay.smarthost_', (c) => (c.relay.smarthost ??= { ...defaultRoute(), host: '' })),
  key('relay.tls', tlsMode, (c, v) => (c.relay.tls = v)),
  key('relay.mx_port', integer(1, 65535), (c, v) => (c.relay.mxPort = v)),
  key('relay.destination_concurrency', integer(1, 1000), (c, v) => (c.relay.destinationConcurrency = v)),
  key('relay.recipient_limit', integer(1, 1000), (c, v) => (c.relay.recipientLimit = v)),
  key('relay.connect_timeout', duration(100), (c, v) => (c.relay.connectTimeoutMs = v)),
  key('relay.connection_cache_time', duration(), (c, v) => (c.relay.connectionCacheTimeMs = v)),
];

/**
 * Reads the `routes` table: `routes."example.net" = "[127.0.0.1]:2526"`, or a table with `host` and the keys of
 * `routeKeys` (`[routes."example.net"]` then `host = "…"`, `tls = "none"`). Domain names contain dots, so routes
 * are read before the file's keys are flattened.
 */
export function applyRoutes(c: Draft, table: unknown, ctx: ValueContext): void {
  if (table === null || typeof table !== 'object' || Array.isArray(table)) throw bad('routes', table, 'a table of domain = "host:port"');
  for (const [name, value] of Object.entries(table as Record<string, unknown>)) {
    const domain = domainName.parse(name, ctx);
    if (domain === BAD) throw bad(`routes.${JSON.stringify(name)}`, name, domainName.expected);
    const where = `routes.${JSON.stringify(domain)}`;
    const r = defaultRoute();
    const fields: Record<string, unknown> = typeof value === 'string' ? { host: value } : (value as Record<string, unknown>);
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields) || !('host' in fields)) {
      throw bad(where, value, `"host:port" or a table with host = "host:port"`);
    }
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'host') {
        const hop = hopAddress.parse(v, ctx);
        if (hop === BAD) throw bad(`${where}.host`, v, hopAddress.expected);
        Object.assign(r, hop);
        continue;
      }
      const spec = routeKeys('', () => r).find((s) => s.key === k);
      if (!spec) throw bad(`${where}.${k}`, v, 'a known key: host, tls, user, password_file or ca_file');
      const parsed = spec.type.parse(v, ctx);
      if (parsed === BAD) throw bad(`${where}.${k}`, v, spec.type.expected);
      spec.apply(c, parsed);
    }
    c.relay.routes = { ...c.relay.routes, [domain]: r };
  }
}

/** Checks the routes and the smarthost as a whole: a host for every one, a password file with every user. */
export function checkRoutes(c: Config): void {
  const routes: [string, RouteConfig | null][] = [['relay.smarthost', c.relay.smarthost], ...Object.entries(c.relay.routes).map(([d, r]): [string, RouteConfig] => [`routes.${JSON.stringify(d)}`, r])];
  for (const [where, r] of routes) {
    if (r === null) continue;
    if (r.host === '') throw new ConfigError(`config: ${where} = (unset): expected a next hop when ${where}_* keys are set`);
    if ((r.user === null) !== (r.passwordFile === null)) {
      throw new ConfigError(`config: ${where}: expected both user and password_file, or neither`);
    }
  }
}
