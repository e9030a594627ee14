/**
 * `sluice node apply|diff|history|list|show|delete` as a user runs them, against a real `sluice controller` on
 * each store backend (embedded SQLite, and a throwaway etcd): descriptions from a directory of JSON files, a
 * second apply that changes nothing, a diff that shows an edit and exits 1, history kept across a delete and a
 * controller restart, and the cluster view naming this controller's listeners.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceClient } from '../../src/client/index.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';
import { sluiceCli, sluiceEtcdCommand, startController, type RunningController } from './harness/index.js';

const cluster = { controllers: [{ address: '127.0.0.1', ovsdb_port: 6640 }] };
const hv1 = {
  type: 'hypervisor',
  name: 'hv1',
  management_address: '10.9.0.1',
  transport_zone: 'tz1',
  data_interface: 'eth1',
  ovsdb: 'unix:/var/run/sim-hv1/db.sock',
};
const gw1 = {
  type: 'gateway',
  name: 'gw1',
  management_address: '10.9.0.2',
  transport_zone: 'tz2',
  mgmt_rendezvous_client: true,
};

const dir = mkdtempSync(join(tmpdir(), 'sluice-nodes-it-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes the directory `sluice node apply` reads: the cluster with hv1 in one file, gw1 alone in another. */
function descriptionDir(name: string, gw = gw1): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'cluster.json'), JSON.stringify({ cluster, nodes: [hv1] }));
  writeFileSync(join(d, 'gw1.json'), JSON.stringify(gw));
  return d;
}

const client = (ctl: RunningController) => new SluiceClient({ baseUrl: ctl.apiUrl! });

describe('sluice node on the embedded store', () => {
  let ctl: RunningController;
  const sluice = (args: string[]) => sluiceCli(ctl, args);
  before(async () => {
    ctl = await startController();
  });
  after(() => ctl?.stop());

  test('apply a directory, apply again, diff an edit, history across delete and restart', async () => {
    const descriptions = descriptionDir('embedded');
    const applied = await sluice(['node', 'apply', descriptions]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(
      applied.stdout,
      'cluster: created (revision 1)\nhv1: created (revision 1)\ngw1: created (revision 1)\n',
    );
    const again = await sluice(['node', 'apply', descriptions]);
    assert.equal(
      again.stdout,
      'cluster: unchanged (revision 1)\nhv1: unchanged (revision 1)\ngw1: unchanged (revision 1)\n',
    );
    const same = await sluice(['node', 'diff', descriptions]);
    assert.equal(same.code, 0, same.stdout + same.stderr);

    // An edit: diff shows it and exits 1; apply stores it as revision 2.
    descriptionDir('embedded', { ...gw1, management_address: '10.9.0.22' });
    const diff = await sluice(['node', 'diff', descriptions]);
    assert.equal(diff.code, 1, diff.stderr);
    assert.match(diff.stdout, /--- gw1 \(stored, revision 1\)\n\+\+\+ gw1 \(.*gw1\.json\)\n/);
    assert.match(
      diff.stdout,
      /-\s+"management_address": "10\.9\.0\.2",\n\+\s+"management_address": "10\.9\.0\.22",/,
    );
    assert.match((await sluice(['node', 'apply', descriptions])).stdout, /gw1: updated \(revision 2\)/);

    const list = await sluice(['node', 'list']);
    assert.match(list.stdout, /\ngw1\s+gateway\s+tz2\s+10\.9\.0\.22\s+2\s/);
    assert.match(list.stdout, /\nhv1\s+hypervisor\s+tz1\s+10\.9\.0\.1\s+1\s/);
    const show = await sluice(['node', 'show', 'hv1']);
    assert.match(show.stdout, /ovsdb:\s+unix:\/var\/run\/sim-hv1\/db\.sock\n/);
    const deleted = await sluice(['node', 'delete', 'gw1']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(await client(ctl).nodes.nodeExists('gw1'), false);

    // Durable: the history survives a restart of the controller.
    await ctl.restart();
    const history = await sluice(['node', 'history', 'gw1']);
    assert.equal(history.code, 0, history.stderr);
    assert.match(
      history.stdout,
      /^REVISION\s+CHANGE\s+APPLIED.*\n1\s+created\s.*\n2\s+updated\s.*\n3\s+deleted\s/s,
    );

    const zones = await client(ctl).nodes.transportZones();
    assert.deepEqual(zones, [{ name: 'tz1', nodes: ['hv1'], connected: 0 }]);
    const members = await client(ctl).nodes.controlCluster();
    assert.equal(members.length, 1);
    const roles = members[0].roles.map((r) => `${r.role} ${r.listen_addr}`);
    assert.ok(roles.includes(`api ${ctl.apiUrl!.replace('://', ':')}`), roles.join(', '));
    assert.ok(
      roles.some((r) => r.startsWith('openflow tcp:') && r.endsWith(`:${ctl.openflowPort}`)),
      roles.join(', '),
    );
  });
});

describe('sluice node on the etcd store', () => {
  let etcd: TestEtcd | undefined;
  let ctl: RunningController | undefined;
  before(async () => {
    etcd = await startEtcd();
    ctl = await startController({ command: sluiceEtcdCommand(etcd.endpoint, '/sluice-nodes-it') });
  });
  after(async () => {
    await ctl?.stop();
    await etcd?.stop();
  });

  test('descriptions and their history are kept in etcd', async () => {
    const applied = await sluiceCli(ctl!, ['node', 'apply', descriptionDir('etcd')]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /gw1: created \(revision 1\)/);
    const nodes = client(ctl!).nodes;
    assert.equal((await nodes.apply({ ...gw1, type: 'gateway' })).change, 'unchanged');
    await nodes.delete('gw1');
    assert.deepEqual(
      (await nodes.history('gw1')).map((r) => `${r.revision} ${r.change}`),
      ['1 created', '2 deleted'],
    );
    assert.equal((await nodes.clusterDescription()).revision, 1);
  });
});
