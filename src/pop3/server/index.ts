/**
 * The POP3 server: what it asks of the rest of the system (Pop3Backend). The daemon (app/) constructs the server;
 * maildrop/ implements the backend over the store.
 */
export type { Pop3Backend, Pop3ConnInfo, Pop3Maildrop, Pop3Message } from './backend.js';
