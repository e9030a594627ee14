import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OFPP, formatFlow, formatMatch } from '../../src/openflow/index.js';
import { flowMod, flowStats } from './openflow.helpers.js';

test('formatFlow prints a flow stats entry like ovs-ofctl dump-flows', () => {
  const entry = flowStats({
    durationSec: 1,
    durationNsec: 500_000_000,
    idleTimeout: 5,
    priority: 100,
    match: { eth_type: 0x0800, in_port: 1, ipv4_src: '10.0.0.1' },
    instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
  });
  assert.equal(
    formatFlow(entry, 4),
    ' cookie=0x0, duration=1.500s, table=0, n_packets=0, n_bytes=0, idle_timeout=5, priority=100,ip,in_port=1,nw_src=10.0.0.1 actions=output:2',
  );
});

test('formatFlow: default priority and empty match print nothing before actions; no actions is drop', () => {
  assert.equal(
    formatFlow(flowStats({ priority: 0x8000, durationSec: 3 }), 1),
    ' cookie=0x0, duration=3s, table=0, n_packets=0, n_bytes=0, actions=drop',
  );
  assert.equal(
    formatFlow(flowStats({ priority: 0, durationNsec: 1234 }), 4),
    ' cookie=0x0, duration=0.000001234s, table=0, n_packets=0, n_bytes=0, priority=0 actions=drop',
  );
});

test('formatFlow: OF1.0 set actions as mod_*, OF1.3 as set_field, reserved ports by name', () => {
  const actions = [
    { type: 'set_field' as const, field: 'ipv4_dst' as const, value: '10.0.0.9' },
    { type: 'set_field' as const, field: 'vlan_vid' as const, value: 0x1000 | 10 },
    { type: 'pop_vlan' as const },
    { type: 'output' as const, port: OFPP.CONTROLLER, maxLen: 0xffff },
    { type: 'output' as const, port: OFPP.FLOOD, maxLen: 0 },
  ];
  const fm = (v: 1 | 4) =>
    flowMod(v, {
      cookie: 0x1000000000005n,
      priority: 10,
      flags: 1,
      match: {
        eth_type: 0x0800,
        ip_proto: 6,
        tcp_dst: 80,
        ipv4_dst: '10.0.0.0',
        ipv4_dst_mask: '255.255.255.0',
      },
      instructions: [{ type: 'apply_actions', actions }],
    });
  assert.equal(
    formatFlow(fm(1), 1),
    ' cookie=0x1000000000005, table=0, send_flow_rem priority=10,tcp,nw_dst=10.0.0.0/24,tp_dst=80 ' +
      'actions=mod_nw_dst:10.0.0.9,mod_vlan_vid:10,strip_vlan,CONTROLLER:65535,FLOOD',
  );
  assert.equal(
    formatFlow(fm(4), 4),
    ' cookie=0x1000000000005, table=0, send_flow_rem priority=10,tcp,nw_dst=10.0.0.0/24,tp_dst=80 ' +
      'actions=set_field:10.0.0.9->ip_dst,set_field:4106->vlan_vid,pop_vlan,CONTROLLER:65535,FLOOD',
  );
});

test('formatFlow: instructions in OVS order', () => {
  const fm = flowMod(4, {
    priority: 1,
    instructions: [
      { type: 'goto_table', tableId: 2 },
      { type: 'write_metadata', metadata: 1n, mask: 0xffn },
      { type: 'apply_actions', actions: [{ type: 'dec_nw_ttl' }] },
      { type: 'meter', meterId: 3 },
    ],
  });
  assert.equal(
    formatFlow(fm, 4),
    ' cookie=0x0, table=0, priority=1 actions=meter:3,dec_ttl,write_metadata:0x1/0xff,goto_table:2',
  );
});

test('formatMatch: shorthands, arp fields, vlan forms and non-shorthand eth types', () => {
  assert.equal(
    formatMatch({ eth_type: 0x0806, arp_op: 1, arp_tpa: '10.0.0.1' }),
    'arp,arp_tpa=10.0.0.1,arp_op=1',
  );
  assert.equal(formatMatch({ eth_type: 0x88cc }), 'dl_type=0x88cc');
  assert.equal(formatMatch({ vlan_vid: 0x1000 | 5, vlan_pcp: 2 }), 'dl_vlan=5,dl_vlan_pcp=2');
  assert.equal(formatMatch({ vlan_vid: 0 }), 'vlan_tci=0x0000/0x1fff');
  assert.equal(formatMatch({ vlan_vid: 0, vlan_pcp: 0 }), 'vlan_tci=0x0000');
  assert.equal(formatMatch({ vlan_vid: 0x1000, vlan_vid_mask: 0x1000 }), 'vlan_tci=0x1000/0x1000');
  assert.equal(formatMatch({ vlan_pcp: 5 }), 'dl_vlan_pcp=5');
  assert.equal(
    formatMatch({ ipv6_dst: '2001:db8::', ipv6_dst_mask: 'ffff:ffff::' }),
    'ipv6_dst=2001:db8::/32',
  );
  assert.equal(formatMatch({ ipv6_dst: '::1', ipv6_dst_mask: 'ffff::ffff' }), 'ipv6_dst=::1/ffff::ffff');
  assert.equal(formatMatch({ eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 135 }), 'icmp6,icmp_type=135');
  assert.equal(formatMatch({ in_port: OFPP.LOCAL }, 5), 'priority=5,in_port=LOCAL');
});
