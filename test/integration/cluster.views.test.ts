/**
 * The same runtime views on every member of a cluster (issue 13) on real parts: an etcd, three `sluice
 * controller --cluster-id` processes and a Mininet linear,3 whose switches connect to all three. Mastership
 * spreads the switches over the members, so each member only learns the links and hosts of its own switches;
 * through the store every member answers /api/v1/links, /wm/topology/links/json and /api/v1/hosts the same,
 * and a ping between hosts on switches of different masters works hop by hop (each master handles the
 * packet-ins of its own switches, with paths computed on the shared views).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlClusterView } from '../../src/client/index.js';
import { startEtcdCluster, type TestEtcdCluster } from '../support/etcd.js';
import {
  ensureOvs,
  MininetNet,
  sluiceCliJson,
  sluiceEtcdCommand,
  startController,
  waitFor,
  type RunningController,
} from './harness/index.js';

const PREFIX = '/sluice-views';
const CLUSTER = 'it-views';
const MEMBERS = ['v0', 'v1', 'v2'];

let etcd: TestEtcdCluster;
let net: MininetNet;
const ctls: RunningController[] = [];

before(async () => {
  await ensureOvs();
  etcd = await startEtcdCluster({ members: 1 });
  for (const id of MEMBERS) {
    ctls.push(
      await startController({
        command: sluiceEtcdCommand(etcd.endpoints[0], PREFIX, ['--cluster-id', CLUSTER, '--member-id', id]),
      }),
    );
  }
  net = await MininetNet.start({
    topo: 'linear,3',
    controllers: ctls.map((c) => ({ port: c.openflowPort })),
    waitConnected: true,
  });
});

after(async () => {
  await net?.stop();
  for (const c of ctls) await c.stop();
  await etcd?.stop();
});

async function get<T>(c: RunningController, path: string): Promise<T> {
  const res = await fetch(`${c.apiUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200, `${path} on ${c.apiUrl}`);
  return (await res.json()) as T;
}

const dpidText = (hex: string) => hex.match(/../g)!.join(':');

/** Waits until every member answers `read` with the same text, and that text passes `ok`; returns it. */
async function sameEverywhere(
  what: string,
  read: (c: RunningController) => Promise<string>,
  ok: (t: string) => boolean,
) {
  let last: string[] = [];
  return waitFor(
    async () => {
      last = await Promise.all(ctls.map(read));
      return last.every((t) => t === last[0]) && ok(last[0]) ? last[0] : undefined;
    },
    { what, timeoutMs: 60_000, intervalMs: 250, detail: () => last.join('\n---\n') },
  );
}

test('links and hosts answer the same on every member; a ping across masters works', async () => {
  // Every switch mastered, every member agreeing on who masters it, and not all by one member.
  let masters = new Map<string, string>();
  await sameEverywhere(
    'one agreed master per switch',
    async (c) => {
      const v = await sluiceCliJson<ControlClusterView>(c, ['cluster']);
      return JSON.stringify((v.switches ?? []).map((s) => [s.dpid, s.master ?? null]).sort());
    },
    (t) => {
      const rows = JSON.parse(t) as [string, string | null][];
      masters = new Map(rows.map(([d, m]) => [d, m ?? '']));
      return rows.length === 3 && rows.every(([, m]) => m) && new Set(masters.values()).size >= 2;
    },
  );

  assert.equal((await net.pingallUntil(0, 60_000)).lossPct, 0);

  // The physical links as Mininet built them, as the API writes them.
  const sw = (name: string) => net.switches.find((s) => s.name === name)!;
  const expectedLinks = net.links
    .filter((l) => l.a.startsWith('s') && l.b.startsWith('s'))
    .map((l) => {
      const ends = [
        { dpid: dpidText(sw(l.a).dpid), port: sw(l.a).ports[l.aIntf] },
        { dpid: dpidText(sw(l.b).dpid), port: sw(l.b).ports[l.bIntf] },
      ].sort((x, y) => (x.dpid < y.dpid ? -1 : 1));
      return `${ends[0].dpid}/${ends[0].port}-${ends[1].dpid}/${ends[1].port} bidirectional`;
    })
    .sort();
  assert.equal(expectedLinks.length, 2);
  type V1Link = {
    src: { dpid: string; port: number };
    dst: { dpid: string; port: number };
    direction: string;
  };
  const links = await sameEverywhere(
    'the same links on every member',
    async (c) =>
      JSON.stringify(
        (await get<V1Link[]>(c, '/api/v1/links'))
          .map((l) => `${l.src.dpid}/${l.src.port}-${l.dst.dpid}/${l.dst.port} ${l.direction}`)
          .sort(),
      ),
    (t) => t === JSON.stringify(expectedLinks),
  );
  assert.deepEqual(JSON.parse(links), expectedLinks);
  type WmLink = { 'src-switch': string; 'src-port': number; 'dst-switch': string; 'dst-port': number };
  await sameEverywhere(
    'the same Floodlight links on every member',
    async (c) =>
      JSON.stringify(
        (await get<WmLink[]>(c, '/wm/topology/links/json'))
          .map((l) => `${l['src-switch']}/${l['src-port']}-${l['dst-switch']}/${l['dst-port']}`)
          .sort(),
      ),
    (t) => (JSON.parse(t) as string[]).length === 2,
  );

  // Each host at its own switch's host port, known to every member whoever masters that switch.
  const expectedHosts = net.hosts
    .map((h) => {
      const l = net.links.find((x) => x.a === h.name || x.b === h.name)!;
      const [s, intf] = l.a === h.name ? [l.b, l.bIntf] : [l.a, l.aIntf];
      return `${h.mac} ${h.ip} ${dpidText(sw(s).dpid)}/${sw(s).ports[intf]}`;
    })
    .sort();
  type V1Host = { mac: string; ipv4: string[]; attachmentPoints: { dpid: string; port: number }[] };
  await sameEverywhere(
    'the same hosts on every member',
    async (c) =>
      JSON.stringify(
        (await get<V1Host[]>(c, '/api/v1/hosts'))
          .map(
            (h) =>
              `${h.mac} ${h.ipv4.join(',')} ${h.attachmentPoints.map((a) => `${a.dpid}/${a.port}`).join(',')}`,
          )
          .sort(),
      ),
    (t) => t === JSON.stringify(expectedHosts),
  );

  // A ping between hosts whose switches have different masters.
  const masterOf = (host: string) => {
    const l = net.links.find((x) => x.a === host || x.b === host)!;
    return masters.get(sw(l.a === host ? l.b : l.a).dpid); // the cluster view's dpids: 16 hex digits
  };
  const pair = [
    ['h1', 'h3'],
    ['h1', 'h2'],
    ['h2', 'h3'],
  ].find(([a, b]) => masterOf(a) !== masterOf(b))!;
  assert.ok(pair, `two hosts under different masters: ${JSON.stringify([...masters])}`);
  const ping = await net.ping(pair[0], pair[1], { count: 3 });
  assert.equal(ping.received, 3, ping.output);
});
