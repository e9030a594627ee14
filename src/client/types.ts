/** Wire types of Sluice's /api/v1 responses (the client depends on nothing else of ours). */

export interface Health {
  status: 'ok';
  version: string;
  uptimeSec: number;
  switches: number;
}

export interface Switch {
  dpid: string;
  address: string;
  connectedSince: string;
  openflowVersion: '1.0' | '1.3';
  manufacturer: string;
  hardware: string;
  software: string;
  serialNumber: string;
  description: string;
  tables: number;
  buffers: number;
  capabilities: number;
  portCount: number;
}

export interface Port {
  port: number;
  /** The number, or LOCAL/CONTROLLER... for reserved ports. */
  portName: string;
  name: string;
  hwAddr: string;
  adminUp: boolean;
  linkUp: boolean;
  config: number;
  state: number;
  currSpeedKbps: number;
  maxSpeedKbps: number;
}

export interface PortCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxDropped: number;
  txDropped: number;
  rxErrors: number;
  txErrors: number;
  durationSec: number;
}

export interface PortWithStats extends Port {
  stats: PortCounters | null;
}

export interface SwitchDetail extends Switch {
  ports: Port[];
}

export interface Flow {
  tableId: number;
  priority: number;
  /** Hex, e.g. 0x2000000000000001. */
  cookie: string;
  packetCount: number;
  byteCount: number;
  durationSec: number;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  match: Record<string, string | number>;
  instructions: unknown[];
  /** The flow in ovs-ofctl dump-flows syntax. */
  text: string;
}

export interface PortRef {
  dpid: string;
  port: number;
}

export interface Link {
  src: PortRef;
  dst: PortRef;
  type: 'internal' | 'external';
  direction: 'bidirectional' | 'unidirectional';
  latencyMs: number;
}

export interface Host {
  mac: string;
  ipv4: string[];
  ipv6: string[];
  vlan: number[];
  attachmentPoints: PortRef[];
  lastSeen: string;
}

export interface HostFilter {
  mac?: string;
  ipv4?: string;
  dpid?: string;
  port?: number;
  vlan?: number;
}

/** GET /api/v1/hosts with search, sort and paging (limit 1..1000). */
export interface HostPageQuery extends HostFilter {
  /** Case-insensitive substring of the MAC, an IP address or the DPID. */
  q?: string;
  sort?: 'mac' | 'ip' | 'dpid' | 'lastSeen';
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

export interface HostPage {
  hosts: Host[];
  /** Hosts matching the filter and search before offset and limit (X-Total-Count). */
  total: number;
}

export interface Route {
  src: PortRef;
  dst: PortRef;
  hops: { dpid: string; inPort: number; outPort: number }[];
}

export type StatsKind =
  | 'aggregate'
  | 'desc'
  | 'flow'
  | 'port'
  | 'port-desc'
  | 'queue'
  | 'table'
  | 'group'
  | 'group-desc'
  | 'meter'
  | 'meter-config';

/** Floodlight 0.9's port (GUIs of that era read it): portNumber is a Java short, so LOCAL is -2. */
export interface FloodlightPort09 {
  portNumber: number;
  hardwareAddress: string;
  name: string;
  config: number;
  state: number;
  currentFeatures: number;
  advertisedFeatures: number;
  supportedFeatures: number;
  peerFeatures: number;
}

/** Floodlight 1.2 shapes the CLI and scripts read (with 0.9's dpid and ports beside them). */
export interface FloodlightSwitch {
  inetAddress: string;
  connectedSince: number;
  switchDPID: string;
  openFlowVersion: string;
  dpid: string;
  ports: FloodlightPort09[];
}

export interface FloodlightLink {
  'src-switch': string;
  'src-port': number;
  'dst-switch': string;
  'dst-port': number;
  type: string;
  direction: string;
  latency: number;
}

export interface FloodlightDevice {
  entityClass: string;
  mac: string[];
  ipv4: string[];
  ipv6: string[];
  vlan: string[];
  attachmentPoint: { switchDPID: string; port: number; errorStatus: null }[];
  lastSeen: number;
}

export interface FloodlightHop {
  switch: string;
  port: { portNumber: number; shortPortNumber: number };
}

/** A static entry as /api/v1/staticflows lists it. */
export interface StaticFlow {
  name: string;
  switch: string;
  /** installed | missing | inactive | switch_not_connected */
  state: string;
  /** The stored entry in canonical Floodlight form (string values). */
  entry: Record<string, string>;
  packetCount: number;
  byteCount: number;
  durationSec: number;
  /** The flow in ovs-ofctl dump-flows syntax. */
  text: string;
}

export interface StaticFlowAdded {
  name: string;
  /** True when the switch was connected and acknowledged it. */
  pushed: boolean;
  replaced: boolean;
}

/** A static entry to add: Floodlight's flat keys; values strings or numbers. */
export type StaticFlowEntry = Record<string, string | number | boolean>;

export interface FirewallStatus {
  enabled: boolean;
  /** What counts as an IPv4 broadcast (255.255.255.0 by default). */
  subnetMask: string;
  /** How many rules there are. */
  rules: number;
}

/** A firewall rule in canonical form: Floodlight's keys, text values (absent keys match anything). */
export interface FirewallRule {
  ruleid: string;
  switchid?: string;
  'src-inport'?: string;
  'src-mac'?: string;
  'dst-mac'?: string;
  'dl-type'?: string;
  'src-ip'?: string;
  'dst-ip'?: string;
  'nw-proto'?: string;
  'tp-src'?: string;
  'tp-dst'?: string;
  priority: string;
  action: 'allow' | 'deny';
  /** Low cookie bits (hex) of the flows this rule's decisions caused. */
  cookieTag: string;
}

export interface AclRule {
  ruleid: string;
  'src-ip'?: string;
  'dst-ip'?: string;
  'nw-proto'?: string;
  'tp-dst'?: string;
  action: 'allow' | 'deny';
}

/** A rule to add: Floodlight keys, values strings or numbers. */
export type RuleFields = Record<string, string | number>;

// ---- container networks (the agent's API; the controller serves the GETs read-only)

export interface AgentNetwork {
  /** Unique per incarnation: a network deleted and created again gets a new id. */
  id: string;
  name: string;
  /** Canonical CIDR: `10.1.0.0/16`. */
  subnet: string;
  gateway: string;
  vni: number;
  mtu: number;
  labels: Record<string, string>;
  /** Outbound NAT through the gateway on each host. */
  nat: boolean;
}

/** POST /api/v1/networks: without `subnet` the agent picks a /16 that avoids the host's routes. */
export interface NetworkCreate {
  name: string;
  subnet?: string;
  gateway?: string;
  vni?: number;
  mtu?: number;
  labels?: Record<string, string>;
  /** Default false. */
  nat?: boolean;
}

export interface AgentEndpoint {
  id: string;
  network: string;
  networkId: string;
  vni: number;
  /** The agent host id that plumbs it. */
  host: string;
  kind: 'docker' | 'cni' | 'plugin';
  containerId: string;
  containerName?: string;
  /** Interface name inside the container. */
  ifname: string;
  /** Host-side interface and OVS port. */
  hostIface: string;
  address: string;
  /** `address/prefix-length`. */
  cidr: string;
  gateway: string;
  mac: string;
  mtu: number;
  createdAt: string;
}

export interface EndpointFilter {
  network?: string;
  host?: string;
  /** A container id, a unique prefix of one, or a name. */
  container?: string;
}

export interface AgentHost {
  id: string;
  hostname: string;
  /** The VTEP address other hosts send VXLAN to. */
  underlayIp: string;
  version: string;
  bridge: string;
  startedAt: string;
}

/** Socketplane's /v0.1 network. */
export interface SocketplaneNetwork {
  /** The network name. */
  id: string;
  subnet: string;
  gateway: string;
  /** Sluice's VNI. */
  vlan: number;
}

/** Socketplane's /v0.1 connection. */
export interface SocketplaneConnection {
  container_id: string;
  container_name: string;
  container_pid: string;
  network: string;
  ovs_port_id: string;
  connection_details: { name: string; ip: string; subnet: string; mac: string; gateway: string };
}
