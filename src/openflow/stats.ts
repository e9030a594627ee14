/**
 * OF1.0 stats / OF1.3 multipart: one body codec per `kind`, in two typed registries (requests, replies)
 * keyed by kind and by the version's OFPST/OFPMP number, wrapped by the stats_request/stats_reply codecs.
 */
import type {
  DescStats,
  ExperimenterStats,
  RawStats,
  FlowStatsEntry,
  GroupDescEntry,
  GroupStatsEntry,
  MeterConfigEntry,
  MeterStatsEntry,
  OfVersion,
  PortStatsEntry,
  QueueStatsEntry,
  StatsReplyBody,
  StatsRequestBody,
  TableStatsEntry,
} from './types.js';
import { OFPG_ANY, OFP_VERSION_1_0, OFP_VERSION_1_3 } from './types.js';
import { badField, badLength, unsupported } from './errors.js';
import { defineCodec } from './registry.js';
import {
  PORT_DESC_LEN,
  bucketsSize,
  matchSize,
  meterBandsSize,
  only10,
  only13,
  readBuckets,
  readFixedList,
  readLengthPrefixedList,
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
import { instructionsFrom10, instructionsSizeFor, writeInstructionsFor } from './messages.js';
import { readActions, readInstructions } from './actions.js';
import { Reader, Writer } from './wire.js';

type ReqOf<K extends StatsRequestBody['kind']> = StatsRequestBody & { kind: K };
type RepOf<K extends StatsReplyBody['kind']> = StatsReplyBody & { kind: K };

interface BodyCodec<B> {
  readonly kinds: readonly string[];
  size(b: B, v: OfVersion): number;
  write(w: Writer, b: B, v: OfVersion): void;
  /** Reads the body in [r.off, r.end); `kind` is the model kind the wire number mapped to. */
  read(r: Reader, v: OfVersion, kind: string): B;
}

const BOTH = (n: number) => ({ [OFP_VERSION_1_0]: n, [OFP_VERSION_1_3]: n });
const ONLY13 = (n: number) => ({ [OFP_VERSION_1_3]: n });

/** Kinds with a body codec; 'raw' stands for any other type number. */
type NamedKind = Exclude<StatsRequestBody['kind'], 'raw'>;

/** OFPST_* / OFPMP_* numbers by kind. */
export const STATS_TYPE = {
  desc: BOTH(0),
  flow: BOTH(1),
  aggregate: BOTH(2),
  table: BOTH(3),
  port: BOTH(4),
  queue: BOTH(5),
  group: ONLY13(6),
  group_desc: ONLY13(7),
  meter: ONLY13(9),
  meter_config: ONLY13(10),
  port_desc: ONLY13(13),
  experimenter: BOTH(0xffff),
} as const satisfies Record<NamedKind, Partial<Record<OfVersion, number>>>;

function empty<K extends StatsRequestBody['kind']>(kind: K): BodyCodec<ReqOf<K>> {
  return { kinds: [kind], size: () => 0, write: () => undefined, read: () => ({ kind }) as ReqOf<K> };
}

/** A request body of one u32 id and 4 bytes of padding (group, meter, meter_config). */
function idRequest<K extends 'group' | 'meter' | 'meter_config'>(
  kind: K,
  key: K extends 'group' ? 'groupId' : 'meterId',
): BodyCodec<ReqOf<K>> {
  return {
    kinds: [kind],
    size: () => 8,
    write(w, b) {
      w.u32((b as unknown as Record<string, number>)[key], `body.${key}`);
      w.zeros(4);
    },
    read(r) {
      const id = r.u32();
      r.skip(4);
      return { kind, [key]: id } as unknown as ReqOf<K>;
    },
  };
}

const flowRequest: BodyCodec<ReqOf<'flow' | 'aggregate'>> = {
  kinds: ['flow', 'aggregate'],
  size(b, v) {
    only13(v, 'body.outGroup', b.outGroup, OFPG_ANY);
    only13(v, 'body.cookie', b.cookie, 0n);
    only13(v, 'body.cookieMask', b.cookieMask, 0n);
    return (v === OFP_VERSION_1_0 ? 4 : 32) + matchSize(b.match, v, 'body.match');
  },
  write(w, b, v) {
    if (v === OFP_VERSION_1_0) {
      writeMatch(w, b.match, v, 'body.match');
      w.u8(b.tableId, 'body.tableId');
      w.zeros(1);
      writePort(w, b.outPort, v, 'body.outPort');
      return;
    }
    w.u8(b.tableId, 'body.tableId');
    w.zeros(3);
    w.u32(b.outPort, 'body.outPort');
    w.u32(b.outGroup, 'body.outGroup');
    w.zeros(4);
    w.u64(b.cookie, 'body.cookie');
    w.u64(b.cookieMask, 'body.cookieMask');
    writeMatch(w, b.match, v, 'body.match');
  },
  read(r, v, kind) {
    const k = kind as 'flow' | 'aggregate';
    if (v === OFP_VERSION_1_0) {
      const match = readMatch(r, v);
      const tableId = r.u8();
      r.skip(1);
      const outPort = readPort(r, v);
      return { kind: k, tableId, outPort, outGroup: OFPG_ANY, cookie: 0n, cookieMask: 0n, match };
    }
    r.need(32, 'flow stats request');
    const tableId = r.u8();
    r.skip(3);
    const outPort = r.u32();
    const outGroup = r.u32();
    r.skip(4);
    const cookie = r.u64();
    const cookieMask = r.u64();
    return { kind: k, tableId, outPort, outGroup, cookie, cookieMask, match: readMatch(r, v) };
  },
};

const portRequest: BodyCodec<ReqOf<'port'>> = {
  kinds: ['port'],
  size: () => 8,
  write(w, b, v) {
    writePort(w, b.portNo, v, 'body.portNo');
    w.zeros(v === OFP_VERSION_1_0 ? 6 : 4);
  },
  read(r, v) {
    const portNo = readPort(r, v);
    r.skip(v === OFP_VERSION_1_0 ? 6 : 4);
    return { kind: 'port', portNo };
  },
};

const queueRequest: BodyCodec<ReqOf<'queue'>> = {
  kinds: ['queue'],
  size: () => 8,
  write(w, b, v) {
    writePort(w, b.portNo, v, 'body.portNo');
    if (v === OFP_VERSION_1_0) w.zeros(2);
    w.u32(b.queueId, 'body.queueId');
  },
  read(r, v) {
    const portNo = readPort(r, v);
    if (v === OFP_VERSION_1_0) r.skip(2);
    return { kind: 'queue', portNo, queueId: r.u32() };
  },
};

/** Nicira's vendor id: its OF1.0 vendor stats (nicira10_stats_msg) put a u32 subtype after it. */
export const NX_VENDOR_ID = 0x00002320;
const hasExpType = (v: OfVersion, experimenter: number) =>
  v !== OFP_VERSION_1_0 || experimenter === NX_VENDOR_ID;

/** Vendor/experimenter stats, request or reply: the ids, then the body as bytes. */
const experimenterBody: BodyCodec<ExperimenterStats> = {
  kinds: ['experimenter'],
  size(b, v) {
    if (!Buffer.isBuffer(b.data)) throw badField('body.data', 'must be a Buffer');
    const sub = hasExpType(v, b.experimenter);
    if (!sub && b.expType !== 0)
      throw unsupported('body.expType', 'OpenFlow 1.0 vendor stats carry a subtype only for Nicira (0x2320)');
    return (sub ? 8 : 4) + b.data.length;
  },
  write(w, b, v) {
    w.u32(b.experimenter, 'body.experimenter');
    if (hasExpType(v, b.experimenter)) w.u32(b.expType, 'body.expType');
    w.bytes(b.data);
  },
  read(r, v) {
    r.need(4, 'experimenter stats');
    const experimenter = r.u32();
    let expType = 0;
    if (hasExpType(v, experimenter)) {
      r.need(4, 'experimenter stats');
      expType = r.u32();
    }
    return { kind: 'experimenter', experimenter, expType, data: r.rest() };
  },
};

// ---------------------------------------------------------------------------------------------------------
// Reply bodies

const DESC_LENS = [256, 256, 256, 32, 256] as const;
const DESC_KEYS = ['mfrDesc', 'hwDesc', 'swDesc', 'serialNum', 'dpDesc'] as const;

const descReply: BodyCodec<RepOf<'desc'>> = {
  kinds: ['desc'],
  size: () => 1056,
  write(w, b) {
    for (let i = 0; i < 5; i++) w.str(b.desc[DESC_KEYS[i]], DESC_LENS[i], `body.desc.${DESC_KEYS[i]}`);
  },
  read(r) {
    r.need(1056, 'ofp_desc');
    const desc = {} as DescStats;
    for (let i = 0; i < 5; i++) desc[DESC_KEYS[i]] = r.str(DESC_LENS[i]);
    return { kind: 'desc', desc };
  },
};

/** A reply body that is a list of entries under `key`, each with its own size/write/read. */
function listReply<K extends StatsReplyBody['kind'], E>(
  kind: K,
  key: string,
  entry: {
    size(e: E, v: OfVersion, field: string): number;
    write(w: Writer, e: E, v: OfVersion, field: string): void;
    readAll(r: Reader, v: OfVersion): E[];
  },
): BodyCodec<RepOf<K>> {
  return {
    kinds: [kind],
    size(b, v) {
      const list = (b as unknown as Record<string, E[]>)[key];
      if (!Array.isArray(list)) throw badField(`body.${key}`, 'must be an array');
      let n = 0;
      for (let i = 0; i < list.length; i++) n += entry.size(list[i], v, `body.${key}[${i}]`);
      return n;
    },
    write(w, b, v) {
      const list = (b as unknown as Record<string, E[]>)[key];
      for (let i = 0; i < list.length; i++) entry.write(w, list[i], v, `body.${key}[${i}]`);
    },
    read: (r, v) => ({ kind, [key]: entry.readAll(r, v) }) as unknown as RepOf<K>,
  };
}

/** A fixed-size entry (its size depends only on the version). */
function fixedEntry<E>(
  sizes: Record<OfVersion, number>,
  what: string,
  write: (w: Writer, e: E, v: OfVersion, field: string) => void,
  read: (r: Reader, v: OfVersion) => E,
) {
  return {
    size: (_e: E, v: OfVersion) => sizes[v],
    write,
    readAll: (r: Reader, v: OfVersion) => readFixedList(r, r.end, sizes[v], what, () => read(r, v)),
  };
}

const FLOW_STATS_FIXED = { 1: 48, 4: 48 } as const; // bytes besides match and actions/instructions

const flowEntry = {
  size(e: FlowStatsEntry, v: OfVersion, f: string) {
    only13(v, `${f}.flags`, e.flags, 0);
    return FLOW_STATS_FIXED[v] + matchSize(e.match, v, `${f}.match`) + instructionsSizeFor(e.instructions, v);
  },
  write(w: Writer, e: FlowStatsEntry, v: OfVersion, f: string) {
    const start = w.off;
    w.u16(0, `${f}.length`); // patched below
    w.u8(e.tableId, `${f}.tableId`);
    w.zeros(1);
    if (v === OFP_VERSION_1_0) writeMatch(w, e.match, v, `${f}.match`);
    w.u32(e.durationSec, `${f}.durationSec`);
    w.u32(e.durationNsec, `${f}.durationNsec`);
    w.u16(e.priority, `${f}.priority`);
    w.u16(e.idleTimeout, `${f}.idleTimeout`);
    w.u16(e.hardTimeout, `${f}.hardTimeout`);
    if (v === OFP_VERSION_1_0) w.zeros(6);
    else {
      w.u16(e.flags, `${f}.flags`);
      w.zeros(4);
    }
    w.u64(e.cookie, `${f}.cookie`);
    w.u64(e.packetCount, `${f}.packetCount`);
    w.u64(e.byteCount, `${f}.byteCount`);
    if (v !== OFP_VERSION_1_0) writeMatch(w, e.match, v, `${f}.match`);
    writeInstructionsFor(w, e.instructions, v);
    w.buf.writeUInt16BE(w.off - start, start);
  },
  readAll(r: Reader, v: OfVersion): FlowStatsEntry[] {
    const min = FLOW_STATS_FIXED[v] + (v === OFP_VERSION_1_0 ? 40 : 8);
    return readLengthPrefixedList(r, r.end, min, 'flow stats', (s) => {
      s.skip(2);
      const tableId = s.u8();
      s.skip(1);
      let match = v === OFP_VERSION_1_0 ? readMatch(s, v) : undefined;
      const durationSec = s.u32();
      const durationNsec = s.u32();
      const priority = s.u16();
      const idleTimeout = s.u16();
      const hardTimeout = s.u16();
      const flags = v === OFP_VERSION_1_0 ? 0 : s.u16();
      s.skip(v === OFP_VERSION_1_0 ? 6 : 4);
      const cookie = s.u64();
      const packetCount = s.u64();
      const byteCount = s.u64();
      if (v !== OFP_VERSION_1_0) match = readMatch(s, v);
      const instructions =
        v === OFP_VERSION_1_0
          ? instructionsFrom10(readActions(s, s.end, v, match!.ip_proto))
          : readInstructions(s, s.end);
      return {
        tableId,
        durationSec,
        durationNsec,
        priority,
        idleTimeout,
        hardTimeout,
        flags,
        cookie,
        packetCount,
        byteCount,
        match: match!,
        instructions,
      };
    });
  },
};

const aggregateReply: BodyCodec<RepOf<'aggregate'>> = {
  kinds: ['aggregate'],
  size: () => 24,
  write(w, b) {
    w.u64(b.packetCount, 'body.packetCount');
    w.u64(b.byteCount, 'body.byteCount');
    w.u32(b.flowCount, 'body.flowCount');
    w.zeros(4);
  },
  read(r) {
    const packetCount = r.u64();
    const byteCount = r.u64();
    const flowCount = r.u32();
    r.skip(4);
    return { kind: 'aggregate', packetCount, byteCount, flowCount };
  },
};

const PORT_COUNTERS = [
  'rxPackets',
  'txPackets',
  'rxBytes',
  'txBytes',
  'rxDropped',
  'txDropped',
  'rxErrors',
  'txErrors',
  'rxFrameErr',
  'rxOverErr',
  'rxCrcErr',
  'collisions',
] as const;

/** A port's stats with every counter 0 and no duration: what fakes and synthetic counters start from. */
export function zeroPortStats(portNo: number): PortStatsEntry {
  const entry = { portNo, durationSec: 0, durationNsec: 0 } as PortStatsEntry;
  for (const k of PORT_COUNTERS) entry[k] = 0n;
  return entry;
}

/** The list each of these reply kinds carries. */
const LIST_OF = {
  queue: 'queues',
  group: 'groups',
  group_desc: 'groups',
  meter: 'meters',
  meter_config: 'meters',
} as const;

/** The reply of a listing kind with no entries: what a switch without queues, groups or meters answers. */
export function emptyStatsReply(kind: keyof typeof LIST_OF): StatsReplyBody {
  return { kind, [LIST_OF[kind]]: [] } as unknown as StatsReplyBody;
}

const portStatsEntry = fixedEntry<PortStatsEntry>(
  { 1: 104, 4: 112 },
  'port stats',
  (w, e, v, f) => {
    only13(v, `${f}.durationSec`, e.durationSec, 0);
    only13(v, `${f}.durationNsec`, e.durationNsec, 0);
    writePort(w, e.portNo, v, `${f}.portNo`);
    w.zeros(v === OFP_VERSION_1_0 ? 6 : 4);
    for (const k of PORT_COUNTERS) w.u64(e[k], `${f}.${k}`);
    if (v !== OFP_VERSION_1_0) {
      w.u32(e.durationSec, `${f}.durationSec`);
      w.u32(e.durationNsec, `${f}.durationNsec`);
    }
  },
  (r, v) => {
    const e = { portNo: readPort(r, v) } as PortStatsEntry;
    r.skip(v === OFP_VERSION_1_0 ? 6 : 4);
    for (const k of PORT_COUNTERS) e[k] = r.u64();
    e.durationSec = v === OFP_VERSION_1_0 ? 0 : r.u32();
    e.durationNsec = v === OFP_VERSION_1_0 ? 0 : r.u32();
    return e;
  },
);

const portDescEntry = fixedEntry<import('./types.js').PortDesc>(
  PORT_DESC_LEN,
  'port desc',
  writePortDesc,
  readPortDesc,
);

const tableStatsEntry = fixedEntry<TableStatsEntry>(
  { 1: 64, 4: 24 },
  'table stats',
  (w, e, v, f) => {
    only10(v, `${f}.name`, e.name, '');
    only10(v, `${f}.wildcards`, e.wildcards, 0);
    only10(v, `${f}.maxEntries`, e.maxEntries, 0);
    w.u8(e.tableId, `${f}.tableId`);
    w.zeros(3);
    if (v === OFP_VERSION_1_0) {
      w.str(e.name, 32, `${f}.name`);
      w.u32(e.wildcards, `${f}.wildcards`);
      w.u32(e.maxEntries, `${f}.maxEntries`);
    }
    w.u32(e.activeCount, `${f}.activeCount`);
    w.u64(e.lookupCount, `${f}.lookupCount`);
    w.u64(e.matchedCount, `${f}.matchedCount`);
  },
  (r, v) => {
    const tableId = r.u8();
    r.skip(3);
    const name = v === OFP_VERSION_1_0 ? r.str(32) : '';
    const wildcards = v === OFP_VERSION_1_0 ? r.u32() : 0;
    const maxEntries = v === OFP_VERSION_1_0 ? r.u32() : 0;
    const activeCount = r.u32();
    const lookupCount = r.u64();
    return { tableId, name, wildcards, maxEntries, activeCount, lookupCount, matchedCount: r.u64() };
  },
);

const queueStatsEntry = fixedEntry<QueueStatsEntry>(
  { 1: 32, 4: 40 },
  'queue stats',
  (w, e, v, f) => {
    only13(v, `${f}.durationSec`, e.durationSec, 0);
    only13(v, `${f}.durationNsec`, e.durationNsec, 0);
    writePort(w, e.portNo, v, `${f}.portNo`);
    if (v === OFP_VERSION_1_0) w.zeros(2);
    w.u32(e.queueId, `${f}.queueId`);
    w.u64(e.txBytes, `${f}.txBytes`);
    w.u64(e.txPackets, `${f}.txPackets`);
    w.u64(e.txErrors, `${f}.txErrors`);
    if (v !== OFP_VERSION_1_0) {
      w.u32(e.durationSec, `${f}.durationSec`);
      w.u32(e.durationNsec, `${f}.durationNsec`);
    }
  },
  (r, v) => {
    const portNo = readPort(r, v);
    if (v === OFP_VERSION_1_0) r.skip(2);
    const queueId = r.u32();
    const txBytes = r.u64();
    const txPackets = r.u64();
    const txErrors = r.u64();
    const durationSec = v === OFP_VERSION_1_0 ? 0 : r.u32();
    const durationNsec = v === OFP_VERSION_1_0 ? 0 : r.u32();
    return { portNo, queueId, txBytes, txPackets, txErrors, durationSec, durationNsec };
  },
);

function counterPairs(list: unknown, field: string): number {
  if (!Array.isArray(list)) throw badField(field, 'must be an array');
  return list.length * 16;
}

const groupStatsEntry = {
  size: (e: GroupStatsEntry, _v: OfVersion, f: string) => 40 + counterPairs(e.buckets, `${f}.buckets`),
  write(w: Writer, e: GroupStatsEntry, _v: OfVersion, f: string) {
    w.u16(40 + 16 * e.buckets.length, `${f}.length`);
    w.zeros(2);
    w.u32(e.groupId, `${f}.groupId`);
    w.u32(e.refCount, `${f}.refCount`);
    w.zeros(4);
    w.u64(e.packetCount, `${f}.packetCount`);
    w.u64(e.byteCount, `${f}.byteCount`);
    w.u32(e.durationSec, `${f}.durationSec`);
    w.u32(e.durationNsec, `${f}.durationNsec`);
    for (let i = 0; i < e.buckets.length; i++) {
      w.u64(e.buckets[i].packetCount, `${f}.buckets[${i}].packetCount`);
      w.u64(e.buckets[i].byteCount, `${f}.buckets[${i}].byteCount`);
    }
  },
  readAll: (r: Reader): GroupStatsEntry[] =>
    readLengthPrefixedList(r, r.end, 40, 'group stats', (s) => {
      s.skip(4);
      const groupId = s.u32();
      const refCount = s.u32();
      s.skip(4);
      const packetCount = s.u64();
      const byteCount = s.u64();
      const durationSec = s.u32();
      const durationNsec = s.u32();
      const buckets = readFixedList(s, s.end, 16, 'bucket counter', () => ({
        packetCount: s.u64(),
        byteCount: s.u64(),
      }));
      return { groupId, refCount, packetCount, byteCount, durationSec, durationNsec, buckets };
    }),
};

const groupDescEntry = {
  size: (e: GroupDescEntry, _v: OfVersion, f: string) => 8 + bucketsSize(e.buckets, `${f}.buckets`),
  write(w: Writer, e: GroupDescEntry, _v: OfVersion, f: string) {
    const start = w.off;
    w.u16(0, `${f}.length`);
    w.u8(e.groupType, `${f}.groupType`);
    w.zeros(1);
    w.u32(e.groupId, `${f}.groupId`);
    writeBuckets(w, e.buckets, `${f}.buckets`);
    w.buf.writeUInt16BE(w.off - start, start);
  },
  readAll: (r: Reader): GroupDescEntry[] =>
    readLengthPrefixedList(r, r.end, 8, 'group desc', (s) => {
      s.skip(2);
      const groupType = s.u8();
      s.skip(1);
      const groupId = s.u32();
      return { groupType, groupId, buckets: readBuckets(s, s.end) };
    }),
};

const meterStatsEntry = {
  size: (e: MeterStatsEntry, _v: OfVersion, f: string) => 40 + counterPairs(e.bands, `${f}.bands`),
  write(w: Writer, e: MeterStatsEntry, _v: OfVersion, f: string) {
    w.u32(e.meterId, `${f}.meterId`);
    w.u16(40 + 16 * e.bands.length, `${f}.len`);
    w.zeros(6);
    w.u32(e.flowCount, `${f}.flowCount`);
    w.u64(e.packetInCount, `${f}.packetInCount`);
    w.u64(e.byteInCount, `${f}.byteInCount`);
    w.u32(e.durationSec, `${f}.durationSec`);
    w.u32(e.durationNsec, `${f}.durationNsec`);
    for (let i = 0; i < e.bands.length; i++) {
      w.u64(e.bands[i].packetBandCount, `${f}.bands[${i}].packetBandCount`);
      w.u64(e.bands[i].byteBandCount, `${f}.bands[${i}].byteBandCount`);
    }
  },
  readAll(r: Reader): MeterStatsEntry[] {
    const out: MeterStatsEntry[] = [];
    // ofp_meter_stats keeps its length at offset 4, after meter_id.
    while (r.off < r.end) {
      if (r.end - r.off < 40) throw badLength('meter stats entry runs past the message');
      const len = r.buf.readUInt16BE(r.off + 4);
      if (len < 40 || r.off + len > r.end) throw badLength(`meter stats entry has bad length ${len}`);
      const s = new Reader(r.buf, r.off, r.off + len);
      const meterId = s.u32();
      s.skip(8);
      const flowCount = s.u32();
      const packetInCount = s.u64();
      const byteInCount = s.u64();
      const durationSec = s.u32();
      const durationNsec = s.u32();
      const bands = readFixedList(s, s.end, 16, 'band counter', () => ({
        packetBandCount: s.u64(),
        byteBandCount: s.u64(),
      }));
      out.push({ meterId, flowCount, packetInCount, byteInCount, durationSec, durationNsec, bands });
      r.off += len;
    }
    return out;
  },
};

const meterConfigEntry = {
  size: (e: MeterConfigEntry, _v: OfVersion, f: string) => 8 + meterBandsSize(e.bands, `${f}.bands`),
  write(w: Writer, e: MeterConfigEntry, _v: OfVersion, f: string) {
    w.u16(8 + meterBandsSize(e.bands, `${f}.bands`), `${f}.length`);
    w.u16(e.flags, `${f}.flags`);
    w.u32(e.meterId, `${f}.meterId`);
    writeMeterBands(w, e.bands, `${f}.bands`);
  },
  readAll: (r: Reader): MeterConfigEntry[] =>
    readLengthPrefixedList(r, r.end, 8, 'meter config', (s) => {
      s.skip(2);
      const flags = s.u16();
      const meterId = s.u32();
      return { flags, meterId, bands: readMeterBands(s, s.end) };
    }),
};

// ---------------------------------------------------------------------------------------------------------
// Registries and the two message codecs

class BodyRegistry<B extends { kind: string }> {
  private readonly byKind = new Map<string, BodyCodec<B>>();
  private readonly byWire = new Map<OfVersion, Map<number, [string, BodyCodec<B>]>>([
    [OFP_VERSION_1_0, new Map()],
    [OFP_VERSION_1_3, new Map()],
  ]);
  constructor(codecs: readonly BodyCodec<any>[]) {
    for (const c of codecs) {
      for (const kind of c.kinds) {
        if (this.byKind.has(kind)) throw new Error(`duplicate stats body codec for ${kind}`);
        this.byKind.set(kind, c);
        const wire = STATS_TYPE[kind as NamedKind];
        for (const [v, n] of Object.entries(wire)) {
          const table = this.byWire.get(Number(v) as OfVersion)!;
          if (table.has(n)) throw new Error(`duplicate stats body codec for type ${n} in version ${v}`);
          table.set(n, [kind, c]);
        }
      }
    }
  }
  forKind(kind: string, v: OfVersion): [number, BodyCodec<B>] {
    const c = this.byKind.get(kind);
    if (!c) throw badField('body.kind', `unknown stats kind ${String(kind)}`);
    const n = STATS_TYPE[kind as NamedKind][v as 1 & 4];
    if (n === undefined)
      throw unsupported('body.kind', `${kind} stats are not in OpenFlow ${v === 1 ? '1.0' : '1.3'}`);
    return [n, c];
  }
  /** The kind and codec of a wire type; undefined for types the model has no shape for. */
  forWire(v: OfVersion, n: number): [string, BodyCodec<B>] | undefined {
    return this.byWire.get(v)!.get(n);
  }
}

/** Validates a raw body: a 16-bit type that no named kind covers (else decoding would name it). */
function rawSize(b: RawStats, v: OfVersion, bodies: BodyRegistry<{ kind: string }>): number {
  const t = b.statsType;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 0xffff)
    throw badField('body.statsType', 'must be an integer 0..0xffff');
  const named = bodies.forWire(v, t);
  if (named) throw badField('body.statsType', `type ${t} is kind '${named[0]}': use that kind`);
  if (!Buffer.isBuffer(b.data)) throw badField('body.data', 'must be a Buffer');
  return b.data.length;
}

export const STATS_REQUEST_BODIES = new BodyRegistry<StatsRequestBody>([
  empty('desc'),
  flowRequest,
  portRequest,
  empty('port_desc'),
  empty('table'),
  queueRequest,
  idRequest('group', 'groupId'),
  empty('group_desc'),
  idRequest('meter', 'meterId'),
  idRequest('meter_config', 'meterId'),
  experimenterBody,
]);

export const STATS_REPLY_BODIES = new BodyRegistry<StatsReplyBody>([
  descReply,
  listReply('flow', 'flows', flowEntry),
  aggregateReply,
  listReply('port', 'ports', portStatsEntry),
  listReply('port_desc', 'ports', portDescEntry),
  listReply('table', 'tables', tableStatsEntry),
  listReply('queue', 'queues', queueStatsEntry),
  listReply('group', 'groups', groupStatsEntry),
  listReply('group_desc', 'groups', groupDescEntry),
  listReply('meter', 'meters', meterStatsEntry),
  listReply('meter_config', 'meters', meterConfigEntry),
  experimenterBody,
]);

/** Stats header after ofp_header: type, flags (+4 bytes pad in OF1.3). */
const statsHeaderLen = (v: OfVersion) => (v === OFP_VERSION_1_0 ? 4 : 8);

function statsCodec<K extends 'stats_request' | 'stats_reply'>(
  type: K,
  wire: Record<OfVersion, number>,
  bodies: BodyRegistry<any>,
) {
  return defineCodec<K>({
    type,
    wire,
    size(m: { body: { kind: string } }, v) {
      if (m.body === null || typeof m.body !== 'object') throw badField('body', 'must be an object');
      if (m.body.kind === 'raw') return statsHeaderLen(v) + rawSize(m.body as RawStats, v, bodies);
      const [, c] = bodies.forKind(m.body.kind, v);
      return statsHeaderLen(v) + c.size(m.body, v);
    },
    write(w, m: { body: { kind: string }; flags: number }, v) {
      const raw = m.body.kind === 'raw' ? (m.body as RawStats) : undefined;
      const [n, c] = raw ? [raw.statsType, undefined] : bodies.forKind(m.body.kind, v);
      w.u16(n, 'body.kind');
      w.u16(m.flags, 'flags');
      if (v !== OFP_VERSION_1_0) w.zeros(4);
      if (raw) w.bytes(raw.data);
      else c!.write(w, m.body, v);
    },
    read(r, version, xid) {
      r.need(statsHeaderLen(version), type);
      const n = r.u16();
      const flags = r.u16();
      if (version !== OFP_VERSION_1_0) r.skip(4);
      const hit = bodies.forWire(version, n);
      const body = hit ? hit[1].read(r, version, hit[0]) : { kind: 'raw', statsType: n, data: r.rest() };
      return { type, version, xid, flags, body } as never;
    },
  });
}

export const statsRequestCodec = statsCodec('stats_request', { 1: 16, 4: 18 }, STATS_REQUEST_BODIES);
export const statsReplyCodec = statsCodec('stats_reply', { 1: 17, 4: 19 }, STATS_REPLY_BODIES);
