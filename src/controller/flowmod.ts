/**
 * The one FLOW_MOD builder: every app and the reconciler build adds and deletes here, so the defaults
 * (no buffer, any out port/group) and the OpenFlow 1.0 limits (one table, no cookie filter) live in one place.
 */
import {
  OFPFC,
  OFPG_ANY,
  OFPP,
  OFPTT_ALL,
  OFP_NO_BUFFER,
  OFP_VERSION_1_0,
  type FlowMod,
  type FlowStatsEntry,
  type Instruction,
  type Match,
  type OfVersion,
} from '../openflow/index.js';
import { APP_COOKIE_MASK, type FlowSpec, type OfMessageBody } from './app.js';

const ALL_BITS = 0xffff_ffff_ffff_ffffn;

/** A FLOW_MOD ADD (or MODIFY) as apps describe it; everything but priority and match has a default. */
export interface FlowAddFields {
  priority: number;
  match: Match;
  /** Empty (the default) means drop. */
  instructions?: Instruction[];
  tableId?: number;
  cookie?: bigint;
  idleTimeout?: number;
  hardTimeout?: number;
  /** OFPFF_* bits. */
  flags?: number;
  /** A buffered packet the new flow should handle (default none). */
  bufferId?: number;
  /** Default OFPFC.ADD. */
  command?: number;
}

/** The FLOW_MOD for `f`. Builds one object with a fixed shape (forwarding calls this per packet-in). */
export function flowMod(f: FlowAddFields): OfMessageBody {
  return {
    type: 'flow_mod',
    cookie: f.cookie ?? 0n,
    cookieMask: 0n,
    tableId: f.tableId ?? 0,
    command: f.command ?? OFPFC.ADD,
    idleTimeout: f.idleTimeout ?? 0,
    hardTimeout: f.hardTimeout ?? 0,
    priority: f.priority,
    bufferId: f.bufferId ?? OFP_NO_BUFFER,
    outPort: OFPP.ANY,
    outGroup: OFPG_ANY,
    flags: f.flags ?? 0,
    match: f.match,
    instructions: f.instructions ?? [],
  } satisfies Omit<FlowMod, 'version' | 'xid'>;
}

/** Which flows a delete removes. */
export interface FlowDeleteFields {
  match: Match;
  /** DELETE_STRICT (priority and match exactly) instead of DELETE (every flow at least as specific). */
  strict?: boolean;
  priority?: number;
  /** OpenFlow 1.3 only (1.0 cannot filter a delete by cookie): the cookie bits under `cookieMask`. */
  cookie?: bigint;
  cookieMask?: bigint;
  /** OpenFlow 1.3: the table to search, default every table. */
  tableId?: number;
  /** Only flows that output to this port (default any). */
  outPort?: number;
}

/**
 * A DELETE or DELETE_STRICT for a switch of `version`. On OpenFlow 1.0 the cookie filter and table are
 * dropped (its codec has neither), so there the match, priority and out port must be precise enough.
 */
export function flowDelete(f: FlowDeleteFields, version: OfVersion): OfMessageBody {
  const of10 = version === OFP_VERSION_1_0;
  return {
    type: 'flow_mod',
    cookie: of10 ? 0n : (f.cookie ?? 0n),
    cookieMask: of10 ? 0n : (f.cookieMask ?? 0n),
    tableId: of10 ? 0 : (f.tableId ?? OFPTT_ALL),
    command: f.strict ? OFPFC.DELETE_STRICT : OFPFC.DELETE,
    idleTimeout: 0,
    hardTimeout: 0,
    priority: f.priority ?? 0,
    bufferId: OFP_NO_BUFFER,
    outPort: f.outPort ?? OFPP.ANY,
    outGroup: OFPG_ANY,
    flags: 0,
    match: f.match,
    instructions: [],
  } satisfies Omit<FlowMod, 'version' | 'xid'>;
}

/**
 * FLOW_MOD ADD for a desired flow. `anyCookie`: the owner declares ownership by `App.ownsFlow`, so the
 * cookie may lie outside its cookie space (a user's cookie).
 */
export function flowModAdd(
  spec: FlowSpec,
  ownerCookie: bigint,
  version: OfVersion,
  opts: { anyCookie?: boolean } = {},
): OfMessageBody {
  const cookie = spec.cookie ?? ownerCookie;
  if (!opts.anyCookie && (cookie & APP_COOKIE_MASK) !== (ownerCookie & APP_COOKIE_MASK)) {
    throw new RangeError(`cookie: 0x${cookie.toString(16)} is outside the owner's cookie space`);
  }
  return flowMod({
    ...spec,
    cookie,
    tableId: version === OFP_VERSION_1_0 ? 0 : spec.tableId,
  });
}

/** FLOW_MOD DELETE_STRICT for one switch flow; on OF1.3 the full cookie mask keeps other owners' flows safe. */
export function flowModDeleteStrict(
  entry: Pick<FlowStatsEntry, 'tableId' | 'priority' | 'match' | 'cookie'>,
  version: OfVersion,
): OfMessageBody {
  return flowDelete(
    {
      match: entry.match,
      strict: true,
      priority: entry.priority,
      cookie: entry.cookie,
      cookieMask: ALL_BITS,
      tableId: entry.tableId,
    },
    version,
  );
}
