import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiServer } from '../../src/api/index.js';
import { qosRoutes } from '../../src/api/routes/qos.js';
import { QosApp } from '../../src/apps/qos/index.js';
import { qosView } from '../../src/daemon/qos.js';
import { ForwardingApp } from '../../src/apps/forwarding/index.js';
import { HostsApp } from '../../src/apps/hosts/index.js';
import { TopologyApp } from '../../src/apps/topology/index.js';
import { OFP_VERSION_1_3 } from '../../src/openflow/index.js';
import { fakeDeps } from './api.fakes.js';
import { FakeNetwork, linear } from './apps.fakenet.js';
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

test("a switch's rejection of a policy's meter comes back in the HTTP reply, and nothing is kept", async () => {
  const net = new FakeNetwork({ store: tempStore('sluice-qosapi-') });
  linear(net, 2, { version: OFP_VERSION_1_3 });
  const qos = new QosApp({ queueStore: () => Promise.reject(new Error('no OVSDB here')) });
  await net.start([
    new TopologyApp({ timers: false }),
    new HostsApp({ timers: false }),
    new ForwardingApp(),
    qos,
  ]);
  net.connectAll();
  const api = await createApiServer({ ...fakeDeps(), routes: [qosRoutes(qosView(qos))] });
  const post = (url: string, body: unknown) =>
    api.inject({
      method: 'POST',
      url,
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  assert.equal(
    (await api.inject({ method: 'PUT', url: '/api/v1/qos', payload: { enabled: true } })).statusCode,
    200,
  );
  net.switches.get(2n)!.refuse = (m) => (m.type === 'meter_mod' ? { errType: 12, code: 6 } : undefined);
  const rate = { name: 'r', 'rate-kbps': 100, 'ip-dst': '10.0.0.2', 'out-port': 1, sw: 'all' };
  for (const url of ['/api/v1/qos/policies', '/wm/qos/policy/json']) {
    const res = await post(url, rate);
    assert.equal(res.statusCode, 400, res.body);
    const body = JSON.parse(res.body) as { field: string };
    assert.equal(body.field, 'rate-kbps');
    assert.match(res.body, /switch 00:00:00:00:00:00:00:02 rejected meter .*OFPT_ERROR type 12 code 6/);
  }
  assert.deepEqual(JSON.parse((await api.inject({ method: 'GET', url: '/api/v1/qos/policies' })).body), []);
  assert.equal(net.switches.get(1n)!.meters.size, 0, "s1's meter went with the undone policy");
  net.switches.get(2n)!.refuse = undefined;
  assert.equal((await post('/api/v1/qos/policies', rate)).statusCode, 201);
  assert.equal(net.switches.get(2n)!.meters.size, 1);
});
