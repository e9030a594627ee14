import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore, type Store } from '../../src/store/index.js';
import {
  EndpointStore,
  HostRegistry,
  Ipam,
  NetworkStore,
  endpointId,
  hostIfaceName,
  macFor,
  type HostRecord,
} from '../../src/agent/index.js';
import { waitFor } from '../support/wait.js';
import { ConflictError, FakeClock, FieldError, NotFoundError } from '../../src/util/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-endpoints-'));
const opened: Store[] = [];
let n = 0;
function fresh(clock?: FakeClock): Store {
  const store = openEmbeddedStore(path.join(root, String(++n)), clock ? { clock } : {});
  opened.push(store);
  return store;
}
after(async () => {
  await Promise.all(opened.map((s) => s.close()));
  fs.rmSync(root, { recursive: true, force: true });
});

const base = { containerId: 'c0ffee', host: 'h1', kind: 'docker' as const };

test('endpoints: ids, interface names and MACs are deterministic and well-formed', () => {
  const id = endpointId('abc', 'net-id', 'eth0');
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(endpointId('abc', 'net-id', 'eth0'), id);
  assert.notEqual(endpointId('abc', 'net-id', 'eth1'), id);
  assert.ok(hostIfaceName(id).length <= 15);
  assert.equal(macFor('10.1.0.2'), '0a:58:0a:01:00:02');
  assert.throws(() => macFor('10.1.0'), FieldError);
});

test('endpoints: a repeated attach gets the same record, address and MAC', async () => {
  const store = fresh();
  await new NetworkStore(store).create({ name: 'red', subnet: '10.5.0.0/24' });
  const eps = new EndpointStore(store);
  const first = await eps.reserve({ ...base, network: 'red' });
  assert.equal(first.created, true);
  assert.equal(first.endpoint.address, '10.5.0.2');
  assert.equal(first.endpoint.cidr, '10.5.0.2/24');
  assert.equal(first.endpoint.gateway, '10.5.0.1');
  assert.equal(first.endpoint.mac, macFor('10.5.0.2'));
  assert.equal(first.endpoint.mtu, 1450);
  const again = await eps.reserve({ ...base, network: 'red' });
  assert.equal(again.created, false);
  assert.deepEqual(again.endpoint, first.endpoint);
  // A second interface of the same container is another endpoint.
  const eth1 = await eps.reserve({ ...base, network: 'red', ifname: 'eth1' });
  assert.equal(eth1.endpoint.address, '10.5.0.3');
  assert.deepEqual(Object.keys(await new Ipam(store).list('red')).sort(), ['10.5.0.2', '10.5.0.3']);
  await assert.rejects(eps.reserve({ ...base, network: 'red', address: '10.5.0.9' }), ConflictError);
});

test('endpoints: release frees the address; list filters by network, host and container', async () => {
  const store = fresh();
  const networks = new NetworkStore(store);
  await networks.create({ name: 'a', subnet: '10.6.0.0/24' });
  await networks.create({ name: 'b', subnet: '10.7.0.0/24' });
  const eps = new EndpointStore(store);
  const x = (await eps.reserve({ ...base, network: 'a', containerName: 'web' })).endpoint;
  await eps.reserve({ ...base, containerId: 'd00d', host: 'h2', network: 'b' });
  assert.equal((await eps.list()).length, 2);
  assert.deepEqual(
    (await eps.list({ network: 'a' })).map((e) => e.id),
    [x.id],
  );
  assert.equal((await eps.list({ host: 'h2' })).length, 1);
  assert.deepEqual(
    (await eps.list({ container: 'web' })).map((e) => e.id),
    [x.id],
  );
  assert.deepEqual(
    (await eps.list({ container: 'c0ff' })).map((e) => e.id),
    [x.id],
  );
  await assert.rejects(eps.list({ network: 'nope' }), NotFoundError);
  assert.equal(await eps.release(x), true);
  assert.deepEqual(await new Ipam(store).list('a'), {});
  assert.equal(await eps.release(x), false);
  // The network now has no endpoint: it can be deleted without force.
  await networks.delete('a');
});

test('endpoints: bad container ids and interface names are refused naming the field', async () => {
  const store = fresh();
  await new NetworkStore(store).create({ name: 'a', subnet: '10.6.0.0/24' });
  const eps = new EndpointStore(store);
  await assert.rejects(eps.reserve({ ...base, network: 'a', containerId: 'a b' }), { field: 'containerId' });
  await assert.rejects(eps.reserve({ ...base, network: 'a', ifname: 'x'.repeat(16) }), { field: 'ifname' });
  await assert.rejects(eps.reserve({ ...base, network: 'nope' }), { field: 'network' });
  await assert.rejects(eps.reserve({ ...base, network: 'a', address: '10.9.0.2' }), { field: 'address' });
});

test('endpoints: concurrent attaches of one endpoint agree on one address', async () => {
  const store = fresh();
  await new NetworkStore(store).create({ name: 'a', subnet: '10.6.0.0/24' });
  const eps = new EndpointStore(store);
  const got = await Promise.all(Array.from({ length: 8 }, () => eps.reserve({ ...base, network: 'a' })));
  assert.equal(new Set(got.map((g) => g.endpoint.address)).size, 1);
  assert.equal(got.filter((g) => g.created).length, 1);
  assert.equal(Object.keys(await new Ipam(store).list('a')).length, 1);
});

test('endpoints: sweepOrphans frees addresses whose endpoint record is gone', async () => {
  const store = fresh();
  await new NetworkStore(store).create({ name: 'a', subnet: '10.6.0.0/24' });
  const eps = new EndpointStore(store);
  const kept = (await eps.reserve({ ...base, network: 'a' })).endpoint;
  await new Ipam(store).allocate('a', 'crashed-before-record');
  assert.deepEqual(await eps.sweepOrphans(), ['a/10.6.0.3']);
  assert.deepEqual(Object.keys(await new Ipam(store).list('a')), [kept.address]);
});

const host = (id: string, ip: string): HostRecord => ({
  id,
  hostname: id,
  underlayIp: ip,
  version: '0.0.0',
  bridge: 'sluice0',
  startedAt: '2026-12-04T00:00:00.000Z',
});

test('hosts: peers see each other; a stopped host goes at once, a dead one after the TTL', async () => {
  const clock = new FakeClock();
  const store = fresh(clock);
  const log = { warn: () => undefined, info: () => undefined };
  const seenBy1: string[][] = [];
  const h1 = new HostRegistry(store, host('h1', '10.99.0.1'), {
    clock,
    log,
    ttlSeconds: 6,
    onHosts: (hs) => seenBy1.push(hs.map((h) => h.id)),
  });
  const h2 = new HostRegistry(store, host('h2', '10.99.0.2'), {
    clock,
    log,
    ttlSeconds: 6,
    onHosts: () => undefined,
  });
  const h3 = new HostRegistry(store, host('h3', '10.99.0.3'), {
    clock,
    log,
    ttlSeconds: 6,
    onHosts: () => undefined,
  });
  await h1.start();
  await h2.start();
  await h3.start();
  const last = async (ids: string[]) => {
    await waitFor(() => JSON.stringify(seenBy1.at(-1)) === JSON.stringify(ids), {
      what: `h1 to see hosts ${ids.join(',')} (saw ${JSON.stringify(seenBy1.at(-1))})`,
      intervalMs: 2,
      timeoutMs: 5000,
    });
    assert.deepEqual(seenBy1.at(-1), ids);
  };
  await last(['h1', 'h2', 'h3']);
  await h3.stop(); // clean stop: revoked
  await last(['h1', 'h2']);
  await h2.stop(false); // dies: no keepalive from now on, the lease runs out
  // h1's keepalives (every 2 s) keep it; h2's lease (6 s) runs out; h1's next refresh sees that.
  for (let t = 0; t < 4; t++) {
    clock.advance(2000);
    await waitFor(() => true, { what: 'a turn', intervalMs: 1 });
  }
  await last(['h1']);
  await h1.stop();
});
