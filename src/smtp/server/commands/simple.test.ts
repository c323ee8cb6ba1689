import test from 'node:test';
import assert from 'node:assert/strict';
import { startSmtp } from '../../../testing/smtp-fakes.js';

test('RSET clears the transaction and resets the backend session', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RSET').expect('250 2.0.0 OK').send('RCPT TO:<b@y.test>').expect(/^503 5\.5\.1 /);
  assert.deepEqual(backend.events, ['newSession', 'mail', 'reset']);
});

test('RSET before EHLO answers 250, and RSET with an argument gets 501 5.5.4', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).send('RSET').expect('250 2.0.0 OK').send('RSET now').expect('501 5.5.4 Syntax error: RSET takes no arguments');
});

test('NOOP answers 250 2.0.0 in every state, with or without an argument', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).send('NOOP').expect('250 2.0.0 OK').send('EHLO c.test').expect(/^250/).send('MAIL FROM:<a@x.test>').expect(/^250 /).send('NOOP hello').expect('250 2.0.0 OK');
});

test('QUIT answers 221 2.0.0 and closes the connection; the session is closed once', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client.hello().send('QUIT').expect('221 2.0.0 mx.test Service closing transmission channel').expectClosed();
  for (let i = 0; i < 50 && backend.open > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(backend.events, ['newSession', 'close']);
});

test('VRFY answers 252 without revealing whether the user exists', async (t) => {
  const { client } = await startSmtp(t);
  const want = '252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery';
  await client.hello().send('VRFY root').expect(want).send('VRFY nobody-at-all').expect(want).send('VRFY').expect('501 5.5.4 Syntax error: VRFY requires a user name or address');
});

test('HELP answers 214', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).send('HELP').expect(/^214-2\.0\.0 Commands: EHLO .* AUTH\n214 2\.0\.0 See RFC 5321$/).send('HELP MAIL').expect(/^214-/);
});

test('an unknown command gets 500 5.5.2 and the connection stays usable', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).send('EXPN staff').expect('500 5.5.2 Command not recognized: EXPN').send('NOOP').expect(/^250 /);
});
