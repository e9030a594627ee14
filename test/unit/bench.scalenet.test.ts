import { test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decode, OFP_VERSION_1_0, OFP_VERSION_1_3, type OfVersion } from '../../src/openflow/index.js';
import { ARP_OP, ipv4NumToText, parseEthernet } from '../../src/packet/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { startScaleNet } from '../../bench/scalenet.js';
import {
  hostAnnouncement,
  isDiscoveryFrame,
  packetInBytes,
  OFPR_ACTION,
} from '../../bench/scalenet/frames.js';
import {
  mulberry32,
  peerTable,
  placeHosts,
  shapePairs,
  wiring,
  type Shape,
  type Wiring,
} from '../../bench/scalenet/wiring.js';
import { buildLldp } from '../../src/packet/index.js';
import { portCounters, txRate } from '../../bench/scalenet/traffic.js';
import { waitFor } from '../support/wait.js';

/** The real controller in this process, on free ports with a temporary store; stopped after the test. */
async function quietController(t: { after(fn: () => unknown): void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-scalenet-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = await startDaemon({
    openflow: { listen: '127.0.0.1', ports: [0] },
    api: { listen: '127.0.0.1', port: 0 },
    store: { backend: 'embedded', dataDir: dir },
    log: { level: 'silent', format: 'json' },
    version: '0.0.0',
  });
  t.after(() => d.stop());
  return d;
}

/** Switch indexes reachable from switch 0 over the pairs. */
function reachable(n: number, pairs: Array<[number, number]>): number {
  const adj = Array.from({ length: n }, () => [] as number[]);
  for (const [a, b] of pairs) {
    adj[a].push(b);
    adj[b].push(a);
  }
  const seen = new Set([0]);
  const todo = [0];
  while (todo.length) {
    for (const m of adj[todo.pop()!]) {
      if (seen.has(m)) continue;
      seen.add(m);
      todo.push(m);
    }
  }
  return seen.size;
}

test('shapes: link counts, connected, no self-loops or parallel cables', () => {
  const cases: Array<[Shape, number, number, object?]> = [
    ['linear', 10, 9],
    ['ring', 10, 10],
    ['ring', 2, 1],
    ['tree', 15, 14, { fanout: 2 }],
    ['tree', 500, 499, { fanout: 4 }],
    ['mesh', 50, 75, { degree: 3, seed: 7 }],
    ['linear', 1, 0],
  ];
  for (const [shape, n, links, extra] of cases) {
    const pairs = shapePairs({ shape, switches: n, ...extra });
    assert.equal(pairs.length, links, `${shape} ${n}`);
    assert.equal(reachable(n, pairs), n, `${shape} ${n} connected`);
    const keys = new Set(pairs.map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`));
    assert.equal(keys.size, pairs.length, `${shape} ${n}: a pair cabled twice`);
    assert.ok(
      pairs.every(([a, b]) => a !== b && a >= 0 && b >= 0 && a < n && b < n),
      shape,
    );
  }
  // Tree parents: switch i hangs below (i-1)/fanout.
  assert.deepEqual(shapePairs({ shape: 'tree', switches: 5, fanout: 3 }), [
    [0, 1],
    [0, 2],
    [0, 3],
    [1, 4],
  ]);
});

test('mesh is the same for the same seed and differs for another', () => {
  const a = shapePairs({ shape: 'mesh', switches: 30, seed: 3 });
  assert.deepEqual(shapePairs({ shape: 'mesh', switches: 30, seed: 3 }), a);
  assert.notDeepEqual(shapePairs({ shape: 'mesh', switches: 30, seed: 4 }), a);
  const r = mulberry32(1);
  for (let i = 0; i < 1000; i++) {
    const x = r();
    assert.ok(x >= 0 && x < 1);
  }
  // A small dense target stops at the complete graph.
  assert.equal(shapePairs({ shape: 'mesh', switches: 4, degree: 10 }).length, 6);
});

test('bad wiring options name the field', () => {
  assert.throws(() => shapePairs({ shape: 'ring', switches: 0 }), /switches: must be a whole number >= 1/);
  assert.throws(() => shapePairs({ shape: 'tree', switches: 4, fanout: 0 }), /fanout: must be/);
  assert.throws(() => shapePairs({ shape: 'mesh', switches: 4, degree: 1 }), /degree: must be >= 2/);
  assert.throws(() => shapePairs({ shape: 'star' as Shape, switches: 4 }), /shape: expected one of linear/);
  assert.throws(() => wiring({ shape: 'ring', switches: 3, dpidBase: 0n }), /dpidBase: must be >= 1/);
  const w = wiring({ shape: 'ring', switches: 3 });
  assert.throws(() => placeHosts(w, { hosts: -1 }), /hosts: must be a whole number/);
  assert.throws(() => placeHosts(w, { hosts: 3, hostPorts: 0 }), /hostPorts: must be a whole number >= 1/);
  assert.throws(
    () =>
      peerTable([
        [1n, 1, 2n, 1],
        [1n, 1, 3n, 1],
      ]),
    /port 1 of switch 1 is cabled twice/,
  );
});

test('wiring numbers link ports per switch from 1 and the peer table goes both ways', () => {
  const w = wiring({ shape: 'ring', switches: 4, dpidBase: 0x10n });
  assert.deepEqual(w.dpids, [0x10n, 0x11n, 0x12n, 0x13n]);
  assert.deepEqual(w.links, [
    [0x10n, 1, 0x11n, 1],
    [0x11n, 2, 0x12n, 1],
    [0x12n, 2, 0x13n, 1],
    [0x13n, 2, 0x10n, 2],
  ]);
  assert.deepEqual([...w.linkPorts.values()], [2, 2, 2, 2]);
  const peers = peerTable(w.links);
  for (const [a, pa, b, pb] of w.links) {
    assert.deepEqual(peers.get(a)!.get(pa), { dpid: b, port: pb });
    assert.deepEqual(peers.get(b)!.get(pb), { dpid: a, port: pa });
  }
  const tree = wiring({ shape: 'tree', switches: 7, fanout: 2 });
  // The root has two children; inner nodes a parent and two children; leaves one cable.
  assert.deepEqual([...tree.linkPorts.values()], [2, 3, 3, 1, 1, 1, 1]);
});

test('hosts: unique MAC and IPv4, spread over switches on edge ports only', () => {
  const w: Wiring = wiring({ shape: 'tree', switches: 500, fanout: 3 });
  const hosts = placeHosts(w, { hosts: 10_000, hostPorts: 4 });
  assert.equal(hosts.length, 10_000);
  assert.equal(new Set(hosts.map((h) => h.mac)).size, 10_000);
  assert.equal(new Set(hosts.map((h) => h.ipv4)).size, 10_000);
  const peers = peerTable(w.links);
  const perSwitch = new Map<bigint, number>();
  for (const h of hosts) {
    assert.match(h.mac, /^02:00:([0-9a-f]{2}:){3}[0-9a-f]{2}$/);
    const last = h.ipv4 & 0xff;
    assert.ok(last >= 1 && last <= 254, ipv4NumToText(h.ipv4));
    assert.equal(h.ipv4 >>> 24, 10);
    assert.equal(peers.get(h.dpid)?.has(h.port) ?? false, false, `host ${h.index} on a cabled port`);
    const linkPorts = w.linkPorts.get(h.dpid)!;
    assert.ok(h.port > linkPorts && h.port <= linkPorts + 4, `host ${h.index} port ${h.port}`);
    perSwitch.set(h.dpid, (perSwitch.get(h.dpid) ?? 0) + 1);
  }
  assert.deepEqual(new Set(perSwitch.values()), new Set([20]));
  assert.deepEqual(
    hosts.slice(0, 2).map((h) => [h.mac, ipv4NumToText(h.ipv4)]),
    [
      ['02:00:00:00:00:01', '10.0.0.1'],
      ['02:00:00:00:00:02', '10.0.0.2'],
    ],
  );
  assert.equal(ipv4NumToText(hosts[254].ipv4), '10.0.1.1');
});

test('frames: packet-ins decode on 1.0 and 1.3; host announcements are gratuitous ARP', () => {
  const w = wiring({ shape: 'linear', switches: 2 });
  const [h] = placeHosts(w, { hosts: 1 });
  const arp = hostAnnouncement(h);
  const eth = parseEthernet(arp);
  assert.equal(eth.src, h.mac);
  assert.equal(eth.dst, 'ff:ff:ff:ff:ff:ff');
  assert.equal(eth.arp?.op, ARP_OP.REQUEST);
  assert.equal(eth.arp?.spaNum, h.ipv4);
  assert.equal(eth.arp?.tpaNum, h.ipv4);
  assert.equal(eth.arp?.sha, h.mac);
  assert.equal(isDiscoveryFrame(arp), false);
  const lldp = buildLldp({ chassisDpid: 1n, portNo: 1 });
  assert.equal(isDiscoveryFrame(lldp), true);
  assert.equal(isDiscoveryFrame(Buffer.alloc(10)), false);
  for (const version of [OFP_VERSION_1_0, OFP_VERSION_1_3] as OfVersion[]) {
    const msg = decode(packetInBytes(version, 7, lldp, { reason: OFPR_ACTION, xid: 42 }));
    assert.equal(msg.type, 'packet_in');
    if (msg.type !== 'packet_in') return;
    assert.equal(msg.version, version);
    assert.equal(msg.xid, 42);
    assert.equal(msg.match.in_port, 7);
    assert.equal(msg.reason, OFPR_ACTION);
    assert.equal(msg.totalLen, lldp.length);
    assert.deepEqual(msg.data, lldp);
  }
});

test('traffic: counters grow steadily, and what leaves one end of a cable arrives at the other', () => {
  const w = wiring({ shape: 'ring', switches: 5 });
  const peers = peerTable(w.links);
  for (const [a, pa, b, pb] of w.links) {
    const at = (d: bigint, p: number, s: number) => portCounters(d, p, peers.get(d)?.get(p), s);
    assert.equal(at(a, pa, 10).txBytes, at(b, pb, 10).rxBytes);
    assert.equal(at(b, pb, 10).txBytes, at(a, pa, 10).rxBytes);
  }
  const rates = new Set<number>();
  for (const d of w.dpids) {
    for (let p = 1; p <= 6; p++) {
      const r = txRate(d, p);
      rates.add(r);
      assert.ok(r >= 0 && r <= 0.2 * 125_000_000, `rate ${r}`);
      const c1 = portCounters(d, p, undefined, 1.5);
      const c2 = portCounters(d, p, undefined, 6.5);
      assert.equal(c2.txBytes - c1.txBytes, BigInt(Math.floor(r * 6.5) - Math.floor(r * 1.5)));
      assert.ok(c2.rxBytes >= c1.rxBytes && c2.rxPackets >= c1.rxPackets && c2.txPackets >= c1.txPackets);
      assert.deepEqual([c2.durationSec, c2.durationNsec], [6, 500_000_000]);
    }
  }
  assert.ok(rates.size > 25, 'ports run at different rates');
  assert.equal(portCounters(1n, 1, undefined, -3).txBytes, 0n);
});

for (const version of [OFP_VERSION_1_0, OFP_VERSION_1_3] as OfVersion[]) {
  test(`scale net against the real controller (OpenFlow ${version === 1 ? '1.0' : '1.3'}): links both ways, hosts learned`, async (t) => {
    const d = await quietController(t);
    const progress: string[] = [];
    const net = await startScaleNet({
      port: d.openflowAddresses[0].port,
      shape: 'ring',
      switches: 6,
      hosts: 30,
      hostPorts: 2,
      version,
      connectConcurrency: 4,
      progress: (p) => progress.push(`${p.phase} ${p.done}/${p.total}`),
    });
    t.after(() => net.close());
    assert.deepEqual(progress, ['switches 4/6', 'switches 6/6', 'hosts 30/30']);
    const get = async <T>(p: string): Promise<T> => (await (await fetch(d.apiUrl + p)).json()) as T;
    const links = await waitFor(
      async () => {
        const l = await get<Array<{ direction: string }>>('/wm/topology/links/json');
        return l.length === 6 && l.every((x) => x.direction === 'bidirectional') && l;
      },
      { what: 'six bidirectional links', timeoutMs: 15_000, detail: () => `delivered ${net.delivered}` },
    );
    assert.equal(links.length, 6);
    const hosts = await waitFor(
      async () => {
        const h =
          await get<Array<{ mac: string; ipv4: string[]; attachmentPoints: unknown[] }>>('/api/v1/hosts');
        return h.length === 30 && h;
      },
      { what: '30 hosts', timeoutMs: 15_000 },
    );
    const byMac = new Map(hosts.map((h) => [h.mac, h]));
    for (const h of net.hosts) {
      const seen = byMac.get(h.mac);
      assert.ok(seen, h.mac);
      assert.deepEqual(seen.ipv4, [ipv4NumToText(h.ipv4)]);
      const dpid = h.dpid
        .toString(16)
        .padStart(16, '0')
        .replace(/(..)(?!$)/g, '$1:');
      assert.deepEqual(seen.attachmentPoints, [{ dpid, port: h.port }]);
    }
    // Live port counters: every port, traffic on each.
    const first = net.wiring.dpids[0];
    const ports = await get<Array<{ portNo: number; stats: { txBytes: number } | null }>>(
      `/api/v1/switches/${first}/ports`,
    );
    assert.equal(ports.length, net.wiring.linkPorts.get(first)! + 2);
    assert.ok(
      ports.every((p) => p.stats !== null && p.stats.txBytes >= 0),
      JSON.stringify(ports),
    );
    assert.ok(ports.some((p) => p.stats!.txBytes > 0));
    net.assertConnected();
    for (const s of net.switches.values()) {
      assert.equal(s.errorsReceived, 0, `switch ${s.dpid}: OFPT_ERRORs from the controller`);
      assert.ok(s.flowCount > 0, `switch ${s.dpid}: the controller's flows were installed`);
    }
    assert.ok(net.delivered >= 12, `delivered ${net.delivered}`);
  });
}

const SCALENET_CLI = path.join(path.dirname(new URL(import.meta.url).pathname), '../../bench/scalenet.js');

test('scalenet command: --help, bad flags named, --json figures, stops on SIGINT', async (t) => {
  const help = spawnSync(process.execPath, [SCALENET_CLI, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--switches N/);
  const bad: Array<[string[], RegExp]> = [
    [[], /--port: required/],
    [['--port', '6653', '--shape', 'star'], /--shape: expected one of linear, ring, tree, mesh, got "star"/],
    [['--port', '6653', '--of', '1.5'], /--of: expected 1.0 or 1.3, got "1.5"/],
    [['--port', '70000'], /--port: expected 1..65535/],
    [['--port', '6653', '--switches', '0'], /--switches: expected an integer >= 1/],
  ];
  for (const [args, message] of bad) {
    const r = spawnSync(process.execPath, [SCALENET_CLI, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }

  const d = await quietController(t);
  const args = ['--port', String(d.openflowAddresses[0].port), '--switches', '4', '--hosts', '8', '--json'];
  const child = spawn(process.execPath, [SCALENET_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const line = await waitFor(() => out.includes('\n') && out.split('\n')[0], {
    what: 'the --json line',
    timeoutMs: 15_000,
  });
  const figures = JSON.parse(line) as Record<string, number>;
  assert.deepEqual([figures.switches, figures.links, figures.hosts], [4, 3, 8]);
  assert.ok(figures.connectMs >= 0 && figures.hostsMs >= 0);
  // The last handshake answer may still be on its way to the controller.
  await waitFor(
    async () =>
      ((await (await fetch(`${d.apiUrl}/api/v1/health`)).json()) as { switches: number }).switches === 4,
    { what: '4 switches in /api/v1/health', timeoutMs: 10_000 },
  );
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
});
