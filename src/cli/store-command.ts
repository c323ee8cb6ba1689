/**
 * What every admin command shares: the `--config` and `--data-dir` flags, and running a function on the store
 * they name with every failure mapped to one line on standard error and an exit code (1 for not found or
 * conflict, 2 for usage, configuration and I/O errors).
 */
import type { Command } from 'commander';
import type { CliIo } from './main.js';
import { SecretInputError } from './secret-input.js';
import { AdminError, ConfigError, loadConfig, openStore, type Config, type Store } from '../app/index.js';

/** The flags of a command that opens the store. */
export interface StoreFlags {
  config?: string;
  dataDir?: string;
}

export type SetCode = (code: number) => void;

/**
 * Adds `--config` and `--data-dir` to a command.
 *
 * @example
 * ```ts
 * storeOptions(program.command('status')).action(async (o: StoreFlags) => { … });
 * ```
 */
export function storeOptions(cmd: Command): Command {
  return cmd.option('--config <file>', 'configuration file (TOML)').option('--data-dir <dir>', 'data directory (default ./data)');
}

/**
 * Runs `fn` on the store named by the flags (created when `create`), mapping every failure to one line and an
 * exit code; the store is closed after.
 *
 * @example
 * ```ts
 * await withStore(io, setCode, { dataDir: 'data' }, false, async (store) => io.out(`${(await store.queue.counts()).items}\n`));
 * ```
 */
export async function withStore(io: CliIo, setCode: SetCode, flags: StoreFlags, create: boolean, fn: (store: Store, config: Config) => Promise<void>): Promise<void> {
  let store: Store | undefined;
  try {
    const config = await loadConfig({ ...(flags.config !== undefined ? { config: flags.config } : {}), ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}) });
    store = await openStore(config, { create });
    await fn(store, config);
    setCode(0);
  } catch (err) {
    if (err instanceof AdminError) {
      io.err(`postroom: ${err.message}\n`);
      return setCode(err.kind === 'not-found' || err.kind === 'conflict' ? 1 : 2);
    }
    if (err instanceof ConfigError || err instanceof SecretInputError) {
      io.err(`postroom: ${err.message}\n`);
      return setCode(2);
    }
    // I/O and database errors (permissions, a locked or damaged database): one line, exit code 2.
    io.err(`postroom: ${String((err as Error).message ?? err).split('\n')[0]}\n`);
    return setCode(2);
  } finally {
    await store?.close();
  }
}
