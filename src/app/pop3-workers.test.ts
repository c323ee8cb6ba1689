import test from 'node:test';
import assert from 'node:assert/strict';
import { workerNodeArgs } from './pop3-workers.js';

test('workerNodeArgs: a worker gets the server\'s node options, not those that belong to one process', () => {
  const server = ['--v8-pool-size=1', '--max-semi-space-size=4', '--stack-size=900'];
  const oneProcess = ['--inspect=9229', '--cpu-prof', '--cpu-prof-dir', '/tmp/prof', '--test-name-pattern=x', '--heap-prof', '--diagnostic-dir=/tmp/d'];
  assert.deepEqual(workerNodeArgs([...server.slice(0, 2), ...oneProcess, server[2]!]), server);
  assert.deepEqual(workerNodeArgs([]), []);
});
