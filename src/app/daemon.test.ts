import test from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import nodemailer from 'nodemailer';
import { runCli, tempDir } from '../testing/app-cli.js';
import { SmtpLines, startDaemonChild, waitFor } from '../testing/app-daemon.js';
import { applyFlags, defaultConfig } from './config.js';
import { startDaemon } from './daemon.js';
import { createLogger } from './log.js';
import { generateSelfSigned } from './tls.js';

const FREE_PORTS = ['--smtp-listen', '127.0.0.1:0', '--submission-listen', '127.0.0.1:0', '--pop3-listen', 'off', '--web-listen', 'off'];

test('postroom start: SMTP (the seed conversation) and submission (nodemailer, STARTTLS + AUTH) deliver to a CLI-added user; SIGTERM exits 0', async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const d = await startDaemonChild(t, ['--data-dir', dir, '--hostname', 'mx.example.test', '--domain', 'example.test', ...FREE_PORTS]);
  const out = d.stdout();
  assert.match(out, /^postroom is running as mx\.example\.test for example\.test$/m);
  assert.match(out, /^ {2}submissions {2}off$/m);
  assert.match(out, /^ {2}pop3 {9}off$/m);
  assert.match(out, new RegExp(`^data directory: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  // The daemon helper sends other domains to a dead loopback port unless a test names its own next hop.
  assert.match(out, /^relay: other domains through smarthost \[127\.0\.0\.1\]:9$/m);
  assert.match(out, /^add the first user: postroom user add you@example\.test --data-dir /m);
  const smtp = d.addresses.get('smtp');
  const submission = d.addresses.get('submission');
  assert.ok(smtp && submission, out);
  assert.notEqual(smtp.port, 0);

  const added = await runCli(['user', 'add', 'ann@example.test', '--password-stdin', '--data-dir', dir], 'correct horse\n');
  assert.deepEqual(added, { code: 0, out: 'added user ann@example.test\n', err: '' });

  // The seed's conversation on the SMTP port.
  const c = await SmtpLines.connect(smtp.host, smtp.port);
  assert.match(await c.reply(), /^220 mx\.example\.test /);
  assert.match(await c.send('HELO client.example.net'), /^250 /);
  assert.match(await c.send('MAIL FROM:<bob@example.net>'), /^250 /);
  assert.match(await c.send('RCPT TO:<ann@example.test>'), /^250 /);
  assert.match(await c.send('DATA'), /^354 /);
  c.write('From: Bob <bob@example.net>\r\nTo: Ann <ann@example.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nSubject: seed\r\n\r\nHello Ann.\r\n');
  assert.match(await c.send('.'), /^250 /);
  assert.match(await c.send('QUIT'), /^221 /);
  c.close();

  // Submission with a real client: STARTTLS (the generated certificate is trusted as the CA), then AUTH.
  const transport = nodemailer.createTransport({
    host: submission.host,
    port: submission.port,
    secure: false,
    requireTLS: true,
    auth: { user: 'ann@example.test', pass: 'correct horse' },
    tls: { ca: readFileSync(path.join(dir, 'tls', 'cert.pem')), servername: 'localhost' },
  });
  const info = await transport.sendMail({ from: 'ann@example.test', to: 'ann@example.test', subject: 'note to self', text: 'Remember the milk.' });
  transport.close();
  assert.deepEqual(info.accepted, ['ann@example.test']);

  const delivered = await waitFor(async () => {
    const r = await runCli(['status', '--json', '--data-dir', dir]);
    const s = JSON.parse(r.out) as { queue: { items: number }; mailboxes: { address: string; messages: number; bytes: number }[] };
    return s.queue.items === 0 && s.mailboxes[0]?.messages === 2 ? s : undefined;
  });
  assert.equal(delivered.mailboxes[0]!.address, 'ann@example.test');
  assert.ok(delivered.mailboxes[0]!.bytes > 200);

  d.child.kill('SIGHUP'); // reloads the certificate without a restart
  await waitFor(async () => (d.stderr().includes('"msg":"reloaded the TLS certificate"') ? true : undefined));

  assert.equal(await d.stop('SIGTERM'), 0);
  const logLines = d.stderr().trim().split('\n');
  for (const line of logLines) assert.doesNotThrow(() => JSON.parse(line), line);
  const logs = logLines.map((l) => JSON.parse(l) as { msg?: string; conn?: string; level?: string });
  assert.ok(logs.some((l) => l.msg === 'stopped'));
  // Lines about a connection carry its id: the accepted message leads from the session to the queue.
  const accepted = logs.filter((l) => l.msg === 'Message accepted');
  assert.equal(accepted.length, 2);
  for (const l of accepted) assert.ok(logs.some((o) => o.msg === 'Connected' && o.conn === l.conn));
});

test('postroom start: a bad flag, a bad file or a busy port stops start-up with one line and exit code 2', async (t) => {
  const dir = tempDir(t);
  const bad = await runCli(['start', '--data-dir', dir, '--smtp-listen', 'nonsense']);
  assert.deepEqual(bad, { code: 2, out: '', err: 'postroom: config: --smtp-listen = "nonsense": expected HOST:PORT (like 127.0.0.1:2525 or [::1]:2525) or off\n' });
  const conf = path.join(dir, 'p.toml');
  writeFileSync(conf, '[smtp]\nmax_message_size = "big"\n');
  const badFile = await runCli(['start', '--config', conf]);
  assert.deepEqual(badFile, { code: 2, out: '', err: 'postroom: config: smtp.max_message_size = "big": expected a size like 25MiB (at least 1024 bytes)\n' });

  const first = await startDaemonChild(t, ['--data-dir', path.join(dir, 'one'), ...FREE_PORTS, '--submission-listen', 'off', '--log-level', 'silent']);
  const busy = first.addresses.get('smtp')!;
  const second = await runCli(['start', '--data-dir', path.join(dir, 'two'), ...FREE_PORTS, '--smtp-listen', `127.0.0.1:${busy.port}`, '--log-level', 'silent']);
  assert.deepEqual(second, {
    code: 2,
    out: '',
    err: `postroom: config: listen.smtp = "127.0.0.1:${busy.port}": expected an address this machine can listen on (address in use)\n`,
  });
  assert.equal(await first.stop('SIGINT'), 0);
});

test('startDaemon: reloadTls (SIGHUP) hands a renewed certificate to the listeners; stop closes everything', async (t) => {
  const dir = tempDir(t);
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const one = await generateSelfSigned('one.test', new Date());
  writeFileSync(certFile, one.cert);
  writeFileSync(keyFile, one.key);
  let config = applyFlags(defaultConfig(dir), { smtpListen: 'off', submissionListen: '127.0.0.1:0', pop3Listen: 'off', webListen: 'off' }, dir);
  config = { ...config, tls: { cert: certFile, key: keyFile } };
  let printed = '';
  const daemon = await startDaemon(config, { out: (s) => (printed += s), err: () => {} }, createLogger({ level: 'silent' }));
  t.after(() => daemon.stop());
  assert.match(printed, new RegExp(`^TLS certificate: ${certFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  const sub = daemon.addresses.get('submission')!;

  const peerCn = async (): Promise<string> => {
    const c = await SmtpLines.connect('127.0.0.1', sub.port);
    await c.reply();
    await c.send('EHLO x.test');
    assert.match(await c.send('STARTTLS'), /^220 /);
    const s = tls.connect({ socket: c.socket, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => s.once('secureConnect', resolve).once('error', reject));
    const cn = String(s.getPeerCertificate().subject.CN);
    s.destroy();
    return cn;
  };
  assert.equal(await peerCn(), 'one.test');
  const two = await generateSelfSigned('two.test', new Date());
  writeFileSync(certFile, two.cert);
  writeFileSync(keyFile, two.key);
  await daemon.reloadTls();
  assert.equal(await peerCn(), 'two.test');
  await daemon.stop();
});

test('postroom start as root with user = "nobody": binds, hands the data directory over, runs as nobody, still delivers', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, async (t) => {
  const base = tempDir(t);
  chmodSync(base, 0o755); // the user must be able to reach the data directory
  const dir = path.join(base, 'data');
  const conf = path.join(base, 'postroom.toml');
  writeFileSync(conf, 'user = "nobody"\ndomains = ["example.test"]\nlog_level = "warn"\n');
  const d = await startDaemonChild(t, ['--config', conf, '--data-dir', dir, ...FREE_PORTS, '--submission-listen', 'off']);
  const uid = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${d.child.pid}/status`, 'utf8'));
  assert.deepEqual(uid?.slice(1), ['65534', '65534', '65534']);
  assert.equal(statSync(path.join(dir, 'postroom.db')).uid, 65534);
  assert.equal(statSync(path.join(dir, 'tls', 'key.pem')).uid, 65534);

  assert.equal((await runCli(['user', 'add', 'ann@example.test', '--password-stdin', '--config', conf, '--data-dir', dir], 'pw\n')).code, 0);
  const smtp = d.addresses.get('smtp')!;
  const c = await SmtpLines.connect(smtp.host, smtp.port);
  await c.reply();
  await c.send('HELO client.test');
  assert.match(await c.send('MAIL FROM:<bob@example.net>'), /^250 /);
  assert.match(await c.send('RCPT TO:<ann@example.test>'), /^250 /);
  assert.match(await c.send('DATA'), /^354 /);
  c.write('From: bob@example.net\r\nTo: ann@example.test\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nHi.\r\n');
  assert.match(await c.send('.'), /^250 /);
  assert.match(await c.send('QUIT'), /^221 /);
  c.close();
  await waitFor(async () => {
    const s = JSON.parse((await runCli(['status', '--json', '--data-dir', dir])).out) as { mailboxes: { messages: number }[] };
    return s.mailboxes[0]?.messages === 1 ? true : undefined;
  });
  assert.equal(await d.stop(), 0);
});

test('startDaemon stop(): new connections get 421 4.3.2, a transaction in flight still ends in 250, then everything closes', async (t) => {
  const dir = tempDir(t);
  const config = applyFlags(defaultConfig(dir), { smtpListen: '127.0.0.1:0', submissionListen: 'off', pop3Listen: 'off', webListen: 'off', domain: ['example.test'] }, dir);
  const daemon = await startDaemon(config, { out: () => {}, err: () => {} }, createLogger({ level: 'silent' }));
  let stopped = false;
  t.after(() => (stopped ? undefined : daemon.stop()));
  const { port } = daemon.addresses.get('smtp')!;
  assert.equal((await runCli(['user', 'add', 'ann@example.test', '--password-stdin', '--data-dir', config.dataDir], 'pw\n')).code, 0);

  const busy = await SmtpLines.connect('127.0.0.1', port);
  await busy.reply();
  await busy.send('HELO client.test');
  assert.match(await busy.send('MAIL FROM:<bob@example.net>'), /^250 /);
  assert.match(await busy.send('RCPT TO:<ann@example.test>'), /^250 /);
  assert.match(await busy.send('DATA'), /^354 /);
  busy.write('From: bob@example.net\r\nTo: ann@example.test\r\n\r\nhalf');

  const stopping = daemon.stop().then(() => (stopped = true));
  const late = await SmtpLines.connect('127.0.0.1', port);
  assert.match(await late.reply(), /^421 4\.3\.2 /);
  late.close();

  busy.write(' a body\r\n.\r\n');
  assert.match(await busy.reply(), /^250 /);
  assert.match(await busy.reply(), /^421 4\.3\.2 /);
  busy.close();
  await stopping;
  assert.equal(stopped, true);
});
