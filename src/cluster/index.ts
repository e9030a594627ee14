/**
 * Controller clusters on the store (issue 13): membership under leases and leader election by
 * compare-and-swap. Depends on the store only.
 *
 *   clusterKeys(id)                    where a cluster's members and leader live (keys.ts)
 *   clusterNameProblem(text)           why a --cluster-id / --member-id is not a name
 *   new ClusterMember({store, ...})    registers, keeps its lease, campaigns; emits 'elected', 'leadership lost'
 *   step(state, input, settings)       the member's decisions, pure (state.ts)
 *   new LeasePublisher({store, ...})   keys kept on a member's lease, written coalesced in the background
 *   new PrefixMirror({store, prefix})  a live copy of a prefix (watch, list, periodic re-list) in batches
 *   new Mastership({store, member, target, log})  per-switch masters through the store (mastership.ts)
 *   placeVacant / rebalancePlan        who should master which switch, pure (plan.ts)
 */
export { CLUSTER_NAME_PATTERN, clusterKeys, clusterNameProblem, type ClusterKeys } from './keys.js';
export {
  INITIAL_STATE,
  leaseDeadline,
  leaseMarginMs,
  step,
  type Effect,
  type LeaderRecord,
  type MemberInput,
  type MemberSettings,
  type MemberState,
  type Role,
} from './state.js';
export {
  ClusterMember,
  DEFAULT_TTL_SECONDS,
  parseLeaderRecord,
  parseMemberRecord,
  type ClusterMemberEvents,
  type ClusterMemberOptions,
  type MemberInfo,
  type MemberRecord,
} from './member.js';
export { LeasePublisher, type LeasePublisherOptions, type Wanted } from './publish.js';
export { PrefixMirror, type MirrorChange, type PrefixMirrorOptions } from './mirror.js';
export { placeVacant, rebalancePlan, type Move, type SwitchMastership } from './plan.js';
export {
  Mastership,
  dpidHex,
  parseMasterRecord,
  parseRebalanceRecord,
  parseSwitchKey,
  type MasterRecord,
  type MastershipLog,
  type MastershipOptions,
  type MastershipTarget,
  type RebalanceRecord,
  type SwitchMastershipView,
} from './mastership.js';
