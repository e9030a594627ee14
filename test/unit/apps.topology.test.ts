import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LinkGraph,
  TopologyApp,
  undirectedKey,
  type Link,
  type TopologyChange,
} from '../../src/apps/topology/index.js';
import type { App } from '../../src/controller/index.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3, type OfVersion, type PacketIn } from '../../src/openflow/index.js';
import { buildEthernet, buildLldp, ETH_TYPE, parseEthernet } from '../../src/packet/index.js';
import { FakeNetwork, linear, ring } from './apps.fakenet.js';

function link(a: number, pa: number, b: number, pb: number): Link {
  return { srcDpid: BigInt(a), srcPort: pa, dstDpid: BigInt(b), dstPort: pb };
}
function both(a: number, pa: number, b: number, pb: number): Link[] {
  return [link(a, pa, b, pb), link(b, pb, a, pa)];
}
/** Ring of 4 as Mininet wires it here: si port 3 -> s(i+1) port 2, s4 port 3 -> s1 port 2. */
const RING4 = [...both(1, 3, 2, 2), ...both(2, 3, 3, 2), ...both(3, 3, 4, 2), ...both(4, 3, 1, 2)];

async function started(
  n: number,
  shape: typeof linear,
  version: OfVersion = OFP_VERSION_1_0,
  extra: App[] = [],
) {
  const net = new FakeNetwork();
  shape(net, n, { version });
  const topo = new TopologyApp({ timers: false });
  await net.start([topo, ...extra]);
  net.connectAll();
  return { net, topo };
}

test('graph: shortest path breaks ties by lowest neighbour DPID, deterministically', () => {
  const g = new LinkGraph(RING4);
  // s1 -> s3 is two hops either way round; via s2 wins.
  assert.deepEqual(
    g.shortestPath(1n, 3n)?.map((l) => l.dstDpid),
    [2n, 3n],
  );
  assert.deepEqual(new LinkGraph([...RING4].reverse()).shortestPath(1n, 3n), g.shortestPath(1n, 3n));
  assert.deepEqual(g.shortestPath(1n, 4n)?.length, 1);
  assert.deepEqual(g.shortestPath(2n, 2n), []);
  assert.equal(g.shortestPath(1n, 9n), undefined);
});

test('graph: route lists every hop with in and out ports, and refuses hairpins', () => {
  const g = new LinkGraph(RING4);
  assert.deepEqual(g.route(1n, 1, 3n, 1), [
    { dpid: 1n, inPort: 1, outPort: 3 },
    { dpid: 2n, inPort: 2, outPort: 3 },
    { dpid: 3n, inPort: 2, outPort: 1 },
  ]);
  assert.deepEqual(g.route(2n, 1, 2n, 4), [{ dpid: 2n, inPort: 1, outPort: 4 }]);
  assert.equal(g.route(2n, 1, 2n, 1), undefined, 'same port in and out');
  assert.equal(g.route(1n, 3, 2n, 1), undefined, 'would leave by the port it came in on');
});

test('graph: a route constraint avoids a switch or a link (either direction), else there is no route', () => {
  const g = new LinkGraph(RING4);
  const via = (avoid: Parameters<LinkGraph['shortestPath']>[2]) =>
    g.shortestPath(1n, 3n, avoid)?.map((l) => l.dstDpid);
  assert.deepEqual(via({ switches: new Set([2n]) }), [4n, 3n], 'round the other side of the ring');
  assert.deepEqual(
    via({ links: new Set([undirectedKey(link(2, 2, 1, 3))]) }),
    [4n, 3n],
    'the reverse key too',
  );
  assert.deepEqual(via({ links: new Set([undirectedKey(link(4, 3, 1, 2))]) }), [2n, 3n], 'unaffected');
  assert.equal(via({ switches: new Set([2n, 4n]) }), undefined, 'both sides avoided: no route');
  assert.equal(via({ switches: new Set([3n]) }), undefined, 'an end switch cannot be avoided');
  assert.deepEqual(g.route(1n, 1, 3n, 1, { switches: new Set([2n]) }), [
    { dpid: 1n, inPort: 1, outPort: 2 },
    { dpid: 4n, inPort: 3, outPort: 2 },
    { dpid: 3n, inPort: 3, outPort: 1 },
  ]);
  assert.equal(g.route(2n, 1, 2n, 4, { switches: new Set([2n]) }), undefined);
  // The cached unconstrained search is untouched by constrained ones.
  assert.deepEqual(via(undefined), [2n, 3n]);
});

test('graph: the spanning tree of a ring leaves exactly one link out and reaches every switch', () => {
  const g = new LinkGraph(RING4);
  const t = g.spanningTree();
  assert.equal(t.length, 3);
  const reached = new Set<bigint>([1n, ...t.map((l) => l.dstDpid)]);
  assert.equal(reached.size, 4);
  const treePortCount = [1n, 2n, 3n, 4n].reduce((n, d) => n + g.treePorts(d).size, 0);
  assert.equal(treePortCount, 6, 'two ends per tree link');
  assert.deepEqual(g.clusters(), [[1n, 2n, 3n, 4n]]);
  assert.deepEqual(new LinkGraph([], [5n, 2n]).clusters(), [[2n], [5n]]);
});

for (const version of [OFP_VERSION_1_0, OFP_VERSION_1_3] as const) {
  test(`linear,4 (OF 0x0${version}): LLDP on connect finds 3 bidirectional links`, async () => {
    const { net, topo } = await started(4, linear, version);
    const links = topo.links();
    assert.equal(links.length, 3);
    assert.ok(links.every((l) => l.direction === 'bidirectional'));
    assert.deepEqual(
      links.map((l) => [l.srcDpid, l.srcPort, l.dstDpid, l.dstPort]),
      [
        [1n, 3, 2n, 2],
        [2n, 3, 3n, 2],
        [3n, 3, 4n, 2],
      ],
    );
    assert.equal(topo.isInterSwitchPort(2n, 2), true);
    assert.equal(topo.isInterSwitchPort(2n, 1), false);
    // The LLDP->controller flow is on every switch, above anything else.
    const lldp = buildLldp({ chassisDpid: 9n, portNo: 1 });
    for (const sw of net.switches.values()) assert.equal(sw.wouldOutput(1, lldp), 'controller');
  });
}

test('LLDP packet-ins stop at topology; other traffic continues down the pipeline', async () => {
  const seen: number[] = [];
  const spy: App = {
    name: 'spy',
    cookie: 0x00ff_0000_0000_0000n,
    after: ['topology'],
    packetIn: (_sw, _m, f) => {
      seen.push(f.ethType);
      return 'continue';
    },
  };
  const { net } = await started(2, linear, OFP_VERSION_1_0, [spy]);
  net.discover();
  assert.deepEqual(seen, [], 'no LLDP reached the next app');
  net.sendFrom(
    net.host('h1'),
    buildEthernet({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: net.host('h1').mac,
      ethType: 0x0800,
      payload: Buffer.alloc(20),
    }),
  );
  net.run();
  assert.deepEqual(seen, [0x0800]);
});

test("Floodlight's LLDP from a connected switch is learned too", async () => {
  const { net, topo } = await started(2, linear);
  net.uncable(1n, 3);
  net.advance(topo.timeoutMs + 1);
  net.discover();
  assert.equal(topo.links().length, 0);
  const tlvs = Buffer.concat([
    Buffer.from([0x02, 0x07, 4, 0, 0, 0, 0, 0, 1]),
    Buffer.from([0x04, 0x03, 2, 0x00, 0x03]),
    Buffer.from([0x06, 0x02, 0x00, 0x78]),
    Buffer.from([0xfe, 0x0c, 0x00, 0x26, 0xe1, 0x00, 0, 0, 0, 0, 0, 0, 0, 1]),
    Buffer.from([0x00, 0x00]),
  ]);
  const frame = buildEthernet({
    dst: '01:80:c2:00:00:0e',
    src: '00:00:00:00:01:03',
    ethType: ETH_TYPE.LLDP,
    payload: tlvs,
  });
  // Arrives at s2 port 2 as if s1 port 3 had sent it.
  topo.packetIn(net.switches.get(2n)!, { match: { in_port: 2 } } as PacketIn, parseEthernet(frame));
  assert.deepEqual(
    topo.directedLinks().map((l) => [l.srcDpid, l.srcPort, l.dstDpid, l.dstPort]),
    [[1n, 3, 2n, 2]],
  );
});

test('a silent link ages out after the timeout; LLDP keeps a live one (rounds on the fake clock)', async () => {
  const net = new FakeNetwork();
  linear(net, 3);
  const topo = new TopologyApp(); // its discovery rounds are timers on the controller's clock
  await net.start([topo]);
  net.connectAll();
  const changes: TopologyChange[] = [];
  topo.on('topology_changed', (c) => changes.push(c));
  net.uncable(2n, 3); // s2-s3 goes silent: no PORT_STATUS
  for (let t = 0; t <= topo.timeoutMs + topo.intervalMs; t += topo.intervalMs) {
    net.advance(topo.intervalMs); // the round's timer fires
    net.run(); // and its LLDP is delivered
  }
  assert.equal(topo.links().length, 1, 's1-s2 stays');
  assert.equal(changes.flatMap((c) => c.removed).length, 2, 'both directions of s2-s3 dropped');
  assert.equal(topo.isInterSwitchPort(3n, 2), false);
});

test('port down drops its links at once and reports the change', async () => {
  const { net, topo } = await started(4, ring);
  assert.equal(topo.links().length, 4);
  const changes: TopologyChange[] = [];
  topo.on('topology_changed', (c) => changes.push(c));
  net.setLink(1n, 3, 2n, 2, false);
  assert.equal(topo.links().length, 3);
  assert.equal(changes.flatMap((c) => c.removed).length, 2);
  assert.equal(topo.spanningTree().length, 3, 'the remaining line is the whole tree');
  net.setLink(1n, 3, 2n, 2, true); // port up: probed again at once
  assert.equal(topo.links().length, 4);
});

test('switch disconnect drops its links', async () => {
  const { net, topo } = await started(3, linear);
  net.disconnect(2n);
  assert.equal(topo.links().length, 0);
  assert.deepEqual(topo.clusters(), [[1n], [3n]]);
});

test('flood ports: host ports and tree ports only, quarantined ports held back after connect', async () => {
  const { net, topo } = await started(4, ring);
  const now = net.clock.t;
  assert.deepEqual(topo.floodPorts(1n, now), [], 'everything is quarantined right after connect');
  const later = now + topo.quarantineMs;
  const blocked = [1n, 2n, 3n, 4n].flatMap((d) =>
    [2, 3].filter((p) => !topo.floodPorts(d, later).includes(p)),
  );
  assert.equal(blocked.length, 2, 'one ring link blocked, at both ends');
  for (const d of [1n, 2n, 3n, 4n]) assert.ok(topo.floodPorts(d, later).includes(1), 'host port floods');
});
