/**
 * Recipient resolution: alias expansion (recursive, loop-safe, bounded) and user lookup, shared by the RCPT check
 * in `submit.ts` and the local delivery agent.
 *
 * Order of lookups for a local address (first hit wins), like Postfix's virtual alias + mailbox maps:
 * 1. an alias for the address itself (each target expanded in turn; a target equal to the alias itself means the
 *    user of that name, so `ann → ann, archive` keeps a copy);
 * 2. a user with that address (primary address);
 * 3. the domain's catch-all alias `@domain` (only when 1 and 2 miss, so real users are never swallowed by it).
 * Lookups try the address as normalized, then lower-cased (see address.ts).
 *
 * Guarantees: each address is expanded at most once (a cycle `a → b → a` ends instead of looping), nesting is
 * bounded (`maxDepth`, default 10, as Postfix's virtual_alias_recursion_limit) and so is fan-out (`maxTargets`,
 * default 1,000, as virtual_alias_expansion_limit); hitting either bound is reported (`loop`), never thrown.
 * Targets are deduplicated: two paths to the same user give one local target.
 */
import type { AliasRepo, User, UserRepo } from '../../store/index.js';
import { addressKey, domainOf, lookupKeys, normalizeAddress } from '../address.js';
import type { Router } from './router.js';

const STORABLE = /^[^\s]*@[^\s@]+$/;

/** A local mailbox a recipient resolves to. */
export interface LocalTarget {
  /** The user's primary address (what `Delivered-To:` shows). */
  readonly address: string;
  readonly user: User;
}

/** The result of resolving one recipient. */
export interface Expansion {
  readonly local: readonly LocalTarget[];
  /** Targets in other domains (forwarding), normalized. */
  readonly remote: readonly string[];
  /** Local addresses that are neither an alias nor a user. */
  readonly unknown: readonly string[];
  /** True when a cycle was cut or a bound was reached. */
  readonly loop: boolean;
  /** True when the address itself is in a domain not received here: nothing was looked up, `remote` holds just it. */
  readonly external: boolean;
}

export interface ResolverOptions {
  readonly users: Pick<UserRepo, 'get'>;
  readonly aliases: Pick<AliasRepo, 'get'>;
  readonly router: Pick<Router, 'isLocalDomain'>;
  readonly maxDepth?: number;
  readonly maxTargets?: number;
}

/** Resolves recipients and finds users. */
export interface AddressResolver {
  /** Expands a recipient; `catchAll: false` ignores `@domain` aliases (used for sender ownership). */
  expand(address: string, opts?: { catchAll?: boolean }): Promise<Expansion>;
  /** The user whose primary address this is (case-insensitive fallback), if any. */
  user(address: string): Promise<User | undefined>;
}

/**
 * A resolver over the store's user and alias tables.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ users: store.users, aliases: store.aliases, router });
 * const { local } = await resolver.expand('sales@example.org'); // the users behind the alias
 * ```
 */
export function createResolver(o: ResolverOptions): AddressResolver {
  const maxDepth = o.maxDepth ?? 10;
  const maxTargets = o.maxTargets ?? 1000;

  const lookup = async <T>(address: string, get: (key: string) => Promise<T | undefined>): Promise<T | undefined> => {
    for (const key of lookupKeys(address)) {
      // A key no table can hold (no domain, white space) is a miss; backends throw on it, and a real storage
      // error must still propagate (451, never a false 550).
      if (!STORABLE.test(key)) continue;
      const hit = await get(key);
      if (hit !== undefined) return hit;
    }
    return undefined;
  };
  const user = (address: string): Promise<User | undefined> => lookup(address, (k) => o.users.get(k));

  const expand = async (address: string, opts?: { catchAll?: boolean }): Promise<Expansion> => {
    const catchAll = opts?.catchAll ?? true;
    const local = new Map<string, LocalTarget>();
    const remote = new Map<string, string>();
    const unknown: string[] = [];
    const seen = new Set<string>();
    const active = new Set<string>();
    let loop = false;
    let external = false;
    const full = (): boolean => local.size + remote.size >= maxTargets;

    const asUser = async (addr: string): Promise<boolean> => {
      const u = await user(addr);
      if (u) local.set(u.id, { address: u.address, user: u });
      return u !== undefined;
    };

    const visit = async (raw: string, depth: number): Promise<void> => {
      const addr = normalizeAddress(raw.trim());
      const key = addressKey(addr);
      // An address on the current expansion path is a cycle; one reached again by another path (a diamond)
      // was already expanded and is only a duplicate.
      if (active.has(key)) loop = true;
      if (seen.has(key)) return;
      if (depth > maxDepth || full()) {
        loop = true;
        return;
      }
      seen.add(key);
      active.add(key);
      try {
        await expandOne(addr, key, depth);
      } finally {
        active.delete(key);
      }
    };

    const expandOne = async (addr: string, key: string, depth: number): Promise<void> => {
      const domain = domainOf(addr);
      if (domain !== '' && !(await o.router.isLocalDomain(domain))) {
        remote.set(key, addr);
        external ||= depth === 0;
        return;
      }
      const targets = await lookup(addr, (k) => o.aliases.get(k));
      if (targets !== undefined) {
        for (const t of targets) {
          // A target naming the alias itself delivers to the user of that name (Postfix's `a → a, b` idiom).
          if (addressKey(normalizeAddress(t.trim())) === key) {
            if (!(await asUser(addr))) unknown.push(addr);
          } else await visit(t, depth + 1);
        }
        return;
      }
      if (await asUser(addr)) return;
      const all = catchAll && domain !== '' ? await lookup(`@${domain}`, (k) => o.aliases.get(k)) : undefined;
      if (all === undefined) {
        unknown.push(addr);
        return;
      }
      for (const t of all) {
        const tn = normalizeAddress(t.trim());
        // A catch-all that points into its own domain at an unknown address must not recurse into itself.
        if (domainOf(tn) === domain && !(await lookup(tn, (k) => o.aliases.get(k))) && !(await user(tn))) unknown.push(tn);
        else await visit(tn, depth + 1);
      }
    };

    await visit(address, 0);
    return { local: [...local.values()], remote: [...remote.values()], unknown, loop, external };
  };

  return { expand, user };
}
