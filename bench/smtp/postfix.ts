/**
 * A private Postfix instance for `npm run bench:smtp`: its own config_directory, queue_directory and
 * data_directory in a temp directory, one loopback SMTP port, and virtual(8) Maildir delivery for one address.
 *
 * Guarantees: the system's Postfix (/etc/postfix, /var/spool/postfix) is neither read nor changed; the instance
 * listens on 127.0.0.1 only, makes no DNS queries (no client hostname lookup, no remote delivery), and `stop()`
 * waits until its master has exited. Everything else is Postfix 3.x's default: one fsync per queue file (cleanup)
 * and per delivered Maildir file (virtual), in_flow_delay 1 s, 100 processes per service, 20 parallel deliveries
 * per destination, logging through postlogd to a file (the file takes the place of syslog).
 * The instance itself (directories, master.cf, start, bounded stop) is src/testing/postfix.ts's, shared with the
 * tests' Postfix peers; this file adds the benchmark's main.cf and the Maildir counters.
 * Limits: needs root (master runs as root and drops to `postfix`) and Debian's layout (/usr/lib/postfix/sbin).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import * as path from 'node:path';
import type { Mailbox } from './load.js';
import { baseParams, MAILDIR_OWNER, masterCf, renderMainCf, startPostfixMaster } from '../../src/testing/postfix-master.js';

export { freePort, postfixMissing } from '../../src/testing/postfix-master.js';

/** The writer named in the first line of main.cf and master.cf. */
const WRITER = 'bench/smtp/postfix.ts for one benchmark run';

/** A running instance. */
export interface PostfixInstance {
  readonly version: string;
  /** host:port of its SMTP service. */
  readonly target: string;
  readonly masterPid: number;
  readonly recipient: string;
  /** The recipient's Maildir: `count()` lists Maildir/new, `progress()` counts the deliveries logged so far. */
  readonly mailbox: Mailbox;
  /** `postfix stop`, then waits (bounded) for the master to exit. */
  stop(): Promise<void>;
}

/** The shared private-instance parameters (src/testing/postfix.ts) plus virtual(8) Maildir delivery for one address. */
function mainCf(dir: string, domain: string, local: string): string {
  return renderMainCf(WRITER, {
    ...baseParams(dir, `postfix.${domain}`, domain),
    virtual_mailbox_domains: domain,
    virtual_mailbox_base: `${dir}/vmail`,
    virtual_mailbox_maps: `inline:{ ${local}@${domain}=${local}/Maildir/ }`,
    virtual_uid_maps: `static:${MAILDIR_OWNER}`,
    virtual_gid_maps: `static:${MAILDIR_OWNER}`,
  });
}

/**
 * Counts virtual(8)'s `status=sent` log lines, reading only what was appended since the last call: listing a
 * Maildir of 10,000 files takes about 6 ms of CPU, too much to repeat every 20 ms next to the server under test.
 * Throws on a bounce or deferral, which would otherwise only show as a stall.
 */
function logTail(file: string): () => number {
  let offset = 0;
  let sent = 0;
  let partial = '';
  const buf = Buffer.alloc(1 << 20);
  return () => {
    if (!existsSync(file)) return sent;
    const fd = openSync(file, 'r');
    try {
      for (let n = readSync(fd, buf, 0, buf.length, offset); n > 0; n = readSync(fd, buf, 0, buf.length, offset)) {
        offset += n;
        const lines = (partial + buf.toString('latin1', 0, n)).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.includes(' status=sent ')) sent++;
          else if (/ status=(bounced|deferred) /.test(line)) throw new Error(`Postfix did not deliver: ${line}`);
        }
      }
    } finally {
      closeSync(fd);
    }
    return sent;
  };
}

/**
 * Configures and starts a private Postfix in `dir` (an empty directory) for `local@domain`: the master.cf of
 * src/testing/postfix.ts without its SMTP client services (the benchmark delivers locally only).
 */
export async function startPostfix(dir: string, domain: string, local: string): Promise<PostfixInstance> {
  const master = await startPostfixMaster({
    dir,
    label: "the benchmark's Postfix",
    mainCf: mainCf(dir, domain, local),
    masterCf: (port) => masterCf(port, { writer: WRITER }),
  });
  const newDir = path.join(dir, 'vmail', local, 'Maildir', 'new');
  return {
    version: master.version,
    target: master.target,
    masterPid: master.masterPid,
    recipient: `${local}@${domain}`,
    mailbox: {
      count: () => (existsSync(newDir) ? readdirSync(newDir).length : 0),
      progress: logTail(path.join(dir, 'maillog')),
    },
    stop: master.stop,
  };
}
