/**
 * Where stored policies and paths land: every placement on a switch (a policy with its output port, a path
 * hop), and from them the flows and meters the switch should have, and the API's placement views.
 */
import type { FlowSpec } from '../../controller/index.js';
import type { MeterConfigEntry, OfVersion } from '../../openflow/index.js';
import { formatDpid } from '../../util/index.js';
import { appliesTo, pathPlacements, placementFlow, placementMeter, type Placement } from './flows.js';
import { QosError } from './policy.js';
import type { Routes } from './routes.js';
import type { QosState } from './state.js';

/** Where a policy lands on one connected switch, or why it does not. */
export interface PlacementView {
  switch: string;
  'out-port'?: number;
  problem?: { field: string; reason: string };
}

/** Every placement on a switch: its policies (sw all or this DPID) and the path hops through it. */
export function placementsOn(state: QosState, routes: Routes, dpid: bigint): Placement[] {
  if (!state.enabled) return [];
  const tosOf = (service: string) => state.serviceByName(service)?.tos ?? 0;
  const out: Placement[] = [];
  for (const p of state.policies.values()) {
    if (!appliesTo(p, dpid)) continue;
    const a = p.action;
    const pl: Placement = { id: p.id, name: p.name, dpid, priority: p.priority, match: p.match, action: a };
    if (a.kind === 'service') pl.tos = tosOf(a.service);
    if (a.kind !== 'queue') {
      const port = a.outPort ?? routes.outPortToward(p.id, dpid, p.match);
      if (port !== undefined) pl.outPort = port;
    }
    out.push(pl);
  }
  for (const path of state.paths.values()) {
    const hops = routes.routeOf(path).hops.filter((h) => h.dpid === dpid);
    if (hops.length === 0) continue;
    const a = path.template.action;
    out.push(...pathPlacements(path, hops, a.kind === 'service' ? tosOf(a.service) : undefined));
  }
  return out;
}

/** The flows of placements a switch of `version` can carry (the others show up as problems in views). */
export function placementFlows(pls: readonly Placement[], version: OfVersion, cookie: bigint): FlowSpec[] {
  const out: FlowSpec[] = [];
  for (const p of pls) {
    try {
      out.push(placementFlow(p, version, cookie));
    } catch (err) {
      if (!(err instanceof QosError)) throw err;
    }
  }
  return out;
}

/** The meters rate placements need, one per id, by id. */
export function placementMeters(pls: readonly Placement[]): MeterConfigEntry[] {
  const byId = new Map<number, MeterConfigEntry>();
  for (const p of pls) {
    const m = placementMeter(p);
    if (m) byId.set(m.meterId, m);
  }
  return [...byId.values()].sort((a, b) => a.meterId - b.meterId);
}

/** Where policy/path `id` lands on each of these switches (sorted by DPID), with any problem. */
export function placementViews(
  id: number,
  switches: Iterable<{ dpid: bigint; version: OfVersion }>,
  placements: (dpid: bigint) => Placement[],
  cookie: bigint,
): PlacementView[] {
  const out: PlacementView[] = [];
  for (const sw of [...switches].sort((a, b) => (a.dpid < b.dpid ? -1 : 1))) {
    for (const p of placements(sw.dpid)) {
      if (p.id !== id) continue;
      const v: PlacementView = { switch: formatDpid(sw.dpid) };
      const a = p.action;
      const port = a.kind === 'queue' ? (a.enqueuePort ?? p.outPort) : p.outPort;
      if (port !== undefined) v['out-port'] = port;
      try {
        placementFlow(p, sw.version, cookie);
      } catch (err) {
        if (!(err instanceof QosError)) throw err;
        v.problem = { field: err.field, reason: err.reason };
      }
      out.push(v);
    }
  }
  return out;
}
