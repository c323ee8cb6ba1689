import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli, tempDir } from '../testing/app-cli.js';
import { SmtpLines, startDaemonChild, type DaemonChild } from '../testing/app-daemon.js';
import { Pop3Script } from '../testing/pop3-client.js';
import { messageText, sendOverSmtp, waitForMailbox } from '../testing/pop3-daemon.js';
import { apopDigest } from '../maildrop/index.js';
import { applyFlags, applyToml, defaultConfig, type ServiceName } from './config.js';
import { startDaemon } from './daemon.js';
import { createLogger } from './log.js';
import { generateSelfSigned } from './tls.js';
import { openStore } from './wiring.js';

const ANN = 'ann@example.test';

/** Starts `postroom start` on free ports with SMTP and POP3 (or the listeners in `extra`) on the data directory. */
function start(t: TestContext, dir: string, extra: readonly string[] = []): Promise<DaemonChild> {
  return startDaemonChild(t, [
    '--data-dir', dir, '--hostname', 'mx.example.test', '--domain', 'example.test', '--log-level', 'warn',
    '--smtp-listen', '127.0.0.1:0', '--submission-listen', 'off', '--pop3-listen', '127.0.0.1:0', '--web-listen', 'off',
    ...extra,
  ]);
}

const port = (d: DaemonChild, service: string): number => {
  const a = d.addresses.get(service);
  assert.ok(a, `${service} in the banner:\n${d.stdout()}`);
  return a.port;
};

/** Logs in as ann and returns the STAT reply's count. */
async function stat(pop3: number): Promise<{ client: Pop3Script; count: number }> {
  const client = Pop3Script.open(pop3);
  const line = await client.login(ANN, 'correct horse').send('STAT').expect(/^\+OK \d+ \d+$/);
  return { client, count: Number(line.split(' ')[1]) };
}

test('postroom start: mail delivered over SMTP is fetched over POP3 byte for byte after the trace fields', async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const d = await start(t, dir);
  assert.match(d.stdout(), /^ {2}pop3 {9}listening on 127\.0\.0\.1:\d+ +your users fetch mail \(STLS \+ USER\/PASS or AUTH\)$/m);
  assert.equal((await runCli(['user', 'add', ANN, '--password-stdin', '--data-dir', dir], 'correct horse\n')).code, 0);
  const { content, data } = messageText([
    'From: Bob <bob@example.net>',
    `To: Ann <${ANN}>`,
    'Subject: =?UTF-8?B?7JWI64WV?=',
    'Date: Mon, 1 Jan 2024 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    '안녕하세요, Ann.',
    '.a line that starts with a dot',
    '.',
    '..',
    'trailing spaces   ',
    'x'.repeat(990),
    '',
  ]);
  await sendOverSmtp(port(d, 'smtp'), 'bob@example.net', ANN, data);
  await waitForMailbox(dir, ANN, 1);

  const c = Pop3Script.open(port(d, 'pop3'));
  await c.login(ANN, 'correct horse').send('STAT').expect(/^\+OK 1 \d+$/);
  const size = Number(c.replies.at(-1)!.split(' ')[2]);
  await c.send('LIST 1').expect(`+OK 1 ${size}`).send('UIDL 1').expect(/^\+OK 1 [\x21-\x7e]{1,70}$/);
  await c.send('RETR 1').expectMulti(/^\+OK/);
  const got = c.lastBody;
  assert.equal(got.length, size, 'LIST size = octets sent (RFC 1939 §5)');
  assert.ok(got.subarray(got.length - content.length).equals(content), 'the message as sent, byte for byte');
  const trace = got.subarray(0, got.length - content.length).toString('latin1');
  assert.match(trace, /^Return-Path: <bob@example\.net>\r\nDelivered-To: ann@example\.test\r\nReceived: from client\.example\.net [^]*\r\n$/);
  // TOP 1 0: the header and the blank line, from the stored body offset.
  await c.send('TOP 1 0').expectMulti(/^\+OK/);
  const header = got.subarray(0, got.indexOf('\r\n\r\n') + 4);
  assert.ok(c.lastBody.equals(header), JSON.stringify(c.lastBody.toString('latin1')));
  // RETR changes nothing: the original stays on the server.
  await c.send('QUIT').expect(/^\+OK/);
  await waitForMailbox(dir, ANN, 1);
  assert.equal(await d.stop(), 0);
});

test('postroom start: DELE then disconnect deletes nothing; a second session gets [IN-USE]; DELE + QUIT deletes', async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const d = await start(t, dir);
  assert.equal((await runCli(['user', 'add', ANN, '--password-stdin', '--data-dir', dir], 'correct horse\n')).code, 0);
  for (const n of [1, 2]) await sendOverSmtp(port(d, 'smtp'), 'bob@example.net', ANN, messageText([`Subject: ${n}`, '', `body ${n}`]).data);
  await waitForMailbox(dir, ANN, 2);
  const pop3 = port(d, 'pop3');

  const first = await stat(pop3);
  assert.equal(first.count, 2);
  await first.client.send('DELE 1').expect(/^\+OK/);
  // RFC 1939 §8: one session per maildrop.
  const second = Pop3Script.open(pop3);
  await assert.rejects(async () => void (await second.login(ANN, 'correct horse')), /-ERR \[IN-USE\]/);
  second.close();
  first.client.close(); // dropped without QUIT: nothing is deleted, and the lock goes with the connection

  const again = await stat(pop3);
  assert.equal(again.count, 2);
  await again.client.send('UIDL 2').expect(/^\+OK 2 /);
  const kept = again.client.replies.at(-1)!.split(' ')[2];
  await again.client.send('DELE 1').expect(/^\+OK/).send('QUIT').expect(/^\+OK/);
  await waitForMailbox(dir, ANN, 1);
  const last = await stat(pop3);
  assert.equal(last.count, 1);
  await last.client.send('UIDL').expectMulti(/^\+OK/, [`1 ${kept}`]).send('QUIT').expect(/^\+OK/);
  assert.equal(await d.stop(), 0);
});

test('postroom start killed (SIGKILL): before QUIT nothing is deleted; after the +OK to QUIT the deletion survives', async (t) => {
  const dir = path.join(tempDir(t), 'data');
  let d = await start(t, dir);
  assert.equal((await runCli(['user', 'add', ANN, '--password-stdin', '--data-dir', dir], 'correct horse\n')).code, 0);
  for (const n of [1, 2, 3]) await sendOverSmtp(port(d, 'smtp'), 'bob@example.net', ANN, messageText([`Subject: ${n}`, '', `body ${n}`]).data);
  await waitForMailbox(dir, ANN, 3);

  const before = await stat(port(d, 'pop3'));
  await before.client.send('DELE 1').expect(/^\+OK/).send('DELE 3').expect(/^\+OK/);
  assert.equal(await d.stop('SIGKILL'), null);
  before.client.close();

  // The lock of the killed process is taken over by the next one (the store knows that process is dead).
  d = await start(t, dir);
  const after = await stat(port(d, 'pop3'));
  assert.equal(after.count, 3, 'nothing deleted without QUIT');
  await after.client.send('UIDL').expectMulti(/^\+OK/);
  const uids = after.client.lastBody.toString('latin1').trim().split('\r\n').map((l) => l.split(' ')[1]);
  await after.client.send('DELE 1').expect(/^\+OK/).send('DELE 3').expect(/^\+OK/).send('QUIT').expect(/^\+OK/);
  // Killed right after the +OK: the deletion was durable before it was sent (RFC 1939 §6, STYLE.md §1.5).
  assert.equal(await d.stop('SIGKILL'), null);
  after.client.close();

  d = await start(t, dir);
  const last = await stat(port(d, 'pop3'));
  assert.equal(last.count, 1);
  await last.client.send('UIDL').expectMulti(/^\+OK/, [`1 ${uids[1]}`]).send('QUIT').expect(/^\+OK/);
  assert.equal(await d.stop(), 0);
});

test('postroom start --pop3s-listen: implicit TLS with the server certificate; APOP with pop3.apop and a secret set by the CLI', async (t) => {
  const base = tempDir(t);
  const dir = path.join(base, 'data');
  const conf = path.join(base, 'postroom.toml');
  writeFileSync(conf, '[pop3]\napop = true\n');
  const d = await start(t, dir, ['--config', conf, '--pop3-listen', 'off', '--pop3s-listen', '127.0.0.1:0']);
  assert.match(d.stdout(), /^ {2}pop3 {9}off$/m);
  assert.match(d.stdout(), /^ {2}pop3s {8}listening on 127\.0\.0\.1:\d+ +your users fetch mail \(implicit TLS\)$/m);
  assert.equal((await runCli(['user', 'add', ANN, '--password-stdin', '--data-dir', dir], 'correct horse\n')).code, 0);
  assert.equal((await runCli(['user', 'apop', ANN, '--secret-stdin', '--data-dir', dir], 'tanstaaf\n')).code, 0);
  await sendOverSmtp(port(d, 'smtp'), 'bob@example.net', ANN, messageText(['Subject: tls', '', 'over TLS']).data);
  await waitForMailbox(dir, ANN, 1);

  const cert = new X509Certificate(readFileSync(path.join(dir, 'tls', 'cert.pem')));
  const pop3s = port(d, 'pop3s');
  const c = Pop3Script.open(pop3s, { tls: true });
  const greeting = await c.expect(/^\+OK .*<[^>]+>$/);
  assert.equal(c.encrypted, true);
  assert.equal(c.peerFingerprint, cert.fingerprint256);
  const timestamp = /<[^>]+>/.exec(greeting)![0];
  await c.send(`APOP ${ANN} ${apopDigest(timestamp, 'tanstaaf')}`).expect(/^\+OK /);
  await c.send('RETR 1').expectMulti(/^\+OK/);
  assert.ok(c.lastBody.toString('latin1').endsWith('Subject: tls\r\n\r\nover TLS\r\n'));
  await c.send('QUIT').expect(/^\+OK/);

  // A wrong digest is [AUTH]; USER/PASS works on the same listener.
  const bad = Pop3Script.open(pop3s, { tls: true });
  await bad.expect(/^\+OK /).send(`APOP ${ANN} ${apopDigest('<other@x>', 'tanstaaf')}`).expect(/^-ERR \[AUTH\] /);
  bad.close();
  await Pop3Script.open(pop3s, { tls: true }).login(ANN, 'correct horse').send('QUIT').expect(/^\+OK/);
  assert.equal(await d.stop(), 0);
});

test('startDaemon: SIGHUP reload reaches the POP3 listeners; one AUTH lockout for SMTP and POP3; stop() ends POP3 sessions without deleting', async (t) => {
  const dir = tempDir(t);
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const one = await generateSelfSigned('one.test', new Date());
  writeFileSync(certFile, one.cert);
  writeFileSync(keyFile, one.key);
  const toml = 'smtp.auth_lockout_failures = 2\nsmtp.auth_failure_delay = "0s"\npop3.auth_failure_delay = "0s"\n';
  const free = '127.0.0.1:0';
  const flags = { smtpListen: free, submissionListen: free, pop3Listen: free, pop3sListen: free, webListen: 'off', domain: ['example.test'] };
  const config = { ...applyFlags(applyToml(defaultConfig(dir), toml, path.join(dir, 'p.toml')), flags, dir), tls: { cert: certFile, key: keyFile } };
  const daemon = await startDaemon(config, { out: () => {}, err: () => {} }, createLogger({ level: 'silent' }));
  let stopped = false;
  t.after(() => (stopped ? undefined : daemon.stop()));
  const at = (s: ServiceName) => daemon.addresses.get(s)!.port;
  assert.equal((await runCli(['user', 'add', ANN, '--password-stdin', '--data-dir', config.dataDir], 'correct horse\n')).code, 0);
  await sendOverSmtp(at('smtp'), 'bob@example.net', ANN, messageText(['Subject: kept', '', 'kept']).data);
  await waitForMailbox(config.dataDir, ANN, 1);

  const fingerprint = async (): Promise<[implicit: string | null, stls: string | null]> => {
    const implicit = Pop3Script.open(at('pop3s'), { tls: true });
    await implicit.expect(/^\+OK /);
    const stls = Pop3Script.open(at('pop3'));
    await stls.expect(/^\+OK /).send('STLS').expect(/^\+OK/).startTls();
    const got: [string | null, string | null] = [implicit.peerFingerprint, stls.peerFingerprint];
    implicit.close();
    stls.close();
    return got;
  };
  const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
  assert.deepEqual(await fingerprint(), [fp(one.cert), fp(one.cert)]);
  const two = await generateSelfSigned('two.test', new Date());
  writeFileSync(certFile, two.cert);
  writeFileSync(keyFile, two.key);
  await daemon.reloadTls();
  assert.deepEqual(await fingerprint(), [fp(two.cert), fp(two.cert)]);

  // A session in TRANSACTION with a message marked deleted, open across the stop below.
  const open = await stat(at('pop3'));
  assert.equal(open.count, 1);
  await open.client.send('DELE 1').expect(/^\+OK/);

  // Two failed POP3 logins lock the client out of SMTP AUTH too (smtp.auth_lockout_failures = 2).
  const guess = Pop3Script.open(at('pop3'));
  await guess.expect(/^\+OK /).send(`USER ${ANN}`).expect(/^\+OK/).send('PASS wrong').expect(/^-ERR \[AUTH\] /);
  await guess.send(`USER ${ANN}`).expect(/^\+OK/).send('PASS wrong again').expect(/^-ERR \[LOGIN-DELAY\] /).expectClosed();
  const smtp = await SmtpLines.connect('127.0.0.1', at('submission'));
  await smtp.reply();
  await smtp.send('EHLO client.test');
  const plain = Buffer.from(`\0${ANN}\0correct horse`).toString('base64');
  assert.match(await smtp.send(`AUTH PLAIN ${plain}`), /^454 4\.7\.0 /);
  smtp.close();

  // stop(): the idle POP3 session is told and closed without UPDATE; nothing is deleted.
  const stopping = daemon.stop().then(() => (stopped = true));
  await open.client.expect(/^-ERR \[SYS\/TEMP\] /).expectClosed();
  await stopping;
  const store = await openStore(config, { create: false });
  try {
    const user = (await store.users.get(ANN))!;
    assert.equal((await (await store.mailbox(user.id)).count()).messages, 1);
  } finally {
    await store.close();
  }
});
