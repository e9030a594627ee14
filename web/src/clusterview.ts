/**
 * The cluster page's view logic (pure): a member's listen addresses by role, how many switches each member
 * masters (so one can see mastership is spread), the absolute time beside a relative one, and what a
 * rebalance answered in words.
 */
import type { ClusterSwitch, ControlClusterMember } from '../../src/client/index.js';

type Role = ControlClusterMember['roles'][number]['role'];

/** The listen addresses a member has for `role` (a controller may listen for OpenFlow on two ports). */
export const addressesOf = (m: ControlClusterMember, role: Role): string[] =>
  m.roles.filter((r) => r.role === role).map((r) => r.listen_addr);

export interface MasterCount {
  /** A member's id, or a master the member list does not have (it left, and its key is not gone yet). */
  id: string;
  /** Its display name; undefined for a master that is not a member. */
  name?: string;
  masters: number;
}

export interface Mastership {
  /** Every member (in the members' order, with 0 when it masters none), then masters that are no member. */
  counts: MasterCount[];
  /** Switches no member masters at the moment. */
  unmastered: number;
  /** Whether the counts of the members differ by at most one (with no switch unmastered). */
  balanced: boolean;
}

/** How many switches each member masters. */
export function mastershipOf(
  members: readonly ControlClusterMember[],
  switches: readonly ClusterSwitch[],
): Mastership {
  const counts = new Map<string, MasterCount>(
    members.map((m) => [m.id, { id: m.id, name: m.display_name, masters: 0 }]),
  );
  let unmastered = 0;
  for (const s of switches) {
    if (s.master === null) {
      unmastered++;
      continue;
    }
    const c = counts.get(s.master) ?? { id: s.master, masters: 0 };
    c.masters++;
    counts.set(s.master, c);
  }
  const memberCounts = members.map((m) => counts.get(m.id)!.masters);
  const balanced =
    unmastered === 0 &&
    (memberCounts.length === 0 || Math.max(...memberCounts) - Math.min(...memberCounts) <= 1);
  return { counts: [...counts.values()], unmastered, balanced };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO time as `2026-12-06 10:00:00 UTC` (what the page shows beside "3m ago"); as it came if unparsable. */
export function formatUtc(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const date = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  return `${date} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} UTC`;
}

/** What a rebalance answered, in one line. */
export function rebalanceSummary(moves: readonly unknown[]): string {
  if (moves.length === 0) return 'Already balanced: no switch needs to move.';
  const n = moves.length;
  return `${n} switch${n === 1 ? '' : 'es'} asked to move; the moves take place within seconds.`;
}

/** A datapath id as the dashboard prints them (`00:00:00:00:00:00:00:01`); one that is not 16 hex digits as it came. */
export const colonDpid = (dpid: string): string =>
  /^[0-9a-fA-F]{16}$/.test(dpid) ? dpid.toLowerCase().match(/../g)!.join(':') : dpid;

/**
 * How a member is named where only its id is given (a switch's master, a move): its display name, with the
 * start of its id when another member has the same name (members on one host share it); the id itself for one
 * that is not a member.
 */
export function memberLabels(members: readonly ControlClusterMember[]): (id: string) => string {
  const named = new Map<string, number>();
  for (const m of members) named.set(m.display_name, (named.get(m.display_name) ?? 0) + 1);
  const labels = new Map(
    members.map((m) => [
      m.id,
      named.get(m.display_name)! > 1 ? `${m.display_name} (${m.id.slice(0, 8)})` : m.display_name,
    ]),
  );
  return (id) => labels.get(id) ?? id;
}
