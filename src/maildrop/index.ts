/**
 * The POP3 maildrop over the store: the Pop3Backend (authentication, the maildrop lock, the session snapshot) that
 * app/ hands to the POP3 server (DESIGN.md §1: store → POP3). Protocol code never imports this; only app/ does.
 */
export { apopDigest, createMaildropBackend, type MaildropDeps } from './backend.js';
export { bodyOffset, StoreMaildrop, type MaildropContext } from './maildrop.js';
