/**
 * `sluice controller --store etcd` as a real process on a real (throwaway) etcd: state written through the CLI
 * and API lands in etcd under --etcd-prefix, comes back after a restart, and an unreachable etcd or a flag of the
 * other backend stops the start with a message naming it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StaticFlow } from '../../src/client/index.js';
import { openEtcdStore } from '../../src/store/index.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';
import {
  freePort,
  run,
  runOk,
  SLUICE_CLI,
  sluiceCli,
  sluiceEtcdCommand,
  sluiceCliJson,
  startController,
  type RunningController,
} from './harness/index.js';

const PREFIX = '/sluice-it';
const ENTRY = '/apps/staticflows/entries/web';

let etcd: TestEtcd;
const controllers: RunningController[] = [];

before(async () => {
  etcd = await startEtcd();
});

after(async () => {
  for (const c of controllers) await c.stop();
  await etcd?.stop();
});

async function startOnEtcd(prefix: string): Promise<RunningController> {
  const ctl = await startController({ command: sluiceEtcdCommand(etcd.endpoint, prefix) });
  controllers.push(ctl);
  return ctl;
}

/** Entry names from `sluice staticflow list --json`. */
async function entryNames(ctl: RunningController): Promise<string[]> {
  const listed = await sluiceCliJson<StaticFlow[]>(ctl, ['staticflow', 'list']);
  return listed.map((e) => e.name).sort();
}

const etcdctl = (args: string[]) => runOk('etcdctl', [`--endpoints=${etcd.endpoint}`, ...args]);

test('a static flow added through the CLI is kept in etcd under --etcd-prefix and comes back after a restart', async () => {
  const ctl = await startOnEtcd(PREFIX);
  const add = await sluiceCli(ctl, [
    'staticflow',
    'add',
    ...['--switch', '1', '--name', 'web', '--priority', '40000'],
    ...['--match', 'eth_type=0x800,ipv4_dst=10.0.0.2', '--actions', 'output=2'],
  ]);
  assert.equal(add.code, 0, add.stderr);
  assert.deepEqual(await entryNames(ctl), ['web']);

  // Where an operator would look: etcdctl sees the key under the prefix, with the entry as JSON.
  const keys = (await etcdctl(['get', '--prefix', `${PREFIX}/`, '--keys-only'])).split('\n').filter(Boolean);
  assert.ok(keys.includes(`${PREFIX}${ENTRY}`), keys.join('\n'));
  const stored = JSON.parse(await etcdctl(['get', `${PREFIX}${ENTRY}`, '--print-value-only'])) as {
    name: string;
  };
  assert.equal(stored.name, 'web');

  await ctl.restart();
  assert.deepEqual(await entryNames(ctl), ['web'], `after the restart; log:\n${ctl.logTail(20)}`);

  // The restarted controller reads etcd, not a local copy: an entry written to etcd while it was down shows up.
  await ctl.proc.stop(5000);
  const store = openEtcdStore({ endpoints: [etcd.endpoint], namespace: PREFIX });
  try {
    const entry = (await store.get(ENTRY))!.value as Record<string, unknown>;
    await store.put('/apps/staticflows/entries/ssh', { ...entry, name: 'ssh', priority: 39000 });
  } finally {
    await store.close();
  }
  await ctl.restart();
  assert.deepEqual(await entryNames(ctl), ['ssh', 'web']);

  // Another prefix on the same etcd is another controller's state: it starts empty.
  const other = await startOnEtcd('/sluice-it-other');
  assert.deepEqual(await entryNames(other), []);
});

test('an unreachable etcd stops the start at once (exit 1) naming the endpoint and what to do', async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const started = Date.now();
  const r = await run(
    process.execPath,
    [SLUICE_CLI, 'controller', '--store', 'etcd', '--etcd-endpoints', endpoint, '--api-port', '0'],
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`cannot reach etcd at ${endpoint.replace(/\./g, '\\.')} \\(`));
  assert.match(r.stderr, /Start etcd there, or point --etcd-endpoints/);
  // Bounded by a refused connection, not the 5 s request deadline (node's own start-up counted in).
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
});

test('store flags of the other backend are usage errors of the real process (exit 2)', async () => {
  const r = await run(process.execPath, [
    SLUICE_CLI,
    'controller',
    ...['--store', 'etcd', '--etcd-endpoints', etcd.endpoint, '--data-dir', '/tmp/unused'],
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--data-dir is only used with --store embedded/);
});
