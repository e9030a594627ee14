/**
 * `sluice proxy` (issue 9): a Docker API proxy with PowerstripProtocolVersion 1 adapters. Each part adds its
 * exports in its own block, the blocks sorted by file.
 */
export { makeHookCaller, type ClosableHookCaller, type HookCallerOptions } from './caller.js';
export { dockerStyleError, runPostHooks, runPreHooks } from './chain.js';
export {
  ConfigError,
  configSummary,
  emptyConfig,
  globToRegExp,
  hooksFor,
  HTTP_METHODS,
  matchGlob,
  matchPath,
  parseAdaptersConfig,
  parseAdapterUrl,
  parseEndpointKey,
  problemText,
  type AdapterTarget,
  type ConfigProblem,
  type EndpointRule,
  type ParseOptions,
  type ProxyConfig,
} from './config.js';
export {
  CIDR_ENV,
  DEFAULT_NETWORK,
  NETWORK_ENV,
  NetworkAdapterError,
  cidrNetworkName,
  networkAdapter,
  networkPreHook,
  type NetworkAgent,
  type NetworkWish,
} from './network.js';
export {
  PROTOCOL_VERSION,
  ProtocolError,
  isJsonMediaType,
  parseClientRequest,
  parseHookRequest,
  parsePostHookReply,
  parsePreHookReply,
  parseServerResponse,
  postHookRequest,
  preHookRequest,
  type ClientRequest,
  type HookRequest,
  type PostHookReply,
  type PostHookRequest,
  type PreHookReply,
  type PreHookRequest,
  type ServerResponse,
} from './protocol.js';
export { REFUSAL_STATUSES, Refusal, hookErrorStatus, refuse, type RefusalStatus } from './refusal.js';
export {
  createAdapter,
  jsonBody,
  route,
  runAdapter,
  withJsonBody,
  type Adapter,
  type AdapterHooks,
  type HookContext,
  type ListenAt,
  type Listening,
  type PostHook,
  type PreHook,
} from './sdk.js';
export {
  AdapterFailure,
  type AdapterFailureKind,
  type AdapterHandler,
  type AdapterRef,
  type AdapterRun,
  type ChainResult,
  type EndpointHooks,
  type HookCaller,
} from './types.js';
export {
  ConfigWatcher,
  DEFAULT_ADAPTERS_FILE,
  loadAdaptersConfig,
  watchAdaptersConfig,
  type ConfigLog,
  type WatchOptions,
} from './watch.js';
