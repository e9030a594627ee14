/**
 * Service addresses in forwarding (the load-balance action's dataplane), on the fake network that executes the
 * flows: ARP for the address, connections translated to the member and back, new connections following a member
 * change while old ones stay, clean-up, drops instead of floods, and input errors naming the field. Both
 * OpenFlow versions; buffered and unbuffered packet-ins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ForwardingApp, serviceMac, type ServiceAddress } from '../../src/apps/forwarding/index.js';
import { HostsApp } from '../../src/apps/hosts/index.js';
import { TopologyApp } from '../../src/apps/topology/index.js';
import type { App } from '../../src/controller/index.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3, type OfVersion } from '../../src/openflow/index.js';
import {
  ETH_TYPE,
  IP_PROTO,
  buildArpRequest,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildTcp,
  buildUdpFrame,
  macTextToNum,
  parseEthernet,
  type EthernetFrame,
} from '../../src/packet/index.js';
import { ConflictError, FieldError } from '../../src/util/index.js';
import { FakeNetwork, linear, ring, type FakeHost } from './apps.fakenet.js';

const VERSIONS = [OFP_VERSION_1_0, OFP_VERSION_1_3] as const;
const VIP = '10.0.0.100';
const VMAC = serviceMac(VIP);
const SVC = 'hand:web';

/** linear,3 (hi on port 1 of si) unless `ring`, every host known to host tracking unless `quiet`. */
async function network(
  version: OfVersion,
  opts: { buffering?: boolean; quiet?: string[]; ring?: boolean; apps?: App[] } = {},
) {
  const net = new FakeNetwork();
  if (opts.ring) ring(net, 4, { version });
  else linear(net, 3, { version, buffering: opts.buffering });
  const topo = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology: topo });
  const fwd = new ForwardingApp({ topology: topo, hosts });
  await net.start([topo, hosts, fwd, ...(opts.apps ?? [])]);
  net.connectAll();
  net.advance(topo.quarantineMs);
  for (const h of net.hosts.values()) {
    if (opts.quiet?.includes(h.name)) continue;
    net.sendFrom(h, buildArpRequest({ senderMac: h.mac, senderIp: h.ip, targetIp: h.ip }));
  }
  net.run();
  const warnings: string[] = [];
  net.ctx.log = { ...net.ctx.log, warn: (_o, msg) => void warnings.push(msg ?? '') };
  // LLDP packet-ins keep their buffers (topology consumes them): what forwarding leaves is counted from here.
  const held = new Map([...net.switches].map(([d, sw]) => [d, sw.pendingBuffers]));
  const leftBuffers = () => [...net.switches].reduce((n, [d, sw]) => n + sw.pendingBuffers - held.get(d)!, 0);
  return { net, fwd, hosts, warnings, leftBuffers };
}

function service(member: string, extra: Partial<ServiceAddress> = {}): ServiceAddress {
  return { id: SVC, ip: VIP, port: 8080, member: { ip: member }, ...extra };
}

function tcp(a: { mac: string; ip: string }, dstMac: string, dstIp: string, sp: number, dp: number): Buffer {
  const ip = buildIpv4({ src: a.ip, dst: dstIp, proto: IP_PROTO.TCP, payload: buildTcp(sp, dp) });
  return buildEthernet({ dst: dstMac, src: a.mac, ethType: ETH_TYPE.IPV4, payload: ip });
}

/** Sends `frame` from `from`, runs the network; the frames each host got. */
function deliver(net: FakeNetwork, from: FakeHost, frame: Buffer): Map<string, EthernetFrame[]> {
  const before = new Map([...net.hosts].map(([n, h]) => [n, h.received.length]));
  net.sendFrom(from, frame);
  net.run();
  return new Map([...net.hosts].map(([n, h]) => [n, h.received.slice(before.get(n)).map(parseEthernet)]));
}

const tcpOnly = (fs: EthernetFrame[] | undefined) => (fs ?? []).filter((f) => f.tcp !== undefined);

/** h1 opens (or continues) connection h1:sp -> VIP:8080; returns which host got it, as it arrived. */
function connect(net: FakeNetwork, sp: number): { to: string[]; frame?: EthernetFrame } {
  const h1 = net.host('h1');
  const got = deliver(net, h1, tcp(h1, VMAC, VIP, sp, 8080));
  const to = [...got].filter(([, fs]) => tcpOnly(fs).length > 0).map(([n]) => n);
  return { to, frame: to.length === 1 ? tcpOnly(got.get(to[0]))[0] : undefined };
}

/** `member` answers h1's connection from port sp: what h1 receives. */
function answer(net: FakeNetwork, member: string, sp: number): EthernetFrame[] {
  const m = net.host(member);
  const h1 = net.host('h1');
  return tcpOnly(deliver(net, m, tcp(m, h1.mac, h1.ip, 8080, sp)).get('h1'));
}

for (const version of VERSIONS) {
  for (const buffering of [false, true]) {
    const name = `OF 0x0${version}${buffering ? ', buffered packet-ins' : ''}`;

    test(`service (${name}): ARP for the address is answered with the virtual MAC, not flooded`, async () => {
      const { net, fwd, leftBuffers } = await network(version, { buffering });
      fwd.setService(service(net.host('h2').ip));
      const got = deliver(
        net,
        net.host('h1'),
        buildArpRequest({ senderMac: net.host('h1').mac, senderIp: net.host('h1').ip, targetIp: VIP }),
      );
      assert.equal(net.host('h1').arpCache.get(VIP), VMAC);
      assert.equal(VMAC, '02:5c:0a:00:00:64');
      assert.equal(got.get('h2')!.length + got.get('h3')!.length, 0, 'no host saw the request');
      assert.equal(leftBuffers(), 0);
    });

    test(`service (${name}): a connection reaches the member rewritten, replies come back from the address`, async () => {
      const { net, fwd, leftBuffers } = await network(version, { buffering });
      const [h1, h2] = [net.host('h1'), net.host('h2')];
      // An ordinary h2 -> h1 path flow exists first: the reverse rewrite must win over it.
      assert.deepEqual(net.pingAll(), []);
      fwd.setService(service(h2.ip));
      const first = connect(net, 40000);
      assert.deepEqual(first.to, ['h2'], 'the first packet itself is delivered');
      assert.equal(first.frame!.dst, h2.mac);
      assert.equal(first.frame!.ipv4!.dst, h2.ip);
      assert.equal(first.frame!.ipv4!.src, h1.ip, 'the client address is kept');
      assert.equal(first.frame!.src, h1.mac);
      assert.equal(first.frame!.tcp!.dstPort, 8080);

      const pins = net.packetIns;
      const replies = answer(net, 'h2', 40000);
      assert.equal(replies.length, 1);
      assert.equal(replies[0].src, VMAC);
      assert.equal(replies[0].ipv4!.src, VIP);
      assert.equal(replies[0].tcp!.srcPort, 8080);
      assert.deepEqual(connect(net, 40000).to, ['h2']);
      assert.equal(net.packetIns, pins, 'both directions run on flows');
      assert.equal(fwd.services()[0].connections, 1);
      assert.equal(leftBuffers(), 0);
    });

    test(`service (${name}): new connections follow a member change, old ones keep their member`, async () => {
      const { net, fwd } = await network(version, { buffering });
      const [h2, h3] = [net.host('h2'), net.host('h3')];
      fwd.setService(service(h2.ip));
      assert.deepEqual(connect(net, 40000).to, ['h2']);
      assert.equal(fwd.setServiceMember(SVC, { ip: h3.ip }), true);
      const fresh = connect(net, 40001);
      assert.deepEqual(fresh.to, ['h3']);
      assert.equal(fresh.frame!.ipv4!.dst, h3.ip);
      assert.equal(answer(net, 'h3', 40001)[0]?.ipv4?.src, VIP);
      assert.deepEqual(connect(net, 40000).to, ['h2'], 'the old connection stays on h2');
      assert.equal(answer(net, 'h2', 40000)[0]?.ipv4?.src, VIP);
      assert.deepEqual(fwd.services(), [
        { id: SVC, ip: VIP, port: 8080, mac: VMAC, member: { ip: h3.ip }, connections: 2 },
      ]);

      // Idle connections go with their flows (FLOW_REMOVED keeps the count right); the next one picks h3.
      net.advance(fwd.idleTimeout * 1000 + 1000);
      assert.equal(fwd.services()[0].connections, 0);
      assert.deepEqual(connect(net, 40000).to, ['h3']);
    });
  }

  test(`service (OF 0x0${version}): clearService deletes every flow it installed`, async () => {
    const { net, fwd } = await network(version);
    const [h1, h2] = [net.host('h1'), net.host('h2')];
    const ordinary = () => [...net.switches.values()].reduce((n, sw) => n + sw.flows.length, 0);
    fwd.setService(service(h2.ip));
    const baseline = ordinary();
    assert.deepEqual(connect(net, 40000).to, ['h2']);
    assert.equal(answer(net, 'h2', 40000).length, 1);
    assert.ok(ordinary() > baseline);
    assert.equal(fwd.clearService(SVC), true);
    assert.equal(fwd.clearService(SVC), false);
    assert.equal(ordinary(), baseline, 'the switches are back to what they had');
    assert.deepEqual(fwd.services(), []);
    // h2's reply is no longer dressed as the service.
    const back = answer(net, 'h2', 40000);
    assert.equal(back[0]?.ipv4?.src, h2.ip);
    assert.equal(
      tcpOnly(deliver(net, h1, tcp(h1, VMAC, VIP, 40000, 8080)).get('h2')).length,
      0,
      'traffic to the old address no longer reaches the member',
    );
  });

  test(`service (OF 0x0${version}): an unknown member: dropped (never flooded), logged once, probed`, async () => {
    const { net, fwd, warnings, leftBuffers } = await network(version, { buffering: true, quiet: ['h3'] });
    fwd.setService(service('10.0.0.99'));
    for (const sp of [40000, 40001, 40002]) assert.deepEqual(connect(net, sp).to, [], `connection ${sp}`);
    assert.equal(warnings.filter((w) => /unknown to host tracking/.test(w)).length, 1);
    assert.equal(leftBuffers(), 0, 'buffers released');

    // A quiet member: the controller asks for it (ARP from the address), and its answer makes it known.
    fwd.setServiceMember(SVC, { ip: net.host('h3').ip });
    assert.deepEqual(connect(net, 40003).to, [], 'dropped while h3 is unknown');
    assert.equal(net.host('h3').arpCache.get(VIP), VMAC, 'h3 was asked, from the service address');
    assert.deepEqual(connect(net, 40004).to, ['h3']);
  });

  test(`service (OF 0x0${version}): a port service drops the address's other traffic; a portless one takes ICMP`, async () => {
    const { net, fwd } = await network(version);
    const [h1, h2] = [net.host('h1'), net.host('h2')];
    fwd.setService(service(h2.ip));
    const udp = buildUdpFrame({
      ethSrc: h1.mac,
      ethDst: VMAC,
      ipSrc: h1.ip,
      ipDst: VIP,
      srcPort: 5,
      dstPort: 53,
    });
    const other = deliver(net, h1, udp);
    assert.equal(other.get('h2')!.length + other.get('h3')!.length, 0, 'UDP to another port is dropped');
    const wrongPort = deliver(net, h1, tcp(h1, VMAC, VIP, 40000, 22));
    assert.equal(wrongPort.get('h2')!.length + wrongPort.get('h3')!.length, 0, 'another port is dropped');

    fwd.setService(service(h2.ip, { port: undefined }));
    const ip = buildIpv4({ src: h1.ip, dst: VIP, proto: IP_PROTO.ICMP, payload: buildIcmpEcho(8, 9, 1) });
    const got = deliver(
      net,
      h1,
      buildEthernet({ dst: VMAC, src: h1.mac, ethType: ETH_TYPE.IPV4, payload: ip }),
    );
    const reply = got.get('h1')!.find((f) => f.icmp?.type === 0);
    assert.ok(reply, 'h2 answered the ping');
    assert.equal(reply.ipv4!.src, VIP);
    assert.equal(reply.src, VMAC);
    assert.deepEqual(connect(net, 40000).to, ['h2'], 'and every TCP port');
  });

  test(`service (OF 0x0${version}): a member that moves loses its connections; the next packet finds it`, async () => {
    const { net, fwd } = await network(version);
    const s3 = net.switches.get(3n)!;
    s3.ports.set(4, { ...s3.ports.get(1)!, portNo: 4, name: 's3-eth4' });
    const h3 = net.host('h3');
    fwd.setService(service(h3.ip));
    assert.deepEqual(connect(net, 40000).to, ['h3']);
    net.moveHost('h3', 3n, 4);
    net.sendFrom(h3, buildArpRequest({ senderMac: h3.mac, senderIp: h3.ip, targetIp: h3.ip }));
    net.run();
    assert.equal(fwd.services()[0].connections, 0);
    assert.deepEqual(connect(net, 40000).to, ['h3']);
    assert.deepEqual(s3.wouldOutput(2, tcp(net.host('h1'), h3.mac, h3.ip, 40000, 8080)), [4]);
  });
}

for (const version of VERSIONS) {
  test(`service (OF 0x0${version}): a route constraint on the client keeps its connections off a switch`, async () => {
    const { net, fwd } = await network(version, { ring: true });
    const [h1, h3] = [net.host('h1'), net.host('h3')];
    const s = (d: bigint) => net.switches.get(d)!;
    fwd.setService(service(h3.ip));
    // Ring: si port 3 -> s(i+1) port 2, s4 port 3 -> s1 port 2. Unconstrained, s1 -> s3 goes by s2.
    assert.deepEqual(connect(net, 40000).to, ['h3']);
    assert.deepEqual(s(1n).wouldOutput(1, tcp(h1, VMAC, VIP, 40000, 8080)), [3]);
    fwd.setRouteConstraint('rule-a', macTextToNum(h1.mac)!, { switches: new Set([2n]) });
    assert.equal(fwd.services()[0].connections, 0, 'the constraint re-routes existing connections');
    assert.deepEqual(connect(net, 40000).to, ['h3']);
    assert.deepEqual(s(1n).wouldOutput(1, tcp(h1, VMAC, VIP, 40000, 8080)), [2], 'towards s4');
    assert.equal(answer(net, 'h3', 40000)[0]?.ipv4?.src, VIP);
    assert.deepEqual(
      s(2n).flows.filter((f) => f.match.tcp_src === 40000 || f.match.tcp_dst === 40000),
      [],
    );
  });
}

test('service: a switch on the way disconnects: the connection goes from the switches that remain', async () => {
  const { net, fwd } = await network(OFP_VERSION_1_3);
  fwd.setService(service(net.host('h3').ip));
  assert.deepEqual(connect(net, 40000).to, ['h3']);
  const ofConn = (d: bigint) =>
    net.switches.get(d)!.flows.filter((f) => f.match.tcp_src === 40000 || f.match.tcp_dst === 40000).length;
  assert.deepEqual([ofConn(1n), ofConn(2n), ofConn(3n)], [2, 2, 2], 'both directions on every hop');
  net.disconnect(2n);
  assert.equal(fwd.services()[0].connections, 0);
  assert.deepEqual([ofConn(1n), ofConn(3n)], [0, 0]);
});

test('service: an allow verdict narrows the connection, its mask does not widen the rewrite', async () => {
  // As the firewall's cached decision: allow 10.0.0.0/24 and tag the flows it causes.
  const allow: App = {
    name: 'firewall',
    cookie: 0x0009_0000_0000_0000n,
    after: ['hosts'],
    packetIn: (_sw, _msg, frame, decision) => {
      if (frame.ipv4) {
        decision.verdict = 'allow';
        decision.match = { eth_type: ETH_TYPE.IPV4, ipv4_dst: '10.0.0.0', ipv4_dst_mask: '255.255.255.0' };
        decision.notes = { forwarding: { cookieTag: 0x42n } };
      }
      return 'continue';
    },
  };
  const { net, fwd } = await network(OFP_VERSION_1_3, { apps: [allow] });
  const [h1, h3] = [net.host('h1'), net.host('h3')];
  fwd.setService(service(net.host('h2').ip));
  assert.deepEqual(connect(net, 40000).to, ['h2']);
  const ingress = net.switches.get(1n)!.lookup(1, parseEthernet(tcp(h1, VMAC, VIP, 40000, 8080)), 2)!;
  assert.equal(ingress.match.ipv4_dst, VIP);
  assert.equal(ingress.match.ipv4_dst_mask, undefined);
  assert.equal(ingress.cookie & 0xffffn, 0x42n, 'tagged for the deciding app');
  assert.equal(
    net.switches.get(1n)!.treat(1, tcp(h1, h3.mac, h3.ip, 40000, 8080)).rewrites,
    undefined,
    'traffic to another address of the /24 is not rewritten',
  );
});

test('setService: bad input is refused naming the field', async () => {
  const { fwd } = await network(OFP_VERSION_1_3);
  const member = { ip: '10.0.0.2' };
  const bad: [unknown, string][] = [
    [{ ip: VIP, member }, 'id'],
    [{ id: '', ip: VIP, member }, 'id'],
    [{ id: 'a', ip: '10.0.0.300', member }, 'ip'],
    [{ id: 'a', ip: '224.0.0.1', member }, 'ip'],
    [{ id: 'a', ip: VIP, port: 0, member }, 'port'],
    [{ id: 'a', ip: VIP, port: 65536, member }, 'port'],
    [{ id: 'a', ip: VIP, port: '80', member }, 'port'],
    [{ id: 'a', ip: VIP, mac: 'nope', member }, 'mac'],
    [{ id: 'a', ip: VIP, mac: '01:00:5e:00:00:01', member }, 'mac'],
    [{ id: 'a', ip: VIP }, 'member'],
    [{ id: 'a', ip: VIP, member: { ip: 'x' } }, 'member.ip'],
    [{ id: 'a', ip: VIP, member: { ip: VIP } }, 'member.ip'],
    [{ id: 'a', ip: VIP, member: { ip: '10.0.0.2', mac: 'ff:ff:ff:ff:ff:ff' } }, 'member.mac'],
    [{ id: 'a', ip: VIP, member: { ip: '10.0.0.2', port: 1 } }, 'member.port'],
    [{ id: 'a', ip: VIP, member, weight: 1 }, 'weight'],
  ];
  for (const [input, field] of bad) {
    assert.throws(
      () => fwd.setService(input as ServiceAddress),
      (e: unknown) => e instanceof FieldError && e.field === field,
      `${JSON.stringify(input)} names ${field}`,
    );
  }
  assert.deepEqual(fwd.services(), []);
  assert.throws(
    () => fwd.setServiceMember('a', { ip: '10.0.0.256' }),
    (e: unknown) => e instanceof FieldError && e.field === 'member.ip',
  );
  assert.equal(fwd.setServiceMember('nobody', { ip: '10.0.0.2' }), false);

  fwd.setService({ id: 'a', ip: VIP, port: 80, member });
  fwd.setService({ id: 'b', ip: VIP, port: 443, member }); // same address, another port: fine
  assert.throws(
    () => fwd.setService({ id: 'c', ip: VIP, port: 80, member }),
    (e: unknown) => e instanceof ConflictError && e.field === 'port',
  );
  assert.throws(
    () => fwd.setService({ id: 'c', ip: VIP, member }),
    (e: unknown) => e instanceof ConflictError && e.field === 'ip',
  );
  assert.throws(
    () => fwd.setService({ id: 'c', ip: VIP, port: 8080, mac: '02:00:00:00:00:01', member }),
    (e: unknown) => e instanceof ConflictError && e.field === 'mac',
  );
  assert.deepEqual(
    fwd.services().map((s) => `${s.id} ${s.ip}:${s.port}`),
    [`a ${VIP}:80`, `b ${VIP}:443`],
  );
});
