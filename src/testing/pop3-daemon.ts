/**
 * Helpers for the daemon's POP3 tests: put a message into a mailbox the way mail really arrives (over the SMTP
 * port, then local delivery by the queue runner), and wait until it is there.
 *
 * Limits: every wait is bounded (SmtpLines replies, waitFor attempts).
 */
import assert from 'node:assert/strict';
import { runCli } from './app-cli.js';
import { SmtpLines, waitFor } from './app-daemon.js';

/**
 * The bytes of `lines` as a stored message (CRLF line ends), and as sent in DATA (RFC 5321 §4.5.2: a line that
 * starts with "." gets one more).
 *
 * @example
 * ```ts
 * const { content, data } = messageText(['Subject: x', '', '.dot']); // data has '..dot'
 * ```
 */
export function messageText(lines: readonly string[]): { content: Buffer; data: Buffer } {
  const content = Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'utf8');
  const data = Buffer.from(lines.map((l) => `${l.startsWith('.') ? '.' : ''}${l}\r\n`).join(''), 'utf8');
  return { content, data };
}

/**
 * Sends one message over SMTP (EHLO, 8BITMIME) to `port` on 127.0.0.1 and asserts each reply.
 *
 * @example
 * ```ts
 * await sendOverSmtp(smtp.port, 'bob@example.net', 'ann@example.test', messageText(['Subject: hi', '', 'Hi.']).data);
 * ```
 */
export async function sendOverSmtp(port: number, from: string, to: string, data: Buffer): Promise<void> {
  const c = await SmtpLines.connect('127.0.0.1', port);
  try {
    assert.match(await c.reply(), /^220 /);
    assert.match(await c.send('EHLO client.example.net'), /^250[ -]/);
    assert.match(await c.send(`MAIL FROM:<${from}> BODY=8BITMIME`), /^250 /);
    assert.match(await c.send(`RCPT TO:<${to}>`), /^250 /);
    assert.match(await c.send('DATA'), /^354 /);
    c.socket.write(data);
    assert.match(await c.send('.'), /^250 /);
    assert.match(await c.send('QUIT'), /^221 /);
  } finally {
    c.close();
  }
}

/**
 * Waits until the queue is empty and the user's INBOX holds `messages` messages (`postroom status`), polling at most
 * `attempts` times 100 ms apart.
 *
 * @example
 * ```ts
 * await waitForMailbox(dataDir, 'ann@example.test', 1);
 * ```
 */
export async function waitForMailbox(dataDir: string, address: string, messages: number, attempts = 100): Promise<void> {
  await waitFor(async () => {
    const r = await runCli(['status', '--json', '--data-dir', dataDir]);
    const s = JSON.parse(r.out) as { queue: { items: number }; mailboxes: { address: string; messages: number }[] };
    return s.queue.items === 0 && s.mailboxes.find((m) => m.address === address)?.messages === messages ? true : undefined;
  }, attempts);
}
