/**
 * Interop: real SMTP clients that no one here wrote send to `postroom start` (a child process on free ports):
 * swaks (plain, STARTTLS + AUTH, PIPELINING), Python smtplib (STARTTLS, SMTPUTF8), nodemailer, msmtp and curl
 * `smtp://`. Each message is then read from the mailbox and compared byte for byte after the trace fields the
 * server adds (Return-Path, Delivered-To, Received). Peers: swaks, python3, msmtp, curl (scripts/install-peers).
 *
 * Not covered here: BDAT, because Debian 12's swaks (20201014.0) has no CHUNKING support and neither smtplib,
 * msmtp, curl nor nodemailer sends BDAT; the conversation tests of src/smtp/server cover it.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { hasCommand, needPeer } from '../../src/testing/peers.js';
import { startDaemonChild, type DaemonChild } from '../../src/testing/app-daemon.js';
import { waitForMailbox } from '../../src/testing/pop3-daemon.js';
import { runCli, tempDir } from '../../src/testing/app-cli.js';
import { openStore } from '../../src/app/index.js';
import { readAll } from '../../src/store/contract-kit.js';

const run = promisify(execFile);
const PASSWORD = 'correct horse battery';

/** A message with the traps: a line that starts with a dot, 8-bit UTF-8 Korean text, a long line. */
function message(client: string): Buffer {
  return Buffer.from(
    [
      `From: Ann <ann@example.test>`,
      `To: Ann <ann@example.test>`,
      `Subject: interop ${client}`,
      `Date: Thu, 26 Nov 2026 11:50:41 +0000`,
      `Message-ID: <${client}@interop.example.test>`,
      `MIME-Version: 1.0`,
      `Content-Type: text/plain; charset=utf-8`,
      `Content-Transfer-Encoding: 8bit`,
      ``,
      `Hello from ${client}.`,
      `.a line that starts with a dot`,
      `..and one with two`,
      `안녕하세요 똠방각하`,
      'x'.repeat(900),
      ``,
    ].join('\r\n'),
    'utf8',
  );
}

/** Starts the daemon with one user, or skips the whole file when a peer is missing. */
async function setup(t: test.TestContext): Promise<{ d: DaemonChild; dir: string; work: string }> {
  const work = tempDir(t);
  const dir = path.join(work, 'data');
  const d = await startDaemonChild(t, [
    '--data-dir', dir, '--hostname', 'mx.example.test', '--domain', 'example.test',
    '--smtp-listen', '127.0.0.1:0', '--submission-listen', '127.0.0.1:0', '--pop3-listen', 'off', '--web-listen', 'off',
  ]);
  const added = await runCli(['user', 'add', 'ann@example.test', '--password-stdin', '--data-dir', dir], `${PASSWORD}\n`);
  assert.equal(added.code, 0, added.err);
  return { d, dir, work };
}

/** Waits until the mailbox holds `n` messages and returns them, trace fields split off. */
async function mailbox(dir: string, n: number): Promise<Map<string, { trace: string; rest: Buffer }>> {
  await waitForMailbox(dir, 'ann@example.test', n, 300);
  const store = await openStore({ dataDir: dir }, { create: false });
  try {
    const user = await store.users.get('ann@example.test');
    const box = await store.mailbox(user!.id);
    const out = new Map<string, { trace: string; rest: Buffer }>();
    for await (const rec of box.list()) {
      const raw = await readAll(await box.open(rec.uid));
      const at = raw.indexOf('\r\nFrom: Ann');
      assert.ok(at > 0, raw.toString('utf8', 0, 400));
      const trace = raw.toString('utf8', 0, at + 2);
      const rest = raw.subarray(at + 2);
      const id = /Message-ID: <([^@]+)@/.exec(rest.toString('utf8'))![1]!;
      out.set(id, { trace, rest });
    }
    return out;
  } finally {
    await store.close();
  }
}

test('swaks, Python smtplib, nodemailer, msmtp and curl deliver byte for byte through postroom start', async (t) => {
  for (const peer of ['swaks', 'python3', 'msmtp', 'curl']) if (!needPeer(t, peer, hasCommand(peer))) return;
  const { d, dir, work } = await setup(t);
  const smtp = d.addresses.get('smtp')!;
  const sub = d.addresses.get('submission')!;
  const file = (name: string): string => {
    const p = path.join(work, `${name}.eml`);
    writeFileSync(p, message(name));
    return p;
  };
  const sent = new Map<string, Buffer>();
  const send = async (name: string, fn: (eml: string) => Promise<unknown>): Promise<void> => {
    // swaks's data fix-up always adds a line break before the final dot (its --data is meant to be a body without
    // one); that line break is part of what it sends.
    sent.set(name, name.startsWith('swaks') ? Buffer.concat([message(name), Buffer.from('\r\n')]) : message(name));
    await fn(file(name));
  };
  const swaks = ['--from', 'ann@example.test', '--to', 'ann@example.test', '--helo', 'client.example.net', '--hide-all'];

  // swaks on port 25 (no AUTH), with PIPELINING.
  await send('swaks-plain', (eml) => run('swaks', [...swaks, '--server', `${smtp.host}:${smtp.port}`, '--pipeline', '--data', `@${eml}`]));
  // swaks on submission: STARTTLS + AUTH PLAIN and AUTH LOGIN.
  await send('swaks-tls', (eml) =>
    run('swaks', [...swaks, '--server', `${sub.host}:${sub.port}`, '-tls', '--auth', 'PLAIN', '--auth-user', 'ann@example.test', '--auth-password', PASSWORD, '--data', `@${eml}`]),
  );
  await send('swaks-login', (eml) =>
    run('swaks', [...swaks, '--server', `${sub.host}:${sub.port}`, '-tls', '--auth', 'LOGIN', '--auth-user', 'ann@example.test', '--auth-password', PASSWORD, '--data', `@${eml}`]),
  );
  // Python smtplib: STARTTLS, login, SMTPUTF8 + 8BITMIME.
  await send('smtplib', (eml) =>
    run('python3', [
      '-c',
      [
        'import smtplib, ssl, sys',
        'data = open(sys.argv[3], "rb").read()',
        's = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=30)',
        's.starttls(context=ssl._create_unverified_context())',
        `s.login("ann@example.test", ${JSON.stringify(PASSWORD)})`,
        's.sendmail("ann@example.test", ["ann@example.test"], data, mail_options=["SMTPUTF8", "BODY=8BITMIME"])',
        's.quit()',
      ].join('\n'),
      sub.host,
      String(sub.port),
      eml,
    ]),
  );
  // nodemailer with a raw message.
  await send('nodemailer', async () => {
    const transport = nodemailer.createTransport({
      host: sub.host,
      port: sub.port,
      secure: false,
      requireTLS: true,
      auth: { user: 'ann@example.test', pass: PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    try {
      await transport.sendMail({ envelope: { from: 'ann@example.test', to: ['ann@example.test'] }, raw: message('nodemailer') });
    } finally {
      transport.close();
    }
  });
  // msmtp: STARTTLS + AUTH, message on standard input.
  await send('msmtp', (eml) =>
    run('sh', [
      '-c',
      'exec msmtp --host="$1" --port="$2" --tls=on --tls-starttls=on --tls-certcheck=off --auth=plain --user=ann@example.test ' +
        '--passwordeval="printf %s \\"$3\\"" --from=ann@example.test ann@example.test < "$4"',
      'sh',
      sub.host,
      String(sub.port),
      PASSWORD,
      eml,
    ]),
  );
  // curl smtp:// with STARTTLS (--ssl-reqd) and AUTH.
  await send('curl', (eml) =>
    run('curl', [
      '--silent', '--show-error', `smtp://${sub.host}:${sub.port}`, '--ssl-reqd', '--insecure', '--user', `ann@example.test:${PASSWORD}`,
      '--mail-from', 'ann@example.test', '--mail-rcpt', 'ann@example.test', '--upload-file', eml,
    ]),
  );

  const got = await mailbox(dir, sent.size);
  for (const [name, bytes] of sent) {
    const m = got.get(name);
    assert.ok(m, `${name} is in the mailbox`);
    assert.equal(m.rest.toString('utf8'), bytes.toString('utf8'), `${name}: the message is stored byte for byte`);
    assert.match(m.trace, /^Return-Path: <ann@example\.test>\r\nDelivered-To: ann@example\.test\r\nReceived: from /, name);
    assert.match(m.trace, /by mx\.example\.test with ESMTPS?A? id /, name);
  }
  assert.equal(await d.stop('SIGTERM'), 0);
});
