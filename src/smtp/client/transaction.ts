/**
 * One mail transaction on an open connection (RFC 5321 §3.3): MAIL, RCPT for each recipient, then DATA or BDAT,
 * pipelined when the peer offers PIPELINING (RFC 2920), with results per recipient.
 *
 * Guarantees:
 * - Nothing is sent for a message this peer cannot take (see planTransaction), and the body source is opened
 *   and its first chunk read before MAIL, so a source that cannot start costs no commands.
 * - The body is never sent when no recipient was accepted: without pipelining RSET follows the last RCPT; with
 *   pipelining the peer should refuse the DATA it already got (RFC 2920 §3.1: 554), and if it answers 354 anyway
 *   an empty body (".") ends it.
 * - The replies of a pipelined group are always all read, so the connection stays in step after a refusal.
 * - After an error reply to MAIL, DATA or the end of data, RSET goes before the next transaction (`needsReset`).
 * Errors: see SmtpConnection.send.
 */
import { BodyChunks, sendBdat, sendData } from './body.js';
import { refused, replyClass } from './ehlo.js';
import { planTransaction, type TransactionPlan } from './plan.js';
import type { BodySource, ClientEnvelope, ClientRcptResult, ClientTimeouts, ClientReply, SendResult } from './types.js';
import type { Wire } from './wire.js';

/** What a transaction needs of its connection; `needsReset` is carried from one transaction to the next. */
export interface TransactionContext {
  readonly wire: Wire;
  readonly extensions: ReadonlyMap<string, string>;
  readonly timeouts: ClientTimeouts;
  needsReset: boolean;
}

const outcome = (r: ClientReply): ClientRcptResult['outcome'] =>
  replyClass(r.code) === 2 ? 'accepted' : replyClass(r.code) === 4 ? 'temporary' : 'permanent';

/** The envelope's replies: MAIL, each RCPT and (when DATA was pipelined) DATA. */
interface EnvelopeReplies {
  readonly mail: ClientReply;
  readonly rcpts: readonly ClientReply[];
  readonly data?: ClientReply;
}

/** MAIL, all RCPTs and DATA in one write, then their replies in order (RFC 2920 §3.1). */
async function pipelined(c: TransactionContext, plan: TransactionPlan): Promise<EnvelopeReplies> {
  const { wire, timeouts: t } = c;
  const withData = plan.transfer === 'DATA';
  const lines = [plan.mail, ...plan.rcpts, ...(withData ? ['DATA'] : [])];
  await wire.write(lines.map((l) => `${l}\r\n`).join(''), 'mail', t.mail);
  const mail = wire.read('mail', t.mail);
  const rcpts = plan.rcpts.map(() => wire.read('rcpt', t.rcpt));
  const data = withData ? wire.read('data', t.dataInit) : undefined;
  const replies: EnvelopeReplies = { mail: await mail, rcpts: await Promise.all(rcpts), ...(data ? { data: await data } : {}) };
  return replies;
}

/** MAIL, then each RCPT, each after the previous reply; stops after a refused MAIL. */
async function stepwise(c: TransactionContext, plan: TransactionPlan): Promise<EnvelopeReplies> {
  const { wire, timeouts: t } = c;
  const mail = await wire.command(plan.mail, 'mail', t.mail);
  if (replyClass(mail.code) !== 2) return { mail, rcpts: [] };
  const rcpts: ClientReply[] = [];
  for (const line of plan.rcpts) rcpts.push(await wire.command(line, 'rcpt', t.rcpt));
  return { mail, rcpts };
}

/** Ends a DATA the peer accepted with 354 although the transaction failed: an empty body, reply ignored. */
async function endEmpty(c: TransactionContext): Promise<void> {
  await c.wire.write('.\r\n', 'data', c.timeouts.dataBlock);
  await c.wire.read('data', c.timeouts.dataEnd);
}

/**
 * Sends one transaction (SmtpConnection.send).
 *
 * @example
 * ```ts
 * const ctx = { wire, extensions, timeouts, needsReset: false };
 * const res = await sendTransaction(ctx, { from: 'a@x.test', rcpts: [{ address: 'b@y.test' }], body: '7BIT', smtputf8: false }, () => Readable.from(['Hi\r\n']));
 * res.rcpts[0].outcome === 'accepted';
 * ```
 */
export async function sendTransaction(c: TransactionContext, env: ClientEnvelope, source: BodySource): Promise<SendResult> {
  const plan = planTransaction(env, c.extensions);
  const { wire, timeouts: t } = c;
  const body = await BodyChunks.open(source, plan.downgrade);
  try {
    if (c.needsReset) {
      const r = await wire.command('RSET', 'mail', t.command);
      if (replyClass(r.code) !== 2) throw refused('mail', r, 'RSET refused');
      c.needsReset = false;
    }
    const replies = plan.pipelining ? await pipelined(c, plan) : await stepwise(c, plan);

    if (replyClass(replies.mail.code) !== 2) {
      if (replies.data?.code === 354) await endEmpty(c);
      c.needsReset = true;
      throw refused('mail', replies.mail, 'Sender refused');
    }
    const rcpts = env.rcpts.map((r, i) => ({ address: r.address, reply: replies.rcpts[i]! }));
    const accepted = rcpts.filter((r) => replyClass(r.reply.code) === 2);
    const refusedOnly = (): SendResult => ({
      rcpts: rcpts.map((r) => ({ ...r, outcome: outcome(r.reply) })),
      dsn: plan.dsn,
      downgraded: false,
    });

    if (accepted.length === 0) {
      if (replies.data?.code === 354) await endEmpty(c); // RFC 2920 §3.1: should have been 554
      else if (replies.data) c.needsReset = true;
      else {
        // RFC 5321 §4.1.1.5: abandon the transaction instead of sending DATA.
        const r = await wire.command('RSET', 'mail', t.command);
        c.needsReset = replyClass(r.code) !== 2;
      }
      return refusedOnly();
    }

    let final: ClientReply;
    if (plan.transfer === 'DATA') {
      const data = replies.data ?? (await wire.command('DATA', 'data', t.dataInit));
      if (data.code !== 354) {
        c.needsReset = true;
        throw refused('data', data, 'DATA refused');
      }
      final = await sendData(wire, body, t);
    } else {
      final = await sendBdat(wire, body, { binary: plan.binary, pipelining: plan.pipelining, timeouts: t });
    }
    if (replyClass(final.code) !== 2) c.needsReset = true;
    return {
      rcpts: rcpts.map((r) => (replyClass(r.reply.code) === 2 ? { address: r.address, outcome: outcome(final), reply: final } : { ...r, outcome: outcome(r.reply) })),
      dsn: plan.dsn,
      downgraded: plan.downgrade,
      final,
    };
  } finally {
    body.close();
  }
}
