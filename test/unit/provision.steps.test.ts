/**
 * The provisioning steps and runner against a scripted node (provision.fakenode.ts) and a CA signing with the
 * real openssl: a first run sets the node up, a second plans nothing, a dry run changes nothing, a failure
 * names its step and puts back what the run changed in reverse, and a node that cannot be provisioned (OVS
 * missing or stopped, the data interface on another bridge) is refused with what to do about it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  plannedManagers,
  provisionNode,
  ProvisionError,
  STEPS,
  type ProgressEvent,
  type StepContext,
} from '../../src/provision/index.js';
import type { ControlCluster, NodeDescription } from '../../src/schema/index.js';
import {
  CLUSTER as cluster,
  HV1 as hv1,
  fakeCa,
  fakeControl,
  fakeNode,
  freshState,
  type FakeCa,
  type FakeState,
} from './provision.fakenode.js';

let ca: FakeCa;
before(() => {
  ca = fakeCa();
});
after(() => ca.remove());

function setup(state: FakeState = freshState(), node: NodeDescription = hv1) {
  const exec = fakeNode(state);
  const cp = fakeControl(ca);
  const events: ProgressEvent[] = [];
  const ctx = (): StepContext => ({ node, cluster, exec, control: cp.control, facts: {} });
  const run = (opts: { dryRun?: boolean } = {}) =>
    provisionNode(ctx(), { ...opts, report: (e) => events.push(e) });
  return { exec, cp, events, run, ctx };
}

const snapshot = (s: FakeState) => JSON.parse(JSON.stringify(s)) as FakeState;
const statuses = (r: { steps: Array<{ step: string; status: string }> }) =>
  Object.fromEntries(r.steps.map((s) => [s.step, s.status]));

/** The error of a run that must fail. */
async function failure(run: Promise<unknown>): Promise<ProvisionError> {
  const err = await run.then(
    () => assert.fail('the run should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProvisionError, String(err));
  return err;
}

/** A node as a first run leaves it, for the tests that start from a provisioned node. */
async function provisioned() {
  const t = setup();
  await t.run();
  t.events.length = 0;
  t.exec.log.length = 0;
  t.cp.calls.length = 0;
  return t;
}

test('a first run sets the node up as the seed did; a second run changes nothing', async () => {
  const t = setup();
  const first = await t.run();
  assert.equal(first.ok, true);
  assert.equal(first.changed, true);
  assert.deepEqual(statuses(first), {
    ovs: 'changed',
    pki: 'changed',
    ssl: 'changed',
    'integration-bridge': 'changed',
    'data-bridge': 'changed',
    manager: 'changed',
    controller: 'changed',
    register: 'changed',
  });
  const s = t.exec.state;
  assert.match(s.ovsIds['system-id'], /^[0-9a-f-]{36}$/);
  assert.deepEqual(s.ssl, {
    key: '/etc/openvswitch/sluice-privkey.pem',
    cert: '/etc/openvswitch/sluice-cert.pem',
    ca: '/etc/openvswitch/sluice-cacert.pem',
    bootstrap: false,
  });
  assert.match(s.files['/etc/openvswitch/sluice-privkey.pem'], /PRIVATE KEY/);
  assert.match(s.files['/etc/openvswitch/sluice-cert.pem'], /BEGIN CERTIFICATE/);
  assert.equal(s.files['/etc/openvswitch/sluice-cacert.pem'], ca.ca.certificate);
  assert.equal(
    Object.keys(s.files).some((f) => f.endsWith('.sluice-prev')),
    false,
    'backups are dropped once the run succeeded',
  );
  assert.deepEqual(s.bridges['br-int'], {
    externalIds: { 'bridge-id': 'br-int', 'sluice-node': 'hv1', 'sluice-zone': 'tz1' },
    failMode: 'secure',
    datapath: '',
    ports: [],
    controllers: ['ssl:10.0.0.254:6653'],
  });
  assert.deepEqual(s.bridges['br-eth1'].ports, ['eth1']);
  assert.deepEqual(s.managers, ['ssl:10.0.0.254:6640']);
  const reg = t.cp.registrations.get('hv1')!;
  assert.equal(reg.system_id, s.ovsIds['system-id']);
  assert.equal(reg.data_bridge, 'br-eth1');
  assert.match(reg.certificate_fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

  const before = snapshot(s);
  t.events.length = 0;
  const second = await t.run();
  assert.equal(second.changed, false);
  assert.ok(second.steps.every((r) => r.status === 'unchanged' && r.changes.length === 0));
  assert.deepEqual(snapshot(s), before);
  assert.deepEqual(t.cp.calls, ['sign hv1', 'register hv1'], 'the second run neither signs nor registers');
  assert.equal(t.events.filter((e) => e.kind === 'command').length, 0);
});

test('progress: each step starts and ends in order, with the commands it sends between', async () => {
  const t = setup();
  await t.run();
  const kinds = t.events
    .filter((e) => e.kind !== 'command')
    .map((e) => `${e.kind} ${'index' in e ? e.index : ''}`);
  assert.deepEqual(
    kinds,
    STEPS.flatMap((_, i) => [`step-start ${i + 1}`, `step-end ${i + 1}`]),
  );
  const sslAt = t.events.findIndex((e) => e.kind === 'step-start' && e.step.id === 'ssl');
  const next = t.events[sslAt + 1];
  assert.equal(next.kind, 'command');
  assert.match(
    next.kind === 'command' ? next.text : '',
    /^ovs-vsctl .* set-ssl \/etc\/openvswitch\/sluice-privkey\.pem/,
  );
});

test('a dry run shows the plan and changes nothing on the node or the controller', async () => {
  const t = setup();
  const before = snapshot(t.exec.state);
  const r = await t.run({ dryRun: true });
  assert.equal(r.dryRun, true);
  assert.equal(r.changed, false);
  assert.ok(
    r.steps.every((s) => s.status === 'would-change'),
    JSON.stringify(statuses(r)),
  );
  assert.deepEqual(snapshot(t.exec.state), before);
  assert.deepEqual(t.cp.calls, []);
  assert.ok(
    r.steps
      .find((s) => s.step === 'manager')!
      .commands.some((c) => c.includes('set-manager ssl:10.0.0.254:6640')),
  );
  const writes = t.exec.log.filter(
    (l) => !/ --version$| get | get-| br-exists | port-to-br |^cat |^test /.test(l),
  );
  assert.deepEqual(writes, [], 'a dry run only reads');
});

test('a failure in step 6 names the step, shows the output, and undoes steps 1-5 in reverse', async () => {
  const t = setup();
  const before = snapshot(t.exec.state);
  t.exec.failWhen((argv) => argv.includes('set-manager'), {
    code: 1,
    stdout: '',
    stderr:
      'ovs-vsctl: transaction error: {"details":"constraint violation","error":"referential integrity violation"}',
  });
  const err = await failure(t.run());
  assert.equal(err.step, 'manager');
  assert.match(
    err.message,
    /^step manager failed: ovs-vsctl .*set-manager .*exited with status 1: .*referential integrity/,
  );
  const r = err.result;
  assert.equal(r.ok, false);
  const manager = r.steps.find((s) => s.step === 'manager')!;
  assert.equal(manager.status, 'failed');
  assert.match(manager.output!, /referential integrity violation/);
  assert.deepEqual(statuses(r), {
    ovs: 'rolled-back',
    pki: 'rolled-back',
    ssl: 'rolled-back',
    'integration-bridge': 'rolled-back',
    'data-bridge': 'rolled-back',
    manager: 'failed',
    controller: 'skipped',
    register: 'skipped',
  });
  // The node is as it was, file for file and row for row.
  assert.deepEqual(snapshot(t.exec.state), before);
  assert.deepEqual(r.rollback, { undone: 6, failures: [] });
  const undone = t.events.flatMap((e) => (e.kind === 'rollback' ? [e.change] : []));
  assert.deepEqual(undone, [
    'add eth1 to br-eth1',
    'create br-eth1',
    'create br-int',
    'set SSL key, certificate and CA',
    'new key and certificate (no private key yet)',
    undone.at(-1)!,
  ]);
  assert.match(undone.at(-1)!, /^set system-id /);
  assert.deepEqual(t.cp.calls, ['sign hv1'], 'nothing was registered');
});

test('a failure on a provisioned node puts back its earlier settings, not a blank', async () => {
  const t = await provisioned();
  // The cluster moved and the node changed zone: br-int's ids, manager and controller change, then the
  // controller refuses the new registration.
  const moved: ControlCluster = { controllers: [{ address: '10.0.0.250' }] };
  const before = snapshot(t.exec.state);
  const regBefore = structuredClone(t.cp.registrations.get('hv1'));
  t.cp.control.register = async () => {
    throw new Error('409 conflict: the controller refused');
  };
  const err = await failure(
    provisionNode({ ...t.ctx(), node: { ...hv1, transport_zone: 'tz2' }, cluster: moved }),
  );
  assert.equal(err.step, 'register');
  assert.equal(err.message, 'step register failed: 409 conflict: the controller refused');
  assert.deepEqual(snapshot(t.exec.state), before);
  assert.deepEqual(t.exec.state.bridges['br-int'].controllers, ['ssl:10.0.0.254:6653']);
  assert.deepEqual(t.cp.registrations.get('hv1'), regBefore);
  assert.deepEqual(err.result.rollback, { undone: 3, failures: [] });
});

test('a failed signing leaves the node its earlier key and certificate (a change that failed part-way)', async () => {
  const t = await provisioned();
  const before = snapshot(t.exec.state);
  // A new cluster CA: the node's certificate must be re-issued; the controller refuses to sign.
  const other = fakeCa('other-ca');
  try {
    const cp = fakeControl(other);
    cp.failSignWith(new Error('404 not_found: node hv1 has no description'));
    const err = await failure(provisionNode({ ...t.ctx(), control: cp.control }));
    assert.equal(err.step, 'pki');
    assert.match(err.message, /404 not_found: node hv1 has no description/);
    assert.deepEqual(snapshot(t.exec.state), before, 'key, certificate and CA file put back');
    assert.deepEqual(err.result.rollback, { undone: 1, failures: [] });
  } finally {
    other.remove();
  }
});

test('a change that failed before touching anything is not reported as undone', async () => {
  const t = setup();
  t.exec.failWhen((argv) => argv.includes('set-ssl'), { code: 1, stdout: '', stderr: 'ovs-vsctl: boom' });
  const err = await failure(t.run());
  const undone = t.events.flatMap((e) => (e.kind === 'rollback' ? [e.change] : []));
  assert.equal(undone.includes('set SSL key, certificate and CA'), false);
  assert.equal(err.result.rollback?.undone, 2);
  assert.equal(t.exec.state.ssl, undefined);
});

test('a second run after someone changed the bridge changes only that back', async () => {
  const t = await provisioned();
  t.exec.state.bridges['br-int'].failMode = '';
  t.exec.state.bridges['br-int'].externalIds['sluice-zone'] = 'tz-old';
  const r = await t.run();
  assert.deepEqual(
    r.steps.filter((s) => s.status === 'changed').map((s) => [s.step, s.changes]),
    [['integration-bridge', ['set external ids sluice-zone=tz1', 'fail mode secure (was standalone)']]],
  );
  assert.equal(t.exec.state.bridges['br-int'].failMode, 'secure');
  assert.equal(t.exec.state.bridges['br-int'].externalIds['sluice-zone'], 'tz1');
});

test('OVS not installed: refused at step 1 with how to install it; nothing else runs', async () => {
  const t = setup({ ...freshState(), installed: false });
  const err = await failure(t.run());
  assert.equal(err.step, 'ovs');
  assert.match(
    err.message,
    /ovs-vsctl is not installed on the node: install Open vSwitch \(Debian\/Ubuntu: apt install openvswitch-switch\)/,
  );
  assert.deepEqual(statuses(err.result), {
    ovs: 'failed',
    pki: 'skipped',
    ssl: 'skipped',
    'integration-bridge': 'skipped',
    'data-bridge': 'skipped',
    manager: 'skipped',
    controller: 'skipped',
    register: 'skipped',
  });
  assert.deepEqual(err.result.rollback, { undone: 0, failures: [] });
});

test('OVS not running: refused at step 1 naming the database and how to start it', async () => {
  const t = setup({ ...freshState(), running: false });
  const before = snapshot(t.exec.state);
  const err = await failure(t.run());
  assert.equal(err.step, 'ovs');
  assert.match(
    err.message,
    /ovsdb-server does not answer at unix:\/var\/run\/openvswitch\/db\.sock: start Open vSwitch \(systemctl start openvswitch-switch\) or set "ovsdb".*database connection failed/,
  );
  assert.deepEqual(snapshot(t.exec.state), before);
});

test('the data interface on another bridge is refused with both ways out, and steps 1-4 are undone', async () => {
  const state = freshState();
  state.bridges['br-other'] = {
    externalIds: {},
    failMode: '',
    datapath: '',
    ports: ['eth1'],
    controllers: [],
  };
  const t = setup(state);
  const before = snapshot(t.exec.state);
  const err = await failure(t.run());
  assert.equal(err.step, 'data-bridge');
  assert.equal(
    err.message,
    'step data-bridge failed: eth1 is a port of bridge br-other: remove it (ovs-vsctl del-port br-other eth1) or set "data_bridge": "br-other"',
  );
  assert.deepEqual(snapshot(t.exec.state), before);
  assert.equal(t.exec.state.bridges['br-int'], undefined);
});

test('a gateway has no data bridge and marks its rendezvous role on br-int; a netdev datapath is set', async () => {
  const gw: NodeDescription = {
    type: 'gateway',
    name: 'gw1',
    management_address: '10.0.0.5',
    transport_zone: 'tz1',
    mgmt_rendezvous_client: true,
    datapath_type: 'netdev',
  };
  const t = setup(freshState(), gw);
  const r = await t.run();
  assert.equal(statuses(r)['data-bridge'], 'unchanged');
  assert.deepEqual(Object.keys(t.exec.state.bridges), ['br-int']);
  assert.equal(t.exec.state.bridges['br-int'].externalIds['sluice-rendezvous'], 'client');
  assert.equal(t.exec.state.bridges['br-int'].datapath, 'netdev');
  assert.equal(t.cp.registrations.get('gw1')!.mgmt_rendezvous_client, true);
  assert.equal((await t.run()).changed, false);
});

test('other managers on the node (a local ptcp:) are kept beside the cluster', async () => {
  const t = setup({ ...freshState(), managers: ['ptcp:6640:127.0.0.1'] });
  await t.run();
  assert.deepEqual(t.exec.state.managers.sort(), ['ptcp:6640:127.0.0.1', 'ssl:10.0.0.254:6640']);
  assert.equal((await t.run()).changed, false);
});

test('a data interface OVS cannot open fails the data bridge step, which is undone with the run', async () => {
  const t = setup({ ...freshState(), links: ['lo', 'eth0'] });
  const before = snapshot(t.exec.state);
  const err = await failure(t.run());
  assert.equal(err.step, 'data-bridge');
  assert.equal(
    err.message,
    'step data-bridge failed: data_interface: Open vSwitch on node hv1 (10.0.0.1) cannot use eth1: ' +
      'could not open network device eth1 (No such device): ' +
      'check "data_interface" in the node\'s description against `ip link` on the node',
  );
  // The port and the bridge made for it are removed, and steps 1-4 undone as for any failure.
  assert.ok(
    t.exec.log.some((l) => / del-port br-eth1 eth1/.test(l)),
    t.exec.log.join('\n'),
  );
  assert.deepEqual(snapshot(t.exec.state), before);
});

test('a data interface already on the data bridge is not looked up again', async () => {
  const t = await provisioned();
  t.exec.state.links = ['lo'];
  assert.equal((await t.run()).changed, false);
  assert.ok(!t.exec.log.some((l) => / get Interface /.test(l)));
});

test("plannedManagers: the old cluster's ssl: managers go, other managers stay", () => {
  const cluster = ['ssl:10.0.0.200:6640'];
  assert.deepEqual(
    plannedManagers(['ptcp:6640:127.0.0.1', 'ssl:10.0.0.254:6640'], cluster, ['ssl:10.0.0.254:6653']),
    ['ptcp:6640:127.0.0.1', 'ssl:10.0.0.200:6640'],
  );
  // A manager on a host that is not the cluster's (no controller of br-int there) is not ours to remove.
  assert.deepEqual(plannedManagers(['ssl:192.0.2.9:6640'], cluster, ['ssl:10.0.0.254:6653']), [
    'ssl:192.0.2.9:6640',
    'ssl:10.0.0.200:6640',
  ]);
  assert.deepEqual(plannedManagers(cluster, cluster, ['ssl:10.0.0.200:6653']), cluster);
  assert.deepEqual(plannedManagers(['ssl:[fd00::1]:6640'], cluster, ['ssl:[fd00::1]:6653']), cluster);
});

test('a cluster that moved: its old ssl: manager and controller are replaced, ptcp: kept; undo restores', async () => {
  const t = setup({ ...freshState(), managers: ['ptcp:6640:127.0.0.1'] });
  await t.run();
  const moved: ControlCluster = { controllers: [{ address: '10.0.0.200' }] };
  const before = snapshot(t.exec.state);
  const ctx = (): StepContext => ({ ...t.ctx(), cluster: moved });
  // The registration step fails: everything this run changed is put back, the old lists exactly.
  const failing = { ...STEPS.find((s) => s.id === 'register')!, plan: () => Promise.reject(new Error('no')) };
  await failure(provisionNode(ctx(), { steps: STEPS.map((s) => (s.id === 'register' ? failing : s)) }));
  assert.deepEqual(snapshot(t.exec.state), before);
  const r = await provisionNode(ctx());
  assert.equal(r.ok, true);
  assert.deepEqual(t.exec.state.managers.sort(), ['ptcp:6640:127.0.0.1', 'ssl:10.0.0.200:6640']);
  assert.deepEqual(t.exec.state.bridges['br-int'].controllers, ['ssl:10.0.0.200:6653']);
  assert.equal((await provisionNode(ctx())).changed, false);
});

test('a PKI directory the run made is removed when the run is undone; one that was there stays', async () => {
  const node: NodeDescription = { ...hv1, pki_dir: '/srv/sluice/pki' };
  const t = setup({ ...freshState(), links: ['lo'] }, node);
  const before = snapshot(t.exec.state);
  await failure(t.run());
  assert.ok(t.exec.log.includes('rm -rf -- /srv'), t.exec.log.join('\n'));
  assert.deepEqual(snapshot(t.exec.state), before);
  const kept = setup({ ...freshState(), links: ['lo'] });
  await failure(kept.run());
  assert.deepEqual(kept.exec.state.dirs, ['/etc/openvswitch']);
  assert.ok(!kept.exec.log.some((l) => l.startsWith('rm -rf')));
});
