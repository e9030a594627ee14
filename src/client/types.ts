/**
 * Wire types of Sluice's /api/v1 responses: `Static` of the schemas the server answers with (src/schema), so
 * the client, the server and /openapi.json cannot drift. Hand-written only where no schema exists yet (query
 * filters, request bodies, Floodlight paths without a response schema, Socketplane's /v0.1): marked below.
 */
import type { Static } from '@sinclair/typebox';
import type * as S from '../schema/index.js';

export type Health = Static<typeof S.Health>;
export type Switch = Static<typeof S.Switch>;
export type Port = Static<typeof S.Port>;
export type PortCounters = NonNullable<Static<typeof S.PortCounters>>;
export type PortWithStats = Static<typeof S.PortWithStats>;
export type SwitchDetail = Static<typeof S.SwitchDetail>;
export type Flow = Static<typeof S.Flow>;
export type PortRef = Static<typeof S.PortRef>;
export type Link = Static<typeof S.Link>;
export type Host = Static<typeof S.Host>;
export type Route = Static<typeof S.Route>;
export type HostsPerSwitch = Static<typeof S.HostsPerSwitch>;
export type StatisticsStatus = Static<typeof S.StatisticsStatus>;
export type PortRate = Static<typeof S.PortRateEntry>;
export type LinkLoad = Static<typeof S.LinkLoad>;

/** No schema yet (hand-written): the /api/v1/hosts query. */
export interface HostFilter {
  mac?: string;
  ipv4?: string;
  dpid?: string;
  port?: number;
  vlan?: number;
}

/** No schema yet (hand-written): GET /api/v1/hosts with search, sort and paging (limit 1..1000). */
export interface HostPageQuery extends HostFilter {
  /** Case-insensitive substring of the MAC, an IP address or the DPID. */
  q?: string;
  sort?: 'mac' | 'ip' | 'dpid' | 'lastSeen';
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

/** Hand-written: the hosts of one page (the body) and X-Total-Count (a header). */
export interface HostPage {
  hosts: Host[];
  /** Hosts matching the filter and search before offset and limit (X-Total-Count). */
  total: number;
}

/** No schema yet (hand-written): the stats kinds /api/v1/switches/{dpid}/stats/{kind} takes. */
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
export type FloodlightPort09 = Static<typeof S.Port09>;
/** Floodlight 1.2 shapes the CLI and scripts read (with 0.9's dpid and ports beside them). */
export type FloodlightSwitch = Static<typeof S.FloodlightSwitch>;

// No schema yet (hand-written): Floodlight links, devices and route hops.

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
export type StaticFlow = Static<typeof S.StaticFlow>;
export type StaticFlowAdded = Static<typeof S.StaticFlowAdded>;

/** A request body (hand-written): a static entry to add, Floodlight's flat keys; values strings or numbers. */
export type StaticFlowEntry = Record<string, string | number | boolean>;

export type FirewallStatus = Static<typeof S.FirewallStatus>;
/** A firewall rule in canonical form: Floodlight's keys, text values (absent keys match anything). */
export type FirewallRule = Static<typeof S.FirewallRule>;
export type AclRule = Static<typeof S.AclRule>;

/** A request body (hand-written): a rule to add, Floodlight keys, values strings or numbers. */
export type RuleFields = Record<string, string | number>;

// ---- container networks (the agent's API; the controller serves the GETs read-only)

export type AgentNetwork = Static<typeof S.AgentNetwork>;
export type AgentEndpoint = Static<typeof S.AgentEndpoint>;
export type AgentHost = Static<typeof S.AgentHost>;

// No schema yet (hand-written): the network create body, the endpoint filter, Socketplane's /v0.1 shapes.

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

export interface EndpointFilter {
  network?: string;
  host?: string;
  /** A container id, a unique prefix of one, or a name. */
  container?: string;
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
