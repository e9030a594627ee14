/**
 * Opaque OXM match fields (classes other than OpenFlow basic) and vendor/experimenter stats: what they
 * decode to, the bad inputs each side refuses (naming the field), how they print, and that a flow's identity
 * in the reconciler includes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OpenFlowDecodeError,
  OpenFlowEncodeError,
  decode,
  encode,
  formatMatch,
  type Match,
  type OfMessage,
  type OfVersion,
  type OpaqueOxm,
  type StatsReplyBody,
  type StatsRequestBody,
} from '../../src/openflow/index.js';
import { canonicalMatch } from '../../src/controller/reconcile.js';
import { matchToFloodlight } from '../../src/api/format/actions.js';
import { matchToV1 } from '../../src/api/format/v1.js';
import { flowMod, thrown } from './openflow.helpers.js';

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

const TCP_SYN_NOT_ACK: OpaqueOxm = {
  oxmClass: 0xffff,
  field: 42,
  experimenter: 0x4f4e4600,
  value: hex('0002'),
  mask: hex('0012'),
};
const REG0: OpaqueOxm = { oxmClass: 1, field: 0, value: hex('00000005') };

/** An OF1.3 flow_mod whose match TLVs are `tlvs` (hex, without the ofp_match header). */
function flowModWithTlvs(tlvs: string): Buffer {
  const m = hex(tlvs);
  const matchLen = 4 + m.length;
  const padded = (matchLen + 7) & ~7;
  const head = encode(flowMod(4, { match: {} })).subarray(0, 48);
  const frame = Buffer.concat([head, hex('0001'), Buffer.from([matchLen >> 8, matchLen & 0xff]), m]);
  const out = Buffer.concat([frame, Buffer.alloc(padded - matchLen)]);
  out.writeUInt16BE(out.length, 2);
  return out;
}

/** A decoded stats message (flags 0) with the given body. */
function stats(
  type: 'stats_request' | 'stats_reply',
  version: OfVersion,
  xid: number,
  body: StatsRequestBody & StatsReplyBody,
): OfMessage {
  return { type, version, xid, flags: 0, body };
}

test('an experimenter OXM decodes into match.opaque after the basic fields, and re-encodes byte for byte', () => {
  const frame = flowModWithTlvs(
    '80000a02 0800 | 80001401 06 | ffff5508 4f4e4600 0002 0012 | 00010004 00000005',
  );
  const m = decode(frame);
  assert.ok(m.type === 'flow_mod');
  assert.deepStrictEqual(m.match, { eth_type: 0x0800, ip_proto: 6, opaque: [TCP_SYN_NOT_ACK, REG0] });
  assert.equal(encode(m).toString('hex'), frame.toString('hex'));
});

test('bad opaque OXM on the wire: short experimenter, odd masked length, the same field twice', () => {
  const cases: [string, string][] = [
    ['ffff5402 0002', 'OF_BAD_LENGTH'],
    ['00010105 0000000000', 'OF_BAD_LENGTH'],
    ['00010004 00000005 | 00010004 00000006', 'OF_BAD_FIELD'],
  ];
  for (const [tlvs, code] of cases) {
    const e = thrown(() => decode(flowModWithTlvs(tlvs)), OpenFlowDecodeError);
    assert.equal(e.code, code, tlvs);
    assert.equal(e.ofpErrType, 4, `${tlvs}: BAD_MATCH`);
  }
});

test('bad opaque OXM in the model: each error names the field', () => {
  const cases: [unknown, string][] = [
    [{}, 'match.opaque'],
    [[{ ...REG0, oxmClass: 0x8000 }], 'match.opaque[0].oxmClass'],
    [[{ ...REG0, oxmClass: 0x10000 }], 'match.opaque[0].oxmClass'],
    [[{ ...REG0, field: 128 }], 'match.opaque[0].field'],
    [[{ ...TCP_SYN_NOT_ACK, experimenter: undefined }], 'match.opaque[0].experimenter'],
    [[{ ...REG0, experimenter: 1 }], 'match.opaque[0].experimenter'],
    [[{ ...REG0, value: 'x' }], 'match.opaque[0].value'],
    [[{ ...REG0, mask: hex('ff') }], 'match.opaque[0].mask'],
    [[{ ...REG0, value: Buffer.alloc(128), mask: Buffer.alloc(128) }], 'match.opaque[0]'],
    [[REG0, { ...REG0 }], 'match.opaque[1]'],
  ];
  for (const [opaque, field] of cases) {
    const e = thrown(() => encode(flowMod(4, { match: { opaque } as Match })), OpenFlowEncodeError);
    assert.equal(e.field, field, JSON.stringify(opaque));
  }
  const e10 = thrown(() => encode(flowMod(1, { match: { opaque: [REG0] } })), OpenFlowEncodeError);
  assert.deepEqual([e10.code, e10.field], ['OF_UNSUPPORTED', 'match.opaque']);
});

test('vendor stats: Nicira carries a subtype in 1.0, other vendors do not; the rest is kept as bytes', () => {
  // ovs-ofctl -O OpenFlow10 dump-aggregate: NXST_AGGREGATE (subtype 1), pad, out_port, match_len, table.
  const nx = hex('01100020 00000002 ffff 0000 | 00002320 00000001 | 00000000 ffff0000ff000000');
  const m = decode(nx);
  assert.deepStrictEqual(
    m,
    stats('stats_request', 1, 2, {
      kind: 'experimenter',
      experimenter: 0x2320,
      expType: 1,
      data: hex('00000000ffff0000ff000000'),
    }),
  );
  assert.deepStrictEqual(encode(m), nx);
  const other = hex('01110012 00000003 ffff 0000 | 00001234 abcd');
  assert.deepStrictEqual(
    decode(other),
    stats('stats_reply', 1, 3, { kind: 'experimenter', experimenter: 0x1234, expType: 0, data: hex('abcd') }),
  );
  const bad = { ...(decode(other) as OfMessage & { type: 'stats_reply' }) };
  bad.body = { kind: 'experimenter', experimenter: 0x1234, expType: 5, data: hex('') };
  assert.equal(thrown(() => encode(bad), OpenFlowEncodeError).field, 'body.expType');
  bad.body = { kind: 'experimenter', experimenter: 0x1234, expType: 0, data: 'ab' as never };
  assert.equal(thrown(() => encode(bad), OpenFlowEncodeError).field, 'body.data');
  // OF1.3 experimenter multipart without room for exp_type
  const e = thrown(() => decode(hex('04120014 00000001 ffff 0000 00000000 00002320')), OpenFlowDecodeError);
  assert.equal(e.code, 'OF_TRUNCATED');
});

test('a stats/multipart type without a model (table features) decodes as raw bytes and re-encodes', () => {
  // ovs-ofctl -O OpenFlow13 add-flow asks for table features (OFPMP_TABLE_FEATURES, 12) first.
  const frame = hex('04120010 00000002 000c 0000 00000000');
  const m = decode(frame);
  assert.deepStrictEqual(m, stats('stats_request', 4, 2, { kind: 'raw', statsType: 12, data: hex('') }));
  assert.deepStrictEqual(encode(m), frame);
  const raw = (statsType: unknown, data: unknown = hex('')) =>
    thrown(() => encode({ ...m, body: { kind: 'raw', statsType, data } } as OfMessage), OpenFlowEncodeError)
      .field;
  assert.equal(raw(1), 'body.statsType', 'type 1 is kind flow');
  assert.equal(raw(0xffff), 'body.statsType', 'type 0xffff is kind experimenter');
  assert.equal(raw(0x10000), 'body.statsType');
  assert.equal(raw(12, 'x'), 'body.data');
});

test('formatMatch prints opaque fields where and how ovs-ofctl does, a generic form otherwise', () => {
  const m = (opaque: OpaqueOxm[]): Match => ({ eth_type: 0x0800, ip_proto: 6, tcp_dst: 80, opaque });
  assert.equal(formatMatch(m([TCP_SYN_NOT_ACK])), 'tcp,tp_dst=80,tcp_flags=+syn-ack');
  const exact = { ...TCP_SYN_NOT_ACK, mask: undefined };
  assert.equal(formatMatch(m([{ ...exact, value: hex('0012') }])), 'tcp,tp_dst=80,tcp_flags=syn|ack');
  assert.equal(formatMatch(m([{ ...exact, value: hex('0000') }])), 'tcp,tp_dst=80,tcp_flags=0');
  // NXM_NX_TCP_FLAGS spells the same field in NXM class 1
  assert.equal(
    formatMatch(m([{ oxmClass: 1, field: 34, value: hex('0004'), mask: hex('0004') }])),
    'tcp,tp_dst=80,tcp_flags=+rst',
  );
  assert.equal(
    formatMatch(m([REG0, { oxmClass: 1, field: 3, value: hex('00000010'), mask: hex('000000f0') }]), 7),
    'priority=7,tcp,reg0=0x5,reg3=0x10/0xf0,tp_dst=80',
  );
  assert.equal(
    formatMatch({ eth_type: 0x0800, ip_dscp: 2, opaque: [{ oxmClass: 1, field: 29, value: hex('40') }] }),
    'ip,nw_tos=8,nw_ttl=64',
  );
  assert.equal(
    formatMatch({
      eth_type: 0x0800,
      opaque: [{ oxmClass: 1, field: 26, value: hex('01'), mask: hex('03') }],
    }),
    'ip,nw_frag=first',
  );
  assert.equal(
    formatMatch({
      in_port: 1,
      opaque: [{ oxmClass: 0xffff, field: 7, experimenter: 0xabc, value: hex('01') }],
    }),
    'in_port=1,oxm(0xffff:7:0xabc)=0x01',
  );
  assert.equal(
    formatMatch({ opaque: [{ oxmClass: 0x8001, field: 2, value: hex('abcd'), mask: hex('ff00') }] }),
    'oxm(0x8001:2)=0xabcd/0xff00',
  );
});

test('the API prints opaque fields by their ovs-ofctl names', () => {
  const match: Match = { eth_type: 0x0800, ip_proto: 6, opaque: [TCP_SYN_NOT_ACK, REG0] };
  assert.deepEqual(matchToFloodlight(match), {
    eth_type: '0x800',
    ip_proto: '6',
    tcp_flags: '+syn-ack',
    reg0: '0x5',
  });
  assert.deepEqual(matchToV1(match), { eth_type: 0x800, ip_proto: 6, tcp_flags: '+syn-ack', reg0: '0x5' });
});

test('a flow identity includes its opaque fields, in any order, a full mask the same as none', () => {
  const base: Match = { eth_type: 0x0800, ip_proto: 6 };
  const key = (opaque?: OpaqueOxm[]) => canonicalMatch(opaque ? { ...base, opaque } : base);
  assert.notEqual(key([TCP_SYN_NOT_ACK]), key());
  assert.notEqual(key([TCP_SYN_NOT_ACK]), key([{ ...TCP_SYN_NOT_ACK, mask: hex('0002') }]));
  assert.equal(key([TCP_SYN_NOT_ACK, REG0]), key([REG0, TCP_SYN_NOT_ACK]));
  assert.equal(key([REG0]), key([{ ...REG0, mask: hex('ffffffff') }]));
});
