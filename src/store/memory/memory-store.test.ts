import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describeStoreContract } from '../contract.js';
import { memoryHarness } from '../harnesses.js';
import { MemoryStore } from './index.js';

describeStoreContract('MemoryStore', memoryHarness, { blobsInMemory: true });

test('MemoryStore example: a user, an INBOX and a message', async () => {
  const store = new MemoryStore();
  const user = await store.users.create('ann@example.org', 'hash');
  const inbox = await store.mailbox(user.id);
  const blob = await store.blobs.put(Readable.from([Buffer.from('hi\r\n')]), { maxBytes: 10 });
  const rec = await inbox.append(blob, { receivedAt: new Date() });
  assert.equal(rec.size, 4);
  assert.deepEqual(await inbox.count(), { messages: 1, bytes: 4 });
});
