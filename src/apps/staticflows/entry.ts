/**
 * A static entry: parsed from Floodlight's flat JSON (names or aliases, strings or numbers), validated, and
 * printed back in canonical form. Pure functions; errors are EntryError naming the field.
 */
import { DEFAULT_PIPELINE } from '../../controller/index.js';
import { OFP_VERSION_1_3, type Action, type Instruction, type Match } from '../../openflow/index.js';
import { ipv4NumToText, ipv4TextToNum } from '../../packet/index.js';
import { formatDpid, parseDpid } from '../../util/index.js';
import { actionsText, parseActions, type ParsedActions } from './actions.js';
import {
  ENTRY_KEYS,
  FIELD_ALIASES,
  FIELD_BY_KEY,
  FIELD_BY_NAME,
  IP_PROTO_NAMES,
  MATCH_FIELDS,
  TP_FIELDS,
  type FieldSpec,
} from './fields.js';
import {
  EntryError,
  ipv6PrefixLength,
  parseMasked,
  parseU64,
  parseUint,
  parseValue,
  valueText,
  type MatchValue,
  type Scalar,
} from './values.js';

export interface StaticEntry {
  name: string;
  dpid: bigint;
  priority: number;
  /**
   * Where the user put the entry; absent: the pipeline's forwarding stage (OpenFlow 1.3's last table, after
   * the ACL/firewall filter and QoS), so the firewall's and ACL's decisions apply to it.
   */
  tableId?: number;
  idleTimeout: number;
  hardTimeout: number;
  /** The user's cookie, kept exactly; absent means the app picks one in its own cookie space. */
  cookie?: bigint;
  /** Inactive entries are stored but not pushed. */
  active: boolean;
  match: Match;
  /** Apply-actions part (with meter/goto_table from the `actions` string). */
  apply: ParsedActions;
  write?: ParsedActions;
  clearActions: boolean;
  writeMetadata?: { metadata: bigint; mask: bigint };
}

/** Floodlight's default; in the pipeline's forwarding band on both OpenFlow versions. */
export const DEFAULT_PRIORITY = 32768;
/** The OpenFlow 1.3 table of an entry that names none: the forwarding stage. */
export const DEFAULT_TABLE = DEFAULT_PIPELINE.place('staticflows', 'entries', OFP_VERSION_1_3).tableId;
const MAX_NAME = 200;
const ENTRY_KEY_SET: ReadonlySet<string> = new Set(ENTRY_KEYS);

/** Canonical name of an input key, or undefined when unknown. */
function canonicalKey(key: string): string | undefined {
  if (ENTRY_KEY_SET.has(key) || FIELD_BY_NAME.has(key)) return key;
  if (key === 'ip_tos' || key === 'tp_src' || key === 'tp_dst') return key;
  return FIELD_ALIASES[key];
}

function scalarOf(field: string, v: unknown): Scalar {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new EntryError(field, `must be a string or number, got ${v === null ? 'null' : typeof v}`);
}

function parseName(raw: Scalar | undefined): string {
  if (raw === undefined) throw new EntryError('name', 'is required');
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new EntryError('name', 'must be a non-empty string');
  const name = raw.trim();
  if (name.length > MAX_NAME) throw new EntryError('name', `is longer than ${MAX_NAME} characters`);
  // The name is a store key segment and a CLI argument.
  if (/[/\s\p{Cc}]/u.test(name))
    throw new EntryError('name', `'${name}' must not contain '/', spaces or control characters`);
  return name;
}

export function parseSwitch(raw: Scalar | undefined, field = 'switch'): bigint {
  if (raw === undefined) throw new EntryError(field, 'is required (the switch DPID)');
  const dpid =
    typeof raw === 'string'
      ? parseDpid(raw.trim())
      : typeof raw === 'number'
        ? parseDpid(`0x${raw.toString(16)}`)
        : undefined;
  if (dpid === undefined) {
    throw new EntryError(field, `'${String(raw)}' is not a DPID (00:00:00:00:00:00:00:01 or hex)`);
  }
  return dpid;
}

function parseBool(field: string, raw: Scalar): boolean {
  if (raw === true || raw === false) return raw;
  const t = String(raw).trim().toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'false' || t === '0' || t === 'no') return false;
  throw new EntryError(field, `'${String(raw)}' is not true or false`);
}

const ethName = (t: number) => `0x${t.toString(16).padStart(4, '0')}`;

/** Checks that the match selects packets for which `spec` is meaningful; `what` names the field at fault. */
function checkPrereq(spec: FieldSpec, match: Match, what: string, verb: string): void {
  const p = spec.prereq;
  if (!p) return;
  if ('vlanTagged' in p) {
    if (match.vlan_vid === undefined || match.vlan_vid === 0) {
      throw new EntryError(what, `${verb} ${spec.name} needs eth_vlan_vid (a VLAN tag) in the match`);
    }
    return;
  }
  if ('icmpv6Type' in p) {
    if (match.icmpv6_type === undefined || !p.icmpv6Type.includes(match.icmpv6_type)) {
      throw new EntryError(
        what,
        `${verb} ${spec.name} needs icmpv6_type ${p.icmpv6Type.join(' or ')} in the match`,
      );
    }
    return;
  }
  const types = p.ethType.map(ethName).join(' or ');
  const proto = 'ipProto' in p ? `${p.ipProto} (${IP_PROTO_NAMES[p.ipProto]})` : '';
  if (match.eth_type === undefined) {
    const also = proto && match.ip_proto === undefined ? ` and ip_proto ${proto}` : '';
    throw new EntryError(what, `${verb} ${spec.name} needs eth_type ${types}${also} in the match`);
  }
  if (!p.ethType.includes(match.eth_type)) {
    throw new EntryError(
      what,
      `${verb} ${spec.name} needs eth_type ${types}, but the match has eth_type ${ethName(match.eth_type)}`,
    );
  }
  if ('ipProto' in p) {
    if (match.ip_proto === undefined)
      throw new EntryError(what, `${verb} ${spec.name} needs ip_proto ${proto} in the match`);
    if (match.ip_proto !== p.ipProto) {
      throw new EntryError(
        what,
        `${verb} ${spec.name} needs ip_proto ${proto}, but the match has ip_proto ${match.ip_proto}`,
      );
    }
  }
}

/** Sets a value (and mask) on the match; a second spelling of the same field is an error. */
function put(
  match: Match,
  spec: FieldSpec,
  key: string,
  v: { value: MatchValue; mask?: MatchValue },
  from: Map<string, string>,
) {
  const prev = from.get(spec.key);
  if (prev !== undefined) throw new EntryError(key, `sets ${spec.name}, which ${prev} already sets`);
  from.set(spec.key, key);
  const m = match as Record<string, unknown>;
  m[spec.key] = v.value;
  if (v.mask !== undefined) m[`${spec.key}_mask`] = v.mask;
}

/** Parses one entry of Floodlight's static entry pusher (the POST body). */
export function parseEntry(body: unknown): StaticEntry {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new EntryError('body', 'must be a JSON object with switch, name, match fields and actions');
  }
  const fields = new Map<string, { key: string; value: Scalar }>();
  for (const [rawKey, rawValue] of Object.entries(body as Record<string, unknown>)) {
    const key = rawKey.trim().toLowerCase();
    const canon = canonicalKey(key);
    if (canon === undefined) {
      throw new EntryError(
        rawKey,
        'is not a known field (entry keys: switch, name, priority, cookie, actions...; match fields: in_port, eth_type, ipv4_dst, tcp_dst...)',
      );
    }
    const prev = fields.get(canon);
    if (prev) throw new EntryError(rawKey, `is the same field as ${prev.key}`);
    fields.set(canon, { key: rawKey, value: scalarOf(rawKey, rawValue) });
  }
  const get = (k: string) => fields.get(k)?.value;
  const keyOf = (k: string) => fields.get(k)?.key ?? k;

  const entryType = get('entry_type');
  if (entryType !== undefined && String(entryType).toLowerCase() !== 'flow') {
    throw new EntryError(keyOf('entry_type'), `'${String(entryType)}' is not supported (only 'flow')`);
  }
  const name = parseName(get('name'));
  const dpid = parseSwitch(get('switch'));
  const num = (k: string, max: number, dflt: number) => {
    const v = get(k);
    return v === undefined ? dflt : parseUint(keyOf(k), v, max);
  };
  const cookieRaw = get('cookie');
  const activeRaw = get('active');

  // Match: eth_type and ip_proto first, so the prerequisite checks and tp_* resolution can see them.
  const match: Match = {};
  const from = new Map<string, string>();
  const ordered = [...fields.keys()].filter((k) => !ENTRY_KEY_SET.has(k));
  ordered.sort((a, b) => rank(a) - rank(b));
  for (const canon of ordered) {
    const { key, value } = fields.get(canon)!;
    if (canon === 'ip_tos') {
      put(match, FIELD_BY_NAME.get('ip_dscp')!, key, { value: parseValue(key, 'tos', value) }, from);
      continue;
    }
    if (canon === 'tp_src' || canon === 'tp_dst') {
      const tp = match.ip_proto === undefined ? undefined : TP_FIELDS[match.ip_proto];
      if (!tp)
        throw new EntryError(
          key,
          'a transport port needs ip_proto 6 (TCP), 17 (UDP) or 132 (SCTP) in the match',
        );
      const spec = FIELD_BY_NAME.get(canon === 'tp_src' ? tp.src : tp.dst)!;
      put(match, spec, key, parseMasked(key, spec.kind, value, false), from);
      continue;
    }
    const spec = FIELD_BY_NAME.get(canon)!;
    put(match, spec, key, parseMasked(key, spec.kind, value, spec.maskable), from);
  }
  for (const [mkey, key] of from) checkPrereq(FIELD_BY_KEY.get(mkey)!, match, key, 'matching');

  const applyKey = fields.has('actions') ? 'actions' : 'instruction_apply_actions';
  if (fields.has('actions') && fields.has('instruction_apply_actions')) {
    throw new EntryError(
      keyOf('instruction_apply_actions'),
      'give either actions or instruction_apply_actions, not both',
    );
  }
  const apply = parseActions(keyOf(applyKey), get(applyKey) ?? '', match, true);
  const writeRaw = get('instruction_write_actions');
  const write =
    writeRaw === undefined
      ? undefined
      : parseActions(keyOf('instruction_write_actions'), writeRaw, match, false);
  for (const [k, p] of [
    [keyOf(applyKey), apply],
    [keyOf('instruction_write_actions'), write],
  ] as const) {
    for (const a of p?.actions ?? []) {
      // A VLAN field may be set on an untagged packet (an earlier push_vlan, or OF1.0's implicit tag).
      const spec = a.type === 'set_field' ? FIELD_BY_KEY.get(a.field)! : undefined;
      if (spec?.prereq && !('vlanTagged' in spec.prereq)) checkPrereq(spec, match, k, 'setting');
    }
  }
  const instr = (
    k: 'instruction_goto_table' | 'instruction_goto_meter',
    slot: 'gotoTable' | 'meter',
    max: number,
  ) => {
    const v = get(k);
    if (v === undefined) return;
    if (apply[slot] !== undefined)
      throw new EntryError(
        keyOf(k),
        `${slot === 'meter' ? 'meter' : 'goto_table'} is already in ${keyOf(applyKey)}`,
      );
    apply[slot] = parseUint(keyOf(k), v, max);
  };
  instr('instruction_goto_table', 'gotoTable', 254);
  instr('instruction_goto_meter', 'meter', 0xffff0000);

  const tableId = get('table') === undefined ? undefined : num('table', 254, 0);
  const fromTable = tableId ?? DEFAULT_TABLE;
  if (apply.gotoTable !== undefined && apply.gotoTable <= fromTable) {
    throw new EntryError(
      keyOf(get('instruction_goto_table') === undefined ? applyKey : 'instruction_goto_table'),
      `goto_table=${apply.gotoTable} must name a later table than table ${fromTable}` +
        (tableId === undefined ? ' (the forwarding stage, where an entry without a table goes)' : ''),
    );
  }
  const entry: StaticEntry = {
    name,
    dpid,
    priority: num('priority', 0xffff, DEFAULT_PRIORITY),
    ...(tableId !== undefined ? { tableId } : {}),
    idleTimeout: num('idle_timeout', 0xffff, 0),
    hardTimeout: num('hard_timeout', 0xffff, 0),
    active: activeRaw === undefined ? true : parseBool(keyOf('active'), activeRaw),
    match,
    apply,
    clearActions: get('instruction_clear_actions') !== undefined,
  };
  if (cookieRaw !== undefined) entry.cookie = parseU64(keyOf('cookie'), cookieRaw);
  if (write) entry.write = write;
  const md = get('instruction_write_metadata');
  if (md !== undefined) entry.writeMetadata = parseMetadata(keyOf('instruction_write_metadata'), md);
  return entry;
}

function rank(canon: string): number {
  if (canon === 'eth_type') return 0;
  if (canon === 'ip_proto') return 1;
  if (canon === 'icmpv6_type') return 2;
  if (canon === 'eth_vlan_vid') return 3;
  return 4;
}

function parseMetadata(field: string, raw: Scalar): { metadata: bigint; mask: bigint } {
  const [v, m] = String(raw).split('/');
  return {
    metadata: parseU64(field, v),
    mask: m === undefined ? 0xffff_ffff_ffff_ffffn : parseU64(field, m),
  };
}

/** The instructions for the switch, in the order OpenFlow 1.3 requires; none at all means drop. */
export function entryInstructions(e: StaticEntry): Instruction[] {
  const out: Instruction[] = [];
  if (e.apply.meter !== undefined) out.push({ type: 'meter', meterId: e.apply.meter });
  if (e.apply.actions.length) out.push({ type: 'apply_actions', actions: e.apply.actions });
  if (e.clearActions) out.push({ type: 'clear_actions' });
  if (e.write) out.push({ type: 'write_actions', actions: e.write.actions });
  if (e.writeMetadata) out.push({ type: 'write_metadata', ...e.writeMetadata });
  if (e.apply.gotoTable !== undefined) out.push({ type: 'goto_table', tableId: e.apply.gotoTable });
  return out;
}

function maskText(spec: FieldSpec, v: MatchValue, mask: MatchValue): string {
  if (spec.kind === 'ipv4') {
    const inv = ~ipv4TextToNum(mask as string)! >>> 0;
    if ((inv & (inv + 1)) === 0) return `${v as string}/${32 - Math.log2(inv + 1)}`;
    return `${v as string}/${ipv4NumToText(ipv4TextToNum(mask as string)!)}`;
  }
  if (spec.kind === 'ipv6') {
    const bits = ipv6PrefixLength(mask as string);
    if (bits !== undefined) return `${v as string}/${bits}`;
  }
  if (spec.kind === 'u64') return `0x${(v as bigint).toString(16)}/0x${(mask as bigint).toString(16)}`;
  return `${valueText(spec.kind, v, spec.name)}/${valueText(spec.kind, mask, spec.name)}`;
}

/** Canonical match object: Floodlight names, string values, masks as value/mask. */
export function matchToJson(match: Match): Record<string, string> {
  const out: Record<string, string> = {};
  const m = match as Record<string, MatchValue | undefined>;
  for (const spec of MATCH_FIELDS) {
    const v = m[spec.key];
    if (v === undefined) continue;
    const mask = m[`${spec.key}_mask`];
    out[spec.name] = mask === undefined ? valueText(spec.kind, v, spec.name) : maskText(spec, v, mask);
  }
  return out;
}

/** The entry in canonical flat Floodlight form (what the store keeps and list shows); parseEntry reads it back. */
export function entryToJson(e: StaticEntry): Record<string, string> {
  const out: Record<string, string> = {
    switch: formatDpid(e.dpid),
    name: e.name,
    priority: String(e.priority),
    ...(e.tableId !== undefined ? { table: String(e.tableId) } : {}),
    idle_timeout: String(e.idleTimeout),
    hard_timeout: String(e.hardTimeout),
    active: String(e.active),
  };
  if (e.cookie !== undefined) out.cookie = e.cookie.toString();
  Object.assign(out, matchToJson(e.match));
  out.actions = actionsText(e.apply);
  if (e.clearActions) out.instruction_clear_actions = 'true';
  if (e.write) out.instruction_write_actions = actionsText(e.write);
  if (e.writeMetadata) {
    out.instruction_write_metadata = `0x${e.writeMetadata.metadata.toString(16)}/0x${e.writeMetadata.mask.toString(16)}`;
  }
  return out;
}

/** The text of action `index` of the apply-actions, for messages. */
export function applyActionText(e: StaticEntry, index: number): string | undefined {
  const a: Action | undefined = e.apply.actions[index];
  return a && actionsText({ actions: [a] });
}

export { EntryError };
