import test from 'node:test';
import assert from 'node:assert/strict';
import * as reply from './reply.js';
import { Pop3Error, formatError, formatListing, formatMultiline, formatOk, type Pop3Code } from './reply.js';

// Every exported constructor, called with a representative argument, and the exact line it puts on the wire.
const expected: [name: string, args: unknown[], line: string][] = [
  ['authFailed', [], '-ERR [AUTH] Authentication failed'],
  ['maildropInUse', [], '-ERR [IN-USE] Maildrop already locked by another session'],
  ['temporaryFailure', [], '-ERR [SYS/TEMP] Temporary failure, try again later'],
  ['unknownCommand', [], '-ERR Unknown command'],
  ['badSequence', ['Already logged in'], '-ERR Already logged in'],
  ['syntax', ['STAT takes no arguments'], '-ERR Syntax error: STAT takes no arguments'],
  ['noSuchMessage', [], '-ERR No such message'],
  ['messageDeleted', [3], '-ERR Message 3 already deleted'],
  ['lineTooLong', [], '-ERR Line too long'],
  ['badLine', ['NUL byte in command line'], '-ERR Syntax error: NUL byte in command line'],
  ['tooManyErrors', [], '-ERR Too many errors'],
  ['idleTimeout', [], '-ERR Idle timeout'],
  ['internalError', [], '-ERR [SYS/TEMP] Internal error'],
  ['tooManyConnections', [], '-ERR [SYS/TEMP] Too many connections'],
  ['shuttingDown', [], '-ERR [SYS/TEMP] Server shutting down'],
  ['plaintextRefused', [true], '-ERR [AUTH] Plaintext authentication is not allowed without TLS; use STLS'],
  ['loginDelay', [], '-ERR [LOGIN-DELAY] Too many failed logins, try again later'],
  ['authCancelled', [], '-ERR Authentication cancelled'],
  ['badBase64', [], '-ERR Invalid base64 data'],
  ['unknownMechanism', [], '-ERR Unrecognized authentication mechanism'],
  ['commandUnavailable', ['APOP not available'], '-ERR APOP not available'],
  ['tlsUnavailable', [], '-ERR TLS not available'],
  ['tlsRequired', [], '-ERR [AUTH] Must issue STLS first'],
  ['syncError', [], '-ERR Protocol synchronization error'],
  ['commitFailed', [], '-ERR [SYS/TEMP] Deleting messages failed, none were deleted'],
];

/** The replies after which the server closes the connection. */
const closes = new Set(['tooManyErrors', 'idleTimeout', 'tooManyConnections', 'shuttingDown', 'loginDelay', 'syncError']);
const temporaryCodes = new Set<Pop3Code | undefined>(['IN-USE', 'SYS/TEMP', 'LOGIN-DELAY']);

const constructors = Object.entries(reply).filter(
  (e): e is [string, (...args: unknown[]) => Pop3Error] => typeof e[1] === 'function' && e[1] !== Pop3Error && !e[0].startsWith('format'),
);

test('reply.ts: the table below covers every exported constructor', () => {
  assert.deepEqual(constructors.map(([n]) => n).sort(), expected.map(([n]) => n).sort());
});

for (const [name, args, line] of expected) {
  test(`reply constructor ${name}() has a consistent code, temporary flag and closing flag`, () => {
    const make = (reply as unknown as Record<string, (...a: unknown[]) => Pop3Error>)[name]!;
    const e = make(...args);
    assert.ok(e instanceof Pop3Error);
    assert.equal(formatError(e), `${line}\r\n`);
    assert.equal(e.temporary, temporaryCodes.has(e.code), 'temporary exactly for IN-USE, SYS/TEMP and LOGIN-DELAY (RFC 3206)');
    assert.equal(e.closeConnection, closes.has(name));
    if (e.closeConnection) assert.ok(e.code === undefined || e.code === 'SYS/TEMP' || e.code === 'LOGIN-DELAY', 'a closing reply says "later" or nothing');
    assert.match(e.message, /^[A-Z]/, 'sentence case');
    assert.doesNotMatch(e.message, /\.$/, 'no final period');
    assert.match(e.message, /^[\x20-\x7e]+$/, 'printable ASCII');
    assert.ok(Buffer.byteLength(line) + 2 <= 512, 'RFC 2449 §4: responses up to 512 octets');
  });
}

test('plaintextRefused(false) does not point to STLS when there is none', () => {
  assert.equal(reply.plaintextRefused(false).message, 'Plaintext authentication is not allowed without TLS');
});

test('formatOk, formatError and formatMultiline write RFC 1939 §3 lines and keep them printable', () => {
  assert.equal(formatOk('2 320'), '+OK 2 320\r\n');
  assert.equal(formatOk(''), '+OK\r\n');
  assert.equal(formatOk('a\r\nb\x00é'), '+OK a??b??\r\n');
  assert.equal(formatError(reply.maildropInUse()), '-ERR [IN-USE] Maildrop already locked by another session\r\n');
  assert.equal(formatError(new Pop3Error('Bad\r\nthing')), '-ERR Bad??thing\r\n');
  assert.equal(formatMultiline('Capability list follows', ['TOP', 'UIDL']), '+OK Capability list follows\r\nTOP\r\nUIDL\r\n.\r\n');
  assert.equal(formatMultiline('x', ['.a', '']), '+OK x\r\n..a\r\n\r\n.\r\n');
  assert.equal(formatMultiline('x', ['1 a\r\nb', '2 c']), '+OK x\r\n1 a??b\r\n2 c\r\n.\r\n', 'a line break inside a line cannot add a line');
  assert.equal(formatMultiline('x', []), '+OK x\r\n.\r\n');
});

test('formatListing numbers every message, leaves out the undefined ones and keeps string values printable', () => {
  assert.equal(formatListing('2 messages (300 octets)', 3, (n) => (n === 2 ? undefined : 100 * n)), '+OK 2 messages (300 octets)\r\n1 100\r\n3 300\r\n.\r\n');
  assert.equal(formatListing('x', 2, (n) => ['.a', 'b\r\nc'][n - 1]), '+OK x\r\n1 .a\r\n2 b??c\r\n.\r\n', 'a value cannot add a line');
  assert.equal(formatListing('x', 0, () => 1), '+OK x\r\n.\r\n');
  assert.equal(formatListing('x', 2, () => undefined), '+OK x\r\n.\r\n');
});
