/**
 * SMTP: replies and their constructors, envelope paths, MAIL/RCPT parameters and xtext (shared by the server and
 * the client), the server (./server) and the client (./client), both re-exported here.
 */
export * from './reply.js';
export { splitPath, checkDomain, PathError, type SplitPath } from './path.js';
export { parseParams, parseMailParams, parseRcptParams } from './params.js';
export { decodeXtext, encodeXtext } from './xtext.js';
export * from './server/index.js';
export * from './client/index.js';
