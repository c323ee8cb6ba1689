/**
 * A POP3 worker process (`postroom pop3-worker`, started by the server process: pop3-workers.ts): runs the POP3
 * sessions of the connections the server hands it, on its own instance of the store.
 *
 * Guarantees:
 * - It takes nothing from the command line: the server sends the configuration and the certificate over IPC (the
 *   worker runs after the server dropped its privileges and may not read the key file). Messages that arrive while
 *   it starts are kept and handled, in order, once it is ready.
 * - Each connection it is handed is acknowledged (`took`) at once, and reported `closed` when its session ends, so
 *   the server's limits count it.
 * - `stop` drains its sessions like the server's own listeners (LineServer.close) and closes the store (which
 *   releases its maildrop locks); so does SIGTERM, after telling the server to send no more. SIGINT and SIGHUP,
 *   which a terminal sends to every process of the group, are the server process's to act on. When the server
 *   process goes away (its IPC channel closes), the worker exits at once: its sessions end without UPDATE,
 *   deleting nothing.
 */
import type { Socket } from 'node:net';
import { createLogger } from './log.js';
import type { FromWorker, ToWorker } from './pop3-workers.js';
import { buildPop3Backend, buildPop3Server, newAuthThrottle, openStore, POP3_SERVICES } from './wiring.js';

/** Sends a message to the server process (nothing when it is gone: the worker is exiting then). */
function tell(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}

/**
 * Runs the worker until it is told to stop; resolves to its exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runPop3Worker(); // in the process `fork(bin/postroom.js, ['pop3-worker'])` started
 * ```
 */
export async function runPop3Worker(): Promise<number> {
  // The server process's exit ends this one: no connection can come, and no session outlives its server.
  const orphaned = (): never => process.exit(1);
  process.once('disconnect', orphaned);
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  // One listener from the start: what arrives before the worker is ready waits here (a stop, a certificate …).
  const early: [ToWorker, unknown][] = [];
  let handle: ((m: ToWorker, h: unknown) => void) | null = null;
  let initialized!: (m: Extract<ToWorker, { t: 'init' }>) => void;
  const init = new Promise<Extract<ToWorker, { t: 'init' }>>((resolve) => (initialized = resolve));
  process.on('message', (m: ToWorker, h: unknown) => {
    if (handle) handle(m, h);
    else if (m.t === 'init') initialized(m);
    else early.push([m, h]);
  });

  const first = await init;
  // This process serves what it is handed and hands nothing on.
  const config = { ...first.config, pop3: { ...first.config.pop3, processes: 1 } };
  const log = createLogger({ level: config.logLevel }).child({ svc: 'pop3-worker' });
  const store = await openStore(config, { create: false });
  const throttle = newAuthThrottle(config);
  throttle.addFailures(first.failures);
  throttle.publish = (ip) => tell({ t: 'auth-fail', ip });
  const backend = buildPop3Backend(store, log);
  const servers = new Map(POP3_SERVICES.filter((s) => config.listen[s]).map((s) => [s, buildPop3Server(s, config, backend, first.tls, log, throttle)] as const));

  return new Promise<number>((resolve) => {
    let stopping = false;
    /** Drains the sessions and closes the store, once (a `stop` and a SIGTERM may both come). */
    const finish = (deadlineMs: number): void => {
      if (stopping) return;
      stopping = true;
      void (async () => {
        let code = 0;
        try {
          await Promise.all([...servers.values()].map((s) => s.close({ deadlineMs })));
          await store.close();
        } catch (err) {
          log.error({ err }, 'pop3 worker: error while stopping');
          code = 1;
        }
        log.flush?.();
        // The IPC channel would keep the process alive: closing it is the last thing, and not an orphaning.
        process.off('disconnect', orphaned);
        if (process.connected) process.disconnect();
        resolve(code);
      })();
    };
    process.on('SIGTERM', () => {
      tell({ t: 'stopping' });
      finish(config.shutdownTimeoutMs);
    });
    handle = (m, h) => {
      switch (m.t) {
        case 'conn': {
          const socket = h as Socket | undefined;
          tell({ t: 'took', id: m.id });
          const closed = (): void => tell({ t: 'closed', id: m.id });
          const server = servers.get(m.service);
          if (socket && server) return server.adopt(socket, closed);
          socket?.destroy();
          return closed();
        }
        case 'auth-fail':
          return throttle.failedElsewhere(m.ip);
        case 'tls':
          for (const s of servers.values()) s.setTls({ key: m.key, cert: m.cert });
          return;
        case 'stop':
          return finish(m.deadlineMs);
        case 'init':
          return;
      }
    };
    for (const [m, h] of early.splice(0)) handle(m, h);
    tell({ t: 'ready' });
  });
}
