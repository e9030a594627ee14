/** Shared fixtures for the OpenFlow codec tests: one normal-form message of every type for a version. */
import assert from 'node:assert/strict';
import type {
  FlowMod,
  FlowStatsEntry,
  OfMessage,
  OfVersion,
  PortDesc,
  StatsReplyBody,
  StatsRequestBody,
} from '../../src/openflow/index.js';
import { OFPG_ANY, OFPP, OFP_NO_BUFFER, OFP_VERSION_1_0, OFP_VERSION_1_3 } from '../../src/openflow/index.js';

export const VERSIONS: readonly OfVersion[] = [OFP_VERSION_1_0, OFP_VERSION_1_3];

export function port(v: OfVersion, portNo = 1): PortDesc {
  return {
    portNo,
    hwAddr: '0a:1b:2c:3d:4e:5f',
    name: portNo === OFPP.LOCAL ? 's1' : `s1-eth${portNo}`,
    config: 0,
    state: 4,
    curr: 0x840,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: v === OFP_VERSION_1_0 ? 0 : 10_000_000,
    maxSpeed: 0,
  };
}

/** A FlowMod in normal form with every field at its usual value. */
export function flowMod(v: OfVersion, patch: Partial<FlowMod> = {}): FlowMod {
  return {
    type: 'flow_mod',
    version: v,
    xid: 0,
    cookie: 0n,
    cookieMask: 0n,
    tableId: 0,
    command: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    priority: 0,
    bufferId: OFP_NO_BUFFER,
    outPort: OFPP.ANY,
    outGroup: OFPG_ANY,
    flags: 0,
    match: {},
    instructions: [],
    ...patch,
  };
}

/** A flow stats entry of a permanent, never-hit flow. */
export function flowStats(patch: Partial<FlowStatsEntry> = {}): FlowStatsEntry {
  return {
    tableId: 0,
    durationSec: 0,
    durationNsec: 0,
    priority: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    cookie: 0n,
    packetCount: 0n,
    byteCount: 0n,
    match: {},
    instructions: [],
    ...patch,
  };
}

export function statsRequests(v: OfVersion): StatsRequestBody[] {
  const both: StatsRequestBody[] = [
    { kind: 'desc' },
    {
      kind: 'flow',
      tableId: 0xff,
      outPort: OFPP.ANY,
      outGroup: OFPG_ANY,
      cookie: v === OFP_VERSION_1_0 ? 0n : 0x5000000000000n,
      cookieMask: v === OFP_VERSION_1_0 ? 0n : 0xffff000000000000n,
      match: { eth_type: 0x0800 },
    },
    { kind: 'aggregate', tableId: 0, outPort: 2, outGroup: OFPG_ANY, cookie: 0n, cookieMask: 0n, match: {} },
    { kind: 'port', portNo: OFPP.ANY },
    { kind: 'table' },
    { kind: 'queue', portNo: OFPP.ALL, queueId: 0xffffffff },
    // NXST_FLOW (subtype 0) for all flows, as ovs-ofctl dump-flows sends it: 1.0 has 4 pad bytes first.
    {
      kind: 'experimenter',
      experimenter: 0x2320,
      expType: 0,
      data: Buffer.from(`${v === OFP_VERSION_1_0 ? '00000000' : ''}ffff0000ff000000`, 'hex'),
    },
  ];
  if (v === OFP_VERSION_1_0) return both;
  return [
    ...both,
    { kind: 'port_desc' },
    { kind: 'group', groupId: 7 },
    { kind: 'group_desc' },
    { kind: 'meter', meterId: 0xffffffff },
    { kind: 'meter_config', meterId: 3 },
    { kind: 'raw', statsType: 12, data: Buffer.alloc(0) }, // table features, as ovs-ofctl asks
  ];
}

export function statsReplies(v: OfVersion): StatsReplyBody[] {
  const is10 = v === OFP_VERSION_1_0;
  const both: StatsReplyBody[] = [
    {
      kind: 'desc',
      desc: {
        mfrDesc: 'Nicira, Inc.',
        hwDesc: 'Open vSwitch',
        swDesc: '3.1.0',
        serialNum: 'None',
        dpDesc: 's1',
      },
    },
    {
      kind: 'flow',
      flows: [
        {
          tableId: 0,
          durationSec: 1,
          durationNsec: 500_000_000,
          priority: 100,
          idleTimeout: 5,
          hardTimeout: 0,
          flags: is10 ? 0 : 1,
          cookie: 0x1000000000000n,
          packetCount: 3n,
          byteCount: 294n,
          match: { in_port: 1, eth_type: 0x0800, ipv4_src: '10.0.0.1' },
          instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
        },
        flowStats({ durationSec: 20 }),
        // OVS reports a tcp_flags match as ONF's experimenter OXM (1.3 only: 1.0 has no OXM).
        ...(is10
          ? []
          : [
              flowStats({
                match: {
                  eth_type: 0x0800,
                  ip_proto: 6,
                  opaque: [
                    {
                      oxmClass: 0xffff,
                      field: 42,
                      experimenter: 0x4f4e4600,
                      value: Buffer.from('0002', 'hex'),
                      mask: Buffer.from('0fff', 'hex'),
                    },
                  ],
                },
              }),
            ]),
      ],
    },
    { kind: 'aggregate', packetCount: 10n, byteCount: 1000n, flowCount: 2 },
    // NXST_AGGREGATE reply (subtype 1): packets, bytes, flows, pad.
    {
      kind: 'experimenter',
      experimenter: 0x2320,
      expType: 1,
      data: Buffer.from(`${is10 ? '00000000' : ''}000000000000000a00000000000003e80000000200000000`, 'hex'),
    },
    {
      kind: 'port',
      ports: [
        {
          portNo: 1,
          rxPackets: 1n,
          txPackets: 2n,
          rxBytes: 3n,
          txBytes: 4n,
          rxDropped: 5n,
          txDropped: 6n,
          rxErrors: 7n,
          txErrors: 8n,
          rxFrameErr: 9n,
          rxOverErr: 10n,
          rxCrcErr: 11n,
          collisions: 12n,
          durationSec: is10 ? 0 : 13,
          durationNsec: is10 ? 0 : 14,
        },
      ],
    },
    {
      kind: 'table',
      tables: [
        {
          tableId: 0,
          name: is10 ? 'classifier' : '',
          wildcards: is10 ? 0x3fffff : 0,
          maxEntries: is10 ? 1000000 : 0,
          activeCount: 2,
          lookupCount: 100n,
          matchedCount: 90n,
        },
      ],
    },
    {
      kind: 'queue',
      queues: [
        {
          portNo: 1,
          queueId: 0,
          txBytes: 1n,
          txPackets: 2n,
          txErrors: 0n,
          durationSec: is10 ? 0 : 5,
          durationNsec: 0,
        },
      ],
    },
  ];
  if (is10) return both;
  return [
    ...both,
    { kind: 'port_desc', ports: [port(v, 1), port(v, OFPP.LOCAL)] },
    {
      kind: 'group',
      groups: [
        {
          groupId: 1,
          refCount: 2,
          packetCount: 3n,
          byteCount: 4n,
          durationSec: 5,
          durationNsec: 6,
          buckets: [{ packetCount: 1n, byteCount: 2n }],
        },
      ],
    },
    {
      kind: 'group_desc',
      groups: [
        {
          groupType: 1,
          groupId: 1,
          buckets: [
            {
              weight: 1,
              watchPort: OFPP.ANY,
              watchGroup: OFPG_ANY,
              actions: [{ type: 'output', port: 1, maxLen: 0 }],
            },
          ],
        },
      ],
    },
    {
      kind: 'meter',
      meters: [
        {
          meterId: 1,
          flowCount: 1,
          packetInCount: 2n,
          byteInCount: 3n,
          durationSec: 4,
          durationNsec: 5,
          bands: [{ packetBandCount: 6n, byteBandCount: 7n }],
        },
      ],
    },
    {
      kind: 'meter_config',
      meters: [{ flags: 1 | 4, meterId: 1, bands: [{ type: 'drop', rate: 1000, burstSize: 100 }] }],
    },
  ];
}

/** One message of every type the version carries, in normal form. */
export function sampleMessages(v: OfVersion): OfMessage[] {
  const is10 = v === OFP_VERSION_1_0;
  let xid = 0x100;
  const h = () => ({ version: v, xid: xid++ });
  const msgs: OfMessage[] = [
    { ...h(), type: 'hello', versions: is10 ? [] : [1, 4] },
    { ...h(), type: 'error', errType: 1, code: 6, data: Buffer.from('0104000800000001', 'hex') },
    { ...h(), type: 'echo_request', data: Buffer.from('ping') },
    { ...h(), type: 'echo_reply', data: Buffer.alloc(0) },
    {
      ...h(),
      type: 'experimenter',
      experimenter: 0x2320,
      expType: is10 ? 0 : 7,
      data: Buffer.from('00000010', 'hex'),
    },
    { ...h(), type: 'features_request' },
    {
      ...h(),
      type: 'features_reply',
      datapathId: 0x0000000000000001n,
      nBuffers: 256,
      nTables: 254,
      auxiliaryId: 0,
      capabilities: 0xc7,
      actions: is10 ? 0xfff : 0,
      ports: is10 ? [port(v, 1), port(v, OFPP.LOCAL)] : [],
    },
    { ...h(), type: 'get_config_request' },
    { ...h(), type: 'get_config_reply', flags: 0, missSendLen: 128 },
    { ...h(), type: 'set_config', flags: 0, missSendLen: 0xffff },
    {
      ...h(),
      type: 'packet_in',
      bufferId: OFP_NO_BUFFER,
      totalLen: 60,
      reason: 0,
      tableId: 0,
      cookie: is10 ? 0n : 0xffffffffffffffffn,
      match: { in_port: 3 },
      data: Buffer.alloc(60, 0xab),
    },
    {
      ...h(),
      type: 'packet_out',
      bufferId: OFP_NO_BUFFER,
      inPort: OFPP.CONTROLLER,
      actions: [{ type: 'output', port: OFPP.FLOOD, maxLen: 0 }],
      data: Buffer.alloc(42, 1),
    },
    flowMod(v, {
      ...h(),
      cookie: 0x2000000000001n,
      idleTimeout: 5,
      priority: 100,
      flags: 1,
      match: {
        in_port: 1,
        eth_type: 0x0800,
        ip_proto: 6,
        ipv4_src: '10.0.0.0',
        ipv4_src_mask: '255.255.255.0',
        ipv4_dst: '10.0.0.2',
        tcp_dst: 80,
      },
      instructions: [
        {
          type: 'apply_actions',
          actions: [
            { type: 'set_field', field: 'eth_dst', value: '00:00:00:00:00:02' },
            { type: 'set_field', field: 'ipv4_dst', value: '10.0.0.3' },
            { type: 'set_field', field: 'tcp_dst', value: 8080 },
            { type: 'set_field', field: 'vlan_vid', value: 0x1000 | 100 },
            { type: 'pop_vlan' },
            { type: 'output', port: 2, maxLen: 0 },
            { type: 'output', port: OFPP.CONTROLLER, maxLen: 0xffff },
          ],
        },
      ],
    }),
    {
      ...h(),
      type: 'flow_removed',
      cookie: 5n,
      priority: 10,
      reason: 0,
      tableId: is10 ? 0 : 1,
      durationSec: 10,
      durationNsec: 20,
      idleTimeout: 5,
      hardTimeout: is10 ? 0 : 30,
      packetCount: 100n,
      byteCount: 10000n,
      match: { eth_type: 0x0806, arp_op: 1, arp_spa: '10.0.0.1' },
    },
    { ...h(), type: 'port_status', reason: 2, desc: port(v, 2) },
    {
      ...h(),
      type: 'port_mod',
      portNo: 2,
      hwAddr: '0a:1b:2c:3d:4e:5f',
      config: 1,
      mask: 1,
      advertise: 0,
    },
    { ...h(), type: 'barrier_request' },
    { ...h(), type: 'barrier_reply' },
    ...statsRequests(v).map((body): OfMessage => ({ ...h(), type: 'stats_request', flags: 0, body })),
    ...statsReplies(v).map((body, i): OfMessage => ({ ...h(), type: 'stats_reply', flags: i % 2, body })),
  ];
  if (is10) {
    msgs.push(
      flowMod(v, {
        ...h(),
        command: 3,
        match: { vlan_vid: 0, vlan_pcp: 3, ip_dscp: 46, eth_src: '00:00:00:00:00:01' },
        instructions: [{ type: 'apply_actions', actions: [{ type: 'enqueue', port: 1, queueId: 2 }] }],
      }),
    );
    return msgs;
  }
  return [
    ...msgs,
    { ...h(), type: 'role_request', role: 2, generationId: 1n },
    { ...h(), type: 'role_reply', role: 2, generationId: 1n },
    {
      ...h(),
      type: 'group_mod',
      command: 0,
      groupType: 1,
      groupId: 5,
      buckets: [
        {
          weight: 50,
          watchPort: OFPP.ANY,
          watchGroup: OFPG_ANY,
          actions: [{ type: 'output', port: 1, maxLen: 0 }],
        },
        {
          weight: 50,
          watchPort: OFPP.ANY,
          watchGroup: OFPG_ANY,
          actions: [{ type: 'output', port: 2, maxLen: 0 }],
        },
      ],
    },
    {
      ...h(),
      type: 'meter_mod',
      command: 0,
      flags: 1,
      meterId: 1,
      bands: [
        { type: 'drop', rate: 1000, burstSize: 0 },
        { type: 'dscp_remark', rate: 2000, burstSize: 10, precLevel: 1 },
        { type: 'experimenter', rate: 3000, burstSize: 0, experimenter: 0x2320 },
      ],
    },
    flowMod(v, {
      ...h(),
      tableId: 1,
      match: {
        eth_type: 0x86dd,
        ipv6_src: 'fe80::1',
        ipv6_src_mask: 'ffff:ffff:ffff:ffff::',
        ip_proto: 58,
        icmpv6_type: 135,
        ipv6_nd_target: '2001:db8::1',
        vlan_vid: 0x1000,
        vlan_vid_mask: 0x1000,
        metadata: 5n,
        metadata_mask: 0xffn,
        tunnel_id: 99n,
        pbb_isid: 0x123456,
      },
      instructions: [
        { type: 'meter', meterId: 1 },
        {
          type: 'apply_actions',
          actions: [
            { type: 'push_vlan', ethertype: 0x8100 },
            { type: 'group', groupId: 5 },
          ],
        },
        { type: 'clear_actions' },
        { type: 'write_actions', actions: [{ type: 'set_queue', queueId: 1 }, { type: 'dec_nw_ttl' }] },
        { type: 'write_metadata', metadata: 1n, mask: 0xffn },
        { type: 'goto_table', tableId: 2 },
      ],
    }),
  ];
}

/** The error `fn` throws, asserting its class. */
export function thrown<E>(fn: () => unknown, cls: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    return e;
  }
  assert.fail('did not throw');
}
