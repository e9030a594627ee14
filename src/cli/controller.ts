/** `sluice controller`: options -> DaemonConfig (pure), then run until SIGINT/SIGTERM. */
import { Command, InvalidArgumentError, Option } from 'commander';
// Leaf modules, not the packages' index.ts: they carry the daemon, OVSDB and etcd clients, which a CLI verb
// does not need and which would make every `sluice ...` start slowly (see main.ts).
import type { DaemonConfig } from '../daemon/index.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../daemon/levels.js';
import { parseRemote } from '../ovsdb/remote.js';
import { ETCD_DEFAULT_NAMESPACE, validateEtcdEndpoints, validateEtcdNamespace } from '../store/etcdconfig.js';
import { StoreError } from '../store/errors.js';
import type { StoreConfig } from '../store/index.js';
import { hostArg, tcpPortArg, tcpPortListArg } from './args.js';
import { clusterNameProblem } from '../cluster/keys.js';

export const DEFAULT_OPENFLOW_PORTS = [6653, 6633];
export const DEFAULT_DATA_DIR = './.data';
export const DEFAULT_ETCD_ENDPOINTS = ['http://127.0.0.1:2379'];
export const STORE_KINDS = ['embedded', 'etcd'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface ControllerCliOptions {
  openflowPort?: number[];
  openflowListen: string;
  apiPort: number;
  listen: string;
  apiToken?: string;
  store: StoreKind;
  /** Left undefined when not given, so a --data-dir that --store etcd would ignore can be refused. */
  dataDir?: string;
  etcdEndpoints?: string[];
  etcdPrefix?: string;
  logLevel: LogLevel;
  logFormat?: LogFormat;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  apiTlsCert?: string;
  apiTlsKey?: string;
  apiTlsCa?: string;
  ovsdb?: string;
  nodesListen?: string;
  nodesOvsdbPort?: number;
  nodesOpenflowPort?: number;
  clusterId?: string;
  memberId?: string;
}

export const DEFAULT_NODES_OVSDB_PORT = 6640;
export const DEFAULT_NODES_OPENFLOW_PORT = 6653;

/** Throws InvalidArgumentError naming the flag when TLS flags come incomplete. */
export function daemonConfigFrom(
  o: ControllerCliOptions,
  env: Record<string, string | undefined>,
  stderrIsTty: boolean,
  version: string,
): DaemonConfig {
  const ofTls = [o.tlsCert, o.tlsKey, o.tlsCa];
  if (ofTls.some(Boolean) && !ofTls.every(Boolean)) {
    throw new InvalidArgumentError(
      '--tls-cert, --tls-key and --tls-ca go together (switch TLS needs all three).',
    );
  }
  if (Boolean(o.apiTlsCert) !== Boolean(o.apiTlsKey) || (o.apiTlsCa && !o.apiTlsCert)) {
    throw new InvalidArgumentError('--api-tls-cert and --api-tls-key go together (--api-tls-ca needs both).');
  }
  const token = o.apiToken ?? env.SLUICE_API_TOKEN;
  const store = storeConfigFrom(o, env, DEFAULT_DATA_DIR, 'controller');
  const openflowPorts = [...new Set(o.openflowPort ?? DEFAULT_OPENFLOW_PORTS)];
  const nodes = nodesConfigFrom(o, openflowPorts);
  const cluster = clusterConfigFrom(o);
  return {
    openflow: {
      listen: o.openflowListen,
      ports: openflowPorts,
      ...(o.tlsCert && o.tlsKey && o.tlsCa
        ? { tls: { certFile: o.tlsCert, keyFile: o.tlsKey, caFile: o.tlsCa } }
        : {}),
    },
    api: {
      listen: o.listen,
      port: o.apiPort,
      ...(token ? { token } : {}),
      ...(o.apiTlsCert && o.apiTlsKey
        ? {
            tls: {
              certFile: o.apiTlsCert,
              keyFile: o.apiTlsKey,
              ...(o.apiTlsCa ? { caFile: o.apiTlsCa } : {}),
            },
          }
        : {}),
    },
    store,
    ...(nodes ? { nodes } : {}),
    ...(o.ovsdb ? { ovsdb: { remote: o.ovsdb } } : {}),
    log: { level: o.logLevel, format: o.logFormat ?? (stderrIsTty ? 'pretty' : 'json') },
    version,
    ...(cluster ? { cluster } : {}),
  };
}

/** --cluster-id needs the shared store (members find each other there); --member-id needs --cluster-id. */
function clusterConfigFrom(o: ControllerCliOptions): DaemonConfig['cluster'] {
  if (o.clusterId === undefined) {
    if (o.memberId !== undefined) {
      throw new InvalidArgumentError(
        '--member-id needs --cluster-id ID (it names this member in that cluster).',
      );
    }
    return undefined;
  }
  if (o.store !== 'etcd') {
    throw new InvalidArgumentError(
      `--cluster-id needs --store etcd (members of a cluster share one etcd prefix; this controller uses --store ${o.store}).`,
    );
  }
  return { id: o.clusterId, ...(o.memberId !== undefined ? { memberId: o.memberId } : {}) };
}

/** A cluster or member name: letters, digits, '.', '_' and '-', up to 63. */
export function clusterNameArg(text: string): string {
  const problem = clusterNameProblem(text);
  if (problem) throw new InvalidArgumentError(`'${text}' ${problem} (expected a name like prod-1).`);
  return text;
}

/** Whether two listen addresses can be the same socket address (a wildcard takes every address of its kind). */
function overlaps(a: string, b: string): boolean {
  const wild = (h: string) => h === '0.0.0.0' || h === '::';
  return (
    a === b || (wild(a) && (a === '::' || !b.includes(':'))) || (wild(b) && (b === '::' || !a.includes(':')))
  );
}

/**
 * --nodes-listen and its ports, refused when they would take a port another listener of this controller binds
 * on the same address (the plain OpenFlow listener's 6653 is the nodes' default too).
 */
function nodesConfigFrom(o: ControllerCliOptions, openflowPorts: number[]): DaemonConfig['nodes'] {
  if (o.nodesListen === undefined) {
    const stray = o.nodesOvsdbPort !== undefined ? '--nodes-ovsdb-port' : '--nodes-openflow-port';
    if (o.nodesOvsdbPort !== undefined || o.nodesOpenflowPort !== undefined) {
      throw new InvalidArgumentError(
        `${stray} needs --nodes-listen ADDR (the node listeners are off without it).`,
      );
    }
    return undefined;
  }
  const nodes = {
    listen: o.nodesListen,
    ovsdbPort: o.nodesOvsdbPort ?? DEFAULT_NODES_OVSDB_PORT,
    openflowPort: o.nodesOpenflowPort ?? DEFAULT_NODES_OPENFLOW_PORT,
  };
  const taken: [string, string, number][] = [
    ...openflowPorts.map((p): [string, string, number] => ['--openflow-port', o.openflowListen, p]),
    ['--api-port', o.listen, o.apiPort],
  ];
  const wanted: [string, number][] = [
    ['--nodes-ovsdb-port', nodes.ovsdbPort],
    ['--nodes-openflow-port', nodes.openflowPort],
  ];
  if (nodes.ovsdbPort !== 0 && nodes.ovsdbPort === nodes.openflowPort) {
    throw new InvalidArgumentError(
      `--nodes-ovsdb-port and --nodes-openflow-port are both ${nodes.ovsdbPort}: give them different ports.`,
    );
  }
  for (const [flag, port] of wanted) {
    const clash = taken.find(([, host, p]) => port !== 0 && p === port && overlaps(host, nodes.listen));
    if (clash) {
      const [otherFlag, host] = clash;
      throw new InvalidArgumentError(
        `${flag} ${port} on --nodes-listen ${nodes.listen} would take the port of ${otherFlag} ${port} on ${host}: ` +
          `give the node listener another port (e.g. ${flag} ${port + 1}) or another address.`,
      );
    }
  }
  return nodes;
}

/**
 * The store section from --store and the flags of that backend; a flag of the other backend is refused rather
 * than silently ignored. SLUICE_ETCD_ENDPOINTS is read (and checked) only for --store etcd.
 */
export function storeConfigFrom(
  o: Pick<ControllerCliOptions, 'store' | 'dataDir' | 'etcdEndpoints' | 'etcdPrefix'>,
  env: Record<string, string | undefined>,
  defaultDataDir: string,
  who: 'controller' | 'agent',
): StoreConfig {
  const otherBackendFlags: [string, unknown][] =
    o.store === 'etcd'
      ? [['--data-dir', o.dataDir]]
      : [
          ['--etcd-endpoints', o.etcdEndpoints],
          ['--etcd-prefix', o.etcdPrefix],
        ];
  for (const [flag, value] of otherBackendFlags) {
    if (value !== undefined) {
      const other = o.store === 'etcd' ? 'embedded' : 'etcd';
      throw new InvalidArgumentError(
        `${flag} is only used with --store ${other} (this ${who} uses --store ${o.store}).`,
      );
    }
  }
  if (o.store === 'embedded') return { backend: 'embedded', dataDir: o.dataDir ?? defaultDataDir };
  const fromEnv = env.SLUICE_ETCD_ENDPOINTS;
  const endpoints =
    o.etcdEndpoints ??
    (fromEnv !== undefined
      ? named('SLUICE_ETCD_ENDPOINTS', () => etcdEndpointsArg(fromEnv, undefined))
      : undefined);
  return {
    backend: 'etcd',
    endpoints: endpoints ?? DEFAULT_ETCD_ENDPOINTS,
    namespace: o.etcdPrefix ?? ETCD_DEFAULT_NAMESPACE,
  };
}

/** Prefixes a value parser's error with where the value came from (an environment variable). */
function named<T>(where: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new InvalidArgumentError(`${where}: ${(e as Error).message}`);
  }
}

/** Comma list of etcd client URLs, repeatable: `--etcd-endpoints http://a:2379,http://b:2379`. */
export function etcdEndpointsArg(text: string, previous: string[] | undefined): string[] {
  const items = text.split(',').map((e) => e.trim());
  if (items.some((e) => e === '')) {
    throw new InvalidArgumentError(`'${text}' has an empty entry (expected URLs separated by commas).`);
  }
  const all = [...new Set([...(previous ?? []), ...items])];
  try {
    return validateEtcdEndpoints(all);
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    const i = /^endpoints\[(\d+)\]$/.exec(e.field ?? '')?.[1];
    throw new InvalidArgumentError(
      i === undefined
        ? `endpoints ${e.reason}.`
        : `'${all[Number(i)]}' is not an etcd client URL like http://127.0.0.1:2379 (${e.reason}).`,
    );
  }
}

/**
 * The key prefix in etcd. `/sluice/` and `/sluice` mean the same (keys are stored as `/sluice/config/...`);
 * `/` puts the keys at the root.
 */
export function etcdPrefixArg(text: string): string {
  try {
    return validateEtcdNamespace(text.replace(/\/$/, ''));
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    throw new InvalidArgumentError(`'${text}' is not a key prefix: ${e.reason} (expected e.g. /sluice).`);
  }
}

/** --store, --data-dir, --etcd-endpoints, --etcd-prefix (shared with `sluice agent`). */
export function addStoreOptions(cmd: Command, defaultDataDir: string): Command {
  return cmd
    .addOption(
      new Option('--store <kind>', 'where state is kept: embedded (SQLite under --data-dir) or etcd')
        .choices(STORE_KINDS)
        .default('embedded'),
    )
    .option('--data-dir <dir>', `--store embedded: directory of the state (default: ${defaultDataDir})`)
    .option(
      '--etcd-endpoints <urls>',
      `--store etcd: client URLs, comma list (env SLUICE_ETCD_ENDPOINTS; default: ${DEFAULT_ETCD_ENDPOINTS.join(',')})`,
      etcdEndpointsArg,
    )
    .option(
      '--etcd-prefix <prefix>',
      `--store etcd: key prefix of Sluice's state in etcd (default: ${ETCD_DEFAULT_NAMESPACE})`,
      etcdPrefixArg,
    );
}

/** --log-level, --log-format (shared with `sluice agent`). */
export function addLogOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option('--log-format <format>', 'log format (default: pretty on a terminal, else json)').choices([
        'json',
        'pretty',
      ]),
    );
}

/** The command's options (its action is attached by the caller, which owns process signals). */
export function controllerCommand(): Command {
  const cmd = new Command('controller')
    .description('run the OpenFlow controller, its apps and the REST API until SIGINT/SIGTERM')
    .option(
      '--openflow-port <ports>',
      'OpenFlow listen port(s), repeatable or comma list (default: 6653,6633)',
      tcpPortListArg,
    )
    .option(
      '--openflow-listen <addr>',
      'address the OpenFlow listeners bind (0.0.0.0 for switches on other machines; then prefer --tls-*)',
      hostArg,
      '127.0.0.1',
    )
    .option('--api-port <port>', 'REST API port', tcpPortArg, 8080)
    .option(
      '--listen <addr>',
      'REST API listen address (non-loopback needs --api-token or --api-tls-ca)',
      hostArg,
      '127.0.0.1',
    )
    .option('--api-token <token>', 'bearer token the API requires (env SLUICE_API_TOKEN)');
  return addLogOptions(addStoreOptions(cmd, DEFAULT_DATA_DIR))
    .option('--tls-cert <file>', 'OpenFlow TLS: controller certificate (PEM)')
    .option('--tls-key <file>', 'OpenFlow TLS: controller private key (PEM)')
    .option('--tls-ca <file>', 'OpenFlow TLS: CA that signed the switch certificates (PEM)')
    .option('--api-tls-cert <file>', 'API over HTTPS: certificate (PEM)')
    .option('--api-tls-key <file>', 'API over HTTPS: private key (PEM)')
    .option('--api-tls-ca <file>', 'API over HTTPS: require client certificates signed by this CA (PEM)')
    .option(
      '--nodes-listen <addr>',
      'accept transport nodes here (OVSDB manager and OpenFlow over TLS with cluster CA certificates); off without it',
      hostArg,
    )
    .option(
      '--nodes-ovsdb-port <port>',
      `--nodes-listen: port of the nodes' OVSDB manager connections (default ${DEFAULT_NODES_OVSDB_PORT})`,
      tcpPortArg,
    )
    .option(
      '--nodes-openflow-port <port>',
      `--nodes-listen: port of the nodes' OpenFlow over TLS (default ${DEFAULT_NODES_OPENFLOW_PORT}; differs from --openflow-port on the same address)`,
      tcpPortArg,
    )
    .option(
      '--cluster-id <id>',
      '--store etcd: join this controller cluster (members share --etcd-prefix; one leader is elected)',
      clusterNameArg,
    )
    .option(
      '--member-id <name>',
      "--cluster-id: this member's name in the cluster (default: the controller's id)",
      clusterNameArg,
    )
    .option(
      '--ovsdb <remote>',
      'OVSDB where QoS sets up port queues: unix:PATH, tcp:HOST:PORT (default unix:/var/run/openvswitch/db.sock)',
      ovsdbRemoteArg,
    );
}

/** An OVSDB remote as ovs-vsctl --db takes it. */
export function ovsdbRemoteArg(text: string): string {
  try {
    parseRemote(text);
  } catch (e) {
    throw new InvalidArgumentError(`'${text}' is not an OVSDB remote: ${(e as Error).message}.`);
  }
  return text;
}
