/**
 * `sluice proxy`: options -> ProxyDaemonConfig (pure but for checking that files exist), then run until
 * SIGINT/SIGTERM. Every flag is validated here and named in the error.
 */
import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { LogFormat, LogLevel } from '../daemon/levels.js';
import type { ProxyDaemonConfig } from '../proxy/daemon.js';
import { DEFAULT_ADAPTERS_FILE, DEFAULT_ADAPTER_TIMEOUT_MS } from '../proxy/defaults.js';
import { checkListenSecurity, DEFAULT_LISTEN, parseListen } from '../proxy/listen.js';
import { parseMetricsListen } from '../proxy/metricsserver.js';
import { DOCKER_DEFAULT_URL, parseDockerUrl, type DockerTls } from '../proxy/upstream.js';
import { isLoopbackHost } from '../api/auth.js';
import { FieldError } from '../util/index.js';
import { DEFAULT_AGENT_URL } from '../client/agent.js';
import { apiUrlArg, intArg } from './args.js';
import { agentDefault } from './network.js';
import { addLogOptions } from './controller.js';

export interface ProxyCliOptions {
  listen: string;
  docker?: string;
  dockerTlsCa?: string;
  dockerTlsCert?: string;
  dockerTlsKey?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  token?: string;
  adapters?: string;
  adapterTimeout: number;
  metricsListen?: string;
  agent?: string;
  agentToken?: string;
  logLevel: LogLevel;
  logFormat?: LogFormat;
}

function readable(flag: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    throw new InvalidArgumentError(`${flag}: cannot read ${file} (${(e as NodeJS.ErrnoException).code}).`);
  }
  return file;
}

/** dockerd's address: --docker, else DOCKER_HOST (with DOCKER_CERT_PATH for tcp://), else the default socket. */
function dockerFrom(o: ProxyCliOptions, env: Record<string, string | undefined>) {
  const fromEnv = o.docker === undefined && Boolean(env.DOCKER_HOST);
  const flag = fromEnv ? 'DOCKER_HOST' : '--docker';
  const text = o.docker ?? (env.DOCKER_HOST || DOCKER_DEFAULT_URL);
  let tls: DockerTls | undefined;
  if (o.dockerTlsCa || o.dockerTlsCert || o.dockerTlsKey) {
    if (Boolean(o.dockerTlsCert) !== Boolean(o.dockerTlsKey)) {
      throw new InvalidArgumentError('--docker-tls-cert and --docker-tls-key go together.');
    }
    tls = {
      ca: readable('--docker-tls-ca', o.dockerTlsCa),
      cert: readable('--docker-tls-cert', o.dockerTlsCert),
      key: readable('--docker-tls-key', o.dockerTlsKey),
    };
  } else if (fromEnv && env.DOCKER_CERT_PATH && text.startsWith('tcp://')) {
    const p = env.DOCKER_CERT_PATH;
    tls = { ca: `${p}/ca.pem`, cert: `${p}/cert.pem`, key: `${p}/key.pem` };
  }
  const target = parseDockerUrl(text, tls);
  if (target.kind === 'unix' && tls) {
    throw new InvalidArgumentError('--docker-tls-*: apply to --docker tcp://HOST:PORT only.');
  }
  if (target.kind === 'tcp' && !target.tls && !isLoopbackHost(target.host)) {
    throw new InvalidArgumentError(
      `${flag}: refusing plain TCP to a dockerd on ${target.host}: give --docker-tls-ca (and --docker-tls-cert/` +
        `--docker-tls-key if dockerd verifies clients), as for docker --tlsverify.`,
    );
  }
  return { target, flag };
}

/** Flags, then environment (SLUICE_PROXY_TOKEN, DOCKER_HOST), then defaults. Throws InvalidArgumentError. */
export function proxyConfigFrom(
  o: ProxyCliOptions,
  env: Record<string, string | undefined>,
  stderrIsTty: boolean,
): ProxyDaemonConfig {
  const token = o.token ?? (env.SLUICE_PROXY_TOKEN || undefined);
  try {
    const listen = parseListen(o.listen);
    if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) {
      throw new InvalidArgumentError('--tls-cert and --tls-key go together (--tls-ca needs both).');
    }
    if (o.tlsCa && !o.tlsCert) throw new InvalidArgumentError('--tls-ca needs --tls-cert and --tls-key.');
    checkListenSecurity(listen, { cert: o.tlsCert, key: o.tlsKey, ca: o.tlsCa }, token);
    const tls =
      o.tlsCert && o.tlsKey
        ? {
            cert: readable('--tls-cert', o.tlsCert)!,
            key: readable('--tls-key', o.tlsKey)!,
            ...(o.tlsCa ? { ca: readable('--tls-ca', o.tlsCa)! } : {}),
          }
        : undefined;
    const { target: docker, flag } = dockerFrom(o, env);
    if (docker.kind === 'unix' && listen.kind === 'unix' && docker.socketPath === listen.path) {
      throw new InvalidArgumentError(
        `${flag}: ${docker.socketPath} is the proxy's own --listen socket (did DOCKER_HOST point at the ` +
          `proxy?): give --docker unix:///var/run/docker.sock`,
      );
    }
    const metricsListen =
      o.metricsListen === undefined ? undefined : parseMetricsListen(o.metricsListen, token);
    return {
      listen,
      ...(tls ? { tls } : {}),
      ...(token ? { token } : {}),
      docker,
      adapters: {
        file: o.adapters ?? DEFAULT_ADAPTERS_FILE,
        explicit: o.adapters !== undefined,
        timeoutMs: o.adapterTimeout,
      },
      ...(metricsListen ? { metricsListen } : {}),
      agent: {
        url: o.agent ?? agentDefault(env),
        ...((o.agentToken ?? env.SLUICE_AGENT_TOKEN)
          ? { token: o.agentToken ?? env.SLUICE_AGENT_TOKEN }
          : {}),
      },
      log: { level: o.logLevel, format: o.logFormat ?? (stderrIsTty ? 'pretty' : 'json') },
    };
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    const flag =
      e.field === '--docker' && o.docker === undefined && env.DOCKER_HOST ? 'DOCKER_HOST' : e.field;
    throw new InvalidArgumentError(`${flag}: ${e.reason}.`);
  }
}

/** The command's options (its action is attached by the caller, which owns process signals). */
export function proxyCommand(): Command {
  const cmd = new Command('proxy')
    .description(
      'run the Docker API proxy with Powerstrip-protocol adapters (adapters.yml) until SIGINT/SIGTERM; ' +
        'point the docker CLI at it with DOCKER_HOST=unix:///run/sluice/docker.sock',
    )
    .option(
      '--listen <url>',
      'where clients connect: unix:///PATH (mode 0660), or tcp://HOST:PORT with --tls-cert/--tls-key and --tls-ca or --token',
      DEFAULT_LISTEN,
    )
    .option(
      '--docker <url>',
      `dockerd: unix:///PATH or tcp://HOST:PORT (env DOCKER_HOST; default ${DOCKER_DEFAULT_URL})`,
    )
    .option('--docker-tls-ca <file>', 'CA of a TCP dockerd’s certificate (PEM)')
    .option('--docker-tls-cert <file>', 'client certificate for a TCP dockerd (PEM)')
    .option('--docker-tls-key <file>', 'client key for a TCP dockerd (PEM)')
    .option('--tls-cert <file>', 'TCP listener: server certificate (PEM)')
    .option('--tls-key <file>', 'TCP listener: server private key (PEM)')
    .option('--tls-ca <file>', 'TCP listener: require client certificates signed by this CA (PEM)')
    .option(
      '--token <token>',
      'require "Authorization: Bearer <token>" on every request (env SLUICE_PROXY_TOKEN; the docker CLI sends it from "HttpHeaders" in ~/.docker/config.json)',
    )
    .option(
      '--adapters <file>',
      `adapters.yml (Powerstrip format; default ${DEFAULT_ADAPTERS_FILE}, none if absent)`,
    )
    .option(
      '--adapter-timeout <ms>',
      'time an adapter has to answer one hook',
      intArg('a time in milliseconds', 1, 600_000),
      DEFAULT_ADAPTER_TIMEOUT_MS,
    )
    .option(
      '--metrics-listen <host:port>',
      'serve Prometheus /metrics here (loopback unless --token; off by default)',
    )
    .option(
      '--agent <url>',
      `the local Sluice agent, for builtin:network (env SLUICE_AGENT; default ${DEFAULT_AGENT_URL})`,
      apiUrlArg,
    )
    .option('--agent-token <token>', 'the agent API’s bearer token (env SLUICE_AGENT_TOKEN)');
  return addLogOptions(cmd);
}
