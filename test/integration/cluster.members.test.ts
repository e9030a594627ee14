/**
 * Three `sluice controller --store etcd --cluster-id` processes on a 3-member etcd (issue 13, first step):
 * every member lists the three and the same single leader; kill -9 the leader and the others agree on a new one
 * while the dead member's key goes with its lease; a bad --cluster-id stops the start naming the flag.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlClusterView } from '../../src/client/index.js';
import { startEtcdCluster, type TestEtcdCluster } from '../support/etcd.js';
import {
  run,
  SLUICE_CLI,
  sluiceCli,
  sluiceCliJson,
  sluiceEtcdCommand,
  startController,
  waitFor,
  type RunningController,
} from './harness/index.js';

const PREFIX = '/sluice-ha';
const CLUSTER = 'it-cluster';

let etcd: TestEtcdCluster;
const controllers: RunningController[] = [];

before(async () => {
  etcd = await startEtcdCluster({ members: 3 });
});

after(async () => {
  for (const c of controllers) await c.stop();
  await etcd?.stop();
});

const view = (ctl: RunningController) => sluiceCliJson<ControlClusterView>(ctl, ['cluster']);

/** Polls every controller in `ctls` until each lists exactly `ids` and they all name one leader among them. */
async function agreed(
  ctls: RunningController[],
  count: number,
  timeoutMs: number,
): Promise<ControlClusterView> {
  let last: ControlClusterView[] = [];
  return waitFor(
    async () => {
      last = await Promise.all(ctls.map(view));
      const [first] = last;
      const leader = first.leader?.id;
      const ok = last.every(
        (v) =>
          v.cluster_id === CLUSTER &&
          v.members.length === count &&
          v.leader?.id === leader &&
          v.members
            .filter((m) => m.leader)
            .map((m) => m.id)
            .join() === leader,
      );
      return ok && leader !== undefined ? first : undefined;
    },
    {
      what: `${ctls.length} controllers to list ${count} members and agree on one leader`,
      timeoutMs,
      intervalMs: 250,
      detail: () => JSON.stringify(last, null, 1),
    },
  );
}

test('three members: the same single leader everywhere; kill -9 it and the others elect another', async () => {
  // Each member gets its own etcd member as endpoint (the same cluster, the same prefix).
  for (let i = 0; i < 3; i++) {
    controllers.push(
      await startController({
        command: sluiceEtcdCommand(etcd.endpoints[i], PREFIX, ['--cluster-id', CLUSTER]),
      }),
    );
  }
  const t0 = Date.now();
  const first = await agreed(controllers, 3, 30_000);
  const apis = controllers.map((c) => `http:127.0.0.1:${c.apiPort}`).sort();
  assert.deepEqual(
    first.members.map((m) => m.roles.find((r) => r.role === 'api')?.listen_addr).sort(),
    apis,
    'each member with its own API address',
  );
  for (const m of first.members)
    assert.ok(
      m.roles.some((r) => r.role === 'openflow'),
      m.id,
    );
  assert.ok(first.leader && !Number.isNaN(Date.parse(first.leader.since)));
  const table = await sluiceCli(controllers[0], ['cluster']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /MEMBER\s+API\s+OPENFLOW\s+VERSION\s+LEADER\s+SINCE/);
  assert.equal(table.stdout.match(/\syes\s/g)?.length, 1, table.stdout);

  const leaderApi = first.members.find((m) => m.leader)!.roles.find((r) => r.role === 'api')!.listen_addr;
  const dead = controllers.find((c) => leaderApi.endsWith(`:${c.apiPort}`))!;
  await dead.kill();
  const rest = controllers.filter((c) => c !== dead);
  const t1 = Date.now();
  const next = await agreed(rest, 2, 30_000);
  assert.notEqual(next.leader!.id, first.leader!.id);
  assert.ok(!next.members.some((m) => m.id === first.leader!.id), 'the dead member is gone');
  console.log(`# agreed in ${t1 - t0} ms; new leader ${Date.now() - t1} ms after kill -9`);
});

test('a bad --cluster-id exits 2 naming the flag', async () => {
  const r = await run(
    process.execPath,
    [
      SLUICE_CLI,
      'controller',
      '--store',
      'etcd',
      '--etcd-endpoints',
      etcd.endpoints[0],
      '--cluster-id',
      'no/slash',
    ],
    { timeoutMs: 15_000 },
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--cluster-id/);
});
