/**
 * A fake switch's table of permanent flows: what the controller's reconciler manages (no idle or hard
 * timeout). FLOW_MOD ADD/MODIFY replace by (priority, match), DELETE_STRICT removes that one flow, DELETE removes
 * every flow at least as specific as its match; flow stats are answered from it, so the reconciler sees what
 * it pushed and a deleted rule's flow really goes. Reactive flows (forwarding's, with an idle timeout) would
 * expire on a real switch and are not kept: cbench answers would otherwise fill the table.
 */
import { flowKey } from '../../src/controller/index.js';
import {
  OFPFC,
  OFP_VERSION_1_0,
  type FlowMod,
  type FlowStatsEntry,
  type Match,
  type OfVersion,
} from '../../src/openflow/index.js';

/** Called for every FLOW_MOD the table is given, with the time it arrived (performance.now()). */
export type FlowModListener = (dpid: bigint, mod: FlowMod, at: number) => void;

export class FlowTable {
  private readonly flows = new Map<string, FlowStatsEntry>();

  constructor(
    readonly dpid: bigint,
    private readonly listener?: FlowModListener,
    /** OF1.3 keeps each flow in its table; OF1.0 has the one. */
    private readonly version: OfVersion = OFP_VERSION_1_0,
  ) {}

  get size(): number {
    return this.flows.size;
  }

  apply(mod: FlowMod, at: number): void {
    this.listener?.(this.dpid, mod, at);
    const key = flowKey(mod, this.version);
    switch (mod.command) {
      case OFPFC.ADD:
      case OFPFC.MODIFY:
      case OFPFC.MODIFY_STRICT:
        if (mod.idleTimeout !== 0 || mod.hardTimeout !== 0) return;
        this.flows.set(key, {
          tableId: this.version === OFP_VERSION_1_0 ? 0 : mod.tableId,
          durationSec: 0,
          durationNsec: 0,
          priority: mod.priority,
          idleTimeout: 0,
          hardTimeout: 0,
          flags: 0,
          cookie: mod.cookie,
          packetCount: 0n,
          byteCount: 0n,
          match: mod.match,
          instructions: mod.instructions,
        });
        return;
      case OFPFC.DELETE_STRICT:
        this.flows.delete(key);
        return;
      case OFPFC.DELETE:
        for (const [k, f] of this.flows) if (covers(mod.match, f.match)) this.flows.delete(k);
        return;
    }
  }

  entries(): FlowStatsEntry[] {
    return [...this.flows.values()];
  }
}

/** Every field `wide` sets, `narrow` sets to the same value (an empty match covers everything). */
function covers(wide: Match, narrow: Match): boolean {
  const w = wide as Record<string, unknown>;
  const n = narrow as Record<string, unknown>;
  return Object.keys(w).every((k) => w[k] === undefined || String(w[k]) === String(n[k]));
}
