/**
 * fast-check generators of OpenFlow messages in normal form (what the decoder produces), per version.
 * The OXM table drives the OF1.3 match and set_field generators, as it drives the codec.
 */
import fc from 'fast-check';
import type {
  Action,
  ExperimenterStats,
  Bucket,
  Instruction,
  Match,
  MeterBand,
  OfMessage,
  OfVersion,
  OpaqueOxm,
  PortDesc,
  RawStats,
  StatsReplyBody,
  StatsRequestBody,
} from '../../src/openflow/index.js';
import { OFPP, OFP_VERSION_1_0 } from '../../src/openflow/index.js';
import { OXM_FIELDS, type OxmField } from '../../src/openflow/oxm.js';
import { NX_VENDOR_ID, STATS_TYPE } from '../../src/openflow/stats.js';
import { formatIpv4, formatIpv6, formatMacAt } from '../../src/openflow/wire.js';

/** fc.record with ordinary prototypes, so generated messages deep-equal decoded ones. */
const record = (<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record(model, { noNullPrototype: true })) as typeof fc.record;

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMacAt(Buffer.from(b), 0));
const ipv4 = u32.map(formatIpv4);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(Buffer.from(b)));
const data = fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b));
/** Experimenter payloads keep the action/instruction a multiple of 8 bytes. */
const data8 = fc
  .integer({ min: 0, max: 3 })
  .chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n }).map((b) => Buffer.from(b)));
const name = (max: number) => fc.stringMatching(new RegExp(`^[a-zA-Z0-9 .,_-]{0,${max}}$`));
const reservedPort = fc.constantFrom(...Object.values(OFPP).filter((p) => p >= OFPP.IN_PORT));
const port10 = fc.oneof(fc.integer({ min: 0, max: 0xff00 }), reservedPort);
const port13 = u32;
const portFor = (v: OfVersion) => (v === OFP_VERSION_1_0 ? port10 : port13);
const prefixMask = fc
  .integer({ min: 1, max: 31 })
  .map((bits) => formatIpv4((0xffffffff << (32 - bits)) >>> 0));

const byCodec: Record<OxmField['codec'], fc.Arbitrary<number | bigint | string>> = {
  u8,
  u16,
  u24,
  u32,
  u64,
  mac,
  ipv4,
  ipv6,
};

/** Drops undefined keys so generated objects look like decoded ones. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Bytes of a given length. */
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b));

/**
 * OXM TLVs of classes the model keeps as bytes: Nicira NXM (0x0000/0x0001), experimenter (0xffff, e.g. ONF's
 * tcp_flags) and any other non-basic class; masked or not; at most one per (class, field, experimenter).
 */
export const opaqueOxm: fc.Arbitrary<OpaqueOxm> = fc
  .record({
    oxmClass: fc.oneof(
      fc.constantFrom(0x0000, 0x0001, 0xffff),
      u16.filter((c) => c !== 0x8000),
    ),
    field: fc.integer({ min: 0, max: 127 }),
    experimenter: fc.oneof(fc.constant(0x4f4e4600), u32),
    len: fc.integer({ min: 0, max: 16 }),
    masked: fc.boolean(),
  })
  .chain(({ oxmClass, field, experimenter, len, masked }) =>
    fc.tuple(bytesOf(len), masked ? bytesOf(len) : fc.constant(undefined)).map(([value, mask]) => {
      const o: OpaqueOxm = { oxmClass, field, value };
      if (oxmClass === 0xffff) o.experimenter = experimenter;
      if (mask) o.mask = mask;
      return o;
    }),
  );

const opaqueList = fc.uniqueArray(opaqueOxm, {
  minLength: 1,
  maxLength: 3,
  selector: (o) => `${o.oxmClass}:${o.field}:${o.experimenter}`,
});

export const match13: fc.Arbitrary<Match> = fc
  .tuple(
    ...OXM_FIELDS.map((f) =>
      fc.option(
        fc.tuple(
          byCodec[f.codec],
          f.maskable ? fc.option(byCodec[f.codec], { nil: undefined }) : fc.constant(undefined),
        ),
        {
          nil: undefined,
          freq: 3,
        },
      ),
    ),
  )
  .chain((vals) =>
    fc.option(opaqueList, { nil: undefined, freq: 3 }).map((opaque) => {
      const m: Record<string, unknown> = {};
      vals.forEach((vm, i) => {
        if (!vm) return;
        m[OXM_FIELDS[i].name] = vm[0];
        if (vm[1] !== undefined) m[`${OXM_FIELDS[i].name}_mask`] = vm[1];
      });
      if (opaque) m.opaque = opaque;
      return m as Match;
    }),
  );

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

function transport(proto: number | undefined): [string, string] {
  if (proto === 1) return ['icmpv4_type', 'icmpv4_code'];
  if (proto === 17) return ['udp_src', 'udp_dst'];
  if (proto === 132) return ['sctp_src', 'sctp_dst'];
  return ['tcp_src', 'tcp_dst'];
}

/** OF1.0 matches whose field names follow from dl_type and nw_proto, as the decoder names them. */
export const match10: fc.Arbitrary<Match> = fc
  .record({
    in_port: opt(port10),
    eth_src: opt(mac),
    eth_dst: opt(mac),
    vlan_vid: opt(fc.oneof(fc.constant(0), fc.integer({ min: 0x1000, max: 0x1fff }))),
    vlan_pcp: opt(u8),
    l3: fc.constantFrom('none', 'ip', 'arp', 'other'),
    otherType: u16.filter((t) => t !== 0x0806),
    ip_dscp: opt(fc.integer({ min: 0, max: 63 })),
    proto: opt(fc.oneof(u8, fc.constantFrom(1, 6, 17, 132))),
    src: opt(fc.tuple(ipv4, opt(prefixMask))),
    dst: opt(fc.tuple(ipv4, opt(prefixMask))),
    tpSrc: opt(u16),
    tpDst: opt(u16),
  })
  .map((g) => {
    const isArp = g.l3 === 'arp';
    const m: Record<string, unknown> = {
      in_port: g.in_port,
      eth_src: g.eth_src,
      eth_dst: g.eth_dst,
      vlan_vid: g.vlan_vid,
      vlan_pcp: g.vlan_pcp,
      eth_type: g.l3 === 'ip' ? 0x0800 : isArp ? 0x0806 : g.l3 === 'other' ? g.otherType : undefined,
      ip_dscp: g.ip_dscp,
      [isArp ? 'arp_op' : 'ip_proto']: g.proto,
    };
    const [s, d] = isArp ? ['arp_spa', 'arp_tpa'] : ['ipv4_src', 'ipv4_dst'];
    if (g.src) [m[s], m[`${s}_mask`]] = g.src;
    if (g.dst) [m[d], m[`${d}_mask`]] = g.dst;
    if (!isArp) {
      const [ts, td] = transport(g.proto);
      const clip = ts.startsWith('icmp')
        ? (x?: number) => (x === undefined ? x : x & 0xff)
        : (x?: number) => x;
      m[ts] = clip(g.tpSrc);
      m[td] = clip(g.tpDst);
    }
    return compact(m) as Match;
  });

const experimenterAction = record({
  type: fc.constant('experimenter' as const),
  experimenter: u32,
  data: data8,
});

function actions10(proto: number | undefined): fc.Arbitrary<Action[]> {
  const [ts, td] = transport(proto === 1 ? undefined : proto); // SET_TP_* under ICMP still names tcp
  const setField = fc.oneof(
    record({ field: fc.constantFrom('eth_src' as const, 'eth_dst' as const), value: mac }),
    record({ field: fc.constant('vlan_vid' as const), value: fc.integer({ min: 0x1000, max: 0x1fff }) }),
    record({ field: fc.constant('vlan_pcp' as const), value: u8 }),
    record({ field: fc.constantFrom('ipv4_src' as const, 'ipv4_dst' as const), value: ipv4 }),
    record({ field: fc.constant('ip_dscp' as const), value: fc.integer({ min: 0, max: 63 }) }),
    record({ field: fc.constantFrom(ts, td), value: u16 }),
  );
  const action: fc.Arbitrary<Action> = fc.oneof(
    record({ type: fc.constant('output' as const), port: port10, maxLen: u16 }),
    record({ type: fc.constant('enqueue' as const), port: port10, queueId: u32 }),
    fc.constant({ type: 'pop_vlan' as const }),
    setField.map((s) => ({ type: 'set_field', ...s }) as Action),
    experimenterAction,
  );
  return fc.array(action, { maxLength: 5 });
}

const setField13: fc.Arbitrary<Action> = fc
  .constantFrom(...OXM_FIELDS)
  .chain((f) => byCodec[f.codec].map((value) => ({ type: 'set_field', field: f.name, value }) as Action));

/** What OF1.3 decoding keeps raw: set_field of a non-basic OXM class (here a 4-byte Nicira register). */
const rawSetField: fc.Arbitrary<Action> = fc
  .tuple(fc.constantFrom(0x0000, 0x0001), fc.integer({ min: 0, max: 127 }), u32)
  .map(([cls, field, value]) => {
    const data = Buffer.alloc(16);
    data.writeUInt16BE(25, 0);
    data.writeUInt16BE(16, 2);
    data.writeUInt32BE(((cls << 16) | (field << 9) | 4) >>> 0, 4);
    data.writeUInt32BE(value, 8);
    return { type: 'raw', data };
  });

const action13: fc.Arbitrary<Action> = fc.oneof(
  record({ type: fc.constant('output' as const), port: port13, maxLen: u16 }),
  record({ type: fc.constant('set_queue' as const), queueId: u32 }),
  record({ type: fc.constant('group' as const), groupId: u32 }),
  setField13,
  record({
    type: fc.constantFrom(
      'push_vlan' as const,
      'push_mpls' as const,
      'pop_mpls' as const,
      'push_pbb' as const,
    ),
    ethertype: u16,
  }),
  record({ type: fc.constantFrom('set_mpls_ttl' as const, 'set_nw_ttl' as const), ttl: u8 }),
  fc
    .constantFrom('pop_vlan', 'dec_mpls_ttl', 'dec_nw_ttl', 'copy_ttl_out', 'copy_ttl_in', 'pop_pbb')
    .map((type) => ({ type }) as Action),
  experimenterAction,
  rawSetField,
);
const actions13 = fc.array(action13, { maxLength: 5 });

export const actionsFor = (v: OfVersion, proto?: number) =>
  v === OFP_VERSION_1_0 ? actions10(proto) : actions13;

const instruction13: fc.Arbitrary<Instruction> = fc.oneof(
  record({ type: fc.constant('goto_table' as const), tableId: u8 }),
  record({ type: fc.constant('write_metadata' as const), metadata: u64, mask: u64 }),
  record({
    type: fc.constantFrom('write_actions' as const, 'apply_actions' as const),
    actions: actions13,
  }),
  fc.constant({ type: 'clear_actions' as const }),
  record({ type: fc.constant('meter' as const), meterId: u32 }),
  record({ type: fc.constant('experimenter' as const), experimenter: u32, data: data8 }),
);

/** A match and instructions that belong together (OF1.0 action names depend on the match). */
export function matchAndInstructions(
  v: OfVersion,
): fc.Arbitrary<{ match: Match; instructions: Instruction[] }> {
  if (v !== OFP_VERSION_1_0)
    return record({ match: match13, instructions: fc.array(instruction13, { maxLength: 4 }) });
  return match10.chain((match) =>
    actions10(match.ip_proto).map((actions) => ({
      match,
      instructions: actions.length ? [{ type: 'apply_actions' as const, actions }] : [],
    })),
  );
}

export function portDesc(v: OfVersion): fc.Arbitrary<PortDesc> {
  const is10 = v === OFP_VERSION_1_0;
  return record({
    portNo: portFor(v),
    hwAddr: mac,
    name: name(15),
    config: u32,
    state: u32,
    curr: u32,
    advertised: u32,
    supported: u32,
    peer: u32,
    currSpeed: is10 ? fc.constant(0) : u32,
    maxSpeed: is10 ? fc.constant(0) : u32,
  });
}

const bucket: fc.Arbitrary<Bucket> = record({
  weight: u16,
  watchPort: u32,
  watchGroup: u32,
  actions: actions13,
});
const band: fc.Arbitrary<MeterBand> = fc.oneof(
  record({ type: fc.constant('drop' as const), rate: u32, burstSize: u32 }),
  record({ type: fc.constant('dscp_remark' as const), rate: u32, burstSize: u32, precLevel: u8 }),
  record({ type: fc.constant('experimenter' as const), rate: u32, burstSize: u32, experimenter: u32 }),
);

/**
 * Vendor (1.0) / experimenter (1.3) stats, request or reply. In 1.0 only Nicira's vendor id carries a
 * subtype; other vendors decode with expType 0.
 */
function experimenterStats(v: OfVersion): fc.Arbitrary<ExperimenterStats> {
  const kind = fc.constant('experimenter' as const);
  if (v !== OFP_VERSION_1_0) return record({ kind, experimenter: u32, expType: u32, data });
  return fc.oneof(
    record({ kind, experimenter: fc.constant(NX_VENDOR_ID), expType: u32, data }),
    record({ kind, experimenter: u32.filter((e) => e !== NX_VENDOR_ID), expType: fc.constant(0), data }),
  );
}

/** A stats/multipart type no named kind covers in the version, with any body bytes. */
function rawStats(v: OfVersion): fc.Arbitrary<RawStats> {
  const named = new Set(Object.values(STATS_TYPE).map((t) => (t as Partial<Record<OfVersion, number>>)[v]));
  return record({
    kind: fc.constant('raw' as const),
    statsType: u16.filter((t) => !named.has(t)),
    data,
  });
}

function statsRequestBody(v: OfVersion): fc.Arbitrary<StatsRequestBody> {
  const is10 = v === OFP_VERSION_1_0;
  const flowLike = record({
    kind: fc.constantFrom('flow' as const, 'aggregate' as const),
    tableId: u8,
    outPort: portFor(v),
    outGroup: is10 ? fc.constant(0xffffffff) : u32,
    cookie: is10 ? fc.constant(0n) : u64,
    cookieMask: is10 ? fc.constant(0n) : u64,
    match: is10 ? match10 : match13,
  });
  const both: fc.Arbitrary<StatsRequestBody>[] = [
    fc.constantFrom({ kind: 'desc' as const }, { kind: 'table' as const }),
    flowLike,
    record({ kind: fc.constant('port' as const), portNo: portFor(v) }),
    record({ kind: fc.constant('queue' as const), portNo: portFor(v), queueId: u32 }),
    experimenterStats(v),
    rawStats(v),
  ];
  if (is10) return fc.oneof(...both);
  return fc.oneof(
    ...both,
    fc.constantFrom({ kind: 'port_desc' as const }, { kind: 'group_desc' as const }),
    record({ kind: fc.constant('group' as const), groupId: u32 }),
    record({ kind: fc.constantFrom('meter' as const, 'meter_config' as const), meterId: u32 }),
  );
}

function statsReplyBody(v: OfVersion): fc.Arbitrary<StatsReplyBody> {
  const is10 = v === OFP_VERSION_1_0;
  const only13 = <T>(a: fc.Arbitrary<T>, dflt: T) => (is10 ? fc.constant(dflt) : a);
  const only10 = <T>(a: fc.Arbitrary<T>, dflt: T) => (is10 ? a : fc.constant(dflt));
  const list = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 3 });
  const flow = matchAndInstructions(v).chain(({ match, instructions }) =>
    record({
      tableId: u8,
      durationSec: u32,
      durationNsec: u32,
      priority: u16,
      idleTimeout: u16,
      hardTimeout: u16,
      flags: only13(u16, 0),
      cookie: u64,
      packetCount: u64,
      byteCount: u64,
      match: fc.constant(match),
      instructions: fc.constant(instructions),
    }),
  );
  const counters = record({
    portNo: portFor(v),
    rxPackets: u64,
    txPackets: u64,
    rxBytes: u64,
    txBytes: u64,
    rxDropped: u64,
    txDropped: u64,
    rxErrors: u64,
    txErrors: u64,
    rxFrameErr: u64,
    rxOverErr: u64,
    rxCrcErr: u64,
    collisions: u64,
    durationSec: only13(u32, 0),
    durationNsec: only13(u32, 0),
  });
  const both: fc.Arbitrary<StatsReplyBody>[] = [
    record({
      kind: fc.constant('desc' as const),
      desc: record({
        mfrDesc: name(255),
        hwDesc: name(255),
        swDesc: name(255),
        serialNum: name(31),
        dpDesc: name(255),
      }),
    }),
    record({ kind: fc.constant('flow' as const), flows: list(flow) }),
    record({ kind: fc.constant('aggregate' as const), packetCount: u64, byteCount: u64, flowCount: u32 }),
    record({ kind: fc.constant('port' as const), ports: list(counters) }),
    record({
      kind: fc.constant('table' as const),
      tables: list(
        record({
          tableId: u8,
          name: only10(name(31), ''),
          wildcards: only10(u32, 0),
          maxEntries: only10(u32, 0),
          activeCount: u32,
          lookupCount: u64,
          matchedCount: u64,
        }),
      ),
    }),
    record({
      kind: fc.constant('queue' as const),
      queues: list(
        record({
          portNo: portFor(v),
          queueId: u32,
          txBytes: u64,
          txPackets: u64,
          txErrors: u64,
          durationSec: only13(u32, 0),
          durationNsec: only13(u32, 0),
        }),
      ),
    }),
    experimenterStats(v),
    rawStats(v),
  ];
  if (is10) return fc.oneof(...both);
  const pairs = <K extends string>(a: K, b: K) =>
    list(record({ [a]: u64, [b]: u64 } as Record<K, fc.Arbitrary<bigint>>));
  return fc.oneof(
    ...both,
    record({ kind: fc.constant('port_desc' as const), ports: list(portDesc(v)) }),
    record({
      kind: fc.constant('group' as const),
      groups: list(
        record({
          groupId: u32,
          refCount: u32,
          packetCount: u64,
          byteCount: u64,
          durationSec: u32,
          durationNsec: u32,
          buckets: pairs('packetCount', 'byteCount'),
        }),
      ),
    }),
    record({
      kind: fc.constant('group_desc' as const),
      groups: list(record({ groupType: u8, groupId: u32, buckets: list(bucket) })),
    }),
    record({
      kind: fc.constant('meter' as const),
      meters: list(
        record({
          meterId: u32,
          flowCount: u32,
          packetInCount: u64,
          byteInCount: u64,
          durationSec: u32,
          durationNsec: u32,
          bands: pairs('packetBandCount', 'byteBandCount'),
        }),
      ),
    }),
    record({
      kind: fc.constant('meter_config' as const),
      meters: list(record({ flags: u16, meterId: u32, bands: list(band) })),
    }),
  ) as fc.Arbitrary<StatsReplyBody>;
}

/** Any message the version carries, in normal form. */
export function message(v: OfVersion): fc.Arbitrary<OfMessage> {
  const is10 = v === OFP_VERSION_1_0;
  const head = { version: fc.constant(v), xid: u32 };
  const rec = <T extends string, R extends Record<string, fc.Arbitrary<unknown>>>(type: T, rest: R) =>
    record({ type: fc.constant(type), ...head, ...rest });
  const config = { flags: u16, missSendLen: u16 };
  const flowModFields = {
    cookie: u64,
    cookieMask: is10 ? fc.constant(0n) : u64,
    tableId: is10 ? fc.constant(0) : u8,
    command: is10 ? u16 : u8,
    idleTimeout: u16,
    hardTimeout: u16,
    priority: u16,
    bufferId: u32,
    outPort: portFor(v),
    outGroup: is10 ? fc.constant(0xffffffff) : u32,
    flags: u16,
  };
  const all: fc.Arbitrary<OfMessage>[] = [
    rec('hello', {
      versions: is10
        ? fc.constant([])
        : fc
            .uniqueArray(fc.integer({ min: 1, max: 95 }), { maxLength: 5 })
            .map((a) => a.sort((x, y) => x - y)),
    }),
    rec('error', { errType: u16, code: u16, data }),
    rec('echo_request', { data }),
    rec('echo_reply', { data }),
    rec('experimenter', { experimenter: u32, expType: is10 ? fc.constant(0) : u32, data }),
    rec('features_request', {}),
    rec('features_reply', {
      datapathId: u64,
      nBuffers: u32,
      nTables: u8,
      auxiliaryId: is10 ? fc.constant(0) : u8,
      capabilities: u32,
      actions: is10 ? u32 : fc.constant(0),
      ports: is10 ? fc.array(portDesc(v), { maxLength: 3 }) : fc.constant([]),
    }),
    rec('get_config_request', {}),
    rec('get_config_reply', config),
    rec('set_config', config),
    rec('packet_in', {
      bufferId: u32,
      totalLen: u16,
      reason: u8,
      tableId: is10 ? fc.constant(0) : u8,
      cookie: is10 ? fc.constant(0n) : u64,
      match: is10 ? port10.map((in_port) => ({ in_port })) : match13,
      data,
    }),
    rec('packet_out', { bufferId: u32, inPort: portFor(v), actions: actionsFor(v), data }),
    matchAndInstructions(v).chain(({ match, instructions }) =>
      rec('flow_mod', {
        ...flowModFields,
        match: fc.constant(match),
        instructions: fc.constant(instructions),
      }),
    ),
    rec('flow_removed', {
      cookie: u64,
      priority: u16,
      reason: u8,
      tableId: is10 ? fc.constant(0) : u8,
      durationSec: u32,
      durationNsec: u32,
      idleTimeout: u16,
      hardTimeout: is10 ? fc.constant(0) : u16,
      packetCount: u64,
      byteCount: u64,
      match: is10 ? match10 : match13,
    }),
    rec('port_status', { reason: u8, desc: portDesc(v) }),
    rec('port_mod', { portNo: portFor(v), hwAddr: mac, config: u32, mask: u32, advertise: u32 }),
    rec('barrier_request', {}),
    rec('barrier_reply', {}),
    rec('stats_request', { flags: u16, body: statsRequestBody(v) }),
    rec('stats_reply', { flags: u16, body: statsReplyBody(v) }),
  ] as fc.Arbitrary<OfMessage>[];
  if (is10) return fc.oneof(...all);
  return fc.oneof(
    ...all,
    rec('role_request', { role: u32, generationId: u64 }),
    rec('role_reply', { role: u32, generationId: u64 }),
    rec('group_mod', {
      command: u16,
      groupType: u8,
      groupId: u32,
      buckets: fc.array(bucket, { maxLength: 3 }),
    }),
    rec('meter_mod', { command: u16, flags: u16, meterId: u32, bands: fc.array(band, { maxLength: 3 }) }),
  ) as fc.Arbitrary<OfMessage>;
}
