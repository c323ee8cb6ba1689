/**
 * The ESMTP server: `SmtpServer` and what it asks of the rest of the system (`SmtpBackend`). The daemon
 * (app/) constructs it; mta/submit implements the backend.
 */
export { SmtpServer } from './server.js';
export type { SmtpServerOptions, TlsCredentials } from './options.js';
export { defaultSmtpLimits, resolveSmtpLimits, type SmtpLimits } from './limits.js';
export {
  isAuthSession,
  type BodyType,
  type ConnInfo,
  type MailOptions,
  type RcptOptions,
  type SaslExchange,
  type SmtpAuthSession,
  type SmtpBackend,
  type SmtpSession,
} from './backend.js';
export type { SmtpState } from './sequence.js';
