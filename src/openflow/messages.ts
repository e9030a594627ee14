/**
 * One codec per message type (stats/multipart live in stats.ts). Each codec covers the versions listed
 * in its `wire` map; a codec's size() validates what OF1.0 cannot carry so write() can trust its input.
 */
import type { Action, FlowMod, Instruction, OfVersion } from './types.js';
import { OFPG_ANY, OFP_VERSION_1_0, OFP_VERSION_1_3 } from './types.js';
import { badField, badLength, unsupported } from './errors.js';
import {
  actionsSize,
  instructionsSize,
  readActions,
  readInstructions,
  writeActions,
  writeInstructions,
} from './actions.js';
import { defineCodec, type MessageCodec } from './registry.js';
import {
  PORT_DESC_LEN,
  bucketsSize,
  matchSize,
  meterBandsSize,
  only10,
  only13,
  readBuckets,
  readFixedList,
  readMatch,
  readMeterBands,
  readPort,
  readPortDesc,
  writeBuckets,
  writeMatch,
  writeMeterBands,
  writePort,
  writePortDesc,
} from './structs.js';
import { pad8 } from './oxm.js';
import { checkBuffer, type Reader, type Writer } from './wire.js';

const BOTH = (t10: number, t13: number) => ({ [OFP_VERSION_1_0]: t10, [OFP_VERSION_1_3]: t13 });
const ONLY13 = (t13: number) => ({ [OFP_VERSION_1_3]: t13 });

/** Messages that are only a header. */
function headerOnly<
  K extends 'features_request' | 'get_config_request' | 'barrier_request' | 'barrier_reply',
>(type: K, wire: Partial<Record<OfVersion, number>>): MessageCodec<K> {
  return defineCodec<K>({
    type,
    wire,
    size: () => 0,
    write: () => undefined,
    read: (_r, version, xid) => ({ type, version, xid }) as never,
  });
}

function dataSize(data: Buffer, field: string): number {
  checkBuffer(data, field);
  return data.length;
}

// ---------------------------------------------------------------------------------------------------------
// Hello

export const OFPHET_VERSIONBITMAP = 1;

function bitmapWords(versions: readonly number[]): number {
  let max = 0;
  for (const v of versions) {
    if (!Number.isInteger(v) || v < 1 || v > 127)
      throw badField('versions', `version ${String(v)} out of 1..127`);
    if (v > max) max = v;
  }
  return (max >>> 5) + 1;
}

export const helloCodec = defineCodec({
  type: 'hello',
  wire: BOTH(0, 0),
  size(m, v) {
    if (!Array.isArray(m.versions)) throw badField('versions', 'must be an array');
    if (m.versions.length === 0) return 0;
    if (v === OFP_VERSION_1_0) throw unsupported('versions', 'OpenFlow 1.0 hellos carry no version bitmap');
    return pad8(4 + 4 * bitmapWords(m.versions));
  },
  write(w, m) {
    if (m.versions.length === 0) return;
    const words = new Array<number>(bitmapWords(m.versions)).fill(0);
    for (const v of m.versions) words[v >>> 5] |= 1 << (v & 31);
    const len = 4 + 4 * words.length;
    w.u16(OFPHET_VERSIONBITMAP, 'versions');
    w.u16(len, 'versions');
    for (const word of words) w.u32(word >>> 0, 'versions');
    w.zeros(pad8(len) - len);
  },
  read(r, version, xid) {
    return { type: 'hello', version, xid, versions: version === OFP_VERSION_1_0 ? [] : readHelloElements(r) };
  },
});

/** Versions from the hello elements (OF1.3+ layout); unknown elements are skipped as the spec asks. */
export function readHelloElements(r: Reader): number[] {
  const versions: number[] = [];
  while (r.remaining >= 4) {
    const start = r.off;
    const type = r.u16();
    const len = r.u16();
    if (len < 4 || start + len > r.end) throw badLength(`hello element length ${len}`);
    if (type === OFPHET_VERSIONBITMAP) {
      for (let i = 0; (i + 1) * 4 <= len - 4; i++) {
        const word = r.u32();
        for (let b = 0; b < 32; b++) if (word & (1 << b)) versions.push(i * 32 + b);
      }
    }
    r.off = Math.min(start + pad8(len), r.end);
  }
  r.off = r.end;
  return versions;
}

// ---------------------------------------------------------------------------------------------------------
// Error, echo, experimenter

export const errorCodec = defineCodec({
  type: 'error',
  wire: BOTH(1, 1),
  size: (m) => 4 + dataSize(m.data, 'data'),
  write(w, m) {
    w.u16(m.errType, 'errType');
    w.u16(m.code, 'code');
    w.bytes(m.data);
  },
  read(r, version, xid) {
    const errType = r.u16();
    const code = r.u16();
    return { type: 'error', version, xid, errType, code, data: r.rest() };
  },
});

function echoCodec<K extends 'echo_request' | 'echo_reply'>(type: K, wire: number): MessageCodec<K> {
  return defineCodec<K>({
    type,
    wire: BOTH(wire, wire),
    size: (m: { data: Buffer }) => dataSize(m.data, 'data'),
    write: (w, m: { data: Buffer }) => w.bytes(m.data),
    read: (r, version, xid) => ({ type, version, xid, data: r.rest() }) as never,
  });
}

export const experimenterCodec = defineCodec({
  type: 'experimenter',
  wire: BOTH(4, 4),
  size(m, v) {
    only13(v, 'expType', m.expType, 0);
    return (v === OFP_VERSION_1_0 ? 4 : 8) + dataSize(m.data, 'data');
  },
  write(w, m, v) {
    w.u32(m.experimenter, 'experimenter');
    if (v !== OFP_VERSION_1_0) w.u32(m.expType, 'expType');
    w.bytes(m.data);
  },
  read(r, version, xid) {
    const experimenter = r.u32();
    const expType = version === OFP_VERSION_1_0 ? 0 : r.u32();
    return { type: 'experimenter', version, xid, experimenter, expType, data: r.rest() };
  },
});

// ---------------------------------------------------------------------------------------------------------
// Features, config

export const featuresReplyCodec = defineCodec({
  type: 'features_reply',
  wire: BOTH(6, 6),
  size(m, v) {
    if (!Array.isArray(m.ports)) throw badField('ports', 'must be an array');
    only13(v, 'auxiliaryId', m.auxiliaryId, 0);
    only10(v, 'actions', m.actions, 0);
    only10(v, 'ports.length', m.ports.length, 0);
    return 24 + m.ports.length * PORT_DESC_LEN[v];
  },
  write(w, m, v) {
    w.u64(m.datapathId, 'datapathId');
    w.u32(m.nBuffers, 'nBuffers');
    w.u8(m.nTables, 'nTables');
    if (v === OFP_VERSION_1_0) w.zeros(3);
    else {
      w.u8(m.auxiliaryId, 'auxiliaryId');
      w.zeros(2);
    }
    w.u32(m.capabilities, 'capabilities');
    w.u32(m.actions, 'actions'); // OF1.3: reserved
    for (let i = 0; i < m.ports.length; i++) writePortDesc(w, m.ports[i], v, `ports[${i}]`);
  },
  read(r, version, xid) {
    r.need(24, 'features_reply');
    const datapathId = r.u64();
    const nBuffers = r.u32();
    const nTables = r.u8();
    const auxiliaryId = version === OFP_VERSION_1_0 ? 0 : r.u8();
    r.skip(version === OFP_VERSION_1_0 ? 3 : 2);
    const capabilities = r.u32();
    const reserved = r.u32();
    const ports =
      version === OFP_VERSION_1_0
        ? readFixedList(r, r.end, PORT_DESC_LEN[version], 'port', () => readPortDesc(r, version))
        : [];
    return {
      type: 'features_reply',
      version,
      xid,
      datapathId,
      nBuffers,
      nTables,
      auxiliaryId,
      capabilities,
      actions: version === OFP_VERSION_1_0 ? reserved : 0,
      ports,
    };
  },
});

function switchConfigCodec<K extends 'get_config_reply' | 'set_config'>(
  type: K,
  wire: number,
): MessageCodec<K> {
  return defineCodec<K>({
    type,
    wire: BOTH(wire, wire),
    size: () => 4,
    write(w, m: { flags: number; missSendLen: number }) {
      w.u16(m.flags, 'flags');
      w.u16(m.missSendLen, 'missSendLen');
    },
    read(r, version, xid) {
      const flags = r.u16();
      return { type, version, xid, flags, missSendLen: r.u16() } as never;
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Packet in / out

export const packetInCodec = defineCodec({
  type: 'packet_in',
  wire: BOTH(10, 10),
  size(m, v) {
    const data = dataSize(m.data, 'data');
    if (v === OFP_VERSION_1_0) {
      only13(v, 'tableId', m.tableId, 0);
      only13(v, 'cookie', m.cookie, 0n);
      for (const k in m.match) {
        if (k !== 'in_port' && (m.match as Record<string, unknown>)[k] !== undefined) {
          throw unsupported(`match.${k}`, 'OpenFlow 1.0 packet-ins carry only in_port');
        }
      }
      return 10 + data;
    }
    return 16 + matchSize(m.match, v) + 2 + data;
  },
  write(w, m, v) {
    w.u32(m.bufferId, 'bufferId');
    w.u16(m.totalLen, 'totalLen');
    if (v === OFP_VERSION_1_0) {
      writePort(w, m.match.in_port ?? 0xffffffff, v, 'match.in_port');
      w.u8(m.reason, 'reason');
      w.zeros(1);
    } else {
      w.u8(m.reason, 'reason');
      w.u8(m.tableId, 'tableId');
      w.u64(m.cookie, 'cookie');
      writeMatch(w, m.match, v);
      w.zeros(2);
    }
    w.bytes(m.data);
  },
  read(r, version, xid) {
    r.need(version === OFP_VERSION_1_0 ? 10 : 16, 'packet_in');
    const bufferId = r.u32();
    const totalLen = r.u16();
    if (version === OFP_VERSION_1_0) {
      const inPort = readPort(r, version);
      const reason = r.u8();
      r.skip(1);
      return {
        type: 'packet_in',
        version,
        xid,
        bufferId,
        totalLen,
        reason,
        tableId: 0,
        cookie: 0n,
        match: { in_port: inPort },
        data: r.rest(),
      };
    }
    const reason = r.u8();
    const tableId = r.u8();
    const cookie = r.u64();
    const match = readMatch(r, version);
    r.skip(2);
    return {
      type: 'packet_in',
      version,
      xid,
      bufferId,
      totalLen,
      reason,
      tableId,
      cookie,
      match,
      data: r.rest(),
    };
  },
});

export const packetOutCodec = defineCodec({
  type: 'packet_out',
  wire: BOTH(13, 13),
  size(m, v) {
    return (v === OFP_VERSION_1_0 ? 8 : 16) + actionsSize(m.actions, v, 'actions') + dataSize(m.data, 'data');
  },
  write(w, m, v) {
    w.u32(m.bufferId, 'bufferId');
    writePort(w, m.inPort, v, 'inPort');
    const lenAt = w.off;
    w.u16(0, 'actionsLen');
    if (v !== OFP_VERSION_1_0) w.zeros(6);
    const start = w.off;
    writeActions(w, m.actions, v, 'actions');
    w.buf.writeUInt16BE(w.off - start, lenAt);
    w.bytes(m.data);
  },
  read(r, version, xid) {
    r.need(version === OFP_VERSION_1_0 ? 8 : 16, 'packet_out');
    const bufferId = r.u32();
    const inPort = readPort(r, version);
    const actionsLen = r.u16();
    if (version !== OFP_VERSION_1_0) r.skip(6);
    if (actionsLen > r.remaining) throw badLength(`actions_len ${actionsLen} runs past the message`);
    const actions = readActions(r, r.off + actionsLen, version);
    return { type: 'packet_out', version, xid, bufferId, inPort, actions, data: r.rest() };
  },
});

// ---------------------------------------------------------------------------------------------------------
// Flow mod / removed

/** OF1.0 carries one action list: a single apply_actions, or none (drop). */
export function actions10(instructions: readonly Instruction[], field = 'instructions'): readonly Action[] {
  if (!Array.isArray(instructions)) throw badField(field, 'must be an array');
  if (instructions.length === 0) return [];
  const first = instructions[0];
  if (instructions.length > 1 || first.type !== 'apply_actions') {
    const bad = first.type !== 'apply_actions' ? 0 : 1;
    throw unsupported(`${field}[${bad}]`, 'OpenFlow 1.0 carries only a single apply_actions');
  }
  return first.actions;
}

export function instructionsFrom10(actions: Action[]): Instruction[] {
  return actions.length === 0 ? [] : [{ type: 'apply_actions', actions }];
}

export function instructionsSizeFor(ins: readonly Instruction[], v: OfVersion): number {
  return v === OFP_VERSION_1_0
    ? actionsSize(actions10(ins), v, 'instructions[0].actions')
    : instructionsSize(ins, 'instructions');
}

export function writeInstructionsFor(w: Writer, ins: readonly Instruction[], v: OfVersion): void {
  if (v === OFP_VERSION_1_0) writeActions(w, actions10(ins), v, 'instructions[0].actions');
  else writeInstructions(w, ins, 'instructions');
}

export const flowModCodec = defineCodec({
  type: 'flow_mod',
  wire: BOTH(14, 14),
  size(m: FlowMod, v) {
    only13(v, 'cookieMask', m.cookieMask, 0n);
    only13(v, 'tableId', m.tableId, 0);
    only13(v, 'outGroup', m.outGroup, OFPG_ANY);
    return (v === OFP_VERSION_1_0 ? 24 : 40) + matchSize(m.match, v) + instructionsSizeFor(m.instructions, v);
  },
  write(w, m, v) {
    if (v === OFP_VERSION_1_0) {
      writeMatch(w, m.match, v);
      w.u64(m.cookie, 'cookie');
      w.u16(m.command, 'command');
    } else {
      w.u64(m.cookie, 'cookie');
      w.u64(m.cookieMask, 'cookieMask');
      w.u8(m.tableId, 'tableId');
      w.u8(m.command, 'command');
    }
    w.u16(m.idleTimeout, 'idleTimeout');
    w.u16(m.hardTimeout, 'hardTimeout');
    w.u16(m.priority, 'priority');
    w.u32(m.bufferId, 'bufferId');
    writePort(w, m.outPort, v, 'outPort');
    if (v !== OFP_VERSION_1_0) w.u32(m.outGroup, 'outGroup');
    w.u16(m.flags, 'flags');
    if (v !== OFP_VERSION_1_0) {
      w.zeros(2);
      writeMatch(w, m.match, v);
    }
    writeInstructionsFor(w, m.instructions, v);
  },
  read(r, version, xid) {
    const is10 = version === OFP_VERSION_1_0;
    r.need(is10 ? 64 : 40, 'flow_mod');
    let match = is10 ? readMatch(r, version) : undefined;
    const cookie = r.u64();
    const cookieMask = is10 ? 0n : r.u64();
    const tableId = is10 ? 0 : r.u8();
    const command = is10 ? r.u16() : r.u8();
    const idleTimeout = r.u16();
    const hardTimeout = r.u16();
    const priority = r.u16();
    const bufferId = r.u32();
    const outPort = readPort(r, version);
    const outGroup = is10 ? OFPG_ANY : r.u32();
    const flags = r.u16();
    if (!is10) {
      r.skip(2);
      match = readMatch(r, version);
    }
    const instructions = is10
      ? instructionsFrom10(readActions(r, r.end, version, match!.ip_proto))
      : readInstructions(r, r.end);
    return {
      type: 'flow_mod',
      version,
      xid,
      cookie,
      cookieMask,
      tableId,
      command,
      idleTimeout,
      hardTimeout,
      priority,
      bufferId,
      outPort,
      outGroup,
      flags,
      match: match!,
      instructions,
    };
  },
});

export const flowRemovedCodec = defineCodec({
  type: 'flow_removed',
  wire: BOTH(11, 11),
  size(m, v) {
    only13(v, 'tableId', m.tableId, 0);
    only13(v, 'hardTimeout', m.hardTimeout, 0);
    return 40 + matchSize(m.match, v);
  },
  write(w, m, v) {
    if (v === OFP_VERSION_1_0) writeMatch(w, m.match, v);
    w.u64(m.cookie, 'cookie');
    w.u16(m.priority, 'priority');
    w.u8(m.reason, 'reason');
    if (v === OFP_VERSION_1_0) w.zeros(1);
    else w.u8(m.tableId, 'tableId');
    w.u32(m.durationSec, 'durationSec');
    w.u32(m.durationNsec, 'durationNsec');
    w.u16(m.idleTimeout, 'idleTimeout');
    if (v === OFP_VERSION_1_0) w.zeros(2);
    else w.u16(m.hardTimeout, 'hardTimeout');
    w.u64(m.packetCount, 'packetCount');
    w.u64(m.byteCount, 'byteCount');
    if (v !== OFP_VERSION_1_0) writeMatch(w, m.match, v);
  },
  read(r, version, xid) {
    const is10 = version === OFP_VERSION_1_0;
    r.need(is10 ? 80 : 40, 'flow_removed');
    let match = is10 ? readMatch(r, version) : undefined;
    const cookie = r.u64();
    const priority = r.u16();
    const reason = r.u8();
    const tableId = r.u8(); // OF1.0: padding, always read as 0 below
    const durationSec = r.u32();
    const durationNsec = r.u32();
    const idleTimeout = r.u16();
    const hardTimeout = r.u16(); // OF1.0: padding
    const packetCount = r.u64();
    const byteCount = r.u64();
    if (!is10) match = readMatch(r, version);
    return {
      type: 'flow_removed',
      version,
      xid,
      cookie,
      priority,
      reason,
      tableId: is10 ? 0 : tableId,
      durationSec,
      durationNsec,
      idleTimeout,
      hardTimeout: is10 ? 0 : hardTimeout,
      packetCount,
      byteCount,
      match: match!,
    };
  },
});

// ---------------------------------------------------------------------------------------------------------
// Ports

export const portStatusCodec = defineCodec({
  type: 'port_status',
  wire: BOTH(12, 12),
  size: (_m, v) => 8 + PORT_DESC_LEN[v],
  write(w, m, v) {
    w.u8(m.reason, 'reason');
    w.zeros(7);
    writePortDesc(w, m.desc, v, 'desc');
  },
  read(r, version, xid) {
    const reason = r.u8();
    r.skip(7);
    return { type: 'port_status', version, xid, reason, desc: readPortDesc(r, version) };
  },
});

export const portModCodec = defineCodec({
  type: 'port_mod',
  wire: BOTH(15, 16),
  size: (_m, v) => (v === OFP_VERSION_1_0 ? 24 : 32),
  write(w, m, v) {
    writePort(w, m.portNo, v, 'portNo');
    if (v !== OFP_VERSION_1_0) w.zeros(4);
    w.mac(m.hwAddr, 'hwAddr');
    if (v !== OFP_VERSION_1_0) w.zeros(2);
    w.u32(m.config, 'config');
    w.u32(m.mask, 'mask');
    w.u32(m.advertise, 'advertise');
    w.zeros(4);
  },
  read(r, version, xid) {
    const portNo = readPort(r, version);
    if (version !== OFP_VERSION_1_0) r.skip(4);
    const hwAddr = r.mac();
    if (version !== OFP_VERSION_1_0) r.skip(2);
    const config = r.u32();
    const mask = r.u32();
    const advertise = r.u32();
    r.skip(4);
    return { type: 'port_mod', version, xid, portNo, hwAddr, config, mask, advertise };
  },
});

// ---------------------------------------------------------------------------------------------------------
// OF1.3 only: role, group mod, meter mod

function roleCodec<K extends 'role_request' | 'role_reply'>(type: K, wire: number): MessageCodec<K> {
  return defineCodec<K>({
    type,
    wire: ONLY13(wire),
    size: () => 16,
    write(w, m: { role: number; generationId: bigint }) {
      w.u32(m.role, 'role');
      w.zeros(4);
      w.u64(m.generationId, 'generationId');
    },
    read(r, version, xid) {
      const role = r.u32();
      r.skip(4);
      return { type, version, xid, role, generationId: r.u64() } as never;
    },
  });
}

export const groupModCodec = defineCodec({
  type: 'group_mod',
  wire: ONLY13(15),
  size: (m) => 8 + bucketsSize(m.buckets, 'buckets'),
  write(w, m) {
    w.u16(m.command, 'command');
    w.u8(m.groupType, 'groupType');
    w.zeros(1);
    w.u32(m.groupId, 'groupId');
    writeBuckets(w, m.buckets, 'buckets');
  },
  read(r, version, xid) {
    const command = r.u16();
    const groupType = r.u8();
    r.skip(1);
    const groupId = r.u32();
    return { type: 'group_mod', version, xid, command, groupType, groupId, buckets: readBuckets(r, r.end) };
  },
});

export const meterModCodec = defineCodec({
  type: 'meter_mod',
  wire: ONLY13(29),
  size: (m) => 8 + meterBandsSize(m.bands, 'bands'),
  write(w, m) {
    w.u16(m.command, 'command');
    w.u16(m.flags, 'flags');
    w.u32(m.meterId, 'meterId');
    writeMeterBands(w, m.bands, 'bands');
  },
  read(r, version, xid) {
    const command = r.u16();
    const flags = r.u16();
    const meterId = r.u32();
    return { type: 'meter_mod', version, xid, command, flags, meterId, bands: readMeterBands(r, r.end) };
  },
});

export const MESSAGE_CODECS: readonly MessageCodec<any>[] = [
  helloCodec,
  errorCodec,
  echoCodec('echo_request', 2),
  echoCodec('echo_reply', 3),
  experimenterCodec,
  headerOnly('features_request', BOTH(5, 5)),
  featuresReplyCodec,
  headerOnly('get_config_request', BOTH(7, 7)),
  switchConfigCodec('get_config_reply', 8),
  switchConfigCodec('set_config', 9),
  packetInCodec,
  flowRemovedCodec,
  portStatusCodec,
  packetOutCodec,
  flowModCodec,
  portModCodec,
  headerOnly('barrier_request', BOTH(18, 20)),
  headerOnly('barrier_reply', BOTH(19, 21)),
  roleCodec('role_request', 24),
  roleCodec('role_reply', 25),
  groupModCodec,
  meterModCodec,
];
