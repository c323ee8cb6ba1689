import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { openStore } from '../app/index.js';
import { verifyPassword } from '../store/index.js';
import { fakeTty, runCli, tempDir } from '../testing/app-cli.js';

/** What `user apop` says on standard error after setting a secret (never after --clear or a refusal). */
const APOP_WARNING =
  'postroom: warning: the APOP secret is stored in clear (APOP needs it) and APOP is weaker than USER/PASS over TLS; ' +
  'use a secret different from the password, and enable APOP with pop3.apop = true only for clients that cannot use TLS\n';

test('postroom user add/list/passwd/apop/del against a data directory', async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const d = ['--data-dir', dir];

  let r = await runCli(['user', 'add', 'Ann@Example.TEST', '--password-stdin', ...d], 'first secret\n');
  assert.deepEqual(r, { code: 0, out: 'added domain example.test\nadded user Ann@example.test\n', err: '' });

  r = await runCli(['user', 'add', 'bob@example.test', '--password-stdin', ...d], 'bob pw\r\nignored second line\n');
  assert.deepEqual(r, { code: 0, out: 'added user bob@example.test\n', err: '' });

  r = await runCli(['user', 'add', 'Ann@example.test', '--password-stdin', ...d], 'x\n');
  assert.deepEqual(r, { code: 1, out: '', err: 'postroom: user Ann@example.test exists already\n' });

  r = await runCli(['user', 'add', 'not-an-address', '--password-stdin', ...d], 'x\n');
  assert.deepEqual(r, { code: 2, out: '', err: 'postroom: "not-an-address" is not a mail address like you@example.org\n' });

  r = await runCli(['user', 'add', 'carl@example.test', '--password-stdin', ...d], '\n');
  assert.deepEqual(r, { code: 2, out: '', err: 'postroom: empty password refused\n' });

  r = await runCli(['user', 'add', 'carl@example.test', ...d]);
  assert.deepEqual(r, { code: 2, out: '', err: 'postroom: no terminal to ask for the password: use --password-stdin\n' });

  r = await runCli(['user', 'list', ...d]);
  assert.equal(r.code, 0);
  assert.match(r.out, /^Ann@example\.test {2}created \d{4}-\d\d-\d\d\nbob@example\.test {2}created \d{4}-\d\d-\d\d\n$/);

  r = await runCli(['user', 'passwd', 'bob@example.test', '--password-stdin', ...d], 'new pw\n');
  assert.deepEqual(r, { code: 0, out: 'password changed for bob@example.test\n', err: '' });
  r = await runCli(['user', 'passwd', 'nobody@example.test', '--password-stdin', ...d], 'new pw\n');
  assert.deepEqual(r, { code: 1, out: '', err: 'postroom: no user nobody@example.test\n' });

  r = await runCli(['user', 'apop', 'bob@example.test', '--secret-stdin', ...d], 'apop secret\n');
  assert.deepEqual(r, { code: 0, out: 'APOP secret set for bob@example.test\n', err: APOP_WARNING });
  r = await runCli(['user', 'list', '--json', ...d]);
  const listed = JSON.parse(r.out) as { address: string; apop: boolean }[];
  assert.deepEqual(listed.map((u) => [u.address, u.apop]), [['Ann@example.test', false], ['bob@example.test', true]]);

  const store = await openStore({ dataDir: dir }, { create: false });
  try {
    const bob = await store.users.get('bob@example.test');
    assert.ok(bob);
    assert.equal(bob.apopSecret, 'apop secret');
    assert.ok(!bob.passwordHash.includes('new pw'));
    assert.equal(await verifyPassword('new pw', bob.passwordHash), true);
    assert.equal(await verifyPassword('bob pw', bob.passwordHash), false);
  } finally {
    await store.close();
  }

  r = await runCli(['user', 'apop', 'bob@example.test', '--clear', ...d]);
  assert.deepEqual(r, { code: 0, out: 'APOP secret cleared for bob@example.test\n', err: '' });
  r = await runCli(['user', 'apop', 'zed@example.test', '--clear', ...d]);
  assert.deepEqual(r, { code: 1, out: '', err: 'postroom: no user zed@example.test\n' });

  r = await runCli(['user', 'del', 'bob@example.test', ...d]);
  assert.deepEqual(r, { code: 0, out: 'deleted user bob@example.test\n', err: '' });
  r = await runCli(['user', 'del', 'bob@example.test', ...d]);
  assert.deepEqual(r, { code: 1, out: '', err: 'postroom: no user bob@example.test\n' });
});

test('postroom user apop: --clear and --secret-stdin exclude each other; an empty secret is refused; no warning on refusal', async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const d = ['--data-dir', dir];
  assert.equal((await runCli(['user', 'add', 'ann@example.test', '--password-stdin', ...d], 'pw\n')).code, 0);
  let r = await runCli(['user', 'apop', 'ann@example.test', '--clear', '--secret-stdin', ...d], 'x\n');
  assert.deepEqual(r, { code: 2, out: '', err: 'postroom: --clear and --secret-stdin exclude each other\n' });
  r = await runCli(['user', 'apop', 'ann@example.test', '--secret-stdin', ...d], '\n');
  assert.deepEqual(r, { code: 2, out: '', err: 'postroom: empty APOP secret refused (use --clear to remove it)\n' });
  r = await runCli(['user', 'apop', 'nobody@example.test', '--secret-stdin', ...d], 'x\n');
  assert.deepEqual(r, { code: 1, out: '', err: 'postroom: no user nobody@example.test\n' });
  r = await runCli(['user', 'apop', 'ann@example.test', '--secret-stdin', ...d], 'tanstaaf\n');
  assert.deepEqual(r, { code: 0, out: 'APOP secret set for ann@example.test\n', err: APOP_WARNING });
  r = await runCli(['user', 'list', ...d]);
  assert.match(r.out, /^ann@example\.test {2}created \d{4}-\d\d-\d\d {2}APOP\n$/);
  r = await runCli(['user', 'apop', 'ann@example.test', '--clear', ...d]);
  assert.deepEqual(r, { code: 0, out: 'APOP secret cleared for ann@example.test\n', err: '' });
  const store = await openStore({ dataDir: dir }, { create: false });
  try {
    assert.equal((await store.users.get('ann@example.test'))?.apopSecret, null);
  } finally {
    await store.close();
  }
});

test('postroom domain add/list/del', async (t) => {
  const dir = tempDir(t);
  const d = ['--data-dir', dir];
  assert.deepEqual(await runCli(['domain', 'add', 'B.test', ...d]), { code: 0, out: 'added domain b.test\n', err: '' });
  assert.deepEqual(await runCli(['domain', 'add', 'a.test', ...d]), { code: 0, out: 'added domain a.test\n', err: '' });
  assert.deepEqual(await runCli(['domain', 'add', 'a.test', ...d]), { code: 1, out: '', err: 'postroom: domain a.test exists already\n' });
  assert.deepEqual(await runCli(['domain', 'add', 'bad_domain', ...d]), { code: 2, out: '', err: 'postroom: "bad_domain" is not a domain name like example.org\n' });
  assert.deepEqual(await runCli(['domain', 'list', ...d]), { code: 0, out: 'a.test\nb.test\n', err: '' });
  await runCli(['user', 'add', 'u@a.test', '--password-stdin', ...d], 'pw\n');
  assert.deepEqual(await runCli(['domain', 'del', 'a.test', ...d]), { code: 1, out: '', err: 'postroom: domain a.test still has 1 user(s): delete them first\n' });
  assert.deepEqual(await runCli(['domain', 'del', 'b.test', ...d]), { code: 0, out: 'deleted domain b.test\n', err: '' });
  assert.deepEqual(await runCli(['domain', 'del', 'b.test', ...d]), { code: 1, out: '', err: 'postroom: no domain b.test\n' });
  assert.deepEqual(await runCli(['domain', 'list', ...d]), { code: 0, out: 'a.test\n', err: '' });
});

test('postroom alias add/list/del', async (t) => {
  const dir = tempDir(t);
  const d = ['--data-dir', dir];
  assert.deepEqual(await runCli(['alias', 'add', 'info@Shop.test', 'ann@shop.test', 'bob@elsewhere.test', ...d]), {
    code: 0,
    out: 'added domain shop.test\nadded alias info@shop.test -> ann@shop.test, bob@elsewhere.test\n',
    err: '',
  });
  assert.deepEqual(await runCli(['alias', 'add', '@shop.test', 'ann@shop.test', ...d]), { code: 0, out: 'added alias @shop.test -> ann@shop.test\n', err: '' });
  assert.deepEqual(await runCli(['alias', 'add', 'info@shop.test', 'x@shop.test', ...d]), {
    code: 1,
    out: '',
    err: 'postroom: alias info@shop.test exists already: delete it first\n',
  });
  assert.deepEqual(await runCli(['alias', 'add', 'x@shop.test', 'not an address', ...d]), {
    code: 2,
    out: '',
    err: 'postroom: "not an address" is not a mail address like you@example.org\n',
  });
  assert.equal((await runCli(['alias', 'add', 'x@shop.test', ...d])).code, 2);
  assert.deepEqual(await runCli(['alias', 'list', ...d]), {
    code: 0,
    out: '@shop.test -> ann@shop.test\ninfo@shop.test -> ann@shop.test, bob@elsewhere.test\n',
    err: '',
  });
  assert.deepEqual(await runCli(['alias', 'del', 'info@shop.test', ...d]), { code: 0, out: 'deleted alias info@shop.test\n', err: '' });
  assert.deepEqual(await runCli(['alias', 'del', 'info@shop.test', ...d]), { code: 1, out: '', err: 'postroom: no alias info@shop.test\n' });
  assert.deepEqual(await runCli(['alias', 'list', ...d]), { code: 0, out: '@shop.test -> ann@shop.test\n', err: '' });
});

test('postroom status: queue counts and, per user, messages and bytes', async (t) => {
  const dir = tempDir(t);
  const d = ['--data-dir', dir];
  await runCli(['user', 'add', 'ann@s.test', '--password-stdin', ...d], 'pw\n');
  await runCli(['user', 'add', 'bob@s.test', '--password-stdin', ...d], 'pw\n');
  const store = await openStore({ dataDir: dir }, { create: false });
  try {
    const ann = await store.users.get('ann@s.test');
    assert.ok(ann);
    const box = await store.mailbox(ann.id);
    for (const body of ['Subject: a\r\n\r\nhello\r\n', 'Subject: b\r\n\r\nworld!\r\n']) {
      const blob = await store.blobs.put(Readable.from([Buffer.from(body)]), { maxBytes: 1 << 20 });
      await box.append(blob, { receivedAt: new Date() });
    }
  } finally {
    await store.close();
  }
  const json = await runCli(['status', '--json', ...d]);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.out), {
    queue: { items: 0, pending: 0, deferred: 0, held: 0 },
    mailboxes: [
      { address: 'ann@s.test', messages: 2, bytes: 43 },
      { address: 'bob@s.test', messages: 0, bytes: 0 },
    ],
  });
  const text = await runCli(['status', ...d]);
  assert.equal(text.code, 0);
  assert.equal(
    text.out,
    'queue: 0 message(s) (pending 0, deferred 0, held 0)\nmailboxes:\n  ann@s.test       2 message(s)        43 B\n  bob@s.test       0 message(s)         0 B\n',
  );
});

test('admin commands: a missing data directory or a bad configuration is one line and exit code 2', async (t) => {
  const dir = tempDir(t);
  const missing = path.join(dir, 'nope');
  for (const args of [['user', 'list'], ['domain', 'list'], ['alias', 'list'], ['status'], ['user', 'del', 'a@b.test']]) {
    const r = await runCli([...args, '--data-dir', missing]);
    assert.deepEqual(r, { code: 2, out: '', err: `postroom: ${missing}: no data directory (start the server once, or pass --data-dir or --config)\n` }, args.join(' '));
  }
  const conf = path.join(dir, 'postroom.toml');
  writeFileSync(conf, 'data_dir = 42\n');
  assert.deepEqual(await runCli(['status', '--config', conf]), { code: 2, out: '', err: 'postroom: config: data_dir = 42: expected a file path\n' });
  writeFileSync(conf, `data_dir = "store"\n`);
  assert.deepEqual(await runCli(['domain', 'add', 'c.test', '--config', conf]), { code: 0, out: 'added domain c.test\n', err: '' });
  assert.deepEqual(await runCli(['domain', 'list', '--data-dir', path.join(dir, 'store')]), { code: 0, out: 'c.test\n', err: '' });
  const usage = await runCli(['user', 'add']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /missing required argument 'address'/);
});

test('postroom user add and passwd ask twice on a terminal, without echo; a mismatch or an empty password is refused', async (t) => {
  const dir = tempDir(t);
  const d = ['--data-dir', dir];
  const ok = fakeTty(['pass\u007fsword\r', 'password\r']);
  let r = await runCli(['user', 'add', 'ann@t.test', ...d], ok.stdin);
  assert.deepEqual(r, { code: 0, out: 'added domain t.test\nadded user ann@t.test\n', err: 'New password: \nRepeat the password: \n' });
  assert.deepEqual(ok.rawModes, [true, false, true, false]);

  r = await runCli(['user', 'passwd', 'ann@t.test', ...d], fakeTty(['one\r', 'two\r']).stdin);
  assert.deepEqual(r, { code: 2, out: '', err: 'New password: \nRepeat the password: \npostroom: the two passwords differ\n' });
  r = await runCli(['user', 'passwd', 'ann@t.test', ...d], fakeTty(['\r']).stdin);
  assert.deepEqual(r, { code: 2, out: '', err: 'New password: \npostroom: empty password refused\n' });
  r = await runCli(['user', 'apop', 'ann@t.test', ...d], fakeTty(['s3cret\r', 's3cret\r']).stdin);
  assert.deepEqual(r, { code: 0, out: 'APOP secret set for ann@t.test\n', err: `New APOP secret: \nRepeat the APOP secret: \n${APOP_WARNING}` });

  const store = await openStore({ dataDir: dir }, { create: false });
  try {
    const ann = await store.users.get('ann@t.test');
    assert.equal(await verifyPassword('password', ann!.passwordHash), true);
    assert.equal(ann!.apopSecret, 's3cret');
  } finally {
    await store.close();
  }
});
