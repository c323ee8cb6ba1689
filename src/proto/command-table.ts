/**
 * Commands as data (Postfix's smtpd_cmd_table; go-imap v2's one file per command): a protocol is a table from
 * verb to the states it is allowed in, its flags, and the function that runs it. The engine (engine.ts) checks
 * the flags, so no command repeats them.
 */
import type { ProtocolError } from './errors.js';

/** One command of a line protocol. */
export interface CommandSpec<S extends string, C> {
  /** States in which the command is allowed; elsewhere the engine answers `errors.badSequence`. */
  readonly states: readonly S[];
  /** Allowed before the TLS upgrade when the connection must upgrade first (STARTTLS, EHLO, QUIT …). */
  readonly preTls?: boolean;
  /**
   * Must be the last command of a pipelined group (RFC 2920 §3.1: EHLO, DATA …): if more input is already
   * received when it runs, the client did not wait for the reply, and the engine answers `errors.syncError`.
   */
  readonly lastInGroup?: boolean;
  /** The argument may carry UTF-8 (SMTPUTF8, RFC 6531); otherwise an 8-bit byte is refused by the engine. */
  readonly utf8?: boolean;
  /** The line may be as long as the reader's limit (AUTH with an initial response); otherwise `maxCommandBytes`. */
  readonly longLine?: boolean;
  /**
   * Runs the command; changes the state only after success; throws (or rejects with) a ProtocolError to refuse. A
   * command that can finish at once may return nothing (the engine then goes on without waiting a turn).
   */
  run(c: C, arg: string): Promise<void> | void;
  /**
   * Called instead of `run` when the engine refuses the command before running it (state, TLS): a command that
   * announces a payload (BDAT) consumes it here, so the payload is never read as commands.
   */
  refused?(c: C, arg: string, err: ProtocolError): Promise<void>;
}

/** A protocol's commands by verb (ASCII upper case). */
export type CommandTable<S extends string, C> = Readonly<Record<string, CommandSpec<S, C>>>;

/**
 * Splits a command line into its verb (upper-cased ASCII) and the argument after the first space, as sent.
 *
 * @example
 * ```ts
 * splitCommand('mail FROM:<a@b.example>'); // { verb: 'MAIL', arg: 'FROM:<a@b.example>' }
 * splitCommand('QUIT');                    // { verb: 'QUIT', arg: '' }
 * ```
 */
export function splitCommand(line: string): { verb: string; arg: string } {
  const sp = line.indexOf(' ');
  const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
  return { verb, arg: sp < 0 ? '' : line.slice(sp + 1) };
}
