/**
 * The relays `npm run bench:relay` measures, each with its own smtp-sink as the next hop (so the counts are
 * separate): a fresh `postroom start` with `--smarthost [127.0.0.1]:SINK` and trusted_networks = 127.0.0.0/8 (so
 * smtp-source may relay through its SMTP port without AUTH), and a private Postfix (src/testing/postfix.ts) with
 * relayhost = its sink (mynetworks = 127.0.0.0/8 lets smtp-source relay). Both keep their defaults otherwise:
 * postroom fsync durability, 32 queue items at once, 20 transactions per destination and a 2 s connection cache;
 * Postfix one fsync per queue file, 20 deliveries per destination, its connection cache on demand.
 *
 * Guarantees: the "mailbox" the load polls is the sink's message counter (smtp-sink -c), so a message counts once
 * the next hop has it; `stop()` stops the server (bounded) and then the sink.
 * Limits: Postfix needs root (postfixMissing); smtp-sink must be installed (Debian's postfix package).
 */
import * as path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startPostroomChild } from '../common/postroom.js';
import type { Mailbox } from '../smtp/load.js';
import { startPostfix as startTestPostfix } from '../../src/testing/postfix.js';
import { startSmtpSink, type SmtpSink } from '../../src/testing/smtp-sink.js';

const run = promisify(execFile);

/** The domain every benchmark message goes to: no server under test receives mail for it. */
export const REMOTE_DOMAIN = 'remote.test';

/** A running relay and its sink. */
export interface Relay {
  /** Name and version for the table. */
  readonly server: string;
  /** The process whose tree is the server (CPU). */
  readonly pid: number;
  /** host:port of its SMTP service. */
  readonly target: string;
  readonly sink: SmtpSink;
  /** The sink's counter, as the load's mailbox. */
  readonly mailbox: Mailbox;
  /** Messages still in the server's queue. */
  queued(): Promise<number>;
  /** Stops the server, then the sink. */
  stop(): Promise<void>;
}

function sinkMailbox(sink: SmtpSink): Mailbox {
  return { count: () => sink.count(), progress: () => sink.count() };
}

/** Options of startPostroomRelay. */
export interface PostroomRelayOptions {
  /** The repository root (bin/postroom.js and a built dist/). */
  readonly root: string;
  /** An empty directory for the sink, the data directory, configuration and log. */
  readonly dir: string;
  readonly version: string;
  /** smtp.max_connections_per_ip (the default, 20, is what 20 sessions need). */
  readonly maxConnectionsPerIp: number;
  /** Extra options for node, before the script (`--cpu-prof` …). */
  readonly nodeArgs?: readonly string[];
}

/**
 * Starts a sink and `postroom start` relaying everything for other domains to it.
 *
 * @example
 * ```ts
 * const relay = await startPostroomRelay({ root, dir, version: '0.1.0', maxConnectionsPerIp: 20 });
 * const result = await runLoad(spec(relay.target), relay.pid, relay.mailbox);
 * await relay.stop();
 * ```
 */
export async function startPostroomRelay(o: PostroomRelayOptions): Promise<Relay> {
  mkdirSync(o.dir, { recursive: true });
  const sink = await startSmtpSink({ dir: o.dir });
  try {
    const dataDir = path.join(o.dir, 'data');
    const config = path.join(o.dir, 'postroom.toml');
    writeFileSync(
      config,
      `# Written by bench/relay/servers.ts\ntrusted_networks = ["127.0.0.0/8"]\n[smtp]\nmax_connections_per_ip = ${o.maxConnectionsPerIp}\n`,
    );
    const child = await startPostroomChild({
      root: o.root,
      dir: o.dir,
      service: 'smtp',
      args: ['--config', config, '--data-dir', dataDir, '--hostname', 'mx.bench.test', '--domain', 'bench.test', '--smarthost', `[127.0.0.1]:${sink.port}`],
      ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}),
    });
    const bin = path.join(o.root, 'bin', 'postroom.js');
    return {
      server: `postroom ${o.version}`,
      pid: child.pid,
      target: `${child.host}:${child.port}`,
      sink,
      mailbox: sinkMailbox(sink),
      async queued() {
        const { stdout } = await run(process.execPath, [bin, 'status', '--json', '--data-dir', dataDir]);
        return (JSON.parse(stdout) as { queue: { items: number } }).queue.items;
      },
      async stop() {
        try {
          await child.stop();
        } finally {
          await sink.stop();
        }
      },
    };
  } catch (err) {
    await sink.stop();
    throw err;
  }
}

/**
 * Starts a sink and a private Postfix whose relayhost is that sink.
 *
 * @example
 * ```ts
 * const relay = await startPostfixRelay(dir);
 * const result = await runLoad(spec(relay.target), relay.pid, relay.mailbox);
 * await relay.stop();
 * ```
 */
export async function startPostfixRelay(dir: string): Promise<Relay> {
  mkdirSync(dir, { recursive: true });
  const sink = await startSmtpSink({ dir });
  try {
    const pf = await startTestPostfix({ dir: path.join(dir, 'postfix'), hostname: 'postfix.bench.test', relayhost: sink.target });
    return {
      server: `Postfix ${pf.version}`,
      pid: pf.masterPid,
      target: pf.target,
      sink,
      mailbox: sinkMailbox(sink),
      queued: async () => (await pf.queue()).length,
      async stop() {
        try {
          await pf.stop();
        } finally {
          await sink.stop();
        }
      },
    };
  } catch (err) {
    await sink.stop();
    throw err;
  }
}
