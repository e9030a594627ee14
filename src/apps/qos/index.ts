/**
 * The `qos` app: Floodlight's QoS module (services, queuing and ToS policies, QoS paths) plus rate policies
 * carried out with OpenFlow 1.3 meters, and port queues set up through OVSDB. `QosApp` is the App and the
 * commands the API calls; one job per module: state.ts (stored config), routes.ts (routes and ports, learned
 * hints), placements.ts (where policies land: flows, meters, views), queues.ts (OVSDB queues), report.ts
 * (a switch's rejection as an API error); policy.ts / flows.ts are the pure codecs.
 */
export { QosApp, QOS_APP_ID, type QosOptions, type PathView } from './app.js';
export { QOS_PREFIX, QOS_CONFIG_KEY, QosState } from './state.js';
export { QOS_LEARNED_KEY, Routes, type Network, type PathRoute } from './routes.js';
export {
  placementsOn,
  placementFlows,
  placementMeters,
  placementViews,
  type PlacementView,
} from './placements.js';
export { rejectionOf } from './report.js';
export {
  QosError,
  BEST_EFFORT,
  DEFAULT_POLICY_PRIORITY,
  MAX_ID,
  parseServiceBody,
  parsePolicyBody,
  parsePathBody,
  parseTemplate,
  policyToJson,
  policyToFloodlight,
  pathToJson,
  serviceToJson,
  type Service,
  type Policy,
  type PolicyMatch,
  type PolicyAction,
  type PolicyTemplate,
  type QosPath,
  type SwitchSel,
} from './policy.js';
export {
  QOS_METER_BASE,
  meterIdOf,
  ownsMeter,
  policyMatch,
  placementFlow,
  placementMeter,
  placementCookie,
  pathPlacements,
  appliesTo,
  type Placement,
  type RouteHop,
} from './flows.js';
export {
  DEFAULT_OVSDB_REMOTE,
  PortQueues,
  parseQueuesBody,
  portQosView,
  type PortQueuesView,
  type QueueStore,
  type QueueView,
} from './queues.js';
