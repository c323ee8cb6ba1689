/**
 * Test helpers for the daemon: start `postroom start` as a child process on free ports (port 0) and read the
 * addresses it prints, and a minimal line-by-line SMTP client for scripted conversations (also the crash test's load).
 *
 * Limits: every wait is bounded (a timeout rejects); the child is ended by its PID when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { repoRoot } from './peers.js';

/** A loopback port for a next hop that never answers (TCP port 9, discard: nothing listens on it in tests). */
export const NO_SMTP_PORT = 9;

/** A running `postroom start` child. */
export interface DaemonChild {
  readonly child: ChildProcess;
  /** Service name → host and port, as printed ("  smtp  listening on 127.0.0.1:41234"). */
  readonly addresses: ReadonlyMap<string, { host: string; port: number }>;
  /** Everything printed on standard output so far. */
  stdout(): string;
  /** Everything printed on standard error so far (JSON log lines). */
  stderr(): string;
  /** The JSON log lines printed on standard error so far, parsed (with POP3 workers: theirs too, on the same stream). */
  logs(): Record<string, unknown>[];
  /** Sends a signal and resolves to the exit code (rejects after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts `node bin/postroom.js start ARGS…` and resolves when the banner has been printed.
 *
 * @example
 * ```ts
 * const d = await startDaemonChild(t, ['--data-dir', dir, '--smtp-listen', '127.0.0.1:0']);
 * const smtp = d.addresses.get('smtp');
 * ```
 */
export async function startDaemonChild(t: { after(fn: () => void | Promise<void>): void }, args: readonly string[], timeoutMs = 30_000): Promise<DaemonChild> {
  // No test resolves real DNS: mail for other domains (a bounce to a remote sender…) goes to a loopback port where
  // nothing listens and waits in the queue, unless the test names its own next hop.
  const relay = args.includes('--smarthost') ? [] : ['--smarthost', `[127.0.0.1]:${NO_SMTP_PORT}`];
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'postroom.js'), 'start', ...relay, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`postroom start printed no banner in ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
    const check = (): void => {
      if (/^stop with /m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`postroom start exited with ${code} before its banner:\n${out}\n${err}`));
    });
  });
  const addresses = new Map<string, { host: string; port: number }>();
  for (const m of out.matchAll(/^\s+(\S+)\s+listening on \[?([^\]\s]+?)\]?:(\d+)/gm)) addresses.set(m[1]!, { host: m[2]!, port: Number(m[3]) });
  return {
    child,
    addresses,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      err
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async stop(signal = 'SIGTERM', stopTimeoutMs = 30_000) {
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`postroom did not exit within ${stopTimeoutMs} ms after ${signal}`)), stopTimeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Splits the first complete SMTP reply (every line of a multi-line reply, RFC 5321 §4.2.1) off a buffer of
 * received text; null while it is incomplete.
 *
 * @example
 * ```ts
 * takeReply('250-a\r\n250 b\r\n354') // ['250-a\r\n250 b\r\n', '354']
 * ```
 */
export function takeReply(buf: string): [reply: string, rest: string] | null {
  const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(buf);
  return m ? [m[0], buf.slice(m[0].length)] : null;
}

/**
 * A line-oriented SMTP conversation for tests: send a line, read one (possibly multi-line) reply. Every wait is
 * bounded: the connect, and each reply.
 */
export class SmtpLines {
  #buf = '';
  #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (s: string) => {
      this.#buf += s;
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Connects to host:port; rejects after `timeoutMs`, on an error, or when the socket connected to itself. */
  static connect(host: string, port: number, timeoutMs = 10_000): Promise<SmtpLines> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        // A connect to a closed loopback port can pick that very port as its own and connect to itself.
        if (s.localPort === port && s.localAddress === s.remoteAddress) {
          s.destroy();
          reject(new Error(`connect to ${host}:${port} connected to itself`));
          return;
        }
        resolve(new SmtpLines(s));
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        s.destroy();
        reject(err);
      });
    });
  }

  /** Reads the next complete reply (all its lines), or rejects after `timeoutMs`. */
  async reply(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = takeReply(this.#buf);
      if (got) {
        this.#buf = got[1];
        return got[0];
      }
      if (this.#closed) throw new Error(`connection closed while waiting for a reply (buffer: ${JSON.stringify(this.#buf)})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms (buffer: ${JSON.stringify(this.#buf)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `line` + CRLF and reads the reply (within `timeoutMs`). */
  async send(line: string, timeoutMs?: number): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply(timeoutMs);
  }

  /** Sends raw bytes (a string as latin1) without waiting; nothing once the connection has closed. */
  write(raw: string | Buffer): void {
    if (this.#closed) return;
    if (typeof raw === 'string') this.socket.write(raw, 'latin1');
    else this.socket.write(raw);
  }

  /** True once the connection has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Polls `probe` until it returns a value that is not undefined, at most `attempts` times `intervalMs` apart.
 *
 * @example
 * ```ts
 * const n = await waitFor(async () => ((await count()) === 2 ? 2 : undefined));
 * ```
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, attempts = 100, intervalMs = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met after ${attempts} attempts`);
}
