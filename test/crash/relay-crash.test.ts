/**
 * The relay crash test of issue 5 §4 (`npm run test:crash`, also part of `npm test`): 1,000 accepted small messages
 * from 8 concurrent SMTP clients to recipients in another domain (remote.test), over the SMTP port from a trusted
 * network (trusted_networks = 127.0.0.0/8, so port 25 relays without AUTH), while `postroom start` relays them to
 * Postfix's smtp-sink and is killed with SIGKILL 10 times, each time started again on the same ports and data
 * directory. Kill moments: in the middle of DATA, just after the final dot, right after the sink counted a relayed
 * message (between the next hop's 250 and the settle: the message is sent again), at random times, and once as
 * the load ends. At the end (server up, queue drained, then stopped) the sink's dump is read: every acknowledged
 * message reached the sink at least once for each of its recipients, byte for byte after the relay's Received
 * field; copies beyond the first are counted and reported, not failed (relaying is at least once); a loss fails.
 *
 * Reuses the SMTP crash test's pieces: the load and ledger (crash-load.ts), the restartable server (crash-server.ts;
 * it names no next hop, so the config routes remote.test to the sink: a static route comes before the smarthost
 * the daemon helper sets), and the seeded PRNG. POSTROOM_CRASH_SEED=<seed> replays the kill plan and the load.
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
import { smtpSinkMissing, startSmtpSink } from '../../src/testing/smtp-sink.js';
import { verifyRelay } from '../../src/testing/relay-crash-verify.js';

const CLIENTS = 8;
const MESSAGES = 1000;
const RCPTS = ['ann@remote.test', 'bob@remote.test', 'cyd@remote.test'];
const KINDS = ['relaying', 'mid-data', 'after-dot', 'random'] as const;
type KillKind = (typeof KINDS)[number] | 'load-end';
/** Kills while the load runs (kinds in equal parts, relaying first among equals); one more as the load ends. */
const LOAD_KILLS = 9;
/** Bounds: the load (kills included), the queue draining afterwards, the arming of a kill that waits for a moment. */
const LOAD_MS = 60_000;
const DRAIN_MS = 30_000;
const ARM_MS = 3_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface KillStep {
  readonly kind: KillKind;
  readonly uptimeMs: number;
  readonly downMs: number;
  readonly afterDotMs: number;
  /** relaying: how many more messages the sink counts before the kill. */
  readonly relayed: number;
}

function killPlan(rnd: () => number): KillStep[] {
  const kinds: KillKind[] = Array.from({ length: LOAD_KILLS }, (_, i) => KINDS[i % KINDS.length]!);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const step = (kind: KillKind): KillStep => ({
    kind,
    uptimeMs: rnd() < 0.2 ? Math.floor(rnd() * 100) : 300 + Math.floor(rnd() * 1500),
    downMs: Math.floor(rnd() * 500),
    afterDotMs: rnd() < 0.5 ? 0 : Math.floor(rnd() * 4),
    relayed: 1 + Math.floor(rnd() * 20),
  });
  return [...kinds.map(step), step('load-end')];
}

async function queueItems(dataDir: string): Promise<number> {
  const r = await runCli(['status', '--json', '--data-dir', dataDir]);
  if (r.code !== 0) throw new Error(`postroom status failed: ${r.err}`);
  return (JSON.parse(r.out) as { queue: { items: number } }).queue.items;
}

test('postroom start relays every acknowledged message to smtp-sink at least once when SIGKILLed while relaying', { timeout: LOAD_MS + DRAIN_MS + 60_000 }, async (t) => {
  const missing = smtpSinkMissing();
  if (missing) {
    if (process.env['POSTROOM_REQUIRE_PEERS'] === '1') assert.fail(missing);
    t.skip(missing);
    return;
  }
  const seed = (Number(process.env['POSTROOM_CRASH_SEED'] ?? randomInt(2 ** 31)) >>> 0);
  const run = seed.toString(36);
  const rnd = prng(seed);
  const plan = killPlan(rnd);
  const replay = `seed ${seed} (replay with POSTROOM_CRASH_SEED=${seed})`;
  t.diagnostic(replay);
  const started = Date.now();

  const work = tempDir(t, 'postroom-relay-crash-');
  const sink = await startSmtpSink({ dir: work });
  t.after(() => sink.stop());
  const dataDir = path.join(work, 'data');
  const config = path.join(work, 'postroom.toml');
  writeFileSync(
    config,
    [
      'trusted_networks = ["127.0.0.0/8"]',
      '[queue]',
      'min_backoff = "1s"',
      'max_backoff = "2s"',
      '[routes]',
      `"remote.test" = "[127.0.0.1]:${sink.port}"`,
      '',
    ].join('\n'),
  );
  const server = await CrashServer.start(t, { dataDir, hostname: 'mx.relay-crash.test', domain: 'relay-crash.test', config });

  const ledger = new Ledger();
  const kills = new KillSwitch();
  let stopLoad = false;
  const loadDeadline = started + LOAD_MS;
  const clients = Array.from(
    { length: CLIENTS },
    (_, index) =>
      new LoadClient({
        index, clients: CLIENTS, host: server.smtp.host, port: server.smtp.port, users: RCPTS, run, seed, ledger, kills,
        shouldStop: () => stopLoad, deadline: loadDeadline, maxMessages: Math.ceil((2 * MESSAGES) / CLIENTS),
      }),
  );
  const load = Promise.all(clients.map((c) => c.run()));

  const done: string[] = [];
  /** The sink's count while the killed server was down (for the duplicates' attribution). */
  const killedAt: { how: string; sinkCount: number }[] = [];
  const selfExits: string[] = [];
  let stats: ClientStats[] = [];
  let loadMs = 0;
  for (const step of plan) {
    if (step.kind === 'load-end') {
      // Enough messages, then stop the load and kill at once: the last messages are still being relayed.
      while (ledger.count('acked') < MESSAGES && Date.now() < loadDeadline) await sleep(50);
      stopLoad = true;
      stats = await load;
      loadMs = Date.now() - started;
    } else {
      if (Date.now() > loadDeadline) break;
      await sleep(step.uptimeMs);
    }
    const { how, end } = await killOnce(server, kills, {
      kind: step.kind,
      immediate: step.kind === 'random' || step.kind === 'load-end',
      afterDotMs: step.afterDotMs,
      armMs: ARM_MS,
      ...(step.kind === 'relaying'
        ? {
            arm: (fire: (what: string) => void) => {
              // smtp-sink counts a message when it has dumped it, as it answers 250: kill right after (polled every ms).
              const goal = sink.count() + step.relayed;
              const poll = setInterval(() => {
                if (sink.count() >= goal) fire('relaying');
              }, 1);
              return () => clearInterval(poll);
            },
          }
        : {}),
    });
    if (end.signal !== 'SIGKILL') selfExits.push(`pid ${end.pid} exited by itself (code ${end.code}, signal ${end.signal}):\n${end.stderrTail}`);
    // Down for a while (at least 50 ms, so the sink's counter, read through a pipe, has caught up with the dead
    // server's last message before the count is taken).
    await sleep(Math.max(50, step.downMs));
    if (end.signal === 'SIGKILL') {
      done.push(how);
      killedAt.push({ how, sinkCount: sink.count() });
    }
    await server.restart();
  }
  if (!stopLoad) {
    stopLoad = true;
    stats = await load;
    loadMs = Date.now() - started;
  }

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
  // The sink's counter reaches us through a pipe: read the dump once it has stopped moving (bounded).
  for (let i = 0, last = -1; i < 20 && sink.count() !== last; i++) {
    last = sink.count();
    await sleep(250);
  }
  const v = verifyRelay(await sink.messages(), ledger);

  const sum = (f: (s: ClientStats) => number): number => stats.reduce((n, s) => n + f(s), 0);
  const unexpected = stats.flatMap((s) => s.unexpected);
  const byKind = new Map<string, number>();
  for (const k of done) byKind.set(k, (byKind.get(k) ?? 0) + 1);
  // A copy beyond the first comes from the first kill after the copy before it (its settle was lost then).
  const dupByKill = killedAt.map(() => 0);
  for (const prev of v.duplicateOf) {
    const k = killedAt.findIndex((x) => x.sinkCount > prev);
    if (k >= 0) dupByKill[k]!++;
  }
  const unattributed = v.duplicateOf.length - dupByKill.reduce((a, b) => a + b, 0);
  const totalS = ((Date.now() - started) / 1000).toFixed(1);
  t.diagnostic(
    `relay crash: accepted ${ledger.count('acked')}, delivered ${v.delivered} (lost ${v.lost.length}), duplicates ${v.duplicateCopies} copies ` +
      `of ${v.duplicatedMessages} messages, kills ${done.length}; sink records ${v.records}, unacknowledged ${ledger.count('unacked')} ` +
      `(relayed ${v.unackedDelivered}), ${totalS} s`,
  );
  t.diagnostic(`kills ${done.length}: ${[...byKind].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  t.diagnostic(
    `duplicates per kill (kind: copies): ${killedAt.map((k, i) => `${k.how}: ${dupByKill[i]}`).join(', ')}; after no kill ${unattributed}; ` +
      `most copies of one message to one recipient ${v.maxCopies}`,
  );
  t.diagnostic(
    `messages tried ${ledger.messages.size}, aborted before the dot ${ledger.count('aborted')}, refused ${ledger.count('refused')}; ` +
      `connections ${sum((s) => s.connects)}, refused connects ${sum((s) => s.connectFailures)}, broken sessions ${sum((s) => s.brokenSessions)}, ` +
      `unexpected replies ${unexpected.length}; error log lines ${server.counts.errors}; load ${(loadMs / 1000).toFixed(1)} s, ` +
      `drain ${(drainMs / 1000).toFixed(1)} s (queue items left ${items})`,
  );
  for (const s of v.duplicateSamples) t.diagnostic(`duplicate: ${s}`);
  for (const s of server.counts.errorSamples) t.diagnostic(`error log: ${s}`);
  for (const u of unexpected.slice(0, 5)) t.diagnostic(`unexpected reply: ${u}`);
  const show = (xs: readonly string[]): string => `${replay}\n${xs.slice(0, 20).join('\n')}${xs.length > 20 ? `\n… ${xs.length - 20} more` : ''}`;

  assert.deepEqual(selfExits, [], `the server died only of our SIGKILLs; ${replay}`);
  assert.ok(done.length >= 8, `at least 8 kills (${done.length}); ${replay}`);
  assert.ok(byKind.has('relaying'), `a kill while relaying; ${replay}`);
  assert.ok(ledger.count('acked') >= MESSAGES, `at least ${MESSAGES} messages accepted (${ledger.count('acked')}); ${replay}`);
  assert.equal(items, 0, `the queue drains within ${DRAIN_MS / 1000} s after the load; ${replay}`);
  assert.deepEqual(v.lost, [], `acknowledged messages reach the sink: ${show(v.lost)}`);
  assert.deepEqual(v.corrupt, [], `every relayed copy is the message as sent after one Received field: ${show(v.corrupt)}`);
  assert.deepEqual(v.unknown, [], `the sink holds only the load's messages for their recipients: ${show(v.unknown)}`);
  assert.deepEqual(v.neverAccepted, [], `messages never accepted are not relayed: ${show(v.neverAccepted)}`);
  assert.deepEqual(v.partial, [], `an unacknowledged message reaches all its recipients or none: ${show(v.partial)}`);
  assert.deepEqual(unexpected.filter((u) => /: 5\d\d/.test(u)), [], `no 5xx replies: ${replay}`);
  assert.equal(stopCode, 0, `SIGTERM stops the server cleanly; ${replay}`);
});
