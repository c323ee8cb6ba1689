/** Store contract, part 2: blobs (see contract.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobTooLargeError } from './store.js';
import { harness, liveBufferBytes, putText, readAll, sha256, text, type ContractOptions, type MakeStore } from './contract-kit.js';

const MiB = 1024 * 1024;

export function blobContract(make: MakeStore, options: ContractOptions): void {
  test('BlobStore.put returns the size and SHA-256 of what it stored, and get returns the bytes', async (t) => {
    const { store } = await harness(t, make);
    const body = 'Subject: hi\r\n\r\nbody \u00ff\r\n';
    const ref = await putText(store, body);
    assert.equal(ref.size, Buffer.byteLength(body, 'latin1'));
    assert.equal(ref.sha256, sha256(Buffer.from(body, 'latin1')));
    assert.match(ref.id, /^[\x21-\x7e]{1,128}$/);
    assert.equal(await text(store, ref), body);
    assert.equal(await text(store, ref.id), body);
    async function* gen(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode('ab');
      yield new Uint8Array(0);
      yield new TextEncoder().encode('c');
    }
    const ref2 = await store.blobs.put(gen(), { maxBytes: 3 });
    assert.deepEqual([ref2.size, await text(store, ref2)], [3, 'abc']);
    assert.notEqual(ref2.id, ref.id);
    const empty = await store.blobs.put(Readable.from([]), { maxBytes: 0 });
    assert.deepEqual([empty.size, empty.sha256, await text(store, empty)], [0, sha256(''), '']);
  });

  test('BlobStore.get reads a byte range with an exclusive end', async (t) => {
    const { store } = await harness(t, make);
    const chunks = ['0123', '4567', '89'].map((s) => Buffer.from(s));
    const ref = await store.blobs.put(Readable.from(chunks), { maxBytes: 100 });
    assert.equal(await text(store, ref, { start: 2, end: 7 }), '23456');
    assert.equal(await text(store, ref, { start: 0, end: 10 }), '0123456789');
    assert.equal(await text(store, ref, { start: 8, end: 50 }), '89');
    assert.equal(await text(store, ref, { start: 5, end: 5 }), '');
    await assert.rejects(store.blobs.get(ref, { start: 5, end: 4 }));
  });

  test('BlobStore.delete removes a blob; get then rejects and a second delete does nothing', async (t) => {
    const h = await harness(t, make);
    const before = await h.storedBlobs();
    const ref = await putText(h.store, 'x');
    assert.equal(await h.storedBlobs(), before + 1);
    await h.store.blobs.delete(ref);
    await assert.rejects(h.store.blobs.get(ref));
    await h.store.blobs.delete(ref.id);
    assert.equal(await h.storedBlobs(), before);
  });

  test('BlobStore.put rejects with BlobTooLargeError above maxBytes and keeps nothing', async (t) => {
    const h = await harness(t, make);
    const before = await h.storedBlobs();
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(1000, 0x61));
    const err = await h.store.blobs.put(Readable.from(chunks), { maxBytes: 9999 }).catch((e: unknown) => e);
    assert.ok(err instanceof BlobTooLargeError);
    assert.equal(err.maxBytes, 9999);
    assert.equal(await h.storedBlobs(), before);
    const exact = await h.store.blobs.put(Readable.from(chunks), { maxBytes: 10000 });
    assert.equal(exact.size, 10000);
  });

  test('BlobStore.put rejects when the source fails and keeps nothing', async (t) => {
    const h = await harness(t, make);
    const before = await h.storedBlobs();
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('Connection reset');
    }
    await assert.rejects(h.store.blobs.put(failing(), { maxBytes: 100 }), /Connection reset/);
    assert.equal(await h.storedBlobs(), before);
  });

  test('BlobStore.put streams a 50 MB body and get streams it back with the right SHA-256', async (t) => {
    const { store } = await harness(t, make);
    const size = 50 * 1000 * 1000;
    const chunk = 64 * 1024;
    const want = createHash('sha256');
    // Buffers alive after a full GC, sampled every 8 MiB: a store that holds the body shows 50 MB here.
    const base = liveBufferBytes();
    let peak = base;
    async function* source(): AsyncIterable<Uint8Array> {
      for (let off = 0, i = 0; off < size; off += chunk, i++) {
        const b = Buffer.alloc(Math.min(chunk, size - off), i % 251);
        b.writeUInt32BE(i, 0);
        want.update(b);
        if (i % 128 === 0) peak = Math.max(peak, liveBufferBytes());
        yield b;
      }
    }
    const ref = await store.blobs.put(source(), { maxBytes: size });
    assert.equal(ref.size, size);
    assert.equal(ref.sha256, want.digest('hex'));
    peak = Math.max(peak, liveBufferBytes());
    const got = createHash('sha256');
    let n = 0;
    let i = 0;
    for await (const c of await store.blobs.get(ref)) {
      got.update(c as Buffer);
      n += (c as Buffer).length;
      if (i++ % 128 === 0) peak = Math.max(peak, liveBufferBytes());
    }
    assert.equal(n, size);
    assert.equal(got.digest('hex'), ref.sha256);
    const tail = await readAll(await store.blobs.get(ref, { start: size - 4, end: size }));
    assert.equal(tail.length, 4);
    if (!options.blobsInMemory) {
      const grew = (peak - base) / MiB;
      assert.ok(grew < 16, `Live buffers grew by ${grew.toFixed(1)} MiB while streaming 50 MB`);
    }
  });
}
