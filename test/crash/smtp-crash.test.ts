/**
 * The crash test of issue 3 §5 (`npm run test:crash`, also part of `npm test`): at least 2,000 small messages from
 * 8 concurrent SMTP clients (plain sockets, one command at a time, several messages per connection) to three local
 * users, while `postroom start` is killed with SIGKILL at least 10 times and started again on the same ports and
 * data directory. Kill moments: in the middle of DATA, just after the final dot, while the queue runner delivers,
 * and at random times. At the end (server up, queue drained, then stopped) every mailbox is read: every
 * acknowledged message is there exactly once, nothing is there twice, nothing unknown is there, and every body is
 * byte for byte what was sent (issue 3 §3 "Durability": a process killed at any instant loses nothing acknowledged
 * and delivers nothing twice into a mailbox).
 *
 * Replay: the kill plan (kinds, moments, down times) and the clients' messages come from a seeded PRNG; the seed is
 * printed and POSTROOM_CRASH_SEED=<seed> runs the same plan again (timing on the machine still varies).
 * POSTROOM_CRASH_DRAIN_MS changes the bound on the final drain (default 30 s), to see what a longer wait brings.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { prng } from '../../src/testing/golden-gen-lib.js';
import { runCli, tempDir } from '../../src/testing/app-cli.js';
import { KillSwitch, Ledger, LoadClient, type ClientStats } from '../../src/testing/crash-load.js';
import { CrashServer, killOnce } from '../../src/testing/crash-server.js';
import { verifyCrash } from '../../src/testing/crash-verify.js';

const CLIENTS = 8;
const MIN_MESSAGES = 2000;
const USERS = ['ann@crash.test', 'bob@crash.test', 'cyd@crash.test'];
const KINDS = ['mid-data', 'after-dot', 'delivering', 'random'] as const;
type KillKind = (typeof KINDS)[number];
const KILLS_PER_KIND = 4;
/** Bounds: the load (kills included), the queue draining afterwards (POSTROOM_CRASH_DRAIN_MS, for investigations). */
const LOAD_MS = 110_000;
const DRAIN_MS = envNumber('POSTROOM_CRASH_DRAIN_MS') ?? 30_000;
/** A kill that waits for a moment (a client in DATA, a delivery) falls back to a plain kill after this. */
const ARM_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function envNumber(name: string): number | undefined {
  const s = process.env[name];
  if (s === undefined || s === '') return undefined;
  if (!/^\d+$/.test(s)) throw new Error(`${name} must be a whole number: ${s}`);
  return Number(s);
}

interface KillStep {
  readonly kind: KillKind;
  /** How long the server runs under load before the kill is armed. */
  readonly uptimeMs: number;
  /** How long it stays down. */
  readonly downMs: number;
  /** after-dot: delay between writing the dot and the kill (0 = at once). */
  readonly afterDotMs: number;
  /** delivering: how many more deliveries the child logs before the kill. */
  readonly deliveries: number;
}

/** The whole kill plan, drawn before anything runs, so a seed always gives the same plan. */
function killPlan(rnd: () => number): KillStep[] {
  const kinds: KillKind[] = KINDS.flatMap((k) => Array<KillKind>(KILLS_PER_KIND).fill(k));
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds.map((kind) => ({
    kind,
    // Now and then right after the restart, while the queue runner's first pass takes up what the last one left.
    uptimeMs: rnd() < 0.2 ? Math.floor(rnd() * 100) : 300 + Math.floor(rnd() * 1700),
    downMs: Math.floor(rnd() * 600),
    afterDotMs: rnd() < 0.5 ? 0 : Math.floor(rnd() * 4),
    deliveries: 1 + Math.floor(rnd() * 8),
  }));
}

async function queueItems(dataDir: string): Promise<number> {
  const r = await runCli(['status', '--json', '--data-dir', dataDir]);
  if (r.code !== 0) throw new Error(`postroom status failed: ${r.err}`);
  return (JSON.parse(r.out) as { queue: { items: number } }).queue.items;
}

test('postroom start loses no acknowledged message and delivers none twice when SIGKILLed under SMTP load', { timeout: LOAD_MS + DRAIN_MS + 60_000 }, async (t) => {
  const seed = (envNumber('POSTROOM_CRASH_SEED') ?? randomInt(2 ** 31)) >>> 0;
  const run = seed.toString(36);
  const rnd = prng(seed);
  const plan = killPlan(rnd);
  const replay = `seed ${seed} (replay with POSTROOM_CRASH_SEED=${seed})`;
  t.diagnostic(replay);
  const started = Date.now();

  const work = tempDir(t, 'postroom-crash-');
  const dataDir = path.join(work, 'data');
  const config = path.join(work, 'postroom.toml');
  // Deferred recipients (none expected) retry within the drain bound instead of after the default 5 minutes.
  writeFileSync(config, '[queue]\nmin_backoff = "1s"\nmax_backoff = "2s"\n');
  const server = await CrashServer.start(t, { dataDir, hostname: 'mx.crash.test', domain: 'crash.test', config });
  for (const u of USERS) {
    const r = await runCli(['user', 'add', u, '--password-stdin', '--data-dir', dataDir], 'crash test password\n');
    assert.equal(r.code, 0, r.err);
  }

  const ledger = new Ledger();
  const kills = new KillSwitch();
  let stopLoad = false;
  const loadDeadline = started + LOAD_MS;
  const clients = Array.from(
    { length: CLIENTS },
    (_, index) =>
      new LoadClient({
        index, clients: CLIENTS, host: server.smtp.host, port: server.smtp.port, users: USERS, run, seed, ledger, kills,
        shouldStop: () => stopLoad, deadline: loadDeadline, maxMessages: 4 * MIN_MESSAGES,
      }),
  );
  const load = Promise.all(clients.map((c) => c.run()));

  // The kills.
  const done: string[] = [];
  const selfExits: string[] = [];
  for (const step of plan) {
    if (Date.now() > loadDeadline) break;
    await sleep(step.uptimeMs);
    const { how, end } = await killOnce(server, kills, {
      kind: step.kind,
      immediate: step.kind === 'random',
      afterDotMs: step.afterDotMs,
      armMs: ARM_MS,
      ...(step.kind === 'delivering' ? { arm: (fire: (what: string) => void) => server.onDeliveries(step.deliveries, () => fire('delivering')) } : {}),
    });
    if (end.signal === 'SIGKILL') done.push(how);
    else selfExits.push(`pid ${end.pid} exited by itself (code ${end.code}, signal ${end.signal}):\n${end.stderrTail}`);
    await sleep(step.downMs);
    await server.restart();
  }

  // Enough messages, then stop the load (the clients finish their sessions).
  while (ledger.sent() < MIN_MESSAGES && Date.now() < loadDeadline) await sleep(100);
  stopLoad = true;
  const stats: ClientStats[] = await load;
  const loadMs = Date.now() - started;

  // Drain: the server is up; wait (bounded) for an empty queue, then stop it gracefully.
  let items = -1;
  const drainEnd = Date.now() + DRAIN_MS;
  for (let i = 0; i < DRAIN_MS / 250 && Date.now() < drainEnd; i++) {
    items = await queueItems(dataDir);
    if (items === 0) break;
    await sleep(250);
  }
  const drainMs = Date.now() - started - loadMs;
  const stopCode = await server.stop();
  const v = await verifyCrash(dataDir, USERS, ledger);

  const sum = (f: (s: ClientStats) => number): number => stats.reduce((n, s) => n + f(s), 0);
  const unexpected = stats.flatMap((s) => s.unexpected);
  const byKind = new Map<string, number>();
  for (const k of done) byKind.set(k, (byKind.get(k) ?? 0) + 1);
  t.diagnostic(
    `messages tried ${ledger.messages.size}, sent (final dot) ${ledger.sent()}, acknowledged ${ledger.count('acked')}, ` +
      `unacknowledged ${ledger.count('unacked')} (of which delivered ${v.unackedDelivered}), refused ${ledger.count('refused')}, ` +
      `aborted before the dot ${ledger.count('aborted')}`,
  );
  t.diagnostic(`kills ${done.length}: ${[...byKind].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  t.diagnostic(
    `mailbox copies ${v.copies}; deliveries logged ${server.counts.delivered}, retries that found the copy already delivered ` +
      `${server.counts.alreadyDelivered}; error log lines ${server.counts.errors}`,
  );
  t.diagnostic(
    `connections ${sum((s) => s.connects)}, refused connects ${sum((s) => s.connectFailures)}, broken sessions ${sum((s) => s.brokenSessions)}, ` +
      `unexpected replies ${unexpected.length}; load ${(loadMs / 1000).toFixed(1)} s, drain ${(drainMs / 1000).toFixed(1)} s (queue items left ${items}), ` +
      `total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const s of server.counts.errorSamples) t.diagnostic(`error log: ${s}`);
  for (const u of unexpected.slice(0, 5)) t.diagnostic(`unexpected reply: ${u}`);
  const show = (xs: readonly string[]): string => `${replay}\n${xs.slice(0, 20).join('\n')}${xs.length > 20 ? `\n… ${xs.length - 20} more` : ''}`;

  assert.deepEqual(selfExits, [], `the server died only of our SIGKILLs; ${replay}`);
  assert.ok(done.length >= 10, `at least 10 kills (${done.length}); ${replay}`);
  for (const k of ['mid-data', 'after-dot', 'delivering'] as const) assert.ok(byKind.has(k), `a kill ${k}; ${replay}`);
  assert.ok(ledger.sent() >= MIN_MESSAGES, `at least ${MIN_MESSAGES} messages sent (${ledger.sent()}); ${replay}`);
  assert.deepEqual(v.lost, [], `acknowledged messages are delivered: ${show(v.lost)}`);
  assert.deepEqual(v.duplicates, [], `no message is in a mailbox twice: ${show(v.duplicates)}`);
  assert.deepEqual(v.unknown, [], `nothing unknown is in a mailbox: ${show(v.unknown)}`);
  assert.deepEqual(v.corrupt, [], `every body is stored byte for byte: ${show(v.corrupt)}`);
  assert.deepEqual(v.misdelivered, [], `copies only go to recipients: ${show(v.misdelivered)}`);
  assert.deepEqual(v.neverAccepted, [], `messages never accepted are not delivered: ${show(v.neverAccepted)}`);
  assert.deepEqual(v.partial, [], `an unacknowledged message reaches all its recipients or none: ${show(v.partial)}`);
  assert.deepEqual(unexpected.filter((u) => /: 5\d\d/.test(u)), [], `no 5xx replies: ${replay}`);
  assert.deepEqual(v.queued, [], `the queue drains within ${DRAIN_MS / 1000} s after the load: ${show(v.queued)}`);
  assert.equal(stopCode, 0, `SIGTERM stops the server cleanly; ${replay}`);
});
