/**
 * Node methods (issue 12; the NVP/NSX toolkit's control services): node and cluster descriptions with their
 * history, transport nodes, zones, interface statistics and the control cluster. The seed's calls keep clear
 * names: nodeExists (tnode_exists), transportZones (get_transport_zones), transportZoneExists
 * (check_transport_exists), controlCluster (get_control_cluster), interfaceStatistics
 * (get_interface_statistics). Types are the schemas' (src/schema/nodes.ts).
 */
import type * as S from '../schema/index.js';
import { ApiError } from './errors.js';

export type {
  ClusterApplied,
  ClusterLeader,
  ClusterDescriptionRecord,
  ClusterRebalanced,
  ClusterRevision,
  ClusterSwitch,
  ControlCluster,
  ControlClusterMember,
  ControlClusterView,
  InterfaceStatistics,
  NodeApplied,
  NodeDescription,
  NodeDocument,
  NodeRecord,
  NodeRevision,
  NodeSummary,
  TransportNode,
  TransportNodeRegistration,
  TransportZone,
} from '../schema/index.js';

type Request = <T>(
  method: string,
  path: string,
  opts?: { query?: Record<string, string | undefined>; body?: unknown },
) => Promise<T>;

const seg = (s: string) => encodeURIComponent(s);
const dryRunQuery = (dryRun: boolean | undefined) => ({ dry_run: dryRun ? 'true' : undefined });

/** True when the call answers, false on 404; other errors are thrown. */
async function exists(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return false;
    throw err;
  }
}

export function nodesMethods(request: Request) {
  const node = (name: string) => request<S.NodeRecord>('GET', `/api/v1/nodes/${seg(name)}`);
  const transportNode = (name: string) =>
    request<S.TransportNode>('GET', `/api/v1/transport-nodes/${seg(name)}`);
  const transportZone = (name: string) =>
    request<S.TransportZone>('GET', `/api/v1/transport-zones/${seg(name)}`);
  const controlCluster = async () => (await request<S.ControlClusterView>('GET', '/api/v1/cluster')).members;
  return {
    // ---- descriptions
    list: () => request<S.NodeSummary[]>('GET', '/api/v1/nodes'),
    get: node,
    /** Creates or updates; the same description again changes nothing (change: 'unchanged'). */
    apply: (description: S.NodeDescription, opts: { dryRun?: boolean } = {}) =>
      request<S.NodeApplied>('PUT', `/api/v1/nodes/${seg(description.name)}`, {
        body: description,
        query: dryRunQuery(opts.dryRun),
      }),
    /** The deletion's revision (the history stays). */
    delete: (name: string) => request<S.NodeRevision>('DELETE', `/api/v1/nodes/${seg(name)}`),
    history: (name: string) => request<S.NodeRevision[]>('GET', `/api/v1/nodes/${seg(name)}/history`),
    nodeExists: (name: string) => exists(() => node(name)),

    // ---- the control cluster
    clusterDescription: () => request<S.ClusterDescriptionRecord>('GET', '/api/v1/cluster/description'),
    applyClusterDescription: (description: S.ControlCluster, opts: { dryRun?: boolean } = {}) =>
      request<S.ClusterApplied>('PUT', '/api/v1/cluster/description', {
        body: description,
        query: dryRunQuery(opts.dryRun),
      }),
    clusterHistory: () => request<S.ClusterRevision[]>('GET', '/api/v1/cluster/description/history'),
    /** The control cluster's members, each with its roles and listen addresses. */
    controlCluster,
    /** The whole cluster view: members, the cluster id (when clustered) and who leads since when. */
    cluster: () => request<S.ControlClusterView>('GET', '/api/v1/cluster'),
    /** Asks the members to even out switch mastership; the moves asked for (empty: already balanced). */
    rebalance: () => request<S.ClusterRebalanced>('POST', '/api/v1/cluster/rebalance'),

    // ---- transport nodes and zones
    transportNodes: () => request<S.TransportNode[]>('GET', '/api/v1/transport-nodes'),
    transportNode,
    transportNodeExists: (name: string) => exists(() => transportNode(name)),
    /** What provisioning does last: the node's description must be applied and agree. */
    register: (name: string, registration: S.TransportNodeRegistration) =>
      request<S.TransportNode>('PUT', `/api/v1/transport-nodes/${seg(name)}`, { body: registration }),
    unregister: (name: string) => request<S.TransportNode>('DELETE', `/api/v1/transport-nodes/${seg(name)}`),
    interfaces: (node: string) => request<string[]>('GET', `/api/v1/transport-nodes/${seg(node)}/interfaces`),
    interfaceStatistics: (node: string, iface: string) =>
      request<S.InterfaceStatistics>(
        'GET',
        `/api/v1/transport-nodes/${seg(node)}/interfaces/${seg(iface)}/stats`,
      ),
    transportZones: () => request<S.TransportZone[]>('GET', '/api/v1/transport-zones'),
    transportZone,
    transportZoneExists: (name: string) => exists(() => transportZone(name)),
  };
}

export type NodesMethods = ReturnType<typeof nodesMethods>;
