/** `sluice agent`: options -> AgentConfig (pure but for the injected interface list), then run until a signal. */
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { dockerSocketFromEnv } from '../agent/docker.js';
import {
  AGENT_CONFIG_FLAGS,
  AGENT_DEFAULTS,
  resolveUnderlay,
  validateAgentConfig,
  type AgentConfig,
  type Interfaces,
} from '../agent/config.js';
import type { LogFormat, LogLevel } from '../daemon/levels.js';
import { FieldError } from '../util/index.js';
import { hostArg, intArg, ipv4Arg, tcpPortArg } from './args.js';
import {
  addLogOptions,
  addStoreOptions,
  ovsdbRemoteArg,
  storeConfigFrom,
  type StoreKind,
} from './controller.js';

export interface AgentCliOptions {
  store: StoreKind;
  dataDir?: string;
  etcdEndpoints?: string[];
  etcdPrefix?: string;
  apiPort: number;
  listen: string;
  apiToken?: string;
  underlayIp?: string;
  underlayIface?: string;
  ovsdb: string;
  bridge: string;
  hostId?: string;
  docker?: string;
  pluginSocket: string;
  openflowPort: number;
  logLevel: LogLevel;
  logFormat?: LogFormat;
}

/** What the config needs of the machine (injected so tests need no real interfaces). */
export interface AgentHostFacts {
  hostname: () => string;
  interfaces: () => Interfaces;
}

export const REAL_HOST_FACTS: AgentHostFacts = {
  hostname: osHostname,
  interfaces: () => networkInterfaces() as Interfaces,
};

/**
 * Flags, then environment (SLUICE_AGENT_TOKEN, SLUICE_ETCD_ENDPOINTS, DOCKER_HOST), then defaults. Throws
 * InvalidArgumentError naming the flag (or variable) at fault.
 */
export function agentConfigFrom(
  o: AgentCliOptions,
  env: Record<string, string | undefined>,
  stderrIsTty: boolean,
  version: string,
  facts: AgentHostFacts = REAL_HOST_FACTS,
): AgentConfig {
  const token = o.apiToken ?? env.SLUICE_AGENT_TOKEN;
  try {
    const socketPath = dockerSocketFromEnv({
      DOCKER_HOST: o.docker ?? env.DOCKER_HOST ?? AGENT_DEFAULTS.docker,
    });
    const underlay = resolveUnderlay({ ip: o.underlayIp, iface: o.underlayIface }, facts.interfaces());
    return validateAgentConfig({
      hostId: o.hostId ?? facts.hostname(),
      store: storeConfigFrom(o, env, AGENT_DEFAULTS.dataDir, 'agent'),
      api: { listen: o.listen, port: o.apiPort, ...(token ? { token } : {}) },
      underlay,
      ovsdb: { remote: o.ovsdb },
      bridge: o.bridge,
      docker: { socketPath },
      pluginSocket: o.pluginSocket,
      openflowPort: o.openflowPort,
      log: { level: o.logLevel, format: o.logFormat ?? (stderrIsTty ? 'pretty' : 'json') },
      version,
    });
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    throw new InvalidArgumentError(`${flagOf(e.field, o, env)}: ${e.reason}.`);
  }
}

/** The flag a config field came from, or the environment variable when the flag was not given. */
function flagOf(field: string, o: AgentCliOptions, env: Record<string, string | undefined>): string {
  if (field === 'hostId' && o.hostId === undefined) return '--host-id (default: the host name)';
  if (field === 'api.token' && o.apiToken === undefined) {
    return env.SLUICE_AGENT_TOKEN ? 'SLUICE_AGENT_TOKEN' : '--api-token (env SLUICE_AGENT_TOKEN)';
  }
  if (field === 'DOCKER_HOST' || field === 'docker.socketPath') {
    return o.docker === undefined && env.DOCKER_HOST ? 'DOCKER_HOST' : '--docker';
  }
  return AGENT_CONFIG_FLAGS[field] ?? field;
}

/** The command's options (its action is attached by the caller, which owns process signals). */
export function agentCommand(): Command {
  const cmd = new Command('agent')
    .description(
      'run the container-network agent of this host (bridge, VXLAN mesh, IPAM, Docker plugin, REST API) until SIGINT/SIGTERM',
    )
    .option('--api-port <port>', 'REST API port (Socketplane’s)', tcpPortArg, AGENT_DEFAULTS.apiPort)
    .option(
      '--listen <addr>',
      'REST API listen address (non-loopback needs --api-token)',
      hostArg,
      AGENT_DEFAULTS.listen,
    )
    .option('--api-token <token>', 'bearer token the API requires (env SLUICE_AGENT_TOKEN)');
  return addLogOptions(addStoreOptions(cmd, AGENT_DEFAULTS.dataDir))
    .option(
      '--underlay-ip <ipv4>',
      'this host’s VTEP address, which peers send VXLAN to (default: the address of --underlay-iface)',
      ipv4Arg,
    )
    .option(
      '--underlay-iface <name>',
      'interface of the underlay (default: the one that has --underlay-ip, else the first non-loopback)',
    )
    .option(
      '--ovsdb <remote>',
      `OVSDB of this host: unix:PATH, tcp:HOST:PORT (default ${AGENT_DEFAULTS.ovsdb})`,
      ovsdbRemoteArg,
      AGENT_DEFAULTS.ovsdb,
    )
    .option('--bridge <name>', 'integration bridge the agent creates and programs', AGENT_DEFAULTS.bridge)
    .option('--host-id <id>', 'this host’s id among the agents (default: the host name)')
    .option(
      '--docker <url>',
      `dockerd API socket, unix:///PATH (env DOCKER_HOST; default ${AGENT_DEFAULTS.docker})`,
    )
    .option(
      '--plugin-socket <path>',
      'socket of the Docker network and IPAM plugin',
      AGENT_DEFAULTS.pluginSocket,
    )
    .option(
      '--openflow-port <port>',
      'loopback port of the embedded controller the bridge connects to',
      intArg('a TCP port', 1, 65535),
      AGENT_DEFAULTS.openflowPort,
    );
}

export type { AgentConfig };
