/**
 * Cluster runtime views (issue 13), the pure parts: the records members publish (keys, values, reading them
 * back), and the merge of remote links and hosts into the topology and hosts apps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hostRecord,
  hostRecordKey,
  linkRecord,
  linkRecordKey,
  parseRuntimeEntry,
  runtimeKeyKind,
} from '../../src/apps/clusterviews/index.js';
import { HostsApp, type Host } from '../../src/apps/hosts/index.js';
import { TopologyApp, type TopologyChange, type TopologyLink } from '../../src/apps/topology/index.js';
import { clusterKeys } from '../../src/cluster/index.js';
import { FieldError } from '../../src/util/index.js';
import { FakeNetwork, linear } from './apps.fakenet.js';

const RT = clusterKeys('c1').runtime;

function tl(a: number, pa: number, b: number, pb: number, extra: Partial<TopologyLink> = {}): TopologyLink {
  return {
    srcDpid: BigInt(a),
    srcPort: pa,
    dstDpid: BigInt(b),
    dstPort: pb,
    firstSeen: 5,
    lastSeen: 5,
    ...extra,
  };
}

function host(mac: number, dpid: number, port: number, lastSeen: number, ipv4 = 0): Host {
  return { mac, vlan: 0, ipv4, dpid: BigInt(dpid), port, firstSeen: 1, lastSeen, moves: 0 };
}

test('records: a link and a host read back as they were published, keyed by kind, id and member', () => {
  const l = tl(1, 3, 0x1_0000_0002, 2, { latencyMs: 1.6, firstSeen: 1000 });
  const key = linkRecordKey(RT, l, 'm-a');
  assert.equal(key, '/clusters/c1/runtime/links/0000000000000001-3-0000000100000002-2/m-a');
  const rec = linkRecord(l, 'm-a');
  assert.equal(rec.srcDpid, '00:00:00:00:00:00:00:01');
  assert.equal(rec.latencyMs, 2, 'whole ms');
  assert.deepEqual(parseRuntimeEntry(RT, key, JSON.parse(JSON.stringify(rec)), 7777), {
    kind: 'link',
    member: 'm-a',
    link: { ...tl(1, 3, 0x1_0000_0002, 2), firstSeen: 1000, lastSeen: 7777, latencyMs: 2 },
  });

  const h = { ...host(0x0a0000000001, 2, 1, 900, 0x0a000001), vlan: 42, moves: 3 };
  const hkey = hostRecordKey(RT, h.mac, 'm-b');
  assert.equal(hkey, '/clusters/c1/runtime/hosts/0a:00:00:00:00:01/m-b');
  const hrec = hostRecord(h, 'm-b');
  assert.deepEqual(hrec.ipv4, ['10.0.0.1']);
  assert.deepEqual(parseRuntimeEntry(RT, hkey, JSON.parse(JSON.stringify(hrec)), 0), {
    kind: 'host',
    member: 'm-b',
    host: h,
  });
  assert.deepEqual(runtimeKeyKind(RT, hkey), { kind: 'host', member: 'm-b' });
});

test('records: what this version does not write is rejected naming the field; unknown kinds are not ours', () => {
  const l = tl(1, 3, 2, 2);
  const key = linkRecordKey(RT, l, 'm-a');
  const good = linkRecord(l, 'm-a');
  const bad = (k: string, v: unknown, field: string) =>
    assert.throws(
      () => parseRuntimeEntry(RT, k, v, 0),
      (err: unknown) => err instanceof FieldError && err.field === field,
      `${field}: ${JSON.stringify(v)}`,
    );
  bad(key, 'text', 'value');
  bad(key, null, 'value');
  bad(key, { ...good, member: 'm-b' }, 'member');
  bad(key, { ...good, srcDpid: 'switch one' }, 'srcDpid');
  bad(key, { ...good, srcPort: 0 }, 'srcPort');
  bad(key, { ...good, dstPort: 1.5 }, 'dstPort');
  bad(key, { ...good, firstSeen: '2026' }, 'firstSeen');
  bad(key, { ...good, latencyMs: -1 }, 'latencyMs');
  bad(key, { ...good, dstPort: 9 }, 'key');
  bad(`${RT}links/x/bad member`, { ...good, member: 'bad member' }, 'key');

  const h = host(1, 2, 1, 9);
  const hkey = hostRecordKey(RT, 1, 'm-a');
  const hgood = hostRecord(h, 'm-a');
  bad(hkey, { ...hgood, mac: 'nope' }, 'mac');
  bad(hkey, { ...hgood, mac: '00:00:00:00:00:02' }, 'key');
  bad(hkey, { ...hgood, ipv4: '10.0.0.1' }, 'ipv4');
  bad(hkey, { ...hgood, ipv4: ['10.0.0.300'] }, 'ipv4[0]');
  bad(hkey, { ...hgood, vlan: 4096 }, 'vlan');
  bad(hkey, { ...hgood, lastSeen: undefined }, 'lastSeen');

  assert.equal(parseRuntimeEntry(RT, `${RT}switches/1/m-a`, {}, 0), undefined, 'a kind of a newer version');
  assert.equal(parseRuntimeEntry(RT, `${RT}links/too/deep/m-a`, good, 0), undefined);
  assert.equal(runtimeKeyKind(RT, '/clusters/c2/runtime/links/x/m-a'), undefined, 'another cluster');
});

/** Switches connected (they learn their links at once) or not (nothing is learned here). */
async function topoOn(n: number, connect: boolean) {
  const net = new FakeNetwork();
  linear(net, n);
  const topo = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology: topo });
  await net.start([topo, hosts]);
  if (connect) net.connectAll();
  return { net, topo, hosts };
}

test('topology: remote links join the graph and the lists, go when deleted, and say so in events', async () => {
  const { topo } = await topoOn(3, false);
  const changes: TopologyChange[] = [];
  topo.on('topology_changed', (c) => changes.push(c));
  assert.equal(topo.route(1n, 1, 3n, 1), undefined, 'no links learned here');
  topo.updateRemoteLinks([
    ['k1', tl(1, 3, 2, 2)],
    ['k2', tl(2, 2, 1, 3)],
    ['k3', tl(2, 3, 3, 2)],
    ['k4', tl(3, 2, 2, 3)],
  ]);
  assert.deepEqual(topo.route(1n, 1, 3n, 1), [
    { dpid: 1n, inPort: 1, outPort: 3 },
    { dpid: 2n, inPort: 2, outPort: 3 },
    { dpid: 3n, inPort: 2, outPort: 1 },
  ]);
  assert.deepEqual(
    topo.links().map((l) => [l.srcDpid, l.srcPort, l.dstDpid, l.dstPort, l.direction]),
    [
      [1n, 3, 2n, 2, 'bidirectional'],
      [2n, 3, 3n, 2, 'bidirectional'],
    ],
  );
  assert.equal(topo.isInterSwitchPort(2n, 3), true);
  assert.deepEqual(topo.localLinks(), [], 'nothing of it is local');
  assert.equal(changes.length, 1);
  assert.equal(changes[0].added.length, 4);

  topo.updateRemoteLinks([], ['k3', 'k4', 'unknown']);
  assert.equal(topo.route(1n, 1, 3n, 1), undefined);
  assert.deepEqual(changes[1].removed, [
    { srcDpid: 2n, srcPort: 3, dstDpid: 3n, dstPort: 2 },
    { srcDpid: 3n, srcPort: 2, dstDpid: 2n, dstPort: 3 },
  ]);
});

test('topology: a link learned here wins over a remote one at either end', async () => {
  const { topo } = await topoOn(2, true); // s1:3 <-> s2:2 learned here
  assert.equal(topo.localLinks().length, 2);
  // Another member still has s1:3 going somewhere else (a stale word): it does not fit and is left out.
  topo.updateRemoteLinks([
    ['stale', tl(1, 3, 7, 1)],
    ['other', tl(7, 1, 8, 1)],
  ]);
  const links = topo.directedLinks().map((l) => `${l.srcDpid}:${l.srcPort}>${l.dstDpid}:${l.dstPort}`);
  assert.deepEqual(links.sort(), ['1:3>2:2', '2:2>1:3', '7:1>8:1']);
});

test('hosts: a remote host answers every query; the record seen last wins; events tell what changed', async () => {
  const { hosts } = await topoOn(3, false);
  const events: string[] = [];
  hosts.on('host_added', (h) => events.push(`added ${h.dpid}:${h.port}`));
  hosts.on('host_moved', (m) =>
    events.push(`moved ${m.from.dpid}:${m.from.port}>${m.host.dpid}:${m.host.port}`),
  );
  hosts.on('host_removed', (h) => events.push(`removed ${h.dpid}:${h.port}`));
  hosts.on('host_updated', (h) => events.push(`updated ${h.ipv4}`));

  hosts.updateRemoteHosts([['a/h1', host(1, 3, 1, 100, 0x0a000001)]]);
  assert.equal(hosts.byMacNum(1)?.dpid, 3n);
  assert.equal(hosts.byIpv4Num(0x0a000001)?.mac, 1);
  assert.equal(hosts.get('00:00:00:00:00:01')?.port, 1);
  assert.equal(hosts.size, 1);
  assert.deepEqual(
    hosts.find({ dpid: 3n }).map((h) => h.mac),
    [1],
  );
  assert.equal(hosts.localHost(1), undefined);

  // Learned here later, somewhere else: it moved, as far as anyone can tell.
  hosts.learn(1n, 1, 1, 0, 0x0a000001, 200);
  assert.equal(hosts.byMacNum(1)?.dpid, 1n);
  assert.equal(hosts.size, 1, 'one host, two records');
  // A newer remote word moves it back.
  hosts.updateRemoteHosts([['b/h1', host(1, 2, 1, 300, 0x0a000001)]]);
  assert.equal(hosts.byMacNum(1)?.dpid, 2n);
  assert.equal(hosts.find().length, 1);
  // The newer record goes (its member's lease ended): the local one is the word again.
  hosts.updateRemoteHosts([], ['b/h1']);
  assert.equal(hosts.byMacNum(1)?.dpid, 1n);
  hosts.updateRemoteHosts([['c/h9', host(9, 3, 1, 50, 0x0a000009)]]);
  hosts.updateRemoteHosts([['c/h9', host(9, 3, 1, 60, 0x0a00000a)]]);
  assert.equal(hosts.byIpv4Num(0x0a000009), undefined, 'the old address is free');
  assert.equal(hosts.byIpv4Num(0x0a00000a)?.mac, 9);
  hosts.updateRemoteHosts([], ['c/h9']);
  assert.equal(hosts.byMacNum(9), undefined);
  assert.deepEqual(events, [
    'added 3:1',
    'added 1:1',
    'moved 3:1>1:1',
    'moved 1:1>2:1',
    'moved 2:1>1:1',
    'added 3:1',
    `updated ${0x0a00000a}`,
    'removed 3:1',
  ]);
});
