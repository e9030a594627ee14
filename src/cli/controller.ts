/** `sluice controller`: options -> DaemonConfig (pure), then run until SIGINT/SIGTERM. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS, type DaemonConfig, type LogFormat, type LogLevel } from '../daemon/index.js';
import { parseRemote } from '../ovsdb/index.js';
import { hostArg, tcpPortArg, tcpPortListArg } from './args.js';

export const DEFAULT_OPENFLOW_PORTS = [6653, 6633];

export interface ControllerCliOptions {
  openflowPort?: number[];
  openflowListen: string;
  apiPort: number;
  listen: string;
  apiToken?: string;
  dataDir: string;
  logLevel: LogLevel;
  logFormat?: LogFormat;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  apiTlsCert?: string;
  apiTlsKey?: string;
  apiTlsCa?: string;
  ovsdb?: string;
}

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
  return {
    openflow: {
      listen: o.openflowListen,
      ports: [...new Set(o.openflowPort ?? DEFAULT_OPENFLOW_PORTS)],
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
    dataDir: o.dataDir,
    ...(o.ovsdb ? { ovsdb: { remote: o.ovsdb } } : {}),
    log: { level: o.logLevel, format: o.logFormat ?? (stderrIsTty ? 'pretty' : 'json') },
    version,
  };
}

/** The command's options (its action is attached by the caller, which owns process signals). */
export function controllerCommand(): Command {
  return new Command('controller')
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
    .option('--api-token <token>', 'bearer token the API requires (env SLUICE_API_TOKEN)')
    .option('--data-dir <dir>', 'where the controller keeps its state', './.data')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option('--log-format <format>', 'log format (default: pretty on a terminal, else json)').choices([
        'json',
        'pretty',
      ]),
    )
    .option('--tls-cert <file>', 'OpenFlow TLS: controller certificate (PEM)')
    .option('--tls-key <file>', 'OpenFlow TLS: controller private key (PEM)')
    .option('--tls-ca <file>', 'OpenFlow TLS: CA that signed the switch certificates (PEM)')
    .option('--api-tls-cert <file>', 'API over HTTPS: certificate (PEM)')
    .option('--api-tls-key <file>', 'API over HTTPS: private key (PEM)')
    .option('--api-tls-ca <file>', 'API over HTTPS: require client certificates signed by this CA (PEM)')
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
