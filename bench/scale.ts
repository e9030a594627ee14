/**
 * Bench section `scale`: the dashboard's scale (issue 11). Sluice meets 500 fake switches cabled as a binary
 * tree that answer its LLDP, and 10,000 hosts announced by ARP (bench/scalenet). Measured: how long until the
 * API shows every switch, every link both ways and every host, what the dashboard's API calls cost at that
 * size (median and worst of repeated requests, reply size), and the controller's resident memory.
 *
 * withScaleNet is the fixture a browser bench (time to first render of the overview, topology and hosts
 * pages) opens its pages against: the same net, converged, with the API's address.
 */
import { performance } from 'node:perf_hooks';
import { sluice } from './controllers.js';
import { pollUntil, readRss, type Started } from './harness.js';
import { mb } from './memory.js';
import { withController, type BenchContext, type BenchSection } from './run.js';
import { startScaleNet, type ScaleNet } from './scalenet.js';

export const SCALE_SWITCHES = 500;
export const SCALE_HOSTS = 10_000;
const CONVERGE_TIMEOUT_MS = 120_000;
/** Requests per API call measured (sequential: a dashboard's page load, not a load test). */
const REPEATS = 10;
const TARGET = `the API shows ${SCALE_SWITCHES} switches, every link both ways and ${SCALE_HOSTS.toLocaleString('en-US')} hosts within ${CONVERGE_TIMEOUT_MS / 1000} s`;

export interface ConvergeFigures {
  /** From the first switch connecting until every one is past its handshake (scale net side). */
  connectMs: number;
  /** Writing every host announcement (scale net side). */
  hostsWrittenMs: number;
  /** From the first switch connecting until the API shows the figure. */
  switchesInApiMs: number;
  linksBidirectionalMs: number;
  hostsInApiMs: number;
}

export interface ScaleFixture {
  apiUrl: string;
  net: ScaleNet;
  proc: Started;
  figures: ConvergeFigures;
}

async function getJson<T>(url: string): Promise<{ body: T; headers: Headers }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return { body: (await res.json()) as T, headers: res.headers };
}

/** Starts Sluice and the scale net, waits until the API shows all of it, runs `fn`, always stops both. */
export async function withScaleNet<T>(ctx: BenchContext, fn: (f: ScaleFixture) => Promise<T>): Promise<T> {
  return withController(ctx, sluice, async (proc, launch) => {
    const apiUrl = sluice.apiUrl!(launch);
    const t0 = performance.now();
    const since = () => Math.round(performance.now() - t0);
    const net = await startScaleNet({
      port: launch.ofPort,
      shape: 'tree',
      fanout: 2,
      switches: SCALE_SWITCHES,
      hosts: SCALE_HOSTS,
      progress: (p) => {
        if (p.done === p.total || p.done % 100 === 0)
          ctx.log(`  scale net ${p.phase}: ${p.done}/${p.total} (${Math.round(p.elapsedMs)} ms)`);
      },
    });
    try {
      const poll = <V>(what: string, check: () => Promise<V | undefined>) =>
        pollUntil(what, check, CONVERGE_TIMEOUT_MS, 100);
      await poll(`${SCALE_SWITCHES} switches in the API`, async () => {
        const h = await getJson<{ switches: number }>(`${apiUrl}/api/v1/health`);
        return h.body.switches === SCALE_SWITCHES ? true : undefined;
      });
      const switchesInApiMs = since();
      await poll(`${net.wiring.links.length} bidirectional links`, async () => {
        const l = await getJson<Array<{ direction: string }>>(`${apiUrl}/wm/topology/links/json`);
        const both = l.body.filter((x) => x.direction === 'bidirectional').length;
        return both === net.wiring.links.length ? true : undefined;
      });
      const linksBidirectionalMs = since();
      await poll(`${SCALE_HOSTS} hosts in the API`, async () => {
        const h = await getJson<unknown[]>(`${apiUrl}/api/v1/hosts?limit=1`);
        return Number(h.headers.get('x-total-count')) === SCALE_HOSTS ? true : undefined;
      });
      const hostsInApiMs = since();
      net.assertConnected();
      const figures: ConvergeFigures = {
        connectMs: Math.round(net.times.connectMs),
        hostsWrittenMs: Math.round(net.times.hostsMs),
        switchesInApiMs,
        linksBidirectionalMs,
        hostsInApiMs,
      };
      return await fn({ apiUrl, net, proc, figures });
    } finally {
      net.close();
    }
  });
}

export interface CallCost {
  path: string;
  medianMs: number;
  maxMs: number;
  bytes: number;
}

/** The calls the dashboard's overview, topology and hosts pages make, timed at scale. */
export const DASHBOARD_CALLS: Array<{ path: string; what: string }> = [
  { path: '/api/v1/health', what: 'overview: counts' },
  { path: '/api/v1/switches', what: 'overview/switches: every switch' },
  { path: '/api/v1/links', what: 'topology: every link' },
  { path: '/wm/topology/links/json', what: 'topology (Floodlight shape)' },
  { path: '/api/v1/hosts?limit=100', what: 'hosts: first page of 100' },
  { path: '/api/v1/hosts?q=10.0.3.&sort=ip&order=desc&limit=100', what: 'hosts: searched, sorted page' },
  { path: '/api/v1/hosts?sort=lastSeen&offset=9900&limit=100', what: 'hosts: last page by last seen' },
  { path: '/api/v1/hosts', what: 'hosts: the whole list (what paging avoids)' },
];

export async function measureCalls(apiUrl: string, repeats = REPEATS): Promise<CallCost[]> {
  const out: CallCost[] = [];
  for (const { path } of DASHBOARD_CALLS) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const res = await fetch(apiUrl + path, { signal: AbortSignal.timeout(30_000) });
      const body = await res.arrayBuffer();
      times.push(performance.now() - t0);
      if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
      bytes = body.byteLength;
    }
    times.sort((a, b) => a - b);
    out.push({ path, medianMs: times[Math.floor(times.length / 2)], maxMs: times[times.length - 1], bytes });
  }
  return out;
}

const METHOD = `Method: \`bench/scalenet\` connects ${SCALE_SWITCHES} fake OpenFlow 1.3 switches (50 at a time) cabled as a
binary tree (${SCALE_SWITCHES - 1} links, plus 4 edge ports each); a switch that gets an LLDP packet-out on a cabled port
hands it to the peer, which sends it up as a packet-in, so Sluice learns each link as it would on a real network.
Then ${SCALE_HOSTS.toLocaleString('en-US')} hosts (20 per switch) announce themselves with a gratuitous ARP. Times
count from the first switch connecting and are read by polling the API every 100 ms. API calls: ${REPEATS}
sequential requests each on the converged net, over loopback, body read in full.`;

export const scaleSection: BenchSection = {
  id: 'scale',
  title: `Dashboard scale: ${SCALE_SWITCHES} switches, ${SCALE_HOSTS} hosts`,
  async run(ctx: BenchContext) {
    const title = `## Dashboard scale (${SCALE_SWITCHES} switches with links, ${SCALE_HOSTS.toLocaleString('en-US')} hosts)`;
    const why = sluice.unavailable(ctx);
    if (why) {
      ctx.report(`${title}\n\nNot run: ${why}.`);
      return;
    }
    ctx.log(`scale: Sluice with ${SCALE_SWITCHES} switches (tree) and ${SCALE_HOSTS} hosts`);
    try {
      const { figures, calls, rss } = await withScaleNet(ctx, async (f) => ({
        figures: f.figures,
        calls: await measureCalls(f.apiUrl),
        rss: readRss(f.proc.pid).rss,
      }));
      const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      const rows = [
        `| ${SCALE_SWITCHES} switches past the handshake (scale net) | ${s(figures.connectMs)} |`,
        `| ${SCALE_SWITCHES} switches in /api/v1/health | ${s(figures.switchesInApiMs)} |`,
        `| all ${SCALE_SWITCHES - 1} links bidirectional in /wm/topology/links/json | ${s(figures.linksBidirectionalMs)} |`,
        `| ${SCALE_HOSTS.toLocaleString('en-US')} hosts in /api/v1/hosts (X-Total-Count) | ${s(figures.hostsInApiMs)} |`,
        `| controller RSS, converged | ${mb(rss)} |`,
      ];
      const callRows = calls.map((c, i) => {
        const what = DASHBOARD_CALLS[i].what;
        return `| \`GET ${c.path}\` | ${what} | ${c.medianMs.toFixed(1)} ms | ${c.maxMs.toFixed(1)} ms | ${(c.bytes / 1024).toFixed(0)} KiB |`;
      });
      ctx.report(
        [
          title,
          '',
          '| measure (from the first switch connecting) | value |',
          '|---|---|',
          ...rows,
          '',
          '| API call | for | median | max | reply |',
          '|---|---|---|---|---|',
          ...callRows,
          '',
          METHOD,
        ].join('\n'),
      );
      ctx.log(`scale: ${JSON.stringify(figures)}`);
      const all = Math.max(figures.switchesInApiMs, figures.linksBidirectionalMs, figures.hostsInApiMs);
      ctx.target({ name: TARGET, met: true, detail: `all shown ${s(all)} after the first switch connected` });
    } catch (err) {
      ctx.fail(`scale: ${(err as Error).message}`);
      ctx.report(`${title}\n\nFailed: ${(err as Error).message.split('\n')[0]}`);
      ctx.target({ name: TARGET, met: false, detail: (err as Error).message.split('\n')[0] });
    }
  },
};
