/**
 * Config follows the store across a cluster (issue 13): two `sluice controller --store etcd --cluster-id`
 * processes on one etcd; a static flow, a firewall rule and an ACL rule added through member A's REST API are
 * listed by member B's, and a delete through B disappears from A's. (Whether the flow reaches a switch that B
 * masters is the mastership tests' subject.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcdCluster, type TestEtcdCluster } from '../support/etcd.js';
import { sluiceEtcdCommand, startController, waitFor, type RunningController } from './harness/index.js';

const PREFIX = '/sluice-ha-config';
const CLUSTER = 'it-config';
const S1 = '00:00:00:00:00:00:00:01';

let etcd: TestEtcdCluster;
const controllers: RunningController[] = [];

before(async () => {
  etcd = await startEtcdCluster({ members: 1 });
});

after(async () => {
  for (const c of controllers) await c.stop();
  await etcd?.stop();
});

async function api(ctl: RunningController, method: string, path: string, body?: unknown) {
  assert.ok(ctl.apiUrl, 'the controller serves the API');
  const res = await fetch(`${ctl.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined, text };
}

/** Names of the static entries a member lists (Floodlight's listing: dpid -> [{name: entry}]). */
async function staticNames(ctl: RunningController): Promise<string[]> {
  const r = await api(ctl, 'GET', '/wm/staticentrypusher/list/all/json');
  assert.equal(r.status, 200, r.text);
  const listing = r.json as Record<string, Record<string, unknown>[]>;
  return Object.values(listing)
    .flat()
    .flatMap((item) => Object.keys(item))
    .sort();
}

async function firewallRules(ctl: RunningController): Promise<{ ruleid: number; tp_dst: number }[]> {
  const r = await api(ctl, 'GET', '/wm/firewall/rules/json');
  assert.equal(r.status, 200, r.text);
  return r.json as { ruleid: number; tp_dst: number }[];
}

const wait = { timeoutMs: 15_000, intervalMs: 100 };

test('a static flow and a firewall rule added through member A are listed by member B', async () => {
  for (let i = 0; i < 2; i++) {
    controllers.push(
      await startController({
        command: sluiceEtcdCommand(etcd.endpoints[0], PREFIX, ['--cluster-id', CLUSTER]),
      }),
    );
  }
  const [a, b] = controllers as [RunningController, RunningController];

  const added = await api(a, 'POST', '/wm/staticentrypusher/json', {
    switch: S1,
    name: 'ha-flow',
    priority: 100,
    eth_type: '0x0806',
    actions: 'output=2',
  });
  assert.equal(added.status, 200, added.text);
  const rule = await api(a, 'POST', '/wm/firewall/rules/json', {
    'nw-proto': 'TCP',
    'tp-dst': 2323,
    action: 'deny',
  });
  assert.equal(rule.status, 200, rule.text);

  await waitFor(async () => (await staticNames(b)).includes('ha-flow'), {
    ...wait,
    what: 'member B to list the static flow added through A',
    detail: () => b.logTail(30),
  });
  const ruleid = await waitFor(async () => (await firewallRules(b)).find((r) => r.tp_dst === 2323)?.ruleid, {
    ...wait,
    what: 'member B to list the firewall rule added through A',
    detail: () => b.logTail(30),
  });

  // And back: deletes through B disappear from A.
  const del = await api(b, 'DELETE', '/wm/staticentrypusher/json', { name: 'ha-flow' });
  assert.equal(del.status, 200, del.text);
  const delRule = await api(b, 'DELETE', '/wm/firewall/rules/json', { ruleid });
  assert.equal(delRule.status, 200, delRule.text);
  await waitFor(
    async () =>
      !(await staticNames(a)).includes('ha-flow') &&
      !(await firewallRules(a)).some((r) => r.ruleid === ruleid),
    { ...wait, what: 'member A to drop what B deleted', detail: () => a.logTail(30) },
  );
});
