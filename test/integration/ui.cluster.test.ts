/**
 * The Cluster page in Chromium against `sluice controller --store etcd --cluster-id` members on a real etcd:
 * reached from the Nodes page, it lists the one member, then (without a reload) the second one as it joins,
 * with their API addresses and the one leader since when. A controller alone shows itself as the one leading
 * member, no cluster id, and says switch mastership applies only to clusters; the nav links the page. No
 * console error and no failed request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlClusterView } from '../../src/client/index.js';
import { startEtcdCluster, type TestEtcdCluster } from '../support/etcd.js';
import {
  openBrowser,
  sluiceCliJson,
  sluiceEtcdCommand,
  startController,
  waitFor,
  type BrowserSession,
  type RunningController,
} from './harness/index.js';
import {
  assertNoPageProblems,
  openLoggedIn,
  openPage,
  textOf,
  waitForShown,
  waitForText,
} from './helpers/ui.js';

const PREFIX = '/sluice-ui-cluster';
const CLUSTER = 'ui-cluster';
/** `5s ago (2026-12-06 10:00:00 UTC)`: the relative time with the absolute one. */
const WHEN = /\d+s ago \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)|\d+m \d+s ago \(/;

let etcd: TestEtcdCluster;
const controllers: RunningController[] = [];
let b: BrowserSession;

before(async () => {
  etcd = await startEtcdCluster({ members: 1 });
  b = await openBrowser();
});

after(async () => {
  await b?.close();
  for (const c of controllers) await c.stop();
  await etcd?.stop();
});

/** Starts one more member of CLUSTER (stopped by after()). */
async function member(): Promise<RunningController> {
  const c = await startController({
    command: sluiceEtcdCommand(etcd.endpoints[0], PREFIX, ['--cluster-id', CLUSTER]),
  });
  controllers.push(c);
  return c;
}

/** The cluster as `ctl`'s API lists it once it has `count` members and a leader. */
async function settled(ctl: RunningController, count: number): Promise<ControlClusterView> {
  let last: ControlClusterView | undefined;
  return waitFor(
    async () => {
      last = await sluiceCliJson<ControlClusterView>(ctl, ['cluster']);
      return last.members.length === count && last.leader ? last : undefined;
    },
    { what: `${count} members and a leader`, timeoutMs: 20_000, detail: () => JSON.stringify(last) },
  );
}

const apiOf = (ctl: RunningController) => `http:127.0.0.1:${ctl.apiPort}`;

test('cluster: from the Nodes page, the members as they join, their addresses and the one leader', async () => {
  const a = await member();
  const first = await settled(a, 1);
  await openLoggedIn(b, a, 'nodes', '');
  b.resetProblems();
  const page = b.page;
  await page.getByTestId('cluster-page-link').click();
  await page.getByRole('heading', { level: 1, name: 'Cluster' }).waitFor({ timeout: 10_000 });
  assert.equal(new URL(page.url()).pathname, '/ui/cluster');

  await waitForText(b, a, page.getByTestId('cluster-id'), new RegExp(`^${CLUSTER}$`), 'the cluster id');
  const leaderName = first.members[0].display_name;
  assert.equal(first.leader!.id, first.members[0].id);
  await waitForText(b, a, page.getByTestId('cluster-leader'), new RegExp(`^${leaderName}`), 'the leader');
  assert.match(await textOf(page.getByTestId('cluster-leader-since')), WHEN);

  // A second member joins: the page lists it at its next poll, and the first one still leads.
  const bCtl = await member();
  const both = await settled(a, 2);
  const rows = page.getByTestId('cluster-members').locator('tbody tr');
  await waitForShown(b, a, 'both members', async () => String(await rows.count()), '2');
  for (const m of both.members) {
    const row = page.getByTestId('cluster-members').locator(`tr[data-member="${m.id}"]`);
    const text = await textOf(row);
    assert.ok(text.includes(m.display_name), text);
    assert.match(text, WHEN, `${m.id} started`);
    assert.match(text, /tcp:\S+:\d+/, `${m.id}'s OpenFlow listener`);
  }
  const shown = (await rows.allTextContents()).join(' | ');
  for (const ctl of [a, bCtl]) assert.ok(shown.includes(apiOf(ctl)), `${apiOf(ctl)} in ${shown}`);
  const leaders = page.getByTestId('cluster-members').locator('tr[data-leader="yes"]');
  assert.equal(await leaders.count(), 1, 'one leader');
  assert.equal(await leaders.getAttribute('data-member'), both.leader!.id);
  assert.equal(both.leader!.id, first.leader!.id, 'the first member still leads');
  assert.equal(await textOf(leaders.getByTestId('member-leader')), 'leader');
  await b.screenshot('cluster');
  assertNoPageProblems(b);
});

test('cluster: a controller alone is its one leading member; mastership applies only to clusters', async () => {
  const alone = await startController();
  controllers.push(alone);
  await openPage(b, `${alone.apiUrl}/ui/nodes`);
  const page = b.page;
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Cluster' }).click();
  await page.getByRole('heading', { level: 1, name: 'Cluster' }).waitFor({ timeout: 10_000 });
  await waitForText(
    b,
    alone,
    page.getByTestId('cluster-id'),
    /^none: this controller runs alone/,
    'no cluster',
  );
  const rows = page.getByTestId('cluster-members').locator('tbody tr');
  assert.equal(await rows.count(), 1);
  assert.equal(await rows.first().getAttribute('data-leader'), 'yes');
  assert.ok((await textOf(rows.first())).includes(apiOf(alone)));
  assert.match(await textOf(page.getByTestId('cluster-leader-since')), WHEN);
  assert.match(
    await textOf(page.getByTestId('switches-standalone')),
    /Switch mastership applies only to clusters/,
  );
  assert.equal(await page.getByRole('button', { name: 'Rebalance' }).count(), 0);
  await b.screenshot('cluster-alone');
  assertNoPageProblems(b);
});
