import test from 'node:test';
import assert from 'node:assert/strict';
import { defaultPop3Limits, resolvePop3Limits } from './limits.js';

test('defaultPop3Limits are RFC 2449 §4, RFC 1939 §3 and issue 4 §2', () => {
  assert.deepEqual(
    { ...defaultPop3Limits },
    {
      maxLineBytes: 255,
      maxAuthLineBytes: 12_288,
      idleTimeoutMs: 600_000,
      sessionTimeoutMs: 3_600_000,
      maxErrors: 20,
      maxConnections: 1000,
      maxConnectionsPerIp: 20,
      authFailureDelayMs: 2000,
      authMaxFailures: 10,
      authWindowMs: 900_000,
    },
  );
  assert.ok(Object.isFrozen(defaultPop3Limits));
});

test('resolvePop3Limits applies overrides and refuses bad values with the key in the message', () => {
  assert.equal(resolvePop3Limits({ maxErrors: 5 }).maxErrors, 5);
  assert.equal(resolvePop3Limits({ authFailureDelayMs: 0 }).authFailureDelayMs, 0);
  assert.equal(resolvePop3Limits().maxLineBytes, 255);
  assert.throws(() => resolvePop3Limits({ maxErrors: 0 }), /maxErrors: 0/);
  assert.throws(() => resolvePop3Limits({ idleTimeoutMs: 1.5 }), /idleTimeoutMs/);
  assert.throws(() => resolvePop3Limits({ maxConnections: -1 }), /maxConnections/);
  assert.throws(() => resolvePop3Limits({ maxAuthLineBytes: 100 }), /maxAuthLineBytes/);
});
