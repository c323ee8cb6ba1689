/**
 * The queue runner and its retry policy (the durable queue itself is the store's `Queue`).
 */
export { QueueRunner, type QueueRunnerOptions } from './scheduler.js';
export { backoffDelay, resolveBackoff, scheduleRetry, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
export { dsnNeeds, type DsnAction, type DsnNeed } from './dsn-need.js';
