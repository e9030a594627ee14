/**
 * The topology page in headless Chromium against `sluice controller` and a Mininet linear,3 network: the graph
 * holds the real switches, links and hosts (read from the page's window.__sluiceTopology handle and its
 * figures), search finds a host by IP and centres on it, a link taken down leaves the graph and comes back
 * without a reload, and double-clicking a switch opens its page. No console errors, no failed API calls.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  waitFor,
  waitForLinks,
  type BrowserSession,
  type MininetNet,
  type RunningController,
} from './harness/index.js';
import { pageProblems, startUi, type UiRig } from './helpers/ui.js';

let rig: UiRig;
let ctl: RunningController;
let net: MininetNet;
let b: BrowserSession;

before(async () => {
  rig = await startUi({ topo: 'linear,3' });
  ({ ctl, net, b } = rig);
});

after(async () => {
  await rig?.stop();
});

interface GraphCounts {
  switches: number;
  links: number;
  hostNodes: number;
  hostsTotal: number;
}

/** The page's debug handle (web/src/pages/topology.tsx); run in the page, hence the text. */
const counts = () =>
  b.page.evaluate(
    `(() => { const t = window.__sluiceTopology; return t && { switches: t.switches, links: t.links, ` +
      `hostNodes: t.hostNodes, hostsTotal: t.hostsTotal }; })()`,
  ) as Promise<GraphCounts | undefined>;

const problems = () => pageProblems(b, ctl);

async function waitForGraph(what: string, ok: (c: GraphCounts) => boolean): Promise<GraphCounts> {
  let last: GraphCounts | undefined;
  return waitFor(
    async () => {
      last = await counts();
      return last && ok(last) ? last : undefined;
    },
    { what, timeoutMs: 20_000, detail: () => `the graph held ${JSON.stringify(last)}; ${problems()}` },
  );
}

const colon = (dpid: string) => dpid.match(/../g)!.join(':');

test('the topology shows the network, finds a host, follows a link down and up, opens a switch', async () => {
  await waitForLinks(ctl, 2);
  await net.pingallUntil(0, 20_000);
  const h2 = net.hosts.find((h) => h.name === 'h2')!;
  const dpids = net.switches.map((s) => colon(s.dpid));

  await b.page.goto(`${ctl.apiUrl}/ui/topology`);
  await b.page.getByRole('heading', { level: 1, name: 'Topology' }).waitFor({ timeout: 20_000 });
  await waitForGraph(
    '3 switches, 2 links and 3 hosts in the graph',
    (c) => c.switches === 3 && c.links === 2 && c.hostsTotal === 3,
  );
  const ids = (await b.page.evaluate('window.__sluiceTopology.nodeIds("switch")')) as string[];
  assert.deepEqual([...ids].sort(), [...dpids].sort(), 'the switches are the real DPIDs');
  const graph = b.page.getByTestId('topology-graph');
  assert.equal(await graph.getAttribute('data-switches'), '3');
  assert.equal(await graph.getAttribute('data-links'), '2');
  assert.equal(await b.page.getByTestId('topo-hosts').textContent(), '3');
  assert.equal((await graph.locator('canvas').count()) > 0, true, 'drawn on a canvas');
  await b.screenshot('topology');

  // Search by IP: the host's switch expands and the host is selected, with a way to the hosts page.
  await b.page.getByLabel('DPID, MAC or IP').fill(h2.ip);
  await b.page.getByRole('button', { name: 'Find' }).click();
  const found = b.page.getByTestId('topology-found');
  await found.getByText(h2.mac).waitFor({ timeout: 10_000 });
  assert.match((await found.textContent()) ?? '', new RegExp(`on switch ${dpids[1]} port \\d+`));
  await waitForGraph(`${h2.mac} drawn as a host node`, (c) => c.hostNodes >= 1);
  const hostIds = (await b.page.evaluate('window.__sluiceTopology.nodeIds("host")')) as string[];
  assert.ok(hostIds.includes(`host:${h2.mac}`), `host nodes: ${hostIds.join(' ')}`);
  assert.equal(
    await found.getByRole('link', { name: 'Open in Hosts' }).getAttribute('href'),
    `/ui/hosts?q=${encodeURIComponent(h2.mac)}`,
  );
  await b.screenshot('topology-search');

  // A link down leaves the graph on a later poll (no reload); back up, it returns.
  await net.link('s1', 's2', 'down');
  await waitForGraph('the s1-s2 link to leave the graph', (c) => c.switches === 3 && c.links === 1);
  await b.screenshot('topology-link-down');
  await net.link('s1', 's2', 'up');
  await waitForGraph('the s1-s2 link to come back', (c) => c.switches === 3 && c.links === 2);

  // A click selects a switch (its details and a link to its page); a double click opens the page.
  await b.page.getByRole('button', { name: 'Fit' }).click();
  const s3 = dpids[2];
  const at = async () => {
    const p = (await b.page.evaluate(`window.__sluiceTopology.pagePositionOf(${JSON.stringify(s3)})`)) as
      { x: number; y: number } | undefined;
    assert.ok(p, `${s3} is drawn`);
    return p;
  };
  let p = await at();
  await b.page.mouse.click(p.x, p.y);
  const details = b.page.getByTestId('topology-details');
  await details.getByText(s3).waitFor({ timeout: 5000 });
  assert.equal(
    await details.getByRole('link', { name: 'Open switch' }).getAttribute('href'),
    `/ui/switches/${s3}`,
  );
  p = await at();
  await b.page.mouse.dblclick(p.x, p.y);
  await waitFor(async () => new URL(b.page.url()).pathname === `/ui/switches/${s3}`, {
    what: `the switch page /ui/switches/${s3}`,
    timeoutMs: 10_000,
    detail: () => `at ${b.page.url()}; ${problems()}`,
  });
  await b.page.getByRole('heading', { level: 1, name: 'Switches' }).waitFor({ timeout: 10_000 });
  // Back to the topology: a fresh graph, the same network.
  await b.page.goBack();
  await waitForGraph('the graph again after going back', (c) => c.switches === 3 && c.links === 2);

  assert.deepEqual(b.consoleErrors, [], 'no console errors');
  assert.deepEqual(b.failedRequests, [], 'no failed requests');
});
