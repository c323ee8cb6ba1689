import test from 'node:test';
import assert from 'node:assert/strict';
import { inTransaction, outOfSequence } from './sequence.js';

test('inTransaction is true from MAIL to the end of the body', () => {
  assert.deepEqual(
    (['connected', 'greeted', 'mail', 'rcpt', 'bdat'] as const).filter(inTransaction),
    ['mail', 'rcpt', 'bdat'],
  );
});

test('outOfSequence says what the client should have done first', () => {
  assert.equal(outOfSequence('RCPT', 'greeted').message, 'Bad sequence of commands: send MAIL first');
  assert.equal(outOfSequence('AUTH', 'rcpt').message, 'Bad sequence of commands: AUTH not allowed during a mail transaction');
});
