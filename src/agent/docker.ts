/**
 * A small Docker Engine API client over dockerd's Unix socket: what the agent needs from the local dockerd
 * (container and network inspect, network create/remove, the event stream). Node's http with `socketPath`;
 * no Docker SDK.
 *
 * API version: negotiated once per client as the docker CLI does: GET /_ping, then the lower of the server's
 * API-Version header and DOCKER_API_MAX (Docker 20.10 speaks 1.41; a newer daemon still serves 1.41).
 *
 * Errors: dockerd not reachable -> DockerError DOCKER_UNAVAILABLE naming the socket and what to do; an unknown
 * container or network -> NotFoundError 'container' / 'network'; a name taken -> ConflictError 'name'; any
 * other refusal -> DockerError DOCKER_API_ERROR with dockerd's message.
 */
import http from 'node:http';
import {
  ConflictError,
  FieldError,
  NotFoundError,
  SluiceError,
  systemClock,
  type Clock,
} from '../util/index.js';

export const DOCKER_DEFAULT_SOCKET = '/var/run/docker.sock';
/** Docker 20.10's API version: the newest this client asks for. */
export const DOCKER_API_MAX = '1.41';
const REQUEST_TIMEOUT_MS = 30_000;
/** dockerd's error bodies and inspect documents are small; more means something is wrong. */
const BODY_MAX = 8 * 1024 * 1024;

export type DockerErrorCode = 'DOCKER_UNAVAILABLE' | 'DOCKER_API_ERROR';

/** dockerd could not be reached (DOCKER_UNAVAILABLE) or refused a request (DOCKER_API_ERROR, with `status`). */
export class DockerError extends SluiceError {
  /** For the API's {error, detail, field} shape: what is at fault is the Docker daemon. */
  readonly field = 'docker';
  constructor(
    readonly code: DockerErrorCode,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The socket of DOCKER_HOST (unix:// only), else the default. */
export function dockerSocketFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return DOCKER_DEFAULT_SOCKET;
  if (!host.startsWith('unix://') || host.length <= 'unix://'.length) {
    throw new FieldError('DOCKER_HOST', `must be unix:///path/to/docker.sock, got ${JSON.stringify(host)}`);
  }
  return host.slice('unix://'.length);
}

/** '1.43' vs '1.41' -> positive if a is newer. */
export function compareApiVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am !== bm ? am - bm : an - bn;
}

/** The version to speak: the server's if older than ours, else ours. */
export function negotiateApiVersion(server: string | undefined, max = DOCKER_API_MAX): string {
  if (server === undefined || !/^\d+\.\d+$/.test(server)) return max;
  return compareApiVersions(server, max) < 0 ? server : max;
}

export interface ContainerNetwork {
  networkId: string;
  endpointId: string;
  ipAddress: string;
  macAddress: string;
}

export interface ContainerInfo {
  id: string;
  /** Without the leading '/'. */
  name: string;
  /** 0 when not running. */
  pid: number;
  running: boolean;
  restartCount: number;
  /** Docker network name -> the container's endpoint on it. */
  networks: Record<string, ContainerNetwork>;
}

export interface NetworkInfo {
  id: string;
  name: string;
  driver: string;
  /** The `-o` driver options. */
  options: Record<string, string>;
  ipamDriver: string;
  ipamConfig: { subnet?: string; gateway?: string }[];
  labels: Record<string, string>;
  /**
   * Container id -> its endpoint on this network: the containers that have joined it on this host (filled by
   * inspect; a network list leaves it empty, as dockerd does).
   */
  containers: Record<string, { name: string; endpointId: string }>;
}

export interface CreateNetworkRequest {
  name: string;
  driver: string;
  ipamDriver?: string;
  subnet?: string;
  gateway?: string;
  /** Driver options (`-o`). */
  options?: Record<string, string>;
  /** IPAM driver options (`--ipam-opt`). */
  ipamOptions?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface DockerEvent {
  type: 'container' | 'network';
  /** container: start, die, destroy; network: create, connect, disconnect, destroy. */
  action: string;
  /** The container's or network's id. */
  id: string;
  /** Actor attributes: a container's name and image; for network connect/disconnect the `container` id. */
  attributes: Record<string, string>;
  timeNano: number;
}

export const WATCHED_EVENTS: Readonly<Record<DockerEvent['type'], readonly string[]>> = {
  container: ['start', 'die', 'destroy'],
  network: ['create', 'connect', 'disconnect', 'destroy'],
};

export interface EventStreamOptions {
  onEvent: (ev: DockerEvent) => void | Promise<void>;
  /** A lost or refused stream, or a handler that threw; the stream carries on. Default: ignored. */
  onError?: (err: unknown) => void;
  /** Called each time the stream is (re)established. */
  onConnect?: () => void;
  /** First reconnect delay; doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface EventStream {
  close(): void;
}

export interface DockerClientOptions {
  socketPath?: string;
  timeoutMs?: number;
  clock?: Clock;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class DockerClient {
  readonly socketPath: string;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private apiVersion?: Promise<string>;

  constructor(opts: DockerClientOptions = {}) {
    this.socketPath = opts.socketPath ?? DOCKER_DEFAULT_SOCKET;
    this.timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.clock = opts.clock ?? systemClock;
  }

  /** GET /_ping: the negotiated API version. DOCKER_UNAVAILABLE when dockerd does not answer. */
  async ping(): Promise<{ apiVersion: string }> {
    const r = await this.raw('GET', '/_ping');
    if (r.status !== 200) throw this.apiError(r, 'ping');
    const server = r.headers['api-version'];
    return { apiVersion: negotiateApiVersion(typeof server === 'string' ? server : undefined) };
  }

  async version(): Promise<{ version: string; apiVersion: string; minApiVersion: string }> {
    const v = (await this.json('GET', '/version')) as Record<string, unknown>;
    return { version: str(v.Version), apiVersion: str(v.ApiVersion), minApiVersion: str(v.MinAPIVersion) };
  }

  /** By id, id prefix or name. NotFoundError 'container' if dockerd has no such container. */
  async inspectContainer(idOrName: string): Promise<ContainerInfo> {
    requireRef('container', idOrName);
    const c = (await this.json('GET', `/containers/${encodeURIComponent(idOrName)}/json`, undefined, {
      404: () => new NotFoundError('container', `no such container: ${idOrName}`),
    })) as Record<string, any>;
    const state = (c.State ?? {}) as Record<string, unknown>;
    const networks: Record<string, ContainerNetwork> = {};
    for (const [name, n] of Object.entries((c.NetworkSettings?.Networks ?? {}) as Record<string, any>)) {
      networks[name] = {
        networkId: str(n?.NetworkID),
        endpointId: str(n?.EndpointID),
        ipAddress: str(n?.IPAddress),
        macAddress: str(n?.MacAddress),
      };
    }
    return {
      id: str(c.Id),
      name: str(c.Name).replace(/^\//, ''),
      pid: typeof state.Pid === 'number' ? state.Pid : 0,
      running: state.Running === true,
      restartCount: typeof c.RestartCount === 'number' ? c.RestartCount : 0,
      networks,
    };
  }

  /** By id or name. NotFoundError 'network' if dockerd has no such network. */
  async inspectNetwork(idOrName: string): Promise<NetworkInfo> {
    requireRef('network', idOrName);
    const n = (await this.json('GET', `/networks/${encodeURIComponent(idOrName)}`, undefined, {
      404: () => new NotFoundError('network', `no such Docker network: ${idOrName}`),
    })) as Record<string, any>;
    return toNetworkInfo(n);
  }

  /** Docker networks, optionally only those of one driver. */
  async listNetworks(filter: { driver?: string } = {}): Promise<NetworkInfo[]> {
    const q =
      filter.driver === undefined
        ? ''
        : `?filters=${encodeURIComponent(JSON.stringify({ driver: [filter.driver] }))}`;
    const list = await this.json('GET', `/networks${q}`);
    return Array.isArray(list) ? list.map((n) => toNetworkInfo(n as Record<string, any>)) : [];
  }

  /** POST /networks/create; ConflictError 'name' if a network of that name exists. */
  async createNetwork(req: CreateNetworkRequest): Promise<{ id: string; warning: string }> {
    requireRef('name', req.name);
    const config = req.subnet === undefined ? [] : [{ Subnet: req.subnet, Gateway: req.gateway }];
    const body = {
      Name: req.name,
      CheckDuplicate: true,
      Driver: req.driver,
      IPAM: { Driver: req.ipamDriver ?? 'default', Config: config, Options: req.ipamOptions ?? {} },
      Options: req.options ?? {},
      Labels: req.labels ?? {},
    };
    const r = (await this.json('POST', '/networks/create', body, {
      409: (msg) => new ConflictError('name', msg),
    })) as Record<string, unknown>;
    return { id: str(r.Id), warning: str(r.Warning) };
  }

  async removeNetwork(idOrName: string): Promise<void> {
    requireRef('network', idOrName);
    await this.json('DELETE', `/networks/${encodeURIComponent(idOrName)}`, undefined, {
      404: () => new NotFoundError('network', `no such Docker network: ${idOrName}`),
    });
  }

  /**
   * Container start/die/destroy and network create/connect/disconnect/destroy events, delivered in order.
   * The stream reconnects with backoff whenever it ends or fails (dockerd restarted, not yet up) and resumes
   * from the last event's time, skipping what it already delivered; nothing it meets is thrown.
   */
  events(opts: EventStreamOptions): EventStream {
    const initial = opts.initialBackoffMs ?? 250;
    const max = opts.maxBackoffMs ?? 10_000;
    const report = (err: unknown): void => {
      try {
        opts.onError?.(err);
      } catch {
        // A failing error reporter must not stop the stream either.
      }
    };
    let closed = false;
    let backoff = initial;
    let timer: unknown;
    let req: http.ClientRequest | undefined;
    let lastNano = 0;
    let seenAtLast = new Set<string>();
    // Handlers run one after another so a slow one never sees a later event first.
    let chain: Promise<void> = Promise.resolve();

    const deliver = (ev: DockerEvent): void => {
      const key = `${ev.type}/${ev.action}/${ev.id}`;
      if (ev.timeNano < lastNano || (ev.timeNano === lastNano && seenAtLast.has(key))) return;
      if (ev.timeNano > lastNano) {
        lastNano = ev.timeNano;
        seenAtLast = new Set();
      }
      seenAtLast.add(key);
      chain = chain.then(async () => {
        try {
          await opts.onEvent(ev);
        } catch (err) {
          report(err);
        }
      });
    };

    const retry = (err: unknown): void => {
      req = undefined;
      if (closed) return;
      report(err);
      timer = this.clock.setTimer(connect, backoff);
      backoff = Math.min(backoff * 2, max);
    };

    const connect = async (): Promise<void> => {
      if (closed) return;
      let version: string;
      try {
        version = await this.negotiated();
      } catch (err) {
        this.apiVersion = undefined;
        retry(err);
        return;
      }
      const filters = JSON.stringify({
        type: Object.keys(WATCHED_EVENTS),
        event: [...new Set(Object.values(WATCHED_EVENTS).flat())],
      });
      const since = lastNano > 0 ? `&since=${Math.floor(lastNano / 1e9)}` : '';
      const path = `/v${version}/events?filters=${encodeURIComponent(filters)}${since}`;
      if (closed) return;
      const r = http.request({ socketPath: this.socketPath, path, method: 'GET' });
      req = r;
      let failed = false;
      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        r.destroy();
        retry(err);
      };
      r.on('error', (err) => fail(this.unavailable(err)));
      r.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          fail(
            new DockerError('DOCKER_API_ERROR', `events: dockerd answered ${res.statusCode}`, res.statusCode),
          );
          return;
        }
        backoff = initial;
        try {
          opts.onConnect?.();
        } catch (err) {
          report(err);
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === '') continue;
            const ev = parseEvent(line);
            if (ev instanceof Error) report(ev);
            else if (ev !== undefined) deliver(ev);
          }
        });
        res.on('error', (err) => fail(this.unavailable(err)));
        res.on('end', () =>
          fail(new DockerError('DOCKER_UNAVAILABLE', 'the event stream from dockerd ended')),
        );
      });
      r.end();
    };

    void connect();
    return {
      close: () => {
        closed = true;
        if (timer !== undefined) this.clock.clearTimer(timer);
        req?.destroy();
      },
    };
  }

  private negotiated(): Promise<string> {
    this.apiVersion ??= this.ping().then(
      (p) => p.apiVersion,
      (err) => {
        this.apiVersion = undefined;
        throw err;
      },
    );
    return this.apiVersion;
  }

  /** A versioned request with a JSON answer; `onStatus` maps a status to the error to throw. */
  private async json(
    method: string,
    path: string,
    body?: unknown,
    onStatus: Record<number, (message: string) => Error> = {},
  ): Promise<unknown> {
    const version = await this.negotiated();
    const r = await this.raw(method, `/v${version}${path}`, body);
    if (r.status >= 200 && r.status < 300) {
      if (r.body.trim() === '') return {};
      try {
        return JSON.parse(r.body);
      } catch {
        throw new DockerError('DOCKER_API_ERROR', `${method} ${path}: dockerd answered non-JSON`, r.status);
      }
    }
    const mapped = onStatus[r.status];
    if (mapped) throw mapped(dockerMessage(r.body));
    throw this.apiError(r, `${method} ${path}`);
  }

  private apiError(r: RawResponse, what: string): DockerError {
    return new DockerError(
      'DOCKER_API_ERROR',
      `${what}: dockerd answered ${r.status}: ${dockerMessage(r.body)}`,
      r.status,
    );
  }

  private unavailable(err: unknown): DockerError {
    const code = (err as NodeJS.ErrnoException).code;
    const what =
      code === 'EACCES'
        ? 'permission denied: run the agent as root or as a member of the docker group'
        : 'is dockerd running? start it, or point DOCKER_HOST (unix://PATH) at its socket';
    return new DockerError(
      'DOCKER_UNAVAILABLE',
      `cannot reach dockerd at unix://${this.socketPath} (${code ?? (err as Error).message}): ${what}`,
      undefined,
      { cause: err },
    );
  }

  private raw(method: string, path: string, body?: unknown): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          path,
          method,
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
          timeout: this.timeoutMs,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
            if (text.length > BODY_MAX) req.destroy(new Error(`answer larger than ${BODY_MAX} bytes`));
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          res.on('error', (err) => reject(this.unavailable(err)));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(this.unavailable(err)));
      req.end(payload);
    });
  }
}

/** One line of the event stream; undefined for events this client does not watch, an Error for garbage. */
export function parseEvent(line: string): DockerEvent | undefined | Error {
  let v: Record<string, any>;
  try {
    v = JSON.parse(line);
  } catch {
    return new DockerError('DOCKER_API_ERROR', `event stream: not JSON: ${line.slice(0, 200)}`);
  }
  const type = v?.Type;
  if (type !== 'container' && type !== 'network') return undefined;
  const action = str(v.Action);
  if (!WATCHED_EVENTS[type as DockerEvent['type']].includes(action)) return undefined;
  const nano = typeof v.timeNano === 'number' ? v.timeNano : typeof v.time === 'number' ? v.time * 1e9 : 0;
  return {
    type,
    action,
    id: str(v.Actor?.ID ?? v.id),
    attributes: strings(v.Actor?.Attributes),
    timeNano: nano,
  };
}

function toNetworkInfo(n: Record<string, any>): NetworkInfo {
  const ipam = (n.IPAM ?? {}) as Record<string, any>;
  return {
    id: str(n.Id),
    name: str(n.Name),
    driver: str(n.Driver),
    options: strings(n.Options),
    ipamDriver: str(ipam.Driver),
    ipamConfig: (Array.isArray(ipam.Config) ? ipam.Config : []).map((c: Record<string, unknown>) => ({
      ...(typeof c?.Subnet === 'string' ? { subnet: c.Subnet } : {}),
      ...(typeof c?.Gateway === 'string' ? { gateway: c.Gateway } : {}),
    })),
    labels: strings(n.Labels),
    containers: Object.fromEntries(
      Object.entries((n.Containers ?? {}) as Record<string, any>).map(([id, c]) => [
        id,
        { name: str(c?.Name), endpointId: str(c?.EndpointID) },
      ]),
    ),
  };
}

function requireRef(field: string, v: unknown): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > 256 || v.includes('/')) {
    throw new FieldError(field, `must be a Docker id or name, got ${JSON.stringify(v)}`);
  }
}

function dockerMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: the text itself
  }
  return body.trim().slice(0, 500) || '(no message)';
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v === 'object' && v !== null) {
    for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  }
  return out;
}
