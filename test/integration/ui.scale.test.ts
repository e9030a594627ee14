/**
 * The dashboard at scale in headless Chromium: a real controller with bench/scalenet's 500 fake switches
 * (a binary tree, 499 links, answering LLDP) and 10,000 hosts. The overview, topology and hosts pages render
 * with every switch, link and host, with no console error and no failed request; time to first render and to
 * interactive, and frame times while the topology is dragged, are reported as diagnostics. Only generous
 * timeouts bound them here: `make bench` (ui section) holds the targets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startScaleNet, type ScaleNet } from '../../bench/scalenet.js';
import { instrument, panTopology, scalePages, timePage } from '../../bench/uitiming.js';
import { SluiceClient } from '../../src/client/index.js';
import {
  openBrowser,
  startController,
  waitFor,
  type BrowserSession,
  type RunningController,
} from './harness/index.js';

const SWITCHES = 500;
const HOSTS = 10_000;
/** Generous bounds on a hang, not targets. */
const CONVERGE_TIMEOUT_MS = 60_000;
const PAGE_TIMEOUT_MS = 30_000;

let ctl: RunningController;
let net: ScaleNet | undefined;
let client: SluiceClient;
let b: BrowserSession;

before(async () => {
  ctl = await startController();
  client = new SluiceClient({ baseUrl: ctl.apiUrl!, timeoutMs: 30_000 });
  b = await openBrowser({ viewport: { width: 1400, height: 900 } });
  await instrument(b.page);
});

after(async () => {
  await b?.close();
  net?.close();
  await client?.close();
  await ctl?.stop();
});

test('overview, topology and hosts render 500 switches and 10,000 hosts; the topology pans', async (t) => {
  net = await startScaleNet({
    port: ctl.openflowPort,
    shape: 'tree',
    fanout: 2,
    switches: SWITCHES,
    hosts: HOSTS,
  });
  const scale = net;
  const detail = () => `scale net delivered ${scale.delivered}; controller log:\n${ctl.logTail(20)}`;
  await waitFor(
    async () => {
      const l = await client.links();
      return l.length === SWITCHES - 1 && l.every((x) => x.direction === 'bidirectional');
    },
    { what: `${SWITCHES - 1} bidirectional links`, timeoutMs: CONVERGE_TIMEOUT_MS, detail },
  );
  await waitFor(async () => (await client.hostsPage({ limit: 1 })).total === HOSTS, {
    what: `${HOSTS} hosts`,
    timeoutMs: CONVERGE_TIMEOUT_MS,
    detail,
  });

  const figures: Record<string, number> = {};
  for (const { path, ready } of scalePages(SWITCHES, HOSTS)) {
    const timing = await timePage(b.page, `${ctl.apiUrl}/ui/${path}`, ready, PAGE_TIMEOUT_MS);
    figures[`${path}FirstRenderMs`] = Math.round(timing.firstRenderMs);
    figures[`${path}InteractiveMs`] = Math.round(timing.interactiveMs);
    assert.ok(timing.interactiveMs >= timing.firstRenderMs, `${path}: interactive after first render`);
    await b.screenshot(`scale-${path}`);
    if (path === 'topology') {
      const graph = b.page.getByTestId('topology-graph');
      assert.equal(await graph.getAttribute('data-switches'), String(SWITCHES));
      assert.equal(await graph.getAttribute('data-links'), String(SWITCHES - 1));
      assert.equal(await b.page.getByTestId('topo-hosts').textContent(), String(HOSTS));
      const pan = await panTopology(b.page);
      assert.ok(pan.frames > 10, `frames seen while panning: ${pan.frames}`);
      assert.ok(pan.pannedPx > 50, `the drag panned the view (${pan.pannedPx} px)`);
      figures.panFrames = pan.frames;
      figures.panP50Ms = Math.round(pan.p50Ms);
      figures.panP95Ms = Math.round(pan.p95Ms);
      figures.panMaxMs = Math.round(pan.maxMs);
      await b.screenshot('scale-topology-panned');
    }
  }
  t.diagnostic(`figures: ${JSON.stringify(figures)}`);

  assert.deepEqual(b.consoleErrors, [], 'no console errors');
  assert.deepEqual(b.failedRequests, [], 'no failed requests');
});
