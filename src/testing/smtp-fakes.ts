/**
 * Fakes for SMTP server tests: `RecordingBackend` (records sessions, envelopes and bodies; refuses on demand;
 * authenticates PLAIN and LOGIN against a user table) and `startSmtp`, which runs an SmtpServer on 127.0.0.1:0
 * for one test and closes it after.
 *
 * The backend stores a body the way a real one must: `pipeline(body, sink)`, and it records the message only
 * when the pipeline completes, so a body the engine refused (its stream failed) is counted in `aborted` and
 * never in `messages`.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { readCredentials } from '../proto/index.js';
import { SmtpError, authFailed } from '../smtp/index.js';
import {
  SmtpServer,
  type BodyType,
  type ConnInfo,
  type MailOptions,
  type RcptOptions,
  type SaslExchange,
  type SmtpAuthSession,
  type SmtpBackend,
  type SmtpServerOptions,
} from '../smtp/server/index.js';
import { serveScripts, type ScriptedServer } from './line-script.js';
import { SmtpScript } from './smtp-client.js';

/** A message the backend accepted. */
export interface RecordedMessage {
  readonly from: string;
  readonly mail: MailOptions;
  readonly rcpts: readonly { readonly to: string; readonly opts: RcptOptions }[];
  readonly body: Buffer;
  readonly info: { size: number | null; bodyType: BodyType };
  /** The connection as it was when the body was accepted. */
  readonly conn: { readonly helo?: string; readonly tls: boolean; readonly user?: string; readonly remote: string; readonly service: string };
}

/** Refusals and behaviours of a RecordingBackend. */
export interface RecordingOptions {
  /** User name → password for AUTH PLAIN and LOGIN; without it sessions do not offer AUTH. */
  users?: Record<string, string>;
  refuseSession?: () => Error | undefined;
  refuseMail?: (from: string) => Error | undefined;
  refuseRcpt?: (to: string) => Error | undefined;
  /** Called with the whole body after it was read; an error refuses the message (like the loop check). */
  refuseData?: (body: Buffer) => Error | undefined;
  /** Refuse at once, without reading the body. */
  refuseDataUnread?: () => Error | undefined;
  /** Delay before data() resolves (a slow commit). */
  commitDelayMs?: number;
  /** Text of the 250 reply after DATA. */
  acceptText?: string;
}

/** An SmtpBackend that records everything. */
export class RecordingBackend implements SmtpBackend {
  /** Calls in order: 'newSession', 'mail', 'rcpt', 'data', 'reset', 'close', 'auth'. */
  readonly events: string[] = [];
  readonly messages: RecordedMessage[] = [];
  readonly sessions: ConnInfo[] = [];
  /** Bodies whose stream failed (refused by the engine or abandoned). */
  aborted = 0;
  /** Open sessions (newSession minus close). */
  open = 0;

  constructor(readonly opts: RecordingOptions = {}) {}

  async newSession(conn: ConnInfo): Promise<SmtpAuthSession> {
    this.events.push('newSession');
    const refused = this.opts.refuseSession?.();
    if (refused) throw refused;
    this.sessions.push(conn);
    this.open++;
    const o = this.opts;
    let from: string | null = null;
    let mail: MailOptions | null = null;
    let rcpts: { to: string; opts: RcptOptions }[] = [];
    const self = this;
    const session: SmtpAuthSession = {
      async mail(f, m) {
        self.events.push('mail');
        const e = o.refuseMail?.(f);
        if (e) throw e;
        from = f;
        mail = m;
      },
      async rcpt(to, r) {
        self.events.push('rcpt');
        const e = o.refuseRcpt?.(to);
        if (e) throw e;
        rcpts.push({ to, opts: r });
      },
      async data(body, info) {
        self.events.push('data');
        const unread = o.refuseDataUnread?.();
        if (unread) throw unread;
        const chunks: Buffer[] = [];
        const sink = new Writable({
          write(chunk: Buffer, _enc, done) {
            chunks.push(chunk);
            done();
          },
        });
        try {
          await pipeline(body, sink);
        } catch (err) {
          self.aborted++;
          throw err;
        }
        const bytes = Buffer.concat(chunks);
        const e = o.refuseData?.(bytes);
        if (e) throw e;
        if (o.commitDelayMs) await sleep(o.commitDelayMs);
        self.messages.push({
          from: from ?? '',
          mail: mail!,
          rcpts,
          body: bytes,
          info,
          conn: { helo: conn.helo, tls: conn.tls, user: conn.user, remote: conn.remote, service: conn.service },
        });
        return o.acceptText;
      },
      async reset() {
        self.events.push('reset');
        from = null;
        mail = null;
        rcpts = [];
      },
      async close() {
        self.events.push('close');
        self.open--;
      },
      mechanisms: () => (o.users ? ['PLAIN', 'LOGIN'] : []),
      async authenticate(mech: string, sasl: SaslExchange) {
        self.events.push('auth');
        const { user, password } = await readCredentials(mech, sasl);
        if (o.users?.[user] !== password) throw authFailed();
        return user;
      },
    };
    return session;
  }

  /** The last message's body as text (latin1). */
  get lastBody(): string {
    return this.messages.at(-1)?.body.toString('latin1') ?? '';
  }
}

/** A server and its fakes for one test. */
export interface SmtpFixture extends ScriptedServer<SmtpScript> {
  readonly server: SmtpServer;
  readonly backend: RecordingBackend;
}

/**
 * Starts an SmtpServer on 127.0.0.1:0 with a RecordingBackend; everything is closed after the test.
 * Defaults for tests: hostname 'mx.test', service 'smtp', no AUTH delay.
 *
 * @example
 * ```ts
 * const { client, backend } = await startSmtp(t);
 * await client.expect(/^220 /).send('EHLO c.test').expect(/^250 /m);
 * ```
 */
export async function startSmtp(t: TestContext, opts: Partial<SmtpServerOptions> & { backendOpts?: RecordingOptions } = {}): Promise<SmtpFixture> {
  const { backendOpts, ...serverOpts } = opts;
  const backend = new RecordingBackend(backendOpts);
  const server = new SmtpServer({
    hostname: 'mx.test',
    service: 'smtp',
    backend,
    ...serverOpts,
    limits: { authFailureDelayMs: 0, ...serverOpts.limits },
  });
  return serveScripts(t, { server, backend }, (port, o) => SmtpScript.open(port, o), opts.service === 'submissions');
}

export { SmtpError };
