import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DECIDED_BIT,
  FirewallApp,
  RULES_PREFIX,
  decide,
  dlTypeOfName,
  parseRule,
  ruleCookieTag,
  ruleIdOfCookie,
  sortRules,
  parseSubnetMask,
  RuleError,
  type FirewallRule,
} from '../../src/apps/firewall/index.js';
import { ForwardingApp } from '../../src/apps/forwarding/index.js';
import { HostsApp } from '../../src/apps/hosts/index.js';
import { TopologyApp } from '../../src/apps/topology/index.js';
import { APP_COOKIE_MASK } from '../../src/controller/index.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3, type OfVersion } from '../../src/openflow/index.js';
import {
  ETH_TYPE,
  IP_PROTO,
  buildArpRequest,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildTcp,
  buildUdp,
  parseEthernet,
} from '../../src/packet/index.js';
import type { Store } from '../../src/store/index.js';
import { AppError, ConflictError, NotFoundError } from '../../src/util/index.js';
import { FakeNetwork, linear, type FakeHost } from './apps.fakenet.js';
import { tempStore } from './apps.testctx.js';

const MASK = parseSubnetMask('255.255.255.0')!;

function rules(...bodies: Record<string, unknown>[]): FirewallRule[] {
  return sortRules(bodies.map((b, i) => ({ ...parseRule(b), id: i + 1 })));
}

function tcpFrame(src: string, dst: string, sport: number, dport: number, proto: number = IP_PROTO.TCP) {
  const l4 = proto === IP_PROTO.TCP ? buildTcp(sport, dport) : buildUdp(sport, dport);
  const ip = buildIpv4({ src, dst, proto, payload: l4 });
  return parseEthernet(
    buildEthernet({
      dst: '00:00:00:00:00:02',
      src: '00:00:00:00:00:01',
      ethType: ETH_TYPE.IPV4,
      payload: ip,
    }),
  );
}

function icmpFrameOf(a: FakeHost, b: FakeHost): Buffer {
  const ip = buildIpv4({ src: a.ip, dst: b.ip, proto: IP_PROTO.ICMP, payload: buildIcmpEcho(8, 1, 1) });
  return buildEthernet({ dst: b.mac, src: a.mac, ethType: ETH_TYPE.IPV4, payload: ip });
}

function tcpFrameOf(a: FakeHost, b: FakeHost, sport: number, dport: number): Buffer {
  const ip = buildIpv4({ src: a.ip, dst: b.ip, proto: IP_PROTO.TCP, payload: buildTcp(sport, dport) });
  return buildEthernet({ dst: b.mac, src: a.mac, ethType: ETH_TYPE.IPV4, payload: ip });
}

// ---------------------------------------------------------------------------------------- validation

test('parseRule: Floodlight keys, strings or numbers, implied dl-type, defaults', () => {
  const r = parseRule({ 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.0/24', 'nw-proto': 'tcp', 'tp-dst': 5201 });
  assert.equal(r.dlType, 0x0800);
  assert.deepEqual(r.srcIp, { addr: 0x0a000001, bits: 32 });
  assert.deepEqual(r.dstIp, { addr: 0x0a000000, bits: 24 });
  assert.equal(r.nwProto, 6);
  assert.equal(r.tpDst, 5201);
  assert.equal(r.action, 'allow');
  assert.equal(r.priority, 0);
  // Key order never matters (Floodlight issue 590): tp-dst before nw-proto is fine.
  assert.equal(parseRule({ 'tp-dst': '80', 'nw-proto': 'UDP' }).tpDst, 80);
  // "" and ANY are "not given".
  assert.equal(parseRule({ 'src-mac': 'ANY', 'src-ip': '' }).srcMac, undefined);
  assert.equal(parseRule({ 'dl-type': 'ARP', 'src-ip': '10.0.0.1' }).dlType, 0x0806);
  assert.equal(parseRule({ action: 'DROP', switchid: '1' }).action, 'deny');
  assert.equal(parseRule({ switchid: '00:00:00:00:00:00:00:02' }).dpid, 2n);
});

const BAD: [Record<string, unknown>, string][] = [
  [{ 'src-port': 1 }, 'src-port'],
  [{ 'src-ip': '10.0.0.300' }, 'src-ip'],
  [{ 'dst-ip': '10.0.0.0/33' }, 'dst-ip'],
  [{ 'src-mac': '00:11:22:33:44' }, 'src-mac'],
  [{ 'tp-src': 80 }, 'tp-src'],
  [{ 'nw-proto': 'ICMP', 'tp-dst': 80 }, 'tp-dst'],
  [{ action: 'maybe' }, 'action'],
  [{ priority: 'high' }, 'priority'],
  [{ priority: -1 }, 'priority'],
  [{ switchid: 'switch-1' }, 'switchid'],
  [{ 'src-inport': 0 }, 'src-inport'],
  [{ 'dl-type': 'ARP', 'nw-proto': 'TCP' }, 'nw-proto'],
  [{ 'dl-type': '0x86dd', 'src-ip': '10.0.0.1' }, 'src-ip'],
  [{ 'nw-proto': 256 }, 'nw-proto'],
  [{ action: true }, 'action'],
  [{ ruleid: 0 }, 'ruleid'],
];

for (const [body, field] of BAD) {
  test(`parseRule rejects ${JSON.stringify(body)} naming ${field}`, () => {
    assert.throws(
      () => parseRule(body),
      (e: unknown) => e instanceof RuleError && e.field === field && e.code === 'SLU_RULE_INVALID',
    );
  });
}

test('parseRule rejects a body that is not an object', () => {
  for (const b of [null, [], 'x', 3]) {
    assert.throws(
      () => parseRule(b),
      (e: unknown) => e instanceof RuleError && e.field === 'body',
    );
  }
});

// ---------------------------------------------------------------------------------------- decisions

test('decide: ascending priority, newest first among equals, default deny', () => {
  const set = rules(
    { 'nw-proto': 'TCP', action: 'allow', priority: 5 },
    { 'nw-proto': 'TCP', 'tp-dst': 5201, action: 'deny', priority: 1 },
  );
  const p = (dport: number) => ({
    dpid: 1n,
    inPort: 1,
    frame: tcpFrame('10.0.0.1', '10.0.0.2', 40000, dport),
  });
  assert.equal(decide(set, p(5201), MASK).action, 'deny');
  assert.equal(decide(set, p(5201), MASK).rule?.id, 2);
  assert.equal(decide(set, p(22), MASK).action, 'allow');
  assert.equal(decide(set, p(22), MASK).rule?.id, 1);
  const udp = { dpid: 1n, inPort: 1, frame: tcpFrame('10.0.0.1', '10.0.0.2', 1, 2, IP_PROTO.UDP) };
  assert.deepEqual([decide(set, udp, MASK).action, decide(set, udp, MASK).reason], ['deny', 'default']);
  // Equal priority: the newer rule (higher id) is evaluated first.
  const tie = rules({ 'nw-proto': 'TCP', action: 'allow' }, { 'nw-proto': 'TCP', action: 'deny' });
  assert.equal(decide(tie, p(22), MASK).rule?.id, 2);
});

test('decide (issue 854): an allow cached for ICMP never covers a denied TCP port', () => {
  const set = rules(
    { 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.2', 'nw-proto': 'ICMP', action: 'allow', priority: 10 },
    { 'nw-proto': 'TCP', 'tp-dst': 5201, action: 'deny', priority: 1 },
    { 'nw-proto': 'TCP', action: 'allow', priority: 20 },
  );
  const icmp = parseEthernet(
    buildEthernet({
      dst: '00:00:00:00:00:02',
      src: '00:00:00:00:00:01',
      ethType: ETH_TYPE.IPV4,
      payload: buildIpv4({
        src: '10.0.0.1',
        dst: '10.0.0.2',
        proto: IP_PROTO.ICMP,
        payload: buildIcmpEcho(8, 1, 1),
      }),
    }),
  );
  const d = decide(set, { dpid: 1n, inPort: 1, frame: icmp }, MASK);
  assert.equal(d.action, 'allow');
  // The deny rule above it tests nw-proto and tp-dst, so the cached match pins the protocol (ICMP).
  assert.equal(d.match?.ip_proto, IP_PROTO.ICMP);
  assert.equal(d.match?.ipv4_src, '10.0.0.1');
  // An allowed TCP port gets a flow pinned to that port: it cannot carry port 5201.
  const tcp = decide(set, { dpid: 1n, inPort: 1, frame: tcpFrame('10.0.0.1', '10.0.0.2', 40000, 22) }, MASK);
  assert.equal(tcp.action, 'allow');
  assert.equal(tcp.match?.tcp_dst, 22);
  assert.equal(tcp.match?.ip_proto, IP_PROTO.TCP);
});

test('decide: rules only name their fields; fields of rules after the decider are not pinned', () => {
  const set = rules(
    { 'dl-type': 'ARP', action: 'allow', priority: 0 },
    { 'nw-proto': 'TCP', 'tp-dst': 80, priority: 9 },
  );
  const arp = parseEthernet(
    buildArpRequest({ senderMac: '00:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' }),
  );
  // Broadcast ARP is allowed without a rule (Floodlight) and is not cached.
  const b = decide(set, { dpid: 1n, inPort: 1, frame: arp }, MASK);
  assert.deepEqual([b.action, b.reason, b.match], ['allow', 'broadcast', undefined]);
  const tcp = decide(set, { dpid: 1n, inPort: 1, frame: tcpFrame('10.0.0.1', '10.0.0.2', 1, 80) }, MASK);
  assert.equal(tcp.rule?.id, 2);
  assert.deepEqual(tcp.match, {
    eth_src: '00:00:00:00:00:01',
    eth_dst: '00:00:00:00:00:02',
    eth_type: 0x0800,
    ip_proto: 6,
    tcp_dst: 80,
  });
});

test('decide: rules for another switch neither match nor widen; src-inport pins in_port', () => {
  const set = rules({ switchid: '2', action: 'deny' }, { 'src-inport': 3, action: 'allow', priority: 1 });
  const f = tcpFrame('10.0.0.1', '10.0.0.2', 1, 80);
  assert.equal(decide(set, { dpid: 1n, inPort: 3, frame: f }, MASK).match?.in_port, 3);
  assert.equal(decide(set, { dpid: 1n, inPort: 3, frame: f }, MASK).action, 'allow');
  assert.equal(decide(set, { dpid: 2n, inPort: 3, frame: f }, MASK).action, 'deny');
});

test('decide: an IPv4 broadcast to a non-broadcast address of the subnet is denied (malformed)', () => {
  const frame = parseEthernet(
    buildEthernet({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '00:00:00:00:00:01',
      ethType: ETH_TYPE.IPV4,
      payload: buildIpv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IP_PROTO.UDP, payload: buildUdp(1, 2) }),
    }),
  );
  assert.equal(decide([], { dpid: 1n, inPort: 1, frame }, MASK).reason, 'malformed-broadcast');
});

test('cookie tags: one per rule, the default deny is 0, untagged cookies name no rule', () => {
  assert.equal(ruleCookieTag(7), DECIDED_BIT | 7n);
  assert.equal(ruleIdOfCookie(0x0004_0000_0000_0000n | ruleCookieTag(7)), 7);
  assert.equal(ruleIdOfCookie(ruleCookieTag(undefined)), 0);
  assert.equal(ruleIdOfCookie(0x0003_0000_0000_0000n), undefined);
  assert.equal(ruleCookieTag(0x7fffffff) & APP_COOKIE_MASK, 0n);
});

// ---------------------------------------------------------------------------------------- fake network

async function firewalled(version: OfVersion) {
  const net = new FakeNetwork();
  linear(net, 2, { version });
  const store = tempStore();
  (net.ctx as { store: Store }).store = store;
  const topo = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology: topo });
  const fwd = new ForwardingApp({ topology: topo, hosts });
  const fw = new FirewallApp({ forwarding: fwd });
  await net.start([topo, hosts, fw, fwd]);
  net.connectAll();
  net.advance(topo.quarantineMs);
  return { net, fw, fwd, store };
}

function delivered(net: FakeNetwork, from: string, to: string, frame: Buffer): boolean {
  const dst = net.host(to);
  const before = dst.received.length;
  net.sendFrom(net.host(from), frame);
  net.run();
  return dst.received.slice(before).some((d) => d.equals(frame));
}

const ALLOW_PING = [
  { 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.2', 'nw-proto': 'ICMP', action: 'allow' },
  { 'src-ip': '10.0.0.2', 'dst-ip': '10.0.0.1', 'nw-proto': 'ICMP', action: 'allow' },
  { 'dl-type': 'ARP', action: 'allow' },
];

for (const version of [OFP_VERSION_1_0, OFP_VERSION_1_3] as const) {
  test(`fake network (OF 0x0${version}): disabled passes all; enabled denies by default`, async () => {
    const { net, fw } = await firewalled(version);
    assert.equal(fw.enabled, false);
    assert.equal(net.ping('h1', 'h2'), true);
    await fw.setEnabled(true);
    assert.equal(net.ping('h1', 'h2'), false);
  });

  test(`fake network (OF 0x0${version}): issue 854 - a denied TCP port stays denied after a ping`, async () => {
    const { net, fw } = await firewalled(version);
    await fw.setEnabled(true);
    for (const r of ALLOW_PING) await fw.add(r);
    await fw.add({ 'nw-proto': 'TCP', 'tp-dst': 22, action: 'allow' });
    const deny = await fw.add({ 'nw-proto': 'TCP', 'tp-dst': 5201, action: 'deny' });
    assert.equal(net.ping('h1', 'h2'), true);
    const [h1, h2] = [net.host('h1'), net.host('h2')];
    assert.equal(delivered(net, 'h1', 'h2', tcpFrameOf(h1, h2, 40000, 5201)), false);
    assert.equal(delivered(net, 'h1', 'h2', tcpFrameOf(h1, h2, 40001, 22)), true);
    // The ping's flows are still there and still carry ICMP only.
    assert.equal(net.switches.get(1n)!.wouldOutput(1, icmpFrameOf(h1, h2)).length, 1);
    assert.deepEqual(net.switches.get(1n)!.wouldOutput(1, tcpFrameOf(h1, h2, 40000, 5201)), []);
    // Deleting the deny rule removes exactly its flows: port 5201 now follows the default (deny), the ping's
    // and port 22's flows stay.
    const fwRule = deny.id;
    await fw.delete(fwRule);
    const s1 = net.switches.get(1n)!;
    assert.equal(s1.flows.filter((f) => ruleIdOfCookie(f.cookie) === fwRule).length, 0);
    assert.ok(s1.flows.some((f) => ruleIdOfCookie(f.cookie) === 1));
    assert.equal(s1.wouldOutput(1, icmpFrameOf(h1, h2)).length, 1);
  });

  test(`fake network (OF 0x0${version}): deleting an allow rule removes its flows; traffic is denied again`, async () => {
    const { net, fw } = await firewalled(version);
    await fw.setEnabled(true);
    for (const r of ALLOW_PING) await fw.add(r);
    const web = await fw.add({ 'nw-proto': 'TCP', 'tp-dst': 80, action: 'allow' });
    const [h1, h2] = [net.host('h1'), net.host('h2')];
    assert.equal(net.ping('h1', 'h2'), true);
    assert.equal(delivered(net, 'h1', 'h2', tcpFrameOf(h1, h2, 40000, 80)), true);
    const s1 = net.switches.get(1n)!;
    assert.ok(s1.flows.some((f) => ruleIdOfCookie(f.cookie) === web.id));
    await fw.delete(web.id);
    for (const sw of net.switches.values()) {
      assert.equal(sw.flows.filter((f) => ruleIdOfCookie(f.cookie) === web.id).length, 0);
    }
    assert.equal(delivered(net, 'h1', 'h2', tcpFrameOf(h1, h2, 40000, 80)), false);
    assert.equal(net.ping('h1', 'h2'), true); // no stale deny either: the other rules' flows were kept
  });
}

test('fake network (OF1.3): enabling flushes forwarding flows made while disabled (they are too wide)', async () => {
  const { net, fw } = await firewalled(OFP_VERSION_1_3);
  assert.equal(net.ping('h1', 'h2'), true);
  const [h1, h2] = [net.host('h1'), net.host('h2')];
  assert.equal(net.switches.get(1n)!.wouldOutput(1, tcpFrameOf(h1, h2, 1, 5201)).length, 1);
  await fw.setEnabled(true);
  await fw.add({ 'nw-proto': 'TCP', 'tp-dst': 5201, action: 'deny' });
  assert.equal(delivered(net, 'h1', 'h2', tcpFrameOf(h1, h2, 1, 5201)), false);
  await fw.setEnabled(false);
  assert.equal(delivered(net, 'h1', 'h2', tcpFrameOf(h1, h2, 1, 5201)), true);
});

test('rules and the enabled flag survive a restart (store); invalid stored rules are skipped', async () => {
  const { fw, store } = await firewalled(OFP_VERSION_1_3);
  await fw.setEnabled(true);
  const r = await fw.add({ 'src-ip': '10.0.0.0/8', action: 'deny', priority: 3 });
  await store.put(`${RULES_PREFIX}99`, { ruleid: '99', 'tp-src': '1' });
  const again = new FirewallApp();
  const net = new FakeNetwork();
  (net.ctx as { store: Store }).store = store;
  await net.start([again]);
  assert.equal(again.enabled, true);
  assert.deepEqual(again.list(), [r]);
  const next = await again.add({ 'dst-ip': '10.0.0.1' });
  assert.equal(next.id, r.id + 1);
});

test('add/delete errors leave the store unchanged: 409 similar rule, 404 unknown id, 400 bad id', async () => {
  const { fw, store } = await firewalled(OFP_VERSION_1_3);
  await fw.add({ 'src-ip': '10.0.0.1' });
  const before = await store.list(RULES_PREFIX);
  const fails: [() => Promise<unknown>, typeof AppError, string][] = [
    [() => fw.add({ 'src-ip': '10.0.0.1/32', priority: 4 }), ConflictError, 'body'],
    [() => fw.add({ 'src-ip': 'nope' }), RuleError, 'src-ip'],
    [() => fw.delete(42), NotFoundError, 'ruleid'],
    [() => fw.delete('x'), RuleError, 'ruleid'],
    [() => fw.delete(undefined), RuleError, 'ruleid'],
    [() => fw.setSubnetMask('255.0.255.0'), RuleError, 'subnet-mask'],
  ];
  for (const [fn, kind, field] of fails) {
    await assert.rejects(fn, (e: unknown) => e instanceof kind && (e as AppError).field === field);
  }
  assert.deepEqual(await store.list(RULES_PREFIX), before);
});

test('dlTypeOfName: IPv4 and ARP in any case, nothing else', () => {
  assert.deepEqual(['IPv4', 'ipv4', 'ARP', 'arp', 'ipv6', '0x0800', 'constructor'].map(dlTypeOfName), [
    0x800,
    0x800,
    0x806,
    0x806,
    undefined,
    undefined,
    undefined,
  ]);
  assert.equal(parseRule({ 'dl-type': 'Arp' }).dlType, 0x806);
});
