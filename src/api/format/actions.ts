/**
 * Floodlight's REST text forms of matches and actions (`output=2,set_field=eth_dst->00:00:00:00:00:02`).
 * The ovs-ofctl forms come from src/openflow's formatFlow.
 */
import {
  formatOpaqueOxm,
  formatPort,
  type Action,
  type Instruction,
  type Match,
} from '../../openflow/index.js';

/** A port number, or its reserved name (LOCAL, CONTROLLER...). */
export const portName = formatPort;

function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}

/** Value of one match/set-field entry as text: bigints and ethertypes in hex, the rest as is. */
export function matchValueText(field: string, value: unknown): string {
  if (typeof value === 'bigint') return hex(value);
  if (field === 'eth_type' && typeof value === 'number') return hex(value);
  if (field === 'in_port' && typeof value === 'number') return portName(value);
  return String(value);
}

/** Opaque OXM fields (tcp_flags, NXM registers...) as [name, value] the way ovs-ofctl prints them. */
export function opaqueMatchEntries(match: Match): [string, string][] {
  return (match.opaque ?? []).map((o) => {
    const text = formatOpaqueOxm(o)[1];
    const eq = text.indexOf('=');
    return [text.slice(0, eq), text.slice(eq + 1)];
  });
}

/** Floodlight's match object: every present field as a string, masks as `value/mask`. */
export function matchToFloodlight(match: Match): Record<string, string> {
  const out: Record<string, string> = {};
  const m = match as Record<string, unknown>;
  for (const [field, value] of Object.entries(m)) {
    if (value === undefined || field.endsWith('_mask') || field === 'opaque') continue;
    const mask = m[`${field}_mask`];
    out[field] = matchValueText(field, value) + (mask === undefined ? '' : '/' + matchValueText(field, mask));
  }
  for (const [k, v] of opaqueMatchEntries(match)) out[k] = v;
  return out;
}

function actionText(a: Action): string {
  const kv = (k: string, v: string) => `${k}=${v}`;
  switch (a.type) {
    case 'output':
      return kv('output', portName(a.port));
    case 'enqueue':
      return kv('enqueue', `${portName(a.port)}:${a.queueId}`);
    case 'set_queue':
      return kv('set_queue', String(a.queueId));
    case 'group':
      return kv('group', String(a.groupId));
    case 'set_field': {
      return `set_field=${a.field}->${matchValueText(a.field, a.value)}`;
    }
    case 'push_vlan':
    case 'push_mpls':
    case 'pop_mpls':
    case 'push_pbb':
      return kv(a.type, hex(a.ethertype));
    case 'set_mpls_ttl':
    case 'set_nw_ttl':
      return kv(a.type, String(a.ttl));
    case 'experimenter':
      return kv('experimenter', hex(a.experimenter));
    default:
      return a.type;
  }
}

export function actionsText(actions: readonly Action[]): string {
  return actions.length === 0 ? 'drop' : actions.map(actionText).join(',');
}

/** Floodlight 1.2's OF1.3 `instructions` object: one key per instruction. */
export function instructionsToFloodlight(instructions: readonly Instruction[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const ins of instructions) {
    switch (ins.type) {
      case 'apply_actions':
        out.instruction_apply_actions = { actions: actionsText(ins.actions) };
        break;
      case 'write_actions':
        out.instruction_write_actions = { actions: actionsText(ins.actions) };
        break;
      case 'clear_actions':
        out.instruction_clear_actions = {};
        break;
      case 'goto_table':
        out.instruction_goto_table = String(ins.tableId);
        break;
      case 'meter':
        out.instruction_goto_meter = String(ins.meterId);
        break;
      case 'write_metadata':
        out.instruction_write_metadata = `${hex(ins.metadata)}/${hex(ins.mask)}`;
        break;
      case 'experimenter':
        out.instruction_experimenter = hex(ins.experimenter);
        break;
    }
  }
  return out;
}

/** The actions an OF1.0 flow carries (its single apply_actions). */
export function applyActionsOf(instructions: readonly Instruction[]): Action[] {
  return instructions.flatMap((i) => (i.type === 'apply_actions' ? i.actions : []));
}
