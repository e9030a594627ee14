import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FrameReader,
  OFPP,
  OFP_NO_BUFFER,
  OFP_VERSION_1_3,
  OpenFlowDecodeError,
  OpenFlowEncodeError,
  decode,
  encode,
  emptyStatsReply,
  encodeMessage,
  type FlowMod,
  type OfMessageBody,
  type OfMessage,
  type OfVersion,
  zeroPortStats,
} from '../../src/openflow/index.js';
import { CodecRegistry } from '../../src/openflow/registry.js';
import { REGISTRY } from '../../src/openflow/codec.js';
import { helloCodec } from '../../src/openflow/messages.js';
import { VERSIONS, flowMod, flowStats, sampleMessages, statsReplies, thrown } from './openflow.helpers.js';

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

/** The four checks of one fixture: encode, decode, re-encode, and framing split at every byte. */
function checkFixture(msg: OfMessage, golden?: Buffer): void {
  const bytes = encode(msg);
  if (golden) assert.equal(bytes.toString('hex'), golden.toString('hex'), `${msg.type} golden bytes`);
  assert.equal(bytes.readUInt16BE(2), bytes.length, 'header length');
  const back = decode(bytes);
  assert.deepStrictEqual(back, msg, `${msg.type} v${msg.version} round trip`);
  assert.deepStrictEqual(encode(back), bytes, 're-encode');
  const stream = Buffer.concat([bytes, bytes]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const fr = new FrameReader();
    const frames = [...fr.push(stream.subarray(0, cut)), ...fr.push(stream.subarray(cut))];
    assert.equal(frames.length, 2, `split at ${cut}`);
    assert.deepStrictEqual(frames[0], bytes);
    assert.deepStrictEqual(frames[1], bytes);
    assert.equal(fr.buffered, 0);
  }
}

for (const v of VERSIONS) {
  for (const msg of sampleMessages(v)) {
    const label =
      msg.type === 'stats_request' || msg.type === 'stats_reply' ? `${msg.type}/${msg.body.kind}` : msg.type;
    test(`OF 0x0${v} ${label}: encode -> decode -> encode, split at every byte`, () => checkFixture(msg));
  }
}

test('every registered (version, type) has a sample message', () => {
  const sampled = new Set(VERSIONS.flatMap((v) => sampleMessages(v).map((m) => `${v}:${m.type}`)));
  for (const e of REGISTRY.entries())
    assert.ok(sampled.has(`${e.version}:${e.type}`), `${e.version}:${e.type}`);
});

test('the registry rejects a second codec for the same type or wire number', () => {
  const reg = new CodecRegistry().register(helloCodec);
  assert.throws(() => reg.register(helloCodec), /duplicate codec for hello/);
  assert.throws(
    () => reg.register({ ...helloCodec, type: 'echo_request' } as never),
    /duplicate codec for ofp_type 0/,
  );
});

// ---------------------------------------------------------------------------------------------------------
// Golden bytes, laid out field by field from the specs (OF1.0 sec. 5, OF1.3.5 sec. 7) and OVS captures.

const xid1 = { xid: 1 };

test('golden: OF1.0 hello', () =>
  checkFixture({ type: 'hello', version: 1, ...xid1, versions: [] }, hex('01000008 00000001')));

test('golden: OF1.3 hello with version bitmap {1.0, 1.3} (as OVS sends)', () => {
  checkFixture(
    { type: 'hello', version: 4, ...xid1, versions: [1, 4] },
    hex('04000010 00000001 | 0001 0008 00000012'),
  );
});

test('golden: OF1.0 flow_mod in_port=1 actions=output:2 (wildcards 0x3820fe as OVS writes them)', () => {
  checkFixture(
    flowMod(1, {
      xid: 1,
      priority: 0x8000,
      match: { in_port: 1 },
      instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
    }),
    hex(`01 0e 0050 00000001
      003820fe 0001 000000000000 000000000000 0000 00 00 0000 00 00 0000 00000000 00000000 0000 0000
      0000000000000000 0000 0000 0000 8000 ffffffff ffff 0000
      0000 0008 0002 0000`),
  );
});

test('golden: OF1.3 table-miss flow_mod (priority 0, actions=CONTROLLER:65535)', () => {
  checkFixture(
    flowMod(4, {
      xid: 1,
      instructions: [
        { type: 'apply_actions', actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: 0xffff }] },
      ],
    }),
    hex(`04 0e 0050 00000001
      0000000000000000 0000000000000000 00 00 0000 0000 0000 ffffffff ffffffff ffffffff 0000 0000
      0001 0004 00000000
      0004 0018 00000000 | 0000 0010 fffffffd ffff 000000000000`),
  );
});

const packetInBase = {
  type: 'packet_in',
  xid: 1,
  bufferId: OFP_NO_BUFFER,
  totalLen: 4,
  reason: 0,
  tableId: 0,
} as const;

test('golden: OF1.0 packet_in (18-byte header, in_port in the header)', () => {
  checkFixture(
    { ...packetInBase, version: 1, cookie: 0n, match: { in_port: 1 }, data: hex('deadbeef') },
    hex('01 0a 0016 00000001 | ffffffff 0004 0001 00 00 | deadbeef'),
  );
});

test('golden: OF1.3 packet_in with OXM in_port and the 2-byte pad before data', () => {
  checkFixture(
    { ...packetInBase, version: 4, cookie: 0n, match: { in_port: 1 }, data: hex('deadbeef') },
    hex(
      '04 0a 002e 00000001 | ffffffff 0004 00 00 0000000000000000 | 0001 000c 80000004 00000001 00000000 | 0000 | deadbeef',
    ),
  );
});

// ---------------------------------------------------------------------------------------------------------
// Struct sizes (the spec's OFP_ASSERTs)

function sizeOf(msg: OfMessage): number {
  return encode(msg).length;
}

test('struct sizes match the specs', () => {
  const [s10, s13] = VERSIONS.map((v) => new Map(sampleMessages(v).map((m) => [m.type, m])));
  const empty = (v: OfVersion, type: OfMessage['type'], patch: object) =>
    ({ ...(v === 1 ? s10 : s13).get(type)!, ...patch }) as OfMessage;
  // OF1.0: ofp_match 40 -> flow_mod 72; packet_in header 18; phy_port 48; flow_removed 88
  assert.equal(sizeOf(empty(1, 'flow_mod', { match: {}, instructions: [] })), 72);
  assert.equal(sizeOf(empty(1, 'packet_in', { data: Buffer.alloc(0) })), 18);
  assert.equal(sizeOf(empty(1, 'port_status', {})), 64);
  assert.equal(sizeOf(empty(1, 'features_reply', { ports: [] })), 32);
  assert.equal(sizeOf(empty(1, 'flow_removed', {})), 88);
  assert.equal(sizeOf(empty(1, 'packet_out', { actions: [], data: Buffer.alloc(0) })), 16);
  assert.equal(sizeOf(empty(1, 'port_mod', {})), 32);
  assert.equal(sizeOf(empty(1, 'set_config', {})), 12);
  assert.equal(sizeOf(empty(1, 'stats_request', { body: { kind: 'desc' } })), 12);
  // OF1.3: flow_mod 56 with the empty 8-byte match; packet_in 32 + 2 pad; ofp_port 64
  assert.equal(sizeOf(empty(4, 'flow_mod', { match: {}, instructions: [] })), 56);
  assert.equal(sizeOf(empty(4, 'packet_in', { match: {}, data: Buffer.alloc(0) })), 34);
  assert.equal(sizeOf(empty(4, 'port_status', {})), 80);
  assert.equal(sizeOf(empty(4, 'features_reply', {})), 32);
  assert.equal(sizeOf(empty(4, 'flow_removed', { match: {} })), 56);
  assert.equal(sizeOf(empty(4, 'packet_out', { actions: [], data: Buffer.alloc(0) })), 24);
  assert.equal(sizeOf(empty(4, 'port_mod', {})), 40);
  assert.equal(sizeOf(empty(4, 'role_request', {})), 24);
  assert.equal(sizeOf(empty(4, 'group_mod', { buckets: [] })), 16);
  assert.equal(sizeOf(empty(4, 'meter_mod', { bands: [] })), 16);
  assert.equal(sizeOf(empty(4, 'stats_request', { body: { kind: 'desc' } })), 16);
  // Bodies: ofp_desc 1056, port stats 104/112, table stats 64/24, queue stats 32/40, flow stats 88/56
  const desc = (v: OfVersion) => ({ ...empty(v, 'stats_reply', {}), body: statsReplies(v)[0] }) as OfMessage;
  assert.equal(sizeOf(desc(1)), 12 + 1056);
  assert.equal(sizeOf(desc(4)), 16 + 1056);
  const flowStatsSize = (v: OfVersion) =>
    sizeOf({
      type: 'stats_reply',
      version: v,
      xid: 0,
      flags: 0,
      body: { kind: 'flow', flows: [flowStats()] },
    });
  assert.equal(flowStatsSize(1), 12 + 88);
  assert.equal(flowStatsSize(4), 16 + 56);
});

// ---------------------------------------------------------------------------------------------------------
// What a version cannot carry

const encodeError = (msg: OfMessage) => thrown(() => encode(msg), OpenFlowEncodeError);
const decodeError = (frame: Buffer) => thrown(() => decode(frame), OpenFlowDecodeError);

test('OF_UNSUPPORTED names the field a version cannot carry', () => {
  const fm10 = sampleMessages(1).find((m) => m.type === 'flow_mod') as FlowMod;
  const fm13 = sampleMessages(4).find((m) => m.type === 'flow_mod') as FlowMod;
  const cases: [OfMessage, string][] = [
    [{ ...fm10, match: { ipv6_src: '::1' } }, 'match.ipv6_src'],
    [{ ...fm10, match: { ipv4_src: '10.0.0.1', ipv4_src_mask: '255.0.255.0' } }, 'match.ipv4_src_mask'],
    [{ ...fm10, tableId: 1 }, 'tableId'],
    [{ ...fm10, instructions: [{ type: 'goto_table', tableId: 1 }] }, 'instructions[0]'],
    [
      { ...fm10, instructions: [{ type: 'apply_actions', actions: [{ type: 'group', groupId: 1 }] }] },
      'instructions[0].actions[0]',
    ],
    [
      {
        ...fm13,
        instructions: [{ type: 'apply_actions', actions: [{ type: 'enqueue', port: 1, queueId: 1 }] }],
      },
      'instructions[0].actions[0]',
    ],
    [{ type: 'stats_request', version: 1, xid: 0, flags: 0, body: { kind: 'port_desc' } }, 'body.kind'],
    [{ type: 'role_request', version: 1, xid: 0, role: 2, generationId: 0n }, 'type'],
    [{ type: 'group_mod', version: 1, xid: 0, command: 0, groupType: 0, groupId: 1, buckets: [] }, 'type'],
  ];
  for (const [msg, field] of cases) {
    const e = encodeError(msg);
    assert.equal(e.code, 'OF_UNSUPPORTED', field);
    assert.equal(e.field, field);
  }
});

test('OF_BAD_FIELD for values that do not fit their field', () => {
  const fm13 = sampleMessages(4).find((m) => m.type === 'flow_mod') as FlowMod;
  assert.equal(encodeError({ ...fm13, priority: 70000 }).field, 'priority');
  assert.equal(encodeError({ ...fm13, match: { eth_src: 'nope' } }).field, 'match.eth_src');
  assert.equal(encodeError({ ...fm13, match: { nw_src: '1.2.3.4' } as never }).field, 'match.nw_src');
  assert.equal(
    encodeError({ ...fm13, match: { eth_src_mask: 'ff:ff:ff:ff:ff:ff' } }).field,
    'match.eth_src_mask',
  );
  assert.equal(encodeError({ ...fm13, cookie: 1 as never }).field, 'cookie');
  assert.equal(encodeError({ ...fm13, xid: -1 }).field, 'xid');
});

// ---------------------------------------------------------------------------------------------------------
// Decode errors carry the OFPET/OFPBRC pair to answer with

test('decode errors: bad version, unknown type, bad length, truncated bodies, bad OXM', () => {
  let e = decodeError(hex('02050008 00000009'));
  assert.deepEqual([e.code, e.ofpErrType, e.ofpErrCode, e.xid], ['OF_BAD_VERSION', 1, 0, 9]);
  e = decodeError(hex('04630008 00000001'));
  assert.deepEqual([e.code, e.ofpErrType, e.ofpErrCode], ['OF_BAD_TYPE', 1, 1]);
  e = decodeError(hex('04050009 00000001'));
  assert.deepEqual([e.code, e.ofpErrType, e.ofpErrCode], ['OF_BAD_LENGTH', 1, 6]);
  e = decodeError(hex('040e0010 00000001 0000000000000000'));
  assert.deepEqual([e.code, e.ofpErrType, e.ofpErrCode], ['OF_TRUNCATED', 1, 6]);
  // OXM field 0x7f does not exist: BAD_MATCH / BAD_FIELD
  e = decodeError(
    hex('04 0a 0026 00000001 | ffffffff 0000 00 00 0000000000000000 | 0001 0008 8000fe00 | 0000 0000 | 0000'),
  );
  assert.deepEqual([e.code, e.ofpErrType, e.ofpErrCode], ['OF_BAD_FIELD', 4, 6]);
  // A stats header cut short: BAD_REQUEST / BAD_LEN
  e = decodeError(hex('0412000c 00000001 000c 0000'));
  assert.deepEqual([e.code, e.ofpErrType, e.ofpErrCode], ['OF_TRUNCATED', 1, 6]);
  // An action with length 0 must not loop: BAD_ACTION / BAD_LEN
  e = decodeError(hex('010d0018 00000001 | ffffffff fffd 0008 | 0000 0000 00020000'));
  assert.deepEqual([e.code, e.ofpErrType, e.ofpErrCode], ['OF_BAD_LENGTH', 2, 1]);
});

test('hello negotiation: a newer hello picks the best common version; none in common is HELLO_FAILED', () => {
  // OVS allowing OF1.0, 1.3 and 1.5 sends a version-6 hello with a bitmap.
  assert.deepStrictEqual(decode(hex('06000010 00000005 0001 0008 00000052')), {
    type: 'hello',
    version: 4,
    xid: 5,
    versions: [1, 4, 6],
    wireVersion: 6,
  });
  // Without a bitmap, the lower header version is the one spoken: 1.3 with a version-5 hello; with a
  // version-2 hello it would be 1.1, which we do not speak (the same rule as sessions, negotiateVersion).
  assert.equal(decode(hex('05000008 00000001')).version, 4);
  for (const frame of ['02000008 00000001', '06000010 00000005 0001 0008 00000040']) {
    const e = decodeError(hex(frame));
    assert.deepEqual([e.code, e.ofpErrType, e.ofpErrCode], ['OF_BAD_VERSION', 0, 0], frame);
  }
});

test('OF1.0 match decodes transport ports by nw_proto and arp fields by dl_type', () => {
  const fm = sampleMessages(1).find((m) => m.type === 'flow_mod') as FlowMod;
  // SET_TP_DST under a UDP match decodes as set_field udp_dst.
  const udp = {
    ...fm,
    match: { eth_type: 0x0800, ip_proto: 17, udp_src: 68, udp_dst: 67 },
    instructions: [
      {
        type: 'apply_actions' as const,
        actions: [{ type: 'set_field' as const, field: 'udp_dst' as const, value: 6767 }],
      },
    ],
  };
  assert.deepStrictEqual(decode(encode(udp)), udp);
  const icmp = {
    ...fm,
    instructions: [],
    match: { eth_type: 0x0800, ip_proto: 1, icmpv4_type: 8, icmpv4_code: 0 },
  };
  assert.deepStrictEqual(decode(encode(icmp)), icmp);
  const arp = {
    ...fm,
    instructions: [],
    match: { eth_type: 0x0806, arp_op: 2, arp_tpa: '10.0.0.0', arp_tpa_mask: '255.0.0.0' },
  };
  assert.deepStrictEqual(decode(encode(arp)), arp);
});

test('FrameReader: a length below 8 is a sticky OF_BAD_LENGTH; frames larger than maxFrame too', () => {
  const fr = new FrameReader();
  assert.throws(
    () => fr.push(hex('01000004')),
    (e: unknown) => e instanceof OpenFlowDecodeError && e.code === 'OF_BAD_LENGTH',
  );
  assert.throws(() => fr.push(hex('0100000800000001')), OpenFlowDecodeError);
  const small = new FrameReader({ maxFrame: 100 });
  assert.throws(() => small.push(hex('010000ff')), OpenFlowDecodeError);
});

test('FrameReader returns zero-copy slices of the chunk and holds back a partial frame', () => {
  const a = hex('0100000800000001');
  const chunk = Buffer.concat([a, a, a.subarray(0, 3)]);
  const fr = new FrameReader();
  const frames = fr.push(chunk);
  assert.equal(frames.length, 2);
  assert.equal(frames[0].buffer, chunk.buffer);
  assert.equal(fr.buffered, 3);
  assert.deepStrictEqual(fr.push(a.subarray(3)), [a]);
});

test('FrameReader assembles a 64 KiB frame pushed one byte at a time', () => {
  const big = encode({ type: 'echo_request', version: 4, xid: 3, data: Buffer.alloc(0xffff - 8, 7) });
  const fr = new FrameReader();
  const frames: Buffer[] = [];
  for (let i = 0; i < big.length; i++) frames.push(...fr.push(big.subarray(i, i + 1)));
  assert.equal(frames.length, 1);
  assert.deepStrictEqual(frames[0], big);
  assert.equal(fr.buffered, 0);
});

test('FrameReader.pushUntilError keeps the whole frames ahead of a bad length; the error stays', () => {
  const a = hex('0100000800000001');
  const bad = hex('01000004');
  const fr = new FrameReader();
  const got = fr.pushUntilError(Buffer.concat([a, a, bad]));
  assert.deepStrictEqual(got.frames, [a, a]);
  assert.ok(got.error instanceof OpenFlowDecodeError && got.error.code === 'OF_BAD_LENGTH');
  assert.deepStrictEqual(got.badBytes, bad);
  assert.deepStrictEqual(fr.pushUntilError(a), { frames: [], error: got.error });
  assert.throws(
    () => fr.push(a),
    (e: unknown) => e === got.error,
  );
  // The same split across reads: a frame finished by the read that carries the bad length still counts.
  const split = new FrameReader();
  assert.deepStrictEqual(split.pushUntilError(a.subarray(0, 5)).frames, []);
  const rest = split.pushUntilError(Buffer.concat([a.subarray(5), bad]));
  assert.deepStrictEqual([rest.frames, rest.error?.code, rest.badBytes], [[a], 'OF_BAD_LENGTH', bad]);
  // A bad length in a frame still being assembled: the bytes held back are what gets quoted.
  const held = new FrameReader();
  held.pushUntilError(hex('0100'));
  assert.deepStrictEqual(held.pushUntilError(hex('0004aa')).badBytes, hex('01000004aa'));
});

test('encodeMessage stamps version and xid on a header-less body, same bytes as encode', () => {
  for (const v of VERSIONS) {
    for (const m of sampleMessages(v)) {
      const { version: _v, xid: _x, ...body } = m;
      assert.deepStrictEqual(
        encodeMessage(body as OfMessageBody, v, 0xabcdef),
        encode({ ...m, xid: 0xabcdef }),
      );
    }
  }
});

test('zeroPortStats and emptyStatsReply: bodies a switch can send as they are', () => {
  const zero = zeroPortStats(3);
  assert.equal(zero.portNo, 3);
  assert.equal(zero.rxCrcErr, 0n);
  assert.equal(zero.collisions, 0n);
  for (const kind of ['queue', 'group', 'group_desc', 'meter', 'meter_config'] as const) {
    const body = emptyStatsReply(kind);
    assert.equal(body.kind, kind);
    const msg: OfMessage = { type: 'stats_reply', version: OFP_VERSION_1_3, xid: 9, flags: 0, body };
    assert.deepEqual(decode(encode(msg)), msg, kind);
  }
  const ports: OfMessage = {
    type: 'stats_reply',
    version: OFP_VERSION_1_3,
    xid: 1,
    flags: 0,
    body: { kind: 'port', ports: [zero] },
  };
  assert.deepEqual(decode(encode(ports)), ports);
});
