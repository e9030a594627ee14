/**
 * The typed Sluice API client, browser-safe: nothing here (or in what it imports) is Node-only, so the web UI
 * bundles it as is. Node programs that need TLS options (CA, client certificate) use node.ts instead.
 */
export {
  BaseClient,
  SluiceClient,
  platformTransport,
  type ClientOptions,
  type Query,
  type Transport,
} from './client.js';
export {
  ApiError,
  apiErrorCode,
  ClientOptionError,
  ConnectionError,
  SLUICE_ERROR_CODES,
  SluiceClientError,
  tlsProblemOf,
  type FailureFacts,
  type SluiceApiErrorCode,
  type SluiceErrorCode,
  type TlsProblem,
} from './errors.js';
export { AgentClient, DEFAULT_AGENT_URL, type AttachOptions } from './agent.js';
export type * from './types.js';
export { flowsText } from './flows.js';
export { formatBitRate } from './format.js';
export type * from './qos.js';
export { nodesMethods } from './nodes.js';
export type * from './nodes.js';
export { SseParser, hostawareMethods } from './hostaware.js';
export {
  FIREWALL_RULE_KEYS,
  HAND_ACTION_TYPES,
  HAND_COMPARATORS,
  HAND_EVENT_TYPES,
  HAND_SOURCE_TYPES,
} from '../schema/vocab.js';
export type * from './hostaware.js';
export { pkiMethods } from './pki.js';
export type * from './pki.js';
export {
  AGENT_CLIENT_ROUTES,
  FLOODLIGHT_ONLY_ROUTES,
  SLUICE_CLIENT_ROUTES,
  type AgentClientMethod,
  type HttpMethod,
  type RouteSpec,
  type SluiceClientMethod,
} from './routes.js';
