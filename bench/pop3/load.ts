/**
 * Puts the benchmark's maildrops into both servers before they start: each message is generated once
 * (bench/pop3/corpus.ts) and the same bytes go to Dovecot's Maildir and to postroom's store.
 *
 * Guarantees: both servers hold the same set of messages per user. postroom's appends run concurrently (bounded by
 * count and by bytes in flight) so its fsyncs overlap, as under concurrent delivery; the order of a maildrop may
 * therefore differ between the servers (every message of a user has the same size, and a message says its number
 * in its Subject, which is how the benchmark checks what it received). Either side may be absent.
 * Limits: Dovecot's files are made durable by one `sync` afterwards, not file by file.
 */
import { execFileSync } from 'node:child_process';
import { messageBytes, receivedAt, type BenchUser } from './corpus.js';
import type { MaildirWriter } from './dovecot.js';
import type { PostroomLoader } from './postroom.js';

export interface LoadTargets {
  readonly dovecot?: MaildirWriter;
  readonly postroom?: PostroomLoader;
  readonly password: string;
}

const MAX_IN_FLIGHT = 64;
const MAX_BYTES_IN_FLIGHT = 64 * 1024 * 1024;

/** Writes every user's maildrop to the targets; resolves with the messages and octets written per target. */
export async function loadUsers(users: readonly BenchUser[], t: LoadTargets): Promise<{ messages: number; octets: number }> {
  let messages = 0;
  let octets = 0;
  let inFlight = 0;
  let bytesInFlight = 0;
  let failure: unknown = null;
  const waiters: (() => void)[] = [];
  const settle = () => {
    while (waiters.length && inFlight < MAX_IN_FLIGHT && bytesInFlight < MAX_BYTES_IN_FLIGHT) waiters.shift()!();
  };
  const room = () =>
    inFlight < MAX_IN_FLIGHT && bytesInFlight < MAX_BYTES_IN_FLIGHT ? Promise.resolve() : new Promise<void>((r) => waiters.push(r));
  const pending = new Set<Promise<void>>();
  for (const u of users) {
    await t.postroom?.addUser(u.address, t.password);
    for (let n = 1; n <= u.messages; n++) {
      if (failure) throw failure;
      const bytes = messageBytes(u, n);
      const at = receivedAt(n);
      t.dovecot?.write(u.address, n, at, bytes);
      messages++;
      octets += bytes.length;
      if (!t.postroom) continue;
      await room();
      inFlight++;
      bytesInFlight += bytes.length;
      const p: Promise<void> = t.postroom
        .append(u.address, bytes, at)
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => {
          inFlight--;
          bytesInFlight -= bytes.length;
          pending.delete(p);
          settle();
        });
      pending.add(p);
    }
  }
  await Promise.all([...pending]);
  if (failure) throw failure;
  execFileSync('sync');
  return { messages, octets };
}
