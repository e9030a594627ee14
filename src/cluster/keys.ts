/**
 * Where a cluster lives in the store (keys relative to the store's namespace, i.e. under --etcd-prefix):
 *
 *   /clusters/<clusterId>/members/<memberId>   one per live member, on that member's lease
 *   /clusters/<clusterId>/leader               {id, since}, on the leader's lease
 *   /clusters/<clusterId>/switches/<dpid>/master           {member, since}, on the master's lease
 *   /clusters/<clusterId>/switches/<dpid>/members/<member> a member connected to the switch, on its lease
 *   /clusters/<clusterId>/rebalance            the latest rebalance request
 *   /clusters/<clusterId>/runtime/...          what members learned at run time (links, hosts), on their leases
 *
 * Pure: the CLI checks --cluster-id and --member-id with it without loading the store.
 */

/** A cluster or member name: a path segment that needs no escaping in a key or a URL. */
export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9._-]{1,63}$/;

/** Why `text` is not a cluster or member name, or undefined when it is one. */
export function clusterNameProblem(text: string): string | undefined {
  if (text.length === 0) return 'must not be empty';
  if (text.length > 63) return `is ${text.length} characters, the limit is 63`;
  if (!CLUSTER_NAME_PATTERN.test(text)) return 'may hold only letters, digits, ".", "_" and "-"';
  // '.' and '..' would read as path steps to anyone looking at the keys with etcdctl.
  if (/^\.+$/.test(text)) return 'must not be only dots';
  return undefined;
}

export interface ClusterKeys {
  /** Prefix of every member's key (ends with '/'). */
  members: string;
  member(memberId: string): string;
  leader: string;
  /** Prefix of every switch's mastership keys (ends with '/'). */
  switches: string;
  /** dpid: 16 hex digits. */
  master(dpid: string): string;
  switchMember(dpid: string, memberId: string): string;
  rebalance: string;
  /** Prefix under which members publish what they learned at run time (ends with '/'). */
  runtime: string;
}

export function clusterKeys(clusterId: string): ClusterKeys {
  const root = `/clusters/${clusterId}`;
  return {
    members: `${root}/members/`,
    member: (memberId) => `${root}/members/${memberId}`,
    leader: `${root}/leader`,
    switches: `${root}/switches/`,
    master: (dpid) => `${root}/switches/${dpid}/master`,
    switchMember: (dpid, memberId) => `${root}/switches/${dpid}/members/${memberId}`,
    rebalance: `${root}/rebalance`,
    runtime: `${root}/runtime/`,
  };
}
