/**
 * Test helpers for the `postroom` command: run main() in-process with captured output and a given standard
 * input, and make temporary data directories that are removed after the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../cli/main.js';

/** What one run of the command produced. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs `postroom ARGS…` in-process.
 *
 * @example
 * ```ts
 * const r = await runCli(['user', 'add', 'a@x.test', '--password-stdin', '--data-dir', dir], 'secret\n');
 * assert.equal(r.code, 0);
 * ```
 */
export async function runCli(args: readonly string[], stdin: string | NodeJS.ReadableStream = ''): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdin: typeof stdin === 'string' ? Readable.from([Buffer.from(stdin)]) : stdin,
  });
  return { code, out, err };
}

/**
 * A fake terminal on standard input: `isTTY`, `setRawMode`, and one answer typed each time a prompt switches raw
 * mode on. `rawModes` records the switches (on, off per prompt).
 *
 * @example
 * ```ts
 * const tty = fakeTty(['secret\r', 'secret\r']);
 * await runCli(['user', 'add', 'a@x.test', '--data-dir', dir], tty.stdin);
 * ```
 */
export function fakeTty(answers: readonly string[]): { stdin: NodeJS.ReadableStream; rawModes: boolean[] } {
  const stdin = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode(on: boolean): void };
  const rawModes: boolean[] = [];
  const queue = [...answers];
  stdin.isTTY = true;
  stdin.setRawMode = (on: boolean) => {
    rawModes.push(on);
    // A prompt switches raw mode on and then listens: type the next answer once it is listening.
    if (on) setImmediate(() => queue.length > 0 && stdin.write(queue.shift()!));
  };
  return { stdin, rawModes };
}

/** A temporary directory removed when the test ends. */
export function tempDir(t: { after(fn: () => void): void }, prefix = 'postroom-app-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
