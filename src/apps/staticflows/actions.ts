/**
 * Floodlight's `actions` string (ActionUtils syntax): `output=2,set_field=eth_dst->00:00:00:00:00:02,...`,
 * with the 1.0-era `set-src-mac=...` spellings as aliases, and its canonical text for listing.
 */
import { OFPCML_NO_BUFFER, type Action, type Match } from '../../openflow/index.js';
import { ETH_TYPE } from '../../packet/index.js';
import { FIELD_ALIASES, FIELD_BY_KEY, FIELD_BY_NAME, TP_FIELDS, type FieldSpec } from './fields.js';
import { EntryError, parsePort, parseUint, parseValue, portText, valueText, type Scalar } from './values.js';

/** Instructions an `actions` string may carry besides actions (OpenFlow 1.3). */
export interface ParsedActions {
  actions: Action[];
  meter?: number;
  gotoTable?: number;
}

/** Shorthand setters -> the field they set (Floodlight 1.x ActionUtils and 0.9 StaticFlowEntryPusher names). */
const SETTERS: Readonly<Record<string, string>> = {
  set_vlan_vid: 'eth_vlan_vid',
  'set-vlan-id': 'eth_vlan_vid',
  set_vlan_pcp: 'eth_vlan_pcp',
  'set-vlan-priority': 'eth_vlan_pcp',
  set_eth_src: 'eth_src',
  set_dl_src: 'eth_src',
  'set-src-mac': 'eth_src',
  set_eth_dst: 'eth_dst',
  set_dl_dst: 'eth_dst',
  'set-dst-mac': 'eth_dst',
  set_ipv4_src: 'ipv4_src',
  set_nw_src: 'ipv4_src',
  'set-src-ip': 'ipv4_src',
  set_ipv4_dst: 'ipv4_dst',
  set_nw_dst: 'ipv4_dst',
  'set-dst-ip': 'ipv4_dst',
  set_ip_tos: 'ip_tos',
  set_nw_tos: 'ip_tos',
  'set-tos-bits': 'ip_tos',
  set_ip_dscp: 'ip_dscp',
  set_ip_ecn: 'ip_ecn',
  set_tp_src: 'tp_src',
  'set-src-port': 'tp_src',
  set_tp_dst: 'tp_dst',
  'set-dst-port': 'tp_dst',
};

const OUTPUT_NAMES = ['in_port', 'normal', 'flood', 'all', 'controller', 'local'];

/**
 * Resolves a field name as written in `set_field=NAME->...` to its spec. tp_src/tp_dst resolve by the
 * match's ip_proto (a set-field is only meaningful for the packets the match selects).
 */
export function resolveSetField(
  field: string,
  name: string,
  match: Match,
): { spec: FieldSpec; tos: boolean } {
  const canon = FIELD_ALIASES[name] ?? name;
  if (canon === 'ip_tos') return { spec: FIELD_BY_NAME.get('ip_dscp')!, tos: true };
  if (canon === 'tp_src' || canon === 'tp_dst') {
    const tp = match.ip_proto === undefined ? undefined : TP_FIELDS[match.ip_proto];
    if (!tp)
      throw new EntryError(field, `${name} needs ip_proto 6 (TCP), 17 (UDP) or 132 (SCTP) in the match`);
    return { spec: FIELD_BY_NAME.get(canon === 'tp_src' ? tp.src : tp.dst)!, tos: false };
  }
  const spec = FIELD_BY_NAME.get(canon);
  if (!spec) throw new EntryError(field, `'${name}' is not a field that set_field can set`);
  return { spec, tos: false };
}

function setField(field: string, name: string, valueRaw: string, match: Match): Action {
  const { spec, tos } = resolveSetField(field, name, match);
  if (valueRaw.includes('/')) throw new EntryError(field, `set_field=${name} cannot take a mask`);
  if (spec.kind === 'port') throw new EntryError(field, `${spec.name} cannot be set`);
  const value = parseValue(field, tos ? 'tos' : spec.kind, valueRaw);
  return { type: 'set_field', field: spec.key, value } as Action;
}

function ethertype(field: string, raw: string | undefined, dflt: number): number {
  return raw === undefined || raw === '' ? dflt : parseUint(field, raw, 0xffff);
}

/** Parses an actions string. `allowInstructions`: meter=N and goto_table=N may appear (apply-actions). */
export function parseActions(
  field: string,
  raw: Scalar,
  match: Match,
  allowInstructions: boolean,
): ParsedActions {
  if (typeof raw !== 'string')
    throw new EntryError(field, `must be a string like 'output=2', got ${typeof raw}`);
  const out: ParsedActions = { actions: [] };
  const tokens = raw.trim() === '' ? [] : raw.split(',');
  for (const tokenRaw of tokens) {
    const token = tokenRaw.trim();
    if (token === '') throw new EntryError(field, `empty action in '${raw}'`);
    const eq = token.indexOf('=');
    const key = (eq < 0 ? token : token.slice(0, eq)).trim().toLowerCase();
    const arg = eq < 0 ? undefined : token.slice(eq + 1).trim();
    const need = (): string => {
      if (arg === undefined || arg === '') throw new EntryError(field, `${key} needs a value ('${key}=...')`);
      return arg;
    };
    const at = `${field}`;
    switch (key) {
      case 'output':
        out.actions.push({
          type: 'output',
          port: parsePort(at, need(), OUTPUT_NAMES),
          maxLen: OFPCML_NO_BUFFER,
        });
        break;
      case 'enqueue': {
        const [p, q] = need().split(':');
        if (q === undefined) throw new EntryError(field, `enqueue needs PORT:QUEUE, got '${arg}'`);
        out.actions.push({
          type: 'enqueue',
          port: parsePort(at, p, ['in_port', 'local']),
          queueId: parseUint(at, q, 0xffffffff),
        });
        break;
      }
      case 'set_queue':
        out.actions.push({ type: 'set_queue', queueId: parseUint(at, need(), 0xffffffff) });
        break;
      case 'group':
        out.actions.push({ type: 'group', groupId: parseUint(at, need(), 0xffffff00) });
        break;
      case 'set_field': {
        const v = need();
        const arrow = v.indexOf('->');
        if (arrow < 0) throw new EntryError(field, `set_field needs FIELD->VALUE, got '${v}'`);
        out.actions.push(
          setField(field, v.slice(0, arrow).trim().toLowerCase(), v.slice(arrow + 2).trim(), match),
        );
        break;
      }
      case 'strip_vlan':
      case 'strip-vlan':
      case 'pop_vlan':
        out.actions.push({ type: 'pop_vlan' });
        break;
      case 'push_vlan':
        out.actions.push({ type: 'push_vlan', ethertype: ethertype(at, arg, 0x8100) });
        break;
      case 'push_mpls':
        out.actions.push({ type: 'push_mpls', ethertype: ethertype(at, arg, 0x8847) });
        break;
      case 'pop_mpls':
        out.actions.push({ type: 'pop_mpls', ethertype: ethertype(at, arg, ETH_TYPE.IPV4) });
        break;
      case 'push_pbb':
        out.actions.push({ type: 'push_pbb', ethertype: ethertype(at, arg, 0x88e7) });
        break;
      case 'pop_pbb':
      case 'dec_mpls_ttl':
      case 'dec_nw_ttl':
      case 'copy_ttl_out':
      case 'copy_ttl_in':
        if (arg !== undefined) throw new EntryError(field, `${key} takes no value`);
        out.actions.push({ type: key });
        break;
      case 'set_mpls_ttl':
      case 'set_nw_ttl':
        out.actions.push({ type: key, ttl: parseUint(at, need(), 0xff) });
        break;
      case 'meter':
      case 'goto_table': {
        if (!allowInstructions) throw new EntryError(field, `${key} is an instruction, not an action`);
        const slot = key === 'meter' ? 'meter' : 'gotoTable';
        if (out[slot] !== undefined) throw new EntryError(field, `${key} given twice`);
        out[slot] = key === 'meter' ? parseUint(at, need(), 0xffff0000) : parseUint(at, need(), 254);
        break;
      }
      default: {
        const target = SETTERS[key] ?? (key.startsWith('set_') ? key.slice(4) : undefined);
        if (target === undefined) throw new EntryError(field, `unknown action '${key}'`);
        if (!FIELD_BY_NAME.has(FIELD_ALIASES[target] ?? target) && !(target in SETTER_TARGETS_EXTRA)) {
          throw new EntryError(field, `unknown action '${key}'`);
        }
        out.actions.push(setField(field, target, need(), match));
      }
    }
  }
  return out;
}

/** Pseudo-fields that set_* shorthands may name besides real match fields. */
const SETTER_TARGETS_EXTRA = { ip_tos: true, tp_src: true, tp_dst: true };

/** Canonical text of one action, as parseActions reads it back. */
export function actionText(a: Action): string {
  switch (a.type) {
    case 'output':
      return `output=${portText(a.port)}`;
    case 'enqueue':
      return `enqueue=${portText(a.port)}:${a.queueId}`;
    case 'set_queue':
      return `set_queue=${a.queueId}`;
    case 'group':
      return `group=${a.groupId}`;
    case 'set_field': {
      const spec = FIELD_BY_KEY.get(a.field)!;
      return `set_field=${spec.name}->${valueText(spec.kind, a.value as never, spec.name)}`;
    }
    case 'push_vlan':
    case 'push_mpls':
    case 'pop_mpls':
    case 'push_pbb':
      return `${a.type}=0x${a.ethertype.toString(16).padStart(4, '0')}`;
    case 'set_mpls_ttl':
    case 'set_nw_ttl':
      return `${a.type}=${a.ttl}`;
    case 'experimenter':
      return `experimenter=0x${a.experimenter.toString(16)}`;
    default:
      return a.type;
  }
}

export function actionsText(p: ParsedActions): string {
  const parts = p.actions.map(actionText);
  if (p.meter !== undefined) parts.push(`meter=${p.meter}`);
  if (p.gotoTable !== undefined) parts.push(`goto_table=${p.gotoTable}`);
  return parts.join(',');
}
