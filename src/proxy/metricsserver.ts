/**
 * `--metrics-listen HOST:PORT`: GET /metrics on a listener of its own, loopback only unless a token guards it
 * (as the REST API: isLoopbackHost, bearerMatches).
 */
import http from 'node:http';
import type net from 'node:net';
import { bearerMatches, isLoopbackHost } from '../api/auth.js';
import { FieldError } from '../util/index.js';
import type { ProxyMetrics } from './metrics.js';

export interface MetricsListen {
  host: string;
  port: number;
}

export function parseMetricsListen(text: string, token: string | undefined): MetricsListen {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[2]) > 65535) {
    throw new FieldError(
      '--metrics-listen',
      `must be HOST:PORT (e.g. 127.0.0.1:9323), got ${JSON.stringify(text)}`,
    );
  }
  const host = m[1].replace(/^\[|\]$/g, '');
  if (!isLoopbackHost(host) && !token) {
    throw new FieldError(
      '--metrics-listen',
      `refusing to serve /metrics on ${host} (not a loopback address) without a token: give --token ` +
        `(env SLUICE_PROXY_TOKEN; scrapers then send "Authorization: Bearer <token>") or use 127.0.0.1`,
    );
  }
  return { host, port: Number(m[2]) };
}

export async function serveMetrics(
  at: MetricsListen,
  metrics: ProxyMetrics,
  token: string | undefined,
): Promise<{ server: http.Server; url: string }> {
  const guarded = token !== undefined && !isLoopbackHost(at.host);
  const server = http.createServer((req, res) => {
    if (guarded && !bearerMatches(req.headers.authorization, token)) {
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end('bearer token required\n');
      return;
    }
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new FieldError(
          '--metrics-listen',
          `cannot listen on ${at.host}:${at.port}: ${err.code ?? err.message}`,
        ),
      ),
    );
    server.listen(at.port, at.host, () => resolve());
  });
  const a = server.address() as net.AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return { server, url: `http://${host}:${a.port}/metrics` };
}
