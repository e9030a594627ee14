/**
 * A running proxy from its parts: the listener (listen.ts), the request and upgrade paths (server.ts,
 * upgrade.ts) toward dockerd (upstream.ts), and optionally /metrics. `stop()` stops accepting, lets answers in
 * progress finish for `graceMs`, then cuts streams and upgraded connections.
 */
import type net from 'node:net';
import { closeServer, createServer, listenOn, type ListenAddress, type ServerTls } from './listen.js';
import { ProxyMetrics } from './metrics.js';
import { serveMetrics, type MetricsListen } from './metricsserver.js';
import { proxyRequestHandler, type ProxyChain, type ProxyLog } from './server.js';
import { proxyUpgradeHandler } from './upgrade.js';
import { Upstream, type DockerTarget } from './upstream.js';

export interface StartProxyOptions {
  listen: ListenAddress;
  tls?: ServerTls;
  token?: string;
  docker: DockerTarget;
  chain: () => ProxyChain;
  log: ProxyLog;
  metricsListen?: MetricsListen;
  bodyCap?: number;
}

export interface RunningProxy {
  /** `unix:///run/sluice/docker.sock` or `tcp://127.0.0.1:2376`. */
  url: string;
  metricsUrl?: string;
  metrics: ProxyMetrics;
  stop(graceMs?: number): Promise<void>;
}

export async function startProxy(o: StartProxyOptions): Promise<RunningProxy> {
  const upstream = new Upstream(o.docker);
  const metrics = new ProxyMetrics();
  const opts = { upstream, chain: o.chain, log: o.log, metrics, token: o.token, bodyCap: o.bodyCap };
  const server = createServer(o.listen, o.tls);
  const upgraded = new Set<net.Socket>();
  const onUpgrade = proxyUpgradeHandler(opts);
  server.on('request', proxyRequestHandler(opts));
  server.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.setTimeout(0);
    onUpgrade(req, socket, head);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (err.code !== 'ECONNRESET' && socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  let url: string;
  try {
    url = await listenOn(server, o.listen);
  } catch (e) {
    upstream.close();
    throw e;
  }
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (o.metricsListen) {
    try {
      metricsServer = await serveMetrics(o.metricsListen, metrics, o.token);
    } catch (e) {
      await closeServer(server, o.listen);
      upstream.close();
      throw e;
    }
  }
  return {
    url,
    metricsUrl: metricsServer?.url,
    metrics,
    async stop(graceMs = 2000) {
      const cut = setTimeout(() => {
        server.closeAllConnections();
        for (const s of upgraded) s.destroy();
      }, graceMs);
      const ms = metricsServer?.server;
      await Promise.all([closeServer(server, o.listen), ms && new Promise<void>((r) => ms.close(() => r()))]);
      clearTimeout(cut);
      upstream.close();
    },
  };
}
