export {
  createApiServer,
  originFormUrl,
  toHttpError,
  BUILTIN_ROUTE_AREAS,
  type ApiServerOptions,
} from './server.js';
export {
  createAgentApiServer,
  serveAgentApi,
  AGENT_PUBLIC_PATHS,
  type AgentApiServerOptions,
} from './agentserver.js';
export { agentReadRoutes, type AgentReadView } from './routes/agent.js';
export { makeContext, type ApiContext, type ApiDeps, type RouteArea } from './context.js';
export {
  API_ERROR_CODES,
  HttpError,
  badRequest,
  notFound,
  type ApiErrorBody,
  type ApiErrorCode,
} from './errors.js';
export { listenApi } from './listen.js';
export { checkListenSecurity, isLoopbackHost, ListenConfigError, PUBLIC_PATHS } from './auth.js';
export { STATS_KINDS, type StatsKind } from './switchstats.js';
export type * from './views.js';
export { DEFAULT_UI_ROOT, type UiOptions } from './ui.js';
