/**
 * The built-in network adapter (the seed's Socketplane adapter for Powerstrip): a container created with
 * `SLUICE_NETWORK=name` or `SOCKETPLANE_CIDR=a.b.c.d/len` in its environment joins that Sluice network.
 *
 * Its pre-hook on `POST /containers/create` makes sure the network exists (from a CIDR it is named
 * `cidr-a.b.c.d-len`; an empty SOCKETPLANE_CIDR means the agent's default network), asks the agent for the
 * Docker network of its plugin, and rewrites the create's `HostConfig.NetworkMode` to it. Docker then attaches
 * the container through the plugin before the program starts, so `start`, `restart` and `rm` need no hook, and
 * the address is released when Docker removes the endpoint. (The seed's adapter made a network-only container
 * and used `NetworkMode: container:<id>`; that still works by hand, see the README.)
 *
 * Pure parts (reading the wish, rewriting the body) are separate from the agent calls.
 */
import { FieldError } from '../util/index.js';
import type { ClientRequest } from './protocol.js';
import { createAdapter, type Adapter } from './sdk.js';

export const NETWORK_ENV = 'SLUICE_NETWORK';
export const CIDR_ENV = 'SOCKETPLANE_CIDR';
/** The agent's default network (agent.ts DEFAULT_NETWORK_NAME); kept here so the proxy needs no agent code. */
export const DEFAULT_NETWORK = 'default';

/** Which network a container asked for in its environment. */
export type NetworkWish =
  | { kind: 'named'; network: string }
  | { kind: 'cidr'; network: string; subnet: string }
  | { kind: 'default'; network: string };

/** Bad input to the network adapter: `field` names the environment variable or body key at fault. */
export class NetworkAdapterError extends FieldError {}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** `10.1.0.0/16` -> `cidr-10.1.0.0-16`; the subnet must be a network address (no host bits). */
export function cidrNetworkName(cidr: string): { network: string; subnet: string } {
  const m = CIDR.exec(cidr.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 30) {
    throw new NetworkAdapterError(
      CIDR_ENV,
      `must be a CIDR such as 10.1.0.0/16 (length 8..30), got ${JSON.stringify(cidr)}`,
    );
  }
  const addr = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  if (addr % size !== 0) {
    const base = addr - (addr % size);
    const text = [24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.');
    throw new NetworkAdapterError(CIDR_ENV, `${cidr} has host bits set: did you mean ${text}/${bits}?`);
  }
  const subnet = `${octets.join('.')}/${bits}`;
  return { network: `cidr-${octets.join('.')}-${bits}`, subnet };
}

/** The network a container's `Env` (["K=V", ...]) asks for, or undefined when it asks for none. */
export function networkWish(env: unknown): NetworkWish | undefined {
  if (env === undefined || env === null) return undefined;
  if (!Array.isArray(env)) throw new NetworkAdapterError('Env', 'must be a list of "KEY=value" strings');
  const vars = new Map<string, string>();
  for (const e of env) {
    if (typeof e !== 'string') continue;
    const i = e.indexOf('=');
    if (i > 0) vars.set(e.slice(0, i), e.slice(i + 1));
  }
  const named = vars.get(NETWORK_ENV);
  const cidr = vars.get(CIDR_ENV);
  if (named !== undefined && cidr !== undefined) {
    throw new NetworkAdapterError(NETWORK_ENV, `and ${CIDR_ENV} are both set: give one of them`);
  }
  if (named !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(named)) {
      throw new NetworkAdapterError(
        NETWORK_ENV,
        `must be a network name (letters, digits, '_', '.', '-'), got ${JSON.stringify(named)}`,
      );
    }
    return { kind: 'named', network: named };
  }
  if (cidr === undefined) return undefined;
  if (cidr.trim() === '') return { kind: 'default', network: DEFAULT_NETWORK };
  return { kind: 'cidr', ...cidrNetworkName(cidr) };
}

/** Docker's own meaning of "no --network given". */
const UNSET_MODES = new Set(['', 'default', 'bridge']);

/**
 * The create body with the container on Docker network `dockerNetwork`. An explicit other `--network` is
 * refused (the two would fight); an endpoint config given for the default network (`--ip`, aliases) moves over.
 */
export function joinDockerNetwork(
  body: Record<string, unknown>,
  dockerNetwork: string,
): Record<string, unknown> {
  const host = (body.HostConfig ?? {}) as Record<string, unknown>;
  if (typeof host !== 'object' || Array.isArray(host)) {
    throw new NetworkAdapterError('HostConfig', 'must be an object');
  }
  const mode = typeof host.NetworkMode === 'string' ? host.NetworkMode : '';
  if (!UNSET_MODES.has(mode) && mode !== dockerNetwork) {
    throw new NetworkAdapterError(
      'HostConfig.NetworkMode',
      `is ${JSON.stringify(mode)} but the environment asks for Sluice network ${JSON.stringify(dockerNetwork)}: ` +
        `drop --network or the ${NETWORK_ENV}/${CIDR_ENV} variable`,
    );
  }
  const netConfig = (body.NetworkingConfig ?? {}) as Record<string, unknown>;
  const endpoints = (netConfig.EndpointsConfig ?? {}) as Record<string, unknown>;
  const given = endpoints[dockerNetwork] ?? endpoints[mode] ?? {};
  return {
    ...body,
    HostConfig: { ...host, NetworkMode: dockerNetwork },
    NetworkingConfig: { ...netConfig, EndpointsConfig: { [dockerNetwork]: given } },
  };
}

/** What the adapter needs of the agent (AgentClient's shape; a fake in unit tests). */
export interface NetworkAgent {
  networks: {
    get(name: string): Promise<unknown>;
    create(req: { name: string; subnet?: string; nat?: boolean }): Promise<unknown>;
  };
  /** The Docker network of the agent's plugin for a Sluice network (made when missing). */
  dockerNetwork(network: string): Promise<{ name: string }>;
}

/** Whether an agent error says "not found" / "name taken" (ApiError's `status`). */
const statusOf = (err: unknown): number | undefined =>
  typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : undefined;

/** Makes sure the wished network exists (creating it; a concurrent creator's network is fine); returns its name. */
export async function ensureNetwork(agent: NetworkAgent, wish: NetworkWish): Promise<string> {
  try {
    await agent.networks.get(wish.network);
    return wish.network;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  const req =
    wish.kind === 'cidr'
      ? { name: wish.network, subnet: wish.subnet }
      : wish.kind === 'default'
        ? { name: wish.network, nat: true } // Socketplane's default network had outbound NAT
        : { name: wish.network };
  try {
    await agent.networks.create(req);
  } catch (err) {
    // Another proxy or host created it at the same moment: use theirs. (A clash on subnet or VNI is an error.)
    if (statusOf(err) !== 409 || (err as { field?: unknown }).field !== 'name') throw err;
    await agent.networks.get(wish.network);
  }
  return wish.network;
}

const CREATE_PATH = /^(\/v\d+(\.\d+)?)?\/containers\/create(\?|$)/;

/**
 * The pre-hook: a create whose body asks for a network gets it; anything else passes unchanged. Throws
 * NetworkAdapterError (bad variable or clash) or the agent's error; the proxy reports either as this adapter's
 * failure, so `docker run` prints why.
 */
export async function networkPreHook(agent: NetworkAgent, req: ClientRequest): Promise<ClientRequest> {
  if (req.Method !== 'POST' || !CREATE_PATH.test(req.Request) || req.Body === null) return req;
  let body: unknown;
  try {
    body = JSON.parse(req.Body);
  } catch {
    return req; // not ours to judge: dockerd answers a bad body itself
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return req;
  const wish = networkWish((body as Record<string, unknown>).Env);
  if (wish === undefined) return req;
  // The agent names the Docker network after the Sluice network: a clashing --network is refused here,
  // before anything is created.
  joinDockerNetwork(body as Record<string, unknown>, wish.network);
  const network = await ensureNetwork(agent, wish);
  const { name } = await agent.dockerNetwork(network);
  return { ...req, Body: JSON.stringify(joinDockerNetwork(body as Record<string, unknown>, name)) };
}

/**
 * The adapter served in-process as `builtin:network`. Its refusals (a bad variable, a clashing --network, the
 * agent refusing the network: overlap, VNI) reach the docker CLI as 400/409 with the reason; an agent that
 * cannot be reached is this adapter's failure (502), naming the agent's address.
 */
export function networkAdapter(agent: NetworkAgent): Adapter {
  return createAdapter({ pre: (req) => networkPreHook(agent, req) });
}
