/**
 * Which delivery agent handles a recipient: `local` for the domains this server receives mail for, `remote` for
 * every other domain (Postfix's transport decision, reduced to the two transports Postroom has).
 *
 * The list of local domains comes from the store's DomainRepo or from a function (configuration), asked on every
 * decision, so a domain added with `postroom domain add` takes effect without a restart. An address without a
 * domain (`<postmaster>`, RFC 5321 §4.5.1) is local.
 */
import type { DomainRepo } from '../../store/index.js';
import { domainOf } from '../address.js';

/** Where the local domains come from: the store's DomainRepo, or a function returning the current set. */
export type LocalDomains = Pick<DomainRepo, 'has'> | (() => Promise<ReadonlySet<string>>);

export type Route = 'local' | 'remote';

/** Decides the delivery agent of a recipient. */
export interface Router {
  route(address: string): Promise<Route>;
  /** Whether mail for this (lower-cased) domain is delivered here. */
  isLocalDomain(domain: string): Promise<boolean>;
}

/**
 * A router over a source of local domains.
 *
 * @example
 * ```ts
 * const router = createRouter(async () => new Set(['example.org']));
 * await router.route('ann@Example.org'); // 'local'
 * await router.route('bob@elsewhere.test'); // 'remote'
 * ```
 */
export function createRouter(localDomains: LocalDomains): Router {
  const isLocalDomain = async (domain: string): Promise<boolean> => {
    const d = domain.toLowerCase();
    if (d === '' || /\s/.test(d)) return false;
    if (typeof localDomains === 'function') return (await localDomains()).has(d);
    return localDomains.has(d);
  };
  return {
    isLocalDomain,
    async route(address) {
      const domain = domainOf(address);
      return domain === '' || (await isLocalDomain(domain)) ? 'local' : 'remote';
    },
  };
}
