/**
 * The first words of every benchmark's report: the Node version, the CPUs, the memory and the date, and the node
 * options postroom ran with (benchmarks on a shared machine are only comparable with this written down).
 */
import * as os from 'node:os';

/**
 * @example
 * ```ts
 * machineLine(['--v8-pool-size=1']); // "Node v20.20.2, 2 × Intel(R) Xeon(R) Processor, 24 GiB, 2026-11-26; postroom's node options: --v8-pool-size=1"
 * ```
 */
export function machineLine(nodeArgs: readonly string[]): string {
  const cpus = os.cpus();
  return (
    `Node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `${new Date().toISOString().slice(0, 10)}; postroom's node options: ${nodeArgs.length ? nodeArgs.join(' ') : 'none'}`
  );
}
