/**
 * The maildrops of `npm run bench:pop3`: which users exist and the exact bytes of each of their messages, the same
 * for postroom and Dovecot (bench/pop3/load.ts writes them into both).
 *
 * Guarantees: every message is generated from (user, number) alone, so it can be made again to check what a
 * server sent; it has CRLF line ends (the wire form, so its size is the POP3 size), is exactly `bytes` octets long,
 * and every tenth one has a line that starts with a dot (the server must dot-stuff it, the client unstuff it).
 * Limits: plain US-ASCII text/plain messages; nothing here exercises MIME structure.
 */

/** One user and its maildrop. */
export interface BenchUser {
  /** The login name on both servers (a full address). */
  readonly address: string;
  readonly messages: number;
  /** Octets of each message. */
  readonly bytes: number;
}

/** The sizes the rows use (environment variables may scale them down; see run.ts). */
export interface CorpusSizes {
  /** Messages in the big maildrop (STAT/LIST/UIDL, RETR all, DELE all). */
  readonly bigMessages: number;
  readonly smallBytes: number;
  /** Large messages and their size. */
  readonly hugeMessages: number;
  readonly hugeBytes: number;
  /** Concurrent users and the messages of each. */
  readonly users: number;
  readonly perUser: number;
  /** Messages in each maildrop of the login row, and how many such maildrops (one per login client). */
  readonly loginMessages: number;
  readonly loginUsers: number;
}

export const DOMAIN = 'bench.test';
export const PASSWORD = 'bench-Password-7';

/**
 * The users: `login01` … (login row: one per client, since a maildrop allows one session at a time), `big`, `huge`,
 * and `user01` … `userNN` (concurrent row).
 */
export function benchUsers(s: CorpusSizes): { login: BenchUser[]; big: BenchUser; huge: BenchUser; many: BenchUser[] } {
  const u = (local: string, messages: number, bytes: number): BenchUser => ({ address: `${local}@${DOMAIN}`, messages, bytes });
  return {
    login: Array.from({ length: s.loginUsers }, (_, i) => u(`login${String(i + 1).padStart(2, '0')}`, s.loginMessages, s.smallBytes)),
    big: u('big', s.bigMessages, s.smallBytes),
    huge: u('huge', s.hugeMessages, s.hugeBytes),
    many: Array.from({ length: s.users }, (_, i) => u(`user${String(i + 1).padStart(2, '0')}`, s.perUser, s.smallBytes)),
  };
}

const FILL = 'The quick brown fox jumps over the lazy dog while the post office counts its letters one by one';
const LINE = 76;

/** A date in RFC 5322 form for message `n` (one per minute from a fixed point, so runs are identical). */
function dateOf(n: number): string {
  const d = new Date(Date.UTC(2024, 0, 1) + n * 60_000);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]!;
  const p = (x: number) => String(x).padStart(2, '0');
  return `${day}, ${d.getUTCDate()} ${mon} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The receive time stored with message `n` (the same instant as its Date field). */
export function receivedAt(n: number): Date {
  return new Date(Date.UTC(2024, 0, 1) + n * 60_000);
}

/**
 * Message `n` (1-based) of `user`: a header, then lines of at most 76 characters, padded so the whole message is
 * exactly `user.bytes` octets with CRLF line ends.
 *
 * @example
 * ```ts
 * const m = messageBytes({ address: 'big@bench.test', messages: 1, bytes: 4096 }, 1); // m.length === 4096
 * ```
 */
export function messageBytes(user: BenchUser, n: number): Buffer {
  const header =
    `Return-Path: <sender@example.org>\r\n` +
    `From: Sender <sender@example.org>\r\n` +
    `To: <${user.address}>\r\n` +
    `Subject: Benchmark message ${n} for ${user.address}\r\n` +
    `Date: ${dateOf(n)}\r\n` +
    `Message-ID: <${n}.${user.address.replace('@', '.')}@example.org>\r\n` +
    `MIME-Version: 1.0\r\n` +
    `Content-Type: text/plain; charset=us-ascii\r\n` +
    `\r\n`;
  const out = Buffer.alloc(user.bytes);
  let at = out.write(header, 0, 'latin1');
  if (at + 8 > user.bytes) throw new Error(`Messages of ${user.bytes} octets are too small for the header`);
  let line = 0;
  // Body lines of up to 76 characters; the last ones are cut so the total is exact (the message ends in CRLF).
  while (at < user.bytes) {
    const remaining = user.bytes - at; // never 1 (see below), so a line always fits
    let text = line === 3 && n % 10 === 0 ? '. a line that starts with a dot' : `${line} ${FILL} ${FILL}`.slice(0, LINE);
    if (text.length + 2 > remaining) text = text.slice(0, remaining - 2);
    else if (remaining - text.length - 2 === 1) text = text.slice(0, -1);
    at += out.write(`${text}\r\n`, at, 'latin1');
    line++;
  }
  return out;
}
