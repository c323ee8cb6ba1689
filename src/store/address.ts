/**
 * Address and domain normalization shared by every backend, so they all agree on what "the same user" is.
 *
 * Guarantees: the domain of an address is compared without regard to case (RFC 5321 §2.4: domain names are
 * case-insensitive); the local part is kept exactly as given (RFC 5321 §2.4: only the destination host may treat
 * it case-insensitively, and policy of that kind belongs to mta/). Limits: no IDNA conversion (an A-label and a
 * U-label of the same domain are different keys here); no syntax check beyond "local@domain" with both non-empty.
 */

/**
 * The stored form of a domain name: lower-case, without a trailing dot.
 * @example normalizeDomain('Example.ORG.') // 'example.org'
 */
export function normalizeDomain(name: string): string {
  const d = name.trim().toLowerCase().replace(/\.$/, '');
  if (d === '' || /[\s@]/.test(d)) throw new Error(`Invalid domain name: ${JSON.stringify(name)}`);
  return d;
}

/**
 * The stored form of an address: the local part as given, the domain lower-case. A catch-all alias source
 * `@domain` keeps its form.
 * @example normalizeAddress('Ann.Lee@Example.ORG') // 'Ann.Lee@example.org'
 */
export function normalizeAddress(address: string): string {
  const a = address.trim();
  const at = a.lastIndexOf('@');
  if (at < 0 || at === a.length - 1 || /\s/.test(a)) throw new Error(`Invalid address: ${JSON.stringify(address)}`);
  return `${a.slice(0, at)}@${normalizeDomain(a.slice(at + 1))}`;
}

/** Like normalizeAddress, but also refuses an empty local part (a user, not a catch-all). */
export function normalizeUserAddress(address: string): string {
  const a = normalizeAddress(address);
  if (a.startsWith('@')) throw new Error(`Invalid address: ${JSON.stringify(address)}`);
  return a;
}
