/**
 * dockerd as the proxy reaches it: over its Unix socket or TCP with TLS. HTTP requests go through one
 * keep-alive agent (no connect per request); upgrades (attach, exec, `run -it`) take a raw socket of their own.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { FieldError } from '../util/index.js';

export const DOCKER_DEFAULT_URL = 'unix:///var/run/docker.sock';

export type DockerTarget =
  { kind: 'unix'; socketPath: string } | { kind: 'tcp'; host: string; port: number; tls?: DockerTls };

/** PEM file paths, as docker's --tlscacert/--tlscert/--tlskey. */
export interface DockerTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * `unix:///path` or `tcp://host:port` (as DOCKER_HOST). TCP is plain unless `tls` is given; the CLI refuses plain
 * TCP to a non-loopback dockerd. Throws FieldError('--docker', ...).
 */
export function parseDockerUrl(text: string, tlsFiles?: DockerTls): DockerTarget {
  if (text.startsWith('unix://')) {
    const socketPath = text.slice('unix://'.length);
    if (!socketPath.startsWith('/')) {
      throw new FieldError('--docker', `must be unix:///absolute/path.sock, got ${JSON.stringify(text)}`);
    }
    return { kind: 'unix', socketPath };
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(text);
  if (m) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new FieldError('--docker', `port ${m[2]} is not 1..65535`);
    const host = m[1].replace(/^\[|\]$/g, '');
    return tlsFiles ? { kind: 'tcp', host, port, tls: tlsFiles } : { kind: 'tcp', host, port };
  }
  throw new FieldError(
    '--docker',
    `must be unix:///path/to/docker.sock or tcp://HOST:PORT, got ${JSON.stringify(text)}`,
  );
}

export function describeTarget(t: DockerTarget): string {
  if (t.kind === 'unix') return `unix://${t.socketPath}`;
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `tcp://${host}:${t.port}${t.tls ? ' (TLS)' : ''}`;
}

export class Upstream {
  readonly target: DockerTarget;
  readonly url: string;
  private readonly agent: http.Agent;
  private readonly tlsOptions: tls.ConnectionOptions | undefined;

  constructor(target: DockerTarget) {
    this.target = target;
    this.url = describeTarget(target);
    const keep = { keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' as const };
    if (target.kind === 'tcp' && target.tls) {
      this.tlsOptions = {
        ...(target.tls.ca ? { ca: fs.readFileSync(target.tls.ca) } : {}),
        ...(target.tls.cert ? { cert: fs.readFileSync(target.tls.cert) } : {}),
        ...(target.tls.key ? { key: fs.readFileSync(target.tls.key) } : {}),
        servername: net.isIP(target.host) ? undefined : target.host,
      };
      this.agent = new https.Agent({ ...keep, ...this.tlsOptions });
    } else {
      this.agent = new http.Agent(keep);
    }
  }

  /** An HTTP request to dockerd on the shared keep-alive agent. */
  request(o: { method: string; path: string; headers: string[] }): http.ClientRequest {
    const t = this.target;
    const base = { method: o.method, path: o.path, headers: o.headers, agent: this.agent, setHost: false };
    if (t.kind === 'unix') return http.request({ ...base, socketPath: t.socketPath });
    if (t.tls) return https.request({ ...base, host: t.host, port: t.port });
    return http.request({ ...base, host: t.host, port: t.port });
  }

  /** A raw connection for an upgraded exchange; `onConnect` fires when bytes may be written. */
  connect(onConnect: () => void): net.Socket {
    const t = this.target;
    if (t.kind === 'unix') return net.connect({ path: t.socketPath, allowHalfOpen: true }, onConnect);
    const raw = net.connect({ host: t.host, port: t.port, allowHalfOpen: true });
    raw.setNoDelay(true);
    if (!t.tls) {
      raw.once('connect', onConnect);
      return raw;
    }
    return tls.connect(
      { ...this.tlsOptions, socket: raw, allowHalfOpen: true } as tls.ConnectionOptions,
      onConnect,
    );
  }

  close(): void {
    this.agent.destroy();
  }
}
