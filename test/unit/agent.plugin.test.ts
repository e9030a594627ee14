import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore, type Store } from '../../src/store/index.js';
import { EndpointStore, Ipam, NetworkStore, type Endpoint } from '../../src/agent/index.js';
import type { DockerEvent, NetworkInfo } from '../../src/agent/docker.js';
import {
  DockerPlugin,
  PLUGIN_CONTENT_TYPE,
  servePlugin,
  type PluginBackend,
  type PluginReply,
} from '../../src/agent/plugin.js';
import { StorePluginBackend, type PluginPlumbing } from '../../src/agent/pluginbackend.js';
import { ConflictError, NotFoundError } from '../../src/util/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-plugin-'));
const opened: Store[] = [];
let n = 0;
after(async () => {
  await Promise.all(opened.map((s) => s.close()));
  fs.rmSync(root, { recursive: true, force: true });
});

/** Fake dockerd networks (what `docker network create` committed) and fake Linux plumbing, real store. */
class FakeHost {
  readonly docker = new Map<string, NetworkInfo>();
  readonly veths = new Map<string, string>();
  readonly ports = new Set<string>();
  readonly plumbing: PluginPlumbing = {
    createVeth: async (ep, peer) => void this.veths.set(ep.hostIface, peer),
    deleteVeth: async (ep) => void this.veths.delete(ep.hostIface),
    addPort: async (ep) => void this.ports.add(ep.hostIface),
    removePort: async (ep) => void this.ports.delete(ep.hostIface),
  };
  readonly plugin: DockerPlugin;
  constructor(
    readonly store: Store,
    hostId: string,
  ) {
    const docker = {
      inspectNetwork: async (id: string) => {
        const d = this.docker.get(id);
        if (d === undefined) throw new NotFoundError('network', `no such Docker network: ${id}`);
        return d;
      },
      listNetworks: async () => [...this.docker.values()],
    };
    this.plugin = new DockerPlugin(
      new StorePluginBackend({ store, hostId, docker, plumbing: this.plumbing }),
    );
  }
  /** dockerd commits the network after CreateNetwork answered. */
  commit(id: string, name: string, subnet: string, options: Record<string, string> = {}): void {
    this.docker.set(id, {
      id,
      name,
      driver: 'sluice',
      options,
      ipamDriver: 'sluice',
      ipamConfig: [{ subnet, gateway: subnet.replace(/0\/\d+$/, '1') }],
      labels: {},
      containers: {},
    });
  }
  /** dockerd lists a container on a network once its endpoint has joined. */
  joined(networkId: string, containerId: string, name: string, endpointId: string): void {
    this.docker.get(networkId)!.containers[containerId] = { name, endpointId };
  }
  async call(method: string, body: unknown): Promise<PluginReply> {
    return this.plugin.handle(`/${method}`, typeof body === 'string' ? body : JSON.stringify(body));
  }
  /** A call that must succeed. */
  async ok(method: string, body: unknown = {}): Promise<any> {
    const r = await this.call(method, body);
    assert.equal(r.status, 200, `${method}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
  /** A call that must fail with an Err naming `field`. */
  async err(method: string, body: unknown, field: string | RegExp): Promise<string> {
    const r = await this.call(method, body);
    assert.notEqual(r.status, 200, `${method} should fail, got ${JSON.stringify(r.body)}`);
    const e = (r.body as { Err?: unknown }).Err;
    assert.equal(typeof e, 'string');
    if (typeof field === 'string')
      assert.ok((e as string).startsWith(`${field}: `), `Err '${e}' names ${field}`);
    else assert.match(e as string, field);
    return e as string;
  }
}

function fresh(hostIds = ['h1']): { store: Store; hosts: FakeHost[] } {
  const store = openEmbeddedStore(path.join(root, String(++n)));
  opened.push(store);
  return { store, hosts: hostIds.map((h) => new FakeHost(store, h)) };
}

const SPACE = 'sluice-local';
const E1 = 'e'.repeat(64);
const E2 = 'f'.repeat(64);
const gatewayReq = (PoolID: string) => ({
  PoolID,
  Address: '',
  Options: { RequestAddressType: 'com.docker.network.gateway' },
});
const createNet = (NetworkID: string, Pool: string, generic: Record<string, string> = {}) => ({
  NetworkID,
  Options: { 'com.docker.network.generic': generic, 'com.docker.network.enable_ipv6': false },
  IPv4Data: [{ AddressSpace: SPACE, Pool, Gateway: Pool.replace(/0\/(\d+)$/, '1/$1'), AuxAddresses: {} }],
  IPv6Data: [],
});

test('activation, capabilities, address spaces and the methods with nothing to do', async () => {
  const { hosts } = fresh();
  const [h] = hosts;
  assert.deepEqual(await h.ok('Plugin.Activate', ''), { Implements: ['NetworkDriver', 'IpamDriver'] });
  assert.deepEqual(await h.ok('NetworkDriver.GetCapabilities'), {
    Scope: 'local',
    ConnectivityScope: 'global',
  });
  assert.deepEqual(await h.ok('IpamDriver.GetCapabilities'), {
    RequiresMACAddress: false,
    RequiresRequestReplay: false,
  });
  assert.deepEqual(await h.ok('IpamDriver.GetDefaultAddressSpaces'), {
    LocalDefaultAddressSpace: 'sluice-local',
    GlobalDefaultAddressSpace: 'sluice-global',
  });
  for (const m of [
    'DiscoverNew',
    'DiscoverDelete',
    'ProgramExternalConnectivity',
    'RevokeExternalConnectivity',
    'AllocateNetwork',
    'FreeNetwork',
  ]) {
    assert.deepEqual(await h.ok(`NetworkDriver.${m}`, { NetworkID: 'n1', EndpointID: E1 }), {});
  }
  assert.deepEqual(await h.ok('NetworkDriver.EndpointOperInfo', { NetworkID: 'n1', EndpointID: E1 }), {
    Value: {},
  });
  assert.equal((await h.call('NetworkDriver.Explode', {})).status, 404);
  assert.equal((await h.call('constructor', {})).status, 404);
  await h.err('IpamDriver.RequestPool', '{not json', 'body');
  await h.err('IpamDriver.RequestPool', '[1,2]', 'body');
});

test('docker network create + run without -o: the Docker name, looked up lazily; addresses from Sluice IPAM', async () => {
  const { store, hosts } = fresh();
  const [h] = hosts;
  const pool = await h.ok('IpamDriver.RequestPool', {
    AddressSpace: SPACE,
    Pool: '10.5.0.0/16',
    Options: {},
    V6: false,
  });
  assert.deepEqual(pool, { PoolID: 'sluice:10.5.0.0/16', Pool: '10.5.0.0/16', Data: {} });
  assert.deepEqual(await h.ok('IpamDriver.RequestAddress', gatewayReq(pool.PoolID)), {
    Address: '10.5.0.1/16',
    Data: {},
  });
  await h.ok('NetworkDriver.CreateNetwork', createNet('n1', '10.5.0.0/16'));
  const networks = new NetworkStore(store);
  assert.deepEqual(await networks.list(), [], 'no name yet: nothing created at CreateNetwork');
  h.commit('n1', 'net1', '10.5.0.0/16');

  // docker run --network net1: address, endpoint, join.
  const a = await h.ok('IpamDriver.RequestAddress', { PoolID: pool.PoolID, Address: '', Options: {} });
  assert.deepEqual(a, { Address: '10.5.0.2/16', Data: {} });
  const net1 = await networks.get('net1');
  assert.equal(net1.subnet, '10.5.0.0/16');
  assert.equal(net1.gateway, '10.5.0.1');
  const ipam = new Ipam(store);
  assert.match((await ipam.list('net1'))['10.5.0.2'], /^docker-pending:h1:/);

  const ce = await h.ok('NetworkDriver.CreateEndpoint', {
    NetworkID: 'n1',
    EndpointID: E1,
    Interface: { Address: '10.5.0.2/16', AddressIPv6: '', MacAddress: '' },
    Options: {},
  });
  assert.deepEqual(ce, { Interface: { MacAddress: '0a:58:0a:05:00:02' } });
  const [ep] = await new EndpointStore(store).list({ network: 'net1' });
  assert.equal(ep.kind, 'plugin');
  assert.equal(ep.host, 'h1');
  assert.equal(ep.containerId, E1);
  assert.equal((await ipam.list('net1'))['10.5.0.2'], ep.id, 'the endpoint owns its address');
  // A retried CreateEndpoint is the same endpoint.
  assert.deepEqual(
    await h.ok('NetworkDriver.CreateEndpoint', {
      NetworkID: 'n1',
      EndpointID: E1,
      Interface: { Address: '10.5.0.2/16' },
    }),
    ce,
  );

  const join = await h.ok('NetworkDriver.Join', {
    NetworkID: 'n1',
    EndpointID: E1,
    SandboxKey: '/var/run/docker/netns/abc',
    Options: {},
  });
  assert.deepEqual(join, {
    InterfaceName: { SrcName: `sc${ep.id.slice(0, 11)}`, DstPrefix: 'eth' },
    Gateway: '10.5.0.1',
    StaticRoutes: [],
    DisableGatewayService: false,
  });
  assert.equal(h.veths.get(ep.hostIface), join.InterfaceName.SrcName);
  assert.ok(h.ports.has(ep.hostIface));

  // docker stop/rm: Leave, DeleteEndpoint, ReleaseAddress.
  await h.ok('NetworkDriver.Leave', { NetworkID: 'n1', EndpointID: E1 });
  assert.equal(h.veths.size + h.ports.size, 0);
  await h.ok('NetworkDriver.Leave', { NetworkID: 'n1', EndpointID: E1 });
  await h.ok('NetworkDriver.DeleteEndpoint', { NetworkID: 'n1', EndpointID: E1 });
  assert.deepEqual(await ipam.list('net1'), {});
  assert.deepEqual(await new EndpointStore(store).list(), []);
  await h.ok('IpamDriver.ReleaseAddress', { PoolID: pool.PoolID, Address: '10.5.0.2' });
  await h.ok('NetworkDriver.DeleteEndpoint', { NetworkID: 'n1', EndpointID: E1 });

  // docker network rm: the Sluice network is global and stays.
  await h.ok('IpamDriver.ReleaseAddress', { PoolID: pool.PoolID, Address: '10.5.0.1' });
  await h.ok('NetworkDriver.DeleteNetwork', { NetworkID: 'n1' });
  await h.ok('IpamDriver.ReleasePool', { PoolID: pool.PoolID });
  assert.equal((await networks.list()).length, 1);
});

test('-o sluice.network: two hosts map to one Sluice network and never hand out the same address', async () => {
  const { store, hosts } = fresh(['h1', 'h2']);
  const [h1, h2] = hosts;
  for (const [h, id] of [
    [h1, 'd1'],
    [h2, 'd2'],
  ] as const) {
    const pool = await h.ok('IpamDriver.RequestPool', { AddressSpace: SPACE, Pool: '10.6.0.0/24' });
    await h.ok('IpamDriver.RequestAddress', gatewayReq(pool.PoolID));
    await h.ok('NetworkDriver.CreateNetwork', createNet(id, '10.6.0.0/24', { 'sluice.network': 'blue' }));
  }
  const blue = await new NetworkStore(store).get('blue');
  assert.equal(blue.subnet, '10.6.0.0/24', 'created at CreateNetwork, then found by the second host');
  const got = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      (i % 2 ? h2 : h1).ok('IpamDriver.RequestAddress', { PoolID: 'sluice:10.6.0.0/24', Options: {} }),
    ),
  );
  assert.equal(new Set(got.map((g) => g.Address)).size, 10);
  // Host 2 releasing host 1's pending address frees nothing; host 1 releasing it does.
  await h2.ok('IpamDriver.ReleaseAddress', { PoolID: 'sluice:10.6.0.0/24', Address: '10.6.0.2' });
  const ipam = new Ipam(store);
  assert.ok((await ipam.list('blue'))['10.6.0.2'] !== undefined);
  await h1.ok('IpamDriver.ReleaseAddress', { PoolID: 'sluice:10.6.0.0/24', Address: '10.6.0.2' });
  assert.equal((await ipam.list('blue'))['10.6.0.2'], undefined);
  // A static address (--ip), and one that is taken.
  assert.deepEqual(
    await h1.ok('IpamDriver.RequestAddress', { PoolID: 'sluice:10.6.0.0/24', Address: '10.6.0.200' }),
    { Address: '10.6.0.200/24', Data: {} },
  );
  await h2.err(
    'IpamDriver.RequestAddress',
    { PoolID: 'sluice:10.6.0.0/24', Address: '10.6.0.200' },
    'address',
  );
  // --ipam-opt sluice.network=blue without --subnet: blue's pool.
  assert.equal(
    (await h2.ok('IpamDriver.RequestPool', { AddressSpace: SPACE, Options: { 'sluice.network': 'blue' } }))
      .Pool,
    '10.6.0.0/24',
  );
  // The gateway request of an existing network returns its gateway; another one is refused.
  assert.equal(
    (await h2.ok('IpamDriver.RequestAddress', gatewayReq('sluice:10.6.0.0/24'))).Address,
    '10.6.0.1/24',
  );
  await h2.err(
    'IpamDriver.RequestAddress',
    { ...gatewayReq('sluice:10.6.0.0/24'), Address: '10.6.0.254' },
    'Address',
  );
});

test('bad requests: each Err names the field', async () => {
  const { store, hosts } = fresh();
  const [h] = hosts;
  await new NetworkStore(store).create({ name: 'blue', subnet: '10.7.0.0/16' });
  const rp = (b: object) => ({ AddressSpace: SPACE, ...b });
  await h.err('IpamDriver.RequestPool', rp({}), 'Pool');
  await h.err('IpamDriver.RequestPool', rp({ Pool: '10.7.1.0/24' }), 'Pool');
  await h.err('IpamDriver.RequestPool', rp({ Pool: 'ten' }), 'Pool');
  await h.err('IpamDriver.RequestPool', rp({ Pool: '10.9.0.0/16', V6: true }), 'V6');
  await h.err('IpamDriver.RequestPool', rp({ Pool: '10.9.0.0/16', SubPool: '10.9.1.0/24' }), 'SubPool');
  await h.err(
    'IpamDriver.RequestPool',
    { AddressSpace: 'LocalDefault', Pool: '10.9.0.0/16' },
    'AddressSpace',
  );
  await h.err(
    'IpamDriver.RequestPool',
    rp({ Pool: '10.9.0.0/16', Options: { 'sluice.network': 'blue' } }),
    'Pool',
  );
  await h.err(
    'IpamDriver.RequestPool',
    rp({ Options: { 'sluice.network': 'bad name!' } }),
    'Options.sluice.network',
  );
  await h.err('IpamDriver.RequestAddress', { Options: {} }, 'PoolID');
  await h.err('IpamDriver.RequestAddress', { PoolID: 'other:10.9.0.0/16' }, 'PoolID');
  await h.err('IpamDriver.RequestAddress', { PoolID: 'sluice:10.7.0.0/16', Address: '10.8.0.1' }, 'Address');
  await h.err('IpamDriver.RequestAddress', { PoolID: 'sluice:10.9.0.0/16' }, 'PoolID');
  await h.err('IpamDriver.ReleaseAddress', { PoolID: 'sluice:10.7.0.0/16' }, 'Address');
  await h.err('IpamDriver.ReleasePool', {}, 'PoolID');

  await h.err('NetworkDriver.CreateNetwork', { IPv4Data: [] }, 'NetworkID');
  await h.err('NetworkDriver.CreateNetwork', { NetworkID: 'n1' }, 'IPv4Data');
  await h.err(
    'NetworkDriver.CreateNetwork',
    { ...createNet('n1', '10.9.0.0/16'), IPv6Data: [{}] },
    'IPv6Data',
  );
  await h.err(
    'NetworkDriver.CreateNetwork',
    { ...createNet('n1', '10.9.0.0/16'), IPv4Data: [{ AddressSpace: 'LocalDefault', Pool: '10.9.0.0/16' }] },
    'IPv4Data[0].AddressSpace',
  );
  await h.err('NetworkDriver.CreateNetwork', createNet('n1', '10.7.128.0/17'), 'IPv4Data[0].Pool');
  await h.err(
    'NetworkDriver.CreateNetwork',
    createNet('n1', '10.9.0.0/16', { 'sluice.network': 'blue' }),
    'Pool',
  );
  await h.err(
    'NetworkDriver.CreateNetwork',
    createNet('n1', '10.7.0.0/16', { 'sluice.network': 'red' }),
    'sluice.network',
  );

  // A Docker network named after nothing in Sluice, on blue's subnet, without the option.
  h.commit('n2', 'green', '10.7.0.0/16');
  const e = await h.err(
    'NetworkDriver.CreateEndpoint',
    { NetworkID: 'n2', EndpointID: E1, Interface: { Address: '10.7.0.2/16' } },
    'sluice.network',
  );
  assert.match(e, /-o sluice\.network=blue/);
  h.commit('n3', 'blue', '10.7.0.0/16');
  const ce = (Interface: object) => ({ NetworkID: 'n3', EndpointID: E2, Interface });
  await h.err('NetworkDriver.CreateEndpoint', ce({}), 'Interface.Address');
  await h.err(
    'NetworkDriver.CreateEndpoint',
    ce({ Address: '10.7.0.5/16', MacAddress: '02:00:00:00:00:01' }),
    'Interface.MacAddress',
  );
  await h.err(
    'NetworkDriver.CreateEndpoint',
    ce({ Address: '10.7.0.5/16', AddressIPv6: 'fd00::5/64' }),
    'Interface.AddressIPv6',
  );
  await h.err('NetworkDriver.CreateEndpoint', ce({ Address: '10.8.0.5/16' }), 'Interface.Address');
  await h.err('NetworkDriver.CreateEndpoint', { NetworkID: 'n3', Interface: {} }, 'EndpointID');
  await h.err(
    'NetworkDriver.CreateEndpoint',
    { NetworkID: 'gone', EndpointID: E2, Interface: { Address: '10.7.0.5/16' } },
    'network',
  );
  await h.err('NetworkDriver.Join', { NetworkID: 'n3', EndpointID: E2 }, 'SandboxKey');
  await h.err('NetworkDriver.Join', { NetworkID: 'n3', EndpointID: E2, SandboxKey: '/x' }, 'EndpointID');
  await h.err('NetworkDriver.Leave', { NetworkID: 'n3', EndpointID: 'a/b' }, 'EndpointID');
});

test('backend failures come back as Err (500); nothing thrown to the server', async () => {
  const boom = async (): Promise<never> => {
    throw new ConflictError('network', 'store unavailable for a moment');
  };
  const backend: PluginBackend = {
    listNetworks: boom,
    createNetwork: boom,
    dockerNetwork: boom,
    dockerNetworks: boom,
    allocateAddress: boom,
    releaseAddress: boom,
    createEndpoint: boom,
    findEndpoint: boom,
    nameEndpoint: boom,
    deleteEndpoint: boom,
    join: boom,
    leave: boom,
  };
  const plugin = new DockerPlugin(backend);
  for (const [m, b] of [
    ['IpamDriver.RequestPool', { Pool: '10.1.0.0/16' }],
    ['IpamDriver.RequestAddress', { PoolID: 'sluice:10.1.0.0/16' }],
    ['IpamDriver.ReleaseAddress', { PoolID: 'sluice:10.1.0.0/16', Address: '10.1.0.9' }],
    ['NetworkDriver.CreateNetwork', createNet('n1', '10.1.0.0/16')],
    [
      'NetworkDriver.CreateEndpoint',
      { NetworkID: 'n1', EndpointID: E1, Interface: { Address: '10.1.0.2/16' } },
    ],
    ['NetworkDriver.Join', { NetworkID: 'n1', EndpointID: E1, SandboxKey: '/k' }],
    ['NetworkDriver.Leave', { NetworkID: 'n1', EndpointID: E1 }],
    ['NetworkDriver.DeleteEndpoint', { NetworkID: 'n1', EndpointID: E1 }],
  ] as const) {
    const r = await plugin.handle(`/${m}`, JSON.stringify(b));
    assert.deepEqual(r, { status: 500, body: { Err: 'network: store unavailable for a moment' } }, m);
  }
});

test('an endpoint found again after the agent restarts (a new plugin over the same store)', async () => {
  const { store, hosts } = fresh();
  const [h] = hosts;
  await h.ok('NetworkDriver.CreateNetwork', createNet('n1', '10.8.0.0/24', { 'sluice.network': 'red' }));
  h.commit('n1', 'whatever', '10.8.0.0/24', { 'sluice.network': 'red' });
  const a = await h.ok('IpamDriver.RequestAddress', { PoolID: 'sluice:10.8.0.0/24' });
  await h.ok('NetworkDriver.CreateEndpoint', {
    NetworkID: 'n1',
    EndpointID: E1,
    Interface: { Address: a.Address },
  });
  const again = new FakeHost(store, 'h1');
  again.docker.set('n1', h.docker.get('n1')!);
  const join = await again.ok('NetworkDriver.Join', { NetworkID: 'n1', EndpointID: E1, SandboxKey: '/k' });
  assert.equal(join.Gateway, '10.8.0.1');
  await again.ok('NetworkDriver.DeleteEndpoint', { NetworkID: 'n1', EndpointID: E1 });
  assert.equal(again.veths.size, 0);
  assert.deepEqual(await new Ipam(store).list('red'), {});
});

const networkEvent = (action: string, id: string, type = 'sluice'): DockerEvent => ({
  type: 'network',
  action,
  id,
  attributes: { type, name: id },
  timeNano: 1,
});

test('a plugin endpoint learns its container from dockerd (network connect), by compare-and-swap', async () => {
  const { store, hosts } = fresh();
  const [h] = hosts;
  await h.ok('NetworkDriver.CreateNetwork', createNet('n1', '10.13.0.0/24', { 'sluice.network': 'idn' }));
  h.commit('n1', 'idn', '10.13.0.0/24', { 'sluice.network': 'idn' });
  const eps = new EndpointStore(store);
  for (const e of [E1, E2]) {
    const a = await h.ok('IpamDriver.RequestAddress', { PoolID: 'sluice:10.13.0.0/24' });
    await h.ok('NetworkDriver.CreateEndpoint', {
      NetworkID: 'n1',
      EndpointID: e,
      Interface: { Address: a.Address },
    });
    await h.ok('NetworkDriver.Join', { NetworkID: 'n1', EndpointID: e, SandboxKey: '/k' });
  }
  const before = await eps.list({ network: 'idn' });
  assert.deepEqual(before.map((e) => e.containerId).sort(), [E1, E2], 'the Docker endpoint id until learned');

  const C1 = 'c'.repeat(64);
  h.joined('n1', C1, 'web', E1);
  await h.plugin.dockerEvent(networkEvent('connect', 'n1', 'bridge')); // another driver's: ignored
  assert.equal((await eps.list({ container: 'web' })).length, 0);
  await h.plugin.dockerEvent(networkEvent('connect', 'n1'));
  const [web] = await eps.list({ container: 'web' });
  const was = before.find((e) => e.containerId === E1)!;
  assert.deepEqual(web, { ...was, containerId: C1, containerName: 'web' }, 'id, address and MAC stay');
  assert.deepEqual(await eps.list({ container: C1.slice(0, 12) }), [web]);
  // Join, Leave and DeleteEndpoint still find it by the Docker endpoint id.
  await h.ok('NetworkDriver.Join', { NetworkID: 'n1', EndpointID: E1, SandboxKey: '/k' });
  // Learning again changes nothing; the other endpoint is learned at (re)connect of the event stream.
  h.joined('n1', 'd'.repeat(64), 'db', E2);
  const all = await h.plugin.learnAllContainers();
  assert.deepEqual(all.map((e) => e.containerName).sort(), ['db', 'web']);
  assert.deepEqual((await eps.list({ container: 'web' }))[0], web);
  // A container listed without a Sluice endpoint (gone meanwhile) is skipped.
  h.joined('n1', 'e'.repeat(64), 'ghost', 'a'.repeat(64));
  assert.equal((await h.plugin.learnContainers('n1')).length, 2);

  await h.ok('NetworkDriver.DeleteEndpoint', { NetworkID: 'n1', EndpointID: E1 });
  assert.equal(await eps.setContainer(web.networkId, web.id, { id: C1, name: 'web' }), undefined);
  assert.deepEqual(
    (await eps.list()).map((e) => e.containerName),
    ['db'],
  );
});

test('a Docker network without -o sluice.network: its Sluice network made on dockerd’s create event', async () => {
  const { store, hosts } = fresh();
  const [h] = hosts;
  await h.ok('NetworkDriver.CreateNetwork', createNet('n1', '10.14.0.0/24'));
  h.commit('n1', 'eager', '10.14.0.0/24');
  await h.plugin.dockerEvent(networkEvent('create', 'n1'));
  assert.equal((await new NetworkStore(store).get('eager')).subnet, '10.14.0.0/24');
});

test('-o sluice.vni: a new network gets it; a VNI or subnet that clashes fails CreateNetwork naming the field', async () => {
  const { store, hosts } = fresh();
  const [h] = hosts;
  const networks = new NetworkStore(store);
  await h.ok(
    'NetworkDriver.CreateNetwork',
    createNet('n1', '10.15.0.0/24', { 'sluice.network': 'v', 'sluice.vni': '4242' }),
  );
  assert.equal((await networks.get('v')).vni, 4242);
  // The same again (a second host): checked, fine.
  await h.ok(
    'NetworkDriver.CreateNetwork',
    createNet('n2', '10.15.0.0/24', { 'sluice.network': 'v', 'sluice.vni': '4242' }),
  );
  await h.ok('NetworkDriver.CreateNetwork', createNet('n3', '10.15.0.0/24', { 'sluice.vni': '4242' }));
  const e1 = await h.err(
    'NetworkDriver.CreateNetwork',
    createNet('n4', '10.16.0.0/24', { 'sluice.network': 'w', 'sluice.vni': '4242' }),
    'sluice.vni',
  );
  assert.match(e1, /4242 is the VNI of Sluice network v \(10\.15\.0\.0\/24\)/);
  for (const [subnet, generic] of [
    ['10.16.0.0/24', { 'sluice.vni': '4242' }],
    ['10.15.0.0/24', { 'sluice.network': 'v', 'sluice.vni': '7' }],
    ['10.15.0.0/24', { 'sluice.vni': '7' }],
    ['10.16.0.0/24', { 'sluice.vni': 'x' }],
    ['10.16.0.0/24', { 'sluice.vni': '0' }],
  ] as const) {
    await h.err('NetworkDriver.CreateNetwork', createNet('n4', subnet, generic), 'sluice.vni');
  }
  await h.err(
    'NetworkDriver.CreateNetwork',
    createNet('n4', '10.16.0.0/24', { 'sluice.network': 'v' }),
    /^Pool: Sluice network v has the subnet 10\.15\.0\.0\/24, not 10\.16\.0\.0\/24$/,
  );
  assert.deepEqual(
    (await networks.list()).map((n) => n.name),
    ['v'],
    'nothing made by a refused create',
  );
});

test('CreateEndpoint takes over the pending address: remembered, after a restart, or freed meanwhile', async () => {
  const { store, hosts } = fresh();
  const [h] = hosts;
  await h.ok('NetworkDriver.CreateNetwork', createNet('n1', '10.8.0.0/24', { 'sluice.network': 'red' }));
  h.commit('n1', 'whatever', '10.8.0.0/24', { 'sluice.network': 'red' });
  const ipam = new Ipam(store);
  const owners = async () => Object.values(await ipam.list('red')).sort();
  const endpoint = async (host: FakeHost, id: string, address: string) =>
    host.ok('NetworkDriver.CreateEndpoint', {
      NetworkID: 'n1',
      EndpointID: id,
      Interface: { Address: address },
    });
  // The same agent: the owner it gave at RequestAddress.
  const a = await h.ok('IpamDriver.RequestAddress', { PoolID: 'sluice:10.8.0.0/24' });
  await endpoint(h, E1, a.Address);
  // Another agent process for the host (restarted between the two calls): the owner is read from the store.
  const b = await h.ok('IpamDriver.RequestAddress', { PoolID: 'sluice:10.8.0.0/24' });
  const again = new FakeHost(store, 'h1');
  again.docker.set('n1', h.docker.get('n1')!);
  await endpoint(again, E2, b.Address);
  // The pending address was freed behind the agent's back (an operator's sweep): it is allocated anew.
  const c = await h.ok('IpamDriver.RequestAddress', { PoolID: 'sluice:10.8.0.0/24' });
  await ipam.release('red', c.Address.split('/')[0]);
  await endpoint(h, 'g'.repeat(64), c.Address);
  const eps = await new EndpointStore(store).list({ network: 'red' });
  assert.deepEqual(eps.map((ep) => ep.cidr).sort(), [a.Address, b.Address, c.Address].sort());
  assert.deepEqual(await owners(), eps.map((ep) => ep.id).sort(), 'every address is held by its endpoint');
});

test('IPAM transfer and owner-checked release (what the plugin relies on)', async () => {
  const { store } = fresh([]);
  await new NetworkStore(store).create({ name: 't', subnet: '10.10.0.0/24' });
  const ipam = new Ipam(store);
  await ipam.allocate('t', 'pending-1', { address: '10.10.0.5' });
  const moved = await ipam.transfer('t', '10.10.0.5', 'pending-1', 'ep1');
  assert.deepEqual(moved, {
    network: 't',
    address: '10.10.0.5',
    cidr: '10.10.0.5/24',
    gateway: '10.10.0.1',
    owner: 'ep1',
  });
  assert.equal((await ipam.transfer('t', '10.10.0.5', 'pending-1', 'ep1')).owner, 'ep1', 'idempotent');
  await assert.rejects(
    ipam.transfer('t', '10.10.0.5', 'pending-2', 'ep2'),
    (e: unknown) => e instanceof ConflictError && e.field === 'address',
  );
  await assert.rejects(ipam.transfer('t', '10.10.0.6', 'x', 'y'), /not allocated/);
  assert.equal(await ipam.release('t', '10.10.0.5', 'someone-else'), false);
  assert.equal(await ipam.ownerOf('t', '10.10.0.5'), 'ep1');
  assert.equal(await ipam.release('t', '10.10.0.5', 'ep1'), true);
  await assert.rejects(
    new EndpointStore(store).reserve({
      network: 't',
      containerId: 'c',
      host: 'h',
      kind: 'plugin',
      claim: 'p',
    }),
    (e: unknown) => (e as { field?: string }).field === 'address',
  );
});

async function post(socketPath: string, p: string, body: string, method = 'POST') {
  return new Promise<{ status: number; type: string; body: any }>((resolve, reject) => {
    const req = http.request({ socketPath, path: p, method }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: JSON.parse(t) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('served over HTTP on a Unix socket as dockerd calls it', async () => {
  const { hosts } = fresh();
  const socketPath = path.join(root, 'plugins', 'sluice.sock');
  // A file left by a crashed agent, that nobody answers on, is replaced.
  fs.mkdirSync(path.dirname(socketPath), { recursive: true });
  fs.writeFileSync(socketPath, '');
  const errors: string[] = [];
  const server = await servePlugin(hosts[0].plugin, socketPath, (m, e) => errors.push(`${m} ${e}`));
  try {
    const act = await post(socketPath, '/Plugin.Activate', '');
    assert.deepEqual(act, {
      status: 200,
      type: PLUGIN_CONTENT_TYPE,
      body: { Implements: ['NetworkDriver', 'IpamDriver'] },
    });
    const pool = await post(socketPath, '/IpamDriver.RequestPool', JSON.stringify({ Pool: '10.11.0.0/16' }));
    assert.equal(pool.body.PoolID, 'sluice:10.11.0.0/16');
    const bad = await post(socketPath, '/NetworkDriver.CreateNetwork', '{');
    assert.equal(bad.type, PLUGIN_CONTENT_TYPE);
    assert.match(bad.body.Err, /^body: not JSON/);
    assert.equal((await post(socketPath, '/Plugin.Activate', '', 'GET')).status, 405);
    assert.equal(errors.length, 2);
    // A second agent does not steal a live socket.
    await assert.rejects(
      servePlugin(hosts[0].plugin, socketPath),
      (e: unknown) => e instanceof ConflictError,
    );
  } finally {
    await server.close();
  }
  assert.equal(fs.existsSync(socketPath), false, 'the socket goes with the server');
});

test('endpoint records keep the Endpoint contract fields', async () => {
  const { store, hosts } = fresh();
  const [h] = hosts;
  await h.ok('NetworkDriver.CreateNetwork', createNet('n1', '10.12.0.0/24', { 'sluice.network': 'k' }));
  const a = await h.ok('IpamDriver.RequestAddress', { PoolID: 'sluice:10.12.0.0/24' });
  await h.ok('NetworkDriver.CreateEndpoint', {
    NetworkID: 'n1',
    EndpointID: E2,
    Interface: { Address: a.Address },
  });
  const [ep] = (await new EndpointStore(store).list()) as Endpoint[];
  assert.deepEqual(
    { ...ep, id: typeof ep.id, networkId: typeof ep.networkId, createdAt: typeof ep.createdAt },
    {
      id: 'string',
      network: 'k',
      networkId: 'string',
      vni: 1,
      host: 'h1',
      kind: 'plugin',
      containerId: E2,
      ifname: 'eth0',
      hostIface: `sv${ep.id.slice(0, 11)}`,
      address: '10.12.0.2',
      cidr: '10.12.0.2/24',
      gateway: '10.12.0.1',
      mac: '0a:58:0a:0c:00:02',
      mtu: 1450,
      createdAt: 'string',
    },
  );
});
