/**
 * Where mail for a recipient domain goes (issue 5 §2, RFC 5321 §5.1, RFC 7505): a static route from the
 * configuration, else the smarthost, else the domain's MX records.
 *
 * - Static route or smarthost: `host:port`; a host in brackets (`[mail.example.org]:25`, Postfix's notation) or an
 *   IP address is connected to as it is; a bare host name is looked up for MX records first when `mx` is set.
 * - MX (RFC 5321 §5.1): records sorted by preference, records of equal preference shuffled (the injected random);
 *   no MX records (NODATA) → the domain's own A/AAAA records as an implicit MX of preference 0; a domain that does
 *   not exist → permanent failure (550 5.4.4, like Postfix); a null MX (one record, exchange ".", RFC 7505 §3)
 *   → permanent failure 556 5.1.10 (RFC 7505 §4.1); a DNS server failure → temporary (451 4.4.3).
 * - Loops (RFC 5321 §5.1): when this server's own name is among the exchanges, only exchanges of a lower
 *   preference are kept; when that leaves none, the mail "loops back to myself" (554 5.4.6, Postfix's wording).
 * - A domain literal (`user@[192.0.2.1]`, RFC 5321 §4.1.3) goes straight to that address.
 * Every name is resolved through the injected `DnsResolver`, so no test touches real DNS.
 */
import { isIP } from 'node:net';
import type { TlsMode } from '../../smtp/client/index.js';

/** The DNS lookups routing needs (node:dns/promises' Resolver has this shape; `lookup` is for host names in routes). */
export interface DnsResolver {
  resolveMx(name: string): Promise<{ exchange: string; priority: number }[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

/** A configured next hop (a static route or the smarthost). */
export interface RouteTarget {
  /** Host name or IP address (without brackets). */
  readonly host: string;
  readonly port: number;
  /** Look up MX records of `host` first (false for `[host]` and IP addresses). */
  readonly mx: boolean;
  readonly tls: TlsMode;
  readonly auth?: { readonly user: string; readonly pass: string };
  /** Extra trusted CA certificates (PEM) for `required`/`implicit` TLS. */
  readonly ca?: string;
}

/** Routing policy. */
export interface NextHopPolicy {
  /** Lower-case domain → its route. */
  readonly routes: ReadonlyMap<string, RouteTarget>;
  readonly smarthost?: RouteTarget;
  /** Port of MX hosts (25; tests may change it). */
  readonly mxPort: number;
  /** TLS policy of MX deliveries (default opportunistic, RFC 7435). */
  readonly mxTls: TlsMode;
  /** This server's host name (MX loop detection). */
  readonly hostname: string;
  readonly dns: DnsResolver;
  /** Randomness for shuffling equal preferences, [0, 1). */
  readonly random: () => number;
}

/** One address to try, with how to talk to it. */
export interface Hop {
  /** The IP address to connect to. */
  readonly address: string;
  readonly port: number;
  /** The host's name (certificate name, Remote-MTA); the address when there is none. */
  readonly name: string;
  readonly tls: TlsMode;
  readonly auth?: { readonly user: string; readonly pass: string };
  readonly ca?: string;
}

/** Why a destination has no hop. */
export interface RouteFailure {
  readonly permanent: boolean;
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

/** The hops of a destination, in the order to try them; `key` groups recipients that share them. */
export type Destination = { readonly key: string; readonly hops: readonly Hop[] } | { readonly key: string; readonly failure: RouteFailure };

const DNS_NOT_FOUND = new Set(['ENOTFOUND', 'NXDOMAIN']);
const DNS_NO_DATA = new Set(['ENODATA', 'NODATA']);

const code = (err: unknown): string => String((err as { code?: unknown } | null)?.code ?? '');

const temporary = (text: string): RouteFailure => ({ permanent: false, code: 451, enhanced: '4.4.3', text });

/** Fisher–Yates over records of equal preference. */
function orderMx(records: readonly { exchange: string; priority: number }[], random: () => number): { exchange: string; priority: number }[] {
  const byPref = new Map<number, { exchange: string; priority: number }[]>();
  for (const r of records) byPref.set(r.priority, [...(byPref.get(r.priority) ?? []), r]);
  const out: { exchange: string; priority: number }[] = [];
  for (const pref of [...byPref.keys()].sort((a, b) => a - b)) {
    const same = byPref.get(pref)!;
    for (let i = same.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [same[i], same[j]] = [same[j]!, same[i]!];
    }
    out.push(...same);
  }
  return out;
}

/** A host's addresses, IPv4 first; [] when it has none; throws on a DNS server failure. */
async function addressesOf(name: string, dns: DnsResolver): Promise<string[]> {
  if (isIP(name)) return [name];
  const soft = async (f: () => Promise<string[]>): Promise<string[]> => {
    try {
      return await f();
    } catch (err) {
      if (DNS_NOT_FOUND.has(code(err)) || DNS_NO_DATA.has(code(err))) return [];
      throw err;
    }
  };
  const [v4, v6] = await Promise.all([soft(() => dns.resolve4(name)), soft(() => dns.resolve6(name))]);
  return [...v4, ...v6];
}

const sameHost = (a: string, b: string): boolean => a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();

/** Hops of an MX lookup for `domain`, or why there are none. */
async function mxHops(domain: string, p: NextHopPolicy, via: Omit<Hop, 'address' | 'name'>): Promise<Hop[] | RouteFailure> {
  let records: { exchange: string; priority: number }[];
  try {
    records = await p.dns.resolveMx(domain);
  } catch (err) {
    if (DNS_NOT_FOUND.has(code(err))) return { permanent: true, code: 550, enhanced: '5.4.4', text: `Host or domain name not found: ${domain}` };
    if (!DNS_NO_DATA.has(code(err))) return temporary(`DNS lookup of ${domain} failed: ${code(err) || 'error'}`);
    records = [];
  }
  // RFC 7505 §3: a null MX is a single record with exchange "." (node:dns gives '').
  if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.')) {
    return { permanent: true, code: 556, enhanced: '5.1.10', text: `Domain ${domain} does not accept mail (null MX)` };
  }
  let ordered = records.length === 0 ? [{ exchange: domain, priority: 0 }] : orderMx(records, p.random);
  const self = ordered.find((r) => sameHost(r.exchange, p.hostname));
  if (self) {
    ordered = ordered.filter((r) => r.priority < self.priority);
    if (ordered.length === 0) return { permanent: true, code: 554, enhanced: '5.4.6', text: `Mail for ${domain} loops back to myself` };
  }
  // Every exchange's addresses at once (in order of preference when they are put together).
  const found = await Promise.all(ordered.map((r) => addressesOf(r.exchange, p.dns).catch(() => null)));
  const hops: Hop[] = [];
  let failures = 0;
  ordered.forEach((r, i) => {
    const addresses = found[i];
    if (addresses === null || addresses === undefined) failures++;
    else for (const address of addresses) hops.push({ ...via, address, name: r.exchange.replace(/\.$/, '') });
  });
  if (hops.length === 0) {
    return failures > 0 ? temporary(`DNS lookup of the mail hosts of ${domain} failed`) : temporary(`No address for the mail hosts of ${domain}`);
  }
  return hops;
}

/** Hops of a configured route. */
async function routeHops(t: RouteTarget, p: NextHopPolicy): Promise<Hop[] | RouteFailure> {
  const via = { port: t.port, tls: t.tls, ...(t.auth ? { auth: t.auth } : {}), ...(t.ca ? { ca: t.ca } : {}) };
  if (t.mx && !isIP(t.host)) return mxHops(t.host, p, via);
  try {
    const addresses = await addressesOf(t.host, p.dns);
    if (addresses.length === 0) return temporary(`No address for ${t.host}`);
    return addresses.map((address) => ({ ...via, address, name: t.host }));
  } catch (err) {
    return temporary(`DNS lookup of ${t.host} failed: ${code(err) || 'error'}`);
  }
}

/**
 * Finds the hops of a recipient domain.
 *
 * @example
 * ```ts
 * const d = await nextHop('example.net', { routes: new Map([['example.net',
 *   { host: '127.0.0.1', port: 2526, mx: false, tls: 'none' }]]), mxPort: 25, mxTls: 'opportunistic',
 *   hostname: 'mx.example.org', dns, random: Math.random });
 * // { key: 'route:example.net', hops: [{ address: '127.0.0.1', port: 2526, name: '127.0.0.1', tls: 'none' }] }
 * ```
 */
export async function nextHop(domain: string, p: NextHopPolicy): Promise<Destination> {
  const d = domain.toLowerCase();
  const literal = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(d);
  if (literal) {
    const ip = literal[1]!;
    if (!isIP(ip)) return { key: `literal:${d}`, failure: { permanent: true, code: 550, enhanced: '5.1.2', text: `Bad address literal ${domain}` } };
    return { key: `literal:${ip}`, hops: [{ address: ip, port: p.mxPort, name: ip, tls: p.mxTls }] };
  }
  const route = p.routes.get(d);
  const [key, hops] = route
    ? [`route:${d}`, await routeHops(route, p)]
    : p.smarthost
      ? ['smarthost', await routeHops(p.smarthost, p)]
      : [`mx:${d}`, await mxHops(d, p, { port: p.mxPort, tls: p.mxTls })];
  return Array.isArray(hops) ? { key, hops } : { key, failure: hops };
}
