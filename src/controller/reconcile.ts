/**
 * The reconciler's pure half: desired flows (intent) versus the flows a switch reports, and the flow mods
 * that close the gap. The session-facing half lives in controller.ts.
 */
import {
  OFP_VERSION_1_0,
  type FlowStatsEntry,
  type Instruction,
  type Match,
  type OfVersion,
} from '../openflow/index.js';
import { APP_COOKIE_MASK, type FlowSpec } from './app.js';

export interface FlowDiff {
  /** Desired flows missing on the switch, or present with other instructions/timeouts/cookie/flags. */
  add: FlowSpec[];
  /** Switch flows (of this owner) that no desired flow covers: to delete strictly. */
  remove: FlowStatsEntry[];
  /** Desired flows already on the switch as wanted. */
  unchanged: number;
}

/** A full mask adds nothing: compare `x_mask: ff..ff` equal to no mask, whichever way the switch reports it. */
const FULL_MASKS = new Set<string>([
  'ff:ff:ff:ff:ff:ff',
  '255.255.255.255',
  'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  String(0xffff_ffff_ffff_ffffn),
]);
const FULL_MASK_NUMBERS: Record<string, number> = {
  vlan_vid_mask: 0x1fff,
  ipv6_flabel_mask: 0xfffff,
  pbb_isid_mask: 0xffffff,
  ipv6_exthdr_mask: 0x1ff,
};

function canonicalValue(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (Array.isArray(v)) return v.map(canonicalValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const val = (v as Record<string, unknown>)[k];
      if (val !== undefined) out[k] = canonicalValue(val);
    }
    return out;
  }
  return typeof v === 'string' ? v.toLowerCase() : v;
}

/** Match in a normal form: keys sorted, full masks dropped, case folded. */
export function canonicalMatch(match: Match): string {
  const m: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(match)) {
    if (v === undefined) continue;
    if (k.endsWith('_mask')) {
      const text = typeof v === 'bigint' ? String(v) : String(v).toLowerCase();
      if (FULL_MASKS.has(text) || FULL_MASK_NUMBERS[k] === v) continue;
    }
    m[k] = v;
  }
  return JSON.stringify(canonicalValue(m));
}

/** Identity of a flow on a switch: (table, priority, match). */
export function flowKey(f: { tableId: number; priority: number; match: Match }, version: OfVersion): string {
  // OF1.0 has one table as far as we program it; stats may report the table OVS put the flow in.
  const table = version === OFP_VERSION_1_0 ? 0 : f.tableId;
  return `${table}|${f.priority}|${canonicalMatch(f.match)}`;
}

/** An empty apply_actions is the same drop as no instruction (OF1.0 decodes "no actions" either way). */
function meaningful(ins: Instruction[]): Instruction[] {
  return ins.filter((i) => !(i.type === 'apply_actions' && i.actions.length === 0));
}

function sameInstructions(a: Instruction[], b: Instruction[]): boolean {
  return JSON.stringify(canonicalValue(meaningful(a))) === JSON.stringify(canonicalValue(meaningful(b)));
}

/**
 * Compares one owner's desired flows with that owner's flows on the switch (already filtered by cookie).
 * Later duplicates of a desired key win. `ownerCookie` fills FlowSpec.cookie when absent.
 */
export function diffFlows(
  desired: readonly FlowSpec[],
  actual: readonly FlowStatsEntry[],
  ownerCookie: bigint,
  version: OfVersion,
): FlowDiff {
  const want = new Map<string, FlowSpec>();
  for (const spec of desired) want.set(flowKey(spec, version), spec);
  const have = new Map<string, FlowStatsEntry>();
  for (const entry of actual) have.set(flowKey(entry, version), entry);

  const add: FlowSpec[] = [];
  let unchanged = 0;
  for (const [key, spec] of want) {
    const cur = have.get(key);
    if (cur && sameFlow(spec, cur, ownerCookie, version)) unchanged++;
    else add.push(spec);
  }
  const remove = [...have].filter(([key]) => !want.has(key)).map(([, entry]) => entry);
  return { add, remove, unchanged };
}

function sameFlow(spec: FlowSpec, cur: FlowStatsEntry, ownerCookie: bigint, version: OfVersion): boolean {
  return (
    (spec.cookie ?? ownerCookie) === cur.cookie &&
    (spec.idleTimeout ?? 0) === cur.idleTimeout &&
    (spec.hardTimeout ?? 0) === cur.hardTimeout &&
    // OF1.0 flow stats do not report flags.
    (version === OFP_VERSION_1_0 || (spec.flags ?? 0) === cur.flags) &&
    sameInstructions(spec.instructions, cur.instructions)
  );
}

/** Does this switch flow belong to the owner with this cookie (high 16 bits)? */
export function ownedBy(entryCookie: bigint, ownerCookie: bigint): boolean {
  return (entryCookie & APP_COOKIE_MASK) === (ownerCookie & APP_COOKIE_MASK);
}
