/**
 * The pipeline's precedence on the fake network: a packet that both a deny (firewall rule, ACL rule) and a
 * QoS policy match is dropped, on OpenFlow 1.0 (one table, priority bands) and 1.3 (filter, QoS, forwarding
 * tables); without the deny it passes, still marked by the QoS policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclApp } from '../../src/apps/acl/index.js';
import { FirewallApp } from '../../src/apps/firewall/index.js';
import { ForwardingApp } from '../../src/apps/forwarding/index.js';
import { HostsApp } from '../../src/apps/hosts/index.js';
import { QOS_APP_ID, placementFlow, type Placement } from '../../src/apps/qos/index.js';
import { TopologyApp } from '../../src/apps/topology/index.js';
import { appCookie, type App, type AppContext, type SwitchSession } from '../../src/controller/index.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3, type OfVersion } from '../../src/openflow/index.js';
import { parseEthernet } from '../../src/packet/index.js';
import type { Store } from '../../src/store/index.js';
import { FakeNetwork, linear } from './apps.fakenet.js';
import { tempStore } from './apps.testctx.js';

const EF_DSCP = 46;

/**
 * The QoS app's flows without its store and API: a ToS policy (EF) both ways between h1 and h2 on every
 * switch, through the real placementFlow. Ports are those of linear(2): hosts on port 1, s1:3 -- s2:2.
 */
function tosBothWays(ctx: () => AppContext): App {
  const cookie = appCookie(QOS_APP_ID);
  const towards = (dpid: bigint, dst: number) => (dpid === BigInt(dst) ? 1 : dpid === 1n ? 3 : 2);
  return {
    name: 'qos',
    cookie,
    desiredFlows: (sw: SwitchSession) =>
      [
        [1, 2],
        [2, 1],
      ].map(([src, dst], i) => {
        const p: Placement = {
          id: i + 1,
          name: `ef-${src}-${dst}`,
          dpid: sw.dpid,
          priority: 0xffff,
          match: { ethType: 0x800, ipSrc: `10.0.0.${src}`, ipDst: `10.0.0.${dst}` },
          action: { kind: 'service', service: 'EF' },
          tos: EF_DSCP << 2,
          outPort: towards(sw.dpid, dst),
        };
        return placementFlow(p, sw.version, cookie, ctx().pipeline.place('qos', 'policies', sw.version));
      }),
  };
}

async function network(version: OfVersion) {
  const net = new FakeNetwork();
  linear(net, 2, { version });
  (net.ctx as { store: Store }).store = tempStore();
  const topo = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology: topo });
  const fwd = new ForwardingApp({ topology: topo, hosts });
  const fw = new FirewallApp({ forwarding: fwd });
  const acl = new AclApp();
  await net.start([topo, hosts, fw, acl, tosBothWays(() => net.ctx), fwd]);
  net.connectAll();
  net.advance(topo.quarantineMs);
  return { net, fw, acl };
}

/** One ping h1 -> h2; true when it came back and h2 received the request marked EF. */
function markedPing(net: FakeNetwork): { ok: boolean; marked: boolean } {
  const h2 = net.host('h2');
  const before = h2.received.length;
  const ok = net.ping('h1', 'h2');
  const requests = h2.received
    .slice(before)
    .map((d) => parseEthernet(d))
    .filter((f) => f.icmp?.type === 8);
  return { ok, marked: requests.length > 0 && requests.every((f) => f.ipv4?.dscp === EF_DSCP) };
}

for (const version of [OFP_VERSION_1_0, OFP_VERSION_1_3] as const) {
  const v = version === OFP_VERSION_1_0 ? '1.0' : '1.3';

  test(`OF${v}: a QoS policy alone marks the traffic both ways`, async () => {
    const { net } = await network(version);
    assert.deepEqual(markedPing(net), { ok: true, marked: true });
  });

  test(`OF${v}: a firewall deny rule wins over a QoS policy matching the same packets`, async () => {
    const { net, fw } = await network(version);
    await fw.setEnabled(true);
    const deny = await fw.add({ 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.2', action: 'deny', priority: 0 });
    await fw.add({ action: 'allow', priority: 1 });
    assert.equal(markedPing(net).ok, false);
    await fw.delete(deny.id);
    assert.deepEqual(markedPing(net), { ok: true, marked: true });
  });

  test(`OF${v}: an ACL deny rule wins over a QoS policy matching the same packets`, async () => {
    const { net, acl } = await network(version);
    const deny = await acl.add({ 'src-ip': '10.0.0.1/32', 'dst-ip': '10.0.0.2/32', action: 'deny' });
    assert.equal(markedPing(net).ok, false);
    await acl.delete(deny.id);
    assert.deepEqual(markedPing(net), { ok: true, marked: true });
  });
}

test("OF1.3: the firewall's default deny (decided on packet-in) wins over a QoS policy", async () => {
  const { net, fw } = await network(OFP_VERSION_1_3);
  await fw.setEnabled(true);
  await fw.add({ 'dl-type': 'ARP', action: 'allow' });
  assert.equal(markedPing(net).ok, false);
  // The QoS flows are there; the packets never got past the filter stage.
  const s1 = net.switches.get(1n)!;
  assert.ok(s1.flows.some((f) => f.cookie >> 48n === BigInt(QOS_APP_ID)));
  await fw.add({ 'nw-proto': 'ICMP', action: 'allow' });
  assert.deepEqual(markedPing(net), { ok: true, marked: true });
});
