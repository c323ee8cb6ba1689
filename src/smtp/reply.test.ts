import test from 'node:test';
import assert from 'node:assert/strict';
import * as reply from './reply.js';
import { SmtpError, closing, enhancedCode, formatError, formatReply, syntax, tooBig } from './reply.js';

// Enhanced status codes used here, from the IANA registry (RFC 3463, RFC 4954, RFC 6531, RFC 5248).
const registered = new Set(['0.0', '1.1', '1.3', '1.7', '3.0', '3.1', '3.2', '3.4', '4.2', '4.6', '5.0', '5.1', '5.2', '5.3', '5.4', '5.6', '6.0', '6.7', '7.0', '7.1', '7.8', '7.11']);

const notConstructors = new Set<unknown>([SmtpError, formatReply, formatError, enhancedCode, closing]);
const constructors = Object.entries(reply).filter(
  (e): e is [string, (arg?: string) => SmtpError] => typeof e[1] === 'function' && !notConstructors.has(e[1]),
);

test('reply.ts exports the reply constructors', () => {
  assert.ok(constructors.length >= 30, `${constructors.length} constructors`);
});

for (const [name, make] of constructors) {
  test(`reply constructor ${name}() has a consistent code and enhanced status`, () => {
    const e = make('Why');
    assert.ok(e instanceof SmtpError);
    const cls = Math.trunc(e.code / 100);
    assert.ok(cls === 4 || cls === 5, `code ${e.code}`);
    assert.ok(e.status, 'every error reply carries an enhanced status code');
    assert.equal(e.enhanced?.split('.')[0], String(cls), 'the class digit comes from the code');
    assert.ok(registered.has(e.status.join('.')), `registered status ${e.status.join('.')}`);
    assert.equal(e.temporary, cls === 4);
    if (e.code === 421) assert.equal(e.closeConnection, true, '421 closes the connection');
    if (e.closeConnection) assert.ok(e.code === 421 || e.code === 554, 'only 421 and 554 close');
    assert.match(e.message, /^[A-Z0-9]/, 'sentence case');
    assert.doesNotMatch(e.message, /\.$/, 'no final period');
  });
}

const expected: [string, number, string][] = [
  ['badSequence', 503, '5.5.1'],
  ['syntax', 501, '5.5.4'],
  ['unknownCommand', 500, '5.5.2'],
  ['lineTooLong', 500, '5.5.6'],
  ['tooBig', 552, '5.3.4'],
  ['tooManyRecipients', 452, '4.5.3'],
  ['authRequired', 530, '5.7.0'],
  ['authFailed', 535, '5.7.8'],
  ['tlsRequired', 530, '5.7.0'],
  ['tempFailure', 451, '4.3.0'],
  ['shuttingDown', 421, '4.3.2'],
  ['tooManyConnections', 421, '4.7.0'],
  ['tooManyErrors', 421, '4.7.0'],
  ['timeout', 421, '4.4.2'],
  ['syncError', 554, '5.5.0'],
  ['bareNewline', 550, '5.6.0'],
  ['unsupportedParameter', 555, '5.5.4'],
  ['badSender', 501, '5.1.7'],
  ['badRecipient', 501, '5.1.3'],
  ['utf8Required', 553, '5.6.7'],
  ['insufficientStorage', 452, '4.3.1'],
  ['encryptionRequired', 538, '5.7.11'],
  ['unknownUser', 550, '5.1.1'],
  ['relayDenied', 554, '5.7.1'],
  ['senderNotOwned', 553, '5.7.1'],
  ['loopDetected', 554, '5.4.6'],
];
for (const [name, code, enhanced] of expected) {
  test(`reply constructor ${name}() is ${code} ${enhanced}`, () => {
    const make = (reply as unknown as Record<string, (a?: string) => SmtpError>)[name]!;
    const e = make('x');
    assert.equal(e.code, code);
    assert.equal(e.enhanced, enhanced);
  });
}

test('SmtpError.enhanced takes its class from the code, so 451 never carries 5.x.x', () => {
  assert.equal(new SmtpError(451, [3, 0], 'x').enhanced, '4.3.0');
  assert.equal(new SmtpError(500, null, 'x').enhanced, null);
});

test('formatReply writes multi-line replies and replaces characters outside printable ASCII', () => {
  assert.equal(formatReply(250, '2.1.0', 'Sender OK'), '250 2.1.0 Sender OK\r\n');
  assert.equal(formatReply(250, null, ['mx.example', 'PIPELINING']), '250-mx.example\r\n250 PIPELINING\r\n');
  assert.equal(formatReply(214, '2.0.0', ['a', 'b']), '214-2.0.0 a\r\n214 2.0.0 b\r\n');
  assert.equal(formatReply(550, '5.0.0', 'bad\r\nRCPT TO:<x> é'), '550 5.0.0 bad??RCPT TO:<x> ?\r\n');
  assert.equal(formatReply(334, null, ''), '334 \r\n');
});

test('enhancedCode takes the class digit from the code', () => {
  assert.equal(enhancedCode(451, [3, 0]), '4.3.0');
  assert.equal(enhancedCode(220, null), null);
});

test('formatError writes an SmtpError as its reply', () => {
  assert.equal(formatError(tooBig()), '552 5.3.4 Message size exceeds fixed maximum message size\r\n');
});

test('closing marks an SmtpError to close the connection', () => {
  const e = syntax('expected BDAT size [LAST]');
  assert.equal(e.closeConnection, false);
  assert.equal(closing(e), e);
  assert.equal(e.closeConnection, true);
});
