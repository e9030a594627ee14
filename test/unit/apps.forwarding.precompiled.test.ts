import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ForwardingApp } from '../../src/apps/forwarding/index.js';
import type { Outgoing } from '../../src/controller/index.js';
import { DEFAULT_PIPELINE } from '../../src/controller/index.js';
import type { App, Disposition, PacketDecision } from '../../src/controller/index.js';
import {
  OFPG_ANY,
  OFPP,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  type FlowMod,
  type OfVersion,
} from '../../src/openflow/index.js';
import { ETH_TYPE, IP_PROTO, buildEthernet, buildIpv4, buildUdpFrame } from '../../src/packet/index.js';
import { FakeNetwork } from './apps.fakenet.js';

/** Says 'allow' for everything with a match that narrows forwarding's flows to UDP. */
class NarrowingApp implements App {
  readonly name = 'firewall';
  readonly cookie = 0x7777n << 48n;
  packetIn(_sw: unknown, _msg: unknown, _f: unknown, d: PacketDecision): Disposition {
    d.verdict = 'allow';
    d.match = { eth_type: ETH_TYPE.IPV4, ip_proto: IP_PROTO.UDP };
    return 'continue';
  }
}

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

/** An L2-mode switch that knows B on port 2; returns the messages forwarding sends for a frame A -> B. */
async function flowFor(version: OfVersion, frame: Buffer, extra: App[] = []): Promise<Outgoing[]> {
  const net = new FakeNetwork();
  net.addSwitch(1n, 3, { version, buffering: true });
  const fwd = new ForwardingApp({ mode: 'l2' });
  await net.start([...extra, fwd]);
  net.connect(1n);
  const b = net.addHost('b', 0x0b, 1n, 2);
  net.sendFrom(
    b,
    buildEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: B, ethType: 0x88b5, payload: Buffer.alloc(46) }),
  );
  net.run();
  const out: Outgoing[] = [];
  const sw = net.switches.get(1n)!;
  fwd.setSink((o) => {
    out.push(o);
    sw.send(o.msg);
  });
  net.sendFrom({ ...b, name: 'a', mac: A, port: 1 }, frame);
  net.run();
  assert.equal(sw.pendingBuffers, 0, 'the buffered packet went out with the flow');
  return out.filter((o) => o.msg.type === 'flow_mod');
}

const udp = (vlan?: number) =>
  buildUdpFrame({
    ethSrc: A,
    ethDst: B,
    ipSrc: '10.0.0.1',
    ipDst: '10.0.0.2',
    srcPort: 1,
    dstPort: 2,
    vlan: vlan === undefined ? undefined : { vid: vlan },
  });

for (const version of [OFP_VERSION_1_0, OFP_VERSION_1_3] as const) {
  test(`forwarding (OF 0x0${version}): the reactive flow is precompiled and is the FLOW_MOD flowMod() would build`, async () => {
    const [o, ...rest] = await flowFor(version, udp());
    assert.equal(rest.length, 0);
    assert.ok(o.frame, 'sent as precompiled bytes');
    assert.equal(o.frame[0], version);
    const fm = o.msg as Omit<FlowMod, 'version' | 'xid'>;
    const fwd = new ForwardingApp();
    assert.deepStrictEqual(fm, {
      type: 'flow_mod',
      cookie: fwd.cookie,
      cookieMask: 0n,
      tableId: DEFAULT_PIPELINE.place('forwarding', 'paths', version).tableId,
      command: 0,
      idleTimeout: fwd.idleTimeout,
      hardTimeout: 0,
      priority: DEFAULT_PIPELINE.place('forwarding', 'paths', version).low,
      bufferId: fm.bufferId,
      outPort: OFPP.ANY,
      outGroup: OFPG_ANY,
      flags: 0,
      match: { in_port: 1, eth_src: A, eth_dst: B },
      instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
    });
    assert.notEqual(fm.bufferId, 0xffffffff, 'carries the packet-in buffer');
  });

  test(`forwarding (OF 0x0${version}): tagged or narrowed flows take the generic path`, async () => {
    const [tagged] = await flowFor(version, udp(7));
    assert.equal(tagged.frame, undefined);
    assert.deepStrictEqual(tagged.msg.type === 'flow_mod' && tagged.msg.match, {
      in_port: 1,
      eth_src: A,
      eth_dst: B,
      vlan_vid: 0x1000 | 7,
    });
    const ip = buildIpv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IP_PROTO.UDP, payload: Buffer.alloc(8) });
    const [narrowed] = await flowFor(
      version,
      buildEthernet({ dst: B, src: A, ethType: ETH_TYPE.IPV4, payload: ip }),
      [new NarrowingApp()],
    );
    assert.equal(narrowed.frame, undefined);
    assert.deepStrictEqual(narrowed.msg.type === 'flow_mod' && narrowed.msg.match, {
      eth_type: ETH_TYPE.IPV4,
      ip_proto: IP_PROTO.UDP,
      in_port: 1,
      eth_src: A,
      eth_dst: B,
    });
  });
}
