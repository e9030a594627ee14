/**
 * The `qos` app: Floodlight's QoS module (services, queuing and ToS policies, QoS paths) plus rate policies
 * carried out with OpenFlow 1.3 meters, and port queues set up through OVSDB. `QosApp` holds the state and
 * the commands the API calls; policy.ts / flows.ts / queues.ts are the pure halves.
 */
export {
  QosApp,
  QOS_APP_ID,
  QOS_PREFIX,
  QOS_CONFIG_KEY,
  DEFAULT_OVSDB_REMOTE,
  type QosOptions,
  type QueueStore,
  type PathView,
  type PlacementView,
} from './app.js';
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
  diffMeters,
  appliesTo,
  type Placement,
  type MeterDiff,
  type RouteHop,
} from './flows.js';
export { parseQueuesBody, portQosView, type PortQueuesView, type QueueView } from './queues.js';
