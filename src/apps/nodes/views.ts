/**
 * The transport views, as pure functions of the stored descriptions and registrations and the runtime's
 * connection facts: a transport node, the zones, the control cluster; and the checks a registration must pass
 * against its node's description.
 */
import type {
  ControlClusterMember,
  ControlClusterView,
  NodeDescription,
  TransportNode,
  TransportNodeRegistration,
  TransportZone,
} from '../../schema/index.js';
import { ConflictError, FieldError } from '../../util/index.js';
import type { TransportRuntime } from './runtime.js';

export interface StoredRegistration {
  registered: string;
  registration: TransportNodeRegistration;
}

/**
 * A registration is accepted only for a described node, and must agree with the description on what the
 * description decides (type, zone, integration bridge); a mismatch means provisioning ran from another
 * description than the stored one.
 */
export function checkRegistration(
  name: string,
  reg: TransportNodeRegistration,
  description: NodeDescription | undefined,
): void {
  if (!description) {
    throw new ConflictError(
      'name',
      `node ${name} has no description; apply one first (sluice node apply FILE), then provision it`,
    );
  }
  const expect = (field: keyof TransportNodeRegistration, want: unknown) => {
    if (reg[field] !== want) {
      throw new FieldError(
        field,
        `${JSON.stringify(reg[field])} differs from node ${name}'s description (${JSON.stringify(want)}); ` +
          're-provision from the stored description',
      );
    }
  };
  expect('type', description.type);
  expect('transport_zone', description.transport_zone);
  expect('integration_bridge', description.integration_bridge ?? 'br-int');
}

export function transportNodeOf(
  name: string,
  stored: StoredRegistration,
  runtime: TransportRuntime,
): TransportNode {
  const faults = faultsOf(stored.registration.system_id, runtime.systemId?.(name));
  return {
    name,
    ...stored.registration,
    registered: stored.registered,
    ovsdb: runtime.ovsdb(name),
    openflow: runtime.openflow(name),
    ...(faults.length ? { faults } : {}),
    tunnels: runtime.tunnels(name),
  };
}

/**
 * What a connected node contradicts in its registration. A system-id other than the registered one is another
 * machine presenting the node's certificate, or the node reinstalled: shown, not refused (see transportNodeOf's
 * caller), so an operator sees it instead of a node that silently vanished. Pure.
 */
export function faultsOf(registered: string, seen: string | undefined): NonNullable<TransportNode['faults']> {
  if (seen === undefined || seen === registered) return [];
  return [
    {
      field: 'system_id',
      expected: registered,
      seen,
      reason:
        `the node's OVSDB reports system-id ${seen}, registered ${registered}: another machine has its ` +
        'certificate, or it was reinstalled; check the machine, then re-provision it (sluice node provision)',
    },
  ];
}

/** Both connections up, and not a machine other than the registered one (its system-id). */
const connected = (runtime: TransportRuntime, node: string, systemId?: string) =>
  runtime.ovsdb(node).connected &&
  runtime.openflow(node).connected &&
  (systemId === undefined || faultsOf(systemId, runtime.systemId?.(node)).length === 0);

/**
 * Zones named by the descriptions, and by registrations of nodes whose description is gone (a node's zone is
 * its description's when it has one): each with its nodes, sorted, and how many are connected.
 */
export function zonesOf(
  descriptions: readonly NodeDescription[],
  registrations: readonly { name: string; transport_zone: string; system_id?: string }[],
  runtime: TransportRuntime,
): TransportZone[] {
  const zoneOf = new Map<string, string>();
  const systemIds = new Map<string, string | undefined>();
  for (const r of registrations) {
    zoneOf.set(r.name, r.transport_zone);
    systemIds.set(r.name, r.system_id);
  }
  for (const d of descriptions) zoneOf.set(d.name, d.transport_zone);
  const zones = new Map<string, string[]>();
  for (const [node, zone] of zoneOf) zones.set(zone, [...(zones.get(zone) ?? []), node]);
  return [...zones.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, nodes]) => {
      nodes.sort();
      return { name, nodes, connected: nodes.filter((n) => connected(runtime, n, systemIds.get(n))).length };
    });
}

/** How this controller is reached: what the daemon listens on, as `scheme:host:port`. */
export interface ControllerIdentity {
  id: string;
  display_name: string;
  version: string;
  /** e.g. http:127.0.0.1:8080 */
  api: string;
  /** e.g. tcp:0.0.0.0:6653, one per OpenFlow listener */
  openflow: readonly string[];
  /** The nodes' OVSDB manager listener, when one runs (ssl:0.0.0.0:6640). */
  ovsdbManager?: string;
}

/** A cluster as the store shows it (issue 13): its live members and the leader, if one is elected. */
export interface ClusterMembership {
  clusterId: string;
  members: readonly (ControllerIdentity & { started: string })[];
  leader?: { id: string; since: string };
  /** Who masters each switch. */
  switches?: ControlClusterView['switches'];
}

function memberOf(
  m: ControllerIdentity,
  started: string | undefined,
  leader: { id: string; since: string } | undefined,
): ControlClusterMember {
  const roles: ControlClusterMember['roles'] = [
    { role: 'api', listen_addr: m.api },
    ...m.openflow.map((listen_addr) => ({ role: 'openflow' as const, listen_addr })),
    ...(m.ovsdbManager ? [{ role: 'ovsdb-manager' as const, listen_addr: m.ovsdbManager }] : []),
  ];
  const leads = leader?.id === m.id;
  return {
    id: m.id,
    display_name: m.display_name,
    version: m.version,
    roles,
    leader: leads,
    ...(leads ? { since: leader.since } : {}),
    ...(started ? { started } : {}),
  };
}

/**
 * NVP's control cluster shape plus leadership: a controller alone is the one member and leads since it
 * started; a clustered one lists the members the store has, by id.
 */
export function clusterViewOf(
  me: ControllerIdentity,
  started: string,
  cluster?: ClusterMembership,
): ControlClusterView {
  if (!cluster) {
    const leader = { id: me.id, since: started };
    return { leader, members: [memberOf(me, started, leader)] };
  }
  const members = [...cluster.members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    cluster_id: cluster.clusterId,
    ...(cluster.leader ? { leader: { id: cluster.leader.id, since: cluster.leader.since } } : {}),
    members: members.map((m) => memberOf(m, m.started, cluster.leader)),
    ...(cluster.switches ? { switches: cluster.switches } : {}),
  };
}

/** `scheme:host:port`, with an IPv6 host in brackets. */
export function listenAddr(scheme: string, host: string, port: number): string {
  return `${scheme}:${host.includes(':') ? `[${host}]` : host}:${port}`;
}
