import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FABRIC_CACHE_MS, HostFabric } from '../../src/agent/host.js';
import type { LinuxNet } from '../../src/agent/linux.js';
import type { Network } from '../../src/agent/network.js';
import type { Endpoint } from '../../src/agent/types.js';
import { Uuid, type Vswitch } from '../../src/ovsdb/index.js';
import { SELF } from './agent.fakeops.js';

const NET: Network = {
  id: 'n1',
  name: 'web',
  subnet: '10.62.0.0/24',
  gateway: '10.62.0.1',
  vni: 1,
  mtu: 1450,
  labels: {},
  nat: false,
};
const EP: Endpoint = {
  id: 'e1',
  network: 'web',
  networkId: 'n1',
  vni: 1,
  host: 'h1',
  kind: 'docker',
  containerId: 'c1',
  ifname: 'eth0',
  hostIface: 'sv0001',
  address: '10.62.0.2',
  cidr: '10.62.0.2/24',
  gateway: '10.62.0.1',
  mac: '0a:58:0a:3e:00:02',
  mtu: 1450,
  createdAt: '2026-12-04T00:00:00.000Z',
};

/** One host's OVS ports and Linux links, as far as HostFabric touches them. */
function fakeHost() {
  const ports = new Map<string, number>();
  const links = new Set<string>();
  let next = 1;
  const vs = {
    select: async () =>
      [...ports].map(([name, ofport]) => ({
        _uuid: new Uuid('00000000-0000-0000-0000-000000000000'),
        name,
        ofport,
        type: '',
      })),
    listPorts: async () => [...ports.keys()],
    addPort: async (_bridge: string, name: string) => {
      ports.set(name, next++);
      links.add(name);
    },
    waitInterfaceOfport: async (name: string) => ports.get(name),
    delPort: async (_bridge: string, name: string) => {
      ports.delete(name);
      links.delete(name); // an internal port's device goes with it
    },
  } as unknown as Vswitch;
  const net = {
    ensureVxlan: async (spec: { vni: number }) => {
      const dev = `slx${spec.vni}`;
      links.add(dev);
      return dev;
    },
    listFdb: async () => [],
    addFloodPeer: async () => undefined,
    enableIpv4Forwarding: async () => undefined,
    configureGateway: async () => undefined,
    listLinks: async (prefix: string) => [...links].filter((l) => l.startsWith(prefix)),
    deleteLink: async (name: string) => void links.delete(name),
    listTaggedRules: async () => [],
    insertRule: async () => undefined,
    deleteRule: async () => undefined,
  } as unknown as LinuxNet;
  return { ports, links, vs, net };
}

test('HostFabric: the gateway port goes with the last local endpoint, even right after the cache expired', async () => {
  const host = fakeHost();
  let now = 1_000_000;
  const fabric = new HostFabric(
    {
      net: host.net,
      vs: host.vs,
      bridge: 'sluice0',
      underlay: { ip: SELF.underlayIp, iface: 'eth0' },
      setView: async () => undefined,
    },
    () => now,
  );
  const sync = (endpoints: Endpoint[]) =>
    fabric.sync({ networks: [NET], endpoints, hosts: [SELF], self: SELF });

  await sync([EP]);
  assert.deepEqual([...host.ports.keys()].sort(), ['slg1', 'slx1']);

  // The sync after the detach is the first one past the cache's lifetime: it forgets what it did and must
  // still look for the gateway port no network wants.
  now += FABRIC_CACHE_MS;
  await sync([]);
  assert.deepEqual([...host.ports.keys()], ['slx1']);
  assert.ok(!host.links.has('slg1'));

  // And a gateway port left by an earlier run (the agent restarted) goes on its first sync.
  host.ports.set('slg2', 99);
  host.links.add('slg2');
  const restarted = new HostFabric({
    net: host.net,
    vs: host.vs,
    bridge: 'sluice0',
    underlay: { ip: SELF.underlayIp, iface: 'eth0' },
    setView: async () => undefined,
  });
  await restarted.sync({ networks: [NET], endpoints: [], hosts: [SELF], self: SELF });
  assert.deepEqual([...host.ports.keys()], ['slx1']);
});
