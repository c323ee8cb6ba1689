/**
 * Helpers for the MTA tests: a MemoryStore with domains, users and aliases, a recording logger, a scripted SASL
 * exchange, connection infos and message bodies.
 */
import { Readable } from 'node:stream';
import { MemoryStore, hashPassword } from '../store/index.js';
import { readAll } from '../store/contract-kit.js';
import type { MtaLogger } from '../mta/index.js';
import type { ConnInfo, SaslExchange } from '../smtp/server/index.js';

/** A logger that keeps every line for assertions. */
export class RecordingLogger implements MtaLogger {
  readonly lines: { level: 'info' | 'warn' | 'error'; msg: string; fields: Record<string, unknown> }[] = [];
  info(fields: object, msg = ''): void {
    this.lines.push({ level: 'info', msg, fields: fields as Record<string, unknown> });
  }
  warn(fields: object, msg = ''): void {
    this.lines.push({ level: 'warn', msg, fields: fields as Record<string, unknown> });
  }
  error(fields: object, msg = ''): void {
    this.lines.push({ level: 'error', msg, fields: fields as Record<string, unknown> });
  }
  messages(msg: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.msg === msg).map((l) => l.fields);
  }
}

/** The store's scrypt hash with cheap parameters (tests only; verifyPassword reads them from the hash). */
export const cheapHash = (password: string): Promise<string> => hashPassword(password, { N: 1024, r: 8, p: 1 });

export interface MtaWorld {
  readonly store: MemoryStore;
  /** User ids by address. */
  readonly ids: Record<string, string>;
}

/**
 * A MemoryStore with the domains `example.org` and `example.net`, users ann@ and bob@example.org and
 * carol@example.net (password "secret"), and the given aliases.
 */
export async function mtaWorld(o: { aliases?: Record<string, string[]> } = {}): Promise<MtaWorld> {
  const store = new MemoryStore();
  await store.domains.add('example.org');
  await store.domains.add('example.net');
  const ids: Record<string, string> = {};
  const hash = await cheapHash('secret');
  for (const a of ['ann@example.org', 'bob@example.org', 'carol@example.net']) {
    ids[a] = (await store.users.create(a, hash)).id;
  }
  for (const [source, targets] of Object.entries(o.aliases ?? {})) await store.aliases.add(source, targets);
  return { store, ids };
}

/** A ConnInfo for a listener. */
export function conn(service: ConnInfo['service'], o: Partial<ConnInfo> = {}): ConnInfo {
  return {
    id: 'c1',
    remote: '198.51.100.7',
    remotePort: 40000,
    local: '192.0.2.1',
    localPort: service === 'smtp' ? 25 : service === 'submission' ? 587 : 465,
    tls: service === 'submissions',
    helo: 'client.example.com',
    service,
    ...o,
  };
}

/** A SASL exchange that answers challenges from a script and records them. */
export function scriptedSasl(initial: string | null, responses: string[] = []): SaslExchange & { challenges: string[] } {
  const queue = [...responses];
  const challenges: string[] = [];
  return {
    initial: initial === null ? null : Buffer.from(initial, 'utf8'),
    challenges,
    async challenge(data: Buffer): Promise<Buffer> {
      challenges.push(data.toString('utf8'));
      const next = queue.shift();
      if (next === undefined) throw new Error('Scripted SASL exchange has no more responses');
      return Buffer.from(next, 'utf8');
    },
  };
}

/** A body stream in chunks of `size` bytes (default: one chunk). */
export function bodyStream(text: string | Buffer, size = Infinity): Readable {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += Math.min(size, buf.length)) chunks.push(buf.subarray(i, i + size));
  return Readable.from(chunks, { objectMode: false });
}

/** Reads a stream to a string (tests only). */
export async function text(src: Readable): Promise<string> {
  return (await readAll(src)).toString('utf8');
}

/** A plain message with `received` Received fields. */
export function message(o: { received?: number; subject?: string; body?: string } = {}): string {
  const trace = Array.from({ length: o.received ?? 0 }, (_, i) => `Received: from hop${i}.example.com by hop${i + 1}.example.com; Thu, 1 Jan 2026 00:00:00 +0000\r\n`).join('');
  return `${trace}From: ann@example.org\r\nTo: bob@example.org\r\nSubject: ${o.subject ?? 'hi'}\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n${o.body ?? 'Hello.\r\n.leading dot kept\r\n'}`;
}
