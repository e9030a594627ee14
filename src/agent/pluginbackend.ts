/**
 * The Docker plugin's backend over the store layer (NetworkStore, Ipam, EndpointStore) and dockerd; the Linux
 * plumbing (veth, OVS port) is injected by the agent, so this runs in unit tests with fakes.
 *
 * Address ownership (see plugin.ts): RequestAddress allocates to a pending owner `docker-pending:<host>:<uuid>`;
 * CreateEndpoint hands the address to the endpoint record (id = endpointId(Docker endpoint id, network id,
 * 'eth0'); kind 'plugin'; containerId = the Docker endpoint id until the agent learns the container, which
 * libnetwork's Join does not name: nameEndpoint sets the container's id and name once dockerd lists it on the
 * network, see DockerPlugin.learnContainers). A pending address of an agent that crashed before
 * CreateEndpoint has no record: EndpointStore.sweepOrphans frees it.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.js';
import type { NetworkInfo } from './docker.js';
import { EndpointStore, endpointId } from './endpoints.js';
import { Ipam, type Allocation } from './ipam.js';
import type { Network } from './network.js';
import { NetworkStore } from './networks.js';
import type { PluginBackend } from './plugin.js';
import type { Endpoint } from './types.js';
import { ConflictError } from '../util/index.js';

/** Pending owners remembered at most (a cache: forgetting one costs a store read). */
const PENDING_OWNERS_MAX = 4096;

/** The interface name inside Docker's sandbox before Docker renames it (DstPrefix + n). */
export const PLUGIN_IFNAME = 'eth0';

/** The container end of an endpoint's veth while it is still in the host namespace: `sc` + 11 hex. */
export function sandboxIfaceName(id: string): string {
  return `sc${id.slice(0, 11)}`;
}

/** Linux plumbing, done by the agent's dataplane. Each step is idempotent; removing what is gone is fine. */
export interface PluginPlumbing {
  /** A veth pair ep.hostIface <-> `peer`, MTU ep.mtu, `peer` with MAC ep.mac, both ends up. */
  createVeth(ep: Endpoint, peer: string): Promise<void>;
  /** Deletes the pair by its host end. */
  deleteVeth(ep: Endpoint): Promise<void>;
  /** ep.hostIface as a port of the integration bridge, tagged with the endpoint (the flows key on it). */
  addPort(ep: Endpoint): Promise<void>;
  removePort(ep: Endpoint): Promise<void>;
}

/** The part of DockerClient the backend uses. */
export interface DockerNetworkSource {
  inspectNetwork(id: string): Promise<NetworkInfo>;
  listNetworks(filter?: { driver?: string }): Promise<NetworkInfo[]>;
}

export interface StorePluginBackendOptions {
  store: Store;
  hostId: string;
  docker: DockerNetworkSource;
  plumbing: PluginPlumbing;
  /** The driver name Docker networks of this plugin carry (default 'sluice'). */
  driver?: string;
}

export class StorePluginBackend implements PluginBackend {
  private readonly networks: NetworkStore;
  private readonly ipam: Ipam;
  private readonly endpoints: EndpointStore;
  private readonly pending: string;
  /**
   * `network\0address` -> the pending owner this agent gave it at RequestAddress, so CreateEndpoint (the next
   * call for it, on this agent) need not read the IPAM record to learn it. After an agent restart it is
   * empty, and the record is read.
   */
  private readonly pendingOwners = new Map<string, string>();

  constructor(private readonly opts: StorePluginBackendOptions) {
    this.networks = new NetworkStore(opts.store);
    this.ipam = new Ipam(opts.store);
    this.endpoints = new EndpointStore(opts.store);
    this.pending = `docker-pending:${opts.hostId}:`;
  }

  listNetworks(): Promise<Network[]> {
    return this.networks.list();
  }

  createNetwork(spec: { name: string; subnet: string; gateway: string; vni?: number }): Promise<Network> {
    return this.networks.create(spec);
  }

  dockerNetwork(id: string): Promise<NetworkInfo> {
    return this.opts.docker.inspectNetwork(id);
  }

  dockerNetworks(): Promise<NetworkInfo[]> {
    return this.opts.docker.listNetworks({ driver: this.opts.driver ?? 'sluice' });
  }

  async allocateAddress(network: string, address?: string): Promise<Allocation> {
    const a = await this.ipam.allocate(
      network,
      this.pending + randomUUID(),
      address === undefined ? {} : { address },
    );
    // Docker follows with CreateEndpoint or ReleaseAddress; a dockerd that died in between leaves an entry.
    if (this.pendingOwners.size >= PENDING_OWNERS_MAX) this.pendingOwners.clear();
    this.pendingOwners.set(`${network}\0${a.address}`, a.owner);
    return a;
  }

  async releaseAddress(network: string, address: string): Promise<void> {
    this.pendingOwners.delete(`${network}\0${address}`);
    const owner = await this.ipam.ownerOf(network, address);
    if (owner?.startsWith(this.pending)) await this.ipam.release(network, address, owner);
  }

  async createEndpoint(req: {
    network: string;
    dockerEndpointId: string;
    address: string;
  }): Promise<Endpoint> {
    const net = await this.networks.get(req.network, 'network');
    const key = `${req.network}\0${req.address}`;
    const reserve = (owner: string | undefined) =>
      this.endpoints.reserve({
        network: net,
        containerId: req.dockerEndpointId,
        host: this.opts.hostId,
        kind: 'plugin',
        ifname: PLUGIN_IFNAME,
        address: req.address,
        ...(owner?.startsWith(this.pending) ? { claim: owner } : {}),
      });
    const remembered = this.pendingOwners.get(key);
    this.pendingOwners.delete(key);
    let reserved: { endpoint: Endpoint } | undefined;
    if (remembered !== undefined) {
      // Only a claim: the transfer checks that the owner still holds the address; if not, as without it.
      reserved = await reserve(remembered).catch((err: unknown) => {
        if (err instanceof ConflictError && err.field === 'address') return undefined;
        throw err;
      });
    }
    reserved ??= await reserve(await this.ipam.ownerOf(req.network, req.address));
    return reserved.endpoint;
  }

  async findEndpoint(network: string, dockerEndpointId: string): Promise<Endpoint | undefined> {
    const net = await this.networks.get(network, 'network');
    return this.endpoints.get(net.id, endpointId(dockerEndpointId, net.id, PLUGIN_IFNAME));
  }

  async nameEndpoint(
    network: string,
    dockerEndpointId: string,
    container: { id: string; name: string },
  ): Promise<Endpoint | undefined> {
    const net = await this.networks.get(network, 'network');
    return this.endpoints.setContainer(
      net.id,
      endpointId(dockerEndpointId, net.id, PLUGIN_IFNAME),
      container,
    );
  }

  async deleteEndpoint(ep: Endpoint): Promise<void> {
    await this.endpoints.release(ep);
  }

  async join(ep: Endpoint, _sandboxKey: string): Promise<{ ifname: string }> {
    const peer = sandboxIfaceName(ep.id);
    await this.opts.plumbing.createVeth(ep, peer);
    await this.opts.plumbing.addPort(ep);
    return { ifname: peer };
  }

  async leave(ep: Endpoint): Promise<void> {
    await this.opts.plumbing.removePort(ep);
    await this.opts.plumbing.deleteVeth(ep);
  }
}
