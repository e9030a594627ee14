/**
 * The same runtime views on every member of a cluster (issue 13) on real parts: an etcd, three `sluice
 * controller --cluster-id` processes and a Mininet linear,3 whose switches connect to all three. Mastership
 * spreads the switches over the members, so each member only learns the links and hosts of its own switches;
 * through the store every member answers /api/v1/links, /wm/topology/links/json and /api/v1/hosts the same,
 * and a ping between hosts on switches of different masters works hop by hop (each master handles the
 * packet-ins of its own switches, with paths computed on the shared views). A member killed with -9 takes its
 * records with its lease, and the views heal as the new masters learn its switches' links and hosts again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlClusterView } from '../../src/client/index.js';
import { startEtcdCluster, type TestEtcdCluster } from '../support/etcd.js';
import { clusterKeys } from '../../src/cluster/index.js';
import { openEtcdStore } from '../../src/store/index.js';
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

/** Waits until every live member answers `read` with the same text, and that text passes `ok`; returns it. */
async function sameEverywhere(
  what: string,
  read: (c: RunningController) => Promise<string>,
  ok: (t: string) => boolean,
) {
  let last: string[] = [];
  return waitFor(
    async () => {
      last = await Promise.all(ctls.filter((c) => c.proc.running).map(read));
      return last.every((t) => t === last[0]) && ok(last[0]) ? last[0] : undefined;
    },
    { what, timeoutMs: 60_000, intervalMs: 250, detail: () => last.join('\n---\n') },
  );
}

const sw = (name: string) => net.switches.find((s) => s.name === name)!;

/** The switch and port a host hangs off. */
function attachment(host: string): { sw: string; port: number } {
  const l = net.links.find((x) => x.a === host || x.b === host)!;
  const [s, intf] = l.a === host ? [l.b, l.bIntf] : [l.a, l.aIntf];
  return { sw: s, port: sw(s).ports[intf] };
}

/** The physical links as Mininet built them, as the API writes them. */
function expectedLinks(): string[] {
  return net.links
    .filter((l) => l.a.startsWith('s') && l.b.startsWith('s'))
    .map((l) => {
      const ends = [
        { dpid: dpidText(sw(l.a).dpid), port: sw(l.a).ports[l.aIntf] },
        { dpid: dpidText(sw(l.b).dpid), port: sw(l.b).ports[l.bIntf] },
      ].sort((x, y) => (x.dpid < y.dpid ? -1 : 1));
      return `${ends[0].dpid}/${ends[0].port}-${ends[1].dpid}/${ends[1].port} bidirectional`;
    })
    .sort();
}

type V1Link = { src: { dpid: string; port: number }; dst: { dpid: string; port: number }; direction: string };
const linksOf = async (c: RunningController) =>
  JSON.stringify(
    (await get<V1Link[]>(c, '/api/v1/links'))
      .map((l) => `${l.src.dpid}/${l.src.port}-${l.dst.dpid}/${l.dst.port} ${l.direction}`)
      .sort(),
  );

/** Each host at its own switch's host port. */
function expectedHosts(): string[] {
  return net.hosts
    .map((h) => {
      const a = attachment(h.name);
      return `${h.mac} ${h.ip} ${dpidText(sw(a.sw).dpid)}/${a.port}`;
    })
    .sort();
}

type V1Host = { mac: string; ipv4: string[]; attachmentPoints: { dpid: string; port: number }[] };
const hostsOf = async (c: RunningController) =>
  JSON.stringify(
    (await get<V1Host[]>(c, '/api/v1/hosts'))
      .map(
        (h) =>
          `${h.mac} ${h.ipv4.join(',')} ${h.attachmentPoints.map((a) => `${a.dpid}/${a.port}`).join(',')}`,
      )
      .sort(),
  );

/** Switch (16 hex digits, as the cluster view has it) -> its master, once every live member agrees on each. */
async function masters(): Promise<Map<string, string>> {
  const text = await sameEverywhere(
    'one agreed master per switch',
    async (c) => {
      const v = await sluiceCliJson<ControlClusterView>(c, ['cluster']);
      return JSON.stringify((v.switches ?? []).map((s) => [s.dpid, s.master ?? null]).sort());
    },
    (t) => {
      const rows = JSON.parse(t) as [string, string | null][];
      const live = MEMBERS.filter((_, i) => ctls[i].proc.running);
      return rows.length === 3 && rows.every(([, m]) => m !== null && live.includes(m));
    },
  );
  return new Map(JSON.parse(text) as [string, string][]);
}

test('links and hosts answer the same on every member; a ping across masters works', async () => {
  const byMaster = await masters();
  assert.ok(new Set(byMaster.values()).size >= 2, `spread: ${JSON.stringify([...byMaster])}`);
  assert.equal((await net.pingallUntil(0, 60_000)).lossPct, 0);

  const links = expectedLinks();
  assert.equal(links.length, 2);
  await sameEverywhere('the same links on every member', linksOf, (t) => t === JSON.stringify(links));
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
  const hosts = expectedHosts();
  await sameEverywhere('the same hosts on every member', hostsOf, (t) => t === JSON.stringify(hosts));

  // A ping between hosts whose switches have different masters: each master handles its own switches' hop.
  const masterOf = (host: string) => byMaster.get(sw(attachment(host).sw).dpid);
  const pair = [
    ['h1', 'h3'],
    ['h1', 'h2'],
    ['h2', 'h3'],
  ].find(([a, b]) => masterOf(a) !== masterOf(b));
  assert.ok(pair, `two hosts under different masters: ${JSON.stringify([...byMaster])}`);
  const ping = await net.ping(pair[0], pair[1], { count: 3 });
  assert.equal(ping.received, 3, ping.output);
});

test("a member killed with -9: its records go with its lease, and the others' views heal", async () => {
  const byMaster = await masters();
  const victim = byMaster.get(sw('s2').dpid)!;
  const dead = ctls[MEMBERS.indexOf(victim)];
  const store = openEtcdStore({ endpoints: [etcd.endpoints[0]], namespace: PREFIX });
  try {
    const runtime = clusterKeys(CLUSTER).runtime;
    const theirs = async () => (await store.list(runtime)).filter((e) => e.key.endsWith(`/${victim}`));
    assert.ok((await theirs()).length > 0, `${victim} published what it learned`);
    await dead.kill();
    await waitFor(async () => (await theirs()).length === 0, {
      what: `${victim}'s runtime records gone with its lease`,
      timeoutMs: 20_000,
      intervalMs: 200,
    });
  } finally {
    await store.close();
  }
  // Its switches get new masters, who learn their links and hosts again.
  await masters();
  assert.equal((await net.pingallUntil(0, 60_000)).lossPct, 0);
  await sameEverywhere('the links healed', linksOf, (t) => t === JSON.stringify(expectedLinks()));
  await sameEverywhere('the hosts healed', hostsOf, (t) => t === JSON.stringify(expectedHosts()));
});
