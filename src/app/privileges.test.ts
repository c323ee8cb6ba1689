import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../testing/app-cli.js';
import { lookupUser, resolveRunAs } from './privileges.js';

test('lookupUser finds a user by name or id in a passwd file; a bare number stands for itself', async (t) => {
  const file = path.join(tempDir(t), 'passwd');
  writeFileSync(file, 'root:x:0:0:root:/root:/bin/bash\npostroom:x:998:997::/var/lib/postroom:/usr/sbin/nologin\n');
  assert.deepEqual(await lookupUser('postroom', file), { name: 'postroom', uid: 998, gid: 997 });
  assert.deepEqual(await lookupUser('998', file), { name: 'postroom', uid: 998, gid: 997 });
  assert.deepEqual(await lookupUser('1234', file), { name: '1234', uid: 1234, gid: 1234 });
  assert.equal(await lookupUser('nobody-here', file), undefined);
});

test('resolveRunAs: no user means no change; an unknown user is a one-line config error', async () => {
  assert.equal(await resolveRunAs(null), null);
  await assert.rejects(resolveRunAs('no-such-user-xyz'), {
    name: 'ConfigError',
    message: 'config: user = "no-such-user-xyz": expected an existing user (not found in /etc/passwd)',
  });
  const me = process.getuid?.();
  if (me !== undefined) assert.equal(await resolveRunAs(String(me)), null); // already that user
});
