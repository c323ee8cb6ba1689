/**
 * A minimal pipelining POP3 client for `npm run bench:pop3` (RFC 1939, RFC 2449 PIPELINING): commands are written
 * without waiting, replies are matched to them in order, and multi-line replies (LIST, UIDL, RETR) are cut at the
 * `CRLF.CRLF` terminator straight from the socket's chunks, without splitting them into lines.
 *
 * Guarantees: every wait is bounded (`timeoutMs` per reply: the socket is destroyed and every pending reply
 * rejected); a reply's body is returned as received (still dot-stuffed), and `wireSize` gives its size once
 * unstuffed, which is what LIST promised; `unstuff` gives the message bytes.
 * Limits: no TLS, no SASL beyond USER/PASS; it trusts the server to send well-formed replies (a malformed one
 * is an error, not something to recover from).
 */
import * as net from 'node:net';

/** One reply: the status line (without CRLF) and, for multi-line replies, the body chunks (dot-stuffed). */
export interface Reply {
  readonly ok: boolean;
  readonly line: string;
  /** Multi-line body without its terminator, as received (views into socket chunks; may be several). */
  readonly body: Buffer[];
  /** Octets in `body`. */
  readonly bodyBytes: number;
}

interface Pending {
  readonly multi: boolean;
  readonly resolve: (r: Reply) => void;
  readonly reject: (e: Error) => void;
}

const TERM = Buffer.from('\r\n.\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

/** A client connection. */
export class Pop3Client {
  readonly greeting: string;
  #socket: net.Socket;
  #timeoutMs: number;
  #queue: Pending[] = [];
  /** Unparsed bytes before a status line is complete. */
  #head: Buffer = Buffer.alloc(0);
  /** Inside a multi-line body: its chunks so far and the last (up to 4) octets seen, for a terminator across chunks. */
  #body: Buffer[] | null = null;
  #bodyBytes = 0;
  #tail: Buffer = CRLF;
  #status = '';
  #error: Error | null = null;
  #timer: NodeJS.Timeout | null = null;

  private constructor(socket: net.Socket, greeting: string, timeoutMs: number) {
    this.#socket = socket;
    this.greeting = greeting;
    this.#timeoutMs = timeoutMs;
    socket.on('data', (c: Buffer) => this.#onData(c));
    socket.on('error', (e) => this.#fail(e));
    socket.on('close', () => this.#fail(new Error('POP3 server closed the connection')));
  }

  /** Connects and reads the greeting (rejects on `-ERR` or after `timeoutMs`). */
  static connect(host: string, port: number, timeoutMs = 60_000): Promise<Pop3Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      let buf = '';
      const timer = setTimeout(() => done(new Error(`No POP3 greeting from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
      const onData = (c: Buffer) => {
        buf += c.toString('latin1');
        const eol = buf.indexOf('\r\n');
        if (eol === -1) return;
        if (eol + 2 !== buf.length) return done(new Error(`Unexpected bytes after the POP3 greeting: ${JSON.stringify(buf)}`));
        const line = buf.slice(0, eol);
        if (!line.startsWith('+OK')) return done(new Error(`POP3 greeting: ${line}`));
        done(null, new Pop3Client(socket, line, timeoutMs));
      };
      const onError = (e: Error) => done(e);
      const done = (err: Error | null, client?: Pop3Client) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve(client!);
      };
      socket.on('data', onData);
      socket.on('error', onError);
    });
  }

  /** Sends one command line (without CRLF) and resolves with its reply; `multi` for LIST, UIDL, RETR … without argument or RETR. */
  send(line: string, multi = false): Promise<Reply> {
    return this.sendMany([line], [multi])[0]!;
  }

  /** Writes several commands in one write (pipelining) and resolves with their replies, in order. */
  sendMany(lines: readonly string[], multi: readonly boolean[]): Promise<Reply>[] {
    if (this.#error) return lines.map(() => Promise.reject(this.#error!));
    const out = lines.map((_line, i) => new Promise<Reply>((resolve, reject) => this.#queue.push({ multi: multi[i]!, resolve, reject })));
    this.#socket.write(lines.join('\r\n') + '\r\n', 'latin1');
    this.#arm();
    return out;
  }

  /** USER then PASS (pipelined); rejects unless both are `+OK`. Resolves with the PASS reply. */
  async login(user: string, password: string): Promise<Reply> {
    const [u, p] = this.sendMany([`USER ${user}`, `PASS ${password}`], [false, false]);
    const ru = await u!;
    const rp = await p!;
    if (!ru.ok) throw new Error(`USER ${user}: ${ru.line}`);
    if (!rp.ok) throw new Error(`PASS for ${user}: ${rp.line}`);
    return rp;
  }

  /** Sends QUIT, waits for its reply (which must be +OK) and for the server to close. */
  async quit(): Promise<Reply> {
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
    const r = await this.send('QUIT');
    if (!r.ok) throw new Error(`QUIT: ${r.line}`);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, this.#timeoutMs).unref())]);
    return r;
  }

  /** Closes the connection without QUIT (nothing is deleted). */
  destroy(): void {
    this.#socket.destroy();
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = this.#queue.length ? setTimeout(() => this.#fail(new Error(`No POP3 reply within ${this.#timeoutMs} ms`)), this.#timeoutMs) : null;
  }

  #fail(e: Error): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#error ??= e;
    this.#socket.destroy();
    for (const p of this.#queue.splice(0)) p.reject(this.#error);
  }

  #onData(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#body) {
        at = this.#bodyData(chunk, at);
        continue;
      }
      // A status line, possibly started in an earlier chunk.
      let line: string;
      if (this.#head.length && this.#head[this.#head.length - 1] === 0x0d && chunk[at] === 0x0a) {
        line = this.#head.toString('latin1', 0, this.#head.length - 1);
        at += 1;
      } else {
        const eol = chunk.indexOf(CRLF, at);
        if (eol === -1) {
          this.#head = Buffer.concat([this.#head, chunk.subarray(at)]);
          if (this.#head.length > 64 * 1024) this.#fail(new Error('POP3 status line longer than 64 KiB'));
          return;
        }
        line = Buffer.concat([this.#head, chunk.subarray(at, eol)]).toString('latin1');
        at = eol + 2;
      }
      this.#head = Buffer.alloc(0);
      const p = this.#queue[0];
      if (!p) return this.#fail(new Error(`Unexpected POP3 reply: ${line}`));
      const ok = line.startsWith('+OK');
      if (!ok && !line.startsWith('-ERR')) return this.#fail(new Error(`Malformed POP3 reply: ${line}`));
      if (p.multi && ok) {
        this.#status = line;
        this.#body = [];
        this.#bodyBytes = 0;
        this.#tail = CRLF; // the status line's CRLF: an empty body is just ".\r\n"
      } else this.#settle({ ok, line, body: [], bodyBytes: 0 });
    }
  }

  /** Consumes body bytes from `chunk` at `at`; returns where the body ended in the chunk, or chunk.length. */
  #bodyData(chunk: Buffer, at: number): number {
    // A terminator across the border: the tail (≤ 4 octets before `at`) and the chunk's first 4 octets.
    const joint = Buffer.concat([this.#tail, chunk.subarray(at, at + 4)]);
    let end = -1; // index in chunk just after the terminator
    const j = joint.indexOf(TERM);
    if (j !== -1 && j < this.#tail.length) end = at + j + TERM.length - this.#tail.length;
    else {
      const k = chunk.indexOf(TERM, at);
      if (k !== -1) end = k + TERM.length;
    }
    if (end === -1) {
      if (chunk.length > at) {
        this.#body!.push(chunk.subarray(at));
        this.#bodyBytes += chunk.length - at;
      }
      this.#tail = Buffer.concat([this.#tail, chunk.subarray(at)]).subarray(-4);
      return chunk.length;
    }
    // The body ends with the CRLF before ".\r\n" (3 octets); when the terminator started in the tail, some of
    // those octets were already taken into the body and are dropped again.
    let take = end - 3 - at;
    if (take < 0) {
      this.#dropBodyOctets(-take);
      take = 0;
    }
    if (take > 0) {
      this.#body!.push(chunk.subarray(at, at + take));
      this.#bodyBytes += take;
    }
    const body = this.#body!;
    const bodyBytes = this.#bodyBytes;
    this.#body = null;
    this.#tail = CRLF;
    this.#settle({ ok: true, line: this.#status, body, bodyBytes });
    return end;
  }

  /** Removes the last `n` octets from the body so far (n ≤ 2: part of a CRLF before "." seen in an earlier chunk). */
  #dropBodyOctets(n: number): void {
    // An empty body ("+OK\r\n.\r\n"): the CRLF was the status line's, never in the body.
    n = Math.min(n, this.#bodyBytes);
    this.#bodyBytes -= n;
    while (n > 0) {
      const last = this.#body!.pop()!;
      if (last.length > n) {
        this.#body!.push(last.subarray(0, last.length - n));
        n = 0;
      } else n -= last.length;
    }
  }

  #settle(r: Reply): void {
    const p = this.#queue.shift()!;
    this.#arm();
    p.resolve(r);
  }
}

/** The size of a dot-stuffed body once unstuffed (RFC 1939 §3: each line starting with "." got one more "."). */
export function wireSize(r: Reply): number {
  const b = r.body.length === 1 ? r.body[0]! : Buffer.concat(r.body, r.bodyBytes);
  let stuffed = b.length >= 2 && b[0] === 0x2e && b[1] === 0x2e ? 1 : 0;
  for (let i = b.indexOf('\r\n..', 0, 'latin1'); i !== -1; i = b.indexOf('\r\n..', i + 3, 'latin1')) stuffed++;
  return b.length - stuffed;
}

/** The message bytes of a RETR reply (dot-stuffing removed). */
export function unstuff(r: Reply): Buffer {
  const b = Buffer.concat(r.body, r.bodyBytes);
  const parts: Buffer[] = [];
  let from = 0;
  if (b.length >= 2 && b[0] === 0x2e && b[1] === 0x2e) from = 1;
  for (let i = b.indexOf('\r\n..', from, 'latin1'); i !== -1; i = b.indexOf('\r\n..', i + 3, 'latin1')) {
    parts.push(b.subarray(from, i + 2));
    from = i + 3;
  }
  parts.push(b.subarray(from));
  return Buffer.concat(parts);
}

/** Parses the body of LIST or UIDL: number → the rest of the line. */
export function listing(r: Reply): Map<number, string> {
  const out = new Map<number, string>();
  const text = Buffer.concat(r.body, r.bodyBytes).toString('latin1');
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    out.set(Number(line.slice(0, sp)), line.slice(sp + 1));
  }
  return out;
}

/**
 * Sends `commands` with up to `window` outstanding, refilled in batches once half of them are answered (RFC 2449
 * PIPELINING), and checks each reply: it must be +OK, and `check` (when given) may throw. `multi`: the replies are
 * multi-line (RETR, TOP). Resolves with the replies counted and the body octets received.
 */
export function pipelined(
  c: Pop3Client,
  commands: readonly string[],
  o: { multi: boolean; window: number; check?: (i: number, r: Reply) => void },
): Promise<{ replies: number; octets: number }> {
  let next = 0;
  let inFlight = 0;
  let done = 0;
  let octets = 0;
  let failed = false;
  return new Promise((resolve, reject) => {
    const fail = (e: unknown) => {
      if (!failed) reject(e as Error);
      failed = true;
    };
    const refill = () => {
      const k = Math.min(o.window - inFlight, commands.length - next);
      if (failed || k <= 0) return;
      const first = next;
      const batch = commands.slice(first, first + k);
      next += k;
      inFlight += k;
      c.sendMany(
        batch,
        batch.map(() => o.multi),
      ).forEach((p, j) =>
        p
          .then((r) => {
            if (failed) return;
            if (!r.ok) throw new Error(`${commands[first + j]}: ${r.line}`);
            o.check?.(first + j, r);
            octets += r.bodyBytes;
            inFlight--;
            done++;
            if (done === commands.length) resolve({ replies: done, octets });
            else if (inFlight <= o.window / 2) refill();
          })
          .catch(fail),
      );
    };
    if (commands.length === 0) resolve({ replies: 0, octets: 0 });
    else refill();
  });
}

/** `RETR 1` … `RETR n`. */
export function retrCommands(n: number, verb = 'RETR'): string[] {
  return Array.from({ length: n }, (_, i) => `${verb} ${i + 1}`);
}
