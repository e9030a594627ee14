import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ForwardingApp } from '../../src/apps/forwarding/index.js';
import type { Outgoing } from '../../src/controller/index.js';
import { HostsApp } from '../../src/apps/hosts/index.js';
import { TopologyApp, undirectedKey } from '../../src/apps/topology/index.js';
import type { App } from '../../src/controller/index.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3, type OfVersion } from '../../src/openflow/index.js';
import {
  ETH_TYPE,
  IP_PROTO,
  buildArpRequest,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildUdpFrame,
  macTextToNum,
  parseEthernet,
} from '../../src/packet/index.js';
import { FakeNetwork, linear, ring, tree, type FakeHost } from './apps.fakenet.js';

const VERSIONS = [OFP_VERSION_1_0, OFP_VERSION_1_3] as const;

async function network(
  build: (net: FakeNetwork, opts: { version: OfVersion }) => void,
  version: OfVersion = OFP_VERSION_1_0,
  extra: App[] = [],
  fwdOpts: ConstructorParameters<typeof ForwardingApp>[0] = {},
) {
  const net = new FakeNetwork();
  build(net, { version });
  const topo = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology: topo });
  const fwd = new ForwardingApp({ topology: topo, hosts, ...fwdOpts });
  await net.start([topo, hosts, fwd, ...extra]);
  net.connectAll();
  net.advance(topo.quarantineMs); // past the new-port quarantine
  return { net, topo, hosts, fwd };
}

function icmpFrame(a: FakeHost, b: FakeHost): Buffer {
  const ip = buildIpv4({ src: a.ip, dst: b.ip, proto: IP_PROTO.ICMP, payload: buildIcmpEcho(8, 1, 1) });
  return buildEthernet({ dst: b.mac, src: a.mac, ethType: ETH_TYPE.IPV4, payload: ip });
}

function broadcastCopies(net: FakeNetwork, from: string): Map<string, number> {
  const before = new Map([...net.hosts].map(([n, h]) => [n, h.received.length]));
  const h = net.host(from);
  net.sendFrom(h, buildArpRequest({ senderMac: h.mac, senderIp: h.ip, targetIp: '10.99.99.99' }));
  net.run();
  return new Map([...net.hosts].map(([n, x]) => [n, x.received.length - before.get(n)!]));
}

for (const version of VERSIONS) {
  test(`linear,4 (OF 0x0${version}): pingall, and the path flows send h1->h4 the right way`, async () => {
    const { net } = await network((n, o) => linear(n, 4, o), version);
    assert.deepEqual(net.pingAll(), []);
    const h1 = net.host('h1');
    const h4 = net.host('h4');
    // Flows alone (no controller) now carry h1 -> h4 across every switch.
    assert.deepEqual(net.switches.get(1n)!.wouldOutput(1, icmpFrame(h1, h4)), [3]);
    assert.deepEqual(net.switches.get(2n)!.wouldOutput(2, icmpFrame(h1, h4)), [3]);
    assert.deepEqual(net.switches.get(4n)!.wouldOutput(2, icmpFrame(h1, h4)), [1]);
    // Once flows are in, a second ping needs no controller at all.
    const before = net.packetIns;
    assert.equal(net.ping('h1', 'h4'), true);
    assert.equal(net.packetIns, before);
  });

  test(`tree,2,3 (OF 0x0${version}): pingall`, async () => {
    const { net, topo } = await network((n, o) => tree(n, 2, 3, o), version);
    assert.equal(topo.links().length, 3);
    assert.equal(net.hosts.size, 9);
    assert.deepEqual(net.pingAll(), []);
  });

  test(`ring of 4 (OF 0x0${version}): pingall, broadcasts reach each host once, no storm`, async () => {
    const { net, topo } = await network((n, o) => ring(n, 4, o), version);
    assert.equal(topo.links().length, 4);
    const copies = broadcastCopies(net, 'h1');
    assert.deepEqual(Object.fromEntries(copies), { h1: 0, h2: 1, h3: 1, h4: 1 });
    // The flood set is a tree: 4 switches, 3 links used, each switch reached once.
    assert.equal(topo.spanningTree().length, 3);
    const pinsBefore = net.packetIns;
    broadcastCopies(net, 'h3');
    assert.ok(net.packetIns - pinsBefore <= 4, `one packet-in per switch, got ${net.packetIns - pinsBefore}`);
    assert.deepEqual(net.pingAll(), []);
  });
}

for (const version of VERSIONS) {
  test(`ring (OF 0x0${version}): a failed link re-routes (stale flows deleted) and traffic flows again`, async () => {
    const { net, fwd } = await network((n, o) => ring(n, 4, o), version);
    const deletes: Outgoing[] = [];
    assert.equal(net.ping('h1', 'h2'), true);
    const s1 = net.switches.get(1n)!;
    const h1 = net.host('h1');
    const h2 = net.host('h2');
    assert.deepEqual(s1.wouldOutput(1, icmpFrame(h1, h2)), [3], 'direct s1-s2 link');
    const sink = (o: Outgoing) => {
      if (o.msg.type === 'flow_mod' && o.msg.command >= 3) deletes.push(o);
      net.switches.get(o.dpid)!.send(o.msg);
    };
    fwd.setSink(sink);
    net.setLink(1n, 3, 2n, 2, false);
    assert.ok(deletes.length > 0, 'flows over the dead link deleted');
    assert.equal(s1.wouldOutput(1, icmpFrame(h1, h2)), 'controller');
    assert.equal(net.ping('h1', 'h2'), true);
    assert.deepEqual(s1.wouldOutput(1, icmpFrame(h1, h2)), [2], 'the long way round');
    assert.deepEqual(net.pingAll(), []);
  });
}

test('OF1.3: flows from before a controller restart are cleared off a failed link too', async () => {
  const { net } = await network((n, o) => ring(n, 4, o), OFP_VERSION_1_3);
  assert.equal(net.ping('h1', 'h2'), true);
  const topo = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology: topo });
  await net.restartController([topo, hosts, new ForwardingApp({ topology: topo, hosts })]);
  net.advance(topo.quarantineMs);
  const s1 = net.switches.get(1n)!;
  const frame = icmpFrame(net.host('h1'), net.host('h2'));
  assert.deepEqual(s1.wouldOutput(1, frame), [3], 'the old flow survived the restart');
  net.setLink(1n, 3, 2n, 2, false);
  assert.equal(s1.wouldOutput(1, frame), 'controller');
  assert.equal(net.ping('h1', 'h2'), true);
});

test('host move: flows to the old place go, traffic follows the host', async () => {
  const { net, hosts } = await network((n, o) => {
    linear(n, 3, o);
    // a spare port on s3 to move to
    const s3 = n.switches.get(3n)!;
    s3.ports.set(4, { ...s3.ports.get(1)!, portNo: 4, name: 's3-eth4' });
  });
  assert.equal(net.ping('h1', 'h2'), true);
  const h1 = net.host('h1');
  const h2 = net.host('h2');
  net.moveHost('h2', 3n, 4);
  assert.equal(net.ping('h1', 'h2'), false, 'old flows still point to the old port');
  // The host speaks from its new place (as a real one does, e.g. gratuitous ARP).
  net.sendFrom(h2, buildArpRequest({ senderMac: h2.mac, senderIp: h2.ip, targetIp: h2.ip }));
  net.run();
  assert.deepEqual([hosts.get(h2.mac)?.dpid, hosts.get(h2.mac)?.port], [3n, 4]);
  assert.equal(
    net.switches.get(2n)!.wouldOutput(2, icmpFrame(h1, h2)),
    'controller',
    'stale last hop deleted',
  );
  assert.equal(net.ping('h1', 'h2'), true);
  assert.deepEqual(net.switches.get(3n)!.wouldOutput(2, icmpFrame(h1, h2)), [4]);
});

test('deny verdict from an earlier app: a drop flow with its match, nothing forwarded', async () => {
  const denyIcmp: App = {
    name: 'firewall',
    cookie: 0x0009_0000_0000_0000n,
    after: ['hosts'],
    packetIn: (_sw, _msg, frame, decision) => {
      if (frame.ipv4?.proto === IP_PROTO.ICMP && frame.ipv4.src === '10.0.0.1') {
        decision.verdict = 'deny';
        decision.by = 'firewall';
        decision.match = { eth_type: ETH_TYPE.IPV4, ip_proto: IP_PROTO.ICMP, ipv4_src: '10.0.0.1' };
      }
      return 'continue';
    },
  };
  const { net } = await network((n, o) => linear(n, 2, o), OFP_VERSION_1_3, [denyIcmp]);
  assert.equal(net.ping('h1', 'h2'), false);
  assert.deepEqual(net.switches.get(1n)!.wouldOutput(1, icmpFrame(net.host('h1'), net.host('h2'))), []);
  assert.equal(net.host('h2').received.filter((d) => parseEthernet(d).icmp).length, 0);
  // Only the denied traffic is dropped: ARP went through both ways.
  const h1 = net.host('h1');
  const h2 = net.host('h2');
  assert.equal(h2.arpCache.get(h1.ip), h1.mac);
  assert.equal(h1.arpCache.get(h2.ip), h2.mac);
});

test('proxy ARP: a request for a known IPv4 address is answered by the controller', async () => {
  const { net } = await network((n, o) => linear(n, 3, o));
  assert.equal(net.ping('h3', 'h1'), true); // h1 and h3 now known with their IPv4 addresses
  const h2 = net.host('h2');
  const h3 = net.host('h3');
  h2.arpCache.clear();
  const h3Before = h3.received.length;
  net.sendFrom(h2, buildArpRequest({ senderMac: h2.mac, senderIp: h2.ip, targetIp: h3.ip }));
  net.run();
  assert.equal(h2.arpCache.get(h3.ip), h3.mac);
  assert.equal(h3.received.length, h3Before, 'the request was not flooded to h3');
});

test('proxy ARP off: requests are flooded and answered by the host', async () => {
  const { net } = await network((n, o) => linear(n, 3, o), OFP_VERSION_1_0, [], { proxyArp: false });
  assert.equal(net.ping('h3', 'h1'), true);
  const h3 = net.host('h3');
  net.host('h2').arpCache.clear(); // it overheard h3's broadcast
  const before = h3.received.length;
  assert.equal(net.ping('h2', 'h3'), true);
  assert.ok(
    h3.received.slice(before).some((d) => parseEthernet(d).arp?.op === 1),
    'h3 saw the request',
  );
});

test('link-local frames (01:80:c2:00:00:0x) are never flooded', async () => {
  const { net } = await network((n, o) => linear(n, 2, o));
  const h1 = net.host('h1');
  const copies = net.host('h2').received.length;
  net.sendFrom(
    h1,
    buildEthernet({ dst: '01:80:c2:00:00:00', src: h1.mac, ethType: 0x0026, payload: Buffer.alloc(40) }),
  );
  net.run();
  assert.equal(net.host('h2').received.length, copies);
});

for (const version of VERSIONS) {
  test(`idle flows expire and are re-learned; FLOW_REMOVED keeps the bookkeeping straight (OF 0x0${version})`, async () => {
    const { net, fwd } = await network((n, o) => ring(n, 4, o), version);
    assert.equal(net.ping('h1', 'h3'), true);
    assert.ok(fwd.stats().pathFlows > 0, 'multi-hop flows are tracked');
    net.advance(6000);
    for (const sw of net.switches.values()) assert.equal(sw.flows.filter((f) => f.idleTimeout > 0).length, 0);
    assert.equal(fwd.stats().pathFlows, 0, 'FLOW_REMOVED dropped every record');
    assert.equal(net.ping('h1', 'h3'), true);
    net.setLink(2n, 3, 3n, 2, false);
    assert.equal(net.ping('h1', 'h3'), true);
  });
}

for (const mode of ['l2', 'path'] as const) {
  test(`cbench-like load (${mode} mode, buffered packet-ins): every packet-in gets a FLOW_MOD or PACKET_OUT`, async () => {
    const net = new FakeNetwork();
    net.addSwitch(1n, 4, { buffering: true });
    const topology = new TopologyApp({ timers: false, quarantineMs: 0 });
    const hosts = new HostsApp({ timers: false, topology });
    const apps: App[] =
      mode === 'l2' ? [new ForwardingApp()] : [topology, hosts, new ForwardingApp({ topology, hosts })];
    await net.start(apps);
    net.connect(1n);
    const sw = net.switches.get(1n)!;
    assert.equal((apps.at(-1) as ForwardingApp).mode, mode);
    const dst = '80:00:00:00:00:01';
    // cbench first teaches the destination (a gratuitous ARP from port 2), then sends from cycling sources.
    net.addHost('learn', 0x800000000001, 1n, 2);
    const g = buildArpRequest({ senderMac: dst, senderIp: '192.168.1.40', targetIp: '192.168.1.40' });
    net.sendFrom(net.host('learn'), g);
    net.run();
    const sentBefore = sw.sent.filter((m) => m.type !== 'packet_out' || m.actions.length > 0).length;
    const N = 200;
    for (let i = 0; i < N; i++) {
      const src = `00:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      const ip = buildIpv4({
        src: '192.168.0.40',
        dst: '192.168.1.40',
        proto: IP_PROTO.UDP,
        payload: Buffer.alloc(16),
      });
      net.sendFrom(
        { ...net.host('learn'), port: 1 },
        buildEthernet({ dst, src, ethType: ETH_TYPE.IPV4, payload: ip }),
      );
    }
    net.run();
    const responses = sw.sent.slice(sentBefore).filter((m) => m.type === 'flow_mod' && m.command === 0);
    assert.equal(responses.length, N, 'one FLOW_MOD per packet-in');
    assert.equal(sw.pendingBuffers, 0, 'every buffered packet was released');
  });
}

test('tagged traffic gets flows that match its VLAN, not the untagged twin', async () => {
  const { net } = await network((n, o) => linear(n, 2, o), OFP_VERSION_1_3);
  const h1 = net.host('h1');
  const h2 = net.host('h2');
  net.sendFrom(h2, buildArpRequest({ senderMac: h2.mac, senderIp: h2.ip, targetIp: h2.ip })); // h2 is known
  net.run();
  const tagged = buildUdpFrame({
    ethSrc: h1.mac,
    ethDst: h2.mac,
    ipSrc: h1.ip,
    ipDst: h2.ip,
    srcPort: 5000,
    dstPort: 6000,
    vlan: { vid: 10 },
  });
  const before = h2.received.length;
  net.sendFrom(h1, tagged);
  net.run();
  assert.equal(parseEthernet(h2.received[before]).vlan?.vid, 10, 'delivered with its tag');
  const s1 = net.switches.get(1n)!;
  assert.deepEqual(s1.wouldOutput(1, tagged), [3]);
  const untagged = buildUdpFrame({
    ...{ ethSrc: h1.mac, ethDst: h2.mac, ipSrc: h1.ip, ipDst: h2.ip },
    srcPort: 1,
    dstPort: 2,
  });
  assert.equal(s1.wouldOutput(1, untagged), 'controller', 'the tagged flow does not catch untagged frames');
});

for (const version of VERSIONS) {
  test(`route constraint (OF 0x0${version}): a host's traffic avoids a switch both ways, back when cleared`, async () => {
    const { net, fwd } = await network((n, o) => ring(n, 4, o), version);
    assert.deepEqual(net.pingAll(), []);
    const [h1, h3] = [net.host('h1'), net.host('h3')];
    const s = (d: bigint) => net.switches.get(d)!;
    // Ring: si port 3 -> s(i+1) port 2, s4 port 3 -> s1 port 2, hosts on port 1. Unconstrained: via s2.
    assert.deepEqual(s(2n).wouldOutput(2, icmpFrame(h1, h3)), [3]);

    fwd.setRouteConstraint('rule-a', macTextToNum(h1.mac)!, { switches: new Set([2n]) });
    net.run();
    assert.notDeepEqual(s(2n).wouldOutput(2, icmpFrame(h1, h3)), [3], 'the old path flows are gone');
    assert.equal(net.ping('h1', 'h3'), true);
    assert.deepEqual(s(1n).wouldOutput(1, icmpFrame(h1, h3)), [2], 'h1 -> h3 leaves s1 towards s4');
    assert.deepEqual(s(4n).wouldOutput(3, icmpFrame(h1, h3)), [2]);
    assert.deepEqual(s(4n).wouldOutput(2, icmpFrame(h3, h1)), [3], 'the reply avoids s2 too');
    // Other hosts keep their routes: h2 is not constrained.
    assert.equal(net.ping('h2', 'h3'), true);

    // A link constraint on top: s1-s4 avoided as well leaves h1 no route to h3: dropped, not flooded.
    fwd.setRouteConstraint('rule-b', macTextToNum(h1.mac)!, {
      links: new Set([undirectedKey({ srcDpid: 1n, srcPort: 2, dstDpid: 4n, dstPort: 3 })]),
    });
    net.run();
    assert.equal(net.ping('h1', 'h3'), false);
    assert.deepEqual(
      fwd
        .routeConstraints()
        .map((c) => c.id)
        .sort(),
      ['rule-a', 'rule-b'],
    );

    assert.equal(fwd.clearRouteConstraint('rule-b'), true);
    assert.equal(fwd.clearRouteConstraint('rule-a'), true);
    assert.equal(fwd.clearRouteConstraint('rule-a'), false);
    net.run();
    assert.equal(net.ping('h1', 'h3'), true);
    assert.deepEqual(s(2n).wouldOutput(2, icmpFrame(h1, h3)), [3], 'back on the fewest-hop route via s2');
  });
}
