/**
 * The narrow read/command surfaces the API needs from the controller and its apps.
 *
 * The api folder depends on these interfaces, not on the concrete Controller or app classes, so routes can be
 * unit-tested with fakes; src/daemon adapts the real objects to them.
 */
import type {
  DescStats,
  FeaturesReply,
  OfVersion,
  PortDesc,
  StatsReplyBody,
  StatsRequestBody,
} from '../openflow/index.js';

/** One connected switch, as the API sees it. */
export interface SwitchView {
  readonly dpid: bigint;
  readonly version: OfVersion;
  /** `host:port` of the switch's OpenFlow connection. */
  readonly remoteAddress: string;
  readonly connectedSince: Date;
  readonly features: Pick<FeaturesReply, 'nBuffers' | 'nTables' | 'capabilities' | 'actions' | 'auxiliaryId'>;
  readonly desc?: DescStats;
  readonly ports: ReadonlyMap<number, PortDesc>;
  /** One stats/multipart request, all reply parts merged into one body of the same kind. */
  stats(body: StatsRequestBody): Promise<StatsReplyBody>;
}

export interface SwitchesView {
  /** Connected switches by DPID. */
  readonly switches: ReadonlyMap<bigint, SwitchView>;
}

export interface PortRef {
  dpid: bigint;
  port: number;
}

export interface LinkInfo {
  src: PortRef;
  dst: PortRef;
  /** `internal`: both ends are switches of this controller; `external`: seen through a broadcast domain. */
  type: 'internal' | 'external';
  direction: 'bidirectional' | 'unidirectional';
  latencyMs: number;
}

export interface TopologyView {
  /** Links between switches of this controller. */
  links(): LinkInfo[];
  /** Links through a non-OpenFlow broadcast domain (LLDP seen via another controller's island). */
  externalLinks(): LinkInfo[];
  /** Sets of switches connected by links (each switch appears in exactly one cluster). */
  clusters(): bigint[][];
  /**
   * Shortest path from a switch port to a switch port: the hops in (in, out) pairs per switch, starting with
   * `src` and ending with `dst`. Undefined if no path exists.
   */
  route(src: PortRef, dst: PortRef): PortRef[] | undefined;
}

export interface HostInfo {
  mac: string;
  ipv4: string[];
  ipv6: string[];
  /** VLAN IDs the host was seen on (0 = untagged). */
  vlan: number[];
  attachmentPoints: PortRef[];
  /** Milliseconds since the epoch. */
  lastSeen: number;
}

/** Every present key must match; absent keys match anything. */
export interface HostFilter {
  mac?: string;
  ipv4?: string;
  dpid?: bigint;
  port?: number;
  vlan?: number;
}

export interface HostsView {
  find(filter: HostFilter): HostInfo[];
}

/** Monotonic counters the controller keeps, for /metrics (a subset of the controller's metrics object). */
export interface ControllerCounters {
  readonly packetIn: number;
  readonly packetOut: number;
  readonly flowMods: number;
  /** OFPT_ERROR messages received. */
  readonly switchErrors: number;
  readonly decodeErrors: number;
  readonly appErrors: number;
  readonly requestTimeouts: number;
  /** Cluster members: changes to switches this member is a slave of, dropped before they left. */
  readonly slaveDrops?: number;
}

/** A loaded controller app, for /wm/core/module/... */
export interface ModuleInfo {
  name: string;
  /** Apps that run before this one. */
  after: string[];
}
