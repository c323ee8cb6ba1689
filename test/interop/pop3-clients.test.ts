/**
 * Interop: real POP3 clients that no one here wrote fetch from `postroom start` (a child process on free ports):
 * curl `pop3://` (STLS) and `pop3s://`, Python poplib (STLS, TOP, UIDL, then POP3_SSL), fetchmail (keeping; and
 * deleting), getmail6 (plain POP3; SSL with `delete = true`), mpop (STLS into a Maildir; implicit TLS into an mbox),
 * mutt under a pseudo-terminal, s-nail and GNU Mailutils' movemail (deleting). Peers: curl, python3, fetchmail,
 * getmail, mpop, mutt, s-nail, movemail (scripts/install-peers).
 *
 * Each client has its own account, so they all run at once; every account gets the same four messages over SMTP
 * (src/testing/pop3-interop.ts: a 10 MB base64 attachment, EUC-KR 8-bit text, lines that start with a dot, body
 * lines that start with "From "). What a client stored is compared byte for byte with that account's copy in the
 * store after exactly the changes the client is documented to make (line ends, mbox From_ lines and quoting, its
 * own header fields: src/testing/pop3-interop-clients.ts says which and why). Clients that delete must leave the
 * maildrop empty; all the others must leave it as it was (RETR changes nothing).
 */
import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import nodemailer from 'nodemailer';
import { hasCommand, needPeer } from '../../src/testing/peers.js';
import { startDaemonChild, waitFor } from '../../src/testing/app-daemon.js';
import { runCli, tempDir } from '../../src/testing/app-cli.js';
import { firstDifference, messageKey, pop3MessageSet } from '../../src/testing/pop3-interop.js';
import { pop3InteropClients, type Pop3Account } from '../../src/testing/pop3-interop-clients.js';
import { openStore } from '../../src/app/index.js';
import { readAll } from '../../src/store/contract-kit.js';

const PASSWORD = 'Interop-pass-4242';
const SENDER = 'ann@example.test';
const address = (client: string): string => `${client}@example.test`;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Message counts per mailbox and queue length, from `postroom status --json`. */
async function status(dir: string): Promise<{ queued: number; boxes: Map<string, number> }> {
  const r = await runCli(['status', '--json', '--data-dir', dir]);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out) as { queue: { items: number }; mailboxes: { address: string; messages: number }[] };
  return { queued: s.queue.items, boxes: new Map(s.mailboxes.map((m) => [m.address, m.messages])) };
}

/** Every account's copies in the store, by message key: the bytes its POP3 server sends (before dot-stuffing). */
async function maildrops(dir: string, users: readonly string[]): Promise<Map<string, Map<string, Buffer>>> {
  const store = await openStore({ dataDir: dir }, { create: false });
  try {
    const out = new Map<string, Map<string, Buffer>>();
    for (const addr of users) {
      const user = await store.users.get(addr);
      assert.ok(user, addr);
      const box = await store.mailbox(user.id);
      const copies = new Map<string, Buffer>();
      for await (const rec of box.list()) {
        const raw = await readAll(await box.open(rec.uid));
        copies.set(messageKey(raw) ?? `unknown ${rec.uid}`, raw);
      }
      out.set(addr, copies);
    }
    return out;
  } finally {
    await store.close();
  }
}

/** The server's log lines of the connections in which `user` logged in, for a failure's message. */
function sessionLog(logs: readonly Record<string, unknown>[], user: string): string {
  const conns = new Set(logs.filter((l) => l['user'] === user && l['conn']).map((l) => l['conn']));
  return logs.filter((l) => conns.has(l['conn'])).map((l) => JSON.stringify(l)).join('\n') || '(none: it never logged in)';
}

/**
 * Every client fetches its own copy of the set, all at once. With `processes` = 2 the connections spread over the
 * server and its POP3 worker process (to the one with fewer open), so real clients go through the hand-off too.
 */
async function fetchAll(t: TestContext, processes: number): Promise<void> {
  const work = tempDir(t, 'postroom-pop3-interop-');
  const dir = path.join(work, 'data');
  const d = await startDaemonChild(t, [
    '--data-dir', dir, '--hostname', 'mx.example.test', '--domain', 'example.test', '--smtp-listen', '127.0.0.1:0',
    '--submission-listen', 'off', '--pop3-listen', '127.0.0.1:0', '--pop3s-listen', '127.0.0.1:0', '--web-listen', 'off',
    '--pop3-processes', String(processes),
  ]);
  if (processes > 1) await waitFor(async () => (d.stderr().includes('"msg":"pop3 worker ready"') ? true : undefined), 300, 50);
  const smtp = d.addresses.get('smtp');
  const pop3 = d.addresses.get('pop3');
  const pop3s = d.addresses.get('pop3s');
  assert.ok(smtp && pop3 && pop3s, d.stdout());
  const caFile = /^TLS certificate: self-signed, (.+)$/m.exec(d.stdout())?.[1] ?? path.join(dir, 'tls', 'cert.pem');

  const users = pop3InteropClients.map((c) => address(c.name));
  for (const u of users) {
    const added = await runCli(['user', 'add', u, '--password-stdin', '--data-dir', dir], `${PASSWORD}\n`);
    assert.equal(added.code, 0, added.err);
  }

  // The set goes to every account in one transaction per message, over port 25 (local recipients, no AUTH).
  const set = pop3MessageSet();
  const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, tls: { rejectUnauthorized: false } });
  try {
    for (const m of set) await transport.sendMail({ envelope: { from: SENDER, to: users }, raw: m.bytes });
  } finally {
    transport.close();
  }
  await waitFor(async () => {
    const s = await status(dir);
    return s.queued === 0 && users.every((u) => s.boxes.get(u) === set.length) ? true : undefined;
  }, 600, 100);
  const copies = await maildrops(dir, users);
  for (const [user, mine] of copies) {
    for (const m of set) {
      const copy = mine.get(m.key);
      assert.ok(copy, `${user} holds ${m.key}`);
      // The store's copy is the trace fields of local delivery and then the message exactly as sent.
      const trace = copy.subarray(0, copy.length - m.bytes.length);
      assert.ok(copy.subarray(trace.length).equals(m.bytes), `${user} ${m.key}: the message follows the trace fields unchanged`);
      const fields = new RegExp(`^Return-Path: <${esc(SENDER)}>\\r\\nDelivered-To: ${esc(user)}\\r\\nReceived: from [^]*\\r\\n$`);
      assert.match(trace.toString('latin1'), fields);
    }
  }

  const account = (client: string): Pop3Account => ({
    host: pop3.host,
    pop3Port: pop3.port,
    pop3sPort: pop3s.port,
    caFile,
    tlsName: 'localhost', // the self-signed certificate names the host name, localhost, 127.0.0.1 and ::1
    user: address(client),
    password: PASSWORD,
  });

  await Promise.all(
    pop3InteropClients.map((client) =>
      t.test(`${client.name} fetches the set and stores each message as documented`, async (st) => {
        for (const peer of client.peers) if (!needPeer(st, peer, hasCommand(peer))) return;
        const user = address(client.name);
        const mine = copies.get(user)!;
        const clientDir = path.join(work, client.name);
        mkdirSync(clientDir);
        const stored = await client.fetch(account(client.name), clientDir).catch(async (err: Error) => {
          await new Promise((r) => setTimeout(r, 500)); // the server logs the end of the session it sees closed
          throw new Error(`${err.message}\nthe server's log of ${user}'s sessions:\n${sessionLog(d.logs(), user)}`);
        });
        assert.deepEqual(stored.map((m) => messageKey(m)).sort(), set.map((m) => m.key).sort(), `${client.name} stored each message once`);
        for (const m of stored) {
          const key = messageKey(m)!;
          assert.equal(firstDifference(m, client.expected(mine.get(key)!)), null, `${client.name}, message ${key}`);
        }
        const left = (await status(dir)).boxes.get(user);
        if (client.deletes) assert.equal(left, 0, `${client.name} deleted what it fetched`);
        else assert.equal(left, set.length, `${client.name} left the maildrop as it was`);
      }),
    ),
  );
  // Nothing the clients did made the server log a warning or an error (an internal error reaches a client only as
  // a generic -ERR [SYS/TEMP]).
  assert.deepEqual(d.stderr().split('\n').filter((l) => /"level":"(?:warn|error|fatal)"/.test(l)), []);
  if (processes > 1) {
    const servedBy = new Set(d.logs().filter((l) => l['msg'] === 'Connected' && String(l['conn']).startsWith('p')).map((l) => l['pid']));
    assert.equal(servedBy.size, 2, `the server and its worker both served clients: ${[...servedBy].join(', ')}`);
  }
  assert.equal(await d.stop('SIGTERM'), 0);
}

test('curl, poplib, fetchmail, getmail6, mpop, mutt, s-nail and movemail fetch byte for byte from postroom start', { concurrency: true }, (t) => fetchAll(t, 1));

test('the same clients, at once, through a server with a POP3 worker process (pop3.processes = 2)', { concurrency: true }, (t) => fetchAll(t, 2));
