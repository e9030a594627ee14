/**
 * The reconciler's pure half: desired flows (intent) versus the flows a switch reports, and the flow mods
 * that close the gap. The session-facing half lives in controller.ts.
 */
import {
  OFPMF,
  OFP_VERSION_1_0,
  type FlowStatsEntry,
  type GroupDescEntry,
  type Instruction,
  type Match,
  type MeterConfigEntry,
  type OfVersion,
  type OpaqueOxm,
} from '../openflow/index.js';
import {
  APP_COOKIE_MASK,
  type FlowOutcome,
  type FlowRef,
  type FlowSpec,
  type GroupOutcome,
  type MeterOutcome,
  type ModError,
  type OfMessageBody,
  type SwitchReconcile,
} from './app.js';
import { flowModAdd, flowModDeleteStrict } from './flowmod.js';

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

/** Opaque OXM fields (tcp_flags...) in a normal form: full masks dropped, sorted (switches may reorder). */
function canonicalOpaque(list: readonly OpaqueOxm[]): string[] {
  const full = (b: Buffer | undefined) => b !== undefined && b.every((x) => x === 0xff);
  return list.map((o) => JSON.stringify(canonicalValue(full(o.mask) ? { ...o, mask: undefined } : o))).sort();
}

/** Match in a normal form: keys sorted, full masks dropped, case folded. */
export function canonicalMatch(match: Match): string {
  const m: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(match)) {
    if (v === undefined) continue;
    if (k === 'opaque') {
      m[k] = canonicalOpaque(v as OpaqueOxm[]);
      continue;
    }
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

// ---------------------------------------------------------------------------------------------------
// Meters and groups

export interface IdDiff<T> {
  add: T[];
  modify: T[];
  /** Ids owned by the app on the switch that no desired entry names. */
  remove: number[];
}

/** Meter flag bits that change what a meter does (OVS reports STATS and burst sizes its own way). */
const METER_FLAG_BITS = OFPMF.KBPS | OFPMF.PKTPS | OFPMF.BURST;

export function sameMeter(a: MeterConfigEntry, b: MeterConfigEntry): boolean {
  if ((a.flags & METER_FLAG_BITS) !== (b.flags & METER_FLAG_BITS) || a.bands.length !== b.bands.length) {
    return false;
  }
  const burst = (a.flags & OFPMF.BURST) !== 0;
  return a.bands.every((x, i) => {
    const y = b.bands[i];
    const prec = (band: typeof x) => (band.type === 'dscp_remark' ? band.precLevel : undefined);
    return (
      x.type === y.type && x.rate === y.rate && (!burst || x.burstSize === y.burstSize) && prec(x) === prec(y)
    );
  });
}

function sameGroup(a: GroupDescEntry, b: GroupDescEntry): boolean {
  return (
    a.groupType === b.groupType &&
    JSON.stringify(canonicalValue(a.buckets)) === JSON.stringify(canonicalValue(b.buckets))
  );
}

function diffById<T>(
  wanted: readonly T[],
  actual: readonly T[],
  idOf: (x: T) => number,
  owns: (id: number) => boolean,
  same: (a: T, b: T) => boolean,
): IdDiff<T> {
  const have = new Map(actual.filter((x) => owns(idOf(x))).map((x) => [idOf(x), x] as const));
  const diff: IdDiff<T> = { add: [], modify: [], remove: [] };
  const want = new Set<number>();
  for (const x of wanted) {
    want.add(idOf(x));
    const cur = have.get(idOf(x));
    if (!cur) diff.add.push(x);
    else if (!same(x, cur)) diff.modify.push(x);
  }
  for (const id of have.keys()) if (!want.has(id)) diff.remove.push(id);
  return diff;
}

/** What to send so the switch has exactly the wanted meters among those `owns` claims; others are left. */
export function diffMeters(
  wanted: readonly MeterConfigEntry[],
  actual: readonly MeterConfigEntry[],
  owns: (meterId: number) => boolean,
): IdDiff<MeterConfigEntry> {
  return diffById(wanted, actual, (m) => m.meterId, owns, sameMeter);
}

export function diffGroups(
  wanted: readonly GroupDescEntry[],
  actual: readonly GroupDescEntry[],
  owns: (groupId: number) => boolean,
): IdDiff<GroupDescEntry> {
  return diffById(wanted, actual, (g) => g.groupId, owns, sameGroup);
}

// ---------------------------------------------------------------------------------------------------
// The plan of one run

/** OFPMC_* and OFPGC_* (OpenFlow 1.3 meter_mod and group_mod commands share the numbers). */
const MOD_COMMAND = { add: 0, modify: 1, delete: 2 } as const;

/** The owner of some intent, as the planner needs it (an App fits). */
export interface IntentOwner {
  name: string;
  cookie: bigint;
  /** Ownership by App.ownsFlow: desired flows may carry any cookie. */
  ownsFlow?: unknown;
  ownsMeter?(meterId: number): boolean;
  ownsGroup?(groupId: number): boolean;
}

export interface Intent {
  flows: readonly FlowSpec[];
  /** Undefined: meters are not part of this run. */
  meters?: readonly MeterConfigEntry[];
  groups?: readonly GroupDescEntry[];
}

/** What the switch reported: the owner's flows (unused by a targeted run), all meters, all groups. */
export interface Actual {
  flows: readonly FlowStatsEntry[];
  meters?: readonly MeterConfigEntry[];
  groups?: readonly GroupDescEntry[];
}

/** One message to send and the outcome it will fill; no `msg`: it could not be built (outcome.error says why). */
export interface PlannedMod {
  msg?: OfMessageBody;
  outcome: FlowOutcome | MeterOutcome | GroupOutcome;
  kind: 'flow' | 'meter' | 'group';
}

/**
 * Phases, in order, with a barrier after each that sent anything: meters and groups a flow may use, then
 * the flows (deletes before adds), then the meters and groups no flow uses any more (a switch deletes the
 * flows that use a meter or group it deletes).
 */
export interface ReconcilePlan {
  before: PlannedMod[];
  flows: PlannedMod[];
  after: PlannedMod[];
  /** Desired flows already in place (full runs). */
  unchanged: number;
}

const notBuilt = (err: unknown): ModError => ({
  message: `not sent: ${err instanceof Error ? err.message : String(err)}`,
});

/**
 * The flow, meter and group mods that bring one owner's part of a switch in line with its intent. Pure.
 * `scope`: a targeted run over these flow identities (see ReconcileRequest.flows).
 */
export function planReconcile(
  owner: IntentOwner,
  version: OfVersion,
  intent: Intent,
  actual: Actual,
  scope?: readonly FlowRef[],
): ReconcilePlan {
  const plan: ReconcilePlan = { before: [], flows: [], after: [], unchanged: 0 };
  const anyCookie = owner.ownsFlow !== undefined;
  const add = (spec: FlowSpec): PlannedMod => {
    const outcome: FlowOutcome = { app: owner.name, op: 'add', flow: spec };
    try {
      return { kind: 'flow', outcome, msg: flowModAdd(spec, owner.cookie, version, { anyCookie }) };
    } catch (err) {
      outcome.error = notBuilt(err);
      return { kind: 'flow', outcome };
    }
  };
  const del = (ref: FlowRef): PlannedMod => {
    const flow = { ...ref, cookie: ref.cookie ?? owner.cookie };
    return {
      kind: 'flow',
      outcome: { app: owner.name, op: 'delete', flow },
      msg: flowModDeleteStrict(flow, version),
    };
  };

  if (scope) {
    const want = new Map<string, FlowSpec>();
    for (const spec of intent.flows) want.set(flowKey(spec, version), spec);
    const seen = new Set<string>();
    const adds: PlannedMod[] = [];
    for (const ref of scope) {
      const key = flowKey(ref, version);
      if (seen.has(key)) continue;
      seen.add(key);
      const spec = want.get(key);
      if (spec) adds.push(add(spec));
      else plan.flows.push(del(ref));
    }
    plan.flows.push(...adds);
  } else {
    const diff = diffFlows(intent.flows, actual.flows, owner.cookie, version);
    plan.flows.push(...diff.remove.map(del), ...diff.add.map(add));
    plan.unchanged = diff.unchanged;
  }

  const byId = <T>(d: IdDiff<T>, mod: (op: MeterOutcome['op'], x: T | number) => PlannedMod) => {
    plan.before.push(...d.add.map((x) => mod('add', x)), ...d.modify.map((x) => mod('modify', x)));
    plan.after.push(...d.remove.map((id) => mod('delete', id)));
  };
  if (intent.meters && actual.meters) {
    const owns = owner.ownsMeter?.bind(owner) ?? (() => false);
    byId(diffMeters(intent.meters, actual.meters, owns), (op, x) => {
      const m = typeof x === 'number' ? { meterId: x, flags: 0, bands: [] } : x;
      return {
        kind: 'meter',
        outcome: { app: owner.name, op, meterId: m.meterId },
        msg: { type: 'meter_mod', command: MOD_COMMAND[op], ...m },
      };
    });
  }
  if (intent.groups && actual.groups) {
    const owns = owner.ownsGroup?.bind(owner) ?? (() => false);
    byId(diffGroups(intent.groups, actual.groups, owns), (op, x) => {
      const g = typeof x === 'number' ? { groupId: x, groupType: 0, buckets: [] } : x;
      return {
        kind: 'group',
        outcome: { app: owner.name, op, groupId: g.groupId },
        msg: { type: 'group_mod', command: MOD_COMMAND[op], ...g },
      };
    });
  }
  return plan;
}

/** Adds a planned mod's outcome to the run's result, in its list. */
export function recordOutcome(result: SwitchReconcile, mod: PlannedMod): void {
  if (mod.kind === 'flow') result.flows.push(mod.outcome as FlowOutcome);
  else if (mod.kind === 'meter') result.meters.push(mod.outcome as MeterOutcome);
  else result.groups.push(mod.outcome as GroupOutcome);
}

/** The switch's answer to one message, as a ModError. */
export function switchError(msg: { errType: number; code: number }): ModError {
  return { errType: msg.errType, code: msg.code, message: `OFPT_ERROR type ${msg.errType} code ${msg.code}` };
}

/**
 * The outcome of the flow with `ref`'s identity in a run (the last message sent for it), or undefined when
 * the run sent nothing for it (already in place, or not the run's business).
 */
export function flowOutcome(result: SwitchReconcile, ref: FlowRef): FlowOutcome | undefined {
  let index = outcomeIndex.get(result);
  if (index?.size !== result.flows.length) {
    // Many callers share one run (a turn's requests): index it once, by flow identity.
    index = new Map(result.flows.map((o) => [flowKey(o.flow, result.version), o]));
    outcomeIndex.set(result, index);
  }
  return index.get(flowKey(ref, result.version));
}
const outcomeIndex = new WeakMap<SwitchReconcile, Map<string, FlowOutcome>>();

/** Every message of the runs that the switch rejected or that could not be sent. */
export function rejections(
  results: readonly SwitchReconcile[],
): (FlowOutcome | MeterOutcome | GroupOutcome)[] {
  return results.flatMap((r) => [...r.meters, ...r.groups, ...r.flows].filter((o) => o.error !== undefined));
}
