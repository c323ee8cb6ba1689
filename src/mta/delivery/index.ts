/**
 * Delivery: routing recipients to agents, alias expansion, the local delivery agent, trace fields, and the
 * placeholder remote agent (replaced by the relay issue).
 */
export { type DeliveryAgent, remotePlaceholderAgent, REMOTE_NOT_AVAILABLE } from './agent.js';
export { createRouter, type Router, type Route, type LocalDomains } from './router.js';
export { createResolver, type AddressResolver, type Expansion, type LocalTarget, type ResolverOptions } from './aliases.js';
export { createLocalDelivery, type LocalDeliveryOptions } from './local.js';
export { traceFields, type TraceInfo } from './trace.js';
export { toCrlf, storedBody, indexStored, PartIndexer } from './stored-body.js';
