import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { CommandTable } from './command-table.js';
import { splitCommand } from './command-table.js';
import { runSession, toProtocolError, type EngineConn, type ProtocolErrors } from './engine.js';
import { ProtocolError } from './errors.js';
import { LineReader } from './line-reader.js';
import { silentLogger } from './log.js';

/** A toy protocol error: "-ERR text". */
class ToyError extends ProtocolError {
  readonly temporary = false;
  constructor(text: string, close = false) {
    super(text);
    this.closeConnection = close;
  }
}

type S = 'start' | 'in';

const errors: ProtocolErrors<S> = {
  unknownCommand: (v) => new ToyError(`unknown ${v}`),
  badSequence: (v, s) => new ToyError(`${v} not in ${s}`),
  tlsRequired: () => new ToyError('tls first'),
  syncError: () => new ToyError('sync', true),
  lineTooLong: () => new ToyError('too long'),
  badLine: (r) => new ToyError(r),
  tooManyErrors: () => new ToyError('too many errors', true),
  timeout: () => new ToyError('timeout', true),
  internal: () => new ToyError('internal'),
};

class ToyConn implements EngineConn<S> {
  readonly id = 'toy';
  readonly input = new PassThrough();
  readonly reader = new LineReader(this.input, { maxLineBytes: 100, idleMs: 2000 });
  readonly errors = errors;
  readonly log = silentLogger;
  readonly maxErrors = 3;
  readonly maxCommandBytes = 20;
  state: S = 'start';
  closing = false;
  idle = false;
  errorCount = 0;
  ended = 0;
  /** Each flush's output, one entry per write. */
  readonly writes: string[] = [];
  private out: string[] = [];
  tls = false;
  async greet() {
    this.out.push('+OK hi\n');
  }
  mustStartTls() {
    return this.tls;
  }
  interruption() {
    return null;
  }
  sendError(e: ProtocolError) {
    this.out.push(`-ERR ${e.message}\n`);
  }
  ok(text: string) {
    this.out.push(`+OK ${text}\n`);
  }
  pendingBytes() {
    return this.out.join('').length;
  }
  async flush() {
    if (this.out.length) this.writes.push(this.out.join(''));
    this.out = [];
  }
  async end() {
    this.ended++;
  }
}

const table: CommandTable<S, ToyConn> = {
  ECHO: { states: ['start', 'in'], utf8: true, run: async (c, arg) => c.ok(arg) },
  ENTER: { states: ['start'], run: async (c) => ((c.state = 'in'), c.ok('in')) },
  LAST: { states: ['start', 'in'], lastInGroup: true, run: async (c) => c.ok('last') },
  LONG: { states: ['start', 'in'], longLine: true, preTls: true, run: async (c, arg) => c.ok(String(arg.length)) },
  FAIL: { states: ['start', 'in'], run: async () => Promise.reject(new Error('secret internal detail')) },
  QUIT: { states: ['start', 'in'], preTls: true, run: async (c) => ((c.closing = true), c.ok('bye')) },
};

async function session(input: string | Buffer, setup?: (c: ToyConn) => void): Promise<ToyConn> {
  const c = new ToyConn();
  setup?.(c);
  c.input.end(input);
  await runSession(c, table);
  return c;
}

test('runSession answers a pipelined group in one write, in order', async () => {
  const c = await session('ECHO a\r\nECHO b\r\nECHO c\r\n');
  assert.deepEqual(c.writes, ['+OK hi\n', '+OK a\n+OK b\n+OK c\n']);
  assert.equal(c.ended, 1);
});

test('runSession checks state, TLS, line length, NUL and 8-bit bytes, and unknown verbs', async () => {
  const c = await session(Buffer.from('ECHO last\r\nFOO x\r\nENTER\r\nENTER\r\nECHO h\xe9\r\n', 'latin1'), (x) => ((x as { maxErrors: number }).maxErrors = 99));
  assert.equal(c.writes.join(''), '+OK hi\n+OK last\n-ERR unknown FOO\n+OK in\n-ERR ENTER not in in\n-ERR command line is not valid UTF-8\n');
  const d = await session('ECHO 123456789012345678\r\nLONG 123456789012345678\r\nEC\0HO\r\nECHO x\r\nQUIT\r\n', (x) => {
    x.tls = true;
    (x as { maxErrors: number }).maxErrors = 99;
  });
  assert.equal(d.writes.join(''), '+OK hi\n-ERR too long\n+OK 18\n-ERR NUL byte in command line\n-ERR tls first\n+OK bye\n');
});

test('runSession refuses a command that must end a group when more input is waiting, and closes', async () => {
  const c = await session('LAST\r\nECHO x\r\n');
  assert.equal(c.writes.join(''), '+OK hi\n-ERR sync\n');
});

test('runSession closes after maxErrors errors with tooManyErrors', async () => {
  const c = await session('X\r\nX\r\nX\r\nECHO never\r\n');
  assert.equal(c.writes.join(''), '+OK hi\n-ERR unknown X\n-ERR unknown X\n-ERR unknown X\n-ERR too many errors\n');
});

test('runSession sends a generic reply for internal errors, never their text', async () => {
  const c = await session('FAIL\r\nQUIT\r\n');
  assert.equal(c.writes.join(''), '+OK hi\n-ERR internal\n+OK bye\n');
});

test('toProtocolError passes ProtocolError through and returns null for a lost connection', async () => {
  const e = new ToyError('as is');
  assert.equal(toProtocolError(e, { id: 'x', errors, log: silentLogger }), e);
  const { ConnectionLostError } = await import('./line-reader.js');
  assert.equal(toProtocolError(new ConnectionLostError(), { id: 'x', errors, log: silentLogger }), null);
});

test('splitCommand upper-cases the verb and keeps the argument as sent', () => {
  assert.deepEqual(splitCommand('mail FROM:<a@b.example>'), { verb: 'MAIL', arg: 'FROM:<a@b.example>' });
  assert.deepEqual(splitCommand('QUIT'), { verb: 'QUIT', arg: '' });
  assert.deepEqual(splitCommand('NOOP  two'), { verb: 'NOOP', arg: ' two' });
});
