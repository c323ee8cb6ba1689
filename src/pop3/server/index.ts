/**
 * The POP3 server: `Pop3Server` and what it asks of the rest of the system (`Pop3Backend`). The daemon (app/)
 * constructs it; maildrop/ implements the backend over the store.
 */
export { Pop3Server } from './server.js';
export type { Pop3ServerOptions, Pop3TlsCredentials } from './options.js';
export { defaultPop3Limits, resolvePop3Limits, type Pop3Limits } from './limits.js';
export type { Pop3Backend, Pop3ConnInfo, Pop3Maildrop, Pop3Message } from './backend.js';
export type { Pop3State } from './state.js';
