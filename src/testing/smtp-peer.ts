/**
 * A scripted fake SMTP server for client and relay tests (RFC 5321 conversation, STARTTLS, DATA and BDAT bodies):
 * it listens on 127.0.0.1:0, answers each command with a default reply or the one a test scripts for that verb
 * (a 4xx, a 5xx, a multi-line reply, a delay, no reply at all, a dropped connection, bytes injected after a
 * reply), and records every command line and message body it receives.
 *
 * Scripts are keyed by verb (`on.RCPT`); `END` is the reply after a body (DATA's dot or BDAT … LAST); a list is
 * used in order per occurrence of the verb over the peer's whole life (the last entry repeats); a function gets
 * the command and its occurrence number. Lines that answer a 334 challenge count as occurrences of AUTH and are
 * recorded with verb 'SASL'.
 *
 * Limits: lines over 16 KiB close the connection; a hung peer waits until the client goes or the peer closes;
 * every connection is closed by `close()` (and after the test when a TestContext is given). With
 * `keepBodies: false` only each body's size and SHA-256 are kept (memory tests).
 */
import { createHash } from 'node:crypto';
import { createServer as netServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSecureContext, createServer as tlsServer, TLSSocket } from 'node:tls';
import assert from 'node:assert/strict';
import { LineReader, type BodyReader } from '../proto/index.js';
import { SmtpClientError } from '../smtp/client/index.js';

/** What the peer does for one command. */
export interface PeerAction {
  /** Reply lines without CRLF ('250 OK', or several lines of a multi-line reply); absent: no reply. */
  readonly reply?: string | readonly string[];
  /** Bytes sent right after the reply in the same write, as they are (an injected reply, garbage). */
  readonly raw?: string | Buffer;
  /** Wait this long before replying. */
  readonly delayMs?: number;
  /** After the reply (if any), send and read nothing more until the client closes (a hung peer; a stalled DATA). */
  readonly hang?: boolean;
  /** Close the connection after the reply (or without one). */
  readonly close?: boolean;
  /** STARTTLS: start TLS after the reply (default: when the reply is 220 and the peer has `tls`). */
  readonly startTls?: boolean;
}

/** A reply ('250 OK'; lines of a multi-line reply separated by "\n") or a full action. */
export type PeerReply = string | PeerAction;
/** The script for one verb: one reply for every occurrence, a list used per occurrence (the last repeats), or a function. */
export type PeerScript = PeerReply | readonly PeerReply[] | ((cmd: PeerCommand, n: number) => PeerReply | undefined);

/** A line the peer received. */
export interface PeerCommand {
  /** The line without CRLF, as UTF-8. */
  readonly line: string;
  /** Upper-case verb ('SASL' for an answer to a 334 challenge). */
  readonly verb: string;
  readonly arg: string;
  /** The connection number (1, 2, …) and whether it was under TLS. */
  readonly session: number;
  readonly tls: boolean;
  /** More complete lines were already waiting behind this one: the client pipelined it. */
  readonly pipelined: boolean;
}

/** A body the peer received (dot-unstuffed for DATA; the chunks joined for BDAT). */
export interface PeerMessage {
  readonly session: number;
  readonly via: 'DATA' | 'BDAT';
  readonly size: number;
  readonly sha256: string;
  /** The bytes (null with keepBodies: false). */
  readonly body: Buffer | null;
}

/** How the fake peer behaves. */
export interface SmtpPeerOptions {
  /** The greeting (default '220 peer.test ESMTP'). */
  readonly greeting?: PeerReply;
  /** The EHLO capability lines after the first (default PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, SIZE 10485760; STARTTLS added when `tls` is set without `implicitTls`). */
  readonly ehlo?: readonly string[];
  /** Certificate for STARTTLS (and implicit TLS). */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** TLS from the first byte. */
  readonly implicitTls?: boolean;
  /** Scripts per verb (EHLO, HELO, MAIL, RCPT, DATA, BDAT, END, STARTTLS, AUTH, RSET, NOOP, QUIT, or any other). */
  readonly on?: Readonly<Record<string, PeerScript>>;
  /** Keep message bodies (default true). */
  readonly keepBodies?: boolean;
  /** Bound on waiting for a line or body bytes (default 30 s). */
  readonly idleMs?: number;
}

/** A running fake peer. */
export interface SmtpPeer {
  readonly port: number;
  readonly commands: PeerCommand[];
  readonly messages: PeerMessage[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** The verbs received, in order (a quick view of `commands`). */
  verbs(): string[];
  close(): Promise<void>;
}

/** The EHLO capabilities of a peer without an `ehlo` option (STARTTLS is added when it has a certificate). */
export const DEFAULT_PEER_EHLO: readonly string[] = Object.freeze(['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES', 'SIZE 10485760']);

const DEFAULTS: Record<string, PeerReply> = {
  HELO: '250 peer.test',
  MAIL: '250 2.1.0 Sender OK',
  RCPT: '250 2.1.5 Recipient OK',
  DATA: '354 End data with <CR><LF>.<CR><LF>',
  END: '250 2.0.0 Queued',
  RSET: '250 2.0.0 OK',
  NOOP: '250 2.0.0 OK',
  QUIT: { reply: '221 2.0.0 Bye', close: true },
  AUTH: '504 5.5.4 No mechanisms',
};

const asAction = (r: PeerReply): PeerAction => (typeof r === 'string' ? { reply: r } : r);
const replyLines = (a: PeerAction): readonly string[] => (a.reply === undefined ? [] : typeof a.reply === 'string' ? a.reply.split('\n') : a.reply);
/** The code of the action's reply's last line ('' without a reply). */
const codeOf = (a: PeerAction): string => (replyLines(a).at(-1) ?? '').slice(0, 3);

/** Size, SHA-256 and (optionally) the bytes of a body as it arrives. */
class BodyRecord {
  private readonly hash = createHash('sha256');
  private readonly kept: Buffer[] = [];
  size = 0;
  constructor(private readonly keep: boolean) {}
  add(c: Buffer): void {
    this.hash.update(c);
    this.size += c.length;
    if (this.keep) this.kept.push(Buffer.from(c));
  }
  done(session: number, via: 'DATA' | 'BDAT'): PeerMessage {
    return { session, via, size: this.size, sha256: this.hash.digest('hex'), body: this.keep ? Buffer.concat(this.kept) : null };
  }
}

/**
 * Starts a fake SMTP peer on 127.0.0.1:0 (closed after the test when `t` is given).
 *
 * @example
 * ```ts
 * const peer = await startSmtpPeer(t, { on: { RCPT: ['250 2.1.5 OK', '550 5.1.1 No such user'] } });
 * // … connect a client to peer.port …
 * peer.verbs(); // ['EHLO', 'MAIL', 'RCPT', 'RCPT', 'DATA', 'QUIT']
 * ```
 */
export async function startSmtpPeer(t: TestContext | null, o: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const commands: PeerCommand[] = [];
  const messages: PeerMessage[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const secureContext = o.tls ? createSecureContext({ key: o.tls.key, cert: o.tls.cert }) : null;
  let connections = 0;

  const script = (verb: string, cmd: PeerCommand | null, fallback: PeerReply): PeerAction => {
    const n = counts.get(verb) ?? 0;
    counts.set(verb, n + 1);
    const s = o.on?.[verb];
    let r: PeerReply | undefined;
    if (typeof s === 'function') r = cmd ? s(cmd, n) : undefined;
    else if (Array.isArray(s)) r = (s as readonly PeerReply[])[Math.min(n, s.length - 1)];
    else r = s as PeerReply | undefined;
    return asAction(r ?? fallback);
  };

  const session = async (first: Socket, secureFromStart: boolean): Promise<void> => {
    const id = ++connections;
    let sock: Socket = first;
    let tls = secureFromStart;
    const reader = new LineReader(sock, { maxLineBytes: 16 * 1024, idleMs: o.idleMs ?? 30_000 });
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const write = (data: string | Buffer): void => {
      if (!sock.destroyed) sock.write(data);
    };
    /** Runs an action; false when the session is over. */
    const act = async (a: PeerAction): Promise<boolean> => {
      if (a.delayMs) await sleep(a.delayMs);
      // One write for the reply and `raw`, so an injected reply arrives in the same segment as the real one.
      const lines: Buffer[] = replyLines(a).map((l) => Buffer.from(`${l}\r\n`, 'utf8'));
      if (a.raw !== undefined) lines.push(typeof a.raw === 'string' ? Buffer.from(a.raw, 'utf8') : a.raw);
      if (lines.length > 0) write(Buffer.concat(lines));
      if (a.hang) {
        await closed; // read nothing more: the client's writes back up
        return false;
      }
      if (a.close) {
        sock.end();
        return false;
      }
      return true;
    };
    const receive = async (part: BodyReader, into: BodyRecord): Promise<void> => {
      for (let c; (c = await part.read()) !== null; ) into.add(c);
    };

    if (!(await act(asAction(o.greeting ?? '220 peer.test ESMTP')))) return;
    let sasl = false;
    let bdat: BodyRecord | null = null;
    for (;;) {
      const raw = await reader.readLine();
      if (raw === null) return;
      const line = raw.toString('utf8');
      const m = /^(\S*) ?(.*)$/s.exec(line)!;
      const verb: string = sasl ? 'SASL' : m[1]!.toUpperCase();
      const cmd: PeerCommand = { line, verb, arg: sasl ? line : m[2]!, session: id, tls, pipelined: reader.hasBufferedLine() };
      commands.push(cmd);
      if (verb === 'MAIL' || verb === 'RSET') bdat = null; // a new transaction forgets unfinished chunks
      let a: PeerAction;
      switch (verb) {
        case 'EHLO': {
          const ext = (o.ehlo ?? [...DEFAULT_PEER_EHLO, ...(o.tls && !o.implicitTls ? ['STARTTLS'] : [])]).filter((e) => !(tls && e === 'STARTTLS'));
          a = script(verb, cmd, { reply: ['peer.test Hello', ...ext].map((l, i, all) => `250${i === all.length - 1 ? ' ' : '-'}${l}`) });
          break;
        }
        case 'STARTTLS':
          a = script(verb, cmd, secureContext ? '220 2.0.0 Ready to start TLS' : '454 4.7.0 TLS not available');
          break;
        case 'SASL':
          a = script('AUTH', cmd, '535 5.7.8 Authentication failed');
          break;
        case 'DATA': {
          a = script(verb, cmd, DEFAULTS.DATA!);
          if (!(await act(a))) return;
          if (codeOf(a) !== '354') continue;
          const rec = new BodyRecord(o.keepBodies !== false);
          await receive(reader.dotBody({ normalize: false }), rec);
          messages.push(rec.done(id, 'DATA'));
          if (!(await act(script('END', cmd, DEFAULTS.END!)))) return;
          continue;
        }
        case 'BDAT': {
          const bm = /^(\d+)( +LAST)?\s*$/i.exec(m[2]!);
          if (!bm) {
            await act({ reply: '501 5.5.4 Syntax error', close: true });
            return;
          }
          // The chunk is read whatever the reply, so its bytes are never taken for commands (RFC 3030 §2).
          bdat ??= new BodyRecord(o.keepBodies !== false);
          await receive(reader.take(Number(bm[1])), bdat);
          if (bm[2]) {
            messages.push(bdat.done(id, 'BDAT'));
            bdat = null;
            if (!(await act(script('END', cmd, DEFAULTS.END!)))) return;
            continue;
          }
          a = script(verb, cmd, `250 2.0.0 ${bm[1]} octets received`);
          break;
        }
        default:
          a = script(verb, cmd, DEFAULTS[verb] ?? '500 5.5.2 Command not recognized');
      }
      if (!(await act(a))) return;
      sasl = (verb === 'SASL' || verb === 'AUTH') && codeOf(a) === '334';
      const wantsTls = a.startTls ?? codeOf(a) === '220';
      if (verb === 'STARTTLS' && wantsTls && secureContext) {
        const secure = new TLSSocket(sock, { isServer: true, secureContext });
        secure.on('error', () => secure.destroy());
        reader.upgrade(secure); // RFC 3207 §4.2: discard what came before the handshake
        sock = secure;
        tls = true;
      }
    }
  };

  const run = (s: Socket, secure: boolean): void => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
    session(s, secure)
      .catch(() => undefined)
      .finally(() => {
        s.end(); // let a last reply go out, then make sure the socket goes
        setTimeout(() => s.destroy(), 500).unref();
      });
  };
  const server: Server =
    o.implicitTls && secureContext
      ? tlsServer({ secureContext }, (s) => run(s, true))
      : netServer((s) => run(s, false));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t?.after(close);
  return {
    port,
    commands,
    messages,
    get connections() {
      return connections;
    },
    verbs: () => commands.map((c) => c.verb),
    close,
  };
}

/**
 * Awaits a client operation that must fail with an SmtpClientError, and returns the error (for its reply and status).
 *
 * @example
 * ```ts
 * const err = await expectClientFailure(conn.send(envelope, body));
 * assert.equal(err.reply?.code, 552);
 * ```
 */
export async function expectClientFailure(p: Promise<unknown>): Promise<SmtpClientError> {
  const err = await p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SmtpClientError, String(err));
  return err;
}
