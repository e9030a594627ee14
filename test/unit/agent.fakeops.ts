/**
 * An AgentOps for the front doors' tests: networks are real (NetworkStore over an embedded store, so
 * validation and clashes are the agent's own), containers and endpoints are in memory, and every call is
 * recorded so a test can see which operation a route chose.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetworkStore, pickDefaultSubnet, type Network } from '../../src/agent/index.js';
import type { AgentOps, AttachRequest, Endpoint, EndpointKind, HostRecord } from '../../src/agent/types.js';
import { openEmbeddedStore, type Store } from '../../src/store/index.js';
import { ConflictError, NotFoundError } from '../../src/util/index.js';

export const SELF: HostRecord = {
  id: 'h1',
  hostname: 'node-1',
  underlayIp: '10.99.0.1',
  version: '1.2.3',
  bridge: 'sluice0',
  startedAt: '2026-12-04T00:00:00.000Z',
};
const PEER: HostRecord = { ...SELF, id: 'h2', hostname: 'node-2', underlayIp: '10.99.0.2' };

/** Running containers: id -> name. */
const CONTAINERS: Record<string, string> = {
  '0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef': 'web',
  fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210: 'db',
};

export class FakeOps implements AgentOps {
  readonly hostId = SELF.id;
  readonly calls: [string, ...unknown[]][] = [];
  readonly endpoints: Endpoint[] = [];
  private readonly networks: NetworkStore;

  constructor(readonly store: Store) {
    this.networks = new NetworkStore(store);
  }

  static open(): { ops: FakeOps; close: () => Promise<void> } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-fakeops-'));
    const ops = new FakeOps(openEmbeddedStore(dir));
    return {
      ops,
      close: async () => {
        await ops.store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  async createNetwork(request: unknown) {
    this.calls.push(['createNetwork', request]);
    const r = request as Record<string, unknown>;
    if (r.subnet !== undefined) return this.networks.create(r);
    const taken = (await this.networks.list()).map((n) => n.subnet);
    return this.networks.create({ ...r, subnet: pickDefaultSubnet([], taken) });
  }
  listNetworks() {
    return this.networks.list();
  }
  getNetwork(name: string) {
    return this.networks.get(name);
  }
  async deleteNetwork(name: string, opts?: { force?: boolean }) {
    this.calls.push(['deleteNetwork', name, opts]);
    const net = await this.networks.get(name);
    if (!opts?.force && this.endpoints.some((e) => e.networkId === net.id)) {
      throw new ConflictError('name', `network ${name} has endpoints; detach them or force the delete`);
    }
    await this.networks.delete(name, opts);
  }
  async ensureDefaultNetwork(name = 'default') {
    this.calls.push(['ensureDefaultNetwork', name]);
    return (await this.networks.list()).find((n) => n.name === name) ?? this.createNetwork({ name });
  }

  async attachContainer(container: string, req: AttachRequest) {
    this.calls.push(['attachContainer', container, req]);
    const id = Object.keys(CONTAINERS).find((k) => k === container || CONTAINERS[k] === container);
    if (id === undefined) throw new NotFoundError('container', `no container ${container}`);
    return this.attach(id, CONTAINERS[id], 'docker', req);
  }
  async detachContainer(container: string, network?: string) {
    this.calls.push(['detachContainer', container, network]);
    const gone = this.remove(
      (e) =>
        (e.containerId === container || e.containerName === container) && (!network || e.network === network),
    );
    if (gone.length === 0) throw new NotFoundError('container', `${container} is not attached on this host`);
    return gone;
  }
  attachNetns(netns: string, containerId: string, req: AttachRequest & { kind?: EndpointKind }) {
    this.calls.push(['attachNetns', netns, containerId, req]);
    return this.attach(containerId, undefined, req.kind ?? 'cni', req);
  }
  async detachNetns(containerId: string, network: string, ifname?: string) {
    this.calls.push(['detachNetns', containerId, network, ifname]);
    return this.remove(
      (e) => e.containerId === containerId && e.network === network && e.ifname === (ifname ?? 'eth0'),
    )[0];
  }
  async listEndpoints(filter: { network?: string; host?: string; container?: string } = {}) {
    this.calls.push(['listEndpoints', filter]);
    return this.endpoints.filter(
      (e) =>
        (!filter.network || e.network === filter.network) &&
        (!filter.host || e.host === filter.host) &&
        (!filter.container || e.containerId === filter.container || e.containerName === filter.container),
    );
  }
  async listHosts() {
    return [SELF, PEER];
  }
  async ensureDockerNetwork(network: string) {
    this.calls.push(['ensureDockerNetwork', network]);
    const net = await this.networks.get(network, 'network');
    return { name: net.name, id: `docker-${net.id}` };
  }

  private async attach(
    containerId: string,
    containerName: string | undefined,
    kind: EndpointKind,
    req: AttachRequest,
  ): Promise<Endpoint> {
    const net: Network = await this.networks.get(req.network, 'network');
    const taken = new Set(this.endpoints.filter((e) => e.networkId === net.id).map((e) => e.address));
    const base = net.subnet.split('/')[0].split('.').map(Number);
    const address = req.address ?? `${base[0]}.${base[1]}.${base[2]}.${taken.size + 2}`;
    if (taken.has(address)) throw new ConflictError('address', `${address} is in use in ${net.name}`);
    const ep: Endpoint = {
      id: `ep${this.endpoints.length + 1}`,
      network: net.name,
      networkId: net.id,
      vni: net.vni,
      host: SELF.id,
      kind,
      containerId,
      ...(containerName === undefined ? {} : { containerName }),
      ifname: req.ifname ?? 'eth0',
      hostIface: `sv${containerId.slice(0, 11)}`,
      address,
      cidr: `${address}/${net.subnet.split('/')[1]}`,
      gateway: net.gateway,
      mac: '0a:58:0a:01:00:02',
      mtu: net.mtu,
      createdAt: '2026-12-04T00:00:01.000Z',
    };
    this.endpoints.push(ep);
    return ep;
  }

  private remove(pred: (e: Endpoint) => boolean): Endpoint[] {
    const gone = this.endpoints.filter(pred);
    for (const e of gone) this.endpoints.splice(this.endpoints.indexOf(e), 1);
    return gone;
  }
}
