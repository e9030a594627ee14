/**
 * From a validated entry to what the switch gets: the FlowSpec (cookie, flags), and the checks that need
 * the switch (its OpenFlow version can carry every field and action; its ports exist).
 */
import { flowModAdd, type FlowSpec } from '../../controller/index.js';
import {
  OFPP,
  OFP_VERSION_1_0,
  OpenFlowEncodeError,
  encode,
  type FlowMod,
  type OfVersion,
} from '../../openflow/index.js';
import { formatDpid } from '../../util/index.js';
import { DEFAULT_TABLE, applyActionText, entryInstructions, type StaticEntry } from './entry.js';
import { FIELD_BY_KEY } from './fields.js';
import { EntryError, portText } from './values.js';

/** OFPFF_SEND_FLOW_REM: entries with timeouts learn of their expiry, and are then removed like Floodlight's. */
export const OFPFF_SEND_FLOW_REM = 1;

/** FNV-1a: a stable 32-bit tag of the entry name for the low cookie bits (Floodlight used name.hashCode()). */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(name, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** The cookie an entry's flow carries: the user's, or the app's high bits with the name's hash. */
export function entryCookie(e: StaticEntry, appCookie: bigint): bigint {
  return e.cookie ?? appCookie | BigInt(nameHash(e.name));
}

export function entryFlowSpec(e: StaticEntry, appCookie: bigint): FlowSpec {
  const spec: FlowSpec = {
    tableId: e.tableId ?? DEFAULT_TABLE,
    priority: e.priority,
    match: e.match,
    instructions: entryInstructions(e),
    cookie: entryCookie(e, appCookie),
  };
  if (e.idleTimeout) spec.idleTimeout = e.idleTimeout;
  if (e.hardTimeout) spec.hardTimeout = e.hardTimeout;
  if (e.idleTimeout || e.hardTimeout) spec.flags = OFPFF_SEND_FLOW_REM;
  return spec;
}

/** What the checks need to know of a switch. */
export interface SwitchFacts {
  dpid: bigint;
  version: OfVersion;
  ports: ReadonlyMap<number, unknown>;
}

const versionName = (v: OfVersion) => (v === OFP_VERSION_1_0 ? 'OpenFlow 1.0' : 'OpenFlow 1.3');

/** The codec's field path (`match.ipv6_src`, `instructions[0].actions[1]`) -> the entry key and its text. */
function faultOf(e: StaticEntry, err: OpenFlowEncodeError): { field: string; what: string } {
  const m = /^match\.([a-z0-9_]+)$/.exec(err.field);
  if (m) {
    const spec = FIELD_BY_KEY.get(m[1].replace(/_mask$/, ''));
    return { field: spec?.name ?? m[1], what: '' };
  }
  const ins = entryInstructions(e);
  const i = /^instructions\[(\d+)\](?:\.actions\[(\d+)\])?/.exec(err.field);
  const inst = i ? ins[Number(i[1])] : undefined;
  if (!inst) return { field: 'actions', what: '' };
  switch (inst.type) {
    case 'apply_actions': {
      const text = i![2] === undefined ? undefined : applyActionText(e, Number(i![2]));
      return { field: 'actions', what: text ? `${text}: ` : '' };
    }
    case 'meter':
      return { field: 'actions', what: `meter=${inst.meterId}: ` };
    case 'goto_table':
      return { field: 'actions', what: `goto_table=${inst.tableId}: ` };
    default:
      return { field: `instruction_${inst.type}`, what: '' };
  }
}

/**
 * Checks an entry against a connected switch: every field and action must be expressible in the switch's
 * OpenFlow version (the codec is the judge) and every numbered port must exist on the switch.
 */
export function checkForSwitch(e: StaticEntry, sw: SwitchFacts, appCookie: bigint): void {
  const on = `switch ${formatDpid(sw.dpid)} speaks ${versionName(sw.version)}`;
  if (sw.version === OFP_VERSION_1_0 && e.tableId !== undefined && e.tableId !== 0) {
    throw new EntryError('table', `${on}, which has a single table (0)`);
  }
  const spec = entryFlowSpec(e, appCookie);
  // The message the reconciler will send, so the codec judges exactly what the switch would get.
  const body = flowModAdd(spec, appCookie, sw.version, { anyCookie: true });
  const msg = { ...body, version: sw.version, xid: 0 } as FlowMod;
  try {
    encode(msg);
  } catch (err) {
    if (!(err instanceof OpenFlowEncodeError)) throw err;
    const { field, what } = faultOf(e, err);
    throw new EntryError(field, `${what}${err.reason} (${on})`);
  }
  const missing = (port: number) => port <= OFPP.MAX && !sw.ports.has(port);
  const known = () =>
    [...sw.ports.keys()]
      .sort((a, b) => a - b)
      .map(portText)
      .join(', ');
  const noPort = (port: number) => `switch ${formatDpid(sw.dpid)} has no port ${port} (it has ${known()})`;
  if (e.match.in_port !== undefined && missing(e.match.in_port)) {
    throw new EntryError('in_port', noPort(e.match.in_port));
  }
  for (const [field, p] of [
    ['actions', e.apply],
    ['instruction_write_actions', e.write],
  ] as const) {
    for (const a of p?.actions ?? []) {
      if ((a.type === 'output' || a.type === 'enqueue') && missing(a.port)) {
        throw new EntryError(field, `${a.type}=${a.port}: ${noPort(a.port)}`);
      }
    }
  }
}
