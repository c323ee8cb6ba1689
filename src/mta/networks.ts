/**
 * Trusted networks (`trusted_networks`, Postfix's `mynetworks`): which clients may relay through port 25 without
 * authenticating.
 *
 * Nobody is trusted implicitly, not even loopback: an empty list trusts no one (issue 3 §3). Entries are CIDR
 * blocks (`192.0.2.0/24`, `2001:db8::/32`) or single addresses; IPv4-mapped IPv6 clients (`::ffff:192.0.2.1`, as a
 * dual-stack listener reports them) match IPv4 blocks. A malformed entry throws at construction, so a bad
 * configuration stops start-up instead of silently trusting or refusing.
 */
import { BlockList, isIP } from 'node:net';
import { unmapIPv4 } from './address.js';

/**
 * Compiles a list of CIDR blocks into a predicate on client IP addresses.
 *
 * @example
 * ```ts
 * const trusted = networkMatcher(['192.0.2.0/24']);
 * trusted('192.0.2.7') === true; trusted('127.0.0.1') === false;
 * ```
 */
export function networkMatcher(cidrs: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [addr = '', bits, ...rest] = entry.trim().split('/');
    const ip = unmapIPv4(addr);
    const family = isIP(ip);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || bits === '') {
      throw new Error(`Cannot parse trusted network "${entry}": expected an address or CIDR block such as 192.0.2.0/24`);
    }
    list.addSubnet(ip, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return (remote) => {
    const ip = unmapIPv4(remote);
    const family = isIP(ip);
    if (family === 0 || cidrs.length === 0) return false;
    return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  };
}
