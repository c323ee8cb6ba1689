import test from 'node:test';
import assert from 'node:assert/strict';
import { defaultSmtpLimits, resolveSmtpLimits } from './limits.js';

test('defaultSmtpLimits are the defaults of issue 3 §4', () => {
  assert.deepEqual(
    { ...defaultSmtpLimits },
    {
      maxLineBytes: 4096,
      maxAuthLineBytes: 12288,
      maxMessageBytes: 25 * 1024 * 1024,
      maxRecipients: 1000,
      maxErrors: 20,
      maxConnections: 1000,
      maxConnectionsPerIp: 20,
      commandTimeoutMs: 300_000,
      sessionTimeoutMs: 3_600_000,
      minDataRate: 500,
      authFailureDelayMs: 2000,
      authMaxFailures: 10,
      authWindowMs: 900_000,
    },
  );
});

test('resolveSmtpLimits applies overrides and refuses bad values with the key in the message', () => {
  assert.equal(resolveSmtpLimits({ maxRecipients: 5 }).maxRecipients, 5);
  assert.equal(resolveSmtpLimits({ minDataRate: 0 }).minDataRate, 0);
  assert.throws(() => resolveSmtpLimits({ maxRecipients: 0 }), /maxRecipients: 0/);
  assert.throws(() => resolveSmtpLimits({ maxMessageBytes: 1.5 }), /maxMessageBytes/);
  assert.throws(() => resolveSmtpLimits({ maxAuthLineBytes: 100 }), /maxAuthLineBytes/);
});
