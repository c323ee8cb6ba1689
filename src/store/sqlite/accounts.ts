/**
 * Users, domains and aliases in SQLite. Addresses and domains are normalized by ../address.ts, so lookups ignore
 * the case of the domain. Deleting a user deletes its mailboxes, messages and their blob files.
 */
import type { AliasRepo, DomainRepo, User, UserRepo } from '../store.js';
import { normalizeAddress, normalizeDomain, normalizeUserAddress } from '../address.js';
import { newId } from '../ids.js';
import type { SqliteContext } from './context.js';

interface UserRow {
  id: string;
  address: string;
  password_hash: string;
  apop_secret: string | null;
  created_at: number;
}

function toUser(r: UserRow): User {
  return { id: r.id, address: r.address, passwordHash: r.password_hash, apopSecret: r.apop_secret, createdAt: new Date(r.created_at) };
}

/** `store.users` of the SQLite store. */
export class SqliteUsers implements UserRepo {
  readonly #byAddress;
  readonly #byId;
  constructor(private readonly ctx: SqliteContext) {
    this.#byAddress = ctx.sql<[string], UserRow>('SELECT * FROM users WHERE address = ?');
    this.#byId = ctx.sql<[string], UserRow>('SELECT * FROM users WHERE id = ?');
  }

  async create(address: string, passwordHash: string): Promise<User> {
    const a = normalizeUserAddress(address);
    const user: User = { id: newId(), address: a, passwordHash, apopSecret: null, createdAt: new Date() };
    await this.ctx.commit.write(() => {
      if (this.#byAddress.get(a)) throw new Error(`User already exists: ${a}`);
      this.ctx
        .sql('INSERT INTO users (id, address, password_hash, apop_secret, created_at) VALUES (?, ?, ?, NULL, ?)')
        .run(user.id, a, passwordHash, user.createdAt.getTime());
    });
    return user;
  }

  async get(address: string): Promise<User | undefined> {
    const r = this.#byAddress.get(normalizeAddress(address));
    return r && toUser(r);
  }

  async getById(id: string): Promise<User | undefined> {
    const r = this.#byId.get(id);
    return r && toUser(r);
  }

  async list(): Promise<User[]> {
    return this.ctx.sql<[], UserRow>('SELECT * FROM users ORDER BY address').all().map(toUser);
  }

  async delete(address: string): Promise<boolean> {
    const a = normalizeAddress(address);
    const res = await this.ctx.commit.write(() => {
      const u = this.#byAddress.get(a);
      if (!u) return { found: false, blobs: [] as string[] };
      const ids = this.ctx
        .sql<[string], { blob_id: string }>(
          'SELECT m.blob_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.user_id = ?',
        )
        .all(u.id)
        .map((r) => r.blob_id);
      this.ctx.sql('DELETE FROM users WHERE id = ?').run(u.id); // cascades to mailboxes, messages, locks
      return { found: true, blobs: this.ctx.unusedBlobs(ids) };
    });
    await this.ctx.deleteBlobs(res.blobs);
    return res.found;
  }

  async setPassword(address: string, passwordHash: string): Promise<boolean> {
    const a = normalizeAddress(address);
    return this.ctx.commit.write(
      () => this.ctx.sql('UPDATE users SET password_hash = ? WHERE address = ?').run(passwordHash, a).changes > 0,
    );
  }

  async setApopSecret(address: string, secret: string | null): Promise<boolean> {
    const a = normalizeAddress(address);
    return this.ctx.commit.write(
      () => this.ctx.sql('UPDATE users SET apop_secret = ? WHERE address = ?').run(secret, a).changes > 0,
    );
  }
}

/** `store.domains` of the SQLite store (names lower-case, without a trailing dot). */
export class SqliteDomains implements DomainRepo {
  constructor(private readonly ctx: SqliteContext) {}

  async add(name: string): Promise<void> {
    const d = normalizeDomain(name);
    await this.ctx.commit.write(() => this.ctx.sql('INSERT OR IGNORE INTO domains (name) VALUES (?)').run(d));
  }
  async remove(name: string): Promise<boolean> {
    const d = normalizeDomain(name);
    return this.ctx.commit.write(() => this.ctx.sql('DELETE FROM domains WHERE name = ?').run(d).changes > 0);
  }
  async list(): Promise<string[]> {
    return this.ctx.sql<[], { name: string }>('SELECT name FROM domains ORDER BY name').all().map((r) => r.name);
  }
  async has(name: string): Promise<boolean> {
    return this.ctx.sql('SELECT 1 FROM domains WHERE name = ?').get(normalizeDomain(name)) !== undefined;
  }
}

/** `store.aliases` of the SQLite store; targets are a JSON array, and add replaces them. */
export class SqliteAliases implements AliasRepo {
  constructor(private readonly ctx: SqliteContext) {}

  async add(source: string, targets: readonly string[]): Promise<void> {
    if (targets.length === 0) throw new Error(`Alias ${source} needs at least one target`);
    const s = normalizeAddress(source);
    const t = JSON.stringify(targets.map(normalizeAddress));
    await this.ctx.commit.write(() =>
      this.ctx.sql('INSERT INTO aliases (source, targets) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET targets = excluded.targets').run(s, t),
    );
  }
  async remove(source: string): Promise<boolean> {
    const s = normalizeAddress(source);
    return this.ctx.commit.write(() => this.ctx.sql('DELETE FROM aliases WHERE source = ?').run(s).changes > 0);
  }
  async list(): Promise<{ source: string; targets: string[] }[]> {
    return this.ctx
      .sql<[], { source: string; targets: string }>('SELECT source, targets FROM aliases ORDER BY source')
      .all()
      .map((r) => ({ source: r.source, targets: JSON.parse(r.targets) as string[] }));
  }
  async get(source: string): Promise<string[] | undefined> {
    const r = this.ctx.sql<[string], { targets: string }>('SELECT targets FROM aliases WHERE source = ?').get(normalizeAddress(source));
    return r && (JSON.parse(r.targets) as string[]);
  }
}
