import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Endpoint, HostRecord, Network } from '../../src/agent/index.js';
import { createAgentApiServer, createApiServer, agentReadRoutes } from '../../src/api/index.js';
import {
  AgentClient,
  ApiError,
  ConnectionError,
  DEFAULT_AGENT_URL,
  SluiceClient,
  type AgentEndpoint,
  type AgentHost,
  type AgentNetwork,
  type SocketplaneConnection,
  type SocketplaneNetwork,
} from '../../src/client/node.js';
import { toSocketplaneConnection, toSocketplaneNetwork } from '../../src/api/routes/socketplane.js';
import { FakeOps } from './agent.fakeops.js';
import { closedPort, fakeDeps } from './api.fakes.js';

// Compile-time: the agent's records and the /v0.1 shapes are the client's wire types.
const wire = (
  n: Network,
  e: Endpoint,
  h: HostRecord,
): [AgentNetwork, AgentEndpoint, AgentHost, SocketplaneNetwork, SocketplaneConnection] => [
  n,
  e,
  h,
  toSocketplaneNetwork(n),
  toSocketplaneConnection(e),
];

const url = (app: FastifyInstance) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

/** A listening agent API over its own FakeOps, a controller reading the same ops, and clients of both. */
async function world(t: { after(fn: () => Promise<void>): void }) {
  const { ops, close } = FakeOps.open();
  const agent = await createAgentApiServer({ ops, version: '1.2.3', auth: { token: 'secret-token' } });
  await agent.listen({ host: '127.0.0.1', port: 0 });
  const controller = await createApiServer({ ...fakeDeps(), routes: [agentReadRoutes(ops)] });
  await controller.listen({ host: '127.0.0.1', port: 0 });
  const client = new AgentClient({ baseUrl: url(agent), token: 'secret-token' });
  const sluice = new SluiceClient({ baseUrl: url(controller) });
  t.after(async () => {
    await client.close();
    await sluice.close();
    await agent.close();
    await controller.close();
    await close();
  });
  return { ops, agent, client, sluice };
}

test('AgentClient: one typed method per /api/v1 route', async (t) => {
  const { client } = await world(t);
  assert.equal(new AgentClient().baseUrl, DEFAULT_AGENT_URL);
  assert.deepEqual(await client.health(), { status: 'ok', hostId: 'h1', version: '1.2.3' });
  const red = await client.networks.create({ name: 'red', subnet: '10.5.0.0/24', labels: { a: 'b' } });
  assert.equal(red.gateway, '10.5.0.1');
  const dflt = await client.networks.create({ name: 'blue' });
  assert.equal(dflt.subnet, '10.1.0.0/16');
  assert.deepEqual(
    (await client.networks.list()).map((n) => n.name),
    ['blue', 'red'],
  );
  assert.equal((await client.networks.get('red')).id, red.id);

  const ep = await client.endpoints.attach('web', 'red', { address: '10.5.0.7', ifname: 'eth1' });
  assert.deepEqual([ep.address, ep.ifname, ep.containerName], ['10.5.0.7', 'eth1', 'web']);
  const cni = await client.endpoints.attachNetns('/var/run/netns/p', 'pod1', 'red', { kind: 'plugin' });
  assert.equal(cni.kind, 'plugin');
  assert.equal((await client.endpoints.list({ network: 'red' })).length, 2);
  assert.deepEqual((await client.dockerNetwork('red')).name, 'red');
  assert.deepEqual(
    (await client.agents()).map((h) => h.id),
    ['h1', 'h2'],
  );
  assert.equal((await client.agent()).id, 'h1');

  const busy = await client.networks.delete('red').catch((e: unknown) => e);
  assert.ok(busy instanceof ApiError);
  assert.deepEqual([busy.status, busy.error, busy.field], [409, 'conflict', 'name']);
  assert.equal((await client.endpoints.detachNetns('pod1', 'red')).removed.length, 1);
  assert.deepEqual((await client.endpoints.detachNetns('pod1', 'red')).removed, []);
  assert.equal((await client.endpoints.detach('web')).removed[0].address, '10.5.0.7');
  assert.equal(await client.networks.delete('blue'), undefined);
  await client.endpoints.attach('db', 'red');
  await client.networks.delete('red', { force: true });
  const gone = await client.networks.get('red').catch((e: unknown) => e);
  assert.ok(gone instanceof ApiError);
  assert.deepEqual([gone.status, gone.field], [404, 'name']);
  assert.ok((await client.openapi()).paths['/v0.1/connections']);
});

test('AgentClient: Socketplane /v0.1 methods', async (t) => {
  const { client } = await world(t);
  const sp = client.socketplane;
  assert.deepEqual(await sp.createNetwork('green', '10.7.0.0/24'), {
    id: 'green',
    subnet: '10.7.0.0/24',
    gateway: '10.7.0.1',
    vlan: (await client.networks.get('green')).vni,
  });
  assert.equal((await sp.network('green')).subnet, '10.7.0.0/24');
  assert.ok((await sp.networks()).some((n) => n.id === 'green'));
  const c = await sp.connect('web', 'green');
  assert.equal(c.connection_details.subnet, '/24');
  assert.deepEqual(await sp.connection(c.container_id), c);
  assert.deepEqual(await sp.connections(), { [c.container_id]: c });
  await sp.disconnect(c.container_id);
  await sp.deleteNetwork('green');
  assert.deepEqual(await sp.networks(), []);
});

test('SluiceClient reads the same networks, endpoints and agents from the controller', async (t) => {
  const { client, sluice } = await world(t);
  await client.networks.create({ name: 'red', subnet: '10.5.0.0/24' });
  await client.endpoints.attach('web', 'red');
  assert.deepEqual(await sluice.networks(), await client.networks.list());
  assert.deepEqual(await sluice.network('red'), await client.networks.get('red'));
  assert.deepEqual(await sluice.endpoints({ container: 'web' }), await client.endpoints.list());
  assert.deepEqual(await sluice.agents(), await client.agents());
});

test('a token is required; an agent that is not running is a ConnectionError naming the agent', async (t) => {
  const { agent } = await world(t);
  const anon = new AgentClient({ baseUrl: url(agent) });
  const denied = await anon.networks.list().catch((e: unknown) => e);
  assert.ok(denied instanceof ApiError);
  assert.equal(denied.status, 401);
  assert.equal((await anon.health()).status, 'ok');
  const down = new AgentClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
  const err = await down.agents().catch((e: unknown) => e);
  assert.ok(err instanceof ConnectionError);
  assert.deepEqual([err.socketCode, err.server], ['ECONNREFUSED', 'agent']);
  const ctl = await new SluiceClient({ baseUrl: down.baseUrl }).networks().catch((e: unknown) => e);
  assert.ok(ctl instanceof ConnectionError);
  assert.equal(ctl.server, 'controller');
  assert.equal(typeof wire, 'function');
});
