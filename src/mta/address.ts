/**
 * Envelope addresses as the MTA compares and stores them (RFC 5321 §2.4, §4.1.2).
 *
 * - RFC 5321 §2.4: the local part is case-sensitive and is kept exactly as sent; the domain is not, so it is
 *   lower-cased. `normalizeAddress` does only that.
 * - Lookups in the user and alias tables are case-insensitive in practice (Postfix does the same): callers try the
 *   address as normalized first and then fully lower-cased (`lookupKeys`).
 * The address syntax itself is the SMTP engine's job; these helpers never throw.
 */

/**
 * The address with its domain lower-cased and its local part untouched (RFC 5321 §2.4).
 *
 * @example
 * ```ts
 * normalizeAddress('John.Doe@Example.ORG') === 'John.Doe@example.org';
 * ```
 */
export function normalizeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at === -1) return address;
  return address.slice(0, at + 1) + address.slice(at + 1).toLowerCase();
}

/**
 * The lower-cased domain of an address, or '' when it has none (`<postmaster>`).
 *
 * @example
 * ```ts
 * domainOf('a@B.test') === 'b.test';
 * ```
 */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at === -1 ? '' : address.slice(at + 1).toLowerCase();
}

/**
 * The key under which two addresses are the same mailbox for this server: the whole address lower-cased.
 *
 * @example
 * ```ts
 * addressKey('Ann@X.test') === addressKey('ann@x.test');
 * ```
 */
export function addressKey(address: string): string {
  return address.toLowerCase();
}

/**
 * The keys to try, in order, when looking an address up in a table: as normalized, then lower-cased.
 *
 * @example
 * ```ts
 * lookupKeys('Ann@X.test'); // ['Ann@x.test', 'ann@x.test']
 * ```
 */
export function lookupKeys(address: string): string[] {
  const n = normalizeAddress(address);
  const lower = n.toLowerCase();
  return lower === n ? [n] : [n, lower];
}

/**
 * The address literal for an IP address (RFC 5321 §4.1.3): `[192.0.2.1]` or `[IPv6:2001:db8::1]`; an IPv4-mapped
 * IPv6 address is written as IPv4.
 *
 * @example
 * ```ts
 * addressLiteral('::ffff:192.0.2.1') === '[192.0.2.1]';
 * ```
 */
export function addressLiteral(ip: string): string {
  const v4 = unmapIPv4(ip);
  return v4.includes(':') ? `[IPv6:${v4}]` : `[${v4}]`;
}

/**
 * An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as plain IPv4; anything else unchanged.
 *
 * @example
 * ```ts
 * unmapIPv4('::FFFF:127.0.0.1') === '127.0.0.1';
 * ```
 */
export function unmapIPv4(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return m ? m[1]! : ip;
}
