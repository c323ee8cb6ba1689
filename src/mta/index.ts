/**
 * The mail transfer agent: submit policy (the SmtpBackend), the queue runner, local delivery (DESIGN.md §1, §3;
 * STYLE.md §8). Only `app/` wires these to concrete stores, timers and loggers.
 */
export { createSubmitBackend, type SubmitDeps } from './submit.js';
export { type MtaLogger, type SetTimer, systemSetTimer, silentLogger } from './deps.js';
export { networkMatcher } from './networks.js';
export { ReceivedCounter } from './received-counter.js';
export * from './queue/index.js';
export * from './delivery/index.js';
export * from './dsn/index.js';
