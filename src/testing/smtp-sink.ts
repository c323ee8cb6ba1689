/**
 * Postfix's smtp-sink(1) as a real third-party SMTP peer for tests: a next hop on 127.0.0.1 that accepts every
 * message (or rejects, drops or delays the commands it is told to), and records what it received.
 *
 * How it records: `-D FILE` appends each finished transaction to one dump file, `-S` starts each one with a line
 * holding a random marker (so records split without guessing), and `-c` prints running counters ("sess=N quit=N
 * mesg=N\r") to stdout after each message. smtp-sink is single-process: an append is written whole before the
 * counter moves, so the first `mesg` records of the file are complete whenever the counter says `mesg`.
 * A record (smtp-sink(1), DUMP FILE FORMAT) is: the marker line; `X-Client-Addr:`, `X-Client-Proto:`, optional
 * `X-Helo-Args:`, one `X-Mail-Args:`, one `X-Rcpt-Args:` per RCPT (the arguments after "FROM:"/"TO:", as sent,
 * with non-printable bytes replaced by "?"); a three-line `Received:` header; the message; one empty line.
 *
 * QUIRK: smtp-sink drops every CR of the message (bare CRs too) and dot-unstuffs it, so the dump holds the
 * message with LF line ends. `SinkMessage.data` turns each LF back into CRLF: it equals the bytes the client
 * meant when those used CRLF line ends only, which RFC 5321 §2.3.8 demands of every client; a bare CR or LF is
 * not recoverable (`lf` holds the text as dumped).
 * QUIRK: a message rejected at "." (`hardReject: ['.']`) is still dumped and counted: smtp-sink writes the
 * record when it reads the terminating dot, before it replies.
 * Limits: Linux (the port is read from /proc); run as root, smtp-sink must switch users (`-u nobody`), so the
 * dump directory belongs to nobody and `dir` is made traversable (o+x). Rejections apply to every instance of a
 * command (all RCPTs, not one address); smtp-sink's EHLO never offers STARTTLS, SIZE, SMTPUTF8 or CHUNKING, and
 * ends with a bare "250 " line.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { peersRequired } from './peers.js';

/** Where Debian's postfix package installs smtp-sink (it is not on a normal user's PATH). */
export const SMTP_SINK = '/usr/sbin/smtp-sink';

/** The uid/gid smtp-sink switches to when started as root (nobody/nogroup on Debian). */
const NOBODY = 65534;

/** A command name as smtp-sink's -f/-r/-q/-Q/-W options take it ("CONNECT" is the greeting, "." the end of DATA). */
export type SinkCommand = 'CONNECT' | 'HELO' | 'EHLO' | 'MAIL' | 'RCPT' | 'DATA' | '.' | 'RSET' | 'NOOP' | 'VRFY' | 'QUIT' | 'AUTH' | 'XCLIENT' | 'XFORWARD';

/** An EHLO keyword smtp-sink can leave out; 'ESMTP' removes EHLO itself (500, so clients fall back to HELO). */
export type SinkExtension = 'PIPELINING' | '8BITMIME' | 'AUTH' | 'XCLIENT' | 'XFORWARD' | 'ENHANCEDSTATUSCODES' | 'DSN' | 'ESMTP';

const EXTENSION_FLAGS: Record<SinkExtension, string> = {
  PIPELINING: '-p', '8BITMIME': '-8', AUTH: '-a', XCLIENT: '-C', XFORWARD: '-F', ENHANCEDSTATUSCODES: '-E', DSN: '-N', ESMTP: '-e',
};

/** How to start a sink. Every option maps onto one smtp-sink(1) flag, named in its comment. */
export interface SmtpSinkOptions {
  /** A directory for the dump file (created when missing). */
  dir: string;
  /** Port on 127.0.0.1; default 0: the kernel picks a free one, read back from /proc. */
  port?: number;
  /** Name in the greeting and EHLO reply (-h); default "sink.test". */
  hostname?: string;
  /** EHLO keywords not to announce (-p -8 -a -C -F -E -N -e). */
  disable?: readonly SinkExtension[];
  /** Commands answered with the hard reply (-f; implies no PIPELINING). */
  hardReject?: readonly SinkCommand[];
  /** Commands answered with the soft reply (-r; implies no PIPELINING). */
  softReject?: readonly SinkCommand[];
  /** Commands after which the sink disconnects without a reply (-q). */
  disconnect?: readonly SinkCommand[];
  /** Commands answered with 421 and a disconnect (-Q). */
  close421?: readonly SinkCommand[];
  /** The hard reply (-B); default "500 5.3.0 Error: command failed". */
  hardReply?: string;
  /** The soft reply (-b); default "450 4.3.0 Error: command failed". */
  softReply?: string;
  /** Seconds (whole, at least 1) to wait before replying to a command (-W command:delay). */
  delays?: Partial<Record<SinkCommand, number>>;
  /** After the 354 reply, wait this many seconds, send 550 and disconnect without reading the data (-A). */
  abortAfterData?: number;
}

/** One RCPT command as received. */
export interface SinkRcpt {
  /** The address without angle brackets. */
  readonly to: string;
  /** ESMTP parameters by upper-case name (NOTIFY, ORCPT); `true` for a parameter without a value. */
  readonly params: Readonly<Record<string, string | true>>;
}

/** One finished transaction, parsed from the dump (see the module header). */
export interface SinkMessage {
  readonly clientAddr: string;
  /** 'SMTP' after HELO, 'ESMTP' after EHLO. */
  readonly proto: string;
  readonly helo: string | null;
  /** The reverse-path without angle brackets; '' for the null sender <>. */
  readonly from: string;
  /** MAIL parameters by upper-case name (SIZE, BODY, RET, ENVID, SMTPUTF8). */
  readonly fromParams: Readonly<Record<string, string | true>>;
  readonly rcpts: readonly SinkRcpt[];
  /** The message with CRLF line ends, dot-unstuffed (what the client meant; see the QUIRK in the module header). */
  readonly data: Buffer;
  /** The message as smtp-sink dumped it: LF line ends, every CR removed. */
  readonly lf: Buffer;
}

/** A running smtp-sink. */
export interface SmtpSink {
  /** "127.0.0.1:port". */
  readonly target: string;
  readonly port: number;
  readonly pid: number;
  /** Messages received so far (the `mesg` counter). */
  count(): number;
  /** Counters: sessions ended, QUIT commands, messages. */
  stats(): { sessions: number; quits: number; messages: number };
  /** Every finished message so far, in the order they finished. */
  messages(): Promise<SinkMessage[]>;
  /** Waits until at least `n` messages have arrived (rejects after `timeoutMs`), then returns all of them. */
  waitForMessages(n: number, timeoutMs?: number): Promise<SinkMessage[]>;
  /** SIGTERM, then waits (bounded) until the process has exited; SIGKILL if it has not after 5 s. */
  stop(): Promise<void>;
}

/**
 * The reason this machine cannot run smtp-sink, or null when it can.
 *
 * @example
 * ```ts
 * smtpSinkMissing(); // null on Debian with the postfix package
 * ```
 */
export function smtpSinkMissing(): string | null {
  return existsSync(SMTP_SINK) ? null : `smtp-sink is not installed (${SMTP_SINK}, Debian package postfix)`;
}

/**
 * Skips the test with `missing` as the reason, or fails it under POSTROOM_REQUIRE_PEERS=1 (as peers.ts's
 * needPeer does, for reasons other than a missing command: "needs root"). True when nothing is missing.
 *
 * @example
 * ```ts
 * test('…', async (t) => { if (!needReady(t, smtpSinkMissing())) return; … });
 * ```
 */
export function needReady(t: TestContext, missing: string | null): boolean {
  if (missing === null) return true;
  if (peersRequired) throw new Error(`Required peer unavailable: ${missing} (POSTROOM_REQUIRE_PEERS=1; run scripts/install-peers)`);
  t.skip(missing);
  return false;
}

/** The listening TCP port of process `pid` on 127.0.0.1, from its socket inodes and /proc/net/tcp; null if none yet. */
function listeningPort(pid: number): number | null {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed between the listing and the read
    }
  }
  // proc(5): "sl local_address rem_address st … inode"; local_address is HEXIP:HEXPORT, st 0A is LISTEN.
  for (const line of readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A' && f[1]?.startsWith('0100007F:') && inodes.has(f[9] ?? '')) return parseInt(f[1].slice(9), 16);
  }
  return null;
}

/**
 * Splits "<path> PARAM=x FLAG" (an X-Mail-Args or X-Rcpt-Args value) into the path without brackets and the
 * parameters by upper-case name (RFC 5321 §4.1.2; quoted local parts may hold ">").
 *
 * @example
 * ```ts
 * parseArgs('<> RET=HDRS ENVID=Q+2Bx'); // { path: '', params: { RET: 'HDRS', ENVID: 'Q+2Bx' } }
 * ```
 */
export function parseArgs(args: string): { path: string; params: Record<string, string | true> } {
  let i = 0;
  let addr: string;
  if (args.startsWith('<')) {
    let quoted = false;
    for (i = 1; i < args.length; i++) {
      const c = args[i];
      if (c === '\\') i++;
      else if (c === '"') quoted = !quoted;
      else if (c === '>' && !quoted) break;
    }
    addr = args.slice(1, i);
    i++;
  } else {
    i = args.indexOf(' ') < 0 ? args.length : args.indexOf(' ');
    addr = args.slice(0, i);
  }
  const params: Record<string, string | true> = {};
  for (const p of args.slice(i).trim().split(/\s+/).filter(Boolean)) {
    const eq = p.indexOf('=');
    if (eq < 0) params[p.toUpperCase()] = true;
    else params[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1);
  }
  return { path: addr, params };
}

/**
 * Parses one dump record (without the marker line) as smtp-sink(1) writes it.
 *
 * @example
 * ```ts
 * const m = parseSinkRecord(Buffer.from('X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Mail-Args: <>\n' +
 *   'X-Rcpt-Args: <b@y.test> NOTIFY=NEVER\nReceived: from [127.0.0.1] ([127.0.0.1])\n\tby s (smtp-sink) with ESMTP id 1;\n' +
 *   '\tThu, 26 Nov 2026 15:53:44 +0000 (UTC)\nSubject: x\n\nbody\n\n'));
 * m.from === '' && m.rcpts[0].params.NOTIFY === 'NEVER' && m.data.toString() === 'Subject: x\r\n\r\nbody\r\n';
 * ```
 */
export function parseSinkRecord(rec: Buffer): SinkMessage {
  const fields: [string, string][] = [];
  let at = 0;
  for (;;) {
    const nl = rec.indexOf(0x0a, at);
    if (nl < 0) throw new Error(`Cannot parse smtp-sink record: no Received header in ${JSON.stringify(rec.toString('latin1', 0, 300))}`);
    const line = rec.toString('latin1', at, nl);
    at = nl + 1;
    if (line.startsWith('Received: ')) break;
    const colon = line.indexOf(': ');
    if (colon < 0) throw new Error(`Cannot parse smtp-sink record line: ${JSON.stringify(line)}`);
    fields.push([line.slice(0, colon), line.slice(colon + 2)]);
  }
  while (rec[at] === 0x09) at = rec.indexOf(0x0a, at) + 1; // the Received header's two continuation lines
  if (rec[rec.length - 1] !== 0x0a) throw new Error('Cannot parse smtp-sink record: it does not end with the empty line');
  const lf = rec.subarray(at, rec.length - 1);
  const get = (name: string) => fields.find(([k]) => k === name)?.[1] ?? null;
  const mail = parseArgs(get('X-Mail-Args') ?? '');
  const utf8 = (s: string) => Buffer.from(s, 'latin1').toString('utf8');
  return {
    clientAddr: get('X-Client-Addr') ?? '',
    proto: get('X-Client-Proto') ?? '',
    helo: get('X-Helo-Args'),
    from: utf8(mail.path),
    fromParams: mail.params,
    rcpts: fields.filter(([k]) => k === 'X-Rcpt-Args').map(([, v]) => {
      const r = parseArgs(v);
      return { to: utf8(r.path), params: r.params };
    }),
    data: Buffer.from(lf.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'),
    lf,
  };
}

/**
 * Starts smtp-sink on 127.0.0.1 (see the module header for what it records and how).
 *
 * @example
 * ```ts
 * const sink = await startSmtpSink({ dir, disable: ['DSN'] });
 * t.after(() => sink.stop());
 * await sendMessage(sink.target, { from: 'a@x.test', to: ['b@y.test'], data: Buffer.from('Subject: x\r\n\r\nhi\r\n') });
 * (await sink.waitForMessages(1))[0].data.toString() === 'Subject: x\r\n\r\nhi\r\n';
 * ```
 */
export async function startSmtpSink(o: SmtpSinkOptions): Promise<SmtpSink> {
  const missing = smtpSinkMissing();
  if (missing) throw new Error(`Cannot start smtp-sink: ${missing}`);
  const root = process.getuid?.() === 0;
  const dumpDir = path.join(o.dir, 'smtp-sink');
  mkdirSync(dumpDir, { recursive: true });
  if (root) {
    chmodSync(o.dir, statSync(o.dir).mode & 0o7777 | 0o001); // nobody walks through to the dump directory
    chownSync(dumpDir, NOBODY, NOBODY);
  }
  const dump = path.join(dumpDir, 'dump');
  const marker = `X-Postroom-Sink-Record: ${randomBytes(12).toString('hex')}`;
  const list = (cmds: readonly SinkCommand[]) => cmds.join(',');
  const args = [
    '-c', '-h', o.hostname ?? 'sink.test', '-S', `${marker}\\n`, '-D', dump.replace(/%/g, '%%'),
    ...(root ? ['-u', 'nobody'] : []),
    ...(o.disable ?? []).map((e) => EXTENSION_FLAGS[e]),
    ...(o.hardReject?.length ? ['-f', list(o.hardReject)] : []),
    ...(o.softReject?.length ? ['-r', list(o.softReject)] : []),
    ...(o.disconnect?.length ? ['-q', list(o.disconnect)] : []),
    ...(o.close421?.length ? ['-Q', list(o.close421)] : []),
    ...(o.hardReply ? ['-B', o.hardReply] : []),
    ...(o.softReply ? ['-b', o.softReply] : []),
    ...Object.entries(o.delays ?? {}).flatMap(([cmd, s]) => ['-W', `${cmd}:${s}`]),
    ...(o.abortAfterData !== undefined ? ['-A', String(o.abortAfterData)] : []),
    `127.0.0.1:${o.port ?? 0}`, '64',
  ];
  const child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.setEncoding('latin1').on('data', (s: string) => (stdout = (stdout + s).slice(-4096)));
  child.stderr.setEncoding('latin1').on('data', (s: string) => (stderr = (stderr + s).slice(-8192)));
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Cannot start smtp-sink: spawn failed`);
  // A test that forgets stop() must neither hang the runner nor leave the sink running.
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  for (const h of [child, child.stdout, child.stderr] as unknown as { unref(): void }[]) h.unref();

  let port: number | null = null;
  for (let i = 0; i < 250 && port === null && !exited; i++) {
    try {
      port = listeningPort(pid);
    } catch {
      // /proc/PID is gone: it exited; the exit event follows
    }
    if (port === null) await new Promise((r) => setTimeout(r, 20));
  }
  if (port === null) {
    process.removeListener('exit', onExit);
    child.ref();
    child.kill('SIGKILL');
    await exit;
    throw new Error(`Cannot start smtp-sink ${args.join(' ')}: ${stderr.trim() || 'it did not listen within 5 s'}`);
  }

  const stats = () => {
    const complete = stdout.slice(0, stdout.lastIndexOf('\r')); // each line ends with CR; the last may be partial
    const m = /sess=(\d+) quit=(\d+) mesg=(\d+)$/.exec(complete.slice(complete.lastIndexOf('\r') + 1));
    return m ? { sessions: Number(m[1]), quits: Number(m[2]), messages: Number(m[3]) } : { sessions: 0, quits: 0, messages: 0 };
  };
  const messages = async () => {
    const n = stats().messages; // read before the file: at least n records are complete in it
    if (n === 0) return [];
    const text = readFileSync(dump);
    const starts: number[] = [];
    const head = Buffer.from(`${marker}\n`, 'latin1');
    for (let at = text.indexOf(head); at >= 0; at = text.indexOf(Buffer.from(`\n${marker}\n`, 'latin1'), at + 1)) {
      starts.push(at === 0 ? 0 : at + 1);
      if (starts.length > n) break;
    }
    if (starts.length < n) throw new Error(`smtp-sink counted ${n} messages but its dump holds ${starts.length}`);
    return starts.slice(0, n).map((s, i) => parseSinkRecord(text.subarray(s + head.length, i + 1 < starts.length ? starts[i + 1] : text.length)));
  };
  let stopped: Promise<void> | undefined;
  return {
    target: `127.0.0.1:${port}`,
    port,
    pid,
    count: () => stats().messages,
    stats,
    messages,
    async waitForMessages(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (stats().messages < n) {
        if (exited) throw new Error(`smtp-sink exited while waiting for ${n} messages: ${stderr.trim()}`);
        if (Date.now() > deadline) throw new Error(`smtp-sink received ${stats().messages} of ${n} messages within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return messages();
    },
    stop: () =>
      (stopped ??= (async () => {
        process.removeListener('exit', onExit);
        if (exited) return;
        child.ref(); // keeps the event loop alive until the exit event
        const exitWithin = async (ms: number) => {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
          return Promise.race([exit.then(() => true), late]).finally(() => clearTimeout(timer));
        };
        child.kill('SIGTERM');
        if (await exitWithin(5000)) return;
        child.kill('SIGKILL');
        if (!(await exitWithin(2000))) throw new Error(`smtp-sink ${pid} did not exit after SIGKILL`);
      })()),
  };
}

export { sendMessage, type SendRcpt } from './smtp-send.js';
