/**
 * `sluice proxy` (issue 9): a Docker API proxy with PowerstripProtocolVersion 1 adapters. Each part adds its
 * exports in its own block, the blocks sorted by file.
 */
export { adapterSource, adapterSourceWith } from './adapters.js';
export { makeHookCaller, type ClosableHookCaller, type HookCallerOptions } from './caller.js';
export { dockerStyleError, runPostHooks, runPreHooks } from './chain.js';
export {
  apiPath,
  endToEndHeaders,
  HOP_BY_HOP,
  setRawHeader,
  streamingEndpoint,
  streamingResponse,
  wantsUpgrade,
} from './classify.js';
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
  DEFAULT_ADAPTER_TIMEOUT_MS,
  noAdapters,
  startProxyDaemon,
  type AdapterSource,
  type AdapterSourceFactory,
  type ProxyDaemon,
  type ProxyDaemonConfig,
} from './daemon.js';
export { dockerError, type ProxyAnswer } from './errors.js';
export {
  checkListenSecurity,
  DEFAULT_LISTEN,
  parseListen,
  type ListenAddress,
  type ServerTls,
} from './listen.js';
export { ProxyMetrics } from './metrics.js';
export { parseMetricsListen, serveMetrics, type MetricsListen } from './metricsserver.js';
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
  DEFAULT_BODY_CAP,
  NO_ADAPTERS,
  proxyRequestHandler,
  type AccessRecord,
  type ProxyChain,
  type ProxyLog,
  type ProxyOptions,
} from './server.js';
export { startProxy, type RunningProxy, type StartProxyOptions } from './start.js';
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
export { proxyUpgradeHandler } from './upgrade.js';
export {
  DOCKER_DEFAULT_URL,
  parseDockerUrl,
  Upstream,
  type DockerTarget,
  type DockerTls,
} from './upstream.js';
export {
  ConfigWatcher,
  DEFAULT_ADAPTERS_FILE,
  loadAdaptersConfig,
  watchAdaptersConfig,
  type ConfigLog,
  type WatchOptions,
} from './watch.js';
