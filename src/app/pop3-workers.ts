/**
 * POP3 worker processes (`pop3.processes` > 1): the server process starts `processes − 1` workers (`postroom
 * pop3-worker`, pop3-worker.ts), and its POP3 listeners hand each new connection to the process with the fewest
 * open POP3 connections, the server itself when it has no more than any worker, so concurrent sessions use more
 * than one core (one event loop is one core; Dovecot runs a process per connection).
 *
 * Why the fewest connections and not each in turn: a lone session stays in the server process, whose code the
 * JIT has compiled for the sessions before it; measured with bench:pop3 (2 processes, in turn), a single session's
 * RETR rows fell 4–6 % behind a single process, its code half as warm in each.
 *
 * Why workers that own whole sessions: a POP3 session is its own work from login to QUIT, and the store already
 * serves several processes at once (the admin CLI writes while the server runs): each worker opens it as its own
 * instance, and its QUIT commits durably before `+OK`, as in the server process. A maildrop lock names the instance
 * that holds it, so a second session on the same maildrop gets `-ERR [IN-USE]` whichever process it lands on.
 *
 * Guarantees:
 * - A connection is handed over before a byte of it is read (LineServer pauses new sockets). The server keeps its
 *   copy of the socket until the worker says it took it (`took`), and closes it then; a connection whose worker
 *   went away before that, or did not take it within `takeMs` (10 s; a descriptor lost in transit, a stuck worker), is
 *   closed here. It stays counted in the listener's limits until the worker reports it
 *   `closed`, or the worker exits.
 * - One login lockout for all processes: a failure counted anywhere is sent to every other process, and a worker
 *   that starts gets the failures within the window.
 * - `setTls()` reaches every worker (SIGHUP). A worker that is not ready (starting, stopping) gets no connection.
 * - A worker that exits (or cannot be started) while the server runs is started again, after 1 s, doubling up to
 *   1 min while it keeps failing; its sessions are cut off (nothing deleted: only QUIT commits), and the maildrop
 *   locks it held are taken over by the next login once its process is gone (the store's instance check).
 * - A worker that does not take a connection within `takeMs` is taken for hung: the connection is closed, the
 *   worker gets no other, and it is ended (SIGKILL) and started again as one that exited.
 * - `stop()`: every worker drains as the server's own listeners do, within the deadline, then gets SIGKILL.
 *   A worker whose server process goes away exits at once (its IPC channel closes).
 * Limits: a worker is found hung only when a connection is handed to it; one stuck with no new connection keeps
 * its open sessions until their clients give up.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { AuthThrottle, HandOff, Logger } from '../proto/index.js';
import type { Config } from './config.js';
import type { Pop3Service } from './wiring.js';

/** Messages from the server process to a worker (a `conn` carries the socket as its handle). */
export type ToWorker =
  | { readonly t: 'init'; readonly config: Config; readonly tls: Tls; readonly failures: [string, number[]][] }
  | { readonly t: 'conn'; readonly id: number; readonly service: Pop3Service }
  | { readonly t: 'auth-fail'; readonly ip: string }
  | { readonly t: 'tls'; readonly key: string; readonly cert: string }
  | { readonly t: 'stop'; readonly deadlineMs: number };

/** Messages from a worker to the server process. */
export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'took'; readonly id: number }
  | { readonly t: 'closed'; readonly id: number }
  | { readonly t: 'auth-fail'; readonly ip: string }
  | { readonly t: 'stopping' };

type Tls = { readonly key: string; readonly cert: string };

/** How workers are run and watched. The defaults are production's; a test shortens the times or runs its own worker. */
export interface Pop3WorkersOptions {
  /** The worker's program and its arguments, run with `fork` (default: bin/postroom.js pop3-worker). */
  readonly command?: readonly [script: string, ...args: string[]];
  /** Wait before starting again a worker that exited (default 1 s); doubled while it keeps failing, up to `restartMaxMs`. */
  readonly restartMinMs?: number;
  /** Longest wait before starting a worker again (default 1 min). */
  readonly restartMaxMs?: number;
  /** Time a worker has to take a connection handed to it before it is taken for hung (default 10 s). */
  readonly takeMs?: number;
}

/** A worker ready this long before it exited resets the wait (it was not failing at start). */
const HEALTHY_MS = 60_000;
/** Time a stopping worker has past the shutdown deadline (closing its store) before SIGKILL. */
const STOP_GRACE_MS = 5000;

/**
 * The node options a worker runs with: the server's own (the executable's first line, or a benchmark's), less those
 * that belong to one process (a debugger's port, a profiler's output, a test runner's).
 */
export function workerNodeArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (!/^--(inspect|debug|test|cpu-prof|heap-prof|prof|diagnostic-dir|report)/.test(a)) out.push(a);
    // An option of those given as two words takes its value along.
    else if (!a.includes('=') && /^--(cpu-prof-dir|cpu-prof-name|heap-prof-dir|heap-prof-name|diagnostic-dir|test-name-pattern|test-reporter|test-reporter-destination)$/.test(a)) i++;
  }
  return out;
}

interface Worker {
  readonly child: ChildProcess;
  ready: boolean;
  readyAt: number;
  gone: boolean;
  /** Ended as hung (a SIGKILL sent; its exit is still to come). */
  hung: boolean;
  /** Connections handed to it and not closed yet: their place in the limits, and the server's copy until `took`. */
  readonly open: Map<number, Handed>;
}

interface Handed {
  readonly release: () => void;
  /** The server's copy of the socket, until the worker takes the connection (null: taken). */
  socket: Socket | null;
  /** Finds the worker hung if it has not taken the connection in time (#takeTimer). */
  timer: NodeJS.Timeout;
}

/** A place for one worker: the one running (or null), and the wait before the next start (doubling on failure). */
interface Slot {
  worker: Worker | null;
  waitMs: number;
}

/** The workers of one server process. */
export class Pop3Workers {
  readonly #slots: Slot[];
  readonly #command: readonly [string, ...string[]];
  readonly #restartMinMs: number;
  readonly #restartMaxMs: number;
  readonly #takeMs: number;
  #nextId = 0;
  #stopping = false;
  #tls: Tls;

  /**
   * @param count workers to run (`pop3.processes − 1`)
   *
   * @example
   * ```ts
   * const workers = new Pop3Workers(config.pop3.processes - 1, config, tls, throttle, log);
   * workers.start();
   * pop3Server.setHandOff(workers.handOff('pop3', () => pop3Server.connections));
   * ```
   */
  constructor(
    count: number,
    private readonly config: Config,
    tls: Tls,
    private readonly throttle: AuthThrottle,
    private readonly log: Logger,
    opts: Pop3WorkersOptions = {},
  ) {
    this.#command = opts.command ?? [fileURLToPath(new URL('../../../bin/postroom.js', import.meta.url)), 'pop3-worker'];
    this.#restartMinMs = Math.max(1, opts.restartMinMs ?? 1000); // doubled: 0 would stay 0
    this.#restartMaxMs = opts.restartMaxMs ?? 60_000;
    this.#takeMs = opts.takeMs ?? 10_000;
    this.#slots = Array.from({ length: count }, () => ({ worker: null, waitMs: this.#restartMinMs }));
    this.#tls = { key: tls.key, cert: tls.cert };
    throttle.publish = (ip) => this.#broadcast({ t: 'auth-fail', ip });
  }

  /** Starts every worker (each takes connections once it says it is ready). */
  start(): void {
    for (const slot of this.#slots) this.#spawn(slot);
  }

  #spawn(slot: Slot): void {
    const [script, ...args] = this.#command;
    const execArgv = workerNodeArgs(process.execArgv);
    let child: ChildProcess;
    try {
      child = fork(script, args, { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'pop3 worker: cannot start it');
      slot.worker = null;
      return this.#restartLater(slot, null);
    }
    const w: Worker = { child, ready: false, readyAt: 0, gone: false, hung: false, open: new Map() };
    slot.worker = w;
    child.on('message', (m: FromWorker) => this.#onMessage(w, m));
    // A process that could not be started emits 'error' and no 'exit'; an IPC error is followed by the exit.
    child.on('error', (err) => {
      this.log.error({ err: err.message, worker: child.pid }, 'pop3 worker: error');
      if (child.pid === undefined) this.#gone(slot, w);
    });
    child.once('exit', (code, signal) => {
      if (!this.#stopping) this.log.error({ worker: child.pid, code, signal }, 'pop3 worker exited; starting another');
      this.#gone(slot, w);
    });
    const init: ToWorker = { t: 'init', config: this.config, tls: this.#tls, failures: this.throttle.recentFailures() };
    // A worker that never gets its configuration would wait for it forever: it is ended, and started again.
    if (child.connected) child.send(init, (err) => err && child.kill('SIGKILL'));
  }

  /** A worker is gone: its connections leave the limits (the unread ones are closed), and another starts later. */
  #gone(slot: Slot, w: Worker): void {
    if (w.gone) return;
    w.gone = true;
    w.ready = false;
    for (const id of [...w.open.keys()]) this.#drop(w, id);
    if (w.readyAt > 0 && Date.now() - w.readyAt >= HEALTHY_MS) slot.waitMs = this.#restartMinMs;
    this.#restartLater(slot, w);
  }

  /** Ends a handed connection's bookkeeping: closes the server's copy if still held, releases its place. */
  #drop(w: Worker, id: number): void {
    const c = w.open.get(id);
    if (!c) return;
    w.open.delete(id);
    clearTimeout(c.timer);
    c.socket?.destroy();
    c.release();
  }

  #restartLater(slot: Slot, w: Worker | null): void {
    if (this.#stopping) return;
    const wait = slot.waitMs;
    slot.waitMs = Math.min(this.#restartMaxMs, wait * 2);
    setTimeout(() => {
      if (!this.#stopping && slot.worker === w) this.#spawn(slot);
    }, wait).unref();
  }

  #onMessage(w: Worker, m: FromWorker): void {
    switch (m.t) {
      case 'ready':
        w.ready = !this.#stopping;
        w.readyAt = Date.now();
        this.log.info({ worker: w.child.pid }, 'pop3 worker ready');
        return;
      case 'took': {
        const c = w.open.get(m.id);
        if (!c?.socket) return;
        clearTimeout(c.timer);
        c.socket.destroy(); // the worker has its own descriptor now: this closes only the server's, no FIN is sent
        c.socket = null;
        return;
      }
      case 'closed':
        return this.#drop(w, m.id);
      case 'auth-fail':
        this.throttle.failedElsewhere(m.ip);
        this.#broadcast({ t: 'auth-fail', ip: m.ip }, w);
        return;
      case 'stopping': // stopped on its own (SIGTERM to it alone): no new connection for it
        w.ready = false;
        return;
    }
  }

  #broadcast(m: ToWorker, except?: Worker): void {
    for (const { worker: w } of this.#slots) if (w && w !== except && w.child.connected) w.child.send(m);
  }

  /**
   * The LineServer hand-off of one POP3 service: a connection goes to the ready worker with the fewest open
   * connections when it has fewer than this process (`here()`: its POP3 sessions, every service), else it stays.
   */
  handOff(service: Pop3Service, here: () => number): HandOff {
    return (socket: Socket, closed: () => void): boolean => {
      const w = this.#leastBusy(here());
      if (!w) return false;
      const id = ++this.#nextId;
      const timer = this.#takeTimer(w, id);
      w.open.set(id, { release: closed, socket, timer });
      // keepOpen: this copy stays until the worker says it took the socket, so it can be closed if the worker dies first.
      w.child.send({ t: 'conn', id, service } satisfies ToWorker, socket, { keepOpen: true }, (err) => {
        if (!err || !w.open.has(id)) return;
        this.log.warn({ worker: w.child.pid, err: err.message }, 'pop3 worker: hand-off failed');
        this.#drop(w, id);
      });
      return true;
    };
  }

  /**
   * The timer of a connection handed to `w`, which finds the worker hung if it has not taken the connection in
   * `takeMs`. Node runs due timers before it reads what has arrived, so the decision waits for the next check
   * phase, after the poll that reads a `took` already sent; and a timer that ran late by half its time or more means
   * that this process stalled (a long step, a frozen process group), not the worker: it gets its full time again.
   */
  #takeTimer(w: Worker, id: number): NodeJS.Timeout {
    const due = Date.now() + this.#takeMs;
    return setTimeout(() => {
      setImmediate(() => {
        const c = w.open.get(id);
        if (!c?.socket) return; // taken, or dropped
        if (Date.now() - due >= this.#takeMs / 2) c.timer = this.#takeTimer(w, id);
        else this.#hung(w, id);
      });
    }, this.#takeMs).unref();
  }

  /**
   * A worker did not take connection `id` in time: it is taken for hung (its event loop stuck, or its IPC channel),
   * since a worker that runs takes a socket at once. The connection is closed, and the worker ended: its exit starts
   * another, as for any worker that exits. Its sessions are cut off, deleting nothing (only QUIT commits). Limits: a
   * worker stuck in one step for `takeMs` (10 s) is ended as hung too.
   */
  #hung(w: Worker, id: number): void {
    this.#drop(w, id);
    if (w.hung || w.gone) return; // ended already: its exit closes the rest
    w.hung = true;
    w.ready = false;
    this.log.error({ worker: w.child.pid, ms: this.#takeMs }, 'pop3 worker did not take a connection in time: ended as hung, another will start');
    w.child.kill('SIGKILL');
  }

  /** The ready worker with the fewest open connections, if it has fewer than `here`; else null. */
  #leastBusy(here: number): Worker | null {
    let best: Worker | null = null;
    let fewest = here;
    for (const { worker: w } of this.#slots) {
      // `ready` is false once a worker stops or is gone.
      if (!w?.ready || !w.child.connected || w.open.size >= fewest) continue;
      best = w;
      fewest = w.open.size;
    }
    return best;
  }

  /** Hands a new certificate to every worker (for new connections and STLS, as LineServer.setTls). */
  setTls(tls: Tls): void {
    this.#tls = { key: tls.key, cert: tls.cert };
    this.#broadcast({ t: 'tls', ...this.#tls });
  }

  /** Drains every worker within `deadlineMs` (as LineServer.close), then kills what is left. */
  async stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(async ({ worker: w }) => {
        if (!w || w.gone || w.child.exitCode !== null || w.child.signalCode !== null) return;
        w.ready = false;
        const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
        if (w.child.connected) w.child.send({ t: 'stop', deadlineMs } satisfies ToWorker);
        else w.child.kill('SIGTERM');
        const timer = setTimeout(() => w.child.kill('SIGKILL'), deadlineMs + STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
