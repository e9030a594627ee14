import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore, type Store } from '../../src/store/index.js';
import {
  AgentCore,
  EndpointStore,
  Ipam,
  type ContainerFacts,
  type Endpoint,
  type Fabric,
  type HostRecord,
  type Plumbing,
} from '../../src/agent/index.js';
import { ConflictError, NotFoundError } from '../../src/util/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-'));
const opened: Store[] = [];
let n = 0;
after(async () => {
  await Promise.all(opened.map((s) => s.close()));
  fs.rmSync(root, { recursive: true, force: true });
});

const self: HostRecord = {
  id: 'h1',
  hostname: 'h1',
  underlayIp: '10.99.0.1',
  version: '0.0.0',
  bridge: 'sluice0',
  startedAt: '2026-12-04T00:00:00.000Z',
};

/** A core over an embedded store with in-memory fakes of dockerd, the host's plumbing and the fabric. */
function fresh(opts: { failPlumb?: boolean } = {}) {
  const store = openEmbeddedStore(path.join(root, String(++n)));
  opened.push(store);
  const containers = new Map<string, ContainerFacts>();
  const plumbed = new Map<string, string>(); // hostIface -> netns
  const strays = new Set<string>();
  const syncs: { endpoints: number; hosts: number }[] = [];
  const docker = {
    inspect: async (ref: string) => {
      const c = [...containers.values()].find((x) => x.id === ref || x.name === ref);
      if (!c) throw new NotFoundError('container', `no container ${ref}`);
      return c;
    },
    ensureNetwork: async (net: { name: string }) => ({ name: net.name, id: `docker-${net.name}` }),
  };
  const plumbing: Plumbing = {
    plumb: async (ep: Endpoint, netns: string) => {
      plumbed.set(ep.hostIface, netns);
      if (opts.failPlumb) throw new Error(`ip: cannot move ${ep.hostIface}`);
    },
    unplumb: async (ep: Endpoint) => void plumbed.delete(ep.hostIface),
    isPlumbed: async (ep: Endpoint) => plumbed.has(ep.hostIface),
    removeStrays: async (keep) => {
      const gone = [...strays, ...plumbed.keys()].filter((i) => !keep.has(i));
      for (const i of gone) {
        plumbed.delete(i);
        strays.delete(i);
      }
      return gone;
    },
    routes: async () => ['default', '10.1.0.0/16', '172.17.0.0/16'],
  };
  const fabric: Fabric = {
    sync: async (s) => void syncs.push({ endpoints: s.endpoints.length, hosts: s.hosts.length }),
  };
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const core = new AgentCore({ store, self, docker, plumbing, fabric, log });
  const run = (id: string, name: string, pid: number) => containers.set(id, { id, name, running: true, pid });
  return { store, core, containers, plumbed, strays, syncs, run };
}

test('core: attach plumbs into the container netns, detach undoes it and frees the address', async () => {
  const { store, core, plumbed, syncs, run } = fresh();
  await core.createNetwork({ name: 'red', subnet: '10.5.0.0/24' });
  run('c1', 'web', 4242);
  const ep = await core.attachContainer('web', { network: 'red' });
  assert.equal(ep.address, '10.5.0.2');
  assert.equal(ep.containerName, 'web');
  assert.equal(plumbed.get(ep.hostIface), '/proc/4242/ns/net');
  assert.equal(syncs.at(-1)?.endpoints, 1);
  const again = await core.attachContainer('c1', { network: 'red' });
  assert.equal(again.mac, ep.mac);
  assert.deepEqual(
    (await core.detachContainer('web')).map((e) => e.id),
    [ep.id],
  );
  assert.equal(plumbed.size, 0);
  assert.deepEqual(await new Ipam(store).list('red'), {});
  assert.equal(syncs.at(-1)?.endpoints, 0);
  await assert.rejects(core.detachContainer('web'), NotFoundError);
  await assert.rejects(core.detachContainer('nope'), { field: 'container' });
});

test('core: a failed plumb leaves no address and no port behind', async () => {
  const { store, core, plumbed, run } = fresh({ failPlumb: true });
  await core.createNetwork({ name: 'red', subnet: '10.5.0.0/24' });
  run('c1', 'web', 1);
  await assert.rejects(core.attachContainer('web', { network: 'red' }), /cannot move/);
  assert.equal(plumbed.size, 0);
  assert.deepEqual(await new Ipam(store).list('red'), {});
  assert.deepEqual(await core.listEndpoints(), []);
});

test('core: detach of a Docker plugin endpoint is refused (409 container), pointing at docker network disconnect', async () => {
  const { store, core, containers, plumbed } = fresh();
  const red = await core.createNetwork({ name: 'red', subnet: '10.5.0.0/24' });
  // What the plugin stores (keyed by the Docker endpoint id), once it has learned the container.
  const dockerEp = 'e'.repeat(64);
  const eps = new EndpointStore(store);
  const { endpoint } = await eps.reserve({
    network: 'red',
    containerId: dockerEp,
    host: 'h1',
    kind: 'plugin',
  });
  await eps.setContainer(red.id, endpoint.id, { id: 'c9', name: 'pweb' });
  const net = {
    networkId: 'dn1',
    endpointId: dockerEp,
    ipAddress: endpoint.address,
    macAddress: endpoint.mac,
  };
  containers.set('c9', { id: 'c9', name: 'pweb', running: true, pid: 9, networks: { 'docker-red': net } });
  plumbed.set(endpoint.hostIface, 'sandbox');
  for (const [container, network] of [
    ['pweb', 'red'],
    ['pweb', undefined],
    ['c9', 'red'],
  ]) {
    await assert.rejects(core.detachContainer(container!, network), (err: unknown) => {
      assert.ok(err instanceof ConflictError);
      assert.equal(err.field, 'container');
      assert.match(err.reason, new RegExp(`use \`docker network disconnect docker-red ${container}\``));
      return true;
    });
  }
  assert.deepEqual(
    (await core.listEndpoints()).map((e) => e.id),
    [endpoint.id],
    'nothing released',
  );
  assert.equal(plumbed.get(endpoint.hostIface), 'sandbox', 'nothing unplumbed');
});

test('core: bad references are refused naming the field', async () => {
  const { core, containers } = fresh();
  await core.createNetwork({ name: 'red', subnet: '10.5.0.0/24' });
  await assert.rejects(core.attachContainer('ghost', { network: 'red' }), { field: 'container' });
  containers.set('c2', { id: 'c2', name: 'stopped', running: false, pid: 0 });
  await assert.rejects(core.attachContainer('stopped', { network: 'red' }), (err: unknown) => {
    assert.ok(err instanceof ConflictError);
    assert.equal(err.field, 'container');
    assert.match(err.reason, /not running/);
    return true;
  });
  containers.set('c3', { id: 'c3', name: 'x', running: true, pid: 3 });
  await assert.rejects(core.attachContainer('x', { network: 'blue' }), { field: 'network' });
  await assert.rejects(core.attachContainer('x', { network: 'red', address: '10.6.0.9' }), {
    field: 'address',
  });
});

test('core: a network without a CIDR gets a subnet that avoids the host routes and the other networks', async () => {
  const { core } = fresh();
  const d = await core.ensureDefaultNetwork();
  assert.equal(d.name, 'default');
  assert.equal(d.subnet, '10.2.0.0/16'); // 10.1/16 is a route here
  assert.equal(d.nat, true, "Socketplane's default network had outbound NAT");
  assert.equal((await core.ensureDefaultNetwork()).id, d.id);
  const other = await core.createNetwork({ name: 'other' });
  assert.equal(other.subnet, '10.3.0.0/16');
  assert.equal(other.nat, false);
});

test('core: delete is refused with endpoints, forced delete detaches them', async () => {
  const { core, plumbed, run } = fresh();
  await core.createNetwork({ name: 'red', subnet: '10.5.0.0/24' });
  run('c1', 'web', 1);
  await core.attachContainer('web', { network: 'red' });
  await assert.rejects(core.deleteNetwork('red'), { field: 'name' });
  await core.deleteNetwork('red', { force: true });
  assert.equal(plumbed.size, 0);
  assert.deepEqual(await core.listNetworks(), []);
});

test('core: container events re-plumb on start, unplumb on die, release on destroy', async () => {
  const { store, core, plumbed, containers, run } = fresh();
  await core.createNetwork({ name: 'red', subnet: '10.5.0.0/24' });
  run('c1', 'web', 10);
  const ep = await core.attachContainer('web', { network: 'red' });
  await core.containerEvent('die', 'c1');
  assert.equal(plumbed.size, 0);
  containers.set('c1', { id: 'c1', name: 'web', running: true, pid: 11 });
  await core.containerEvent('start', 'c1');
  assert.equal(plumbed.get(ep.hostIface), '/proc/11/ns/net');
  assert.equal((await core.listEndpoints())[0].address, ep.address);
  containers.delete('c1');
  await core.containerEvent('destroy', 'c1');
  assert.equal(plumbed.size, 0);
  assert.deepEqual(await new Ipam(store).list('red'), {});
  await core.containerEvent('start', 'unrelated'); // no endpoint: nothing happens, no error
});

test('core: recover re-plumbs live containers, releases gone ones, removes strays', async () => {
  const { store, core, plumbed, strays, containers, run } = fresh();
  await core.createNetwork({ name: 'red', subnet: '10.5.0.0/24' });
  run('c1', 'alive', 10);
  run('c2', 'gone', 20);
  const alive = await core.attachContainer('alive', { network: 'red' });
  const gone = await core.attachContainer('gone', { network: 'red' });
  // The agent was killed: the veths of 'alive' vanished (say), 'gone' was removed, a stray port remains.
  plumbed.clear();
  containers.delete('c2');
  strays.add('svdeadbeef000');
  const r = await core.recover();
  assert.deepEqual(r.replumbed, [alive.id]);
  assert.deepEqual(r.released, [gone.id]);
  assert.deepEqual(r.removed, ['svdeadbeef000']);
  assert.deepEqual(Object.keys(await new Ipam(store).list('red')), [alive.address]);
  assert.equal(plumbed.get(alive.hostIface), '/proc/10/ns/net');
});

test('core: CNI attach and a DEL of something absent', async () => {
  const { core, plumbed } = fresh();
  await core.createNetwork({ name: 'red', subnet: '10.5.0.0/24' });
  const ep = await core.attachNetns('/var/run/netns/x', 'cni-1', { network: 'red', ifname: 'net1' });
  assert.equal(ep.kind, 'cni');
  assert.equal(plumbed.get(ep.hostIface), '/var/run/netns/x');
  assert.equal((await core.detachNetns('cni-1', 'red', 'net1'))?.id, ep.id);
  assert.equal(await core.detachNetns('cni-1', 'red', 'net1'), undefined);
  assert.equal(await core.detachNetns('cni-1', 'no-such-net'), undefined);
});

test('core: each sync() resolves with the first run that started after it, not with the last of a burst', async () => {
  const store = openEmbeddedStore(path.join(root, String(++n)));
  opened.push(store);
  // A fabric whose runs finish when the test says so; the third run fails.
  const runs: { release: () => void; fail: boolean }[] = [];
  const fabric: Fabric = {
    sync: () =>
      new Promise<void>((resolve, reject) => {
        const fail = runs.length === 2;
        runs.push({ release: () => (fail ? reject(new Error('ovsdb went away')) : resolve()), fail });
      }),
  };
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const docker = {
    inspect: async (ref: string): Promise<ContainerFacts> => {
      throw new NotFoundError('container', `no container ${ref}`);
    },
    ensureNetwork: async (net: { name: string }) => ({ name: net.name, id: net.name }),
  };
  const plumbing: Plumbing = {
    plumb: async () => undefined,
    unplumb: async () => undefined,
    isPlumbed: async () => false,
    removeStrays: async () => [],
    routes: async () => [],
  };
  const core = new AgentCore({ store, self, docker, plumbing, fabric, log });
  const settled = new Map<string, string>();
  const track = (name: string, p: Promise<void>) =>
    p.then(
      () => void settled.set(name, 'ok'),
      (err: Error) => void settled.set(name, err.message),
    );
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 1000 && !what(); i++) await new Promise((r) => setImmediate(r));
    assert.ok(what(), 'timed out');
  };
  const a = track('a', core.sync());
  await until(() => runs.length === 1);
  const b = track('b', core.sync());
  const c = track('c', core.sync());
  runs[0].release();
  await a;
  await until(() => runs.length === 2);
  assert.deepEqual([...settled], [['a', 'ok']], 'b and c wait for the run that started after them');
  const d = track('d', core.sync());
  runs[1].release();
  await Promise.all([b, c]);
  assert.equal(settled.has('d'), false);
  await until(() => runs.length === 3);
  const e = track('e', core.sync());
  runs[2].release(); // fails: d hears of it, e gets a run of its own
  await d;
  assert.equal(settled.get('d'), 'ovsdb went away');
  await until(() => runs.length === 4);
  runs[3].release();
  await e;
  assert.deepEqual([...settled.values()], ['ok', 'ok', 'ok', 'ovsdb went away', 'ok']);
});
