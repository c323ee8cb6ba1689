/**
 * Private Postfix instances on loopback, for tests: `startPostfix` makes a test instance over the lower layer of
 * postfix-master.ts (own config_directory DIR/etc, queue_directory DIR/spool, data_directory DIR/lib, log file
 * DIR/maillog written by postlogd in place of syslog, virtual(8) Maildirs DIR/vmail owned by nobody) that relays
 * to a `relayhost` (postroom under test, or an smtp-sink), delivers `virtualDomains` into Maildirs, sends
 * `transports` domains where told (`error:5.1.1 No such user` makes Postfix itself write a DSN, RFC 3464, to the
 * sender once smtpd has been told to accept such recipients: see `postfixBounceFixture`), with short queue delays
 * (queue_run_delay and minimal_backoff_time 1 s, maximal_backoff_time 2 s) so that retries happen within a test.
 * Guarantees: every postfix/postqueue command names the instance's config directory; smtpd listens on 127.0.0.1
 * only; no DNS: smtp_dns_support_level = disabled and smtp_host_lookup = native (relayhost and transport next hops
 * are bracketed IP literals, so nothing is looked up), smtpd_peername_lookup = no, and without a relayhost every
 * other domain bounces at once (default_transport = error) instead of being looked up. Every wait is bounded.
 * Limits: needs root; virtual(8) stores messages with LF line ends and prepends Delivered-To and Return-Path.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { sendMessage } from './smtp-sink.js';

import { baseParams, MAILDIR_OWNER, masterCf, renderMainCf, startPostfixMaster, type PostfixMaster } from './postfix-master.js';

export * from './postfix-master.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How to configure a test instance (`startPostfix`). */
export interface PostfixOptions {
  /** An empty directory for the instance. */
  dir: string;
  /** myhostname (mydomain is it without its first label); names the instance in Received and DSNs. */
  hostname: string;
  /** "host:port" (host an IP address) every domain without another route goes to; without one they bounce at once. */
  relayhost?: string;
  /** Domains delivered by virtual(8) into DIR/vmail/DOMAIN/LOCAL/Maildir, and the local parts that exist in each. */
  virtualDomains?: Record<string, readonly string[]>;
  /**
   * transport_maps entries, domain → transport:nexthop ("smtp:[127.0.0.1]:2525", "error:5.1.1 No such user").
   * smtpd rejects a recipient routed to error: at RCPT, unless params sets smtpd_reject_unlisted_recipient = no.
   */
  transports?: Record<string, string>;
  /** maximal_queue_lifetime and bounce_queue_lifetime (Postfix time, "30s"); default 5d. */
  queueLifetime?: string;
  /** smtpd_discard_ehlo_keywords: what Postfix's smtpd does not offer ("pipelining", "dsn", "8bitmime"). */
  discardEhlo?: readonly string[];
  /** More main.cf parameters; they come last and override the ones above. */
  params?: Record<string, string>;
}

/** One queued message, as `postqueue -j` reports it. */
export interface QueuedMessage {
  readonly queueName: string;
  readonly queueId: string;
  readonly sender: string;
  readonly recipients: readonly { readonly address: string; readonly delayReason?: string }[];
}

/** A running test instance. */
export interface Postfix extends PostfixMaster {
  /** The messages virtual(8) has delivered to `address` (Maildir new/ and cur/, oldest first). */
  maildir(address: string): Promise<Buffer[]>;
  /** Waits until `address` holds at least `n` messages (rejects after `timeoutMs`), then returns them. */
  waitForMaildir(address: string, n: number, timeoutMs?: number): Promise<Buffer[]>;
  /** The messages in the queue (`postqueue -j`). */
  queue(): Promise<QueuedMessage[]>;
  /** Waits until the queue is empty (rejects after `timeoutMs` with what is left and why). */
  waitForEmptyQueue(timeoutMs?: number): Promise<void>;
  /** Waits until a log line matches `re` (rejects after `timeoutMs`), and returns that line. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** `postqueue -f`: attempt every deferred message now. */
  flush(): Promise<void>;
}

/** "host:port" → "[host]:port", the form that makes Postfix skip MX and host lookups. */
const bracketed = (hostPort: string) => (hostPort.startsWith('[') ? hostPort : hostPort.replace(/^(.*):(\d+)$/, '[$1]:$2'));

async function until<T>(what: () => string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Postfix: ${what()} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * Configures and starts a private Postfix for a test (see the module header); stop it when the test ends.
 *
 * @example
 * ```ts
 * const pf = await startPostfix({ dir, hostname: 'mx.postfix.test', relayhost: sink.target, virtualDomains: { 'postfix.test': ['bob'] } });
 * t.after(() => pf.stop());
 * await sendMessage(pf.target, { from: 'a@x.test', to: ['bob@postfix.test'], data });
 * await pf.waitForMaildir('bob@postfix.test', 1);
 * ```
 */
export async function startPostfix(o: PostfixOptions): Promise<Postfix> {
  const { dir } = o;
  const etc = path.join(dir, 'etc');
  const domains = Object.entries(o.virtualDomains ?? {});
  const transports = Object.entries(o.transports ?? {});
  const lifetime = o.queueLifetime ?? '5d';
  const params: Record<string, string> = {
    ...baseParams(dir, o.hostname, o.hostname.replace(/^[^.]*\./, '')),
    relayhost: o.relayhost ? bracketed(o.relayhost) : '',
    smtp_dns_support_level: 'disabled',
    lmtp_dns_support_level: 'disabled',
    smtp_host_lookup: 'native',
    lmtp_host_lookup: 'native',
    smtpd_client_restrictions: '',
    smtp_tls_security_level: 'may',
    smtp_tls_loglevel: '1',
    queue_run_delay: '1s',
    minimal_backoff_time: '1s',
    maximal_backoff_time: '2s',
    maximal_queue_lifetime: lifetime,
    bounce_queue_lifetime: lifetime,
    ...(o.relayhost ? {} : { default_transport: 'error:5.4.4 This test instance has no relayhost' }),
    ...(transports.length ? { transport_maps: `texthash:${etc}/transport` } : {}),
    ...(domains.length
      ? {
          virtual_mailbox_domains: domains.map(([d]) => d).join(' '),
          virtual_mailbox_base: `${dir}/vmail`,
          virtual_mailbox_maps: `texthash:${etc}/vmailbox`,
          virtual_uid_maps: `static:${MAILDIR_OWNER}`,
          virtual_gid_maps: `static:${MAILDIR_OWNER}`,
        }
      : {}),
    ...(o.discardEhlo?.length ? { smtpd_discard_ehlo_keywords: o.discardEhlo.join(' ') } : {}),
    ...o.params,
  };
  const files = {
    transport: transports.map(([d, t]) => `${d} ${t}\n`).join(''),
    vmailbox: domains.flatMap(([d, locals]) => locals.map((l) => `${l}@${d} ${d}/${l}/Maildir/\n`)).join(''),
  };
  const writer = 'src/testing/postfix.ts for one test';
  const master = await startPostfixMaster({
    dir,
    label: 'a test Postfix',
    mainCf: renderMainCf(writer, params),
    masterCf: (port) => masterCf(port, { writer, remote: true }),
    files,
  });
  const postqueue = (...args: string[]) => run('postqueue', ['-c', etc, ...args], { timeout: 30_000 });
  const maildir = async (address: string) => {
    const at = address.lastIndexOf('@');
    const base = path.join(dir, 'vmail', address.slice(at + 1), address.slice(0, at), 'Maildir');
    const files = ['new', 'cur'].flatMap((sub) => (existsSync(path.join(base, sub)) ? readdirSync(path.join(base, sub)).map((f) => path.join(base, sub, f)) : []));
    const dated = files.map((f) => ({ f, t: statSync(f).mtimeMs, n: path.basename(f) }));
    dated.sort((a, b) => a.t - b.t || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
    return dated.map(({ f }) => readFileSync(f));
  };
  const queue = async (): Promise<QueuedMessage[]> => {
    const { stdout } = await postqueue('-j');
    return stdout.split('\n').filter(Boolean).map((line) => {
      const j = JSON.parse(line) as { queue_name: string; queue_id: string; sender: string; recipients: { address: string; delay_reason?: string }[] };
      return {
        queueName: j.queue_name,
        queueId: j.queue_id,
        sender: j.sender,
        recipients: j.recipients.map((r) => (r.delay_reason ? { address: r.address, delayReason: r.delay_reason } : { address: r.address })),
      };
    });
  };
  return {
    ...master,
    maildir,
    waitForMaildir: (address, n, timeoutMs = 10_000) =>
      until(() => `${address} did not receive ${n} messages`, timeoutMs, async () => {
        const got = await maildir(address);
        return got.length >= n ? got : undefined;
      }),
    queue,
    waitForEmptyQueue: async (timeoutMs = 10_000) => {
      let left: QueuedMessage[] = [];
      await until(() => `the queue did not empty (left: ${JSON.stringify(left)})`, timeoutMs, async () => ((left = await queue()).length ? undefined : true));
    },
    waitForLog: (re, timeoutMs = 10_000) =>
      until(() => `no log line matched ${re}`, timeoutMs, async () => master.log().split('\n').find((l) => re.test(l))),
    flush: async () => void (await postqueue('-f')),
  };
}

/** The domain `postfixBounceFixture` routes to `error:`: every recipient there fails after Postfix accepted it. */
export const BOUNCE_DOMAIN = 'bounce.test';

/** What `postfixBounceFixture` sends; every field has a default. */
export interface BounceFixtureOptions {
  /** An empty directory for the instance. */
  dir: string;
  /** "host:port" that receives the DSN: the instance's relayhost (postroom under test, or an smtp-sink). */
  returnTo: string;
  /** The original envelope sender, to whom the DSN goes; default "sender@origin.test". */
  from?: string;
  /** The failing recipient; default "nobody@bounce.test" (any address at BOUNCE_DOMAIN fails). */
  to?: string;
  /** The failure, enhanced status code first (error(8) next-hop text); default "5.1.1 No such user". */
  status?: string;
  /** RCPT NOTIFY; default "SUCCESS,FAILURE". */
  notify?: string;
  /** MAIL RET; default "HDRS". */
  ret?: 'FULL' | 'HDRS';
  /** MAIL ENVID; default "postroom-fixture-1". */
  envid?: string;
  /** The original message (CRLF); default a short text message. */
  message?: Buffer;
}

/** A Postfix that accepted a message it cannot deliver, and the message it accepted. */
export interface BounceFixture {
  /** The instance; its DSN goes to `returnTo`. Stop it when the test ends. */
  readonly postfix: Postfix;
  readonly from: string;
  readonly to: string;
  readonly message: Buffer;
  /** The 250 reply to the end of DATA (it names Postfix's queue id). */
  readonly reply: string;
}

/**
 * "A DSN produced by Postfix": starts a Postfix whose relayhost is `returnTo` and which routes BOUNCE_DOMAIN to
 * `error:5.1.1 No such user` (with smtpd_reject_unlisted_recipient = no, so it accepts at RCPT and fails the
 * recipient only in the queue), then sends it a message (MAIL FROM:<from> RET ENVID, RCPT TO:<to> NOTIFY
 * ORCPT=rfc822;to). Postfix accepts it (250), fails the recipient, and its bounce(8) sends a DSN (RFC 3464
 * multipart/report; report-type=delivery-status, from MAILER-DAEMON, envelope sender <>) to `from` through
 * `returnTo`, usually within a second. The caller waits for it on the `returnTo` side.
 *
 * @example
 * ```ts
 * const f = await postfixBounceFixture({ dir, returnTo: sink.target });
 * t.after(() => f.postfix.stop());
 * const [dsn] = await sink.waitForMessages(1); // dsn.from === '', dsn.rcpts[0].to === f.from
 * ```
 */
export async function postfixBounceFixture(o: BounceFixtureOptions): Promise<BounceFixture> {
  const from = o.from ?? 'sender@origin.test';
  const to = o.to ?? `nobody@${BOUNCE_DOMAIN}`;
  const message =
    o.message ??
    Buffer.from(
      `From: <${from}>\r\nTo: <${to}>\r\nSubject: Bounce fixture\r\nDate: Thu, 26 Nov 2026 11:50:41 +0000\r\n` +
        `Message-ID: <bounce-fixture@origin.test>\r\n\r\nThis message cannot be delivered.\r\n`,
    );
  const postfix = await startPostfix({
    dir: o.dir,
    hostname: 'mx.postfix.test',
    relayhost: o.returnTo,
    transports: { [to.slice(to.lastIndexOf('@') + 1)]: `error:${o.status ?? '5.1.1 No such user'}` },
    params: { smtpd_reject_unlisted_recipient: 'no' }, // else smtpd rejects error: routes at RCPT (smtpd_check.c)
  });
  try {
    const reply = await sendMessage(postfix.target, {
      from,
      fromParams: `RET=${o.ret ?? 'HDRS'} ENVID=${o.envid ?? 'postroom-fixture-1'}`,
      to: [{ to, params: `NOTIFY=${o.notify ?? 'SUCCESS,FAILURE'} ORCPT=rfc822;${to}` }],
      data: message,
    });
    return { postfix, from, to, message, reply };
  } catch (err) {
    await postfix.stop();
    throw err;
  }
}
