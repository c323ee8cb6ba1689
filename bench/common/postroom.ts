/**
 * `postroom start` as a child process for the benchmarks (bench/smtp, bench/pop3): the one service measured on a
 * loopback port chosen by the kernel, every other listener off, its log (standard error) written to a file.
 *
 * Guarantees: resolves once the banner (up to "stop with") names the service's address, and rejects, killing
 * the child, if it exits first or prints nothing for 60 s. `stop()` sends SIGTERM, waits up to 60 s (then
 * SIGKILL) and rejects unless the process exited with 0; calling it again returns the same promise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The listeners `postroom start` has on by default; all but the measured one are turned off. */
const LISTENERS = ['smtp', 'submission', 'pop3', 'web'] as const;
/**
 * The node options `postroom start` runs with: those on the executable's first line (`#!/usr/bin/env -S node …`),
 * which `npm start` runs too. BENCH_START_NODE_ARGS replaces them.
 */
export const START_NODE_ARGS: readonly string[] = (process.env['BENCH_START_NODE_ARGS'] ?? executableNodeArgs()).split(' ').filter(Boolean);

function executableNodeArgs(): string {
  const first = readFileSync(fileURLToPath(new URL('../../../bin/postroom.js', import.meta.url)), 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)$/.exec(first);
  if (!m) throw new Error(`bin/postroom.js: unexpected first line ${JSON.stringify(first)}`);
  return m[1]!.trim();
}

export interface PostroomChildOptions {
  /** The repository root (bin/postroom.js and a built dist/). */
  readonly root: string;
  /** A directory for the log (postroom.log). */
  readonly dir: string;
  /** The service to listen on 127.0.0.1:0. */
  readonly service: 'smtp' | 'pop3';
  /** The other options of `postroom start` (--data-dir, --hostname, --domain, --config …). */
  readonly args: readonly string[];
  /** Extra options for node, before the script (`--cpu-prof` …). */
  readonly nodeArgs?: readonly string[];
}

/** A running `postroom start`. */
export interface PostroomChild {
  readonly pid: number;
  /** The address the service listens on, as the banner printed it. */
  readonly host: string;
  readonly port: number;
  /** The log file. */
  readonly log: string;
  /** SIGTERM, then waits up to 60 s for the process to exit; rejects unless it exits with 0. */
  stop(): Promise<void>;
}

/** Starts `postroom start` with `o.service` only and resolves once it printed its banner with that address. */
export async function startPostroomChild(o: PostroomChildOptions): Promise<PostroomChild> {
  mkdirSync(o.dir, { recursive: true });
  const logFile = path.join(o.dir, 'postroom.log');
  const log = createWriteStream(logFile);
  await new Promise((r) => log.once('open', r));
  const listen = LISTENERS.flatMap((s) => [`--${s}-listen`, s === o.service ? '127.0.0.1:0' : 'off']);
  // As `npm start` and bin/postroom.js run it (their node options), unless the caller gives its own.
  const args = [...(o.nodeArgs ?? START_NODE_ARGS), path.join(o.root, 'bin', 'postroom.js'), 'start', ...o.args, ...listen];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', log] });
  const { host, port } = await banner(child, o.service);
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid!,
    host,
    port,
    log: logFile,
    stop: () =>
      (stopped ??= (async () => {
        const exited = new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        const code = await exited;
        clearTimeout(timer);
        log.end();
        if (code !== 0) throw new Error(`postroom exited with ${code} (log: ${logFile})`);
      })()),
  };
}

/** Reads the banner up to "stop with" and returns `service`'s address; rejects if the process exits first (bounded: 60 s). */
function banner(child: ChildProcess, service: string): Promise<{ host: string; port: number }> {
  // "  pop3         listening on 127.0.0.1:41234  …" (an IPv6 address is in brackets).
  const line = new RegExp(`^\\s*${service}\\s+listening on \\[?([^\\]\\s]+?)\\]?:(\\d+)`, 'm');
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error(`postroom start printed no banner within 60 s:\n${text}`)), 60_000);
    const onExit = (code: number | null) => fail(new Error(`postroom start exited with ${code}:\n${text}`));
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(err);
    };
    child.on('exit', onExit);
    child.stdout!.on('data', (c: Buffer) => {
      text += c.toString();
      if (!/^stop with/m.test(text)) return;
      const m = line.exec(text);
      clearTimeout(timer);
      child.off('exit', onExit);
      if (m) resolve({ host: m[1]!, port: Number(m[2]) });
      else fail(new Error(`postroom start printed no ${service} address:\n${text}`));
    });
  });
}
