import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Instance } from './instances.js';

test('Instance: another live instance is live, a dead one is not (and others() removes its file)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'postroom-instances-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = await Instance.register(dir);
  const b = await Instance.register(dir);
  assert.equal(a.isLive(b.id), true);
  assert.deepEqual(await a.others(), [b.id]);
  await b.unregister();
  assert.equal(a.isLive(b.id), false);
  assert.equal(a.isLive('4194305.0123abcd'), false, 'no file: dead');
});

test('Instance: a registration that cannot be read is live while its process is (a lock is never taken over on a read error)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'postroom-instances-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const me = await Instance.register(dir);
  // A directory where the file should be: reading it fails with EISDIR (root can read any file, so no EACCES here).
  const unreadableLive = `${process.ppid}.0123abcd`;
  const unreadableDead = '4194305.0123abcd'; // above the largest pid Linux gives (2^22)
  mkdirSync(path.join(me.runDir, unreadableLive));
  mkdirSync(path.join(me.runDir, unreadableDead));
  assert.equal(me.isLive(unreadableLive), true);
  assert.equal(me.isLive(unreadableDead), false);
  // With this process's pid but not registered by it: a killed process's whose pid this one now has.
  const stale = `${process.pid}.0123abcd`;
  mkdirSync(path.join(me.runDir, stale));
  assert.equal(me.isLive(stale), false);
  assert.equal(me.isLive(me.id), true);
  assert.deepEqual(await me.others(), [unreadableLive]);
});
