import test from 'node:test';
import assert from 'node:assert/strict';
import { SmtpError } from '../../reply.js';
import { startSmtp } from '../../../testing/smtp-fakes.js';
import { testTls } from '../../../testing/tls.js';

const base = ['PIPELINING', 'SIZE 26214400', '8BITMIME', 'ENHANCEDSTATUSCODES', 'SMTPUTF8', 'DSN', 'CHUNKING'];
const ehloReply = (ext: string[]) => ['mx.test Hello c.test', ...ext].map((l, i, a) => `250${i === a.length - 1 ? ' ' : '-'}${l}`).join('\n');

test('EHLO advertises PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, SMTPUTF8, DSN and CHUNKING', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).send('EHLO c.test').expect(ehloReply(base));
});

test('EHLO advertises SIZE with the configured limit', async (t) => {
  const { client } = await startSmtp(t, { limits: { maxMessageBytes: 1000 } });
  await client.expect(/^220 /).send('EHLO c.test').expect(/^250-SIZE 1000$/m);
});

test('EHLO advertises STARTTLS with a certificate, and AUTH on loopback when the session can authenticate', async (t) => {
  const { client } = await startSmtp(t, { tls: await testTls(), backendOpts: { users: { a: 'b' } } });
  await client.expect(/^220 /).send('EHLO c.test').expect(ehloReply([...base, 'STARTTLS', 'AUTH PLAIN LOGIN']));
});

test('EHLO does not advertise AUTH before TLS when authWithoutTls is never, and does after STARTTLS', async (t) => {
  const { client } = await startSmtp(t, { tls: await testTls(), authWithoutTls: 'never', backendOpts: { users: { a: 'b' } } });
  await client.expect(/^220 /).send('EHLO c.test').expect(ehloReply([...base, 'STARTTLS']));
  await client.send('STARTTLS').expect('220 2.0.0 Ready to start TLS').startTls().send('EHLO c.test').expect(ehloReply([...base, 'AUTH PLAIN LOGIN']));
});

test('EHLO does not advertise AUTH once authenticated', async (t) => {
  const { client } = await startSmtp(t, { authWithoutTls: 'always', backendOpts: { users: { a: 'b' } } });
  await client.hello().send(`AUTH PLAIN ${Buffer.from('\0a\0b').toString('base64')}`).expect(/^235 /).send('EHLO c.test').expect(ehloReply(base));
});

test('EHLO without a domain gets 501 5.5.4 and the connection stays usable', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).send('EHLO').expect('501 5.5.4 Syntax error: EHLO requires a domain or address literal').send('EHLO [127.0.0.1]').expect(/^250-mx.test Hello \[127.0.0.1\]/);
});

test('EHLO with 8-bit bytes gets 500 5.5.2', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).sendRaw(Buffer.from('EHLO h\xe9llo\r\n', 'latin1')).expect('500 5.5.2 Syntax error: 8-bit byte in command line');
});

test('EHLO again resets the transaction and the backend session', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('EHLO c.test').expect(/^250/).send('RCPT TO:<b@y.test>').expect('503 5.5.1 Bad sequence of commands: send MAIL first');
  assert.deepEqual(backend.events, ['newSession', 'mail', 'reset']);
});

test('EHLO passes on the backend refusing the session, and MAIL then stays out of sequence', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { refuseSession: () => new SmtpError(554, [7, 1], 'Go away') } });
  await client.expect(/^220 /).send('EHLO c.test').expect('554 5.7.1 Go away').send('MAIL FROM:<a@x.test>').expect('503 5.5.1 Bad sequence of commands: send EHLO or HELO first');
});

test('EHLO followed by more pipelined input gets 554 5.5.0 and the connection is closed', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).sendRaw('EHLO c.test\r\nMAIL FROM:<a@x.test>\r\n').expect('554 5.5.0 Protocol synchronization error: input sent before the reply').expectClosed();
});
