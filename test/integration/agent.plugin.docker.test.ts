/**
 * The Docker plugin and client against a real dockerd 20.10 on a simulated host: the plain docker CLI
 * creates a sluice network and runs a container on it; the container's eth0 has a Sluice address, the stable
 * MAC and the default route; removing it leaves no record, address or veth behind. The plumbing here is a
 * bare veth pair in the host's namespace (the agent adds the OVS port; not needed for the protocol).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore, type Store } from '../../src/store/index.js';
import {
  DockerClient,
  DockerPlugin,
  EndpointStore,
  Ipam,
  NetworkStore,
  StorePluginBackend,
  servePlugin,
  type DockerEvent,
  type EventStream,
  type PluginPlumbing,
  type PluginServer,
} from '../../src/agent/index.js';
import { startHosts, waitFor, type SimHost, type SimHosts } from './harness/index.js';

let sim: SimHosts;
let host: SimHost;
let store: Store;
let server: PluginServer;
let docker: DockerClient;
let plugin: DockerPlugin;
let stream: EventStream | undefined;
const events: DockerEvent[] = [];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-plugin-it-'));
const pluginErrors: string[] = [];

before(async () => {
  sim = await startHosts({ count: 1 });
  host = sim.hosts[0];
  store = openEmbeddedStore(dataDir);
  docker = new DockerClient({ socketPath: host.dockerHost.replace(/^unix:\/\//, '') });
  const ip = async (...args: string[]) => {
    const r = await host.exec('ip', args);
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  const plumbing: PluginPlumbing = {
    createVeth: async (ep, peer) => {
      await ip('link', 'add', ep.hostIface, 'mtu', String(ep.mtu), 'type', 'veth', 'peer', 'name', peer);
      await ip('link', 'set', peer, 'address', ep.mac, 'mtu', String(ep.mtu));
      await ip('link', 'set', ep.hostIface, 'up');
    },
    deleteVeth: async (ep) => void (await host.exec('ip', ['link', 'del', ep.hostIface])),
    addPort: async () => {},
    removePort: async () => {},
  };
  plugin = new DockerPlugin(new StorePluginBackend({ store, hostId: host.name, docker, plumbing }));
  // As the agent does: dockerd's network events make Sluice networks and name endpoints' containers.
  stream = docker.events({
    onEvent: (e) => {
      events.push(e);
      return plugin.dockerEvent(e);
    },
    onError: (e) => pluginErrors.push(`event: ${String(e)}`),
  });
  server = await servePlugin(plugin, path.join(host.pluginsDir, 'sluice.sock'), (m, e) =>
    pluginErrors.push(`${m}: ${e}`),
  );
});

after(async () => {
  stream?.close();
  await server?.close();
  await sim?.stop();
  await store?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** `docker network create -d sluice --ipam-driver sluice --subnet SUBNET [-o OPT]... NAME`. */
const createNet = (name: string, subnet: string, ...opts: string[]) =>
  host.docker('network', 'create', '-d', 'sluice', '--ipam-driver', 'sluice', '--subnet', subnet,
    ...opts.flatMap((o) => ['-o', o]), name); // prettier-ignore

const links = async () => (await host.exec('ip', ['-o', 'link', 'show'])).stdout;

test('docker network create -d sluice + docker run --network: Sluice address, MAC, route; nothing left after', async () => {
  assert.match((await docker.ping()).apiVersion, /^1\.4[01]$/);
  const created = await createNet('net1', '10.77.0.0/24');
  assert.equal(created.code, 0, created.stderr + pluginErrors.join('\n'));
  const info = await docker.inspectNetwork('net1');
  assert.equal(info.driver, 'sluice');
  assert.equal(info.ipamDriver, 'sluice');

  const run = await host.docker(
    'run',
    '-d',
    '--name',
    'web',
    '--network',
    'net1',
    'local/busybox',
    'sleep',
    '300',
  );
  assert.equal(run.code, 0, run.stderr + pluginErrors.join('\n'));
  const net = await new NetworkStore(store).get('net1');
  assert.equal(net.subnet, '10.77.0.0/24', 'the Sluice network, named after the Docker network');

  const c = await docker.inspectContainer('web');
  assert.ok(c.running && c.pid > 0);
  assert.equal(c.networks.net1.ipAddress, '10.77.0.2');
  assert.equal(c.networks.net1.macAddress, '0a:58:0a:4d:00:02');
  const addr = await host.docker('exec', 'web', 'ip', '-o', 'addr', 'show', 'eth0');
  assert.match(addr.stdout, /inet 10\.77\.0\.2\/24/, addr.stderr);
  const link = await host.docker('exec', 'web', 'ip', '-o', 'link', 'show', 'eth0');
  assert.match(link.stdout, /mtu 1450 .*link\/ether 0a:58:0a:4d:00:02/);
  const route = await host.docker('exec', 'web', 'ip', 'route');
  assert.match(route.stdout, /default via 10\.77\.0\.1 dev eth0/);

  // Join named only the Docker endpoint; the `network connect` event names the container.
  const ep = await waitFor(
    async () => {
      const [e] = await new EndpointStore(store).list({ network: 'net1' });
      return e?.containerId === c.id && e;
    },
    { what: 'the endpoint to learn its container', detail: () => pluginErrors.join('\n') },
  );
  assert.equal(ep.kind, 'plugin');
  assert.equal(ep.containerName, 'web');
  assert.deepEqual(await new EndpointStore(store).list({ container: 'web' }), [ep]);
  assert.deepEqual(await new Ipam(store).list('net1'), { '10.77.0.2': ep.id });
  assert.match(await links(), new RegExp(ep.hostIface));

  const rm = await host.docker('rm', '-f', 'web');
  assert.equal(rm.code, 0, rm.stderr);
  await waitFor(async () => Object.keys(await new Ipam(store).list('net1')).length === 0, {
    what: 'the address freed after docker rm',
  });
  assert.deepEqual(await new EndpointStore(store).list(), []);
  assert.doesNotMatch(await links(), /\b(sv|sc)[0-9a-f]{11}\b/, 'no veth left');
  await waitFor(
    () =>
      ['start', 'die', 'destroy'].every((a) => events.some((e) => e.id === c.id && e.action === a)) &&
      events.some((e) => e.type === 'network' && e.action === 'connect' && e.attributes.container === c.id),
    { what: 'container start/die/destroy and network connect events' },
  );
  assert.equal((await host.docker('network', 'rm', 'net1')).code, 0);
  assert.equal((await new NetworkStore(store).list()).length, 1, 'the Sluice network is global and stays');
  assert.deepEqual(pluginErrors, []);
});

test('-o sluice.network names the Sluice network; default IPAM is refused with the fix named', async () => {
  const r = await createNet('dnet2', '10.78.0.0/24', 'sluice.network=blue');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    (await new NetworkStore(store).get('blue')).subnet,
    '10.78.0.0/24',
    'created at network create',
  );
  const run = await host.docker(
    'run',
    '--rm',
    '--network',
    'dnet2',
    'local/busybox',
    'ip',
    '-o',
    'addr',
    'show',
    'eth0',
  );
  assert.match(run.stdout, /inet 10\.78\.0\.2\/24/, run.stderr);

  const plain = await host.docker(
    'network',
    'create',
    '-d',
    'sluice',
    '--subnet',
    '10.79.0.0/24',
    'plainipam',
  );
  assert.notEqual(plain.code, 0);
  assert.match(plain.stderr, /--ipam-driver sluice/);
  const clash = await createNet('clash', '10.78.0.128/25');
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /overlaps 10\.78\.0\.0\/24 of Sluice network blue/);
});

test('an unknown container is NotFoundError naming container', async () => {
  await assert.rejects(
    docker.inspectContainer('ghost'),
    (e: unknown) => (e as { field?: string }).field === 'container',
  );
});

test('docker network create whose subnet or VNI clashes with a Sluice network fails, naming the field', async () => {
  const networks = new NetworkStore(store);
  await networks.create({ name: 'taken', subnet: '10.90.0.0/24', vni: 900 });
  const wrongSubnet = await createNet('t1', '10.91.0.0/24', 'sluice.network=taken');
  assert.equal(wrongSubnet.code, 1, wrongSubnet.stdout);
  assert.match(
    wrongSubnet.stderr,
    /Error response from daemon: .*Pool: Sluice network taken has the subnet 10\.90\.0\.0\/24, not 10\.91\.0\.0\/24/,
  );
  const wrongVni = await createNet('t2', '10.92.0.0/24', 'sluice.network=fresh', 'sluice.vni=900');
  assert.equal(wrongVni.code, 1, wrongVni.stdout);
  assert.match(
    wrongVni.stderr,
    /Error response from daemon: .*sluice\.vni: 900 is the VNI of Sluice network taken \(10\.90\.0\.0\/24\)/,
  );
  for (const t of ['t1', 't2']) assert.notEqual((await host.docker('network', 'inspect', t)).code, 0);
  assert.equal(
    (await networks.list()).some((n) => n.name === 'fresh'),
    false,
  );

  // Without -o sluice.network the name is dockerd's: the Sluice network is made on its create event.
  const eager = await createNet('eager', '10.93.0.0/24', 'sluice.vni=901');
  assert.equal(eager.code, 0, eager.stderr);
  const made = await waitFor(() => networks.get('eager'), {
    what: 'Sluice network eager, before any container',
  });
  assert.deepEqual([made.subnet, made.vni], ['10.93.0.0/24', 901]);
});
