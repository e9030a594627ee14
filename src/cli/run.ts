/**
 * The `sluice` program. Exit codes: 0 ok, 1 the operation failed (API error, controller unreachable),
 * 2 bad command line.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ApiError, ConnectionError, SluiceClient, type HostFilter } from '../client/node.js';
import { dpidArg, ipv4Arg, macArg, tcpPortArg, vlanArg } from './args.js';
import { addApiOptions, clientOptionsFrom, tlsAdvice, type QueryOptions } from './connection.js';
import {
  agentCommand,
  agentConfigFrom,
  type AgentCliOptions,
  type AgentConfig,
  type AgentHostFacts,
} from './agent.js';
import { controllerCommand, daemonConfigFrom, type ControllerCliOptions } from './controller.js';
import { proxyCommand, proxyConfigFrom, type ProxyCliOptions } from './proxy.js';
import type { ProxyDaemonConfig } from '../proxy/daemon.js';
import type { Executor } from '../provision/index.js';
import type { NodeDescription } from '../schema/index.js';
import { flowsText, hostsText, linksText, portRatesText, portsText, switchesText } from './output.js';
import { aclVerbs, firewallVerbs } from './firewall.js';
import { hostawareVerbs } from './hostaware.js';
import { nodeVerbs } from './node.js';
import { nodeProvisionVerbs } from './nodeprovision.js';
import { ExitCode, networkVerbs, type Exec } from './network.js';
import { addProxyCheck } from './proxycheck.js';
import { qosVerbs } from './qos.js';
import { staticflowVerbs } from './staticflow.js';

export { DEFAULT_API, type QueryOptions } from './connection.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  now: () => number;
  stderrIsTty: boolean;
  /** Runs the daemon until a stop signal (injected so tests never start one). */
  runController: (config: ReturnType<typeof daemonConfigFrom>) => Promise<void>;
  /** Runs the agent until a stop signal (injected likewise). */
  runAgent: (config: AgentConfig) => Promise<void>;
  /** Runs the Docker API proxy until a stop signal (injected likewise). */
  runProxy?: (config: ProxyDaemonConfig) => Promise<void>;
  /** The host name and interfaces `sluice agent` defaults from (tests inject them). */
  agentHost?: AgentHostFacts;
  /** Runs docker for `sluice run` with the terminal passed through (default: spawn). */
  exec?: Exec;
  /** Whether a file exists (which docker binary to run; default: fs.existsSync). */
  exists?: (path: string) => boolean;
  /** All of standard input (--password-stdin); default none: such flags are refused. */
  readStdin?: () => Promise<string>;
  /** Where `node provision` runs a node's commands (tests inject a scripted node); default as its access says. */
  nodeExecutor?: (node: NodeDescription) => Promise<Executor>;
  /** Asks the person at the terminal without echo (an SSH or sudo password); absent without a terminal. */
  askSecret?: (prompt: string) => Promise<string>;
  /** Ends verbs that run until stopped (`hostaware messages --follow`) cleanly; default none: Ctrl-C ends them. */
  signal?: AbortSignal;
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Text for an error the CLI reports (exit 1). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const field = err.field ? ` (field: ${err.field})` : '';
    return `error: ${err.error}: ${err.detail}${field}\n`;
  }
  if (err instanceof ConnectionError) {
    const apiUrl = err.baseUrl;
    const advice = tlsAdvice(err);
    if (advice) return `error: ${advice}\n`;
    if (err.socketCode === 'ECONNREFUSED' && err.server === 'agent') {
      return (
        `error: the Sluice agent is not running at ${apiUrl} (connection refused).\n` +
        `Start it on this host with \`sluice agent\` (add --api-port/--listen to match), or point --agent / SLUICE_AGENT at it.\n`
      );
    }
    if (err.socketCode === 'ECONNREFUSED') {
      return (
        `error: the Sluice controller is not running at ${apiUrl} (connection refused).\n` +
        `Start it with \`sluice controller\` (add --api-port/--listen to match), or point --api / SLUICE_API at it.\n`
      );
    }
    const what = err.server === 'agent' ? 'agent' : 'API';
    return `error: cannot reach the Sluice ${what} at ${apiUrl}: ${err.socketCode ?? err.message}\n`;
  }
  return `error: ${(err as Error).message ?? String(err)}\n`;
}

/** What a group of API verbs gets: the common options, a client for them, and the output switch. */
export interface VerbContext {
  io: CliIo;
  /** Adds --json and the connection options (--api, --token, --cacert, --cert, --key) to a command. */
  api(cmd: Command): Command;
  client(o: QueryOptions): SluiceClient;
  /** JSON with --json, else the human text. */
  print(o: QueryOptions, data: unknown, human: () => string): void;
}

export type VerbGroup = (program: Command, v: VerbContext) => void;

interface HostFlags {
  mac?: string;
  ip?: string;
  dpid?: string;
  port?: number;
  vlan?: number;
}

const DPID_ARG_HELP = 'switch DPID (00:00:00:00:00:00:00:01 or 0x1)';

/** switches, links, hosts, ports, bandwidth, flows. */
export const coreVerbs: VerbGroup = (program, v) => {
  const verb = (name: string, description: string) => v.api(program.command(name).description(description));
  const now = () => v.io.now();

  verb('switches', 'list connected switches').action(async (o: QueryOptions) => {
    const data = await v.client(o).switches();
    v.print(o, data, () => switchesText(data, now()));
  });
  verb('links', 'list links between switches').action(async (o: QueryOptions) => {
    const data = await v.client(o).links();
    v.print(o, data, () => linksText(data));
  });
  verb('hosts', 'list known hosts')
    .option('--mac <mac>', 'only this MAC address', macArg)
    .option('--ip <ipv4>', 'only this IPv4 address', ipv4Arg)
    .option('--dpid <dpid>', 'only hosts attached to this switch', dpidArg)
    .option('--port <port>', 'only hosts attached to this port', tcpPortArg)
    .option('--vlan <id>', 'only hosts seen on this VLAN (0 = untagged)', vlanArg)
    .action(async (o: QueryOptions & HostFlags) => {
      const filter: HostFilter = { mac: o.mac, ipv4: o.ip, dpid: o.dpid, port: o.port, vlan: o.vlan };
      const data = await v.client(o).hosts(filter);
      v.print(o, data, () => hostsText(data, now()));
    });
  verb('ports', 'list a switch’s ports with live counters')
    .argument('<dpid>', DPID_ARG_HELP, dpidArg)
    .action(async (dpid: string, o: QueryOptions) => {
      const data = await v.client(o).ports(dpid);
      v.print(o, data, () => portsText(data));
    });
  verb('bandwidth', 'port rates and utilisation from the port-statistics rounds (all switches, or one)')
    .argument('[dpid]', DPID_ARG_HELP, dpidArg)
    .action(async (dpid: string | undefined, o: QueryOptions) => {
      const data = await v.client(o).portRates(dpid);
      v.print(o, data, () =>
        data.length ? portRatesText(data, now()) : 'no port statistics yet (collected every few seconds)\n',
      );
    });
  verb('flows', 'dump a switch’s flow table (ovs-ofctl dump-flows syntax)')
    .argument('<dpid>', DPID_ARG_HELP, dpidArg)
    .action(async (dpid: string, o: QueryOptions) => {
      const data = await v.client(o).flows(dpid);
      v.print(o, data, () => flowsText(data));
    });
};

/** Verb groups in help order; app verbs (staticflows, firewall, qos...) are added here. */
export const VERB_GROUPS: VerbGroup[] = [
  coreVerbs,
  staticflowVerbs,
  firewallVerbs,
  aclVerbs,
  qosVerbs,
  hostawareVerbs,
  networkVerbs,
  nodeVerbs,
  // After nodeVerbs: it adds `provision` to the `node` group those make.
  nodeProvisionVerbs,
];

export function buildProgram(io: CliIo): Command {
  const program = new Command('sluice')
    .description('Sluice: SDN platform for Open vSwitch networks and container hosts')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    // `sluice run -n NET <docker run args>` passes what follows its own options to docker untouched.
    .enablePositionalOptions()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const version = packageVersion();
  const ctl = controllerCommand().action(async (opts: ControllerCliOptions) => {
    await io.runController(daemonConfigFrom(opts, io.env, io.stderrIsTty, version));
  });
  program.addCommand(ctl.copyInheritedSettings(program));
  const agent = agentCommand().action(async (opts: AgentCliOptions) => {
    await io.runAgent(agentConfigFrom(opts, io.env, io.stderrIsTty, version, io.agentHost));
  });
  program.addCommand(agent.copyInheritedSettings(program));
  // `sluice proxy` runs the Docker API proxy; `proxy check FILE` validates an adapters.yml (proxycheck.ts).
  const proxy = proxyCommand()
    .action(async (opts: ProxyCliOptions) => {
      const config = proxyConfigFrom(opts, io.env, io.stderrIsTty);
      if (!io.runProxy) throw new Error('this build cannot run the proxy');
      await io.runProxy(config);
    })
    .copyInheritedSettings(program);
  addProxyCheck(proxy, io);
  program.addCommand(proxy);

  const verbs: VerbContext = {
    io,
    api: (cmd) => addApiOptions(cmd, io.env),
    client: (o) => new SluiceClient(clientOptionsFrom(o, io.env)),
    print: (o, data, human) => io.stdout(o.json ? JSON.stringify(data, null, 2) + '\n' : human()),
  };
  for (const register of VERB_GROUPS) register(program, verbs);
  return program;
}

/** Runs one command line (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let program: Command;
  try {
    program = buildProgram(io);
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    // Checked first: InvalidArgumentError is a CommanderError, and one reaching here was thrown by an action
    // (options that do not go together), so commander has not printed it.
    if (err instanceof InvalidArgumentError) {
      io.stderr(`error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ExitCode) return err.code;
    if (err instanceof CommanderError) {
      // Help and version "errors" are normal exits; everything else commander raises is a usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    io.stderr(errorText(err));
    return 1;
  }
}
