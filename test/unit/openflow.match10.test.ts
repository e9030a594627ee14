import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenFlowEncodeError, decode, encode, type Match } from '../../src/openflow/index.js';
import { flowMod } from './openflow.helpers.js';

const V10 = 1;

function encodeError(match: Match): OpenFlowEncodeError {
  try {
    encode(flowMod(V10, { match }));
  } catch (e) {
    assert.ok(e instanceof OpenFlowEncodeError, `unexpected ${String(e)}`);
    return e;
  }
  assert.fail(`did not throw for ${JSON.stringify(match)}`);
}

test('OF1.0 match: every alias of a shared slot round-trips under its own name', () => {
  const matches: Match[] = [
    { in_port: 3, eth_src: '02:00:00:00:00:01', eth_dst: '02:00:00:00:00:02', vlan_vid: 0x1005 },
    { vlan_vid: 0, vlan_pcp: 3, eth_type: 0x0800, ip_dscp: 10, ip_proto: 6, tcp_src: 80, tcp_dst: 443 },
    { eth_type: 0x0800, ip_proto: 17, udp_src: 53, udp_dst: 5353 },
    { eth_type: 0x0800, ip_proto: 1, icmpv4_type: 8, icmpv4_code: 0 },
    { eth_type: 0x0800, ip_proto: 132, sctp_src: 1, sctp_dst: 2 },
    { eth_type: 0x0800, ipv4_src: '10.0.0.0', ipv4_src_mask: '255.0.0.0', ipv4_dst: '10.1.2.3' },
    { eth_type: 0x0806, arp_op: 1, arp_spa: '10.0.0.1', arp_tpa: '10.0.0.0', arp_tpa_mask: '255.255.0.0' },
  ];
  for (const match of matches) {
    const back = decode(encode(flowMod(V10, { match })));
    assert.equal(back.type, 'flow_mod');
    assert.deepStrictEqual(back.type === 'flow_mod' && back.match, match);
  }
});

test('OF1.0 match: fields set to undefined are absent', () => {
  const match = { in_port: 1, eth_src: undefined, ip_proto: undefined, arp_op: 2, eth_type: 0x0806 };
  const back = decode(encode(flowMod(V10, { match })));
  assert.deepStrictEqual(back.type === 'flow_mod' && back.match, { in_port: 1, arp_op: 2, eth_type: 0x0806 });
});

test('OF1.0 match: two aliases of one slot are refused, naming the second in slot order', () => {
  const cases: [Match, string, string][] = [
    [{ arp_op: 1, ip_proto: 6 }, 'match.arp_op', 'one slot for ip_proto and arp_op'],
    [{ arp_spa: '1.2.3.4', ipv4_src: '1.2.3.4' }, 'match.arp_spa', 'one slot for ipv4_src and arp_spa'],
    [{ ipv4_dst: '1.2.3.4', arp_tpa: '1.2.3.4' }, 'match.arp_tpa', 'one slot for ipv4_dst and arp_tpa'],
    [{ icmpv4_type: 1, sctp_src: 2, udp_src: 3 }, 'match.sctp_src', 'one slot for udp_src and sctp_src'],
    [{ tcp_dst: 1, icmpv4_code: 2 }, 'match.icmpv4_code', 'one slot for tcp_dst and icmpv4_code'],
  ];
  for (const [match, field, text] of cases) {
    const e = encodeError(match);
    assert.equal(e.code, 'OF_UNSUPPORTED', field);
    assert.equal(e.field, field);
    assert.match(e.message, new RegExp(text));
  }
});

test('OF1.0 match: OF1.3-only fields and bad values name their field', () => {
  const cases: [Match, string, string][] = [
    [{ in_port: 1, metadata: 5n } as Match, 'match.metadata', 'OF_UNSUPPORTED'],
    [{ ipv6_src: '::1' }, 'match.ipv6_src', 'OF_UNSUPPORTED'],
    [{ ipv4_src: '10.0.0.1', ipv4_src_mask: '255.0.255.0' }, 'match.ipv4_src_mask', 'OF_UNSUPPORTED'],
    [{ vlan_vid: 5 }, 'match.vlan_vid', 'OF_BAD_FIELD'],
    [{ ip_dscp: 64 }, 'match.ip_dscp', 'OF_BAD_FIELD'],
    [{ eth_dst: '02:00:00:00:00' }, 'match.eth_dst', 'OF_BAD_FIELD'],
    [{ arp_spa: '10.0.0.256' }, 'match.arp_spa', 'OF_BAD_FIELD'],
    [{ udp_dst: 70000 }, 'match.udp_dst', 'OF_BAD_FIELD'],
    [{ in_port: 0x10000 }, 'match.in_port', 'OF_UNSUPPORTED'],
  ];
  for (const [match, field, code] of cases) {
    const e = encodeError(match);
    assert.equal(
      e.field,
      field,
      JSON.stringify(match, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
    );
    assert.equal(e.code, code, field);
  }
});
