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
  flowDelete,
  flowMod,
  flowModAdd,
  flowModDeleteStrict,
  type FlowAddFields,
  type FlowDeleteFields,
} from './flowmod.js';
export { canonicalMatch, diffFlows, flowKey, ownedBy, type FlowDiff } from './reconcile.js';
