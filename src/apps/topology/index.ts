export {
  TopologyApp,
  TOPOLOGY_APP_ID,
  type TopologyOptions,
  type TopologyLink,
  type LinkView,
  type TopologyChange,
  type TopologyEvents,
} from './app.js';
export { LinkGraph, linkKey, undirectedKey, type Avoid, type Link, type Hop } from './graph.js';
export {
  latencySample,
  smoothLatency,
  combineLatency,
  LATENCY_SMOOTHING,
  type LatencyProbe,
} from './latency.js';
