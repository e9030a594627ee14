/**
 * The agent's records and the one interface every front door (REST API, Socketplane /v0.1, Docker plugin,
 * CNI, CLI through the API) calls. Store layout (under the store's namespace):
 *
 *   /agent/networks                          the network registry (networks.ts)
 *   /agent/ipam/<network id>                 a network's addresses, owner = endpoint id (ipam.ts)
 *   /agent/endpoints/<network id>/<ep id>    Endpoint                      (durable)
 *   /agent/hosts/<host id>                   HostRecord, under the agent's lease (gone when the agent is)
 *
 * Endpoint ids are deterministic (endpointId(owner, network id)), so attaching a container that is already
 * attached finds its record and gets the same address and MAC back: a container stopped and started again
 * (a new network namespace) is re-attached as it was.
 */
import type { Network } from './network.js';

export const ENDPOINT_PREFIX = '/agent/endpoints/';
export const HOST_PREFIX = '/agent/hosts/';

/** Who asked for the endpoint; decides how it is cleaned up (Docker events, CNI DEL, the Docker plugin). */
export type EndpointKind = 'docker' | 'cni' | 'plugin';

export interface Endpoint {
  /** Deterministic: see endpointId. */
  id: string;
  network: string;
  networkId: string;
  vni: number;
  /** The agent's host id that plumbs it. */
  host: string;
  kind: EndpointKind;
  /** Docker container id (docker, plugin) or the runtime's container id (cni). */
  containerId: string;
  /** Docker container name without the leading '/', when known. */
  containerName?: string;
  /** The interface name inside the container (eth0 by default). */
  ifname: string;
  /** The host-side interface, also its OVS port name (at most 15 characters). */
  hostIface: string;
  address: string;
  /** `address/prefix-length`. */
  cidr: string;
  gateway: string;
  /** Stable for the life of the endpoint: derived from the address (0a:58:a.b.c.d, as Kubernetes' CNIs do). */
  mac: string;
  mtu: number;
  createdAt: string;
}

/** A live agent. Written under the agent's lease: when the agent dies, the record goes after the lease TTL. */
export interface HostRecord {
  id: string;
  hostname: string;
  /** The VTEP address other hosts send VXLAN to. */
  underlayIp: string;
  version: string;
  bridge: string;
  startedAt: string;
}

export interface AttachRequest {
  network: string;
  /** A static address in the network's subnet. */
  address?: string;
  /** Interface name in the container; default eth0. */
  ifname?: string;
}

/** What the front doors call; implemented by the agent (agent.ts). Errors are util's coded errors. */
export interface AgentOps {
  readonly hostId: string;
  createNetwork(request: unknown): Promise<Network>;
  listNetworks(): Promise<Network[]>;
  getNetwork(name: string): Promise<Network>;
  deleteNetwork(name: string, opts?: { force?: boolean }): Promise<void>;
  /** Network `name`, created with a default subnet (Socketplane's rule) if it does not exist. */
  ensureDefaultNetwork(name?: string): Promise<Network>;

  /** Attaches a Docker container (id or name, running) to a network: veth, address, MAC, MTU, route. */
  attachContainer(container: string, req: AttachRequest): Promise<Endpoint>;
  /** Detaches from one network, or from all when `network` is undefined; returns what was removed. */
  detachContainer(container: string, network?: string): Promise<Endpoint[]>;
  /** Attaches a network namespace (CNI ADD): `netns` is a path such as /var/run/netns/x. */
  attachNetns(
    netns: string,
    containerId: string,
    req: AttachRequest & { kind?: EndpointKind },
  ): Promise<Endpoint>;
  /** CNI DEL: removes the endpoint if present; no error when there is nothing to remove. */
  detachNetns(containerId: string, network: string, ifname?: string): Promise<Endpoint | undefined>;
  /** Endpoints of every host, optionally filtered. */
  listEndpoints(filter?: { network?: string; host?: string; container?: string }): Promise<Endpoint[]>;
  /** Live agents (hosts with a current lease). */
  listHosts(): Promise<HostRecord[]>;
  /**
   * A Docker network on this host's dockerd backed by the Sluice plugin for Sluice network `network`
   * (created if missing, named like the network): what `sluice run -n NET` runs containers on, so the
   * container's program starts with its interface already up.
   */
  ensureDockerNetwork(network: string): Promise<{ name: string; id: string }>;
}

/**
 * The agent's REST API (127.0.0.1:6675 by default; errors as the controller's: {error, detail, field}):
 *   GET    /api/v1/networks                    Network[]
 *   POST   /api/v1/networks                    body: network create request -> 201 Network
 *   GET    /api/v1/networks/:name              Network
 *   DELETE /api/v1/networks/:name?force=true   204
 *   GET    /api/v1/endpoints?network=&host=&container=   Endpoint[]
 *   POST   /api/v1/endpoints                   {container, network, address?, ifname?}      -> 201 Endpoint
 *                                              {netns, containerId, network, address?, ifname?} (CNI)
 *   DELETE /api/v1/endpoints?container=C[&network=N]                 -> {removed: Endpoint[]}
 *   DELETE /api/v1/endpoints?containerId=C&network=N[&ifname=I]      -> {removed: Endpoint[]} (CNI DEL)
 *   PUT    /api/v1/docker-networks/:network    -> {name, id}   (ensureDockerNetwork)
 *   GET    /api/v1/agents                      HostRecord[]
 *   GET    /api/v1/agent                       this agent: HostRecord
 * plus Socketplane's /v0.1 and /openapi.json. The controller serves the GET routes of networks, endpoints
 * and agents read-only from a shared store.
 */
export const AGENT_DEFAULT_API_PORT = 6675;
