/**
 * Typed HTTP client for the Sluice API (one method per route). Browser-safe: only web-platform globals, the
 * transport pluggable (node.ts adds TLS options over undici).
 */
import { ApiError, causeCode, ConnectionError, tlsProblemOf, type FailureFacts } from './errors.js';
import { pkiMethods, type PkiMethods } from './pki.js';
import { hostawareMethods, type HostawareMethods } from './hostaware.js';
import { qosMethods, type QosMethods } from './qos.js';
import { nodesMethods, type NodesMethods } from './nodes.js';
import type {
  AclRule,
  AgentEndpoint,
  AgentHost,
  AgentNetwork,
  EndpointFilter,
  FirewallRule,
  FirewallStatus,
  RuleFields,
  FloodlightDevice,
  FloodlightHop,
  FloodlightLink,
  FloodlightSwitch,
  Flow,
  Health,
  Host,
  HostFilter,
  HostPage,
  HostPageQuery,
  HostsPerSwitch,
  Link,
  LinkLoad,
  PortRate,
  PortRef,
  PortWithStats,
  Route,
  StaticFlow,
  StaticFlowAdded,
  StaticFlowEntry,
  StatisticsStatus,
  StatsKind,
  Switch,
  SwitchDetail,
} from './types.js';

export interface ClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** Bearer token, when the API requires one. */
  token?: string;
  /** Per-request timeout; default 15000 ms (stats requests wait for the switch). */
  timeoutMs?: number;
  /** How requests are sent; default the platform's fetch. In Node, node.ts's clients add TLS options. */
  transport?: Transport;
}

/** Sends the client's requests: fetch, plus what a failed fetch says about the connection. */
export interface Transport {
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** The facts of a fetch that got no answer (default: the error's code, nothing seen on the connection). */
  failure?(err: unknown, started: number): Omit<FailureFacts, 'https'>;
  /** Closes idle connections. */
  close?(): Promise<void>;
}

/** The platform's fetch (Node 20 and browsers), looked up per call and called unbound as browsers require. */
export const platformTransport: Transport = { fetch: (url, init) => fetch(url, init) };

export type Query = Record<string, string | number | boolean | undefined>;

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

export const seg = (s: string | number) => encodeURIComponent(String(s));

/** The HTTP machinery every Sluice client shares: JSON in and out, errors as ApiError/ConnectionError. */
export abstract class BaseClient {
  /** Which server this client talks to (named in ConnectionError). */
  protected abstract readonly server: 'controller' | 'agent';
  readonly baseUrl: string;
  private readonly token?: string;
  private readonly timeoutMs: number;
  private readonly transport: Transport;
  private readonly https: boolean;

  constructor(opts: ClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.transport = opts.transport ?? platformTransport;
    this.https = /^https:/i.test(this.baseUrl);
  }

  /** Closes the client's idle connections (they never keep the process alive, so this is optional). */
  async close(): Promise<void> {
    await this.transport.close?.();
  }

  /** Any route: JSON in and out. App route wrappers (staticflows, firewall, qos...) build on this. */
  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    return (await this.requestWithHeaders<T>(method, path, opts)).body;
  }

  /** request() that also returns the reply's headers (e.g. X-Total-Count of a paged list). */
  async requestWithHeaders<T>(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown } = {},
  ): Promise<{ body: T; headers: Headers }> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    if (!res.ok) throw this.errorOf(res.status, text);
    return { body: (text === '' ? undefined : JSON.parse(text)) as T, headers: res.headers };
  }

  /** A non-JSON route (e.g. /metrics): the body as text. */
  async requestText(method: string, path: string): Promise<string> {
    const res = await this.send(method, path, {});
    const text = await res.text();
    if (!res.ok) throw this.errorOf(res.status, text);
    return text;
  }

  /**
   * A streaming GET (Server-Sent Events): resolves once the server answered 2xx, with the body unread. The
   * timeout covers only the wait for that answer; the body runs until `signal` aborts or the server ends it.
   */
  async openStream(
    path: string,
    opts: { query?: Query; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const answered = new AbortController();
    const timer = setTimeout(
      () => answered.abort(new DOMException('no answer in time', 'TimeoutError')),
      this.timeoutMs,
    );
    const signal = opts.signal ? AbortSignal.any([opts.signal, answered.signal]) : answered.signal;
    try {
      const res = await this.send('GET', path, { ...opts, signal });
      if (!res.ok) throw this.errorOf(res.status, await res.text());
      return res;
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<Response> {
    const url = this.baseUrl + path + queryString(opts.query);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const started = Date.now();
    try {
      return await this.transport.fetch(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal ?? AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // The caller's own abort is not a connection failure.
      if (opts.signal?.aborted && (err as Error).name === 'AbortError') throw err;
      if ((err as Error).name === 'TimeoutError') {
        throw new ConnectionError(
          this.baseUrl,
          url,
          'ETIMEDOUT',
          `${method} ${url}: ETIMEDOUT`,
          undefined,
          this.server,
        );
      }
      const facts = this.transport.failure?.(err, started) ?? {
        code: causeCode(err),
        clientCert: false,
        closedUnanswered: false,
      };
      const code = facts.code;
      const tls = tlsProblemOf({ ...facts, https: this.https });
      throw new ConnectionError(
        this.baseUrl,
        url,
        code,
        `${method} ${url}: ${code ?? (err as Error).message}`,
        tls,
        this.server,
      );
    }
  }

  private errorOf(status: number, text: string): ApiError {
    try {
      const body = JSON.parse(text) as { error?: unknown; detail?: unknown; field?: unknown };
      return new ApiError(
        status,
        typeof body.error === 'string' ? body.error : 'http_error',
        typeof body.detail === 'string' ? body.detail : text,
        typeof body.field === 'string' ? body.field : undefined,
      );
    } catch {
      return new ApiError(status, 'http_error', text.slice(0, 200) || `HTTP ${status}`);
    }
  }
}

export class SluiceClient extends BaseClient {
  protected readonly server = 'controller';

  // ---- /api/v1
  health = () => this.request<Health>('GET', '/api/v1/health');
  switches = () => this.request<Switch[]>('GET', '/api/v1/switches');
  switch = (dpid: string) => this.request<SwitchDetail>('GET', `/api/v1/switches/${seg(dpid)}`);
  flows = (dpid: string) => this.request<Flow[]>('GET', `/api/v1/switches/${seg(dpid)}/flows`);
  ports = (dpid: string) => this.request<PortWithStats[]>('GET', `/api/v1/switches/${seg(dpid)}/ports`);
  stats = (dpid: string, kind: StatsKind) =>
    this.request<unknown>('GET', `/api/v1/switches/${seg(dpid)}/stats/${seg(kind)}`);
  links = () => this.request<Link[]>('GET', '/api/v1/links');
  hosts = (filter: HostFilter = {}) => this.request<Host[]>('GET', '/api/v1/hosts', { query: { ...filter } });
  /** One page of hosts (searched, sorted) and how many match before paging. */
  hostsPage = async (query: HostPageQuery = {}): Promise<HostPage> => {
    const r = await this.requestWithHeaders<Host[]>('GET', '/api/v1/hosts', { query: { ...query } });
    return { hosts: r.body, total: Number(r.headers.get('x-total-count') ?? r.body.length) };
  };
  /** Host counts per switch (not the hosts): a topology's badges without downloading the list. */
  hostsPerSwitch = () => this.request<HostsPerSwitch>('GET', '/api/v1/hosts/per-switch');
  route = (src: PortRef, dst: PortRef) =>
    this.request<Route>('GET', '/api/v1/routes', {
      query: { src_dpid: src.dpid, src_port: src.port, dst_dpid: dst.dpid, dst_port: dst.port },
    });
  metrics = () => this.requestText('GET', '/metrics');
  /** Port statistics collection (rates and link utilisation): status, on/off, per port, per link. */
  statistics = () => this.request<StatisticsStatus>('GET', '/api/v1/statistics');
  setStatistics = (enabled: boolean) =>
    this.request<StatisticsStatus>('PUT', '/api/v1/statistics', { body: { enabled } });
  portRates = (dpid?: string) =>
    this.request<PortRate[]>('GET', '/api/v1/statistics/ports', {
      query: dpid === undefined ? {} : { dpid },
    });
  linkLoads = () => this.request<LinkLoad[]>('GET', '/api/v1/statistics/links');
  /** Container networks, endpoints and agents: the agents' state, read-only from the shared store. */
  networks = () => this.request<AgentNetwork[]>('GET', '/api/v1/networks');
  network = (name: string) => this.request<AgentNetwork>('GET', `/api/v1/networks/${seg(name)}`);
  endpoints = (filter: EndpointFilter = {}) =>
    this.request<AgentEndpoint[]>('GET', '/api/v1/endpoints', { query: { ...filter } });
  agents = () => this.request<AgentHost[]>('GET', '/api/v1/agents');
  openapi = () => this.request<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json');

  // ---- static entries (/api/v1/staticflows)
  readonly staticflows = {
    list: (dpid?: string) =>
      this.request<StaticFlow[]>('GET', '/api/v1/staticflows', { query: { switch: dpid } }),
    get: (name: string) => this.request<StaticFlow>('GET', `/api/v1/staticflows/${seg(name)}`),
    /** One entry or several (validated together, stored in one commit). */
    add: (entries: StaticFlowEntry | StaticFlowEntry[]) =>
      this.request<{ added: StaticFlowAdded[] }>('POST', '/api/v1/staticflows', { body: entries }),
    delete: (name: string) => this.request<{ deleted: string }>('DELETE', `/api/v1/staticflows/${seg(name)}`),
    /** A DPID or 'all'. */
    clear: (dpid: string) =>
      this.request<{ deleted: number }>('DELETE', '/api/v1/staticflows', { query: { switch: dpid } }),
  };

  // ---- firewall (/api/v1/firewall): rules evaluated in ascending priority; none matching means deny
  readonly firewall = {
    status: () => this.request<FirewallStatus>('GET', '/api/v1/firewall'),
    enable: () => this.request<FirewallStatus>('PUT', '/api/v1/firewall', { body: { enabled: true } }),
    disable: () => this.request<FirewallStatus>('PUT', '/api/v1/firewall', { body: { enabled: false } }),
    setSubnetMask: (mask: string) =>
      this.request<FirewallStatus>('PUT', '/api/v1/firewall', { body: { subnetMask: mask } }),
    rules: () => this.request<FirewallRule[]>('GET', '/api/v1/firewall/rules'),
    rule: (ruleid: number | string) =>
      this.request<FirewallRule>('GET', `/api/v1/firewall/rules/${seg(String(ruleid))}`),
    /** Floodlight keys (switchid, src-ip, nw-proto, tp-dst, priority, action...); strings or numbers. */
    add: (rule: RuleFields) => this.request<FirewallRule>('POST', '/api/v1/firewall/rules', { body: rule }),
    delete: (ruleid: number | string) =>
      this.request<{ deleted: number }>('DELETE', `/api/v1/firewall/rules/${seg(String(ruleid))}`),
  };

  // ---- ACL (/api/v1/acl): pushed to every switch; earlier rules take precedence
  readonly acl = {
    list: () => this.request<AclRule[]>('GET', '/api/v1/acl/rules'),
    /** src-ip and/or dst-ip, nw-proto, tp-dst, action (default deny). */
    add: (rule: RuleFields) => this.request<AclRule>('POST', '/api/v1/acl/rules', { body: rule }),
    delete: (ruleid: number | string) =>
      this.request<{ deleted: number }>('DELETE', `/api/v1/acl/rules/${seg(String(ruleid))}`),
    clear: () => this.request<{ deleted: number }>('DELETE', '/api/v1/acl/rules'),
  };

  // ---- QoS (/api/v1/qos): services, policies, QoS paths, port queues
  readonly qos: QosMethods = qosMethods((method, path, opts) => this.request(method, path, opts));

  // ---- host-aware networking (/api/v1/hostaware): sources, hosts, metrics, rules, messages and their stream
  readonly hostaware: HostawareMethods = hostawareMethods(
    (method, path, opts) => this.request(method, path, opts),
    (path, opts) => this.openStream(path, opts),
  );

  // ---- nodes (issue 12): descriptions and history, the control cluster, transport nodes and zones
  readonly nodes: NodesMethods = nodesMethods((method, path, opts) => this.request(method, path, opts));

  // ---- Floodlight-compatible paths
  readonly floodlight = {
    health: () => this.request<{ healthy: boolean }>('GET', '/wm/core/health/json'),
    switches: () => this.request<FloodlightSwitch[]>('GET', '/wm/core/controller/switches/json'),
    summary: () => this.request<Record<string, number>>('GET', '/wm/core/controller/summary/json'),
    uptime: () => this.request<{ systemUptimeMsec: number }>('GET', '/wm/core/system/uptime/json'),
    memory: () => this.request<Record<string, number>>('GET', '/wm/core/memory/json'),
    modules: (which: 'all' | 'loaded' = 'loaded') =>
      this.request<Record<string, unknown>>('GET', `/wm/core/module/${which}/json`),
    version: () => this.request<{ name: string; version: string }>('GET', '/wm/core/version/json'),
    /** Always ACTIVE: Sluice runs a single active controller. */
    role: () =>
      this.request<{ role: string; 'change-description': string; 'change-date-time': string }>(
        'GET',
        '/wm/core/role/json',
      ),
    /** Raw Floodlight stats JSON for one switch, or keyed by DPID for 'all'. */
    stats: (dpid: string | 'all', kind: StatsKind | 'features') =>
      this.request<Record<string, unknown>>('GET', `/wm/core/switch/${seg(dpid)}/${seg(kind)}/json`),
    links: () => this.request<FloodlightLink[]>('GET', '/wm/topology/links/json'),
    externalLinks: () => this.request<FloodlightLink[]>('GET', '/wm/topology/external-links/json'),
    clusters: () => this.request<Record<string, string[]>>('GET', '/wm/topology/switchclusters/json'),
    devices: (filter: HostFilter = {}) =>
      this.request<FloodlightDevice[]>('GET', '/wm/device/', { query: { ...filter } }),
    route: (src: PortRef, dst: PortRef) =>
      this.request<FloodlightHop[]>(
        'GET',
        `/wm/topology/route/${seg(src.dpid)}/${src.port}/${seg(dst.dpid)}/${dst.port}/json`,
      ),
    /** The same route in the shape of the Floodlight release that added /wm/routing/path. */
    routingPath: (src: PortRef, dst: PortRef) =>
      this.request<{ results: { switch: string; port: string }[] }>(
        'GET',
        `/wm/routing/path/${seg(src.dpid)}/${src.port}/${seg(dst.dpid)}/${dst.port}/json`,
      ),
  };

  // ---- the cluster's CA (issue 12): its certificate, and signing a node's certificate request
  readonly pki: PkiMethods = pkiMethods((method, path, opts) => this.request(method, path, opts));
}
