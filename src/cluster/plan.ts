/**
 * Who should master which switch: pure functions every member computes alike from the same store contents.
 *
 *   placeVacant(switches, live)   a member for each switch without a live master, least-loaded first
 *   rebalancePlan(switches, live) the fewest moves that even out the masters' counts (`sluice cluster rebalance`)
 *
 * A switch can only go to a live member it is connected to. Ties are broken by a hash of (dpid, member), so
 * equal members do not all pick the same one and every member computes the same answer.
 */

export interface SwitchMastership {
  /** 16 hex digits. */
  dpid: string;
  /** The member holding the switch's master key, if any. */
  master?: string;
  /** Members connected to the switch. */
  members: readonly string[];
}

export interface Move {
  dpid: string;
  from: string;
  to: string;
}

/** FNV-1a over `dpid/member`: stable across members and versions. */
function tieBreak(dpid: string, member: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${dpid}/${member}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const byDpid = (a: SwitchMastership, b: SwitchMastership) => (a.dpid < b.dpid ? -1 : a.dpid > b.dpid ? 1 : 0);

function candidatesOf(sw: SwitchMastership, live: ReadonlySet<string>): string[] {
  return [...new Set(sw.members)].filter((m) => live.has(m));
}

function counts(switches: readonly SwitchMastership[], live: ReadonlySet<string>): Map<string, number> {
  const n = new Map<string, number>([...live].map((m) => [m, 0]));
  for (const sw of switches) if (sw.master && live.has(sw.master)) n.set(sw.master, n.get(sw.master)! + 1);
  return n;
}

/** The candidate with the fewest switches; the tie-break hash decides between equals. */
function leastLoaded(dpid: string, candidates: readonly string[], load: Map<string, number>): string {
  let best = candidates[0];
  for (const m of candidates.slice(1)) {
    const d = load.get(m)! - load.get(best)!;
    if (d < 0 || (d === 0 && tieBreak(dpid, m) < tieBreak(dpid, best))) best = m;
  }
  return best;
}

/** For each switch without a live master and with a live candidate: the member that should take it. */
export function placeVacant(
  switches: readonly SwitchMastership[],
  live: ReadonlySet<string>,
): Map<string, string> {
  const load = counts(switches, live);
  const out = new Map<string, string>();
  for (const sw of [...switches].sort(byDpid)) {
    if (sw.master && live.has(sw.master)) continue;
    const candidates = candidatesOf(sw, live);
    if (!candidates.length) continue;
    const to = leastLoaded(sw.dpid, candidates, load);
    load.set(to, load.get(to)! + 1);
    out.set(sw.dpid, to);
  }
  return out;
}

/**
 * Moves that bring every member within one switch of the others where the connections allow: a switch moves
 * from its master while that master has at least two more than the least-loaded candidate. Only switches with
 * a live master move (vacant ones are placeVacant's).
 */
export function rebalancePlan(switches: readonly SwitchMastership[], live: ReadonlySet<string>): Move[] {
  const load = counts(switches, live);
  const current = new Map(
    switches.filter((s) => s.master && live.has(s.master)).map((s) => [s.dpid, s.master!] as const),
  );
  const moves: Move[] = [];
  // Each pass moves at most one switch, from the most loaded member that can give one away.
  for (let pass = 0; pass < switches.length; pass++) {
    let best: Move | undefined;
    let gain = 1;
    for (const sw of [...switches].sort(byDpid)) {
      const from = current.get(sw.dpid);
      if (!from) continue;
      const others = candidatesOf(sw, live).filter((m) => m !== from);
      if (!others.length) continue;
      const to = leastLoaded(sw.dpid, others, load);
      const d = load.get(from)! - load.get(to)!;
      if (d > gain) {
        gain = d;
        best = { dpid: sw.dpid, from, to };
      }
    }
    if (!best) break;
    current.set(best.dpid, best.to);
    load.set(best.from, load.get(best.from)! - 1);
    load.set(best.to, load.get(best.to)! + 1);
    const earlier = moves.findIndex((m) => m.dpid === best.dpid);
    if (earlier >= 0) moves[earlier] = { ...moves[earlier], to: best.to };
    else moves.push(best);
  }
  return moves.filter((m) => m.from !== m.to);
}
