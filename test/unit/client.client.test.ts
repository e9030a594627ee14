import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/api/index.js';
import { ApiError, ConnectionError, SluiceClient } from '../../src/client/node.js';
import { closedPort, fakeDeps } from './api.fakes.js';

const D1 = '00:00:00:00:00:00:00:01';
const D2 = '00:00:00:00:00:00:00:02';
let app: FastifyInstance;

let baseUrl: string;

before(async () => {
  app = await createApiServer({ ...fakeDeps(), auth: { token: 'tok' } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
after(() => app.close());

test('client methods return the API data', async () => {
  const c = new SluiceClient({ baseUrl: baseUrl + '/', token: 'tok' });
  assert.equal((await c.health()).status, 'ok');
  assert.deepEqual(
    (await c.switches()).map((s) => s.dpid),
    [D1, D2],
  );
  assert.equal((await c.switch(D1)).ports.length, 2);
  assert.match((await c.flows(D1))[0].text, /actions=output:2/);
  assert.equal((await c.ports(D2))[0].stats?.rxPackets, 10);
  assert.ok(await c.stats(D1, 'table'));
  assert.equal((await c.links())[0].dst.dpid, D2);
  assert.deepEqual(
    (await c.hosts({ ipv4: '10.0.0.1' })).map((h) => h.mac),
    ['00:00:00:00:00:01'],
  );
  const page = await c.hostsPage({ sort: 'mac', order: 'desc', limit: 1 });
  assert.deepEqual([page.total, page.hosts.map((h) => h.mac)], [2, ['00:00:00:00:00:02']]);
  assert.equal((await c.hostsPage({ q: '10.0.0.1' })).total, 1);
  await assert.rejects(
    c.hostsPage({ limit: 0 }),
    (e: unknown) => e instanceof ApiError && e.status === 400 && e.field === 'limit',
  );
  assert.equal((await c.route({ dpid: D1, port: 1 }, { dpid: D2, port: 1 })).hops.length, 2);
  assert.match(await c.metrics(), /sluice_switches_connected 2/);
  assert.ok((await c.openapi()).paths['/api/v1/switches']);

  assert.equal((await c.floodlight.switches())[0].switchDPID, D1);
  assert.equal(
    (await c.floodlight.devices({ mac: '00:00:00:00:00:02' }))[0].attachmentPoint[0].switchDPID,
    D2,
  );
  assert.equal((await c.floodlight.links())[0]['src-port'], 2);
  assert.equal((await c.floodlight.route({ dpid: D1, port: 1 }, { dpid: D2, port: 1 })).length, 4);
  assert.ok('flows' in (await c.floodlight.stats(D1, 'flow')));
  assert.equal((await c.floodlight.uptime()).systemUptimeMsec, 100_000);
});

test('API errors become ApiError with status, error, detail, field', async () => {
  const c = new SluiceClient({ baseUrl, token: 'tok' });
  await assert.rejects(c.flows('nope'), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 400);
    assert.equal(e.error, 'bad_request');
    assert.equal(e.field, 'dpid');
    return true;
  });
  await assert.rejects(
    c.switch('00:00:00:00:00:00:00:0a'),
    (e: unknown) => e instanceof ApiError && e.status === 404,
  );
  const noToken = new SluiceClient({ baseUrl });
  await assert.rejects(noToken.switches(), (e: unknown) => e instanceof ApiError && e.status === 401);
  assert.equal((await noToken.floodlight.health()).healthy, true);
});

test('nothing listening becomes ConnectionError with the code', async () => {
  const c = new SluiceClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
  await assert.rejects(c.health(), (e: unknown) => {
    assert.ok(e instanceof ConnectionError);
    assert.equal(e.socketCode, 'ECONNREFUSED');
    return true;
  });
});
