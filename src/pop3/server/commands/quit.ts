/**
 * QUIT (RFC 1939 §6). In AUTHORIZATION: +OK and close. In TRANSACTION: the UPDATE state — the backend commits
 * the deletions (atomic and durable), the lock is released, and only then +OK (STYLE.md §1.5: acknowledge only
 * what is durable). If the commit fails, -ERR (the backend's Pop3Error as written, else [SYS/TEMP]) and nothing
 * is deleted. The connection closes either way. The lock is released before the reply, so a client that
 * reconnects at once after +OK finds the maildrop free.
 */
import { Pop3Error, commitFailed, syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/** QUIT. */
export async function quit(c: Pop3Conn, arg: string): Promise<void> {
  if (arg.trim() !== '') throw syntax('QUIT takes no arguments');
  c.closing = true;
  const md = c.maildrop;
  if (c.state !== 'transaction' || !md) {
    c.reply(`${c.ctx.hostname} POP3 server signing off`);
    return;
  }
  c.state = 'update';
  const uids = new Set([...c.deleted].map((n) => md.messages[n - 1]!.uid));
  try {
    await md.commit(uids);
  } catch (err) {
    if (err instanceof Pop3Error) throw err;
    c.log.error({ conn: c.id, err }, 'Commit failed');
    throw commitFailed();
  } finally {
    await c.releaseMaildrop();
  }
  c.log.info({ conn: c.id, deleted: uids.size }, 'Maildrop updated');
  c.reply(`${c.ctx.hostname} POP3 server signing off (${uids.size} messages deleted)`);
}
