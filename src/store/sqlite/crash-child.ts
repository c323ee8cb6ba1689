/**
 * The child process of crash.test.ts (not a test itself): opens the store in `argv[2]` and, with 8 concurrent
 * loops, enqueues messages, appends messages to a mailbox and settles some queue items away, printing one line to
 * stdout after each promise resolves:
 *   `ready`                      the store is open
 *   `q <queue id> <sha256>`      an enqueue was acknowledged
 *   `m <uid> <sha256>`           an append was acknowledged
 *   `settling <queue id>`        a settle that removes the item is about to start (the item may vanish)
 *   `gone <queue id>`            that settle was acknowledged
 * The parent kills it with SIGKILL at a random moment and checks every acknowledged line against the store.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { openSqliteStore } from './index.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('Usage: crash-child DATA_DIR');
const store = await openSqliteStore({ dataDir });
const user = (await store.users.get('crash@example.org')) ?? (await store.users.create('crash@example.org', 'x'));
const inbox = await store.mailbox(user.id);
process.stdout.write('ready\n');

function body(): Buffer[] {
  // 1–40 KiB in a few chunks, random content.
  const n = 1024 + Math.floor(Math.random() * 40 * 1024);
  const b = randomBytes(n);
  return [b.subarray(0, n >> 1), b.subarray(n >> 1)];
}

async function loop(worker: number): Promise<never> {
  for (let i = 0; ; i++) {
    const blob = await store.blobs.put(Readable.from(body()), { maxBytes: 1 << 20 });
    const id = await store.queue.enqueue(
      {
        from: 'a@remote.test',
        rcpts: [{ address: 'crash@example.org' }],
        smtputf8: false,
        body: '8BITMIME',
        receivedAt: new Date(),
        client: { helo: 'remote.test', ip: '192.0.2.1', tls: false, protocol: 'ESMTP' },
      },
      blob,
    );
    process.stdout.write(`q ${id} ${blob.sha256}\n`);
    const copy = await store.blobs.put(Readable.from(body()), { maxBytes: 1 << 20 });
    const rec = await inbox.append(copy, { receivedAt: new Date(), deliveryId: `${worker}-${i}-${randomBytes(4).toString('hex')}` });
    process.stdout.write(`m ${rec.uid} ${copy.sha256}\n`);
    if (i % 3 === 0) {
      process.stdout.write(`settling ${id}\n`);
      await store.queue.settle(id, [{ rcpt: 'crash@example.org', outcome: 'delivered', reply: '250 2.0.0 Ok' }], new Date());
      process.stdout.write(`gone ${id}\n`);
    }
  }
}

await Promise.all(Array.from({ length: 8 }, (_, w) => loop(w)));
