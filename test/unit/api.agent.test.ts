import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ListenConfigError,
  agentReadRoutes,
  createAgentApiServer,
  createApiServer,
  serveAgentApi,
} from '../../src/api/index.js';
import { DockerError } from '../../src/agent/docker.js';
import { StoreError } from '../../src/store/index.js';
import { FakeOps, SELF } from './agent.fakeops.js';
import { fakeDeps } from './api.fakes.js';
import { validatorOf, type OpenApi } from './api.openapi.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

const WEB = '0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef';

async function agentApi(opts: { token?: string; responseSchemas?: boolean } = {}) {
  const { ops, close } = FakeOps.open();
  const api = await createAgentApiServer({
    ops,
    version: '1.2.3',
    auth: { token: opts.token },
    ...(opts.responseSchemas === false ? { responseSchemas: false } : {}),
  });
  closers.push(async () => {
    await api.close();
    await close();
  });
  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await api.inject({
      method: method as 'GET',
      url,
      headers,
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return {
      status: res.statusCode,
      body: res.body,
      headers: res.headers,
      json: res.body ? (JSON.parse(res.body) as any) : undefined,
    };
  };
  return { api, ops, call };
}

test('networks: create (with and without a subnet), list, get, delete', async () => {
  const { call, ops } = await agentApi();
  const red = await call('POST', '/api/v1/networks', {
    name: 'red',
    subnet: '10.5.0.0/24',
    vni: 7,
    mtu: '1400',
    labels: { team: 'a' },
    nat: true,
  });
  assert.equal(red.status, 201, red.body);
  assert.deepEqual(
    { ...red.json, id: 'x' },
    {
      id: 'x',
      name: 'red',
      subnet: '10.5.0.0/24',
      gateway: '10.5.0.1',
      vni: 7,
      mtu: 1400,
      labels: { team: 'a' },
      nat: true,
    },
  );
  const blue = await call('POST', '/api/v1/networks', { name: 'blue' });
  assert.equal(blue.status, 201, blue.body);
  assert.equal(blue.json.subnet, '10.1.0.0/16', 'the agent picked the default subnet');
  assert.deepEqual(ops.calls.at(-1), ['createNetwork', { name: 'blue' }]);

  const list = await call('GET', '/api/v1/networks');
  assert.deepEqual(
    list.json.map((n: { name: string }) => n.name),
    ['blue', 'red'],
  );
  assert.equal((await call('GET', '/api/v1/networks/red')).json.vni, 7);
  const del = await call('DELETE', '/api/v1/networks/blue');
  assert.equal(del.status, 204);
  assert.equal(del.body, '');
  assert.equal((await call('GET', '/api/v1/networks/blue')).status, 404);
});

test('networks: bad bodies name the field (400), clashes 409, unknown 404', async () => {
  const { call } = await agentApi();
  await call('POST', '/api/v1/networks', { name: 'red', subnet: '10.5.0.0/24', vni: 7 });
  const cases: [unknown, number, string, RegExp][] = [
    [{ name: 'x', subnet: '10.5.0.0/33' }, 400, 'subnet', /prefix length/],
    [{ name: 'x', subnet: '10.9.0.1/24' }, 400, 'subnet', /host bits set/],
    [{ name: 'x', subnet: 'ten' }, 400, 'subnet', /not a CIDR/],
    [{ name: 'bad name', subnet: '10.9.0.0/24' }, 400, 'name', /letters, digits/],
    [{ name: 'x', subnet: '10.9.0.0/24', gateway: '10.8.0.1' }, 400, 'gateway', /outside the subnet/],
    [{ name: 'x', subnet: '10.9.0.0/24', colour: 'red' }, 400, 'colour', /not a known field/],
    [{ subnet: '10.9.0.0/24' }, 400, 'name', /is required/],
    [{ name: 'x', subnet: '10.9.0.0/24', mtu: 100 }, 400, 'mtu', /out of range/],
    [{ name: 'x', subnet: '10.9.0.0/24', nat: 'yes' }, 400, 'nat', /boolean/],
    [{ name: 'red', subnet: '10.9.0.0/24' }, 409, 'name', /exists/],
    [{ name: 'x', subnet: '10.5.0.0/16' }, 409, 'subnet', /overlaps 10.5.0.0\/24 of network red/],
    [{ name: 'x', subnet: '10.9.0.0/24', vni: 7 }, 409, 'vni', /used by network red/],
  ];
  for (const [body, status, field, detail] of cases) {
    const r = await call('POST', '/api/v1/networks', body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.body}`);
    assert.equal(r.json.field, field, r.body);
    assert.match(r.json.detail, detail, r.body);
  }
  const json = await call('POST', '/api/v1/networks', '{"name": "x",');
  assert.deepEqual([json.status, json.json.error, json.json.field], [400, 'bad_json', 'body']);
  const missing = await call('GET', '/api/v1/networks/nope');
  assert.deepEqual([missing.status, missing.json.error, missing.json.field], [404, 'not_found', 'name']);
  const delMissing = await call('DELETE', '/api/v1/networks/nope');
  assert.equal(delMissing.status, 404);
  const badForce = await call('DELETE', '/api/v1/networks/red?force=maybe');
  assert.deepEqual([badForce.status, badForce.json.field], [400, 'force']);
});

test('endpoints: attach a container or a netns, list, detach; delete refused while attached', async () => {
  const { call, ops } = await agentApi();
  await call('POST', '/api/v1/networks', { name: 'red', subnet: '10.5.0.0/24' });
  const web = await call('POST', '/api/v1/endpoints', {
    container: 'web',
    network: 'red',
    address: '10.5.0.9',
  });
  assert.equal(web.status, 201, web.body);
  assert.deepEqual(ops.calls.at(-1), ['attachContainer', 'web', { network: 'red', address: '10.5.0.9' }]);
  assert.equal(web.json.address, '10.5.0.9');
  assert.equal(web.json.containerName, 'web');

  const cni = await call('POST', '/api/v1/endpoints', {
    netns: '/var/run/netns/x',
    containerId: 'pod1',
    network: 'red',
    ifname: 'net1',
  });
  assert.equal(cni.status, 201, cni.body);
  assert.deepEqual(ops.calls.at(-1), [
    'attachNetns',
    '/var/run/netns/x',
    'pod1',
    { network: 'red', ifname: 'net1', kind: 'cni' },
  ]);

  assert.equal((await call('GET', '/api/v1/endpoints')).json.length, 2);
  const filtered = await call('GET', '/api/v1/endpoints?network=red&host=h1&container=web');
  assert.deepEqual(
    filtered.json.map((e: { containerId: string }) => e.containerId),
    [WEB],
  );
  assert.deepEqual(ops.calls.at(-1), ['listEndpoints', { network: 'red', host: 'h1', container: 'web' }]);

  const busy = await call('DELETE', '/api/v1/networks/red');
  assert.deepEqual([busy.status, busy.json.error, busy.json.field], [409, 'conflict', 'name']);

  const cniDel = await call('DELETE', '/api/v1/endpoints?containerId=pod1&network=red&ifname=net1');
  assert.equal(cniDel.status, 200, cniDel.body);
  assert.equal(cniDel.json.removed.length, 1);
  const cniAgain = await call('DELETE', '/api/v1/endpoints?containerId=pod1&network=red&ifname=net1');
  assert.deepEqual(cniAgain.json, { removed: [] }, 'CNI DEL of nothing succeeds');

  const det = await call('DELETE', `/api/v1/endpoints?container=web&network=red`);
  assert.equal(det.status, 200, det.body);
  assert.deepEqual(
    det.json.removed.map((e: { address: string }) => e.address),
    ['10.5.0.9'],
  );
  assert.equal((await call('DELETE', '/api/v1/networks/red')).status, 204);
});

test('endpoints: bad requests name the field; unknown network/container 404; a taken address 409', async () => {
  const { call } = await agentApi();
  await call('POST', '/api/v1/networks', { name: 'red', subnet: '10.5.0.0/24' });
  await call('POST', '/api/v1/endpoints', { container: 'db', network: 'red', address: '10.5.0.9' });
  const cases: [string, string, unknown, number, string, RegExp][] = [
    ['POST', '/api/v1/endpoints', { container: 'web' }, 400, 'network', /is required/],
    ['POST', '/api/v1/endpoints', { network: 'red' }, 400, 'container', /give a container, or a netns/],
    ['POST', '/api/v1/endpoints', { netns: '/x', network: 'red' }, 400, 'containerId', /required with netns/],
    [
      'POST',
      '/api/v1/endpoints',
      { container: 'web', netns: '/x', network: 'red' },
      400,
      'netns',
      /goes with/,
    ],
    [
      'POST',
      '/api/v1/endpoints',
      { container: 'web', network: 'red', extra: 1 },
      400,
      'extra',
      /not a known/,
    ],
    [
      'POST',
      '/api/v1/endpoints',
      { container: 'web', network: 'blue' },
      404,
      'network',
      /no network named blue/,
    ],
    ['POST', '/api/v1/endpoints', { container: 'nginx', network: 'red' }, 404, 'container', /no container/],
    [
      'POST',
      '/api/v1/endpoints',
      { container: 'web', network: 'red', address: '10.5.0.9' },
      409,
      'address',
      /in use/,
    ],
    ['DELETE', '/api/v1/endpoints', undefined, 400, 'container', /give \?container=/],
    ['DELETE', '/api/v1/endpoints?containerId=p', undefined, 400, 'network', /required with containerId/],
    ['DELETE', '/api/v1/endpoints?container=web&ifname=e', undefined, 400, 'ifname', /goes with containerId/],
    ['DELETE', '/api/v1/endpoints?container=nginx', undefined, 404, 'container', /not attached/],
    ['DELETE', '/api/v1/endpoints?bogus=1', undefined, 400, 'bogus', /not a known/],
    ['GET', '/api/v1/endpoints?netwrk=red', undefined, 400, 'netwrk', /not a known/],
    ['PUT', '/api/v1/docker-networks/blue', undefined, 404, 'network', /no network named blue/],
  ];
  for (const [method, url, body, status, field, detail] of cases) {
    const r = await call(method, url, body);
    assert.equal(r.status, status, `${method} ${url} ${JSON.stringify(body)}: ${r.body}`);
    assert.equal(r.json.field, field, r.body);
    assert.match(r.json.detail, detail, r.body);
  }
});

test('docker networks, agents, this agent, health; the token guards all but health', async () => {
  const { call } = await agentApi({ token: 'secret-token' });
  const auth = { authorization: 'Bearer secret-token' };
  assert.deepEqual((await call('GET', '/api/v1/health')).json, {
    status: 'ok',
    hostId: 'h1',
    version: '1.2.3',
  });
  const denied = await call('GET', '/api/v1/networks');
  assert.deepEqual([denied.status, denied.json.error], [401, 'unauthorized']);
  assert.equal((await call('GET', '/v0.1/networks')).status, 401);
  await call('POST', '/api/v1/networks', { name: 'red', subnet: '10.5.0.0/24' }, auth);
  const dn = await call('PUT', '/api/v1/docker-networks/red', undefined, auth);
  assert.equal(dn.status, 200, dn.body);
  assert.equal(dn.json.name, 'red');
  const agents = await call('GET', '/api/v1/agents', undefined, auth);
  assert.deepEqual(
    agents.json.map((h: { id: string }) => h.id),
    ['h1', 'h2'],
  );
  assert.deepEqual((await call('GET', '/api/v1/agent', undefined, auth)).json, SELF);
});

test('faults: dockerd or the store unreachable say so (503); a bug is a 500 pointing at the agent log', async () => {
  const { call, ops } = await agentApi();
  const sock = 'unix:///run/docker.sock';
  ops.attachContainer = () =>
    Promise.reject(new DockerError('DOCKER_UNAVAILABLE', `cannot reach dockerd at ${sock} (ENOENT)`));
  const docker = await call('POST', '/api/v1/endpoints', { container: 'web', network: 'red' });
  assert.equal(docker.status, 503, docker.body);
  assert.equal(docker.json.error, 'docker_unavailable');
  assert.match(docker.json.detail, /cannot reach dockerd at unix:\/\/\/run\/docker\.sock/);
  ops.createNetwork = () =>
    Promise.reject(
      new StoreError('STORE_UNAVAILABLE', 'etcd http://e1:2379', 'put failed: etcd is unreachable'),
    );
  const store = await call('POST', '/api/v1/networks', { name: 'red', subnet: '10.5.0.0/24' });
  assert.deepEqual([store.status, store.json.error], [503, 'store_unavailable'], store.body);
  assert.match(store.json.detail, /^etcd http:\/\/e1:2379: put failed: etcd is unreachable/);
  ops.listNetworks = () => Promise.reject(new Error('a bug'));
  const bug = await call('GET', '/api/v1/networks');
  assert.deepEqual(bug.json, { error: 'internal', detail: 'internal error; see the agent log' });
  assert.equal(bug.status, 500);
});

test('Socketplane /v0.1: its shapes for networks and connections', async () => {
  const { call, ops } = await agentApi();
  // Socketplane's CLI: network create NAME CIDR, and NAME alone (an empty subnet).
  const made = await call('POST', '/v0.1/networks', '{ "id": "red", "subnet": "10.5.0.0/24" }');
  assert.equal(made.status, 200, made.body);
  assert.deepEqual(made.json, { id: 'red', subnet: '10.5.0.0/24', gateway: '10.5.0.1', vlan: 1 });
  const again = await call('POST', '/v0.1/networks', { id: 'red', subnet: '10.5.0.0/24' });
  assert.deepEqual(again.json, made.json, 'an existing network is returned, as Socketplane did');
  const dflt = await call('POST', '/v0.1/networks', '{ "id": "blue", "subnet": "" }');
  assert.deepEqual(dflt.json, { id: 'blue', subnet: '10.1.0.0/16', gateway: '10.1.0.1', vlan: 2 });
  assert.deepEqual((await call('GET', '/v0.1/networks')).json, [dflt.json, made.json]);
  assert.deepEqual((await call('GET', '/v0.1/networks/red')).json, made.json);
  const overlap = await call('POST', '/v0.1/networks', { id: 'x', subnet: '10.5.0.0/16' });
  assert.deepEqual([overlap.status, overlap.json.field], [409, 'subnet']);

  // Socketplane's `run`: docker run --net=none, then POST the container.
  const conn = await call(
    'POST',
    '/v0.1/connections',
    `{ "container_id": "${WEB}", "container_name": "/web", "container_pid": "4242", "network": "red" }`,
  );
  assert.equal(conn.status, 200, conn.body);
  const expected = {
    container_id: WEB,
    container_name: '/web',
    container_pid: '',
    network: 'red',
    ovs_port_id: 'sv0123456789a',
    connection_details: {
      name: 'eth0',
      ip: '10.5.0.2',
      subnet: '/24',
      mac: '0a:58:0a:01:00:02',
      gateway: '10.5.0.1',
    },
  };
  assert.deepEqual(conn.json, expected);
  assert.equal(conn.headers['content-location'], `/v0.1/connections/${WEB}`);
  assert.deepEqual((await call('GET', '/v0.1/connections')).json, { [WEB]: expected });
  assert.deepEqual((await call('GET', `/v0.1/connections/${WEB}`)).json, expected);
  const none = await call('GET', '/v0.1/connections/0000');
  assert.deepEqual([none.status, none.json.field], [404, 'id']);

  // No network: Socketplane's default network, created if missing.
  const db = await call('POST', '/v0.1/connections', { container_id: 'db' });
  assert.equal(db.json.network, 'default', db.body);
  assert.deepEqual(
    ops.calls.filter((c) => c[0] === 'ensureDefaultNetwork'),
    [['ensureDefaultNetwork', 'default']],
  );
  const unknown = await call('POST', '/v0.1/connections', { container_id: 'nginx', network: 'red' });
  assert.deepEqual([unknown.status, unknown.json.field], [404, 'container']);
  const noId = await call('POST', '/v0.1/connections', { network: 'red' });
  assert.deepEqual([noId.status, noId.json.field], [400, 'container_id']);

  const busy = await call('DELETE', '/v0.1/networks/red');
  assert.equal(busy.status, 409);
  assert.equal((await call('DELETE', `/v0.1/connections/${WEB}`)).status, 204);
  assert.equal((await call('DELETE', `/v0.1/connections/${WEB}`)).status, 404);
  assert.equal((await call('DELETE', '/v0.1/networks/red')).status, 204);
  assert.equal((await call('GET', '/v0.1/networks/red')).status, 404);
});

test('Socketplane /v0.1 cluster verbs answer 501 saying what replaces them', async () => {
  const { call } = await agentApi();
  for (const [url, what] of [
    ['/v0.1/cluster/bind?iface=eth1', /--underlay-iface/],
    ['/v0.1/cluster/join?address=10.0.0.2', /--store etcd/],
    ['/v0.1/cluster/leave', /lease/],
  ] as const) {
    const r = await call('POST', url);
    assert.deepEqual([r.status, r.json.error], [501, 'not_implemented'], url);
    assert.match(r.json.detail, what);
  }
});

test('every agent reply matches /openapi.json, and is the same without response schemas', async () => {
  const typed = await agentApi();
  const plain = await agentApi({ responseSchemas: false });
  const doc = (await typed.call('GET', '/openapi.json')).json as OpenApi;
  assert.equal((doc as unknown as { info: { title: string } }).info.title, 'Sluice agent API');
  const check = validatorOf(doc);
  const steps: [string, string, unknown?][] = [
    ['POST', '/api/v1/networks', { name: 'red', subnet: '10.5.0.0/24', labels: { a: 'b' } }],
    ['POST', '/api/v1/networks', { name: 'x', subnet: 'bad' }],
    ['POST', '/api/v1/endpoints', { container: 'web', network: 'red' }],
    ['POST', '/api/v1/endpoints', { netns: '/n', containerId: 'p', network: 'red' }],
    ['GET', '/api/v1/networks'],
    ['GET', '/api/v1/networks/red'],
    ['GET', '/api/v1/networks/nope'],
    ['GET', '/api/v1/endpoints'],
    ['GET', '/api/v1/agents'],
    ['GET', '/api/v1/agent'],
    ['GET', '/api/v1/health'],
    ['PUT', '/api/v1/docker-networks/red'],
    ['GET', '/v0.1/networks'],
    ['GET', '/v0.1/networks/red'],
    ['GET', '/v0.1/connections'],
    ['GET', `/v0.1/connections/${WEB}`],
    ['POST', '/v0.1/cluster/join'],
    ['DELETE', '/api/v1/endpoints?containerId=p&network=red'],
    ['DELETE', '/api/v1/endpoints?container=web'],
  ];
  for (const [method, url, body] of steps) {
    const a = await typed.call(method, url, body);
    const b = await plain.call(method, url, body);
    check(method, url, a);
    // Ids differ between the two worlds; everything else is the same (key order aside).
    const norm = (t: string) => t.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'ID');
    assert.deepEqual(JSON.parse(norm(a.body)), JSON.parse(norm(b.body)), `${method} ${url}`);
    assert.equal(a.status, b.status);
  }
});

test('the controller serves networks, endpoints and agents read-only', async () => {
  const { ops, close } = FakeOps.open();
  closers.push(close);
  await ops.createNetwork({ name: 'red', subnet: '10.5.0.0/24' });
  await ops.attachContainer('web', { network: 'red' });
  const api = await createApiServer({ ...fakeDeps(), routes: [agentReadRoutes(ops)] });
  closers.push(() => api.close());
  const get = async (url: string) => {
    const r = await api.inject(url);
    return { status: r.statusCode, json: r.json() };
  };
  assert.deepEqual(
    (await get('/api/v1/networks')).json.map((n: { name: string }) => n.name),
    ['red'],
  );
  assert.equal((await get('/api/v1/networks/red')).json.subnet, '10.5.0.0/24');
  assert.equal((await get('/api/v1/endpoints?network=red')).json[0].containerName, 'web');
  assert.equal((await get('/api/v1/agents')).json.length, 2);
  const write = await api.inject({ method: 'POST', url: '/api/v1/networks', payload: '{"name": "x"}' });
  assert.equal(write.statusCode, 404, 'no write routes on the controller');
  assert.equal((await api.inject({ method: 'DELETE', url: '/api/v1/networks/red' })).statusCode, 404);
  const doc = (await get('/openapi.json')).json as OpenApi;
  assert.ok(doc.paths['/api/v1/networks/{name}'].get);
});

test('serveAgentApi listens and says where; refuses an unguarded wide address and a taken port', async () => {
  const { ops, close } = FakeOps.open();
  closers.push(close);
  const served = await serveAgentApi({ ops, version: '1.2.3', listen: '127.0.0.1', port: 0 });
  closers.push(served.close);
  assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const health = (await (await fetch(`${served.url}/api/v1/health`)).json()) as { hostId: string };
  assert.equal(health.hostId, 'h1');
  await assert.rejects(
    serveAgentApi({ ops, version: '1', listen: '0.0.0.0', port: 0 }),
    (e: unknown) => e instanceof ListenConfigError,
  );
  const port = Number(new URL(served.url).port);
  await assert.rejects(
    serveAgentApi({ ops, version: '1', listen: '127.0.0.1', port }),
    /--api-port: 127\.0\.0\.1:\d+ is already in use \(another agent\?\)/,
  );
});
