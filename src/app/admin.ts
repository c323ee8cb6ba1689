/**
 * Administration of a running (or stopped) server: users, domains, aliases and status, straight on the store.
 * The `postroom user|domain|alias|status` commands are thin adapters over these functions.
 *
 * Guarantees: passwords are stored only as salted slow hashes (the store's hashPassword); an empty password is
 * refused; addresses keep their local part as typed and get a lower-case domain (RFC 5321 §2.4). Every refusal
 * is an AdminError with a one-line message and a kind the command line maps to an exit code.
 * SQLite allows these writes while the server runs (WAL); the server sees them on its next lookup.
 */
import type { Store, User } from '../store/index.js';
import { hashPassword } from '../store/index.js';
import { domainName, BAD } from './config-schema.js';

/** What went wrong: `usage` (bad input), `io`, `not-found`, or `conflict` (exists already, still in use). */
export type AdminErrorKind = 'usage' | 'io' | 'not-found' | 'conflict';

/** A refusal with a one-line message (no `postroom: ` prefix). */
export class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly kind: AdminErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const LOCAL_PART = /^(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*|[^\s@"\\\x00-\x1f\x7f]+)$/u;

/**
 * Checks a mail address (`local@domain`) and lower-cases its domain.
 *
 * @example
 * ```ts
 * parseAddress('Ann@Example.ORG') === 'Ann@example.org';
 * ```
 */
export function parseAddress(input: string): string {
  const s = input.trim();
  const at = s.lastIndexOf('@');
  const local = s.slice(0, at);
  const domain = at > 0 ? domainName.parse(s.slice(at + 1), { baseDir: '.' }) : BAD;
  if (at <= 0 || domain === BAD || !LOCAL_PART.test(local) || local.length > 64) {
    throw new AdminError('usage', `${JSON.stringify(input)} is not a mail address like you@example.org`);
  }
  return `${local}@${domain}`;
}

/** An alias source: an address, or `@domain` for a catch-all. */
function parseAliasSource(input: string): string {
  if (input.startsWith('@')) {
    const d = domainName.parse(input.slice(1), { baseDir: '.' });
    if (d === BAD) throw new AdminError('usage', `${JSON.stringify(input)} is not an address or @domain`);
    return `@${d}`;
  }
  return parseAddress(input);
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** Code-unit order of a string key (not locale order), as the listings have always been sorted. */
function byKey<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

function checkPassword(password: string): void {
  if (password.length === 0) throw new AdminError('usage', 'empty password refused');
}

async function ensureDomain(store: Store, domain: string): Promise<boolean> {
  if (await store.domains.has(domain)) return false;
  await store.domains.add(domain);
  return true;
}

async function mustGetUser(store: Store, address: string): Promise<User> {
  const user = await store.users.get(address);
  if (!user) throw new AdminError('not-found', `no user ${address}`);
  return user;
}

/**
 * Adds a user (and its domain, when it is not local yet). Resolves to what was done.
 *
 * @example
 * ```ts
 * await addUser(store, 'you@example.org', 'secret'); // { address: 'you@example.org', domainAdded: true }
 * ```
 */
export async function addUser(store: Store, input: string, password: string): Promise<{ address: string; domainAdded: boolean }> {
  const address = parseAddress(input);
  checkPassword(password);
  if (await store.users.get(address)) throw new AdminError('conflict', `user ${address} exists already`);
  const domainAdded = await ensureDomain(store, domainOf(address));
  await store.users.create(address, await hashPassword(password));
  return { address, domainAdded };
}

/** One line of `user list`. */
export interface UserSummary {
  readonly address: string;
  readonly createdAt: Date;
  readonly apop: boolean;
}

/** Lists the users, sorted by address. */
export async function listUsers(store: Store): Promise<UserSummary[]> {
  return (await usersByAddress(store)).map((u) => ({ address: u.address, createdAt: u.createdAt, apop: u.apopSecret !== null }));
}

/** Deletes a user; AdminError 'not-found' when there is none. */
export async function deleteUser(store: Store, input: string): Promise<string> {
  const address = parseAddress(input);
  if (!(await store.users.delete(address))) throw new AdminError('not-found', `no user ${address}`);
  return address;
}

/** Sets a user's password. */
export async function setPassword(store: Store, input: string, password: string): Promise<string> {
  const address = parseAddress(input);
  checkPassword(password);
  await mustGetUser(store, address);
  await store.users.setPassword(address, await hashPassword(password));
  return address;
}

/** Sets (or with null, clears) the shared secret a user's POP3 client uses for APOP (RFC 1939 §7). */
export async function setApopSecret(store: Store, input: string, secret: string | null): Promise<string> {
  const address = parseAddress(input);
  if (secret !== null && secret.length === 0) throw new AdminError('usage', 'empty APOP secret refused (use --clear to remove it)');
  await mustGetUser(store, address);
  await store.users.setApopSecret(address, secret);
  return address;
}

/** Adds a local domain; AdminError 'conflict' when it is one already. */
export async function addDomain(store: Store, input: string): Promise<string> {
  const name = parseDomain(input);
  if (!(await ensureDomain(store, name))) throw new AdminError('conflict', `domain ${name} exists already`);
  return name;
}

/** The local domains, sorted. */
export async function listDomains(store: Store): Promise<string[]> {
  return (await store.domains.list()).sort();
}

/** Removes a local domain; refused while users of that domain exist. */
export async function deleteDomain(store: Store, input: string): Promise<string> {
  const name = parseDomain(input);
  if (!(await store.domains.has(name))) throw new AdminError('not-found', `no domain ${name}`);
  const users = (await store.users.list()).filter((u) => domainOf(u.address).toLowerCase() === name);
  if (users.length > 0) throw new AdminError('conflict', `domain ${name} still has ${users.length} user(s): delete them first`);
  await store.domains.remove(name);
  return name;
}

function parseDomain(input: string): string {
  const name = domainName.parse(input, { baseDir: '.' });
  if (name === BAD) throw new AdminError('usage', `${JSON.stringify(input)} is not a domain name like example.org`);
  return name;
}

/** Adds an alias from SOURCE (address or @domain) to one or more targets; adds SOURCE's domain when needed. */
export async function addAlias(store: Store, sourceInput: string, targetInputs: readonly string[]): Promise<{ source: string; targets: string[]; domainAdded: boolean }> {
  const source = parseAliasSource(sourceInput);
  if (targetInputs.length === 0) throw new AdminError('usage', 'an alias needs at least one target address');
  const targets = [...new Set(targetInputs.map(parseAddress))];
  if (await store.aliases.get(source)) throw new AdminError('conflict', `alias ${source} exists already: delete it first`);
  const domainAdded = await ensureDomain(store, domainOf(source));
  await store.aliases.add(source, targets);
  return { source, targets, domainAdded };
}

/** The aliases, sorted by source. */
export async function listAliases(store: Store): Promise<{ source: string; targets: string[] }[]> {
  return (await store.aliases.list()).sort(byKey((a) => a.source));
}

/** Removes an alias. */
export async function deleteAlias(store: Store, sourceInput: string): Promise<string> {
  const source = parseAliasSource(sourceInput);
  if (!(await store.aliases.remove(source))) throw new AdminError('not-found', `no alias ${source}`);
  return source;
}

/** What `postroom status` prints. */
export interface Status {
  readonly queue: { readonly items: number; readonly pending: number; readonly deferred: number; readonly held: number };
  readonly mailboxes: readonly { readonly address: string; readonly messages: number; readonly bytes: number }[];
}

/**
 * The queue counts and, per user, the number and size of the messages in the INBOX.
 *
 * @example
 * ```ts
 * const s = await status(store); // { queue: { items: 0, … }, mailboxes: [{ address, messages, bytes }] }
 * ```
 */
export async function status(store: Store): Promise<Status> {
  const queue = await store.queue.counts();
  const mailboxes = [];
  for (const u of await usersByAddress(store)) {
    const box = await store.mailbox(u.id);
    mailboxes.push({ address: u.address, ...(await box.count()) });
  }
  return { queue, mailboxes };
}

async function usersByAddress(store: Store): Promise<User[]> {
  return (await store.users.list()).sort(byKey((u) => u.address));
}
