/**
 * A loopback port for a peer that is told its port before it binds it (Postfix's master.cf, Dovecot's config, a
 * relayhost that points at a postroom not yet started).
 *
 * Why not the kernel's `listen(0)`: that port comes from the ephemeral range (`ip_local_port_range`, 32768–60999 on
 * Linux), the same range every outgoing connection's local port comes from. Between releasing it and the peer's bind,
 * any connection made by a test running beside this one can take it, and the peer fails with "address in use" (seen
 * once in CI: postroom's SMTP port in relay-postfix.test). A port below that range is never handed out by the kernel,
 * so only another explicit bind can take it, and each candidate is checked by binding it first.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port of the kernel's ephemeral range (Linux's default when it cannot be read: not Linux). */
export function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
}

/** A port the kernel hands out (`listen(0)`), released at once: the fallback when no room is left below the range. */
async function kernelPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below the ephemeral range: random in [1024 + (low − 1024) / 2, low), checked by binding it.
 * When the range starts at 2048 or lower (no room below it), the kernel's choice, as before.
 *
 * @example
 * ```ts
 * const port = await freePort(); // e.g. 29417
 * ```
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  if (low <= 2048) return kernelPort();
  const from = 1024 + Math.floor((low - 1024) / 2);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free loopback port found in ${from}–${low - 1} after 200 tries`);
}
