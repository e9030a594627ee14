export { ApiError, BaseClient, ConnectionError, SluiceClient, type ClientOptions } from './client.js';
export { AgentClient, DEFAULT_AGENT_URL, type AttachOptions } from './agent.js';
export {
  ClientOptionError,
  pemProblem,
  validateTls,
  tlsProblemOf,
  type TlsOptions,
  type TlsOptionNames,
  type TlsProblem,
  type PemKind,
} from './tls.js';
export type * from './types.js';
export type * from './qos.js';
export { SseParser, hostawareMethods } from './hostaware.js';
export type * from './hostaware.js';
