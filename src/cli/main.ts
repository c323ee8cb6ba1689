/**
 * The `postroom` command: a thin adapter over the library (DESIGN.md §2: cli/ holds no protocol code).
 * Returns an exit code instead of calling process.exit, so tests can run it in-process.
 */
import { Command, CommanderError } from 'commander';
import { registerMime } from './mime.js';
import { registerStart } from './start.js';
import { registerAdmin } from './admin.js';
import { registerQueue } from './queue.js';

/** Output sinks, injectable for tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  stdin: NodeJS.ReadableStream;
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  stdin: process.stdin,
};

/**
 * Runs the command line and resolves to the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['mime', 'inspect', 'mail.eml']);
 * ```
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const program = new Command('postroom')
    .description('Postroom: a complete e-mail system (MIME library, mail server, POP3, mail client)')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  let code = 0;
  const setCode = (c: number): void => {
    code = c;
  };
  registerMime(program, io, setCode);
  registerStart(program, io, setCode);
  registerAdmin(program, io, setCode);
  registerQueue(program, io, setCode);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}
