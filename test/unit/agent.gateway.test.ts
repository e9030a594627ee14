import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IFNAME_MAX } from '../../src/agent/endpoints.js';
import { gatewayMac, gatewayName, gatewayRules, parseTaggedRules, ruleKey } from '../../src/agent/gateway.js';
import { LinuxNet, type Runner } from '../../src/agent/linux.js';

test('gateway port names carry the VNI in hex and fit; MACs are the same for a VNI, unicast, apart from endpoints', () => {
  assert.equal(gatewayName(42), 'slg2a');
  assert.ok(gatewayName(16_777_215).length <= IFNAME_MAX);
  assert.equal(gatewayMac(42), '0a:59:00:00:00:2a');
  assert.equal(gatewayMac(0xabcdef), '0a:59:00:ab:cd:ef');
  assert.notEqual(gatewayMac(1), gatewayMac(2));
  for (const bad of [0, -1, 16_777_216, 1.5]) {
    assert.throws(() => gatewayName(bad), /vni/);
    assert.throws(() => gatewayMac(bad), /vni/);
  }
});

test('gateway rules: the isolation drop always, MASQUERADE only with nat; listed rules compare equal', () => {
  const off = gatewayRules({ vni: 42, subnet: '10.5.0.0/24', nat: false });
  assert.deepEqual(off.map(ruleKey), [
    'filter FORWARD -i slg2a -o slg+ -m comment --comment sluice-gw:slg2a -j DROP',
  ]);
  const on = gatewayRules({ vni: 42, subnet: '10.5.0.0/24', nat: true });
  assert.equal(
    ruleKey(on[1]),
    'nat POSTROUTING -s 10.5.0.0/24 ! -o slg2a -m comment --comment sluice-gw:slg2a -j MASQUERADE',
  );
  // What iptables -S printed on this machine (nf_tables backend): comments quoted, others' rules untagged.
  const listing = [
    '-P POSTROUTING ACCEPT',
    '-A POSTROUTING -s 10.5.0.0/24 ! -o slg2a -m comment --comment "sluice-gw:slg2a" -j MASQUERADE',
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
    '-A POSTROUTING -m comment --comment "someone else" -j ACCEPT',
  ].join('\n');
  const parsed = parseTaggedRules('nat', 'POSTROUTING', listing);
  assert.deepEqual(parsed.map(ruleKey), [ruleKey(on[1])]);
});

test('LinuxNet: gateway set-up only where it differs; iptables and sysctl calls', async () => {
  const lines: string[] = [];
  let addr =
    '[{"address":"aa:bb:cc:dd:ee:ff","mtu":1500,"flags":[],"addr_info":[{"family":"inet","local":"10.9.0.1","prefixlen":24}]}]';
  const run: Runner = async (file, args) => {
    const line = [file, ...args].join(' ');
    lines.push(line);
    if (line.includes('-D FORWARD'))
      throw Object.assign(new Error('x'), {
        stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).',
      });
    return { stdout: line.startsWith('ip -j addr') ? addr : '' };
  };
  const net = new LinuxNet(run);
  await net.configureGateway('slg2a', { mac: '0a:59:00:00:00:2a', cidr: '10.5.0.1/24', mtu: 1450 });
  assert.deepEqual(lines, [
    'ip -j addr show dev slg2a',
    'ip link set slg2a address 0a:59:00:00:00:2a mtu 1450 up',
    'ethtool -K slg2a tx off',
    'ip addr del 10.9.0.1/24 dev slg2a',
    'ip addr replace 10.5.0.1/24 dev slg2a',
  ]);
  lines.length = 0;
  addr =
    '[{"address":"0a:59:00:00:00:2a","mtu":1450,"flags":["UP"],"addr_info":[{"family":"inet","local":"10.5.0.1","prefixlen":24}]}]';
  await net.configureGateway('slg2a', { mac: '0a:59:00:00:00:2a', cidr: '10.5.0.1/24', mtu: 1450 });
  assert.deepEqual(lines, ['ip -j addr show dev slg2a']);
  lines.length = 0;
  const [drop] = gatewayRules({ vni: 42, subnet: '10.5.0.0/24', nat: false });
  await net.insertRule(drop);
  await net.deleteRule(drop); // already gone: no error
  await net.enableIpv4Forwarding();
  assert.deepEqual(lines, [
    'iptables -w -t filter -I FORWARD -i slg2a -o slg+ -m comment --comment sluice-gw:slg2a -j DROP',
    'iptables -w -t filter -D FORWARD -i slg2a -o slg+ -m comment --comment sluice-gw:slg2a -j DROP',
    'sysctl -w net.ipv4.ip_forward=1',
  ]);
});
