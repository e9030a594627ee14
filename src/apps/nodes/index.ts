/**
 * Nodes (issue 12): node and control cluster descriptions with revision history, transport node registrations,
 * and the views over them (transport nodes, zones, the control cluster) joined with what the node listeners
 * see at run time (TransportRuntime).
 */
export { NodeRegistry, NODES_PREFIX, type Applied } from './registry.js';
export {
  canonicalJson,
  planApply,
  revisionKey,
  sameDescription,
  type AppliedChange,
  type Current,
} from './revisions.js';
export {
  checkRegistration,
  clusterViewOf,
  listenAddr,
  transportNodeOf,
  faultsOf,
  zonesOf,
  type ClusterMembership,
  type ControllerIdentity,
  type StoredRegistration,
} from './views.js';
export {
  NO_RUNTIME,
  type ConnectionState,
  type OpenflowState,
  type Tunnel,
  type TransportRuntime,
} from './runtime.js';
