export * from './app.js';
export * from './errors.js';
export { Controller, type ControllerOptions, type ListenAddress, type TlsOptions } from './controller.js';
export { orderApps } from './pipeline.js';
export { diffFlows, flowKey, type FlowDiff } from './reconcile.js';
