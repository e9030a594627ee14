import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostsApp, hostView, type HostMove } from '../../src/apps/hosts/index.js';
import { TopologyApp } from '../../src/apps/topology/index.js';
import { OFP_NO_BUFFER, type PacketIn } from '../../src/openflow/index.js';
import { buildArpRequest, buildUdpFrame, parseEthernet } from '../../src/packet/index.js';
import { FakeNetwork, linear } from './apps.fakenet.js';

async function setup(n = 3) {
  const net = new FakeNetwork();
  linear(net, n);
  const topo = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, maxAgeMs: 60_000, topology: topo });
  await net.start([hosts, topo]); // registration order does not matter: hosts runs after topology
  net.connectAll();
  return { net, topo, hosts };
}

function packetIn(inPort: number, data: Buffer): PacketIn {
  return {
    type: 'packet_in',
    version: 1,
    xid: 0,
    bufferId: OFP_NO_BUFFER,
    totalLen: data.length,
    reason: 0,
    tableId: 0,
    cookie: 0n,
    match: { in_port: inPort },
    data,
  };
}

function arpFrom(mac: string, ip: string, targetIp = '10.0.0.254'): Buffer {
  return buildArpRequest({ senderMac: mac, senderIp: ip, targetIp });
}

function deliver(net: FakeNetwork, hosts: HostsApp, dpid: bigint, port: number, data: Buffer): void {
  hosts.packetIn(net.switches.get(dpid)!, packetIn(port, data), parseEthernet(data));
}

test('learns MAC, IPv4 (ARP and IPv4 source), VLAN and attachment; find filters on each', async () => {
  const { net, hosts } = await setup();
  deliver(net, hosts, 1n, 1, arpFrom('00:00:00:00:00:01', '10.0.0.1'));
  const udp = buildUdpFrame({
    ethSrc: '00:00:00:00:00:03',
    ethDst: '00:00:00:00:00:01',
    ipSrc: '10.0.0.3',
    ipDst: '10.0.0.1',
    srcPort: 1,
    dstPort: 2,
    vlan: { vid: 42 },
  });
  deliver(net, hosts, 3n, 1, udp);
  assert.equal(hosts.size, 2);
  assert.deepEqual(
    hosts
      .find({ ipv4: '10.0.0.3' })
      .map(hostView)
      .map((v) => ({ mac: v.mac, vlan: v.vlan, dpid: v.dpid, port: v.port, ipv4: v.ipv4 })),
    [{ mac: '00:00:00:00:00:03', vlan: 42, dpid: 3n, port: 1, ipv4: ['10.0.0.3'] }],
  );
  assert.equal(hosts.find({ mac: '00:00:00:00:00:01' })[0]?.dpid, 1n);
  assert.equal(hosts.find({ dpid: 3n, port: 1 }).length, 1);
  assert.equal(hosts.find({ vlan: 42 }).length, 1);
  assert.equal(hosts.find({ dpid: 2n }).length, 0);
  assert.deepEqual(
    hosts.find().map((h) => h.mac),
    [1, 3],
    'sorted by MAC',
  );
  assert.throws(() => hosts.find({ mac: 'nope' }), /^RangeError: mac:/);
  assert.throws(() => hosts.find({ ipv4: '10.0.0.300' }), /^RangeError: ipv4:/);
});

test('never learns on inter-switch ports, from multicast sources, or from LLDP', async () => {
  const { net, hosts } = await setup();
  const frame = buildUdpFrame({
    ethSrc: '00:00:00:00:00:09',
    ethDst: 'ff:ff:ff:ff:ff:ff',
    ipSrc: '10.0.0.9',
    ipDst: '10.0.0.255',
    srcPort: 1,
    dstPort: 2,
  });
  deliver(net, hosts, 2n, 2, frame); // s2 port 2 leads to s1
  assert.equal(hosts.size, 0);
  const mcast = buildUdpFrame({
    ethSrc: '01:00:5e:00:00:01',
    ethDst: 'ff:ff:ff:ff:ff:ff',
    ipSrc: '10.0.0.9',
    ipDst: '10.0.0.255',
    srcPort: 1,
    dstPort: 2,
  });
  deliver(net, hosts, 2n, 1, mcast);
  assert.equal(hosts.size, 0);
  net.discover(); // LLDP rounds go through the real pipeline; none of it is a host
  assert.equal(hosts.size, 0);
});

test('a move updates the attachment and is announced; an IPv4 address changing hands follows', async () => {
  const { net, hosts } = await setup();
  const moves: HostMove[] = [];
  hosts.on('host_moved', (m) => moves.push(m));
  const arp = arpFrom('00:00:00:00:00:05', '10.0.0.5');
  deliver(net, hosts, 1n, 1, arp);
  net.clock.t += 1000;
  deliver(net, hosts, 3n, 1, arp);
  assert.equal(moves.length, 1);
  assert.deepEqual(moves[0].from, { dpid: 1n, port: 1 });
  const h = hosts.get('00:00:00:00:00:05')!;
  assert.deepEqual([h.dpid, h.port, h.moves, h.lastSeen - h.firstSeen], [3n, 1, 1, 1000]);
  // Another MAC claims 10.0.0.5: the address moves with it.
  deliver(net, hosts, 2n, 1, arpFrom('00:00:00:00:00:06', '10.0.0.5'));
  assert.equal(hosts.find({ ipv4: '10.0.0.5' })[0]?.mac, 6);
  assert.deepEqual(hostView(hosts.get('00:00:00:00:00:05')!).ipv4, []);
});

test('hosts seen on a port that LLDP later shows to be inter-switch are forgotten', async () => {
  const net = new FakeNetwork();
  linear(net, 2);
  const topo = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology: topo });
  await net.start([topo, hosts]);
  net.connect(1n); // s2 not yet connected: s1 port 3 looks like a host port
  deliver(net, hosts, 1n, 3, arpFrom('00:00:00:00:00:02', '10.0.0.2'));
  assert.equal(hosts.size, 1);
  const removed: number[] = [];
  hosts.on('host_removed', (h) => removed.push(h.mac));
  net.connect(2n);
  assert.equal(topo.links().length, 1);
  assert.deepEqual(removed, [2]);
  assert.equal(hosts.size, 0);
});

test("aging runs on the controller's clock: a host is forgotten at the first sweep past maxAgeMs", async () => {
  const net = new FakeNetwork();
  linear(net, 2);
  const hosts = new HostsApp({ maxAgeMs: 60_000 }); // sweeps every 15 s of the fake clock
  await net.start([new TopologyApp({ timers: false }), hosts]);
  net.connectAll();
  const removed: number[] = [];
  hosts.on('host_removed', (h) => removed.push(h.mac));
  deliver(net, hosts, 1n, 1, arpFrom('00:00:00:00:00:01', '10.0.0.1'));
  net.clock.t += 30_000;
  deliver(net, hosts, 2n, 1, arpFrom('00:00:00:00:00:02', '10.0.0.2'));
  net.clock.t += 44_999; // the sweep at 60 s finds h1 exactly maxAgeMs old: kept
  assert.deepEqual(removed, []);
  net.clock.t += 1; // the sweep at 75 s
  assert.deepEqual(removed, [1]);
  assert.deepEqual(
    hosts.find().map((h) => h.mac),
    [2],
  );
});

test('aging forgets hosts not seen for maxAgeMs', async () => {
  const { net, hosts } = await setup();
  deliver(net, hosts, 1n, 1, arpFrom('00:00:00:00:00:01', '10.0.0.1'));
  net.clock.t += 30_000;
  deliver(net, hosts, 2n, 1, arpFrom('00:00:00:00:00:02', '10.0.0.2'));
  net.clock.t += 30_001;
  assert.equal(hosts.expire(), 1);
  assert.deepEqual(
    hosts.find().map((h) => h.mac),
    [2],
  );
  assert.equal(hosts.byIpv4Num(0x0a000001), undefined);
});

test('100,000 hosts fit in a few tens of MB', async () => {
  const hosts = new HostsApp({ timers: false });
  const dpids = Array.from({ length: 1000 }, (_, i) => BigInt(i + 1));
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 100_000; i++)
    hosts.learn(dpids[i % 1000], 1 + (i % 48), 0x020000000000 + i, 0, 0x0a000000 + i, i);
  const grown = process.memoryUsage().heapUsed - before;
  assert.equal(hosts.size, 100_000);
  assert.ok(grown < 40 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MB`);
  assert.equal(hosts.byIpv4Num(0x0a000000 + 99_999)?.mac, 0x020000000000 + 99_999);
});

test('past maxHosts the longest-known host makes room (and is announced as removed)', () => {
  const hosts = new HostsApp({ timers: false, maxHosts: 3 });
  const removed: number[] = [];
  hosts.on('host_removed', (h) => removed.push(h.mac));
  for (let mac = 1; mac <= 5; mac++) hosts.learn(1n, 1, mac, 0, 0, mac);
  assert.equal(hosts.size, 3);
  assert.deepEqual(removed, [1, 2]);
  assert.deepEqual(
    hosts.find().map((h) => h.mac),
    [3, 4, 5],
  );
  assert.throws(() => new HostsApp({ maxHosts: 0 }), /^RangeError: hosts.maxHosts:/);
});
