/**
 * `postroom start`: runs the mail server in the foreground until SIGTERM or SIGINT (graceful stop, exit 0).
 * Every option overrides the same key of the configuration file (docs/configuration.md).
 *
 * Exit codes: 0 after a graceful stop; 1 when stopping failed; 2 when the configuration is bad, a port cannot be
 * bound or the data directory cannot be used (one line on standard error).
 */
import type { Command } from 'commander';
import type { CliIo } from './main.js';
import { ConfigError, loadConfig, runDaemon, runPop3Worker, type ConfigFlags } from '../app/index.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * Adds the `start` command.
 *
 * @example
 * ```ts
 * registerStart(program, io, (code) => (exitCode = code));
 * ```
 */
export function registerStart(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('start')
    .description('start the mail server (SMTP, submission, queue, local delivery, POP3) in the foreground')
    .option('--config <file>', 'configuration file (TOML)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--hostname <name>', 'the name this server greets with (default: the machine\'s)')
    .option('--domain <name>', 'a local domain (repeatable; default localhost)', collect)
    .option('--smtp-listen <host:port|off>', 'SMTP for mail from other servers (default 127.0.0.1:2525)')
    .option('--submission-listen <host:port|off>', 'submission with STARTTLS and AUTH (default 127.0.0.1:2587)')
    .option('--submissions-listen <host:port|off>', 'submission over implicit TLS, RFC 8314 (default off)')
    .option('--pop3-listen <host:port|off>', 'POP3 with STLS (default 127.0.0.1:1110)')
    .option('--pop3s-listen <host:port|off>', 'POP3 over implicit TLS, RFC 8314 (default off)')
    .option('--pop3-processes <n>', 'processes serving POP3 sessions, this one included (default 1)')
    .option('--web-listen <host:port|off>', 'webmail (not available yet; default 127.0.0.1:8025)')
    .option('--smarthost <host:port>', 'send all mail for other domains through this host, e.g. [smtp.example.net]:587 (default: MX records)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .action(async (flags: ConfigFlags) => {
      try {
        const config = await loadConfig(flags);
        setCode(await runDaemon(config, { out: io.out, err: io.err }));
      } catch (err) {
        // A configuration problem names its key; anything else (a data directory we may not write …) is one line too.
        const line = err instanceof ConfigError ? err.message : `cannot start: ${String((err as Error).message ?? err).split('\n')[0]}`;
        io.err(`postroom: ${line}\n`);
        setCode(2);
      }
    });
  // Not for people: the server process starts it when pop3.processes > 1 and talks to it over IPC.
  program
    .command('pop3-worker', { hidden: true })
    .description('a POP3 worker process (started by `postroom start`)')
    .action(async () => {
      if (!process.send) {
        io.err('postroom: pop3-worker is started by `postroom start` when pop3.processes is more than 1; it is not run by hand\n');
        return setCode(2);
      }
      setCode(await runPop3Worker());
    });
}
