/**
 * Load for the SMTP crash test (test/crash/): plain-socket SMTP senders that speak one command at a time (no
 * PIPELINING), send several small messages per connection, reconnect with backoff while the server is down, and
 * keep a ledger of what happened to every message they tried.
 *
 * Ledger states of a message (what the server may hold at the end):
 * - `aborted`: the final dot was never sent. The server must never deliver it.
 * - `unacked`: the final dot was sent but the connection died before a reply. It may arrive, but only once, and
 *   to every recipient or to none (the queue entry is one commit).
 * - `acked`: `250` after the final dot (RFC 5321 §4.1.1.4). It must arrive exactly once in each recipient's mailbox.
 * - `refused`: a 4xx/5xx reply after the final dot: the server took no responsibility, so it must not arrive.
 * Kill points: a `KillSwitch` armed by the test fires from inside a client in the middle of DATA (half the body
 * written and given time to arrive) or just after the final dot was written.
 * Limits: every wait is bounded (connect, each reply, the backoff), and a client stops at its deadline or its
 * message cap even when the test never tells it to stop.
 */
import { DotStuffer } from '../proto/index.js';
import { prng } from './golden-gen-lib.js';
import { SmtpLines } from './app-daemon.js';

/** What happened to one message (see the module header). */
export type Outcome = 'aborted' | 'unacked' | 'acked' | 'refused';

/** One message a client tried to send. */
export interface SentMessage {
  /** The Message-ID without angle brackets: `c3.s117.<run>@load.crash.test`. */
  readonly id: string;
  readonly client: number;
  readonly seq: number;
  readonly from: string;
  readonly rcpts: readonly string[];
  /** The message as sent, before dot-stuffing (what a mailbox must hold after the trace fields). */
  readonly bytes: Buffer;
  outcome: Outcome;
  /** The reply after the final dot, when there was one. */
  reply?: string;
}

/**
 * Every message of every client, by Message-ID.
 *
 * @example
 * ```ts
 * const ledger = new Ledger();
 * // … clients run …
 * ledger.count('acked'); // messages that got 250 after the final dot
 * ```
 */
export class Ledger {
  readonly messages = new Map<string, SentMessage>();

  add(m: SentMessage): void {
    if (this.messages.has(m.id)) throw new Error(`Duplicate Message-ID in the ledger: ${m.id}`);
    this.messages.set(m.id, m);
  }

  /** Messages whose final dot was sent (acked, unacked or refused). */
  sent(): number {
    let n = 0;
    for (const m of this.messages.values()) if (m.outcome !== 'aborted') n++;
    return n;
  }

  count(outcome: Outcome): number {
    let n = 0;
    for (const m of this.messages.values()) if (m.outcome === outcome) n++;
    return n;
  }
}

/** Where a client can fire a kill armed by the test. */
export type ClientKillPoint = 'mid-data' | 'after-dot';

/**
 * One-shot kill triggers: the test arms a point, the first client that reaches it fires.
 *
 * @example
 * ```ts
 * kills.arm('after-dot', () => server.killNow());
 * ```
 */
export class KillSwitch {
  #armed = new Map<ClientKillPoint, () => void>();

  /** Arms `point`; `fire` runs (synchronously) in the client that reaches it first. */
  arm(point: ClientKillPoint, fire: () => void): void {
    this.#armed.set(point, fire);
  }

  disarm(point: ClientKillPoint): void {
    this.#armed.delete(point);
  }

  /** Takes the trigger of `point` if armed (only one client gets it). */
  take(point: ClientKillPoint): (() => void) | undefined {
    const fire = this.#armed.get(point);
    this.#armed.delete(point);
    return fire;
  }
}

/**
 * A small message, unique by its Message-ID, with lines that need dot-stuffing (`.`, `..x`) among seeded random text.
 *
 * @example
 * ```ts
 * const bytes = crashMessage({ run: 'r1', client: 0, seq: 8, from: 'load0@sender.test', rcpts: ['ann@crash.test'] }, prng(1));
 * ```
 */
export function crashMessage(m: { run: string; client: number; seq: number; from: string; rcpts: readonly string[] }, rnd: () => number): Buffer {
  const id = messageId(m.run, m.client, m.seq);
  const lines = [
    `Message-ID: <${id}>`,
    `From: Load ${m.client} <${m.from}>`,
    `To: ${m.rcpts.join(', ')}`,
    `Subject: crash load ${m.client}/${m.seq}`,
    `Date: Thu, 26 Nov 2026 12:00:00 +0000`,
    `X-Crash-Seq: ${m.seq}`,
    `MIME-Version: 1.0`,
    `Content-Type: text/plain; charset=us-ascii`,
    ``,
    `Message ${m.seq} from client ${m.client}.`,
  ];
  const n = 2 + Math.floor(rnd() * 30);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 .,-';
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.05) lines.push('.');
    else if (r < 0.1) lines.push(`..two dots ${i}`);
    else if (r < 0.15) lines.push(`.one dot ${i}`);
    else {
      let s = '';
      const len = 1 + Math.floor(rnd() * 76);
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      lines.push(s);
    }
  }
  lines.push(`End of ${m.seq}.`, '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/**
 * The Message-ID (without brackets) of one message of the load.
 *
 * @example
 * ```ts
 * messageId('r1', 3, 117); // 'c3.s117.r1@load.crash.test'
 * ```
 */
export function messageId(run: string, client: number, seq: number): string {
  return `c${client}.s${seq}.${run}@load.crash.test`;
}

/** Thrown inside a session when the server answered something other than what the step needs. */
class UnexpectedReply extends Error {}

/** What one client did. */
export interface ClientStats {
  connects: number;
  connectFailures: number;
  /** Sessions that ended before QUIT (the server went away, or a reply timed out). */
  brokenSessions: number;
  /** Replies that were neither what the step expected nor a broken connection (4xx/5xx before or after DATA). */
  unexpected: string[];
  killsFired: number;
}

/** Options of LoadClient. */
export interface LoadClientOptions {
  readonly index: number;
  /** How many clients share the sequence numbers (client i sends i, i + clients, …). */
  readonly clients: number;
  readonly host: string;
  readonly port: number;
  /** Local recipients to spread the messages over. */
  readonly users: readonly string[];
  /** A tag unique to this run, part of every Message-ID. */
  readonly run: string;
  readonly seed: number;
  readonly ledger: Ledger;
  readonly kills: KillSwitch;
  /** Asked between messages: true ends the client after its current session. */
  readonly shouldStop: () => boolean;
  /** Hard stop (ms since the epoch). */
  readonly deadline: number;
  /** Hard cap on messages this client tries. */
  readonly maxMessages: number;
  /** Most messages per connection (default 8). */
  readonly perConnection?: number;
  /** Bound on each reply (default 15 s). */
  readonly replyTimeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One sending client.
 *
 * @example
 * ```ts
 * const stats = await new LoadClient({ index: 0, clients: 8, host, port, users, run, seed, ledger, kills,
 *   shouldStop: () => done, deadline: Date.now() + 60_000, maxMessages: 1000 }).run();
 * ```
 */
export class LoadClient {
  readonly stats: ClientStats = { connects: 0, connectFailures: 0, brokenSessions: 0, unexpected: [], killsFired: 0 };
  readonly #o: LoadClientOptions;
  readonly #rnd: () => number;
  #tried = 0;

  constructor(o: LoadClientOptions) {
    this.#o = o;
    this.#rnd = prng((o.seed ^ Math.imul(o.index + 1, 0x9e3779b1)) >>> 0);
  }

  #more(): boolean {
    return !this.#o.shouldStop() && Date.now() < this.#o.deadline && this.#tried < this.#o.maxMessages;
  }

  async run(): Promise<ClientStats> {
    let backoff = 20;
    while (this.#more()) {
      let conn: SmtpLines;
      try {
        conn = await SmtpLines.connect(this.#o.host, this.#o.port, 5000);
      } catch {
        this.stats.connectFailures++;
        await sleep(backoff + Math.floor(this.#rnd() * backoff));
        backoff = Math.min(backoff * 2, 500);
        continue;
      }
      this.stats.connects++;
      try {
        if ((await this.#session(conn)) === 'ok') backoff = 20;
        else {
          this.stats.brokenSessions++;
          await sleep(backoff + Math.floor(this.#rnd() * backoff));
          backoff = Math.min(backoff * 2, 500);
        }
      } finally {
        conn.close();
      }
    }
    return this.stats;
  }

  /** One connection: greeting, EHLO, up to `perConnection` messages, QUIT. */
  async #session(conn: SmtpLines): Promise<'ok' | 'broken'> {
    const timeout = this.#o.replyTimeoutMs ?? 15_000;
    try {
      const greeting = await conn.reply(timeout);
      if (!greeting.startsWith('220')) throw new UnexpectedReply(`greeting: ${greeting.trim()}`);
      const ehlo = await conn.send(`EHLO client${this.#o.index}.load.test`, timeout);
      if (!ehlo.startsWith('250')) throw new UnexpectedReply(`EHLO: ${ehlo.trim()}`);
      const n = 1 + Math.floor(this.#rnd() * (this.#o.perConnection ?? 8));
      for (let i = 0; i < n && this.#more(); i++) await this.#message(conn, timeout);
      await conn.send('QUIT', timeout).catch(() => '');
      return 'ok';
    } catch (err) {
      if (err instanceof UnexpectedReply) this.stats.unexpected.push(err.message);
      return 'broken';
    }
  }

  /** One transaction; records the outcome in the ledger; throws when the connection is no longer usable. */
  async #message(conn: SmtpLines, timeout: number): Promise<void> {
    const o = this.#o;
    const seq = o.index + o.clients * this.#tried++;
    const rcpts = this.#pickRcpts();
    const from = `load${o.index}@sender.test`;
    const bytes = crashMessage({ run: o.run, client: o.index, seq, from, rcpts }, this.#rnd);
    const msg: SentMessage = { id: messageId(o.run, o.index, seq), client: o.index, seq, from, rcpts, bytes, outcome: 'aborted' };
    o.ledger.add(msg);
    const expect = async (line: string, code: string): Promise<void> => {
      const r = await conn.send(line, timeout);
      if (!r.startsWith(code)) throw new UnexpectedReply(`${line.split(':')[0]}: ${r.trim()}`);
    };
    await expect(`MAIL FROM:<${from}>`, '250');
    for (const r of rcpts) await expect(`RCPT TO:<${r}>`, '250');
    await expect('DATA', '354');
    // RFC 5321 §4.5.2: a line that starts with "." gets one more.
    const stuffer = new DotStuffer();
    const wire = stuffer.push(bytes);
    const half = Math.floor(wire.length / 2);
    conn.write(wire.subarray(0, half));
    const midData = o.kills.take('mid-data');
    if (midData) {
      // Let the first half reach the server, kill it, and never send the rest: the message stays `aborted`.
      await sleep(30);
      this.stats.killsFired++;
      midData();
      await conn.reply(timeout);
      throw new Error('server answered after being killed in the middle of DATA');
    }
    conn.write(wire.subarray(half));
    conn.write(stuffer.end()); // ".\r\n": `bytes` ends with CRLF
    msg.outcome = 'unacked';
    const afterDot = o.kills.take('after-dot');
    if (afterDot) {
      this.stats.killsFired++;
      afterDot();
    }
    const reply = await conn.reply(timeout);
    msg.reply = reply.trim();
    if (reply.startsWith('250')) msg.outcome = 'acked';
    else {
      msg.outcome = 'refused';
      throw new UnexpectedReply(`end of data: ${reply.trim()}`);
    }
  }

  /** One recipient mostly, sometimes two. */
  #pickRcpts(): string[] {
    const users = this.#o.users;
    const first = Math.floor(this.#rnd() * users.length);
    if (users.length < 2 || this.#rnd() >= 0.2) return [users[first]!];
    const second = (first + 1 + Math.floor(this.#rnd() * (users.length - 1))) % users.length;
    return [users[first]!, users[second]!];
  }
}
