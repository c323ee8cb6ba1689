/**
 * Interop: real SMTP clients nobody here wrote send through STARTTLS + AUTH PLAIN to the RecordingBackend, and
 * the message arrives byte for byte (after the clients' own line-end and dot handling).
 * Peers: python3 (smtplib) and nodemailer (devDependency).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import nodemailer from 'nodemailer';
import { hasCommand, needPeer } from '../../testing/peers.js';
import { startSmtp } from '../../testing/smtp-fakes.js';
import { testTls } from '../../testing/tls.js';

const users = { alice: 's3cret pass' };

function python(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script, ...args], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

const SMTPLIB = `
import smtplib, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
msg = b"From: alice@x.test\\r\\nTo: bob@y.test\\r\\nSubject: smtplib\\r\\n\\r\\nline one\\r\\n.leading dot\\r\\n\\xc3\\xa9t\\xc3\\xa9\\r\\n"
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    s.ehlo("py.test")
    s.starttls(context=ctx)
    s.ehlo("py.test")
    s.login("alice", "s3cret pass")
    s.sendmail("alice@x.test", ["bob@y.test", "carol@y.test"], msg, mail_options=["BODY=8BITMIME"], rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
    s.sendmail("al\\u00efce@x.test", ["b\\u00f6b@y.test"], "Subject: utf8\\r\\n\\r\\nhi\\r\\n".encode(), mail_options=["SMTPUTF8"])
print("ok")
`;

test('SmtpServer accepts mail from Python smtplib through STARTTLS, AUTH PLAIN, 8BITMIME, DSN and SMTPUTF8', async (t) => {
  if (!needPeer(t, 'python3', hasCommand('python3'))) return;
  const { port, backend } = await startSmtp(t, { tls: await testTls(), authWithoutTls: 'never', backendOpts: { users } });
  assert.equal((await python(SMTPLIB, [String(port)])).trim(), 'ok');
  assert.equal(backend.messages.length, 2);
  const [m1, m2] = backend.messages;
  assert.equal(m1!.body.toString('latin1'), 'From: alice@x.test\r\nTo: bob@y.test\r\nSubject: smtplib\r\n\r\nline one\r\n.leading dot\r\n\xc3\xa9t\xc3\xa9\r\n');
  assert.deepEqual(m1!.rcpts.map((r) => [r.to, r.opts.notify]), [['bob@y.test', ['SUCCESS', 'FAILURE']], ['carol@y.test', ['SUCCESS', 'FAILURE']]]);
  assert.equal(m1!.mail.body, '8BITMIME');
  assert.deepEqual(m1!.conn, { ...m1!.conn, tls: true, user: 'alice', helo: 'py.test' });
  assert.equal(m2!.from, 'alïce@x.test');
  assert.equal(m2!.rcpts[0]!.to, 'böb@y.test');
  assert.equal(m2!.mail.smtputf8, true);
});

test('SmtpServer accepts mail from nodemailer through STARTTLS and AUTH PLAIN', async (t) => {
  const { port, backend } = await startSmtp(t, { service: 'submission', tls: await testTls(), authWithoutTls: 'never', backendOpts: { users } });
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice', pass: 's3cret pass' },
    authMethod: 'PLAIN',
    name: 'nm.test',
  });
  t.after(() => transport.close());
  const text = 'Hello from nodemailer\n.dot line\n' + 'x'.repeat(5000) + '\n';
  const info = await transport.sendMail({ from: 'alice@x.test', to: 'bob@y.test', subject: 'nodemailer', text });
  assert.deepEqual(info.accepted, ['bob@y.test']);
  assert.equal(backend.messages.length, 1);
  const m = backend.messages[0]!;
  assert.equal(m.conn.user, 'alice');
  assert.equal(m.conn.tls, true);
  assert.match(m.body.toString(), /\r\n\r\nHello from nodemailer\r\n\.dot line\r\n/);
  assert.ok(!/[^\r]\n/.test(m.body.toString()), 'CRLF line ends only');
});
