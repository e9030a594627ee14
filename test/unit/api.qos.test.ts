import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiServer } from '../../src/api/index.js';
import { qosRoutes } from '../../src/api/routes/qos.js';
import { QosApp } from '../../src/apps/qos/index.js';
import { qosView } from '../../src/daemon/qos.js';
import { fakeDeps } from './api.fakes.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';

async function server() {
  const store = tempStore('sluice-qosapi-');
  const { ctx } = fakeAppContext(store);
  const qos = new QosApp({ queueStore: () => Promise.reject(new Error('no OVSDB here')) });
  await qos.start(ctx);
  const api = await createApiServer({ ...fakeDeps(), routes: [qosRoutes(qosView(qos))] });
  const call = async (method: string, url: string, body?: string) => {
    const res = await api.inject({
      method: method as 'GET',
      url,
      ...(body === undefined
        ? {}
        : { payload: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    });
    return { status: res.statusCode, json: res.body ? (JSON.parse(res.body) as unknown) : undefined };
  };
  return { api, call, store };
}

test('Floodlight QoS paths keep the shapes qosmanager2.py and qospath2.py parse', async () => {
  const { call } = await server();
  assert.deepEqual(await call('GET', '/wm/qos/tool/status/json'), { status: 200, json: false });
  assert.deepEqual((await call('GET', '/wm/qos/tool/enable/json')).json, {
    status: 'success',
    details: 'QoS Enabled',
  });
  assert.deepEqual((await call('GET', '/wm/qos/tool/status/json')).json, true);
  assert.deepEqual((await call('GET', '/wm/qos/service/json')).json, [
    { sid: 1, name: 'Best Effort', tos: 0 },
  ]);

  const add = await call(
    'POST',
    '/wm/qos/policy/json',
    '{"name": "q", "queue": "2", "enqueue-port": "2", "sw": "1"}',
  );
  assert.deepEqual(add, { status: 200, json: { status: 'Adding Policy: q', policyid: 1 } });
  const list = (await call('GET', '/wm/qos/policy/json')).json as Record<string, unknown>[];
  assert.equal(list[0].policyid, 1);
  assert.equal(list[0].queue, 2);
  assert.equal(list[0].sw, '00:00:00:00:00:00:00:01');

  const bad = await call(
    'POST',
    '/wm/qos/policy/json',
    '{"name": "b", "queue": 1, "enqueue-port": 2, "service": "Best Effort"}',
  );
  assert.equal(bad.status, 400);
  assert.equal((bad.json as { field: string }).field, 'service');
  assert.match(
    (bad.json as { status: string }).status,
    /^Error! service: cannot be given together with queue/,
  );

  assert.deepEqual((await call('DELETE', '/wm/qos/policy/json', '{"policy-id": "1"}')).json, {
    status: 'Policy-ID: 1 Deleted',
  });
  assert.equal((await call('DELETE', '/wm/qos/policy/json', '{"policy-id": "1"}')).status, 404);
  assert.deepEqual((await call('DELETE', '/wm/qos/service/json', '{"sid": 1}')).json, {
    status: 'Type Of Service Service-ID: 1 Deleted',
  });
  const op = await call('GET', '/wm/qos/tool/sideways/json');
  assert.equal(op.status, 400);
  assert.equal((op.json as { status: string }).status, 'failure');
});

test('/api/v1/qos: 201 on create, field-naming errors, 503 when OVSDB is unreachable', async () => {
  const { call } = await server();
  assert.deepEqual((await call('PUT', '/api/v1/qos', '{"enabled": true}')).json, { enabled: true });
  const s = await call('POST', '/api/v1/qos/services', '{"name": "EF", "tos": 184}');
  assert.deepEqual(s, { status: 201, json: { sid: 2, name: 'EF', tos: 184 } });
  const p = await call('POST', '/api/v1/qos/policies', '{"name": "m", "service": "EF", "out-port": 3}');
  assert.equal(p.status, 201);
  assert.equal((p.json as Record<string, unknown>)['eth-type'], '0x0800');
  assert.equal((await call('GET', '/api/v1/qos/policies/1')).status, 200);
  assert.equal((await call('DELETE', '/api/v1/qos/services/2')).status, 409);
  const path = await call(
    'POST',
    '/api/v1/qos/paths',
    '{"name": "p", "src-ip": "10.0.0.1", "dst-ip": "10.0.0.2", "policy": {"rate-kbps": 5}}',
  );
  assert.equal(path.status, 201);
  assert.equal((path.json as { state: string }).state, 'waiting');
  assert.deepEqual((await call('GET', '/api/v1/qos')).json, {
    enabled: true,
    services: 2,
    policies: 1,
    paths: 1,
  });
  const q = await call('GET', '/api/v1/qos/queues');
  assert.equal(q.status, 503);
  assert.equal((q.json as { field: string }).field, 'ovsdb');
  const bq = await call('PUT', '/api/v1/qos/queues', '{"port": "s1-eth1"}');
  assert.deepEqual([bq.status, (bq.json as { field: string }).field], [400, 'max-rate']);
});
