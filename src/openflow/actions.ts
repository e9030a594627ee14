/**
 * Actions (both versions) and instructions (OF1.3). Each version has a size function and a writer that
 * agree, so messages compute their length first and allocate once.
 */
import type { Action, Instruction, OfVersion } from './types.js';
import { OFP_VERSION_1_0 } from './types.js';
import { OpenFlowDecodeError, OFPBAC, OFPBIC, OFPET13, atPath, badField, unsupported } from './errors.js';
import {
  OXM_BY_CODE,
  OXM_BY_NAME,
  OXM_CLASS_OPENFLOW_BASIC,
  oxmHeader,
  pad8,
  readOxmValue,
  writeOxmValue,
} from './oxm.js';
import { Reader, Writer, checkBuffer, port10to32, port32to10 } from './wire.js';

export const OFPAT10 = {
  OUTPUT: 0,
  SET_VLAN_VID: 1,
  SET_VLAN_PCP: 2,
  STRIP_VLAN: 3,
  SET_DL_SRC: 4,
  SET_DL_DST: 5,
  SET_NW_SRC: 6,
  SET_NW_DST: 7,
  SET_NW_TOS: 8,
  SET_TP_SRC: 9,
  SET_TP_DST: 10,
  ENQUEUE: 11,
  VENDOR: 0xffff,
} as const;

export const OFPAT13 = {
  OUTPUT: 0,
  COPY_TTL_OUT: 11,
  COPY_TTL_IN: 12,
  SET_MPLS_TTL: 15,
  DEC_MPLS_TTL: 16,
  PUSH_VLAN: 17,
  POP_VLAN: 18,
  PUSH_MPLS: 19,
  POP_MPLS: 20,
  SET_QUEUE: 21,
  GROUP: 22,
  SET_NW_TTL: 23,
  DEC_NW_TTL: 24,
  SET_FIELD: 25,
  PUSH_PBB: 26,
  POP_PBB: 27,
  EXPERIMENTER: 0xffff,
} as const;

export const OFPIT = {
  GOTO_TABLE: 1,
  WRITE_METADATA: 2,
  WRITE_ACTIONS: 3,
  APPLY_ACTIONS: 4,
  CLEAR_ACTIONS: 5,
  METER: 6,
  EXPERIMENTER: 0xffff,
} as const;

/** OF1.0 set actions, by the set_field name they map to. */
const SET10: Record<string, number> = {
  eth_src: OFPAT10.SET_DL_SRC,
  eth_dst: OFPAT10.SET_DL_DST,
  vlan_vid: OFPAT10.SET_VLAN_VID,
  vlan_pcp: OFPAT10.SET_VLAN_PCP,
  ipv4_src: OFPAT10.SET_NW_SRC,
  ipv4_dst: OFPAT10.SET_NW_DST,
  ip_dscp: OFPAT10.SET_NW_TOS,
  tcp_src: OFPAT10.SET_TP_SRC,
  udp_src: OFPAT10.SET_TP_SRC,
  sctp_src: OFPAT10.SET_TP_SRC,
  tcp_dst: OFPAT10.SET_TP_DST,
  udp_dst: OFPAT10.SET_TP_DST,
  sctp_dst: OFPAT10.SET_TP_DST,
};

/** The L4 protocol of the surrounding match, which decides what OF1.0's SET_TP_* set. */
export type L4Hint = number | undefined;

/** Size of an experimenter action/instruction; field names are relative to it. */
function experimenterSize(data: Buffer): number {
  checkBuffer(data, 'data');
  const n = 8 + data.length;
  if (n % 8 !== 0) throw badField('data', 'experimenter payload must pad the action to a multiple of 8');
  return n;
}

/** OF1.0 VENDOR / OF1.3 EXPERIMENTER action or instruction: all three use type 0xffff and this layout. */
function writeExperimenter(w: Writer, experimenter: number, data: Buffer): void {
  w.u16(0xffff, 'type');
  w.u16(8 + data.length, 'len');
  w.u32(experimenter, 'experimenter');
  w.bytes(data);
}

/** A raw action must be a whole, well-formed action: its own length field, a multiple of 8. */
function rawSize(data: Buffer): number {
  checkBuffer(data, 'data');
  if (data.length < 8 || data.length % 8 !== 0 || data.readUInt16BE(2) !== data.length) {
    throw badField(
      'data',
      'a raw action is its whole wire form: length >= 8, a multiple of 8, matching its len field',
    );
  }
  return data.length;
}

/** Wire size of one action; errors name fields relative to the action. */
export function actionSize(a: Action, v: OfVersion): number {
  if (v === OFP_VERSION_1_0) {
    switch (a.type) {
      case 'output':
        return 8;
      case 'enqueue':
        return 16;
      case 'pop_vlan':
        return 8;
      case 'set_field':
        if (SET10[a.field] === undefined) {
          throw unsupported('field', `OpenFlow 1.0 cannot set ${a.field}`);
        }
        return a.field === 'eth_src' || a.field === 'eth_dst' ? 16 : 8;
      case 'experimenter':
        return experimenterSize(a.data);
      default:
        throw unsupported('', `action ${(a as Action).type} is not in OpenFlow 1.0`);
    }
  }
  switch (a.type) {
    case 'output':
      return 16;
    case 'enqueue':
      throw unsupported('', 'enqueue is OpenFlow 1.0 only (use set_queue + output)');
    case 'set_field': {
      const f = OXM_BY_NAME.get(a.field);
      if (!f) throw badField('field', `unknown field ${String(a.field)}`);
      return pad8(8 + f.len);
    }
    case 'experimenter':
      return experimenterSize(a.data);
    case 'raw':
      return rawSize(a.data);
    case 'set_queue':
    case 'group':
    case 'pop_vlan':
    case 'push_vlan':
    case 'push_mpls':
    case 'pop_mpls':
    case 'set_mpls_ttl':
    case 'dec_mpls_ttl':
    case 'set_nw_ttl':
    case 'dec_nw_ttl':
    case 'copy_ttl_out':
    case 'copy_ttl_in':
    case 'push_pbb':
    case 'pop_pbb':
      return 8;
    default:
      throw badField('', `unknown action type ${String((a as { type: unknown }).type)}`);
  }
}

export function actionsSize(actions: readonly Action[], v: OfVersion, field: string): number {
  if (!Array.isArray(actions)) throw badField(field, 'must be an array');
  let n = 0;
  for (let i = 0; i < actions.length; i++) {
    try {
      n += actionSize(actions[i], v);
    } catch (e) {
      throw atPath(e, `${field}[${i}]`);
    }
  }
  return n;
}

function writeAction10(w: Writer, a: Action): void {
  const f = 'type';
  switch (a.type) {
    case 'output':
      w.u16(OFPAT10.OUTPUT, f);
      w.u16(8, f);
      w.u16(port32to10(a.port, 'port'), 'port');
      w.u16(a.maxLen, 'maxLen');
      return;
    case 'enqueue':
      w.u16(OFPAT10.ENQUEUE, f);
      w.u16(16, f);
      w.u16(port32to10(a.port, 'port'), 'port');
      w.zeros(6);
      w.u32(a.queueId, 'queueId');
      return;
    case 'pop_vlan':
      w.u16(OFPAT10.STRIP_VLAN, f);
      w.u16(8, f);
      w.zeros(4);
      return;
    case 'experimenter':
      return writeExperimenter(w, a.experimenter, a.data);
    case 'set_field':
      writeSetField10(w, a.field, a.value);
      return;
    default:
      throw unsupported('', `action ${a.type} is not in OpenFlow 1.0`);
  }
}

function writeSetField10(w: Writer, field: string, value: unknown): void {
  const f = 'value';
  const type = SET10[field];
  const isMac = field === 'eth_src' || field === 'eth_dst';
  w.u16(type, f);
  w.u16(isMac ? 16 : 8, f);
  switch (type) {
    case OFPAT10.SET_DL_SRC:
    case OFPAT10.SET_DL_DST:
      w.mac(value as string, f);
      w.zeros(6);
      return;
    case OFPAT10.SET_NW_SRC:
    case OFPAT10.SET_NW_DST:
      w.ipv4(value as string, f);
      return;
    case OFPAT10.SET_VLAN_VID: {
      const vid = value as number;
      if (!Number.isInteger(vid) || vid < 0x1000 || vid > 0x1fff)
        throw badField(f, 'vlan_vid must be 0x1000|vid');
      w.u16(vid & 0xfff, f);
      w.zeros(2);
      return;
    }
    case OFPAT10.SET_VLAN_PCP:
      w.u8(value as number, f);
      w.zeros(3);
      return;
    case OFPAT10.SET_NW_TOS: {
      const dscp = value as number;
      if (!Number.isInteger(dscp) || dscp < 0 || dscp > 63) throw badField(f, 'ip_dscp must be 0..63');
      w.u8(dscp << 2, f);
      w.zeros(3);
      return;
    }
    default:
      w.u16(value as number, f);
      w.zeros(2);
  }
}

function writeAction13(w: Writer, a: Action): void {
  const f = 'type';
  const start = w.off;
  switch (a.type) {
    case 'output':
      w.u16(OFPAT13.OUTPUT, f);
      w.u16(16, f);
      w.u32(a.port, 'port');
      w.u16(a.maxLen, 'maxLen');
      w.zeros(6);
      return;
    case 'set_field': {
      const fd = OXM_BY_NAME.get(a.field)!;
      const len = pad8(8 + fd.len);
      w.u16(OFPAT13.SET_FIELD, f);
      w.u16(len, f);
      w.u32(oxmHeader(fd, false), f);
      writeOxmValue(fd, w, a.value, 'value');
      w.zeros(start + len - w.off);
      return;
    }
    case 'experimenter':
      return writeExperimenter(w, a.experimenter, a.data);
    case 'raw':
      w.bytes(a.data);
      return;
    case 'set_queue':
    case 'group':
      w.u16(a.type === 'set_queue' ? OFPAT13.SET_QUEUE : OFPAT13.GROUP, f);
      w.u16(8, f);
      if (a.type === 'set_queue') w.u32(a.queueId, 'queueId');
      else w.u32(a.groupId, 'groupId');
      return;
    case 'push_vlan':
    case 'push_mpls':
    case 'pop_mpls':
    case 'push_pbb':
      w.u16(ETHERTYPE_ACTION13[a.type], f);
      w.u16(8, f);
      w.u16(a.ethertype, 'ethertype');
      w.zeros(2);
      return;
    case 'set_mpls_ttl':
    case 'set_nw_ttl':
      w.u16(a.type === 'set_mpls_ttl' ? OFPAT13.SET_MPLS_TTL : OFPAT13.SET_NW_TTL, f);
      w.u16(8, f);
      w.u8(a.ttl, 'ttl');
      w.zeros(3);
      return;
    case 'pop_vlan':
    case 'dec_mpls_ttl':
    case 'dec_nw_ttl':
    case 'copy_ttl_out':
    case 'copy_ttl_in':
    case 'pop_pbb':
      w.u16(BARE_ACTION13[a.type], f);
      w.u16(8, f);
      w.zeros(4);
      return;
    default:
      throw unsupported('', `action ${a.type} is not in OpenFlow 1.3`);
  }
}

const ETHERTYPE_ACTION13 = {
  push_vlan: OFPAT13.PUSH_VLAN,
  push_mpls: OFPAT13.PUSH_MPLS,
  pop_mpls: OFPAT13.POP_MPLS,
  push_pbb: OFPAT13.PUSH_PBB,
} as const;

/** Actions that are only a header and 4 bytes of padding. */
const BARE_ACTION13 = {
  pop_vlan: OFPAT13.POP_VLAN,
  dec_mpls_ttl: OFPAT13.DEC_MPLS_TTL,
  dec_nw_ttl: OFPAT13.DEC_NW_TTL,
  copy_ttl_out: OFPAT13.COPY_TTL_OUT,
  copy_ttl_in: OFPAT13.COPY_TTL_IN,
  pop_pbb: OFPAT13.POP_PBB,
} as const;

export function writeActions(w: Writer, actions: readonly Action[], v: OfVersion, field: string): void {
  const write = v === OFP_VERSION_1_0 ? writeAction10 : writeAction13;
  for (let i = 0; i < actions.length; i++) {
    try {
      write(w, actions[i]);
    } catch (e) {
      throw atPath(e, `${field}[${i}]`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

function actionError(code: number, detail: string): OpenFlowDecodeError {
  return new OpenFlowDecodeError(
    code === OFPBAC.BAD_LEN ? 'OF_BAD_LENGTH' : 'OF_BAD_TYPE',
    OFPET13.BAD_ACTION,
    code,
    detail,
  );
}

const OFPBAC_BAD_SET_TYPE = 13;

function expectLen(len: number, want: number, what: string): void {
  if (len !== want) throw actionError(OFPBAC.BAD_LEN, `${what} action has length ${len}, expected ${want}`);
}

function tpName(
  hint: L4Hint,
  dir: 'src' | 'dst',
): 'tcp_src' | 'tcp_dst' | 'udp_src' | 'udp_dst' | 'sctp_src' | 'sctp_dst' {
  const proto = hint === 17 ? 'udp' : hint === 132 ? 'sctp' : 'tcp';
  return `${proto}_${dir}`;
}

function readAction10(r: Reader, type: number, len: number, hint: L4Hint): Action {
  switch (type) {
    case OFPAT10.OUTPUT: {
      expectLen(len, 8, 'output');
      const port = port10to32(r.u16());
      return { type: 'output', port, maxLen: r.u16() };
    }
    case OFPAT10.ENQUEUE: {
      expectLen(len, 16, 'enqueue');
      const port = port10to32(r.u16());
      r.skip(6);
      return { type: 'enqueue', port, queueId: r.u32() };
    }
    case OFPAT10.STRIP_VLAN:
      expectLen(len, 8, 'strip_vlan');
      return { type: 'pop_vlan' };
    case OFPAT10.SET_DL_SRC:
    case OFPAT10.SET_DL_DST:
      expectLen(len, 16, 'set_dl');
      return {
        type: 'set_field',
        field: type === OFPAT10.SET_DL_SRC ? 'eth_src' : 'eth_dst',
        value: r.mac(),
      };
    case OFPAT10.SET_NW_SRC:
    case OFPAT10.SET_NW_DST:
      expectLen(len, 8, 'set_nw');
      return {
        type: 'set_field',
        field: type === OFPAT10.SET_NW_SRC ? 'ipv4_src' : 'ipv4_dst',
        value: r.ipv4(),
      };
    case OFPAT10.SET_VLAN_VID:
      expectLen(len, 8, 'set_vlan_vid');
      return { type: 'set_field', field: 'vlan_vid', value: 0x1000 | (r.u16() & 0xfff) };
    case OFPAT10.SET_VLAN_PCP:
      expectLen(len, 8, 'set_vlan_pcp');
      return { type: 'set_field', field: 'vlan_pcp', value: r.u8() };
    case OFPAT10.SET_NW_TOS:
      expectLen(len, 8, 'set_nw_tos');
      return { type: 'set_field', field: 'ip_dscp', value: r.u8() >> 2 };
    case OFPAT10.SET_TP_SRC:
    case OFPAT10.SET_TP_DST:
      expectLen(len, 8, 'set_tp');
      return {
        type: 'set_field',
        field: tpName(hint, type === OFPAT10.SET_TP_SRC ? 'src' : 'dst'),
        value: r.u16(),
      };
    case OFPAT10.VENDOR: {
      const experimenter = r.u32();
      return { type: 'experimenter', experimenter, data: r.bytes(len - 8) };
    }
    default:
      throw actionError(OFPBAC.BAD_TYPE, `unknown OpenFlow 1.0 action type ${type}`);
  }
}

/** Decode-side inverses of the encode tables. */
const SIMPLE13: Record<number, Action> = Object.fromEntries(
  Object.entries(BARE_ACTION13).map(([type, n]) => [n, { type } as Action]),
);
const ETHERTYPE13: Record<number, keyof typeof ETHERTYPE_ACTION13> = Object.fromEntries(
  Object.entries(ETHERTYPE_ACTION13).map(([type, n]) => [n, type as keyof typeof ETHERTYPE_ACTION13]),
);

function readAction13(r: Reader, type: number, len: number): Action {
  switch (type) {
    case OFPAT13.OUTPUT: {
      expectLen(len, 16, 'output');
      const port = r.u32();
      return { type: 'output', port, maxLen: r.u16() };
    }
    case OFPAT13.SET_QUEUE:
      expectLen(len, 8, 'set_queue');
      return { type: 'set_queue', queueId: r.u32() };
    case OFPAT13.GROUP:
      expectLen(len, 8, 'group');
      return { type: 'group', groupId: r.u32() };
    case OFPAT13.SET_MPLS_TTL:
    case OFPAT13.SET_NW_TTL:
      expectLen(len, 8, 'set_ttl');
      return { type: type === OFPAT13.SET_MPLS_TTL ? 'set_mpls_ttl' : 'set_nw_ttl', ttl: r.u8() };
    case OFPAT13.SET_FIELD: {
      const h = r.u32();
      const f = h >>> 16 === OXM_CLASS_OPENFLOW_BASIC ? OXM_BY_CODE[(h >>> 9) & 0x7f] : undefined;
      if (h >>> 16 !== OXM_CLASS_OPENFLOW_BASIC) {
        // Another class (Nicira registers...): keep the action's bytes rather than fail the whole message.
        const start = r.off - 8;
        return { type: 'raw', data: r.buf.subarray(start, start + len) };
      }
      if (!f || h & 0x100) {
        throw new OpenFlowDecodeError(
          'OF_BAD_FIELD',
          OFPET13.BAD_ACTION,
          OFPBAC_BAD_SET_TYPE,
          `set_field of OXM 0x${h.toString(16)} is not a settable basic field`,
        );
      }
      if ((h & 0xff) !== f.len || len < 8 + f.len)
        throw actionError(OFPBAC.BAD_LEN, `set_field ${f.name} length`);
      return { type: 'set_field', field: f.name, value: readOxmValue(f, r) } as Action;
    }
    case OFPAT13.EXPERIMENTER: {
      const experimenter = r.u32();
      return { type: 'experimenter', experimenter, data: r.bytes(len - 8) };
    }
    default: {
      const simple = SIMPLE13[type];
      if (simple) {
        expectLen(len, 8, simple.type);
        return { ...simple };
      }
      const eth = ETHERTYPE13[type];
      if (eth) {
        expectLen(len, 8, eth);
        return { type: eth, ethertype: r.u16() };
      }
      throw actionError(OFPBAC.BAD_TYPE, `unknown OpenFlow 1.3 action type ${type}`);
    }
  }
}

/** Reads actions in [r.off, end); leaves r.off at end. */
export function readActions(r: Reader, end: number, v: OfVersion, hint: L4Hint = undefined): Action[] {
  const out: Action[] = [];
  while (r.off < end) {
    const start = r.off;
    if (end - start < 8) throw actionError(OFPBAC.BAD_LEN, 'action header runs past the action list');
    const type = r.u16();
    const len = r.u16();
    if (len < 8 || len % 8 !== 0 || start + len > end) {
      throw actionError(OFPBAC.BAD_LEN, `action type ${type} has bad length ${len}`);
    }
    const sub = new Reader(r.buf, r.off, start + len);
    out.push(v === OFP_VERSION_1_0 ? readAction10(sub, type, len, hint) : readAction13(sub, type, len));
    r.off = start + len;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Instructions (OF1.3)

export function instructionsSize(ins: readonly Instruction[], field: string): number {
  if (!Array.isArray(ins)) throw badField(field, 'must be an array');
  let n = 0;
  for (let i = 0; i < ins.length; i++) {
    try {
      n += instructionSize(ins[i]);
    } catch (e) {
      throw atPath(e, `${field}[${i}]`);
    }
  }
  return n;
}

function instructionSize(it: Instruction): number {
  switch (it.type) {
    case 'goto_table':
    case 'clear_actions':
    case 'meter':
      return 8;
    case 'write_metadata':
      return 24;
    case 'write_actions':
    case 'apply_actions':
      return 8 + actionsSize(it.actions, 4, 'actions');
    case 'experimenter':
      return experimenterSize(it.data);
    default:
      throw badField('', `unknown instruction type ${String((it as { type: unknown }).type)}`);
  }
}

export function writeInstructions(w: Writer, ins: readonly Instruction[], field: string): void {
  for (let i = 0; i < ins.length; i++) {
    try {
      writeInstruction(w, ins[i]);
    } catch (e) {
      throw atPath(e, `${field}[${i}]`);
    }
  }
}

function writeInstruction(w: Writer, it: Instruction): void {
  const f = 'type';
  switch (it.type) {
    case 'goto_table':
      w.u16(OFPIT.GOTO_TABLE, f);
      w.u16(8, f);
      w.u8(it.tableId, 'tableId');
      w.zeros(3);
      break;
    case 'meter':
      w.u16(OFPIT.METER, f);
      w.u16(8, f);
      w.u32(it.meterId, 'meterId');
      break;
    case 'clear_actions':
      w.u16(OFPIT.CLEAR_ACTIONS, f);
      w.u16(8, f);
      w.zeros(4);
      break;
    case 'write_metadata':
      w.u16(OFPIT.WRITE_METADATA, f);
      w.u16(24, f);
      w.zeros(4);
      w.u64(it.metadata, 'metadata');
      w.u64(it.mask, 'mask');
      break;
    case 'write_actions':
    case 'apply_actions': {
      const start = w.off;
      w.u16(it.type === 'write_actions' ? OFPIT.WRITE_ACTIONS : OFPIT.APPLY_ACTIONS, f);
      w.u16(0, f);
      w.zeros(4);
      writeActions(w, it.actions, 4, 'actions');
      w.buf.writeUInt16BE(w.off - start, start + 2);
      break;
    }
    case 'experimenter':
      writeExperimenter(w, it.experimenter, it.data);
      break;
  }
}

function instructionError(code: number, detail: string): OpenFlowDecodeError {
  return new OpenFlowDecodeError(
    code === OFPBIC.BAD_LEN ? 'OF_BAD_LENGTH' : 'OF_BAD_TYPE',
    OFPET13.BAD_INSTRUCTION,
    code,
    detail,
  );
}

export function readInstructions(r: Reader, end: number): Instruction[] {
  const out: Instruction[] = [];
  while (r.off < end) {
    const start = r.off;
    if (end - start < 8) throw instructionError(OFPBIC.BAD_LEN, 'instruction header runs past the list');
    const type = r.u16();
    const len = r.u16();
    if (len < 8 || len % 8 !== 0 || start + len > end) {
      throw instructionError(OFPBIC.BAD_LEN, `instruction type ${type} has bad length ${len}`);
    }
    const sub = new Reader(r.buf, r.off, start + len);
    const fixed = (want: number) => {
      if (len !== want) throw instructionError(OFPBIC.BAD_LEN, `instruction type ${type} has length ${len}`);
    };
    switch (type) {
      case OFPIT.GOTO_TABLE:
        fixed(8);
        out.push({ type: 'goto_table', tableId: sub.u8() });
        break;
      case OFPIT.METER:
        fixed(8);
        out.push({ type: 'meter', meterId: sub.u32() });
        break;
      case OFPIT.CLEAR_ACTIONS:
        fixed(8);
        out.push({ type: 'clear_actions' });
        break;
      case OFPIT.WRITE_METADATA: {
        fixed(24);
        sub.skip(4);
        const metadata = sub.u64();
        out.push({ type: 'write_metadata', metadata, mask: sub.u64() });
        break;
      }
      case OFPIT.WRITE_ACTIONS:
      case OFPIT.APPLY_ACTIONS:
        sub.skip(4);
        out.push({
          type: type === OFPIT.WRITE_ACTIONS ? 'write_actions' : 'apply_actions',
          actions: readActions(sub, start + len, 4),
        });
        break;
      case OFPIT.EXPERIMENTER: {
        const experimenter = sub.u32();
        out.push({ type: 'experimenter', experimenter, data: sub.bytes(len - 8) });
        break;
      }
      default:
        throw instructionError(OFPBIC.UNKNOWN_INST, `unknown instruction type ${type}`);
    }
    r.off = start + len;
  }
  return out;
}
