import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ephemeralLow, freePort } from './free-port.js';

test('freePort gives a port below the ephemeral range that a server can then bind on 127.0.0.1', async () => {
  const low = ephemeralLow();
  if (low <= 2048) return; // no room below the range: freePort takes the kernel's choice
  const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  for (const port of ports) {
    assert.ok(port >= 1024 && port < low, `${port} is outside [1024, ${low})`);
  }
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
  await new Promise((r) => srv.close(r));
});

test('freePort never gives a port that is taken', async () => {
  // Occupy a stretch of the range freePort draws from, then ask many times: none of those ports may come back.
  const low = ephemeralLow();
  if (low <= 2048) return;
  const from = 1024 + Math.floor((low - 1024) / 2);
  const held = [];
  for (let p = from; p < from + 600 && p < low; p++) {
    const srv = createServer();
    const ok = await new Promise<boolean>((resolve) => srv.once('error', () => resolve(false)).listen(p, '127.0.0.1', () => resolve(true)));
    if (ok) held.push({ p, srv });
  }
  try {
    const taken = new Set(held.map((h) => h.p));
    for (let i = 0; i < 300; i++) assert.ok(!taken.has(await freePort()), 'a held port came back');
  } finally {
    await Promise.all(held.map((h) => new Promise((r) => h.srv.close(r))));
  }
});
