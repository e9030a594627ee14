/**
 * The dashboard's scale (issue 11): a real controller with 500 switches cabled as a binary tree (499 links)
 * that answer its LLDP probes at the cabled peer, and 10,000 hosts announced by ARP on edge ports
 * (bench/scalenet). The API must show every switch, every link both ways and every host; a searched, sorted
 * page must be the right slice; the controller must keep answering while its LLDP rounds go on; and port
 * statistics must give every link a load.
 *
 * Fake switches (no OVS): 500 OVS bridges would measure OVS, not the controller and its API. Figures are
 * reported as test diagnostics; the bench owns performance targets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { SluiceClient, type Host, type HostPageQuery } from '../../src/client/index.js';
import { ipv4NumToText } from '../../src/packet/index.js';
import { formatDpid } from '../../src/util/index.js';
import { startScaleNet, type ScaleNet } from '../../bench/scalenet.js';
import { txRate } from '../../bench/scalenet/traffic.js';
import type { HostSpec } from '../../bench/scalenet/wiring.js';
import { startController, waitFor, type RunningController } from './harness/index.js';

const SWITCHES = 500;
const HOSTS = 10_000;
/** Generous: on 2 busy cores the whole net converges in seconds; these only bound a hang. */
const CONVERGE_TIMEOUT_MS = 60_000;

let ctl: RunningController;
let net: ScaleNet | undefined;
let client: SluiceClient;

before(async () => {
  ctl = await startController();
  client = new SluiceClient({ baseUrl: ctl.apiUrl!, timeoutMs: 30_000 });
});

after(async () => {
  net?.close();
  await client?.close();
  await ctl?.stop();
});

/** What the API should answer for a page query, computed from the net's own host list. */
function expectedPage(hosts: HostSpec[], query: HostPageQuery): { macs: string[]; total: number } {
  const q = query.q?.toLowerCase() ?? '';
  const found = hosts.filter(
    (h) => h.mac.includes(q) || ipv4NumToText(h.ipv4).includes(q) || formatDpid(h.dpid).includes(q),
  );
  const key = (h: HostSpec): number | bigint | string =>
    query.sort === 'ip' ? h.ipv4 : query.sort === 'dpid' ? h.dpid : h.mac;
  const sign = query.order === 'desc' ? -1 : 1;
  const cmp = (a: number | bigint | string, b: number | bigint | string) => (a < b ? -1 : a > b ? 1 : 0);
  found.sort(
    (a, b) =>
      sign * (cmp(key(a), key(b)) || (query.sort === 'dpid' ? a.port - b.port : 0)) || cmp(a.mac, b.mac),
  );
  const offset = query.offset ?? 0;
  return {
    macs: found.slice(offset, offset + (query.limit ?? found.length)).map((h) => h.mac),
    total: found.length,
  };
}

test('500 switches, 499 links both ways and 10,000 hosts reach the API, which pages them', async (t) => {
  const figures: Record<string, number> = {};
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  const progress: string[] = [];
  net = await startScaleNet({
    port: ctl.openflowPort,
    shape: 'tree',
    fanout: 2,
    switches: SWITCHES,
    hosts: HOSTS,
    progress: (p) => {
      if (p.done === p.total) progress.push(`${p.phase} ${p.done} in ${Math.round(p.elapsedMs)} ms`);
    },
  });
  const scale = net;
  assert.deepEqual(
    progress.map((p) => p.split(' in ')[0]),
    [`switches ${SWITCHES}`, `hosts ${HOSTS}`],
  );
  figures.connectMs = Math.round(scale.times.connectMs);
  figures.hostsWrittenMs = Math.round(scale.times.hostsMs);
  const detail = () =>
    `discovery delivered ${scale.delivered}, dropped ${scale.dropped}; controller log:\n${ctl.logTail(30)}`;

  // Health is polled alongside the waits: its slowest answer is the responsiveness figure.
  let healthMaxMs = 0;
  const health = async () => {
    const h0 = performance.now();
    const h = await client.health();
    healthMaxMs = Math.max(healthMaxMs, performance.now() - h0);
    assert.equal(h.status, 'ok');
    return h;
  };

  await waitFor(async () => (await health()).switches === SWITCHES, {
    what: `${SWITCHES} switches in /api/v1/health`,
    timeoutMs: CONVERGE_TIMEOUT_MS,
    detail,
  });
  figures.switchesInApiMs = since();

  const links = await waitFor(
    async () => {
      await health();
      const l = await client.floodlight.links();
      return l.length === scale.wiring.links.length && l.every((x) => x.direction === 'bidirectional') && l;
    },
    { what: `${scale.wiring.links.length} bidirectional links`, timeoutMs: CONVERGE_TIMEOUT_MS, detail },
  );
  figures.linksBidirectionalMs = since();
  const cabled = new Set(
    scale.wiring.links.map(([a, pa, b, pb]) => `${formatDpid(a)}/${pa}-${formatDpid(b)}/${pb}`),
  );
  for (const l of links) {
    const fwd = `${l['src-switch']}/${l['src-port']}-${l['dst-switch']}/${l['dst-port']}`;
    const rev = `${l['dst-switch']}/${l['dst-port']}-${l['src-switch']}/${l['src-port']}`;
    assert.ok(cabled.has(fwd) || cabled.has(rev), `link ${fwd} is not a cable of the net`);
  }

  await waitFor(
    async () => {
      await health();
      return (await client.hostsPage({ limit: 1 })).total === HOSTS;
    },
    { what: `${HOSTS} hosts (X-Total-Count)`, timeoutMs: CONVERGE_TIMEOUT_MS, detail },
  );
  figures.hostsInApiMs = since();

  // Searched, sorted pages are the right slice of what the net announced.
  const queries: HostPageQuery[] = [
    { q: '10.0.3.', sort: 'ip', order: 'desc', offset: 10, limit: 50 },
    { q: formatDpid(scale.wiring.dpids[SWITCHES - 1]), sort: 'dpid', limit: 100 },
    { q: '02:00:00:00:1', sort: 'mac', offset: 1000, limit: 1000 },
    { sort: 'ip', offset: HOSTS - 20, limit: 1000 },
  ];
  let pageMaxMs = 0;
  for (const query of queries) {
    const p0 = performance.now();
    const page = await client.hostsPage(query);
    pageMaxMs = Math.max(pageMaxMs, performance.now() - p0);
    const want = expectedPage(scale.hosts, query);
    assert.ok(want.macs.length > 0, `query ${JSON.stringify(query)} selects hosts`);
    assert.equal(page.total, want.total, JSON.stringify(query));
    assert.deepEqual(
      page.hosts.map((h) => h.mac),
      want.macs,
      JSON.stringify(query),
    );
  }
  figures.pageQueryMaxMs = Math.round(pageMaxMs);
  // Each host where it was announced, with its address.
  const byMac = new Map(scale.hosts.map((h) => [h.mac, h]));
  const sample: Host[] = (await client.hostsPage({ sort: 'dpid', limit: 1000 })).hosts;
  for (const h of sample) {
    const spec = byMac.get(h.mac)!;
    assert.deepEqual(h.ipv4, [ipv4NumToText(spec.ipv4)]);
    assert.deepEqual(h.attachmentPoints, [{ dpid: formatDpid(spec.dpid), port: spec.port }]);
  }

  // Two more discovery rounds' worth of probes answered: the net stays whole and the API keeps answering.
  const delivered = scale.delivered;
  await waitFor(
    async () => {
      await health();
      return scale.delivered >= delivered + 4 * scale.wiring.links.length;
    },
    { what: 'two further LLDP rounds', timeoutMs: CONVERGE_TIMEOUT_MS, detail },
  );
  const linksAfter = await client.floodlight.links();
  assert.equal(linksAfter.filter((l) => l.direction === 'bidirectional').length, scale.wiring.links.length);
  assert.equal((await health()).switches, SWITCHES);
  scale.assertConnected();

  // Port statistics at this scale: every link's load, from the synthetic traffic on its two ends.
  interface LinkLoad {
    src: { dpid: string; port: number };
    dst: { dpid: string; port: number };
    srcTxBitsPerSec: number | null;
    dstTxBitsPerSec: number | null;
    utilisation: number | null;
  }
  const loads = await waitFor(
    async () => {
      const l = await client.request<LinkLoad[]>('GET', '/api/v1/statistics/links');
      return l.length === scale.wiring.links.length && l.every((x) => x.utilisation !== null) && l;
    },
    { what: 'a load on every link in /api/v1/statistics/links', timeoutMs: CONVERGE_TIMEOUT_MS, detail },
  );
  figures.linkLoadsMs = since();
  const dpidOf = new Map(scale.wiring.dpids.map((d) => [formatDpid(d), d]));
  for (const l of loads.slice(0, 50)) {
    const want = txRate(dpidOf.get(l.src.dpid)!, l.src.port) * 8;
    // Two samples ~5 s apart, timed at the switch and at the controller: a few percent apart at most.
    assert.ok(
      Math.abs((l.srcTxBitsPerSec ?? 0) - want) <= want * 0.25 + 1000,
      `link ${l.src.dpid}/${l.src.port}: ${l.srcTxBitsPerSec} bit/s, expected about ${want}`,
    );
  }
  figures.healthMaxMs = Math.round(healthMaxMs);
  t.diagnostic(`scale figures: ${JSON.stringify(figures)}`);
});
