/**
 * Delivery: routing recipients to agents, alias expansion, the local delivery agent, trace fields, and relay:
 * next hops (static routes, smarthost, MX), the remote agent over the SMTP client, connection reuse.
 */
export { type DeliveryAgent } from './agent.js';
export { createRouter, type Router, type Route, type LocalDomains } from './router.js';
export { createResolver, type AddressResolver, type Expansion, type LocalTarget, type ResolverOptions } from './aliases.js';
export { createLocalDelivery, deliveryId, forwardByQueue, type LocalDeliveryOptions } from './local.js';
export { createAtOnce, type AtOnce, type AtOnceDelivery, type AtOnceEnvelope, type AtOnceOptions } from './at-once.js';
export { createRemoteDelivery, type RemoteDelivery, type RemoteDeliveryOptions } from './remote.js';
export { nextHop, type DnsResolver, type NextHopPolicy, type RouteTarget, type Hop, type Destination, type RouteFailure } from './next-hop.js';
export { ConnectionCache, type ConnectionCacheOptions } from './connection-cache.js';
export { deliveryTrace, receivedField, traceFields, type ReceivedInfo, type TraceInfo } from './trace.js';
export { toCrlf, storedBody, indexStored, PartIndexer, BareLfCheck } from './stored-body.js';
