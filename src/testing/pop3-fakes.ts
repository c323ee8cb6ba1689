/**
 * Fakes for POP3 server tests: `FakePop3Backend` (an in-memory store of maildrops with a real exclusive lock, a
 * record of every call, refusals on demand) and `startPop3`, which runs a Pop3Server on 127.0.0.1:0 for one test
 * and closes it after.
 *
 * The fake behaves as the contract (pop3/server/backend.ts) asks of a real backend: login locks the maildrop or
 * throws [IN-USE]; a snapshot's numbering never changes; commit removes the deleted messages all at once; the
 * lock lives until release. Messages are served in chunks from a Readable that counts what it produced and
 * whether it was destroyed, so tests can see that TOP stops early and RETR streams.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { authFailed, maildropInUse } from '../pop3/index.js';
import { Pop3Server, type Pop3Backend, type Pop3ConnInfo, type Pop3Maildrop, type Pop3Message, type Pop3ServerOptions } from '../pop3/server/index.js';
import { serveScripts, type ScriptedServer } from './line-script.js';
import { Pop3Script } from './pop3-client.js';

/** A stored message: its bytes, or a generator of `size` bytes for messages too big to hold. */
export interface FakeMessage extends Pop3Message {
  readonly bytes?: Buffer;
  /** Produces the octets from `start` (inclusive) to `end` (exclusive), one chunk per call, null at the end. */
  readonly generate?: (start: number, end: number) => () => Buffer | null;
}

/**
 * A stored message from text (line ends as given; use CRLF), with `bodyOffset` computed unless `withOffset` is
 * false.
 *
 * @example
 * ```ts
 * fakeMessage('u1', 'Subject: hi\r\n\r\nbody\r\n'); // { uid: 'u1', size: 21, bodyOffset: 15, bytes }
 * ```
 */
export function fakeMessage(uid: string, text: string | Buffer, withOffset = true): FakeMessage {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const blank = bytes.indexOf('\r\n\r\n');
  const bodyOffset = bytes.subarray(0, 2).equals(Buffer.from('\r\n')) ? 2 : blank < 0 ? bytes.length : blank + 4;
  return withOffset ? { uid, size: bytes.length, bodyOffset, bytes } : { uid, size: bytes.length, bytes };
}

const BIG_HEADER = Buffer.from('Subject: big\r\n\r\n');
/** 1,000 octets: ten lines of 100 (CRLF included), the first starting with a dot. */
const BIG_BLOCK = Buffer.from(Array.from({ length: 10 }, (_, i) => `${i === 0 ? '.' : 'L'}${String(i).repeat(97)}\r\n`).join(''));
const BIG_TILE = Buffer.concat(Array.from({ length: 66 }, () => BIG_BLOCK));

/**
 * A generated message of a 16-octet header and `blocks` × 1,000 octets of body (BIG_BLOCK: ten 100-octet lines,
 * the first of each block starting with "."), produced in 64 KB chunks and never held whole. Its byte-stuffed
 * form is `blocks` octets longer.
 *
 * @example
 * ```ts
 * bigMessage('big', 50_000).size === 50_000_016; // 50 MB
 * ```
 */
export function bigMessage(uid: string, blocks: number): FakeMessage {
  const size = BIG_HEADER.length + blocks * BIG_BLOCK.length;
  return {
    uid,
    size,
    bodyOffset: BIG_HEADER.length,
    generate: (start, end) => {
      let at = start;
      return () => {
        if (at >= end) return null;
        if (at < BIG_HEADER.length) {
          const chunk = BIG_HEADER.subarray(at, Math.min(end, BIG_HEADER.length));
          at += chunk.length;
          return chunk;
        }
        const off = (at - BIG_HEADER.length) % BIG_BLOCK.length;
        const chunk = BIG_TILE.subarray(off, off + Math.min(end - at, 65_000));
        at += chunk.length;
        return chunk;
      };
    },
  };
}

/** Who may log in; the maildrop is the user name unless given. */
export interface FakeUser {
  readonly password: string;
  readonly apopSecret?: string;
  readonly maildrop?: string;
}

/** Behaviours of a FakePop3Backend. */
export interface FakePop3Options {
  /** User name → password, or the full record. */
  users?: Record<string, string | FakeUser>;
  /** Maildrop name → its messages. */
  maildrops?: Record<string, FakeMessage[]>;
  /** An error to throw from login/apop instead of checking (after the password check passed). */
  loginError?: (user: string) => Error | undefined;
  /** An error to throw from open(). */
  openError?: (uid: string) => Error | undefined;
  /** An error to throw from commit() (nothing is deleted then). */
  commitError?: () => Error | undefined;
  /** Delay before commit() resolves. */
  commitDelayMs?: number;
  /** Octets per chunk of an opened message. Default 16 KiB. */
  chunkBytes?: number;
  /** Delay before each chunk of an opened message (a slow disk). Default 0. */
  chunkDelayMs?: number;
}

/** One open() call and what became of its stream. */
export interface OpenRecord {
  readonly uid: string;
  readonly range?: { start: number; end: number };
  /** Octets the stream produced. */
  produced: number;
  destroyed: boolean;
}

/** A Pop3Backend over in-memory maildrops. */
export class FakePop3Backend implements Pop3Backend {
  /** Calls in order: 'login alice', 'apop alice', 'commit alice u1,u2', 'release alice'. */
  readonly events: string[] = [];
  readonly opens: OpenRecord[] = [];
  readonly conns: Pop3ConnInfo[] = [];
  readonly maildrops = new Map<string, FakeMessage[]>();
  /** Maildrops locked now. */
  readonly locks = new Set<string>();
  /** Maildrops handed out minus released. */
  open = 0;
  /** release() calls on a maildrop already released (the contract says exactly once: always 0). */
  doubleReleases = 0;

  constructor(readonly opts: FakePop3Options = {}) {
    for (const [name, msgs] of Object.entries(opts.maildrops ?? {})) this.maildrops.set(name, [...msgs]);
  }

  private user(name: string): FakeUser | undefined {
    const u = this.opts.users?.[name];
    return typeof u === 'string' ? { password: u } : u;
  }

  async login(name: string, password: string, conn: Pop3ConnInfo): Promise<Pop3Maildrop> {
    this.events.push(`login ${name}`);
    const u = this.user(name);
    if (!u || u.password !== password) throw authFailed();
    return this.lock(name, u, conn);
  }

  async apop(name: string, timestamp: string, digest: string, conn: Pop3ConnInfo): Promise<Pop3Maildrop> {
    this.events.push(`apop ${name}`);
    const u = this.user(name);
    if (!u?.apopSecret) throw authFailed();
    const want = Buffer.from(createHash('md5').update(timestamp + u.apopSecret).digest('hex'));
    const got = Buffer.from(digest);
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw authFailed();
    return this.lock(name, u, conn);
  }

  private lock(name: string, u: FakeUser, conn: Pop3ConnInfo): Pop3Maildrop {
    const refused = this.opts.loginError?.(name);
    if (refused) throw refused;
    const box = u.maildrop ?? name;
    if (this.locks.has(box)) throw maildropInUse();
    this.locks.add(box);
    this.conns.push(conn);
    this.open++;
    const messages = Object.freeze([...(this.maildrops.get(box) ?? [])]);
    const byUid = new Map(messages.map((m) => [m.uid, m]));
    let released = false;
    return {
      user: name,
      messages,
      open: async (uid, range) => {
        const e = this.opts.openError?.(uid);
        if (e) throw e;
        const m = byUid.get(uid);
        if (!m) throw new Error(`No message ${uid}`);
        return this.stream(m, range);
      },
      commit: async (deleted) => {
        this.events.push(`commit ${name} ${[...deleted].join(',')}`);
        if (this.opts.commitDelayMs) await sleep(this.opts.commitDelayMs);
        const e = this.opts.commitError?.();
        if (e) throw e;
        this.maildrops.set(box, (this.maildrops.get(box) ?? []).filter((x) => !deleted.has(x.uid)));
      },
      release: async () => {
        if (released) {
          this.doubleReleases++;
          throw new Error('Maildrop released twice');
        }
        released = true;
        this.events.push(`release ${name}`);
        this.locks.delete(box);
        this.open--;
      },
    };
  }

  private stream(m: FakeMessage, range?: { start: number; end: number }): Readable {
    const rec: OpenRecord = { uid: m.uid, ...(range ? { range } : {}), produced: 0, destroyed: false };
    this.opens.push(rec);
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? m.size, m.bytes?.length ?? m.size);
    const step = this.opts.chunkBytes ?? 16 * 1024;
    let at = start;
    const next =
      m.generate?.(start, end) ??
      ((): Buffer | null => {
        if (at >= end) return null;
        const chunk = m.bytes!.subarray(at, Math.min(end, at + step));
        at += chunk.length;
        return chunk;
      });
    const delay = this.opts.chunkDelayMs ?? 0;
    return new Readable({
      read() {
        const give = (): void => {
          if (rec.destroyed) return;
          const chunk = next();
          if (chunk) rec.produced += chunk.length;
          this.push(chunk);
        };
        if (delay > 0) setTimeout(give, delay);
        else give();
      },
      destroy(err, cb) {
        rec.destroyed = true;
        cb(err);
      },
    });
  }

  /** The messages of a maildrop now (after commits). */
  uids(box: string): string[] {
    return (this.maildrops.get(box) ?? []).map((m) => m.uid);
  }
}

/** A server and its fakes for one test. */
export interface Pop3Fixture extends ScriptedServer<Pop3Script> {
  readonly server: Pop3Server;
  readonly backend: FakePop3Backend;
}

/** Three small messages in alice's maildrop; the second has a line starting with a dot. */
export const sampleMessages: readonly FakeMessage[] = Object.freeze([
  fakeMessage('uid-1', 'From: a@x.test\r\nSubject: one\r\n\r\nHello\r\n'),
  fakeMessage('uid-2', 'Subject: two\r\n\r\n.dot line\r\nline 2\r\n..two dots\r\n'),
  fakeMessage('uid-3', 'Subject: three\r\n\r\nc\r\n'),
]);

/**
 * Starts a Pop3Server on 127.0.0.1:0 with a FakePop3Backend; everything is closed after the test.
 * Defaults for tests: hostname 'pop.test', service 'pop3', no login failure delay, user alice / 's3cret'
 * owning `sampleMessages`.
 *
 * @example
 * ```ts
 * const { client, backend } = await startPop3(t);
 * await client.login('alice', 's3cret').send('STAT').expect('+OK 3 107');
 * ```
 */
export async function startPop3(t: TestContext, opts: Partial<Pop3ServerOptions> & { backendOpts?: FakePop3Options } = {}): Promise<Pop3Fixture> {
  const { backendOpts, ...serverOpts } = opts;
  const backend = new FakePop3Backend({
    users: { alice: 's3cret' },
    maildrops: { alice: [...sampleMessages] },
    ...backendOpts,
  });
  const server = new Pop3Server({
    hostname: 'pop.test',
    service: 'pop3',
    backend,
    ...serverOpts,
    limits: { authFailureDelayMs: 0, ...serverOpts.limits },
  });
  return serveScripts(t, { server, backend }, (port, o) => Pop3Script.open(port, o), opts.service === 'pop3s');
}

/** Waits (at most `ms`) until `ready()`; for state the server changes after its reply (release, close). */
export async function until(ready: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await sleep(5);
  }
}
