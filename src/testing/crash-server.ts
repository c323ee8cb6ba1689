/**
 * The server side of the SMTP crash test (test/crash/): one `postroom start` child at a time on fixed ports and one
 * data directory, killed with SIGKILL and started again on the same ports; its JSON log lines are watched so the
 * test can kill it while the queue runner delivers.
 *
 * Guarantees: only the children started here are signalled, by their PID; a kill is counted only when the child
 * really died of SIGKILL (a child that exited by itself before is reported as a crash). Every wait is bounded.
 */
import { startDaemonChild, type DaemonChild } from './app-daemon.js';

/** How one child ended. */
export interface ChildEnd {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last part of its standard error (JSON log lines), for reports. */
  readonly stderrTail: string;
}

/** Options of CrashServer.start. */
export interface CrashServerOptions {
  readonly dataDir: string;
  readonly hostname: string;
  readonly domain: string;
  /** A TOML configuration file (queue timings), or none. */
  readonly config?: string;
}

type Hooks = { after(fn: () => void | Promise<void>): void };

/** Counts of log lines over every child. */
export interface LogCounts {
  /** Local deliveries into a mailbox (`"msg":"delivered"`). */
  delivered: number;
  /** Retries that found the copy already delivered (`"msg":"already delivered"`). */
  alreadyDelivered: number;
  /** Lines logged at level error, with a sample. */
  errors: number;
  errorSamples: string[];
}

/**
 * A restartable `postroom start` child.
 *
 * @example
 * ```ts
 * const s = await CrashServer.start(t, { dataDir, hostname: 'mx.crash.test', domain: 'crash.test' });
 * s.killNow();
 * await s.exited();
 * await s.restart();
 * ```
 */
export class CrashServer {
  readonly counts: LogCounts = { delivered: 0, alreadyDelivered: 0, errors: 0, errorSamples: [] };
  /** Children that ended, in order. */
  readonly ends: ChildEnd[] = [];
  #d: DaemonChild;
  #exit: Promise<ChildEnd>;
  #lineTail = '';
  #onDelivered: (() => void) | null = null;

  private constructor(
    readonly t: Hooks,
    readonly o: CrashServerOptions,
    d: DaemonChild,
    readonly smtp: { host: string; port: number },
    readonly submission: { host: string; port: number },
  ) {
    this.#d = d;
    this.#exit = this.#watch(d);
  }

  static async start(t: Hooks, o: CrashServerOptions): Promise<CrashServer> {
    const d = await startDaemonChild(t, CrashServer.#args(o, '127.0.0.1:0', '127.0.0.1:0'));
    const smtp = d.addresses.get('smtp');
    const submission = d.addresses.get('submission');
    if (!smtp || !submission) throw new Error(`postroom start printed no smtp/submission address:\n${d.stdout()}`);
    return new CrashServer(t, o, d, smtp, submission);
  }

  static #args(o: CrashServerOptions, smtp: string, submission: string): string[] {
    return [
      ...(o.config ? ['--config', o.config] : []),
      '--data-dir', o.dataDir, '--hostname', o.hostname, '--domain', o.domain,
      '--smtp-listen', smtp, '--submission-listen', submission,
      '--pop3-listen', 'off', '--web-listen', 'off',
    ];
  }

  get pid(): number {
    return this.#d.child.pid!;
  }

  /** True while the current child has not exited. */
  get alive(): boolean {
    return this.#d.child.exitCode === null && this.#d.child.signalCode === null;
  }

  #watch(d: DaemonChild): Promise<ChildEnd> {
    const child = d.child;
    child.stderr!.on('data', (s: string) => this.#scan(s));
    return new Promise((resolve) => {
      const done = (): void => {
        this.#lineTail = '';
        const end = { pid: child.pid!, code: child.exitCode, signal: child.signalCode, stderrTail: d.stderr().slice(-4000) };
        this.ends.push(end);
        resolve(end);
      };
      if (child.exitCode !== null || child.signalCode !== null) done();
      else child.once('exit', done);
    });
  }

  /** Counts whole log lines (a chunk may end in the middle of one). */
  #scan(chunk: string): void {
    const text = this.#lineTail + chunk;
    const lines = text.split('\n');
    this.#lineTail = lines.pop()!;
    for (const line of lines) {
      if (line.includes('"msg":"delivered"')) {
        this.counts.delivered++;
        this.#onDelivered?.();
      } else if (line.includes('"msg":"already delivered"')) this.counts.alreadyDelivered++;
      if (line.includes('"level":"error"')) {
        this.counts.errors++;
        if (this.counts.errorSamples.length < 5) this.counts.errorSamples.push(line.slice(0, 600));
      }
    }
  }

  /**
   * Calls `fn` (once) after the current child has logged `n` more local deliveries: the queue runner is busy then.
   * Returns a function that cancels the wait.
   */
  onDeliveries(n: number, fn: () => void): () => void {
    let left = n;
    this.#onDelivered = () => {
      if (--left > 0) return;
      this.#onDelivered = null;
      fn();
    };
    return () => {
      this.#onDelivered = null;
    };
  }

  /** Sends SIGKILL to the current child, synchronously (by its PID). Returns false when it had already exited. */
  killNow(): boolean {
    if (!this.alive) return false;
    return this.#d.child.kill('SIGKILL');
  }

  /** Resolves when the current child has exited (rejects after `timeoutMs`). */
  async exited(timeoutMs = 10_000): Promise<ChildEnd> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.#exit,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`postroom (pid ${this.pid}) did not exit within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts a new child on the same ports and data directory. A port can be briefly taken by someone's outgoing
   * connection while nobody listens on it, so a failed start is retried (at most `attempts` times).
   */
  async restart(attempts = 5): Promise<void> {
    if (this.alive) throw new Error('Cannot restart: the server is running');
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        const d = await startDaemonChild(this.t, CrashServer.#args(this.o, `${this.smtp.host}:${this.smtp.port}`, `${this.submission.host}:${this.submission.port}`));
        this.#d = d;
        this.#exit = this.#watch(d);
        return;
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 200 * (i + 1)));
      }
    }
    throw new Error(`postroom did not start again on the same ports after ${attempts} attempts`, { cause: last });
  }

  /** SIGTERM (graceful stop) and the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (!this.alive) return this.#d.child.exitCode;
    return this.#d.stop('SIGTERM', timeoutMs);
  }
}

/** How one scheduled kill is triggered (killOnce). */
export interface KillPlan {
  /** 'mid-data' and 'after-dot' are armed on the clients' KillSwitch; anything else needs `arm` or `immediate`. */
  readonly kind: string;
  /** Kill at once ('random'). */
  readonly immediate: boolean;
  /** Delay after the dot for 'after-dot' (0: at once). */
  readonly afterDotMs: number;
  /** How long to wait for the trigger before killing anyway (named "random (… not reached)"). */
  readonly armMs: number;
  /** Arms a trigger of the test's own (deliveries seen, messages relayed); returns its cancel. */
  readonly arm?: (fire: (what: string) => void) => () => void;
}

/**
 * Kills the server once, when `plan` says, and waits for its exit: resolves to how it was triggered and how it
 * ended (the shared step of the crash tests).
 *
 * @example
 * ```ts
 * const { how, end } = await killOnce(server, kills, { kind: 'random', immediate: true, afterDotMs: 0, armMs: 5000 });
 * ```
 */
export async function killOnce(server: CrashServer, kills: KillSwitchLike, plan: KillPlan): Promise<{ how: string; end: ChildEnd }> {
  let cancel = (): void => {};
  let fallback: NodeJS.Timeout | undefined;
  const how = await new Promise<string>((resolve) => {
    const fire = (what: string): void => {
      if (server.killNow()) resolve(what);
    };
    const gone = (): void => resolve('(the server had already exited)');
    void server.exited(plan.armMs + 10_000).then(gone, gone);
    if (plan.immediate) fallback = setTimeout(() => fire(plan.kind), 0);
    else fallback = setTimeout(() => fire(`random (${plan.kind} not reached in ${plan.armMs} ms)`), plan.armMs);
    if (plan.kind === 'mid-data') kills.arm('mid-data', () => fire('mid-data'));
    else if (plan.kind === 'after-dot') {
      kills.arm('after-dot', () => (plan.afterDotMs === 0 ? fire('after-dot') : setTimeout(() => fire('after-dot'), plan.afterDotMs)));
    } else if (plan.arm) cancel = plan.arm(fire);
  });
  clearTimeout(fallback);
  kills.disarm('mid-data');
  kills.disarm('after-dot');
  cancel();
  return { how, end: await server.exited() };
}

/** What killOnce needs of crash-load.ts's KillSwitch. */
export interface KillSwitchLike {
  arm(point: 'mid-data' | 'after-dot', fire: () => void): void;
  disarm(point: 'mid-data' | 'after-dot'): void;
}
