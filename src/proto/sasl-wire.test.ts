import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProtocolError } from './errors.js';
import { ConnectionLostError, LineReader } from './line-reader.js';
import { saslChannel, type SaslWire } from './sasl-wire.js';

class WireError extends ProtocolError {
  readonly temporary = false;
}

const wire: SaslWire = {
  challenge: (b64) => `+ ${b64}\r\n`,
  cancelled: () => new WireError('cancelled'),
  badBase64: () => new WireError('bad base64'),
  maxLineBytes: 100,
};

function conn(input: string): { c: Parameters<typeof saslChannel>[0]; sent: string[] } {
  const src = new PassThrough();
  src.end(input);
  const sent: string[] = [];
  const queued: string[] = [];
  return {
    sent,
    c: {
      reader: new LineReader(src, { maxLineBytes: 100, idleMs: 1000 }),
      queue: (s) => void queued.push(s),
      flush: async () => void sent.push(...queued.splice(0)),
    },
  };
}

test('saslChannel decodes the initial response at once: base64, "=" for empty, none', () => {
  assert.equal(saslChannel(conn('').c, 'AGFsaWNlAHNlY3JldA==', wire).initial?.toString('latin1'), '\0alice\0secret');
  assert.equal(saslChannel(conn('').c, '=', wire).initial?.length, 0);
  assert.equal(saslChannel(conn('').c, undefined, wire).initial, null);
  assert.throws(() => saslChannel(conn('').c, 'a*b=', wire), /bad base64/);
  assert.throws(() => saslChannel(conn('').c, '*', wire), /cancelled/);
});

test('saslChannel sends the challenge in the protocol line, flushes, and decodes the response strictly', async () => {
  const { c, sent } = conn('YWxpY2U=\r\n*\r\nYW*x\r\n');
  const sasl = saslChannel(c, undefined, wire);
  assert.equal((await sasl.challenge(Buffer.from('Username:'))).toString(), 'alice');
  assert.deepEqual(sent, ['+ VXNlcm5hbWU6\r\n']);
  await assert.rejects(sasl.challenge(Buffer.alloc(0)), /cancelled/);
  await assert.rejects(sasl.challenge(Buffer.alloc(0)), /bad base64/);
  await assert.rejects(sasl.challenge(Buffer.alloc(0)), ConnectionLostError);
});
