import test from 'node:test';
import assert from 'node:assert/strict';
import type { Mailbox } from '../store/index.js';
import { RecordingLogger } from '../testing/mta-fixtures.js';
import { annInbox, appendIndexed, storeKinds } from '../testing/maildrop-stores.js';
import { StoreMaildrop } from './maildrop.js';

/** The mailbox, with the size of every readMany batch recorded. */
function counting(box: Mailbox, batches: number[]): Mailbox {
  return new Proxy(box, {
    get(target, prop) {
      if (prop === 'readMany') {
        return (uids: readonly string[], maxBytes: number) => {
          batches.push(uids.length);
          return target.readMany(uids, maxBytes);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

for (const kind of storeKinds) {
  test(`${kind.name}: RETR read-ahead doubles while the client reads in order, stops at a large message, starts again at one otherwise`, async (t) => {
    const { h, inbox } = await annInbox(t, kind);
    const texts: string[] = [];
    for (let i = 0; i < 40; i++) {
      // Message 31 (position 30) is too large to read whole (64 KiB): it streams, and the window stops before it.
      const body = i === 30 ? 'x'.repeat(70_000) : `body ${i}`;
      texts.push(`Subject: ${i}\r\n\r\n${body}\r\n`);
      await appendIndexed(h.store, inbox, texts[i]!, `Received: ${i}\r\n`);
    }
    const batches: number[] = [];
    const lock = await inbox.lock('test');
    const drop = new StoreMaildrop('ann@example.org', await inbox.summary(), counting(inbox, batches), lock, { log: new RecordingLogger(), conn: 'c1' });
    const whole = (i: number) => `Received: ${i}\r\n${texts[i]!}`;
    const read = async (i: number) => {
      const uid = drop.messages[i]!.uid;
      const got = drop.readReady(uid) ?? (await drop.read(uid));
      return got && Buffer.concat(got).toString('latin1');
    };
    for (let i = 0; i < 40; i++) assert.equal(await read(i), i === 30 ? undefined : whole(i), `message ${i + 1}`);
    // Windows of 1, 2, 4, 8, then up to the large message; the large one is not read whole (undefined: it streams),
    // but the window from it holds the nine after it.
    assert.deepEqual(batches, [1, 2, 4, 8, 15, 10]);

    batches.length = 0;
    assert.equal(await read(5), whole(5), 'out of order');
    assert.equal(await read(6), whole(6));
    assert.equal(await read(7), whole(7));
    assert.deepEqual(batches, [1, 2], 'a jump starts the window again at one');
    assert.equal(drop.readReady(drop.messages[7]!.uid), undefined, 'a message read ahead is handed out once');

    // A message of the window removed behind the lock (the administrator): the batch fails, the message asked for
    // is read alone.
    await inbox.expunge([drop.messages[10]!.uid]);
    batches.length = 0;
    assert.equal(await read(8), whole(8));
    assert.deepEqual(batches, [4, 1]);
    assert.equal(await read(9), whole(9));
    await drop.release();
  });

  test(`${kind.name}: a position hint to read and readReady saves a look-up but is checked: a wrong one still gives the message named`, async (t) => {
    const { h, inbox } = await annInbox(t, kind);
    for (let i = 0; i < 6; i++) await appendIndexed(h.store, inbox, `Subject: ${i}\r\n\r\nbody ${i}\r\n`, '');
    const lock = await inbox.lock('test');
    const drop = new StoreMaildrop('ann@example.org', await inbox.summary(), inbox, lock, { log: new RecordingLogger(), conn: 'c1' });
    const text = (got: readonly Buffer[] | undefined) => got && Buffer.concat(got).toString('latin1');
    const uid = (i: number) => drop.messages[i]!.uid;
    assert.equal(text(await drop.read(uid(0), 0)), 'Subject: 0\r\n\r\nbody 0\r\n');
    assert.equal(text(await drop.read(uid(1), 1)), 'Subject: 1\r\n\r\nbody 1\r\n'); // a window of 2: message 3 is read ahead
    assert.equal(text(drop.readReady(uid(2), 0)), 'Subject: 2\r\n\r\nbody 2\r\n', 'a wrong hint: the uid decides');
    assert.equal(drop.readReady(uid(2), 2), undefined, 'handed out once');
    assert.equal(text(await drop.read(uid(4), 99)), 'Subject: 4\r\n\r\nbody 4\r\n', 'a hint out of range');
    await assert.rejects(drop.read('no-such-uid', 3), /not in this session's snapshot/);
    await drop.release();
  });
}
