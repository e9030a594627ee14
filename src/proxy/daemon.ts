/**
 * `sluice proxy` as a process: the logger (pino, as the other daemons), the adapter chain from adapters.yml
 * (reloaded when the file changes) and the running proxy; `stop()` on SIGINT/SIGTERM.
 */
import type { Logger } from 'pino';
import { createLogger, type LogFormat, type LogLevel } from '../daemon/log.js';
import type { ListenAddress, ServerTls } from './listen.js';
import type { MetricsListen } from './metricsserver.js';
import { NO_ADAPTERS, type ProxyChain } from './server.js';
import { startProxy, type RunningProxy } from './start.js';
import type { DockerTarget } from './upstream.js';

export { DEFAULT_ADAPTERS_FILE, DEFAULT_ADAPTER_TIMEOUT_MS } from './defaults.js';

export interface ProxyDaemonConfig {
  listen: ListenAddress;
  tls?: ServerTls;
  token?: string;
  docker: DockerTarget;
  adapters: {
    file: string;
    /** False when the file is the default: then a missing file means "no adapters", not an error. */
    explicit: boolean;
    timeoutMs: number;
  };
  metricsListen?: MetricsListen;
  /** The local Sluice agent, for the built-in network adapter. */
  agent: { url: string; token?: string };
  log: { level: LogLevel; format: LogFormat };
}

/** The adapter chain, kept current as adapters.yml changes. */
export interface AdapterSource {
  current(): ProxyChain;
  close(): void | Promise<void>;
}

export type AdapterSourceFactory = (
  adapters: ProxyDaemonConfig['adapters'],
  log: Logger,
  config: ProxyDaemonConfig,
) => Promise<AdapterSource>;

export interface ProxyDaemon {
  proxy: RunningProxy;
  log: Logger;
  stop(): Promise<void>;
}

export async function startProxyDaemon(
  config: ProxyDaemonConfig,
  adapterSource: AdapterSourceFactory,
): Promise<ProxyDaemon> {
  const log = createLogger(config.log);
  const source = await adapterSource(config.adapters, log, config);
  let proxy: RunningProxy;
  try {
    proxy = await startProxy({
      listen: config.listen,
      tls: config.tls,
      token: config.token,
      docker: config.docker,
      chain: () => source.current(),
      log,
      metricsListen: config.metricsListen,
    });
  } catch (e) {
    await source.close();
    throw e;
  }
  log.info(
    { listen: proxy.url, docker: config.docker, metrics: proxy.metricsUrl, adapters: config.adapters.file },
    'sluice proxy ready',
  );
  return {
    proxy,
    log,
    async stop() {
      await proxy.stop();
      await source.close();
    },
  };
}

/** A source without adapters (no adapters.yml). */
export const noAdapters: AdapterSourceFactory = async () => ({
  current: () => NO_ADAPTERS,
  close: () => undefined,
});
