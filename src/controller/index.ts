export * from './app.js';
export * from './errors.js';
export {
  Controller,
  DEFAULT_LISTEN,
  TABLE_MISS,
  type ControllerOptions,
  type ListenAddress,
  type TlsOptions,
} from './controller.js';
export { allFlowsRequest } from './flowstats.js';
export { orderApps } from './pipeline.js';
export {
  canonicalMatch,
  diffFlows,
  flowKey,
  flowModAdd,
  flowModDeleteStrict,
  ownedBy,
  type FlowDiff,
} from './reconcile.js';
