/**
 * Container-network verbs, Socketplane's CLI done over the agent's API (127.0.0.1:6675 by default, or --agent
 * / SLUICE_AGENT): `network create|list|info|delete|hosts`, `attach`, `detach`, `info` and `run -n NET <docker
 * run args>`. The agent validates what it is given and names the field; here only the command line's own
 * syntax is checked (exit 2), and `run` hands the terminal to docker and exits with docker's code.
 */
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { InvalidArgumentError, type Command } from 'commander';
import {
  AgentClient,
  DEFAULT_AGENT_URL,
  type AgentEndpoint,
  type AgentHost,
  type AgentNetwork,
  type NetworkCreate,
} from '../client/node.js';
import { apiUrlArg, intArg, ipv4Arg } from './args.js';
import { ago, formatTable, keyValueText } from './table.js';
import type { VerbContext, VerbGroup } from './run.js';

export interface AgentVerbOptions {
  json?: boolean;
  agent: string;
  token?: string;
}

/** Runs a program with the terminal passed through; resolves to its exit code. */
export type Exec = (
  file: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
) => Promise<number>;

/** The Debian docker CLI first: /usr/local/bin/docker on this kind of machine is an unrelated newer client. */
export const DOCKER_BINARIES = ['/usr/bin/docker', 'docker'] as const;

export const realExec: Exec = (file, args, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new Error(`${file} not found: install the docker CLI or put it on PATH`)
          : err,
      ),
    );
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });

const signalNumber = (s: NodeJS.Signals): number =>
  ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 })[s as string] ?? 1;

/** `/usr/bin/docker` when it exists, else `docker` on PATH. */
export function dockerBinary(exists: (p: string) => boolean = existsSync): string {
  return exists(DOCKER_BINARIES[0]) ? DOCKER_BINARIES[0] : DOCKER_BINARIES[1];
}

/** The process exits with this code (docker's, for `sluice run`). */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'ExitCode';
  }
}

/** `k=v` -> [k, v]; repeatable into one object. */
export function labelArg(text: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`'${text}' is not KEY=VALUE (e.g. team=web).`);
  const key = text.slice(0, eq);
  if (previous && key in previous) throw new InvalidArgumentError(`label '${key}' is given twice.`);
  return { ...previous, [key]: text.slice(eq + 1) };
}

/** --agent's default: SLUICE_AGENT (checked, naming it), else the local agent. */
export function agentDefault(env: Record<string, string | undefined>): string {
  if (!env.SLUICE_AGENT) return DEFAULT_AGENT_URL;
  try {
    return apiUrlArg(env.SLUICE_AGENT);
  } catch (e) {
    throw new InvalidArgumentError(`SLUICE_AGENT: ${(e as Error).message}`);
  }
}

// ---- human output (pure)

const labelsText = (labels: Record<string, string>, sep: string) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(sep) || '-';

const natText = (n: AgentNetwork) => (n.nat ? 'yes' : 'no');

export function networksText(nets: readonly AgentNetwork[]): string {
  return formatTable(
    ['network', 'subnet', 'gateway', 'vni', 'mtu', 'nat', 'labels'],
    nets.map((n) => [
      n.name,
      n.subnet,
      n.gateway,
      String(n.vni),
      String(n.mtu),
      natText(n),
      labelsText(n.labels, ','),
    ]),
  );
}

export function networkInfoText(n: AgentNetwork, endpoints: readonly AgentEndpoint[]): string {
  const rows: [string, string][] = [
    ['Name', n.name],
    ['Id', n.id],
    ['Subnet', n.subnet],
    ['Gateway', n.gateway],
    ['VNI', String(n.vni)],
    ['MTU', String(n.mtu)],
    ['NAT', natText(n)],
    ['Labels', labelsText(n.labels, ', ')],
    ['Endpoints', String(endpoints.length)],
  ];
  return keyValueText(rows);
}

export function agentsText(hosts: readonly AgentHost[], nowMs: number): string {
  return formatTable(
    ['host', 'hostname', 'underlay', 'bridge', 'version', 'started'],
    hosts.map((h) => [
      h.id,
      h.hostname,
      h.underlayIp,
      h.bridge,
      h.version,
      ago(Date.parse(h.startedAt), nowMs),
    ]),
  );
}

export function endpointsText(eps: readonly AgentEndpoint[]): string {
  return formatTable(
    ['container', 'network', 'address', 'mac', 'interface', 'host', 'host iface'],
    eps.map((e) => [
      e.containerName ?? e.containerId.slice(0, 12),
      e.network,
      e.cidr,
      e.mac,
      e.ifname,
      e.host,
      e.hostIface,
    ]),
  );
}

interface CreateOptions extends AgentVerbOptions {
  gateway?: string;
  vni?: number;
  mtu?: number;
  label?: Record<string, string>;
  nat?: boolean;
}

interface RunOptions extends AgentVerbOptions {
  network: string;
  ip?: string;
  dockerHost?: string;
}

/** `network ...`, `attach`, `detach`, `info` and `run`. */
export const networkVerbs: VerbGroup = (program, v: VerbContext) => {
  const env = v.io.env;
  const withAgent = (cmd: Command) =>
    cmd
      .option('--json', 'print the agent’s response as JSON')
      .option('--agent <url>', `Sluice agent API base URL (env SLUICE_AGENT)`, apiUrlArg, agentDefault(env))
      .option('--token <token>', 'agent API bearer token (env SLUICE_AGENT_TOKEN)', env.SLUICE_AGENT_TOKEN);
  const client = (o: AgentVerbOptions) =>
    new AgentClient({ baseUrl: o.agent, ...(o.token ? { token: o.token } : {}) });
  const print = (o: AgentVerbOptions, data: unknown, human: () => string) =>
    v.io.stdout(o.json ? JSON.stringify(data, null, 2) + '\n' : human());

  const net = program
    .command('network')
    .description('container networks across hosts (the agent’s API: --agent, SLUICE_AGENT)');
  withAgent(net.command('create').description('create a network (without CIDR: a default subnet)'))
    .argument('<name>', 'network name')
    .argument('[cidr]', 'subnet, e.g. 10.2.0.0/16 (default: a /16 that avoids this host’s routes)')
    .option('--gateway <ipv4>', 'gateway address (default: the first of the subnet)', ipv4Arg)
    .option('--vni <n>', 'VXLAN network id (default: the lowest free)', intArg('a VNI', 1, 16_777_215))
    .option('--mtu <n>', 'MTU of the endpoints (default 1450, sized for VXLAN)', intArg('an MTU', 576, 9000))
    .option('--label <k=v>', 'a label, repeatable', labelArg)
    .option('--nat', 'outbound NAT: containers reach beyond the overlay through the gateway')
    .action(async (name: string, cidr: string | undefined, o: CreateOptions) => {
      const req: NetworkCreate = {
        name,
        ...(cidr === undefined ? {} : { subnet: cidr }),
        ...(o.gateway === undefined ? {} : { gateway: o.gateway }),
        ...(o.vni === undefined ? {} : { vni: o.vni }),
        ...(o.mtu === undefined ? {} : { mtu: o.mtu }),
        ...(o.label === undefined ? {} : { labels: o.label }),
        ...(o.nat ? { nat: true } : {}),
      };
      const made = await client(o).networks.create(req);
      print(o, made, () => networksText([made]));
    });
  withAgent(net.command('list').alias('ls').description('list networks')).action(
    async (o: AgentVerbOptions) => {
      const data = await client(o).networks.list();
      print(o, data, () => networksText(data));
    },
  );
  withAgent(net.command('info').description('show a network and how many endpoints it has'))
    .argument('<name>', 'network name')
    .action(async (name: string, o: AgentVerbOptions) => {
      const c = client(o);
      const n = await c.networks.get(name);
      const eps = await c.endpoints.list({ network: name });
      print(o, { ...n, endpoints: eps }, () => networkInfoText(n, eps));
    });
  withAgent(
    net.command('delete').alias('rm').description('delete a network (refused while it has endpoints)'),
  )
    .argument('<name>', 'network name')
    .option('--force', 'delete even while containers are attached')
    .action(async (name: string, o: AgentVerbOptions & { force?: boolean }) => {
      await client(o).networks.delete(name, { force: o.force === true });
      print(o, { deleted: name }, () => `${name}\n`);
    });
  withAgent(net.command('hosts').description('list the live agents (container hosts)')).action(
    async (o: AgentVerbOptions) => {
      const data = await client(o).agents();
      print(o, data, () => agentsText(data, v.io.now()));
    },
  );

  withAgent(program.command('attach').description('attach a running container to a network'))
    .argument('<container>', 'container id or name')
    .argument('<network>', 'network name')
    .option('--ip <ipv4>', 'a static address in the network’s subnet', ipv4Arg)
    .option('--ifname <name>', 'interface name in the container (default eth0)')
    .action(
      async (container: string, network: string, o: AgentVerbOptions & { ip?: string; ifname?: string }) => {
        const ep = await client(o).endpoints.attach(container, network, {
          ...(o.ip ? { address: o.ip } : {}),
          ...(o.ifname ? { ifname: o.ifname } : {}),
        });
        print(o, ep, () => endpointsText([ep]));
      },
    );
  withAgent(program.command('detach').description('detach a container from a network, or from all'))
    .argument('<container>', 'container id or name')
    .argument('[network]', 'network name (default: every network)')
    .action(async (container: string, network: string | undefined, o: AgentVerbOptions) => {
      const { removed } = await client(o).endpoints.detach(container, network);
      print(o, { removed }, () => endpointsText(removed));
    });
  withAgent(program.command('info').description('endpoints of every container, or of one'))
    .argument('[container]', 'container id or name')
    .action(async (container: string | undefined, o: AgentVerbOptions) => {
      const data = await client(o).endpoints.list(container === undefined ? {} : { container });
      print(o, data, () => endpointsText(data));
    });

  withAgent(
    program
      .command('run')
      .description('docker run on a Sluice network: the container’s program starts with its interface up')
      .usage('-n NET [--ip A] [options] <docker run args...>')
      .requiredOption('-n, --network <net>', 'Sluice network to run the container on')
      .option('--ip <ipv4>', 'a static address in the network’s subnet', ipv4Arg)
      .option('--docker-host <url>', 'dockerd for the docker CLI (default: env DOCKER_HOST)')
      .argument('<docker-args...>', 'what `docker run` takes: [options] IMAGE [COMMAND] [ARG...]')
      .passThroughOptions()
      .allowUnknownOption(),
  ).action(async (args: string[], o: RunOptions) => {
    const { name } = await client(o).dockerNetwork(o.network);
    const exec = v.io.exec ?? realExec;
    const dockerEnv = { ...env, ...(o.dockerHost ? { DOCKER_HOST: o.dockerHost } : {}) };
    const ip = o.ip ? ['--ip', o.ip] : [];
    const code = await exec(dockerBinary(v.io.exists), ['run', '--network', name, ...ip, ...args], dockerEnv);
    if (code !== 0) throw new ExitCode(code);
  });
};
