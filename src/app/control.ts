/**
 * The control socket: how `postroom queue flush|retry|release` tells a running server to run its queue now.
 * A Unix domain socket at `<data_dir>/control.sock` (mode 0600: only the server's user, and root, may use it).
 *
 * Protocol (one line each way, LF-terminated, ASCII): the client sends `FLUSH`, the server calls `onFlush` and
 * answers `OK`; any other line is answered `ERR unknown command`; several commands may follow on one connection.
 * Guarantees: a line longer than `maxLineBytes` (256) is answered `ERR line too long` and the connection closed;
 * a connection idle for `idleMs` (5 s) is closed; at most 16 connections at once. Only this module's messages
 * reach the client. The socket doubles as the data directory's "server running" marker: `startControlServer`
 * refuses to start when something answers on the path (another server on the same data directory), and replaces
 * a stale socket file (left by a crash) only when nothing answers; `close()` removes the file if it is still ours.
 * Limits: a Unix socket path holds at most 107 bytes on Linux (103 elsewhere, sun_path with its NUL): a data
 * directory whose `control.sock` path is longer is refused at start (ControlSocketError 'too-long') rather than
 * silently running without the socket. Two servers started in the same instant may both pass the check.
 */
import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** The longest Unix socket path the kernel takes (sun_path without its terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** The control socket's file name in the data directory. */
export const CONTROL_SOCKET_NAME = 'control.sock';

/** Why the control socket cannot start: `running` (another server answers), `too-long` (path), `not-socket`. */
export type ControlSocketErrorKind = 'running' | 'too-long' | 'not-socket';

/** A refusal to start the control socket, with a one-line message for the operator. */
export class ControlSocketError extends Error {
  override name = 'ControlSocketError';
  constructor(
    readonly kind: ControlSocketErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** What the control server logs. */
export interface ControlLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** Options of startControlServer. */
export interface ControlServerOptions {
  /** The socket path, usually `controlSocketPath(dataDir)`. */
  readonly path: string;
  /** Called for each `FLUSH` before `OK` is sent (the daemon calls `runner.notify()`). */
  readonly onFlush: () => void;
  readonly log: ControlLog;
  /** Longest command line, LF excluded (default 256). */
  readonly maxLineBytes?: number;
  /** Idle time after which a connection is closed (default 5000 ms). */
  readonly idleMs?: number;
}

/** A listening control socket. */
export interface ControlServer {
  readonly path: string;
  /** Stops listening, ends open connections and removes the socket file (if it is still this server's). */
  close(): Promise<void>;
}

/**
 * The control socket path of a data directory.
 *
 * @example
 * ```ts
 * controlSocketPath('/var/lib/postroom') === '/var/lib/postroom/control.sock';
 * ```
 */
export function controlSocketPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), CONTROL_SOCKET_NAME);
}

/**
 * Throws ControlSocketError 'too-long' when `socketPath` does not fit a Unix socket address.
 *
 * @example
 * ```ts
 * checkSocketPath(controlSocketPath(config.dataDir)); // before opening anything
 * ```
 */
export function checkSocketPath(socketPath: string): void {
  const n = Buffer.byteLength(socketPath);
  if (n > MAX_SOCKET_PATH_BYTES) {
    throw new ControlSocketError(
      'too-long',
      `the control socket ${socketPath} is ${n} bytes long, and a Unix socket path is at most ${MAX_SOCKET_PATH_BYTES}: use a shorter data_dir`,
    );
  }
}

/** Connects to a Unix socket; resolves to the socket, or to the error code when nothing answers there. */
function tryConnect(socketPath: string, timeoutMs: number): Promise<net.Socket | string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: socketPath });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer on ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      const code = err.code ?? 'error';
      if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTDIR') resolve(code);
      else reject(new Error(`cannot reach ${socketPath}: ${code}`));
    });
  });
}

/**
 * Throws ControlSocketError 'running' when a server answers on `socketPath` (the daemon calls this before it
 * opens the store, so a second server never touches a data directory in use), 'too-long' for a path that does
 * not fit, 'not-socket' when the path is some other kind of file.
 *
 * @example
 * ```ts
 * await assertNoServer(controlSocketPath(config.dataDir));
 * ```
 */
export async function assertNoServer(socketPath: string): Promise<void> {
  checkSocketPath(socketPath);
  const st = await fsp.lstat(socketPath).catch(() => null);
  if (st && !st.isSocket()) {
    throw new ControlSocketError('not-socket', `${socketPath} exists and is not a socket: remove it or use another data_dir`);
  }
  const got = await tryConnect(socketPath, 2000);
  if (typeof got !== 'string') {
    got.destroy();
    throw new ControlSocketError('running', `another postroom is running on ${path.dirname(socketPath)}`);
  }
}

/** One connection: reads bounded lines, answers each, closes when idle. */
function serve(socket: net.Socket, o: ControlServerOptions, maxLine: number, idleMs: number): void {
  let buf: Buffer = Buffer.alloc(0);
  const answer = (line: string): string => {
    if (line !== 'FLUSH') return 'ERR unknown command\n';
    try {
      o.onFlush();
    } catch (err) {
      o.log.error({ err: (err as Error).message }, 'control: flush failed');
      return 'ERR internal error\n';
    }
    o.log.info({}, 'control: queue flush requested');
    return 'OK\n';
  };
  const tooLong = (): void => {
    buf = Buffer.alloc(0);
    socket.pause();
    socket.end('ERR line too long\n', () => socket.destroy());
  };
  socket.setTimeout(idleMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a)) {
      const line = buf.subarray(0, buf[nl - 1] === 0x0d ? nl - 1 : nl);
      buf = buf.subarray(nl + 1);
      if (line.length > maxLine) return tooLong();
      socket.write(answer(line.toString('latin1')));
    }
    // An unfinished line may still lack its CR LF.
    if (buf.length > maxLine + 1) tooLong();
  });
}

/**
 * Starts the control server on `o.path` (after `assertNoServer`'s checks, and replacing a stale socket file).
 * Throws ControlSocketError when another server answers there, the path is too long or is not a socket.
 *
 * @example
 * ```ts
 * const control = await startControlServer({ path: controlSocketPath(dataDir), onFlush: () => runner.notify(), log });
 * await control.close();
 * ```
 */
export async function startControlServer(o: ControlServerOptions): Promise<ControlServer> {
  const maxLine = o.maxLineBytes ?? 256;
  const idleMs = o.idleMs ?? 5000;
  await assertNoServer(o.path);
  await fsp.rm(o.path, { force: true }); // nothing answered: a stale socket from a crash (or nothing at all)
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serve(socket, o, maxLine, idleMs);
  });
  server.maxConnections = 16;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new ControlSocketError('running', `another postroom is running on ${path.dirname(o.path)}`));
      else reject(new Error(`cannot listen on ${o.path}: ${err.code ?? err.message}`));
    });
    server.listen({ path: o.path }, resolve);
  });
  server.on('error', (err) => o.log.warn({ err: err.message }, 'control: socket error'));
  let ino: number | undefined;
  try {
    await fsp.chmod(o.path, 0o600);
    ino = (await fsp.lstat(o.path)).ino;
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  o.log.info({ path: o.path }, 'control socket listening');
  let closing: Promise<void> | null = null;
  return {
    path: o.path,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
        // Node removes the file on close; where it does not, remove it only when it is still ours.
        const st = await fsp.lstat(o.path).catch(() => null);
        if (st && st.ino === ino) await fsp.rm(o.path, { force: true });
      })();
      return closing;
    },
  };
}

/**
 * Tells the server running on `dataDir` to run its queue now. Resolves to 'not-running' when nothing listens
 * on the control socket (no socket file, or a stale one, or a path too long for any server to have used);
 * rejects with a one-line Error when the server cannot be reached or answers something else than `OK`.
 *
 * @example
 * ```ts
 * (await notifyDaemon('/var/lib/postroom')) === 'notified';
 * ```
 */
export async function notifyDaemon(dataDir: string, o: { timeoutMs?: number } = {}): Promise<'notified' | 'not-running'> {
  const socketPath = controlSocketPath(dataDir);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) return 'not-running'; // a server refuses such a path
  const timeoutMs = o.timeoutMs ?? 5000;
  const s = await tryConnect(socketPath, timeoutMs);
  if (typeof s === 'string') return 'not-running';
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let got = '';
      const timer = setTimeout(() => reject(new Error(`the server on ${socketPath} did not answer within ${timeoutMs} ms`)), timeoutMs);
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        got += d;
        const nl = got.indexOf('\n');
        if (nl !== -1 || got.length > 256) {
          clearTimeout(timer);
          resolve(got.slice(0, nl === -1 ? 256 : nl));
        }
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`lost the server on ${socketPath}: ${err.code ?? err.message}`));
      });
      s.once('end', () => {
        clearTimeout(timer);
        reject(new Error(`the server on ${socketPath} closed the connection without an answer`));
      });
      s.write('FLUSH\n');
    });
    if (line !== 'OK') throw new Error(`the server on ${socketPath} answered ${JSON.stringify(line)}`);
    return 'notified';
  } finally {
    s.destroy();
  }
}
