/**
 * Container networks (issue 8), first layer: pure network rules and their state in the store.
 *
 *   parseNetworkRequest(body)            validated create request (FieldError naming the key)
 *   checkClashes(spec, networks)         ConflictError 'name' | 'vni' | 'subnet'
 *   pickDefaultSubnet(routes, taken?)    Socketplane's rule: 10.1.0.0/16, then others, avoiding host routes
 *   new NetworkStore(store)              create (race-safe) / list / get / delete (refused with endpoints)
 *   new Ipam(store)                      allocate / release / list addresses by compare-and-swap
 */
export {
  DEFAULT_MTU,
  DEFAULT_SUBNET_CANDIDATES,
  VNI_MAX,
  checkClashes,
  nextFreeVni,
  parseNetworkRequest,
  pickDefaultSubnet,
  type Network,
  type NetworkSpec,
} from './network.js';
export { NetworkStore, type DeleteOptions } from './networks.js';
export { Ipam, nextFreeAddress, type Allocation, type AllocateOptions } from './ipam.js';
export {
  EndpointStore,
  endpointId,
  hostIfaceName,
  macFor,
  matchesContainer,
  parseContainerId,
  parseIfname,
  type EndpointFilter,
  type ReserveRequest,
} from './endpoints.js';
export { HostRegistry, HOST_LEASE_TTL_S, listHosts, type HostRegistryOptions } from './hosts.js';
export * from './types.js';
export {
  DOCKER_API_MAX,
  DOCKER_DEFAULT_SOCKET,
  DockerClient,
  DockerError,
  dockerSocketFromEnv,
  type ContainerInfo,
  type ContainerNetwork,
  type CreateNetworkRequest,
  type DockerErrorCode,
  type DockerEvent,
  type EventStream,
  type NetworkInfo,
} from './docker.js';
export {
  AgentCore,
  DEFAULT_NETWORK_NAME,
  type AgentCoreOptions,
  type ContainerFacts,
  type ContainerSource,
  type CoreLogger,
  type Fabric,
  type Plumbing,
} from './agent.js';
export {
  AGENT_CONFIG_FLAGS,
  AGENT_DEFAULTS,
  resolveUnderlay,
  validateAgentConfig,
  type AgentConfig,
} from './config.js';
export { startAgent, RESYNC_INTERVAL_MS, type RunningAgent } from './daemon.js';
export { HostFabric, HostPlumbing, PluginHostPlumbing, desiredFdb, EXT } from './host.js';
export {
  DEFAULT_PLUGIN_SOCKET,
  DockerPlugin,
  NETWORK_OPTION,
  PLUGIN_CONTENT_TYPE,
  PLUGIN_NAME,
  servePlugin,
  type PluginBackend,
  type PluginReply,
  type PluginServer,
} from './plugin.js';
export {
  StorePluginBackend,
  sandboxIfaceName,
  type DockerNetworkSource,
  type PluginPlumbing,
  type StorePluginBackendOptions,
} from './pluginbackend.js';
/**
 * The agent's dataplane on its own host bridge:
 *
 *   AGENT_PIPELINE                       tables classify (0) and forward (1), the overlay app's bands
 *   overlayFlows(view)                   BridgeView -> FlowSpec[] (pure): isolation, anti-spoofing, forwarding
 *   new OverlayApp({dpid?})              holds the view; setView(view) reconciles the bridge
 *   new LinuxNet()                       veths into namespaces, per-VNI VXLAN devices and their FDB (execFile)
 */
export { AGENT_PIPELINE, CLASSIFY_TABLE, FORWARD_TABLE, OVERLAY_APP } from './pipeline.js';
export {
  EMPTY_VIEW,
  networkPorts,
  overlayFlows,
  validateView,
  type BridgeNetwork,
  type BridgeView,
  type GatewayPort,
  type LocalEndpoint,
  type RemoteEndpoint,
} from './flows.js';
export { OVERLAY_APP_ID, OverlayApp, type OverlayOptions } from './overlay.js';
export {
  FLOOD_MAC,
  LinkError,
  LinuxNet,
  PEER_PREFIX,
  VETH_PREFIX,
  VXLAN_PORT,
  VXLAN_PREFIX,
  execFileRunner,
  netnsPath,
  vethNames,
  vxlanName,
  type ContainerIface,
  type FdbEntry,
  type NetnsRef,
  type Runner,
  type VxlanSpec,
} from './linux.js';
export {
  CNI_DEFAULT_AGENT,
  CNI_ERR,
  CNI_SUPPORTED_VERSIONS,
  CniError,
  cniResult,
  parseCniConfig,
  parseCniEnv,
  runCni,
  type CniConfig,
  type CniDeps,
  type CniEnv,
} from './cni.js';
