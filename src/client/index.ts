export { ApiError, ConnectionError, SluiceClient, type ClientOptions } from './client.js';
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
