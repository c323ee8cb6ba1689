/**
 * The plain SMTP client the tests of third-party peers (smtp-sink, Postfix) use to hand them a message: EHLO,
 * MAIL, RCPT…, DATA (dot-stuffed), QUIT, each reply checked.
 */
import { DotStuffer } from '../proto/index.js';
import { SmtpLines } from './app-daemon.js';

/** One envelope recipient for sendMessage: an address, or an address with RCPT parameters ("NOTIFY=NEVER"). */
export type SendRcpt = string | { readonly to: string; readonly params: string };

/**
 * Sends one message over plain SMTP (EHLO, MAIL, RCPT…, DATA, QUIT): the small client the tests of these peers
 * use. Throws, with the reply, when a reply is not the expected 2xx/354. Returns the reply to the final dot.
 *
 * @example
 * ```ts
 * await sendMessage('127.0.0.1:2525', { from: 'a@x.test', fromParams: 'RET=HDRS', to: [{ to: 'b@y.test', params: 'NOTIFY=FAILURE' }],
 *   data: Buffer.from('Subject: x\r\n\r\nhi\r\n') }); // '250 2.0.0 Ok\r\n'
 * ```
 */
export async function sendMessage(
  target: string,
  m: { from: string; fromParams?: string; to: readonly SendRcpt[]; data: Buffer; helo?: string; timeoutMs?: number },
): Promise<string> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const ms = m.timeoutMs ?? 10_000;
  const c = await SmtpLines.connect(host, port, ms);
  try {
    const send = (line: string) => (c.write(Buffer.from(`${line}\r\n`, 'utf8')), c.reply(ms)); // UTF-8 for SMTPUTF8 addresses
    const expect = async (reply: Promise<string>, want: RegExp, what: string) => {
      const r = await reply;
      if (!want.test(r)) throw new Error(`SMTP ${what} to ${target} failed: ${r.trim()}`);
      return r;
    };
    await expect(c.reply(ms), /^220[ -]/, 'greeting');
    await expect(send(`EHLO ${m.helo ?? 'client.test'}`), /^250[ -]/, 'EHLO');
    await expect(send(`MAIL FROM:<${m.from}>${m.fromParams ? ` ${m.fromParams}` : ''}`), /^250 /, 'MAIL');
    for (const r of m.to) {
      const line = typeof r === 'string' ? `RCPT TO:<${r}>` : `RCPT TO:<${r.to}> ${r.params}`;
      await expect(send(line), /^25[01] /, line);
    }
    await expect(send('DATA'), /^354 /, 'DATA');
    const s = new DotStuffer();
    c.write(Buffer.concat([s.push(m.data), s.end()]));
    const done = await expect(c.reply(ms), /^250 /, 'end of DATA');
    await send('QUIT').catch(() => '');
    return done;
  } finally {
    c.close();
  }
}
