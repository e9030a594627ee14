/**
 * `sluice-cni`, a CNI 1.0 plugin (https://www.cni.dev/docs/spec/): the runtime (containerd, nerdctl, Podman,
 * Kubernetes) executes it with CNI_* environment variables and the network config on stdin; it asks the
 * local agent's REST API to do the work, so a CNI container and a Docker container on the same Sluice network
 * are plumbed, addressed and cleaned up the same way. Install it in CNI_PATH under the config's `type`
 * (`sluice`), e.g. `ln -s $(which sluice-cni) /opt/cni/bin/sluice`.
 *
 * Network config: {cniVersion, name, type: "sluice", network?: the Sluice network (default: name),
 * agent?: URL (default http://127.0.0.1:6675), token?: the agent API's bearer token}. CNI_ARGS `IP=a.b.c.d`
 * asks for a static address.
 *
 *   ADD     POST   /api/v1/endpoints {netns, containerId, network, ifname, address?}  -> the CNI result
 *   DEL     DELETE /api/v1/endpoints?containerId=&network=&ifname=   (success when nothing is left)
 *   CHECK   the endpoint exists, and the interface in the netns has its address and MAC
 *   VERSION {cniVersion, supportedVersions}
 *
 * Everything here is pure or takes its I/O as a parameter (CniDeps); cnimain.ts is the executable.
 */
import { ipv4TextToNum } from '../packet/index.js';
import { FieldError } from '../util/index.js';
import { parseContainerId, parseIfname } from './endpoints.js';
import { parseNetworkName } from './network.js';
import { AGENT_DEFAULT_API_PORT, type Endpoint } from './types.js';

export const CNI_SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'] as const;
export const CNI_LATEST = '1.0.0';
export const CNI_TYPES = ['sluice', 'sluice-cni'];
export const CNI_DEFAULT_AGENT = `http://127.0.0.1:${AGENT_DEFAULT_API_PORT}`;

/** The spec's well-known error codes, and this plugin's own (100 and up). */
export const CNI_ERR = {
  INCOMPATIBLE_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENV: 4,
  IO_FAILURE: 5,
  DECODE_FAILURE: 6,
  INVALID_CONFIG: 7,
  TRY_AGAIN_LATER: 11,
  /** The agent refused the request (a conflict, no free address...). */
  AGENT_REFUSED: 100,
  /** CHECK: the endpoint or its interface is not as it should be. */
  CHECK_FAILED: 101,
} as const;

/** A failure the plugin reports as the spec's error object, exiting non-zero. */
export class CniError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly details = '',
  ) {
    super(msg);
    this.name = 'CniError';
  }
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

export interface CniEnv {
  command: CniCommand;
  containerId: string;
  /** Empty for VERSION, and allowed empty for DEL. */
  netns: string;
  ifname: string;
  /** CNI_ARGS `IP=` (a static address). */
  ip?: string;
}

export interface CniConfig {
  cniVersion: string;
  name: string;
  network: string;
  agent: string;
  token?: string;
  prevResult?: unknown;
}

/** CNI_* variables; INVALID_ENV naming the variable. */
export function parseCniEnv(env: NodeJS.ProcessEnv): CniEnv {
  const command = env.CNI_COMMAND;
  if (command !== 'ADD' && command !== 'DEL' && command !== 'CHECK' && command !== 'VERSION') {
    throw new CniError(
      CNI_ERR.INVALID_ENV,
      `CNI_COMMAND: must be ADD, DEL, CHECK or VERSION, got ${JSON.stringify(command ?? '')}`,
    );
  }
  if (command === 'VERSION') return { command, containerId: '', netns: '', ifname: '' };
  const containerId = withCode(CNI_ERR.INVALID_ENV, () =>
    parseContainerId('CNI_CONTAINERID', env.CNI_CONTAINERID),
  );
  const ifname = withCode(CNI_ERR.INVALID_ENV, () => parseIfname('CNI_IFNAME', env.CNI_IFNAME));
  const netns = env.CNI_NETNS ?? '';
  if (command !== 'DEL' && !netns.startsWith('/')) {
    throw new CniError(
      CNI_ERR.INVALID_ENV,
      `CNI_NETNS: must be a network namespace path, got ${JSON.stringify(netns)}`,
    );
  }
  const args = parseCniArgs(env.CNI_ARGS ?? '');
  const ip = args.IP;
  if (ip !== undefined && ipv4TextToNum(ip.split('/')[0]) === undefined) {
    throw new CniError(CNI_ERR.INVALID_ENV, `CNI_ARGS: IP=${ip} is not an IPv4 address`);
  }
  return { command, containerId, netns, ifname, ...(ip === undefined ? {} : { ip: ip.split('/')[0] }) };
}

/** `K1=V1;K2=V2`; unknown keys are kept (runtimes pass K8S_POD_NAME and the like; IgnoreUnknown is implied). */
export function parseCniArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CniError(CNI_ERR.INVALID_ENV, `CNI_ARGS: '${part}' is not KEY=VALUE`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** The network config from stdin: DECODE_FAILURE, INCOMPATIBLE_VERSION or INVALID_CONFIG naming the key. */
export function parseCniConfig(text: string, opts: { versionOnly?: boolean } = {}): CniConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CniError(CNI_ERR.DECODE_FAILURE, 'network config on stdin is not JSON', (err as Error).message);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CniError(CNI_ERR.DECODE_FAILURE, 'network config on stdin must be a JSON object');
  }
  const c = raw as Record<string, unknown>;
  const cniVersion = c.cniVersion;
  if (typeof cniVersion !== 'string' || cniVersion === '') {
    throw new CniError(CNI_ERR.INVALID_CONFIG, 'cniVersion: is required');
  }
  if (!(CNI_SUPPORTED_VERSIONS as readonly string[]).includes(cniVersion)) {
    throw new CniError(
      CNI_ERR.INCOMPATIBLE_VERSION,
      `cniVersion: ${cniVersion} is not supported (supported: ${CNI_SUPPORTED_VERSIONS.join(', ')})`,
    );
  }
  if (opts.versionOnly) return { cniVersion, name: '', network: '', agent: CNI_DEFAULT_AGENT };
  const name = withCode(CNI_ERR.INVALID_CONFIG, () => {
    if (typeof c.name !== 'string' || c.name === '') throw new FieldError('name', 'is required');
    return c.name;
  });
  if (typeof c.type !== 'string' || !CNI_TYPES.includes(c.type)) {
    throw new CniError(CNI_ERR.INVALID_CONFIG, `type: must be "sluice", got ${JSON.stringify(c.type)}`);
  }
  const network = withCode(CNI_ERR.INVALID_CONFIG, () =>
    parseNetworkName(c.network === undefined ? 'name (the default network)' : 'network', c.network ?? name),
  );
  const agent = withCode(CNI_ERR.INVALID_CONFIG, () => parseAgentUrl(c.agent ?? CNI_DEFAULT_AGENT));
  if (c.token !== undefined && (typeof c.token !== 'string' || c.token === '')) {
    throw new CniError(CNI_ERR.INVALID_CONFIG, 'token: must be a non-empty string');
  }
  return {
    cniVersion,
    name,
    network,
    agent,
    ...(c.token === undefined ? {} : { token: c.token as string }),
    ...(c.prevResult === undefined ? {} : { prevResult: c.prevResult }),
  };
}

function parseAgentUrl(v: unknown): string {
  if (typeof v !== 'string') throw new FieldError('agent', 'must be a URL string');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new FieldError('agent', `'${v}' is not a URL (expected e.g. ${CNI_DEFAULT_AGENT})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new FieldError('agent', `'${v}' must be an http:// or https:// URL`);
  }
  return v.replace(/\/+$/, '');
}

/** Runs a shared parser, its FieldError reported as a CNI error with `code`. */
function withCode<T>(code: number, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof FieldError) throw new CniError(code, err.message);
    throw err;
  }
}

/** The ADD result for `ep` in the caller's CNI version (0.3.x/0.4.0 results carry `version` per IP). */
export function cniResult(ep: Endpoint, cniVersion: string, netns: string): Record<string, unknown> {
  const old = cniVersion !== '1.0.0';
  return {
    cniVersion,
    interfaces: [{ name: ep.ifname, mac: ep.mac, sandbox: netns }],
    ips: [{ ...(old ? { version: '4' } : {}), address: ep.cidr, gateway: ep.gateway, interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: ep.gateway }],
    dns: {},
  };
}

export function cniErrorObject(cniVersion: string, err: CniError): Record<string, unknown> {
  return { cniVersion, code: err.code, msg: err.msg, ...(err.details ? { details: err.details } : {}) };
}

/** An HTTP exchange with the agent; `status` 0 never happens: an unreachable agent throws. */
export interface AgentResponse {
  status: number;
  body: unknown;
}

/** The plugin's I/O, injected so the command logic is testable without an agent or a netns. */
export interface CniDeps {
  /** Throws (any error) when the agent cannot be reached. */
  request(method: string, url: string, body: unknown, token?: string): Promise<AgentResponse>;
  /** The interface in the netns: its MAC and `a.b.c.d/len` addresses; undefined if it does not exist. */
  inspectIface(netns: string, ifname: string): Promise<{ mac: string; addresses: string[] } | undefined>;
}

/** `ip -j addr show dev X` output -> the interface's MAC and `a.b.c.d/len` IPv4 addresses. */
export function parseIpAddrJson(text: string): { mac: string; addresses: string[] } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const link = Array.isArray(v) ? (v[0] as Record<string, any> | undefined) : undefined;
  if (link === undefined || typeof link !== 'object' || link === null) return undefined;
  const infos: Record<string, unknown>[] = Array.isArray(link.addr_info) ? link.addr_info : [];
  return {
    mac: typeof link.address === 'string' ? link.address : '',
    addresses: infos
      .filter((a) => a?.family === 'inet')
      .map((a) => `${String(a.local)}/${String(a.prefixlen)}`),
  };
}

/** What to print and how to exit. */
export interface CniOutcome {
  stdout: string;
  exitCode: number;
}

/** Runs one CNI invocation: env and stdin in, the printed JSON and exit code out. Never throws. */
export async function runCni(env: NodeJS.ProcessEnv, stdin: string, deps: CniDeps): Promise<CniOutcome> {
  let version = CNI_LATEST;
  try {
    const e = parseCniEnv(env);
    if (e.command === 'VERSION') {
      // The runtime may send only {cniVersion}; answer in its version when it is one we speak.
      if (stdin.trim() !== '') version = parseCniConfig(stdin, { versionOnly: true }).cniVersion;
      return json({ cniVersion: version, supportedVersions: [...CNI_SUPPORTED_VERSIONS] });
    }
    const c = parseCniConfig(stdin);
    version = c.cniVersion;
    if (e.command === 'ADD') return json(cniResult(await add(e, c, deps), c.cniVersion, e.netns));
    if (e.command === 'DEL') {
      await del(e, c, deps);
      return { stdout: '', exitCode: 0 };
    }
    if (c.cniVersion === '0.3.0' || c.cniVersion === '0.3.1') {
      throw new CniError(
        CNI_ERR.INCOMPATIBLE_VERSION,
        `CHECK needs cniVersion 0.4.0 or later, got ${c.cniVersion}`,
      );
    }
    await check(e, c, deps);
    return { stdout: '', exitCode: 0 };
  } catch (err) {
    const e =
      err instanceof CniError
        ? err
        : new CniError(CNI_ERR.IO_FAILURE, 'internal error', (err as Error).message);
    return { stdout: JSON.stringify(cniErrorObject(version, e)) + '\n', exitCode: 1 };
  }
}

const json = (v: unknown): CniOutcome => ({ stdout: JSON.stringify(v) + '\n', exitCode: 0 });

async function add(e: CniEnv, c: CniConfig, deps: CniDeps): Promise<Endpoint> {
  const body = {
    netns: e.netns,
    containerId: e.containerId,
    network: c.network,
    ifname: e.ifname,
    ...(e.ip === undefined ? {} : { address: e.ip }),
  };
  const r = await call(deps, c, 'POST', '/api/v1/endpoints', body);
  if (r.status !== 200 && r.status !== 201) throw agentRefused(r, c);
  return r.body as Endpoint;
}

async function del(e: CniEnv, c: CniConfig, deps: CniDeps): Promise<void> {
  const q = new URLSearchParams({ containerId: e.containerId, network: c.network, ifname: e.ifname });
  const r = await call(deps, c, 'DELETE', `/api/v1/endpoints?${q}`);
  // Nothing left to delete (the network itself is gone) is success, as the spec asks of DEL.
  if (r.status === 404 || (r.status >= 200 && r.status < 300)) return;
  throw agentRefused(r, c);
}

async function check(e: CniEnv, c: CniConfig, deps: CniDeps): Promise<void> {
  const q = new URLSearchParams({ network: c.network, container: e.containerId });
  const r = await call(deps, c, 'GET', `/api/v1/endpoints?${q}`);
  if (r.status !== 200 || !Array.isArray(r.body)) throw agentRefused(r, c);
  const ep = (r.body as Endpoint[]).find((x) => x.containerId === e.containerId && x.ifname === e.ifname);
  if (ep === undefined) {
    throw new CniError(
      CNI_ERR.CHECK_FAILED,
      `no endpoint of container ${e.containerId} (${e.ifname}) in network ${c.network}`,
    );
  }
  const prevIps = (c.prevResult as { ips?: { address?: unknown }[] } | undefined)?.ips;
  if (Array.isArray(prevIps) && !prevIps.some((ip) => ip?.address === ep.cidr)) {
    throw new CniError(CNI_ERR.CHECK_FAILED, `prevResult does not hold the endpoint's address ${ep.cidr}`);
  }
  const iface = await deps.inspectIface(e.netns, e.ifname);
  if (iface === undefined) {
    throw new CniError(CNI_ERR.CHECK_FAILED, `no interface ${e.ifname} in ${e.netns}`);
  }
  if (!iface.addresses.includes(ep.cidr)) {
    throw new CniError(
      CNI_ERR.CHECK_FAILED,
      `${e.ifname} in ${e.netns} does not have ${ep.cidr} (has ${iface.addresses.join(', ') || 'none'})`,
    );
  }
  if (iface.mac.toLowerCase() !== ep.mac) {
    throw new CniError(CNI_ERR.CHECK_FAILED, `${e.ifname} in ${e.netns} has MAC ${iface.mac}, not ${ep.mac}`);
  }
}

async function call(deps: CniDeps, c: CniConfig, method: string, p: string, body?: unknown) {
  try {
    return await deps.request(method, c.agent + p, body, c.token);
  } catch (err) {
    throw new CniError(
      CNI_ERR.TRY_AGAIN_LATER,
      `the sluice agent at ${c.agent} is not reachable; is \`sluice agent\` running on this host?`,
      (err as Error).message,
    );
  }
}

/** The agent's {error, detail, field} answer as a CNI error. */
function agentRefused(r: AgentResponse, c: CniConfig): CniError {
  const b = (r.body ?? {}) as { error?: unknown; detail?: unknown; field?: unknown };
  const detail = typeof b.detail === 'string' ? b.detail : JSON.stringify(r.body);
  const field = typeof b.field === 'string' ? b.field : undefined;
  const details = `agent ${c.agent} answered ${r.status}${typeof b.error === 'string' ? ` ${b.error}` : ''}`;
  if (r.status === 503) return new CniError(CNI_ERR.TRY_AGAIN_LATER, detail, details);
  if (r.status === 400 && (field === 'netns' || field === 'containerId' || field === 'ifname')) {
    return new CniError(CNI_ERR.INVALID_ENV, detail, details);
  }
  // A network that does not exist or a bad request field is the config's fault.
  if (r.status === 404 || r.status === 400) return new CniError(CNI_ERR.INVALID_CONFIG, detail, details);
  return new CniError(CNI_ERR.AGENT_REFUSED, detail, details);
}
