/** Typed HTTP client for a Sluice agent's API (default http://127.0.0.1:6675): one method per route. */
import { BaseClient, seg, type ClientOptions } from './client.js';
import type {
  AgentEndpoint,
  AgentHost,
  AgentNetwork,
  EndpointFilter,
  NetworkCreate,
  SocketplaneConnection,
  SocketplaneNetwork,
} from './types.js';

export const DEFAULT_AGENT_URL = 'http://127.0.0.1:6675';

export interface AttachOptions {
  /** A static address in the network's subnet. */
  address?: string;
  /** Interface name in the container; default eth0. */
  ifname?: string;
}

const opt = (o: AttachOptions) => ({
  ...(o.address === undefined ? {} : { address: o.address }),
  ...(o.ifname === undefined ? {} : { ifname: o.ifname }),
});

export class AgentClient extends BaseClient {
  protected readonly server = 'agent';

  /** `baseUrl` defaults to DEFAULT_AGENT_URL; the other options are SluiceClient's (node.ts adds TLS). */
  constructor(opts: Partial<ClientOptions> = {}) {
    super({ ...opts, baseUrl: opts.baseUrl ?? DEFAULT_AGENT_URL });
  }

  health = () => this.request<{ status: 'ok'; hostId: string; version: string }>('GET', '/api/v1/health');
  openapi = () => this.request<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json');
  /** Live agents (this one included). */
  agents = () => this.request<AgentHost[]>('GET', '/api/v1/agents');
  /** This agent. */
  agent = () => this.request<AgentHost>('GET', '/api/v1/agent');

  readonly networks = {
    list: () => this.request<AgentNetwork[]>('GET', '/api/v1/networks'),
    get: (name: string) => this.request<AgentNetwork>('GET', `/api/v1/networks/${seg(name)}`),
    create: (req: NetworkCreate) => this.request<AgentNetwork>('POST', '/api/v1/networks', { body: req }),
    /** Refused (409) while the network has endpoints, unless `force`. */
    delete: (name: string, opts: { force?: boolean } = {}) =>
      this.request<void>('DELETE', `/api/v1/networks/${seg(name)}`, {
        query: { force: opts.force ? 'true' : undefined },
      }),
  };

  readonly endpoints = {
    list: (filter: EndpointFilter = {}) =>
      this.request<AgentEndpoint[]>('GET', '/api/v1/endpoints', { query: { ...filter } }),
    /** Attaches a running Docker container (id, id prefix or name). */
    attach: (container: string, network: string, o: AttachOptions = {}) =>
      this.request<AgentEndpoint>('POST', '/api/v1/endpoints', { body: { container, network, ...opt(o) } }),
    /** Attaches a network namespace (CNI ADD). */
    attachNetns: (
      netns: string,
      containerId: string,
      network: string,
      o: AttachOptions & { kind?: 'cni' | 'plugin' | 'docker' } = {},
    ) =>
      this.request<AgentEndpoint>('POST', '/api/v1/endpoints', {
        body: { netns, containerId, network, ...opt(o), ...(o.kind ? { kind: o.kind } : {}) },
      }),
    /** Detaches a container from one network, or from all. */
    detach: (container: string, network?: string) =>
      this.request<{ removed: AgentEndpoint[] }>('DELETE', '/api/v1/endpoints', {
        query: { container, network },
      }),
    /** CNI DEL: succeeds with nothing removed when there is nothing left. */
    detachNetns: (containerId: string, network: string, ifname?: string) =>
      this.request<{ removed: AgentEndpoint[] }>('DELETE', '/api/v1/endpoints', {
        query: { containerId, network, ifname },
      }),
  };

  /** The Docker network for Sluice network `network` on this host (what `sluice run -n` runs on). */
  dockerNetwork = (network: string) =>
    this.request<{ name: string; id: string }>('PUT', `/api/v1/docker-networks/${seg(network)}`);

  /** Socketplane's /v0.1 API, as its CLI called it. */
  readonly socketplane = {
    networks: () => this.request<SocketplaneNetwork[]>('GET', '/v0.1/networks'),
    network: (id: string) => this.request<SocketplaneNetwork>('GET', `/v0.1/networks/${seg(id)}`),
    createNetwork: (id: string, subnet = '') =>
      this.request<SocketplaneNetwork>('POST', '/v0.1/networks', { body: { id, subnet } }),
    deleteNetwork: (id: string) => this.request<void>('DELETE', `/v0.1/networks/${seg(id)}`),
    connections: () => this.request<Record<string, SocketplaneConnection>>('GET', '/v0.1/connections'),
    connection: (containerId: string) =>
      this.request<SocketplaneConnection>('GET', `/v0.1/connections/${seg(containerId)}`),
    connect: (containerId: string, network = '') =>
      this.request<SocketplaneConnection>('POST', '/v0.1/connections', {
        body: { container_id: containerId, network },
      }),
    disconnect: (containerId: string) =>
      this.request<void>('DELETE', `/v0.1/connections/${seg(containerId)}`),
    // Socketplane's cluster verbs are not needed here: the agent always answers 501 (ApiError
    // SLUICE_E_NOT_IMPLEMENTED) whose detail says what to do instead.
    clusterBind: (iface?: string) => this.request<never>('POST', '/v0.1/cluster/bind', { query: { iface } }),
    clusterJoin: (address?: string) =>
      this.request<never>('POST', '/v0.1/cluster/join', { query: { address } }),
    clusterLeave: () => this.request<never>('POST', '/v0.1/cluster/leave'),
  };
}
