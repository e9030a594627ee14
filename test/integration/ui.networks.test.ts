/**
 * The container-networks page in headless Chromium against `sluice controller` on the etcd store an agent
 * shares (one simulated host with its own OVS and dockerd, `sluice agent` in it): a network created and a
 * container attached through the agent show on the page (the network, the endpoint under its host, the agent
 * with its underlay address), and go again when they are removed. No console errors, no failed API calls;
 * a screenshot in test-artifacts/ui/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUSYBOX_IMAGE,
  openBrowser,
  sluiceEtcdCommand,
  startController,
  startHosts,
  startSimAgent,
  type BrowserSession,
  type RunningController,
  type SimAgent,
  type SimHosts,
} from './harness/index.js';
import { openLoggedIn, textOf, waitForShown } from './helpers/ui.js';

const TOKEN = 'ui-networks-token-51e0';
const PREFIX = `/sluice-it-ui-networks-${process.pid}`;
const NET = 'uinet';
const CONTAINER = 'ui-c1';

let sim: SimHosts;
let agent: SimAgent;
let ctl: RunningController;
let b: BrowserSession;

before(async () => {
  sim = await startHosts({ count: 1, etcd: { members: 1 } });
  agent = startSimAgent(sim.hosts[0], {
    token: TOKEN,
    etcdEndpoints: sim.etcd!.endpoints,
    etcdPrefix: PREFIX,
  });
  await agent.ready();
  ctl = await startController({
    command: sluiceEtcdCommand(sim.etcd!.loopbackEndpoints[0], PREFIX, ['--api-token', TOKEN]),
  });
  b = await openBrowser();
});

after(async () => {
  await b?.close();
  await ctl?.stop();
  await agent?.proc.stop(3000).catch(() => undefined);
  await sim?.stop();
});

test('a network and an attached container, made through the agent, show live with their host', async (t) => {
  const h = sim.hosts[0];
  await agent.client.networks.create({ name: NET, subnet: '10.63.0.0/24' });
  t.after(() => agent.client.networks.delete(NET, { force: true }).catch(() => undefined));
  const ran = await h.docker('run', '-d', '--net=none', '--name', CONTAINER, BUSYBOX_IMAGE, 'sleep', '600');
  assert.equal(ran.code, 0, ran.stderr);
  t.after(() => h.docker('rm', '-f', CONTAINER));

  await openLoggedIn(b, ctl, 'networks', TOKEN);
  b.resetProblems();
  const shows = (what: string, read: () => Promise<string>, want: string | RegExp) =>
    waitForShown(b, ctl, what, read, want);
  const row = (testid: string) => () =>
    b.page
      .getByTestId(testid)
      .first()
      .innerText({ timeout: 1000 })
      .catch(() => '');

  await shows(
    'the network row',
    row(`network-${NET}`),
    /^uinet\s+10\.63\.0\.0\/24\s+10\.63\.0\.1\s+\d+\s+1450\s+no\s+0/,
  );
  await shows(
    'the agent row',
    row(`agent-${h.name}`),
    new RegExp(`^${h.name}\\s.*${h.underlayIp.replace(/\./g, '\\.')}`),
  );
  assert.match(await textOf(b.page.getByTestId('no-endpoints')), /No container attached yet/);

  // Attached while the page is open: it appears on the next poll, under its host.
  const ep = await agent.client.endpoints.attach(CONTAINER, NET);
  const listed = await shows(
    'the endpoint',
    row(`endpoints-${h.name}`),
    new RegExp(`${CONTAINER}\\s+${NET}\\s+${ep.cidr}`),
  );
  assert.match(listed, new RegExp(ep.mac));
  await shows('the network row', row(`network-${NET}`), /\s1\s*$/);
  assert.equal(await textOf(b.page.getByTestId('net-endpoints')), '1');
  await b.screenshot('networks');

  await agent.client.endpoints.detach(CONTAINER, NET);
  await shows('the endpoints', () => textOf(b.page.getByTestId('no-endpoints')), /No container attached yet/);

  assert.deepEqual(b.consoleErrors, [], 'no console errors');
  assert.deepEqual(b.failedRequests, [], 'no failed requests');
});
