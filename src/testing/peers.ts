/**
 * Test helpers for things outside the repository that a test may need: third-party programs ("peers") and the
 * shared MIME conformance corpus. A missing one skips the test on a laptop; with POSTROOM_REQUIRE_PEERS=1 (CI)
 * it fails the test instead, so CI can never pass by skipping.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** The repository root (this file is at dist/src/testing/peers.js once built, src/testing/peers.ts in source). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));

/** True when CI demands every peer. */
export const peersRequired = process.env['POSTROOM_REQUIRE_PEERS'] === '1';

/**
 * Skips (or, under POSTROOM_REQUIRE_PEERS=1, fails) the test when `what` is missing. Returns true when present.
 *
 * @example
 * ```ts
 * test('…', (t) => { if (!needPeer(t, 'python3', hasCommand('python3'))) return; … });
 * ```
 */
export function needPeer(t: TestContext, what: string, present: boolean): boolean {
  if (present) return true;
  if (peersRequired) throw new Error(`Required peer missing: ${what} (POSTROOM_REQUIRE_PEERS=1; run scripts/install-peers)`);
  t.skip(`${what} is not installed`);
  return false;
}

/**
 * Where a command is on PATH (`command -v`), or null when it is not there.
 *
 * @example
 * ```ts
 * commandPath('python3'); // '/usr/bin/python3' on Debian
 * ```
 */
export function commandPath(cmd: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v "$1"`, 'sh', cmd], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Whether a command is on PATH.
 *
 * @example
 * ```ts
 * hasCommand('python3'); // true on Debian
 * ```
 */
export function hasCommand(cmd: string): boolean {
  return commandPath(cmd) !== null;
}

/**
 * The MIME conformance corpus folder: POSTROOM_CORPUS, else ../shared/corpus/mime beside the checkout; null when absent.
 *
 * @example
 * ```ts
 * const dir = corpusDir(); // '/work/shared/corpus/mime'
 * ```
 */
export function corpusDir(): string | null {
  const env = process.env['POSTROOM_CORPUS'];
  const candidates = env ? [env] : [path.join(repoRoot, '..', 'shared', 'corpus', 'mime')];
  for (const c of candidates) if (existsSync(path.join(c, 'README.md')) || existsSync(path.join(c, 'stalwart'))) return path.resolve(c);
  return null;
}

/**
 * Whether a process exists and has not exited (a zombie waiting for its parent counts as exited; Linux /proc).
 *
 * @example
 * ```ts
 * alive(process.pid); // true
 * ```
 */
export function alive(pid: number): boolean {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
