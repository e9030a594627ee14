/**
 * The Cluster page in Chromium against `sluice controller --store etcd --cluster-id` members on a real etcd:
 * reached from the Nodes page, it lists the one member, then (without a reload) the second one as it joins,
 * with their API addresses and the one leader since when. With a Mininet network on both members it shows one
 * master per switch and the count per member; a member that restarts takes nothing back, so the page shows
 * mastership uneven until Rebalance, which lists the moves, and then even; pressed again it says already
 * balanced. A controller alone shows itself as the one leading member, no cluster id, and says switch
 * mastership applies only to clusters; the nav links the page. No console error and no failed request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlClusterView } from '../../src/client/index.js';
import { startEtcdCluster, type TestEtcdCluster } from '../support/etcd.js';
import {
  ensureOvs,
  MininetNet,
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
const IDS = ['m0', 'm1'];
/** `5s ago (2026-12-06 10:00:00 UTC)`: the relative time with the absolute one. */
const WHEN = /\d+s ago \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)|\d+m \d+s ago \(/;

let etcd: TestEtcdCluster;
/** The cluster's members, m0 first; then the controller alone. */
const controllers: RunningController[] = [];
let net: MininetNet | undefined;
let b: BrowserSession;

before(async () => {
  await ensureOvs();
  etcd = await startEtcdCluster({ members: 1 });
  b = await openBrowser();
});

after(async () => {
  await b?.close();
  await net?.stop();
  for (const c of controllers) await c.stop();
  await etcd?.stop();
});

/** Starts one more member of CLUSTER (stopped by after()). */
async function member(): Promise<RunningController> {
  const id = IDS[controllers.length];
  const c = await startController({
    command: sluiceEtcdCommand(etcd.endpoints[0], PREFIX, ['--cluster-id', CLUSTER, '--member-id', id]),
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

/** m0's API view once every switch has a master and is connected to both members; `masters` as per `want`. */
async function mastered(want: (masters: string[]) => boolean, what: string): Promise<ControlClusterView> {
  const [m0] = controllers;
  let last: ControlClusterView | undefined;
  return waitFor(
    async () => {
      last = await sluiceCliJson<ControlClusterView>(m0, ['cluster']);
      const sw = last.switches ?? [];
      const ok =
        last.members.length === 2 &&
        sw.length === 4 &&
        sw.every((s) => s.master !== null && IDS.every((id) => s.members.includes(id)));
      return ok && want(sw.map((s) => s.master!)) ? last : undefined;
    },
    { what, timeoutMs: 30_000, intervalMs: 250, detail: () => JSON.stringify(last) },
  );
}

const count = (masters: string[], id: string) => masters.filter((m) => m === id).length;

test('cluster: one master per switch, counted per member; uneven after a restart until Rebalance', async () => {
  const [m0, m1] = controllers;
  net = await MininetNet.start({
    topo: 'linear,4',
    controllers: controllers.map((c) => ({ port: c.openflowPort })),
    waitConnected: true,
  });
  const dpids = net.switches.map((s) => s.dpid).sort();
  const page = b.page;
  const rows = page.getByTestId('cluster-switches').locator('tbody tr');
  /** `m0 m1 m0 m1`: each switch row's master, by dpid. */
  const mastersShown = async () =>
    (await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-master')))).join(' ');
  /** `m0:2 m1:2`: the mastership table's count per member. */
  const perMember = async () =>
    (
      await page
        .getByTestId('mastership')
        .locator('tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => `${tr.getAttribute('data-member')}:${tr.querySelector('.num')?.textContent}`),
        )
    ).join(' ');
  const api = await mastered(() => true, 'a master for every switch');
  await waitForShown(b, m0, 'a master on every switch', mastersShown, /^(m[01] ){3}m[01]$/);
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-dpid'))), dpids);
  for (const s of api.switches!) {
    const row = page.getByTestId('cluster-switches').locator(`tr[data-dpid="${s.dpid}"]`);
    assert.equal(await row.getAttribute('data-master'), s.master, s.dpid);
    assert.match(await textOf(row.getByTestId('switch-master')), new RegExp(`\\(${s.master}\\)$`));
    assert.match(await textOf(row), /\(m0\), .*\(m1\)$/, `${s.dpid} connected to both`);
  }
  const masters = api.switches!.map((s) => s.master!);
  await waitForShown(
    b,
    m0,
    'the count per member',
    perMember,
    `m0:${count(masters, 'm0')} m1:${count(masters, 'm1')}`,
  );
  await b.screenshot('cluster-switches');

  // m1 restarts: its switches go to m0 and stay there (masters never move back by themselves).
  await m1.restart();
  await mastered((ms) => count(ms, 'm0') === 4, 'm0 to master all four switches, m1 back');
  await waitForShown(b, m0, 'm0 with all four', perMember, 'm0:4 m1:0');
  assert.match(await textOf(page.getByTestId('mastership-summary')), /4 switches: unbalanced/);

  // Rebalance: two switches move to m1, the page lists the moves, then shows mastership even.
  const rebalance = page.getByRole('button', { name: 'Rebalance' });
  await rebalance.click();
  await waitForText(b, m0, page.getByTestId('done'), /^2 switches asked to move/, 'the moves');
  const moves = await page.getByTestId('rebalance-moves').locator('tbody tr').allTextContents();
  assert.equal(moves.length, 2);
  for (const m of moves) assert.match(m, /^([0-9a-f]{2}:){7}[0-9a-f]{2}.*\(m0\).*\(m1\)$/, m);
  await waitForShown(b, m0, 'mastership even', perMember, 'm0:2 m1:2', 30_000);
  await waitForText(b, m0, page.getByTestId('mastership-summary'), /: balanced$/, 'balanced');
  await mastered((ms) => count(ms, 'm1') === 2, 'the API to agree');
  await rebalance.click();
  await waitForText(b, m0, page.getByTestId('done'), /^Already balanced/, 'already balanced');
  assert.equal(await page.getByTestId('rebalance-moves').count(), 0);
  await b.screenshot('cluster-rebalanced');
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
