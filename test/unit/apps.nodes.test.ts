/**
 * The nodes app: revisions as pure functions (same description = no-op, numbering continues after a delete),
 * the transport views (zones, registrations checked against descriptions, the cluster view) and the registry
 * over a real embedded store (history kept across delete, a damaged record named by its key).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalJson,
  checkRegistration,
  clusterViewOf,
  transportNodeOf,
  listenAddr,
  NodeRegistry,
  NO_RUNTIME,
  planApply,
  revisionKey,
  sameDescription,
  zonesOf,
} from '../../src/apps/nodes/index.js';
import { ConflictError, FieldError, NotFoundError } from '../../src/util/index.js';
import { StoreError } from '../../src/store/index.js';
import { controllerIdentity, urlListenAddr } from '../../src/daemon/nodes.js';
import { tempStore } from './apps.testctx.js';
import { gw1, hv1, hv1Registration, runtimeWith } from './nodes.fixtures.js';

test('canonical JSON ignores key order, not values', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: null } }),
    '{"a":{"c":null,"d":[1,{"x":2,"y":1}]},"b":1}',
  );
  assert.ok(sameDescription({ ...hv1 }, Object.fromEntries(Object.entries(hv1).reverse())));
  assert.ok(!sameDescription(hv1, { ...hv1, data_interface: 'eth2' }));
});

test('planApply: created, unchanged, updated; numbering continues past the history', () => {
  assert.deepEqual(planApply(hv1, undefined, 0), { change: 'created', revision: 1 });
  assert.deepEqual(planApply(hv1, { revision: 1, description: hv1 }, 1), {
    change: 'unchanged',
    revision: 1,
  });
  assert.deepEqual(planApply({ ...hv1, data_interface: 'eth2' }, { revision: 1, description: hv1 }, 1), {
    change: 'updated',
    revision: 2,
  });
  // Deleted at revision 3: applied again it is created, as revision 4.
  assert.deepEqual(planApply(hv1, undefined, 3), { change: 'created', revision: 4 });
  assert.ok(revisionKey(10) > revisionKey(9));
});

test('a registration needs a description that agrees on type, zone and bridge', () => {
  assert.throws(
    () => checkRegistration('hv1', hv1Registration, undefined),
    (e: unknown) => e instanceof ConflictError && e.field === 'name' && /no description/.test(e.message),
  );
  assert.doesNotThrow(() => checkRegistration('hv1', hv1Registration, hv1));
  assert.throws(
    () => checkRegistration('hv1', { ...hv1Registration, transport_zone: 'tz9' }, hv1),
    (e: unknown) => e instanceof FieldError && e.field === 'transport_zone' && /"tz9"/.test(e.message),
  );
  assert.throws(
    () => checkRegistration('hv1', { ...hv1Registration, type: 'gateway' }, hv1),
    (e: unknown) => e instanceof FieldError && e.field === 'type',
  );
  assert.throws(
    () => checkRegistration('hv1', { ...hv1Registration, integration_bridge: 'br-x' }, hv1),
    (e: unknown) => e instanceof FieldError && e.field === 'integration_bridge',
  );
});

test('zones come from descriptions, and registrations of nodes no longer described', () => {
  const zones = zonesOf(
    [hv1, gw1, { ...hv1, name: 'hv0' }],
    [
      { name: 'hv1', transport_zone: 'tz-old' }, // described: the description's zone wins
      { name: 'gone', transport_zone: 'tz3' },
    ],
    runtimeWith(['hv1', 'gone']),
  );
  assert.deepEqual(zones, [
    { name: 'tz1', nodes: ['hv0', 'hv1'], connected: 1 },
    { name: 'tz2', nodes: ['gw1'], connected: 0 },
    { name: 'tz3', nodes: ['gone'], connected: 1 },
  ]);
  assert.deepEqual(zonesOf([], [], NO_RUNTIME), []);
});

test('the cluster view lists this controller with its roles and listen addresses', () => {
  const me = controllerIdentity(
    '1.2.3',
    {
      apiUrl: 'http://127.0.0.1:8080',
      openflow: [
        { host: '0.0.0.0', port: 6653 },
        { host: '::', port: 6633 },
      ],
      openflowTls: false,
    },
    'ctl1',
  );
  const view = clusterViewOf(me, T0);
  // Alone, a controller leads itself since it started.
  assert.deepEqual(view.leader, { id: me.id, since: T0 });
  assert.equal(view.cluster_id, undefined);
  assert.equal(view.members[0].leader, true);
  assert.equal(view.members.length, 1);
  const [m] = view.members;
  assert.match(m.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(m.display_name, 'ctl1');
  assert.equal(m.version, '1.2.3');
  assert.deepEqual(m.roles, [
    { role: 'api', listen_addr: 'http:127.0.0.1:8080' },
    { role: 'openflow', listen_addr: 'tcp:0.0.0.0:6653' },
    { role: 'openflow', listen_addr: 'tcp:[::]:6633' },
  ]);
  // Stable across restarts, distinct per API address.
  const again = controllerIdentity(
    '1.2.3',
    { apiUrl: 'http://127.0.0.1:8080', openflow: [], openflowTls: false },
    'ctl1',
  );
  const other = controllerIdentity(
    '1.2.3',
    { apiUrl: 'http://127.0.0.1:8081', openflow: [], openflowTls: false },
    'ctl1',
  );
  assert.equal(again.id, m.id);
  assert.notEqual(other.id, m.id);
  const ssl = clusterViewOf(
    {
      ...me,
      openflow: [listenAddr('ssl', '10.0.0.9', 6653)],
      ovsdbManager: 'ssl:10.0.0.9:6640',
    },
    T0,
  );
  assert.deepEqual(ssl.members[0].roles.slice(1), [
    { role: 'openflow', listen_addr: 'ssl:10.0.0.9:6653' },
    { role: 'ovsdb-manager', listen_addr: 'ssl:10.0.0.9:6640' },
  ]);
  // With --nodes-listen the nodes' OpenFlow over TLS is an openflow role beside the plain listener.
  const withNodes = controllerIdentity(
    '1.2.3',
    {
      apiUrl: 'http://127.0.0.1:8080',
      openflow: [{ host: '0.0.0.0', port: 6653 }],
      openflowTls: false,
      ovsdbManager: 'ssl:10.0.0.9:6640',
      nodesOpenflow: 'ssl:10.0.0.9:6654',
    },
    'ctl1',
  );
  assert.deepEqual(clusterViewOf(withNodes, T0).members[0].roles.slice(1), [
    { role: 'openflow', listen_addr: 'tcp:0.0.0.0:6653' },
    { role: 'openflow', listen_addr: 'ssl:10.0.0.9:6654' },
    { role: 'ovsdb-manager', listen_addr: 'ssl:10.0.0.9:6640' },
  ]);
  assert.equal(urlListenAddr('https://[::1]:8443'), 'https:[::1]:8443');
});

test('the cluster view of a clustered controller: every member by id, the leader marked with since', () => {
  const member = (id: string, port: number) => ({
    id,
    display_name: `host-${id}`,
    version: '1.2.3',
    api: `http:127.0.0.1:${port}`,
    openflow: [`tcp:127.0.0.1:${port + 1}`],
    started: T0,
  });
  const since = '2026-12-06T17:40:00.000Z';
  const me = { ...member('b', 8080) };
  const view = clusterViewOf(me, T0, {
    clusterId: 'prod',
    members: [member('c', 8090), me, member('a', 8070)],
    leader: { id: 'c', since },
  });
  assert.equal(view.cluster_id, 'prod');
  assert.deepEqual(view.leader, { id: 'c', since });
  assert.deepEqual(
    view.members.map((m) => [m.id, m.leader, m.since ?? '-']),
    [
      ['a', false, '-'],
      ['b', false, '-'],
      ['c', true, since],
    ],
  );
  assert.deepEqual(view.members[0].roles, [
    { role: 'api', listen_addr: 'http:127.0.0.1:8070' },
    { role: 'openflow', listen_addr: 'tcp:127.0.0.1:8071' },
  ]);
  // While an election is open there is no leader to name.
  const open = clusterViewOf(me, T0, { clusterId: 'prod', members: [me] });
  assert.equal(open.leader, undefined);
  assert.equal(open.members[0].leader, false);
});

const T0 = '2026-12-06T17:00:00.000Z';

function registry() {
  const store = tempStore('sluice-nodes-');
  let t = Date.parse('2026-12-06T05:00:00Z');
  return { store, reg: new NodeRegistry(store, () => (t += 1000)) };
}

test('registry: apply creates, the same again is a no-op, a change updates; history lists each', async () => {
  const { store, reg } = registry();
  try {
    assert.deepEqual(await reg.apply('hv1', hv1), { change: 'created', revision: 1, changed: true });
    assert.deepEqual(await reg.apply('hv1', { ...hv1 }), {
      change: 'unchanged',
      revision: 1,
      changed: false,
    });
    const eth2 = { ...hv1, data_interface: 'eth2' };
    assert.deepEqual(await reg.apply('hv1', eth2, true), { change: 'updated', revision: 2, changed: true });
    assert.equal((await reg.get('hv1'))?.revision, 1, 'a dry run stores nothing');
    assert.deepEqual(await reg.apply('hv1', eth2), { change: 'updated', revision: 2, changed: true });
    const rec = await reg.get('hv1');
    assert.equal(rec?.revision, 2);
    assert.deepEqual(rec?.description, eth2);
    assert.deepEqual(
      (await reg.revisions('hv1')).map((r) => [
        r.revision,
        r.change,
        (r.description as { data_interface?: string } | undefined)?.data_interface,
      ]),
      [
        [1, 'created', 'eth1'],
        [2, 'updated', 'eth2'],
      ],
    );
    assert.deepEqual(
      (await reg.list()).map((r) => r.name),
      ['hv1'],
    );
  } finally {
    await store.close();
  }
});

test('registry: delete keeps the history; applied again it continues the numbering', async () => {
  const { store, reg } = registry();
  try {
    await reg.apply('hv1', hv1);
    const deleted = await reg.delete('hv1');
    assert.equal(deleted.change, 'deleted');
    assert.equal(deleted.revision, 2);
    assert.equal(deleted.description, undefined);
    assert.equal(await reg.get('hv1'), undefined);
    await assert.rejects(reg.delete('hv1'), (e: unknown) => e instanceof NotFoundError && e.field === 'name');
    assert.deepEqual(await reg.apply('hv1', hv1), { change: 'created', revision: 3, changed: true });
    assert.deepEqual(
      (await reg.revisions('hv1')).map((r) => `${r.revision}:${r.change}`),
      ['1:created', '2:deleted', '3:created'],
    );
    assert.deepEqual(await reg.revisions('never'), []);
  } finally {
    await store.close();
  }
});

test('registry: the name addressed must be the description’s', async () => {
  const { store, reg } = registry();
  try {
    await assert.rejects(
      reg.apply('hv2', hv1),
      (e: unknown) => e instanceof FieldError && e.field === 'name' && /"hv1" differs.*hv2/.test(e.message),
    );
    assert.equal(await reg.get('hv2'), undefined);
  } finally {
    await store.close();
  }
});

test('registry: the cluster description has one record and a history', async () => {
  const { store, reg } = registry();
  try {
    const c1 = { controllers: [{ address: '10.0.0.254' }] };
    const c2 = { controllers: [{ address: '10.0.0.254', ovsdb_port: 6641 }] };
    assert.equal(await reg.clusterDescription(), undefined);
    assert.equal((await reg.applyCluster(c1)).change, 'created');
    assert.equal((await reg.applyCluster(c1)).change, 'unchanged');
    assert.deepEqual(await reg.applyCluster(c2), { change: 'updated', revision: 2, changed: true });
    assert.deepEqual((await reg.clusterDescription())?.description, c2);
    assert.deepEqual(
      (await reg.clusterRevisions()).map((r) => [r.revision, r.change]),
      [
        [1, 'created'],
        [2, 'updated'],
      ],
    );
  } finally {
    await store.close();
  }
});

test('registry: registrations need a description; unregister forgets them', async () => {
  const { store, reg } = registry();
  try {
    await assert.rejects(reg.register('hv1', hv1Registration), (e: unknown) => e instanceof ConflictError);
    await reg.apply('hv1', hv1);
    const stored = await reg.register('hv1', hv1Registration);
    assert.deepEqual(stored.registration, hv1Registration);
    assert.deepEqual(
      (await reg.registrations()).map((r) => r.name),
      ['hv1'],
    );
    assert.deepEqual((await reg.unregister('hv1')).registration, hv1Registration);
    assert.equal(await reg.registration('hv1'), undefined);
    await assert.rejects(reg.unregister('hv1'), (e: unknown) => e instanceof NotFoundError);
  } finally {
    await store.close();
  }
});

test('registry: a damaged stored record is reported naming its key and field', async () => {
  const { store, reg } = registry();
  try {
    await reg.apply('hv1', hv1);
    const key = '/apps/nodes/descriptions/hv1';
    const e = await store.get(key);
    const record = e?.value as { description: Record<string, unknown> };
    await store.put(key, { ...record, description: { ...record.description, data_interfce: 'eth1' } });
    await assert.rejects(
      reg.get('hv1'),
      (err: unknown) =>
        err instanceof StoreError &&
        err.code === 'STORE_CORRUPT' &&
        err.field === key &&
        /description\.data_interfce: unknown key/.test(err.message),
    );
  } finally {
    await store.close();
  }
});

test('a node whose OVSDB reports another system-id than registered shows a system_id fault', () => {
  const stored = { registration: hv1Registration, registered: '2026-12-06T05:00:00.000Z' };
  const seenAs = (id: string | undefined) => ({ ...runtimeWith(['hv1']), systemId: () => id });
  assert.equal(transportNodeOf('hv1', stored, seenAs(hv1Registration.system_id)).faults, undefined);
  assert.equal(transportNodeOf('hv1', stored, seenAs(undefined)).faults, undefined);
  const other = transportNodeOf('hv1', stored, seenAs('5e5e5e5e-0000-4000-8000-000000000001'));
  assert.equal(other.faults?.length, 1);
  const [fault] = other.faults!;
  assert.equal(fault.field, 'system_id');
  assert.equal(fault.expected, hv1Registration.system_id);
  assert.equal(fault.seen, '5e5e5e5e-0000-4000-8000-000000000001');
  assert.match(
    fault.reason,
    /another machine has its certificate, or it was reinstalled.*sluice node provision/,
  );
  // Not counted as a connected node of its zone.
  const zone = (id: string) =>
    zonesOf([], [{ name: 'hv1', transport_zone: 'tz1', system_id: hv1Registration.system_id }], seenAs(id));
  assert.equal(zone(hv1Registration.system_id)[0].connected, 1);
  assert.equal(zone('5e5e5e5e-0000-4000-8000-000000000001')[0].connected, 0);
});
