/**
 * A logging wrapper around the SMTP backend: one line per accepted message with the connection id, the envelope
 * and the queue's reply (`queued as <id>`), so a session's log lines (which carry `conn`) lead to the queue's
 * lines (which carry `queueId`), as Postfix's `from=<…>` / `to=<…>` lines do.
 *
 * Guarantees: the wrapper changes no behaviour: every call goes to the wrapped session with its own `this`, errors
 * pass through unchanged, and an SmtpAuthSession stays one (isAuthSession still holds).
 */
import { isAuthSession, type SmtpAuthSession, type SmtpBackend, type SmtpSession } from '../smtp/server/index.js';
import type { Logger } from './log.js';

/**
 * Wraps `backend` so that each accepted message is logged.
 *
 * @example
 * ```ts
 * const server = new SmtpServer({ ..., backend: loggingBackend(backend, log) });
 * ```
 */
export function loggingBackend(backend: SmtpBackend, log: Pick<Logger, 'info'>): SmtpBackend {
  return {
    async newSession(conn) {
      const s = await backend.newSession(conn);
      let from = '';
      let to: string[] = [];
      const wrapped: SmtpSession = {
        mail: async (addr, opts) => {
          await s.mail(addr, opts);
          from = addr;
          to = [];
        },
        rcpt: async (addr, opts) => {
          await s.rcpt(addr, opts);
          to.push(addr);
        },
        data: async (body, info) => {
          const reply = await s.data(body, info);
          log.info({ conn: conn.id, service: conn.service, from, to, size: info.size, user: conn.user, reply }, 'Message accepted');
          return reply;
        },
        reset: async () => {
          to = [];
          await s.reset();
        },
        close: () => s.close(),
      };
      if (!isAuthSession(s)) return wrapped;
      const auth: SmtpAuthSession = { ...wrapped, mechanisms: () => s.mechanisms(), authenticate: (mech, sasl) => s.authenticate(mech, sasl) };
      return auth;
    },
  };
}
