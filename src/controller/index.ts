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
export { TurnScheduler, type TurnInput } from './turns.js';
export { switchSink, type Outgoing, type Sink } from './sink.js';
export { orderApps } from './pipeline.js';
export {
  DEFAULT_PIPELINE,
  Pipeline,
  PipelineError,
  SLUICE_PIPELINE,
  rankIn,
  type BandDecl,
  type PipelineDecl,
  type Place,
  type PriorityRange,
  type StageDecl,
} from './tables.js';
export {
  flowDelete,
  flowMod,
  flowModAdd,
  flowModDeleteStrict,
  type FlowAddFields,
  type FlowDeleteFields,
} from './flowmod.js';
export {
  canonicalMatch,
  diffFlows,
  diffGroups,
  diffMeters,
  flowKey,
  flowOutcome,
  ownedBy,
  planReconcile,
  recordOutcome,
  rejections,
  sameMeter,
  switchError,
  type Actual,
  type FlowDiff,
  type IdDiff,
  type Intent,
  type PlannedMod,
  type ReconcilePlan,
} from './reconcile.js';
export {
  Reconciler,
  desiredFlowsAt,
  hasIntent,
  type ReconcileWork,
  type ReconcilerHost,
} from './reconciler.js';
