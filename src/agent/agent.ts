/**
 * The agent's core: AgentOps over the store, this host's bridge and dockerd. It owns this host's
 * integration bridge and keeps it in line with the store: networks, endpoints and live hosts go in; OVS ports,
 * veths, VXLAN devices, FDB entries and the overlay app's view (flows, through the embedded controller) come
 * out.
 *
 * One straight line, serialised: every change (an attach, a watch event, a peer coming or going, a Docker
 * event, a timer) ends in `sync()`, which reads the desired state and converges the host to it. Attach and
 * detach do their own plumbing first (their caller must hear of a failure) and then sync.
 */
import { EndpointStore, endpointId, matchesContainer } from './endpoints.js';
import { NetworkStore } from './networks.js';
import { pickDefaultSubnet, type Network } from './network.js';
import type { AgentOps, AttachRequest, Endpoint, EndpointKind, HostRecord } from './types.js';
import type { Store } from '../store/index.js';
import type { ContainerInfo } from './docker.js';
import { ConflictError, NotFoundError } from '../util/index.js';

/** The part of a container the core needs (docker.ts's ContainerInfo has it). */
export type ContainerFacts = Pick<ContainerInfo, 'id' | 'name' | 'running' | 'pid'> &
  Partial<Pick<ContainerInfo, 'networks'>>;

/** What the core needs from dockerd (an adapter over DockerClient). */
export interface ContainerSource {
  /** NotFoundError naming `container` if there is no such container. */
  inspect(container: string): Promise<ContainerFacts>;
  ensureNetwork(network: Network): Promise<{ name: string; id: string }>;
}

/** One endpoint's plumbing on this host (linux.ts + OVSDB implement it). */
export interface Plumbing {
  /** veth pair, host end on the bridge (external_ids naming the endpoint), other end configured in `netns`. */
  plumb(ep: Endpoint, netns: string): Promise<void>;
  /** Removes the host end (and with it the pair) and its OVS port; nothing to remove is not an error. */
  unplumb(ep: Endpoint): Promise<void>;
  /** Whether the endpoint's host end exists and is a port of the bridge. */
  isPlumbed(ep: Endpoint): Promise<boolean>;
  /** Host-side interfaces / OVS ports of endpoints that this host has; `keep` are the ones still wanted. */
  removeStrays(keep: ReadonlySet<string>): Promise<string[]>;
  /** This host's route destinations (`ip route`), for the default network's subnet. */
  routes(): Promise<string[]>;
}

/** Converges tunnels and flows to the desired state (dataplane.ts implements it). */
export interface Fabric {
  sync(state: {
    networks: Network[];
    endpoints: Endpoint[];
    hosts: HostRecord[];
    self: HostRecord;
  }): Promise<void>;
}

export interface CoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AgentCoreOptions {
  store: Store;
  self: HostRecord;
  docker: ContainerSource;
  plumbing: Plumbing;
  fabric: Fabric;
  log: CoreLogger;
}

export const DEFAULT_NETWORK_NAME = 'default';

interface SyncWaiter {
  gen: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class AgentCore implements AgentOps {
  readonly hostId: string;
  private readonly networks: NetworkStore;
  private readonly endpoints: EndpointStore;
  private hosts: HostRecord[] = [];
  /** sync() calls so far (each one's number), and how many of them a finished run has covered. */
  private syncRequested = 0;
  private syncCovered = 0;
  private syncRunning = false;
  private syncWaiters: SyncWaiter[] = [];

  constructor(private readonly o: AgentCoreOptions) {
    this.hostId = o.self.id;
    this.networks = new NetworkStore(o.store);
    this.endpoints = new EndpointStore(o.store);
    this.hosts = [o.self];
  }

  // --- networks -----------------------------------------------------------------------------------------

  async createNetwork(request: unknown): Promise<Network> {
    const body = request as Record<string, unknown> | null;
    // Socketplane's `network create NAME` without a CIDR: the agent picks one that avoids this host's routes.
    if (body !== null && typeof body === 'object' && !Array.isArray(body) && body.subnet === undefined) {
      const taken = (await this.networks.list()).map((n) => n.subnet);
      const subnet = pickDefaultSubnet(await this.o.plumbing.routes(), taken);
      return this.after(this.networks.create({ ...body, subnet }));
    }
    return this.after(this.networks.create(request));
  }

  listNetworks(): Promise<Network[]> {
    return this.networks.list();
  }

  getNetwork(name: string): Promise<Network> {
    return this.networks.get(name);
  }

  async deleteNetwork(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (opts.force) {
      for (const ep of await this.endpoints.list({ network: name })) {
        if (ep.host === this.hostId) await this.o.plumbing.unplumb(ep);
        await this.endpoints.release(ep);
      }
    }
    await this.after(this.networks.delete(name, opts));
  }

  async ensureDefaultNetwork(name = DEFAULT_NETWORK_NAME): Promise<Network> {
    try {
      return await this.networks.get(name);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    try {
      // Socketplane's default network had outbound NAT: containers on it reach beyond the overlay.
      return await this.createNetwork({ name, nat: true });
    } catch (err) {
      // Another host created it at the same moment.
      if (err instanceof ConflictError && err.field === 'name') return this.networks.get(name);
      throw err;
    }
  }

  // --- endpoints ------------------------------------------------------------------------------------------

  async attachContainer(container: string, req: AttachRequest): Promise<Endpoint> {
    const c = await this.o.docker.inspect(container);
    if (!c.running) {
      throw new ConflictError(
        'container',
        `${c.name || container} is not running: start it first (or use \`sluice run -n NET\`)`,
      );
    }
    return this.attach(`/proc/${c.pid}/ns/net`, {
      ...req,
      containerId: c.id,
      containerName: c.name,
      kind: 'docker',
    });
  }

  attachNetns(
    netns: string,
    containerId: string,
    req: AttachRequest & { kind?: EndpointKind },
  ): Promise<Endpoint> {
    return this.attach(netns, { ...req, containerId, kind: req.kind ?? 'cni' });
  }

  private async attach(
    netns: string,
    req: AttachRequest & { containerId: string; containerName?: string; kind: EndpointKind },
  ): Promise<Endpoint> {
    const { endpoint, created } = await this.endpoints.reserve({
      network: req.network,
      containerId: req.containerId,
      ...(req.containerName ? { containerName: req.containerName } : {}),
      host: this.hostId,
      kind: req.kind,
      ...(req.ifname ? { ifname: req.ifname } : {}),
      ...(req.address ? { address: req.address } : {}),
    });
    if (endpoint.host !== this.hostId) {
      throw new ConflictError('container', `${req.containerId} is attached on host ${endpoint.host}`);
    }
    try {
      await this.o.plumbing.plumb(endpoint, netns);
    } catch (err) {
      // Leave nothing half-done: no port, no veth, and no address if this attach made it.
      await this.o.plumbing.unplumb(endpoint).catch(() => undefined);
      if (created) await this.endpoints.release(endpoint).catch(() => undefined);
      throw err;
    }
    await this.sync();
    return endpoint;
  }

  async detachContainer(container: string, network?: string): Promise<Endpoint[]> {
    const mine = await this.endpoints.list({
      container,
      host: this.hostId,
      ...(network ? { network } : {}),
    });
    if (mine.length === 0) {
      const c = await this.o.docker.inspect(container); // NotFoundError 'container' if unknown
      const byId = await this.endpoints.list({
        container: c.id,
        host: this.hostId,
        ...(network ? { network } : {}),
      });
      if (byId.length === 0) {
        throw new NotFoundError(
          network ? 'network' : 'container',
          `${container} is not attached${network ? ` to ${network}` : ''} on this host`,
        );
      }
      mine.push(...byId);
    }
    const viaPlugin = mine.find((ep) => ep.kind === 'plugin');
    if (viaPlugin !== undefined) {
      const net = await this.dockerNetworkOf(viaPlugin);
      throw new ConflictError(
        'container',
        `${container} is on ${viaPlugin.network} through Docker's network plugin (docker run --network, ` +
          `sluice run), so Docker owns the endpoint: use \`docker network disconnect ${net} ${container}\``,
      );
    }
    return this.detach(mine);
  }

  /** The Docker network a plugin endpoint is on (Sluice's network name if dockerd cannot tell). */
  private async dockerNetworkOf(ep: Endpoint): Promise<string> {
    const c = await this.o.docker.inspect(ep.containerId).catch(() => undefined);
    const found = Object.entries(c?.networks ?? {}).find(
      ([, n]) => endpointId(n.endpointId, ep.networkId, ep.ifname) === ep.id,
    );
    return found?.[0] ?? ep.network;
  }

  async detachNetns(containerId: string, network: string, ifname = 'eth0'): Promise<Endpoint | undefined> {
    let eps: Endpoint[];
    try {
      eps = await this.endpoints.list({ network, host: this.hostId });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined; // CNI DEL: nothing left is success
      throw err;
    }
    const ep = eps.find((e) => e.containerId === containerId && e.ifname === ifname);
    if (ep === undefined) return undefined;
    await this.detach([ep]);
    return ep;
  }

  private async detach(eps: Endpoint[]): Promise<Endpoint[]> {
    for (const ep of eps) {
      await this.o.plumbing.unplumb(ep);
      await this.endpoints.release(ep);
    }
    await this.sync();
    return eps;
  }

  listEndpoints(filter: { network?: string; host?: string; container?: string } = {}): Promise<Endpoint[]> {
    return this.endpoints.list(filter);
  }

  async listHosts(): Promise<HostRecord[]> {
    return [...this.hosts];
  }

  async ensureDockerNetwork(network: string): Promise<{ name: string; id: string }> {
    return this.o.docker.ensureNetwork(await this.networks.get(network, 'network'));
  }

  // --- lifecycle --------------------------------------------------------------------------------------------

  /** The registry's callback: the live hosts changed. */
  setHosts(hosts: HostRecord[]): void {
    this.hosts = hosts.some((h) => h.id === this.hostId) ? hosts : [this.o.self, ...hosts];
    void this.sync().catch((err: unknown) => this.o.log.warn({ err }, 'sync after a host change failed'));
  }

  /**
   * Brings this host back in line after a restart (or at any time): endpoints of this host whose container
   * is gone are released; running ones whose plumbing is missing are plumbed again; ports and veths no
   * endpoint owns are removed.
   */
  async recover(): Promise<{ replumbed: string[]; released: string[]; removed: string[] }> {
    const replumbed: string[] = [];
    const released: string[] = [];
    const mine = await this.endpoints.list({ host: this.hostId });
    for (const ep of mine) {
      if (ep.kind !== 'docker') continue; // CNI: the runtime calls DEL; plugin: dockerd re-joins
      let c: ContainerFacts | undefined;
      try {
        c = await this.o.docker.inspect(ep.containerId);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      if (c === undefined) {
        await this.o.plumbing.unplumb(ep);
        await this.endpoints.release(ep);
        released.push(ep.id);
      } else if (c.running && !(await this.o.plumbing.isPlumbed(ep))) {
        await this.o.plumbing.plumb(ep, `/proc/${c.pid}/ns/net`);
        replumbed.push(ep.id);
      }
    }
    const keep = new Set((await this.endpoints.list({ host: this.hostId })).map((ep) => ep.hostIface));
    const removed = await this.o.plumbing.removeStrays(keep);
    await this.sync();
    return { replumbed, released, removed };
  }

  /** A Docker container event: a restarted container gets its endpoints back; a removed one loses them. */
  async containerEvent(action: string, containerId: string): Promise<void> {
    const eps = (await this.endpoints.list({ host: this.hostId })).filter(
      (ep) => ep.kind === 'docker' && matchesContainer(ep, containerId),
    );
    if (eps.length === 0) return;
    if (action === 'start') {
      const c = await this.o.docker.inspect(containerId);
      for (const ep of eps) {
        await this.o.plumbing.unplumb(ep);
        await this.o.plumbing.plumb(ep, `/proc/${c.pid}/ns/net`);
      }
    } else if (action === 'die') {
      // Its namespace is gone and the veth with it; the port goes too. The address stays for a restart.
      for (const ep of eps) await this.o.plumbing.unplumb(ep);
    } else if (action === 'destroy') {
      for (const ep of eps) {
        await this.o.plumbing.unplumb(ep);
        await this.endpoints.release(ep);
      }
    } else return;
    await this.sync();
  }

  /**
   * Converges tunnels and flows to the store. Resolves once a run that started after this call has finished
   * (so it saw every change the caller made before calling), not when the last of a burst has: calls that
   * arrive while a run is in flight share the next run, so a burst of watch events and attaches costs one
   * run per round, and each caller waits for at most two. A failed run rejects the calls it covered; later
   * calls get a run of their own.
   */
  sync(): Promise<void> {
    const gen = ++this.syncRequested;
    const done = new Promise<void>((resolve, reject) => this.syncWaiters.push({ gen, resolve, reject }));
    if (!this.syncRunning) void this.runSyncs();
    return done;
  }

  private async runSyncs(): Promise<void> {
    this.syncRunning = true;
    try {
      while (this.syncCovered < this.syncRequested) {
        const upTo = this.syncRequested;
        let failure: { err: unknown } | undefined;
        try {
          const [networks, endpoints] = await Promise.all([this.networks.list(), this.endpoints.list()]);
          await this.o.fabric.sync({ networks, endpoints, hosts: this.hosts, self: this.o.self });
        } catch (err) {
          failure = { err };
        }
        this.syncCovered = upTo;
        const covered = this.syncWaiters.filter((w) => w.gen <= upTo);
        this.syncWaiters = this.syncWaiters.filter((w) => w.gen > upTo);
        for (const w of covered) {
          if (failure) w.reject(failure.err);
          else w.resolve();
        }
      }
    } finally {
      this.syncRunning = false;
    }
  }

  private async after<T>(p: Promise<T>): Promise<T> {
    const v = await p;
    await this.sync();
    return v;
  }
}
