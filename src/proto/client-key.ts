/**
 * The key under which per-client limits are counted (connections per client, authentication failures). An IPv4
 * address counts as itself (also when it arrives IPv4-mapped, `::ffff:192.0.2.1`); an IPv6 address counts by its
 * /64 prefix, because one subscriber usually holds a whole /64 (RFC 6177) and could otherwise change address per
 * connection to escape the limits.
 */
import { isIPv6 } from 'node:net';

/** Expands an IPv6 address to its eight 16-bit groups; null when it is not one. */
function groups(ip: string): number[] | null {
  const bare = ip.replace(/%.*$/, '');
  if (!isIPv6(bare)) return null;
  let text = bare;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

/**
 * The client key of an address: IPv4 as it is, IPv6 as its /64 prefix.
 *
 * @example
 * ```ts
 * clientKey('::ffff:192.0.2.7') === '192.0.2.7';
 * clientKey('2001:db8:1:2:aaaa::1') === '2001:db8:1:2::/64';
 * ```
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const g = groups(ip);
  if (!g) return ip;
  return `${g.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`;
}

/**
 * Whether an address is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped loopback).
 *
 * @example
 * ```ts
 * isLoopback('127.0.0.1') && isLoopback('::1') && !isLoopback('192.0.2.1');
 * ```
 */
export function isLoopback(ip: string): boolean {
  const v4 = clientKey(ip);
  if (/^127\.\d+\.\d+\.\d+$/.test(v4)) return true;
  const g = groups(ip);
  return g !== null && g.slice(0, 7).every((x) => x === 0) && g[7] === 1;
}
