import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli, tempDir } from '../testing/app-cli.js';
import { startDaemonChild, type DaemonChild } from '../testing/app-daemon.js';
import { Pop3Script } from '../testing/pop3-client.js';
import { messageText, sendOverSmtp, waitForMailbox } from '../testing/pop3-daemon.js';
import { repoRoot } from '../testing/peers.js';
import { generateSelfSigned } from './tls.js';

const USERS = ['ann@example.test', 'bob@example.test', 'cat@example.test'] as const;
const [ANN, BOB, CAT] = USERS;
const PASSWORD = 'correct horse';
const { content, data } = messageText(['From: dan@example.net', 'Subject: one', '', '.a line with a dot', 'body', '']);

/** Waits (up to 15 s) until `count` log lines say `msg`; returns them. */
async function waitForLog(d: DaemonChild, msg: string, count = 1): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 300; i++) {
    const lines = d.logs().filter((l) => l['msg'] === msg);
    if (lines.length >= count) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${count} × "${msg}" in the log:\n${d.stderr()}`);
}

/** The pid of the process that served each POP3 connection so far, in the order they came. */
const servedBy = (d: DaemonChild): number[] => d.logs().filter((l) => l['msg'] === 'Connected' && String(l['conn']).startsWith('p')).map((l) => Number(l['pid']));

/** A connection that has its greeting: counted by the process that took it. (In an array: a script is awaitable.) */
async function greeted(port: number, tls = false): Promise<[Pop3Script]> {
  const c = Pop3Script.open(port, { tls });
  await c.expect(/^\+OK /);
  return [c];
}

/**
 * A session greeted by the server (`holder`), then one in the worker logged in as ann with DELE 1 pending
 * (`inWorker`): the worker has fewer connections than the server when the second comes.
 */
async function oneInEach(d: DaemonChild, pop3: number, worker: number): Promise<{ holder: Pop3Script; inWorker: Pop3Script }> {
  const [holder] = await greeted(pop3);
  const inWorker = Pop3Script.open(pop3);
  await inWorker.login(ANN, PASSWORD).send('DELE 1').expect(/^\+OK/);
  assert.equal(servedBy(d).at(-1), worker);
  return { holder, inWorker };
}

interface Started {
  readonly d: DaemonChild;
  readonly dir: string;
  readonly pop3: number;
  readonly pop3s: number;
  /** The worker's pid. */
  readonly worker: number;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * `postroom start` with `pop3.processes = 2` (plus `toml`), SMTP, POP3 and POP3S on free ports and a certificate of
 * its own, ann, bob and cat with one message each; resolves once the worker is ready. A connection goes to the
 * process with fewer POP3 connections, the server on a tie: a lone one to the server, the next one held beside it
 * to the worker.
 */
async function start(t: TestContext, toml = ''): Promise<Started> {
  const base = tempDir(t);
  const dir = path.join(base, 'data');
  const config = path.join(base, 'postroom.toml');
  const certFile = path.join(base, 'cert.pem');
  const keyFile = path.join(base, 'key.pem');
  const one = await generateSelfSigned('one.test', new Date());
  writeFileSync(certFile, one.cert);
  writeFileSync(keyFile, one.key);
  writeFileSync(config, `pop3.processes = 2\npop3.auth_failure_delay = "0s"\ntls.cert = "${certFile}"\ntls.key = "${keyFile}"\n${toml}`);
  // prettier-ignore
  const d = await startDaemonChild(t, [
    '--config', config, '--data-dir', dir, '--hostname', 'mx.example.test', '--domain', 'example.test', '--log-level', 'info',
    '--smtp-listen', '127.0.0.1:0', '--submission-listen', 'off', '--pop3-listen', '127.0.0.1:0', '--pop3s-listen', '127.0.0.1:0', '--web-listen', 'off',
  ]);
  assert.match(d.stdout(), /^pop3 sessions: in this process and 1 worker process \(pop3\.processes = 2\)$/m);
  const [ready] = await waitForLog(d, 'pop3 worker ready');
  for (const u of USERS) {
    assert.equal((await runCli(['user', 'add', u, '--password-stdin', '--data-dir', dir], `${PASSWORD}\n`)).code, 0);
    await sendOverSmtp(d.addresses.get('smtp')!.port, 'dan@example.net', u, data);
    await waitForMailbox(dir, u, 1);
  }
  return { d, dir, pop3: d.addresses.get('pop3')!.port, pop3s: d.addresses.get('pop3s')!.port, worker: Number(ready!['worker']), certFile, keyFile };
}

test('pop3.processes = 2: concurrent connections spread over the server and its worker, both serving byte for byte over POP3 and POP3S', async (t) => {
  const { d, pop3, pop3s, worker } = await start(t);
  const [holder] = await greeted(pop3); // server (0 against 0)
  const sessions = [
    [(await greeted(pop3))[0], BOB], // worker (1 against 0)
    [(await greeted(pop3s, true))[0], CAT], // server (1 against 1)
    [(await greeted(pop3s, true))[0], ANN], // worker (2 against 1)
  ] as const;
  for (const [c, user] of sessions) {
    await c.send(`USER ${user}`).expect(/^\+OK/).send(`PASS ${PASSWORD}`).expect(/^\+OK /).send('RETR 1').expectMulti(/^\+OK/);
    assert.ok(c.lastBody.subarray(c.lastBody.length - content.length).equals(content), `${user}: the message as sent, byte for byte`);
    assert.match(c.lastBody.toString('latin1'), new RegExp(`^Return-Path: <dan@example\\.net>\\r\\nDelivered-To: ${user.replace('.', '\\.')}\\r\\n`));
  }
  for (const c of [holder, ...sessions.map(([s]) => s)]) await c.send('QUIT').expect(/^\+OK/).expectClosed();
  const server = d.child.pid!;
  assert.deepEqual(servedBy(d), [server, worker, server, worker], 'POP3 and POP3S in each process');
});

test('pop3.processes = 2: one session per maildrop across processes (-ERR [IN-USE] either way); QUIT in the worker deletes', async (t) => {
  const { d, pop3, worker } = await start(t);
  const first = Pop3Script.open(pop3);
  await first.login(ANN, PASSWORD); // server
  const [second] = await greeted(pop3); // worker
  await second.send(`USER ${ANN}`).expect(/^\+OK/).send(`PASS ${PASSWORD}`).expect(/^-ERR \[IN-USE\] /);
  await first.send('QUIT').expect(/^\+OK/).expectClosed();
  const third = Pop3Script.open(pop3);
  await third.login(ANN, PASSWORD); // server (fewer connections than the worker, or as many)
  await second.send(`USER ${ANN}`).expect(/^\+OK/).send(`PASS ${PASSWORD}`).expect(/^-ERR \[IN-USE\] /);
  await third.send('QUIT').expect(/^\+OK/).expectClosed();
  await second.send(`USER ${ANN}`).expect(/^\+OK/).send(`PASS ${PASSWORD}`).expect(/^\+OK/).send('DELE 1').expect(/^\+OK/);
  await second.send('QUIT').expect(/^\+OK/).expectClosed();
  const server = d.child.pid!;
  assert.deepEqual(servedBy(d), [server, worker, server], 'first and third in the server, second in the worker');
  const after = Pop3Script.open(pop3);
  await after.login(ANN, PASSWORD).send('STAT').expect('+OK 0 0');
  await after.send('QUIT').expect(/^\+OK/).expectClosed();
  // The end of each session is logged with how far it got: USER, PASS, STAT, QUIT are 4 lines.
  const last = (await waitForLog(d, 'Disconnected', 4)).at(-1)!;
  assert.equal(last['lines'], 4);
  assert.ok(Number(last['octets']) > 0);
});

test('pop3.processes = 2: a worker killed with DELEs pending deletes nothing; its lock goes with it, and another worker starts', async (t) => {
  const { d, pop3, worker } = await start(t);
  const { holder, inWorker: doomed } = await oneInEach(d, pop3, worker);
  process.kill(worker, 'SIGKILL');
  await doomed.expectClosed();
  await waitForLog(d, 'pop3 worker exited; starting another');
  // The maildrop is not left locked by the dead worker, and the message is still there.
  const c = Pop3Script.open(pop3);
  await c.login(ANN, PASSWORD).send('STAT').expect(/^\+OK 1 \d+$/).send('QUIT').expect(/^\+OK/).expectClosed();
  const [, again] = await waitForLog(d, 'pop3 worker ready', 2);
  const next = Number(again!['worker']);
  assert.notEqual(next, worker);
  const s = Pop3Script.open(pop3); // the new worker: the server still holds `holder`
  await s.login(ANN, PASSWORD).send('STAT').expect(/^\+OK 1 \d+$/).send('QUIT').expect(/^\+OK/).expectClosed();
  assert.equal(servedBy(d).at(-1), next);
  await holder.send('QUIT').expect(/^\+OK/).expectClosed();
});

test('pop3.processes = 2: login failures counted in one process lock the client out in the other', async (t) => {
  const { d, pop3, worker } = await start(t, 'smtp.auth_lockout_failures = 2\n');
  const [one] = await greeted(pop3); // server
  await one.send(`USER ${ANN}`).expect(/^\+OK/).send('PASS wrong').expect(/^-ERR \[AUTH\] /);
  // The failure went to the worker over IPC before the connection below (same channel, in order).
  const [two] = await greeted(pop3); // worker: it knew of the first failure, so the second reaches the limit
  await two.send(`USER ${ANN}`).expect(/^\+OK/).send('PASS wrong').expect(/^-ERR \[LOGIN-DELAY\] /).expectClosed();
  await one.send('QUIT').expect(/^\+OK/).expectClosed();
  assert.deepEqual(servedBy(d), [d.child.pid, worker]);
  // The worker's failure reaches the server over IPC, racing the next TCP connection: room for a loaded machine.
  await new Promise((r) => setTimeout(r, 500));
  // Both processes now refuse this client at USER.
  const [holder] = await greeted(pop3); // server
  await holder.send(`USER ${ANN}`).expect(/^-ERR \[LOGIN-DELAY\] /).expectClosed();
  const [keep] = await greeted(pop3); // server again (the refused one has ended)
  const [other] = await greeted(pop3); // worker
  await other.send(`USER ${ANN}`).expect(/^-ERR \[LOGIN-DELAY\] /).expectClosed();
  assert.deepEqual(servedBy(d).slice(2), [d.child.pid, d.child.pid, worker]);
  keep.close();
});

test('pop3.processes = 2: SIGHUP\'s new certificate reaches the worker (POP3S and STLS)', async (t) => {
  const { d, pop3, pop3s, worker, certFile, keyFile } = await start(t);
  const two = await generateSelfSigned('two.test', new Date());
  writeFileSync(certFile, two.cert);
  writeFileSync(keyFile, two.key);
  d.child.kill('SIGHUP');
  await waitForLog(d, 'reloaded the TLS certificate'); // logged after the certificate went to the worker, ahead of any connection
  const [holder] = await greeted(pop3); // server
  const [implicit] = await greeted(pop3s, true); // worker
  const [keep] = await greeted(pop3); // server (2 against 1)
  const [stls] = await greeted(pop3); // worker
  await stls.send('STLS').expect(/^\+OK/).startTls();
  const fp = new X509Certificate(two.cert).fingerprint256;
  assert.deepEqual([implicit.peerFingerprint, stls.peerFingerprint], [fp, fp]);
  assert.deepEqual(servedBy(d).filter((p) => p === worker).length, 2);
  for (const c of [holder, implicit, keep, stls]) c.close();
});

test('pop3.processes = 2: SIGTERM tells a session in the worker that the server is stopping; nothing is deleted; the worker exits with the server', async (t) => {
  const { d, dir, pop3, worker } = await start(t);
  const { holder, inWorker: idle } = await oneInEach(d, pop3, worker);
  const code = d.stop('SIGTERM');
  await idle.expect(/^-ERR \[SYS\/TEMP\] /).expectClosed();
  await holder.expect(/^-ERR \[SYS\/TEMP\] /).expectClosed();
  assert.equal(await code, 0);
  assert.throws(() => process.kill(worker, 0), /ESRCH/, 'the worker is gone');
  await waitForMailbox(dir, ANN, 1);
});

test('pop3.processes = 2: a worker stopped alone (SIGTERM to it) drains its sessions, gets no new connection, and is started again', async (t) => {
  const { d, pop3, worker } = await start(t);
  const { holder, inWorker: idle } = await oneInEach(d, pop3, worker);
  process.kill(worker, 'SIGTERM');
  await idle.expect(/^-ERR \[SYS\/TEMP\] /).expectClosed();
  const [meanwhile] = await greeted(pop3); // the worker is stopping or gone: the server takes it
  assert.equal(servedBy(d).at(-1), d.child.pid);
  await meanwhile.send(`USER ${ANN}`).expect(/^\+OK/).send(`PASS ${PASSWORD}`).expect(/^\+OK /).send('STAT').expect(/^\+OK 1 /);
  await meanwhile.send('QUIT').expect(/^\+OK/).expectClosed();
  const [, again] = await waitForLog(d, 'pop3 worker ready', 2);
  const s = Pop3Script.open(pop3); // the new worker: the server still holds `holder`
  await s.login(ANN, PASSWORD).send('QUIT').expect(/^\+OK/).expectClosed();
  assert.equal(servedBy(d).at(-1), Number(again!['worker']));
  await holder.send('QUIT').expect(/^\+OK/).expectClosed();
});

test('postroom pop3-worker run by hand (no server process behind it) says what it is and exits 2', () => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'postroom.js'), 'pop3-worker'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'postroom: pop3-worker is started by `postroom start` when pop3.processes is more than 1; it is not run by hand\n');
});
