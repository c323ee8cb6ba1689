/**
 * POP3 worker processes (`pop3.processes` > 1): the server process starts `processes − 1` workers (`postroom
 * pop3-worker`, pop3-worker.ts), and its POP3 listeners hand each new connection to the next process in turn,
 * itself included, so sessions use more than one core (one event loop is one core; Dovecot runs a process per
 * connection).
 *
 * Why workers that own whole sessions: a POP3 session is its own work from login to QUIT, and the store already
 * serves several processes at once (the admin CLI writes while the server runs): each worker opens it as its own
 * instance, and its QUIT commits durably before `+OK`, as in the server process. A maildrop lock names the instance
 * that holds it, so a second session on the same maildrop gets `-ERR [IN-USE]` whichever process it lands on.
 *
 * Guarantees:
 * - A connection is handed over before a byte of it is read (LineServer pauses new sockets). It stays counted in
 *   the listener's limits until the worker reports it closed, or the worker exits.
 * - One login lockout for all processes: a failure counted anywhere is sent to every other process.
 * - `setTls()` reaches every worker (SIGHUP). A worker that is not ready (starting, restarting) gets no connection.
 * - A worker that exits while the server runs is started again after `RESTART_DELAY_MS`; its sessions are cut
 *   off (nothing deleted: only QUIT commits), and the maildrop locks it held are taken over by the next login once
 *   its process is gone (the store's instance check).
 * - `stop()`: every worker drains as the server's own listeners do, within the deadline, then gets SIGKILL.
 *   A worker whose server process goes away exits at once (its IPC channel closes).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthThrottle, type AuthThrottleOptions, type HandOff, type Logger } from '../proto/index.js';
import type { Config } from './config.js';
import type { Pop3Service } from './wiring.js';

/** Messages from the server process to a worker (a `conn` carries the socket as its handle). */
export type ToWorker =
  | { readonly t: 'init'; readonly config: Config; readonly tls: { readonly key: string; readonly cert: string } }
  | { readonly t: 'conn'; readonly id: number; readonly service: Pop3Service }
  | { readonly t: 'auth-fail'; readonly ip: string }
  | { readonly t: 'tls'; readonly key: string; readonly cert: string }
  | { readonly t: 'stop'; readonly deadlineMs: number };

/** Messages from a worker to the server process. */
export type FromWorker = { readonly t: 'ready' } | { readonly t: 'closed'; readonly id: number } | { readonly t: 'auth-fail'; readonly ip: string };

/** Wait before a worker that exited is started again. */
const RESTART_DELAY_MS = 1000;
/** Time a stopping worker has past the shutdown deadline (closing its store) before SIGKILL. */
const STOP_GRACE_MS = 5000;

/**
 * The login lockout of one process that shares its failures with the others: `fail` (a failure here) is also
 * published; `failedElsewhere` counts one another process published.
 */
export class SharedThrottle extends AuthThrottle {
  /** Where a failure counted here goes (set once the other processes exist). */
  publish: ((ip: string) => void) | null = null;

  constructor(opts: AuthThrottleOptions) {
    super(opts);
  }

  override fail(ip: string): void {
    super.fail(ip);
    this.publish?.(ip);
  }

  /** Counts a failure another process saw. */
  failedElsewhere(ip: string): void {
    super.fail(ip);
  }
}

interface Worker {
  readonly child: ChildProcess;
  ready: boolean;
  /** Connections handed to it and not yet closed: id → releases its place in the listener's limits. */
  readonly open: Map<number, () => void>;
}

/** The workers of one server process. */
export class Pop3Workers {
  readonly #workers: (Worker | null)[];
  #turn = 0;
  #nextId = 0;
  #stopping = false;
  #tls: { key: string; cert: string };

  /**
   * @param count workers to run (`pop3.processes − 1`)
   *
   * @example
   * ```ts
   * const workers = new Pop3Workers(config.pop3.processes - 1, config, tls, throttle, log);
   * workers.start();
   * pop3Server.setHandOff(workers.handOff('pop3'));
   * ```
   */
  constructor(
    count: number,
    private readonly config: Config,
    tls: { key: string; cert: string },
    private readonly throttle: SharedThrottle,
    private readonly log: Logger,
  ) {
    this.#workers = new Array<Worker | null>(count).fill(null);
    this.#tls = { key: tls.key, cert: tls.cert };
    throttle.publish = (ip) => this.#broadcast({ t: 'auth-fail', ip });
  }

  /** Starts every worker (each takes connections once it says it is ready). */
  start(): void {
    for (let i = 0; i < this.#workers.length; i++) this.#spawn(i);
  }

  #spawn(slot: number): void {
    const script = fileURLToPath(new URL('../../../bin/postroom.js', import.meta.url));
    // The server's own node options (the executable's first line), not a test runner's.
    const execArgv = process.execArgv.filter((a) => /^--(v8-pool-size|max-semi-space-size|max-old-space-size)=/.test(a));
    const child = fork(path.resolve(script), ['pop3-worker'], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const w: Worker = { child, ready: false, open: new Map() };
    this.#workers[slot] = w;
    child.on('message', (m: FromWorker) => this.#onMessage(w, m));
    child.on('error', (err) => this.log.error({ err: err.message, worker: child.pid }, 'pop3 worker: IPC error'));
    child.once('exit', (code, signal) => {
      w.ready = false;
      for (const release of w.open.values()) release();
      w.open.clear();
      if (this.#stopping) return;
      this.log.error({ worker: child.pid, code, signal }, 'pop3 worker exited; starting another');
      setTimeout(() => {
        if (!this.#stopping && this.#workers[slot] === w) this.#spawn(slot);
      }, RESTART_DELAY_MS).unref();
    });
    child.send({ t: 'init', config: this.config, tls: this.#tls } satisfies ToWorker);
  }

  #onMessage(w: Worker, m: FromWorker): void {
    switch (m.t) {
      case 'ready':
        w.ready = !this.#stopping;
        this.log.info({ worker: w.child.pid }, 'pop3 worker ready');
        return;
      case 'closed':
        w.open.get(m.id)?.();
        w.open.delete(m.id);
        return;
      case 'auth-fail':
        this.throttle.failedElsewhere(m.ip);
        this.#broadcast({ t: 'auth-fail', ip: m.ip }, w);
        return;
    }
  }

  #broadcast(m: ToWorker, except?: Worker): void {
    for (const w of this.#workers) if (w && w !== except && w.child.connected) w.child.send(m);
  }

  /**
   * The LineServer hand-off of one POP3 service: every `processes`-th connection stays in this process, the others
   * go to the ready workers in turn.
   */
  handOff(service: Pop3Service): HandOff {
    return (socket: Socket, closed: () => void): boolean => {
      this.#turn = (this.#turn + 1) % (this.#workers.length + 1);
      const w = this.#turn === 0 ? null : this.#workers[this.#turn - 1];
      if (!w?.ready || !w.child.connected) return false;
      const id = ++this.#nextId;
      w.open.set(id, closed);
      w.child.send({ t: 'conn', id, service } satisfies ToWorker, socket, (err) => {
        if (!err) return;
        // The worker went away in the meantime: the client is cut off before its greeting.
        this.log.warn({ worker: w.child.pid, err: err.message }, 'pop3 worker: hand-off failed');
        w.open.delete(id);
        closed();
        socket.destroy();
      });
      return true;
    };
  }

  /** Hands a new certificate to every worker (for new connections and STLS, as LineServer.setTls). */
  setTls(tls: { key: string; cert: string }): void {
    this.#tls = { key: tls.key, cert: tls.cert };
    this.#broadcast({ t: 'tls', ...this.#tls });
  }

  /** Drains every worker within `deadlineMs` (as LineServer.close), then kills what is left. */
  async stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#workers.map(async (w) => {
        if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
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
