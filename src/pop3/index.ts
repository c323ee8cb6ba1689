/**
 * POP3 (RFC 1939, 2449, 2595, 5034, 6856): replies as errors and the server (./server, re-exported here).
 */
export * from './reply.js';
export * from './server/index.js';
