/**
 * The nodes routes through fastify inject, over a real embedded store and a fake runtime: descriptions and
 * their history, the cluster description and view, registrations, zones and interface statistics; every reply
 * checked against /openapi.json; the bad paths answer in the API's error shape naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatorOf, type OpenApi } from './api.openapi.js';
import { gw1, hv1, hv1Registration, hv1Stats as stats, nodesApi } from './nodes.fixtures.js';

async function server() {
  const { api, store } = await nodesApi();
  const doc = (await api.inject({ url: '/openapi.json' })).json<OpenApi>();
  const validate = validatorOf(doc);
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await api.inject({
      method: method as 'GET',
      url,
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    validate(method, url, { status: res.statusCode, body: res.body });
    return { status: res.statusCode, json: JSON.parse(res.body) as Record<string, unknown> & unknown[] };
  };
  return { api, store, doc, call };
}

test('node descriptions: apply, no-op, update, list, show, history, delete', async () => {
  const { store, call } = await server();
  try {
    const created = await call('PUT', '/api/v1/nodes/hv1', hv1);
    assert.equal(created.status, 200);
    assert.deepEqual(created.json, { name: 'hv1', revision: 1, changed: true, change: 'created' });
    assert.equal((await call('PUT', '/api/v1/nodes/hv1', hv1)).json.change, 'unchanged');
    const eth2 = { ...hv1, data_interface: 'eth2' };
    const dry = await call('PUT', '/api/v1/nodes/hv1?dry_run=true', eth2);
    assert.deepEqual(dry.json, { name: 'hv1', revision: 2, changed: true, change: 'updated' });
    assert.equal((await call('GET', '/api/v1/nodes/hv1')).json.revision, 1);
    assert.equal((await call('PUT', '/api/v1/nodes/hv1', eth2)).json.revision, 2);
    await call('PUT', '/api/v1/nodes/gw1', gw1);

    const list = (await call('GET', '/api/v1/nodes')).json;
    assert.deepEqual(
      (list as { name: string; type: string; transport_zone: string; revision: number }[]).map((n) => [
        n.name,
        n.type,
        n.transport_zone,
        n.revision,
      ]),
      [
        ['gw1', 'gateway', 'tz2', 1],
        ['hv1', 'hypervisor', 'tz1', 2],
      ],
    );
    const shown = await call('GET', '/api/v1/nodes/hv1');
    assert.deepEqual(shown.json.description, eth2);

    const deleted = await call('DELETE', '/api/v1/nodes/hv1');
    assert.equal(deleted.json.change, 'deleted');
    assert.equal(deleted.json.revision, 3);
    assert.equal((await call('GET', '/api/v1/nodes/hv1')).status, 404);
    const history = (await call('GET', '/api/v1/nodes/hv1/history')).json;
    assert.deepEqual(
      (history as { revision: number; change: string }[]).map((r) => `${r.revision} ${r.change}`),
      ['1 created', '2 updated', '3 deleted'],
    );
  } finally {
    await store.close();
  }
});

test('bad descriptions answer 400 naming the field; missing nodes 404', async () => {
  const { store, call } = await server();
  try {
    const cases: Array<[string, string, unknown, number, string, RegExp]> = [
      [
        'unknown key',
        '/api/v1/nodes/hv1',
        { ...hv1, data_interfce: 'eth1' },
        400,
        'data_interfce',
        /unknown key/,
      ],
      [
        'wrong type',
        '/api/v1/nodes/hv1',
        { ...hv1, management_address: 7 },
        400,
        'management_address',
        /string/,
      ],
      [
        'missing member field',
        '/api/v1/nodes/hv1',
        { ...hv1, data_interface: undefined },
        400,
        'data_interface',
        /is required/,
      ],
      [
        'unknown node type',
        '/api/v1/nodes/hv1',
        { ...hv1, type: 'router' },
        400,
        'type',
        /"router" is not one of/,
      ],
      ['name mismatch', '/api/v1/nodes/hv2', hv1, 400, 'name', /"hv1" differs .*hv2/],
      ['bad path name', '/api/v1/nodes/-x', hv1, 400, 'name', /path parameter 'name'/],
      ['not an object', '/api/v1/nodes/hv1', [hv1], 400, 'body', /expected an object with "type"/],
      ['bad dry_run', '/api/v1/nodes/hv1?dry_run=yes', hv1, 400, 'dry_run', /true or false/],
      [
        'cluster unknown key',
        '/api/v1/cluster/description',
        { controllers: [{ address: '10.0.0.1' }], ctrl: 1 },
        400,
        'ctrl',
        /field 'ctrl': unknown key/,
      ],
      [
        'cluster bad port',
        '/api/v1/cluster/description',
        { controllers: [{ address: '10.0.0.1', ovsdb_port: 70000 }] },
        400,
        'controllers[0].ovsdb_port',
        /65535/,
      ],
    ];
    for (const [what, url, body, status, field, detail] of cases) {
      const r = await call('PUT', url, body);
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error, 'validation', what);
      assert.equal(r.json.field, field, `${what}: ${JSON.stringify(r.json)}`);
      assert.match(String(r.json.detail), detail, what);
    }
    const none = await call('PUT', '/api/v1/nodes/hv1');
    assert.equal(none.status, 400);
    assert.equal(none.json.field, 'body');
    for (const url of ['/api/v1/nodes/nope', '/api/v1/nodes/nope/history', '/api/v1/cluster/description']) {
      const r = await call('GET', url);
      assert.equal(r.status, 404, url);
      assert.equal(r.json.error, 'not_found', url);
    }
    assert.equal((await call('DELETE', '/api/v1/nodes/nope')).json.field, 'name');
    assert.equal((await call('GET', '/api/v1/nodes')).json.length, 0, 'nothing was stored');
  } finally {
    await store.close();
  }
});

test('a damaged stored record answers 500 in the error shape, without its content', async () => {
  const { store, call } = await server();
  try {
    await call('PUT', '/api/v1/nodes/hv1', hv1);
    await store.put('/apps/nodes/descriptions/hv1', { name: 'hv1', revision: 'one' });
    const r = await call('GET', '/api/v1/nodes/hv1');
    assert.equal(r.status, 500);
    assert.equal(r.json.error, 'internal');
    assert.match(String(r.json.detail), /controller log/);
  } finally {
    await store.close();
  }
});

test('the cluster: description with history, and this controller as a member with its roles', async () => {
  const { store, call } = await server();
  try {
    const c1 = { controllers: [{ address: '10.0.0.254', api_port: 8080 }] };
    assert.deepEqual((await call('PUT', '/api/v1/cluster/description', c1)).json, {
      revision: 1,
      changed: true,
      change: 'created',
    });
    assert.equal((await call('PUT', '/api/v1/cluster/description', c1)).json.change, 'unchanged');
    const shown = await call('GET', '/api/v1/cluster/description');
    assert.deepEqual(shown.json.description, c1);
    assert.equal((await call('GET', '/api/v1/cluster/description/history')).json.length, 1);

    const view = (await call('GET', '/api/v1/cluster')).json as unknown as {
      members: { display_name: string; version: string; roles: { role: string; listen_addr: string }[] }[];
    };
    assert.equal(view.members[0].display_name, 'ctl1');
    assert.equal(view.members[0].version, '9.9.9');
    assert.deepEqual(
      view.members[0].roles.map((r) => `${r.role} ${r.listen_addr}`),
      ['api http:127.0.0.1:8080', 'openflow tcp:0.0.0.0:6653'],
    );
  } finally {
    await store.close();
  }
});

test('rebalance on a controller that runs alone: 409 saying what a cluster needs', async () => {
  const { store, call } = await server();
  try {
    const r = await call('POST', '/api/v1/cluster/rebalance');
    assert.equal(r.status, 409);
    assert.equal(r.json.error, 'conflict');
    assert.match(String(r.json.detail), /runs alone.*--cluster-id/);
  } finally {
    await store.close();
  }
});

test('transport nodes: registered after a description, shown with runtime state, zones, stats', async () => {
  const { store, call } = await server();
  try {
    const refused = await call('PUT', '/api/v1/transport-nodes/hv1', hv1Registration);
    assert.equal(refused.status, 409);
    assert.equal(refused.json.field, 'name');
    assert.match(String(refused.json.detail), /no description/);

    await call('PUT', '/api/v1/nodes/hv1', hv1);
    await call('PUT', '/api/v1/nodes/gw1', gw1);
    const bad = await call('PUT', '/api/v1/transport-nodes/hv1', { ...hv1Registration, system_id: 5 });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, 'system_id');
    const zoneMismatch = await call('PUT', '/api/v1/transport-nodes/hv1', {
      ...hv1Registration,
      transport_zone: 'tz9',
    });
    assert.equal(zoneMismatch.status, 400);
    assert.equal(zoneMismatch.json.field, 'transport_zone');

    const reg = await call('PUT', '/api/v1/transport-nodes/hv1', hv1Registration);
    assert.equal(reg.status, 200);
    assert.equal(reg.json.name, 'hv1');
    assert.deepEqual(reg.json.ovsdb, { connected: true, since: '2026-12-06T05:00:00.000Z' });
    assert.equal((reg.json.openflow as { dpid?: string }).dpid, '00:00:00:00:00:00:00:01');
    assert.deepEqual(reg.json.tunnels, []);
    assert.equal((await call('GET', '/api/v1/transport-nodes')).json.length, 1);
    assert.equal(
      (await call('GET', '/api/v1/transport-nodes/hv1')).json.system_id,
      hv1Registration.system_id,
    );
    assert.equal((await call('GET', '/api/v1/transport-nodes/gw1')).status, 404);

    assert.deepEqual((await call('GET', '/api/v1/transport-zones')).json, [
      { name: 'tz1', nodes: ['hv1'], connected: 1 },
      { name: 'tz2', nodes: ['gw1'], connected: 0 },
    ]);
    assert.deepEqual((await call('GET', '/api/v1/transport-zones/tz2')).json, {
      name: 'tz2',
      nodes: ['gw1'],
      connected: 0,
    });
    const noZone = await call('GET', '/api/v1/transport-zones/tz7');
    assert.equal(noZone.status, 404);
    assert.equal(noZone.json.field, 'name');

    assert.deepEqual((await call('GET', '/api/v1/transport-nodes/hv1/interfaces')).json, ['br-int', 'eth1']);
    assert.deepEqual((await call('GET', '/api/v1/transport-nodes/hv1/interfaces/eth1/stats')).json, stats);
    const noIface = await call('GET', '/api/v1/transport-nodes/hv1/interfaces/eth9/stats');
    assert.equal(noIface.status, 404);
    assert.equal(noIface.json.field, 'iface');
    assert.match(String(noIface.json.detail), /eth9.*hv1 reports no such interface/);
    const noNode = await call('GET', '/api/v1/transport-nodes/gw1/interfaces/eth1/stats');
    assert.equal(noNode.status, 404);
    assert.equal(noNode.json.field, 'name');
    assert.match(String(noNode.json.detail), /gw1 is not registered/);
    const badIface = await call('GET', '/api/v1/transport-nodes/hv1/interfaces/a%20b/stats');
    assert.equal(badIface.status, 400);
    assert.equal(badIface.json.field, 'iface');

    assert.equal((await call('DELETE', '/api/v1/transport-nodes/hv1')).json.name, 'hv1');
    assert.equal((await call('DELETE', '/api/v1/transport-nodes/hv1')).status, 404);
    assert.equal((await call('GET', '/api/v1/nodes/hv1')).status, 200, 'the description stays');
  } finally {
    await store.close();
  }
});

test('every nodes route is in /openapi.json with its body schema', async () => {
  const { store, doc } = await server();
  try {
    const paths = [
      '/api/v1/nodes',
      '/api/v1/nodes/{name}',
      '/api/v1/nodes/{name}/history',
      '/api/v1/cluster',
      '/api/v1/cluster/rebalance',
      '/api/v1/cluster/description',
      '/api/v1/cluster/description/history',
      '/api/v1/transport-nodes',
      '/api/v1/transport-nodes/{name}',
      '/api/v1/transport-nodes/{name}/interfaces',
      '/api/v1/transport-nodes/{name}/interfaces/{iface}/stats',
      '/api/v1/transport-zones',
      '/api/v1/transport-zones/{name}',
    ];
    for (const p of paths) assert.ok(doc.paths[p], `${p} documented`);
    const put = doc.paths['/api/v1/nodes/{name}'].put as {
      requestBody?: { content: Record<string, unknown> };
    };
    assert.ok(put.requestBody?.content['application/json'], 'the description body is documented');
  } finally {
    await store.close();
  }
});

test('the replies are the same data with their response schemas as without (nothing dropped)', async () => {
  const { store, call } = await server();
  const bare = await nodesApi({ store, responseSchemas: false });
  try {
    await call('PUT', '/api/v1/cluster/description', {
      controllers: [{ address: '10.0.0.254', api_port: 1 }],
    });
    await call('PUT', '/api/v1/nodes/hv1', { ...hv1, access: { kind: 'ssh', user: 'lab', port: 2222 } });
    await call('PUT', '/api/v1/nodes/gw1', gw1);
    await call('PUT', '/api/v1/transport-nodes/hv1', hv1Registration);
    await call('DELETE', '/api/v1/nodes/gw1');
    const urls = [
      '/api/v1/nodes',
      '/api/v1/nodes/hv1',
      '/api/v1/nodes/gw1/history',
      '/api/v1/cluster',
      '/api/v1/cluster/description',
      '/api/v1/cluster/description/history',
      '/api/v1/transport-nodes',
      '/api/v1/transport-nodes/hv1',
      '/api/v1/transport-nodes/hv1/interfaces',
      '/api/v1/transport-nodes/hv1/interfaces/eth1/stats',
      '/api/v1/transport-zones',
      '/api/v1/transport-zones/tz1',
    ];
    for (const url of urls) {
      const withSchemas = await call('GET', url);
      assert.equal(withSchemas.status, 200, url);
      const without = await bare.api.inject({ url });
      assert.deepEqual(withSchemas.json, JSON.parse(without.body), url);
    }
  } finally {
    await bare.api.close();
    await store.close();
  }
});
