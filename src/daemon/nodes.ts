/** The nodes routes' view of this daemon: its stored nodes, the runtime of the node listeners, and itself. */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { NodesView } from '../api/routes/nodes.js';
import {
  listenAddr,
  NodeRegistry,
  NO_RUNTIME,
  type ControllerIdentity,
  type TransportRuntime,
} from '../apps/nodes/index.js';
import type { ListenAddress } from '../controller/index.js';
import type { Store } from '../store/index.js';
import type { ClusterMember, Mastership, MemberInfo, MemberRecord } from '../cluster/index.js';

/** A UUID-shaped id that stays the same across restarts of the controller at one host and API address. */
export function controllerId(host: string, api: string): string {
  const h = createHash('sha256').update(`${host}\n${api}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `http://127.0.0.1:8080` -> `http:127.0.0.1:8080` (NVP's listen_addr form). */
export function urlListenAddr(url: string): string {
  const u = new URL(url);
  return `${u.protocol}${u.host}`;
}

export interface Listening {
  apiUrl: string;
  openflow: readonly ListenAddress[];
  openflowTls: boolean;
  /** The nodes' OVSDB manager listener (ssl:HOST:PORT), once one runs. */
  ovsdbManager?: string;
  /** The nodes' OpenFlow over TLS listener (ssl:HOST:PORT), once one runs: an openflow role too. */
  nodesOpenflow?: string;
}

export function controllerIdentity(version: string, at: Listening, host = hostname()): ControllerIdentity {
  const api = urlListenAddr(at.apiUrl);
  return {
    id: controllerId(host, api),
    display_name: host,
    version,
    api,
    openflow: [
      ...at.openflow.map((a) => listenAddr(at.openflowTls ? 'ssl' : 'tcp', a.host, a.port)),
      ...(at.nodesOpenflow ? [at.nodesOpenflow] : []),
    ],
    ...(at.ovsdbManager ? { ovsdbManager: at.ovsdbManager } : {}),
  };
}

/**
 * `listening` is read at each request: the API's address is known only once it listens, after the routes are
 * registered.
 */
export function nodesView(
  store: Store,
  version: string,
  listening: () => Listening,
  runtime: TransportRuntime = NO_RUNTIME,
  cluster?: {
    started: string;
    member: () => ClusterMember | undefined;
    mastership: () => Mastership | undefined;
    clusterId: string;
  },
): NodesView {
  return {
    registry: new NodeRegistry(store),
    runtime,
    identity: () => controllerIdentity(version, listening()),
    ...(cluster
      ? {
          started: cluster.started,
          cluster: async () => {
            const m = cluster.member();
            // The API answers a moment before the member registers (its address is known once it listens).
            if (!m) return { clusterId: cluster.clusterId, members: [] };
            const [members, leader, switches] = await Promise.all([
              m.members(),
              m.currentLeader(),
              cluster.mastership()?.view() ?? [],
            ]);
            return {
              clusterId: m.clusterId,
              members: members.map(identityOf),
              ...(leader ? { leader } : {}),
              switches,
            };
          },
          rebalance: async () => {
            const ms = cluster.mastership();
            if (!ms) throw new Error('the member is still starting: try again in a moment');
            return ms.rebalance();
          },
        }
      : {}),
  };
}

/** What a member publishes about itself: this controller's identity in the store's (snake_case) shape. */
export function memberInfoOf(me: ControllerIdentity): MemberInfo {
  return {
    display_name: me.display_name,
    version: me.version,
    api: me.api,
    openflow: [...me.openflow],
    ...(me.ovsdbManager ? { ovsdb_manager: me.ovsdbManager } : {}),
  };
}

function identityOf(r: MemberRecord): ControllerIdentity & { started: string } {
  return {
    id: r.id,
    display_name: r.display_name,
    version: r.version,
    api: r.api,
    openflow: r.openflow,
    ...(r.ovsdb_manager ? { ovsdbManager: r.ovsdb_manager } : {}),
    started: r.started,
  };
}
