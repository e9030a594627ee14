/**
 * The agent's configuration (`sluice agent`'s flags and environment, resolved) and its validation: every
 * error is a FieldError naming the config field (`underlay.ip`, `api.port`...); the CLI maps the field back
 * to its flag (AGENT_CONFIG_FLAGS).
 */
import { isIP } from 'node:net';
import { isLoopbackHost } from '../api/auth.js';
import type { LogFormat, LogLevel } from '../daemon/log.js';
import type { StoreConfig } from '../store/index.js';
import { FieldError, parseIntIn, parseIpv4 } from '../util/index.js';
import { AGENT_DEFAULT_API_PORT } from './types.js';

export const AGENT_DEFAULTS = {
  /** Not the controller's ./.data: an agent and a controller on one host must not share a database. */
  dataDir: '/var/lib/sluice-agent',
  listen: '127.0.0.1',
  apiPort: AGENT_DEFAULT_API_PORT,
  ovsdb: 'unix:/var/run/openvswitch/db.sock',
  bridge: 'sluice0',
  docker: 'unix:///var/run/docker.sock',
  pluginSocket: '/run/docker/plugins/sluice.sock',
  /** The embedded controller's loopback OpenFlow port (not the controller's 6653, which may run here too). */
  openflowPort: 6654,
} as const;

export interface AgentConfig {
  /** This host's id in the store (`/agent/hosts/<id>`); default: the host name. */
  hostId: string;
  store: StoreConfig;
  api: {
    listen: string;
    /** 0 picks a free port (tests). */
    port: number;
    /** Bearer token every request must carry; required when `listen` is not a loopback address. */
    token?: string;
  };
  /** The VTEP: the address peers send VXLAN to, and the interface that has it. */
  underlay: { ip: string; iface: string };
  /** OVSDB remote as ovs-vsctl --db takes it (unix:PATH, tcp:HOST:PORT). */
  ovsdb: { remote: string };
  /** The integration bridge the agent creates and programs. */
  bridge: string;
  /** dockerd's API socket (the CLI takes it as DOCKER_HOST spells it, unix:///path). */
  docker: { socketPath: string };
  /** Where the Docker network/IPAM plugin listens (dockerd discovers plugins in /run/docker/plugins). */
  pluginSocket: string;
  /** The embedded controller listens on 127.0.0.1:<openflowPort> for this host's bridge only. */
  openflowPort: number;
  log: { level: LogLevel; format: LogFormat };
  version: string;
}

/** Which command-line flag sets each config field (for errors the user can act on). */
export const AGENT_CONFIG_FLAGS: Readonly<Record<string, string>> = {
  hostId: '--host-id',
  'store.dataDir': '--data-dir',
  'store.endpoints': '--etcd-endpoints',
  'store.namespace': '--etcd-prefix',
  'api.listen': '--listen',
  'api.port': '--api-port',
  'api.token': '--api-token',
  'underlay.ip': '--underlay-ip',
  'underlay.iface': '--underlay-iface',
  'ovsdb.remote': '--ovsdb',
  bridge: '--bridge',
  'docker.socketPath': '--docker',
  pluginSocket: '--plugin-socket',
  openflowPort: '--openflow-port',
};

const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** A Linux interface name: at most 15 bytes, no '/', no whitespace, not '.' or '..'. */
const IFACE = /^[A-Za-z0-9_.:-]{1,15}$/;
/** OVS bridge names are interface names too (the bridge's local port). */
const BRIDGE = IFACE;
const OVSDB_REMOTE = /^(unix:\/.+|(tcp|ssl):[^\s]+:\d{1,5})$/;

/** One interface address as os.networkInterfaces() reports it. */
export interface IfaceAddress {
  address: string;
  family: string | number;
  internal: boolean;
}
export type Interfaces = Record<string, IfaceAddress[] | undefined>;

const isV4 = (a: IfaceAddress) => a.family === 'IPv4' || a.family === 4;

/**
 * The underlay from what was given: the IP's interface, or the interface's first IPv4 address, or (neither
 * given) the first non-loopback interface with one. Both given: they must agree.
 */
export function resolveUnderlay(
  given: { ip?: string; iface?: string },
  interfaces: Interfaces,
): { ip: string; iface: string } {
  if (given.ip !== undefined) parseIpv4('underlay.ip', given.ip);
  if (given.iface !== undefined && !IFACE.test(given.iface)) {
    throw new FieldError('underlay.iface', `'${given.iface}' is not an interface name`);
  }
  const names = Object.keys(interfaces);
  const v4 = (name: string) => (interfaces[name] ?? []).filter(isV4);
  if (given.iface !== undefined) {
    const addrs = interfaces[given.iface];
    if (addrs === undefined) {
      throw new FieldError(
        'underlay.iface',
        `no interface named ${given.iface} (have: ${names.join(', ') || 'none'})`,
      );
    }
    const first = v4(given.iface)[0];
    if (given.ip !== undefined) {
      if (!v4(given.iface).some((a) => a.address === given.ip)) {
        throw new FieldError('underlay.ip', `${given.ip} is not an address of ${given.iface}`);
      }
      return { ip: given.ip, iface: given.iface };
    }
    if (first === undefined) {
      throw new FieldError('underlay.iface', `${given.iface} has no IPv4 address`);
    }
    return { ip: first.address, iface: given.iface };
  }
  if (given.ip !== undefined) {
    const owner = names.find((n) => v4(n).some((a) => a.address === given.ip));
    if (owner === undefined) {
      throw new FieldError('underlay.ip', `no interface of this host has the address ${given.ip}`);
    }
    return { ip: given.ip, iface: owner };
  }
  for (const n of names) {
    const a = v4(n).find((x) => !x.internal);
    if (a) return { ip: a.address, iface: n };
  }
  throw new FieldError(
    'underlay.ip',
    'no interface with an IPv4 address other than loopback: give --underlay-ip or --underlay-iface',
  );
}

/** Checks a whole config (the CLI builds one; tests and the lead's code may too). Returns it unchanged. */
export function validateAgentConfig(c: AgentConfig): AgentConfig {
  if (!HOST_ID.test(c.hostId)) {
    throw new FieldError(
      'hostId',
      `'${c.hostId}' must be 1..63 letters, digits, '_', '.', '-', starting with a letter or digit`,
    );
  }
  if (c.store.backend === 'embedded' && c.store.dataDir.trim() === '') {
    throw new FieldError('store.dataDir', 'must not be empty');
  }
  if (c.store.backend === 'etcd' && c.store.endpoints.length === 0) {
    throw new FieldError('store.endpoints', 'needs at least one etcd client URL');
  }
  if (isIP(c.api.listen) === 0 && !/^[A-Za-z0-9.-]+$/.test(c.api.listen)) {
    throw new FieldError('api.listen', `'${c.api.listen}' is not an IP address or host name`);
  }
  parseIntIn('api.port', c.api.port, 0, 65535);
  if (c.api.token !== undefined && c.api.token.length < 8) {
    throw new FieldError('api.token', 'must be at least 8 characters');
  }
  if (c.api.token === undefined && !isLoopbackHost(c.api.listen)) {
    // The API attaches containers and deletes networks: never open to the network unguarded.
    throw new FieldError(
      'api.token',
      `is required to serve the API on ${c.api.listen} (not a loopback address); or listen on 127.0.0.1`,
    );
  }
  parseIpv4('underlay.ip', c.underlay.ip);
  if (!IFACE.test(c.underlay.iface)) {
    throw new FieldError('underlay.iface', `'${c.underlay.iface}' is not an interface name`);
  }
  if (!OVSDB_REMOTE.test(c.ovsdb.remote)) {
    throw new FieldError(
      'ovsdb.remote',
      `'${c.ovsdb.remote}' is not an OVSDB remote (unix:PATH, tcp:HOST:PORT, ssl:HOST:PORT)`,
    );
  }
  if (!BRIDGE.test(c.bridge)) {
    throw new FieldError('bridge', `'${c.bridge}' is not a bridge name (1..15 letters, digits, _ . : -)`);
  }
  if (!c.docker.socketPath.startsWith('/')) {
    throw new FieldError('docker.socketPath', `'${c.docker.socketPath}' must be an absolute path`);
  }
  if (!c.pluginSocket.startsWith('/') || !c.pluginSocket.endsWith('.sock')) {
    throw new FieldError('pluginSocket', `'${c.pluginSocket}' must be an absolute path ending in .sock`);
  }
  parseIntIn('openflowPort', c.openflowPort, 1, 65535);
  if (c.openflowPort === c.api.port) {
    throw new FieldError('openflowPort', `${c.openflowPort} is also the API port`);
  }
  return c;
}
