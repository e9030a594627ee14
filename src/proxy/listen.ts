/**
 * Where the proxy listens, with safe defaults: a Unix socket (default unix:///run/sluice/docker.sock, mode
 * 0660, group docker if there is one, as dockerd's own socket; the Docker API runs containers as root, so whoever reaches it owns the host), or TCP only with TLS plus
 * client certificates (--tls-ca) or a bearer token. Plain TCP is refused, saying why and what to give instead.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { FieldError } from '../util/index.js';

export const DEFAULT_LISTEN = 'unix:///run/sluice/docker.sock';

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface ServerTls {
  cert: string;
  key: string;
  /** Require client certificates signed by this CA (as dockerd's --tlsverify). */
  ca?: string;
}

export function parseListen(text: string): ListenAddress {
  if (text.startsWith('unix://')) {
    const p = text.slice('unix://'.length);
    if (!p.startsWith('/'))
      throw new FieldError('--listen', `must be unix:///absolute/path.sock, got ${JSON.stringify(text)}`);
    return { kind: 'unix', path: p };
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(text);
  if (m && Number(m[2]) <= 65535)
    return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  throw new FieldError(
    '--listen',
    `must be unix:///path.sock or tcp://HOST:PORT, got ${JSON.stringify(text)}`,
  );
}

/**
 * Refuses TCP without TLS, and TLS without a way to tell clients apart (client certificates or a token).
 * Throws FieldError naming the flag.
 */
export function checkListenSecurity(
  at: ListenAddress,
  tls: Partial<ServerTls>,
  token: string | undefined,
): void {
  if (at.kind === 'unix') {
    if (tls.cert || tls.key || tls.ca) {
      throw new FieldError(
        '--tls-cert/--tls-key/--tls-ca',
        'apply to --listen tcp://HOST:PORT only (a Unix socket is guarded by its file mode)',
      );
    }
    return;
  }
  const where = `tcp://${at.host}:${at.port}`;
  if (!tls.cert || !tls.key) {
    throw new FieldError(
      '--listen',
      `refusing to serve the Docker API on ${where} without TLS: whoever reaches that port could run ` +
        `containers as root on this host (Powerstrip listened on plain TCP 2375). Give --tls-cert and ` +
        `--tls-key, plus --tls-ca (clients present certificates, as with dockerd --tlsverify) or --token ` +
        `(env SLUICE_PROXY_TOKEN), or listen on a Unix socket (the default ${DEFAULT_LISTEN})`,
    );
  }
  if (!tls.ca && !token) {
    throw new FieldError(
      '--listen',
      `refusing to serve the Docker API on ${where} with TLS but no client authentication: give --tls-ca ` +
        `to require client certificates, or --token (env SLUICE_PROXY_TOKEN) to require ` +
        `"Authorization: Bearer <token>" (the docker CLI sends it from HttpHeaders in ~/.docker/config.json)`,
    );
  }
}

/** The HTTP server for an address: plain HTTP on a Unix socket, HTTPS on TCP. */
export function createServer(at: ListenAddress, tls: ServerTls | undefined): http.Server {
  // No request timeout: a 1 GB build context may take longer than Node's 300 s default to arrive.
  const common = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 30_000, noDelay: true };
  if (at.kind === 'unix' || !tls) return http.createServer(common);
  return https.createServer({
    ...common,
    allowHalfOpen: true,
    cert: fs.readFileSync(tls.cert),
    key: fs.readFileSync(tls.key),
    ...(tls.ca ? { ca: fs.readFileSync(tls.ca), requestCert: true, rejectUnauthorized: true } : {}),
  } as https.ServerOptions);
}

/** Whether something accepts connections on a Unix socket path. */
export function socketAnswers(p: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path: p });
    const t = setTimeout(() => {
      s.destroy();
      resolve(true); // it exists and did not refuse: someone holds it
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/**
 * Listens; for a Unix socket creates its directory, removes a stale socket file only when nothing answers on
 * it, refuses when something does, and sets mode 0660. Resolves with the URL served.
 */
export async function listenOn(server: http.Server, at: ListenAddress): Promise<string> {
  if (at.kind === 'unix') {
    try {
      fs.mkdirSync(path.dirname(at.path), { recursive: true, mode: 0o755 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new FieldError(
        '--listen',
        `cannot create ${path.dirname(at.path)} (${code}): run as root or pick another --listen`,
      );
    }
    const st = fs.lstatSync(at.path, { throwIfNoEntry: false });
    if (st) {
      if (!st.isSocket()) {
        throw new FieldError(
          '--listen',
          `${at.path} exists and is not a socket; remove it or pick another --listen`,
        );
      }
      if (await socketAnswers(at.path)) {
        throw new FieldError(
          '--listen',
          `something already serves ${at.path} (another sluice proxy?): stop it or pick another --listen`,
        );
      }
      fs.unlinkSync(at.path);
    }
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = at.kind === 'unix' ? at.path : `${at.host}:${at.port}`;
      reject(
        new FieldError(
          '--listen',
          err.code === 'EADDRINUSE'
            ? `${where} is already in use: stop what holds it or pick another --listen`
            : `cannot listen on ${where}: ${err.message}`,
        ),
      );
    };
    server.once('error', onError);
    const ready = () => {
      server.off('error', onError);
      resolve();
    };
    if (at.kind === 'unix') server.listen(at.path, ready);
    else server.listen(at.port, at.host, ready);
  });
  if (at.kind === 'unix') {
    fs.chmodSync(at.path, 0o660);
    // As dockerd's own socket (root:docker 0660): members of the docker group may use it.
    const gid = groupId('docker');
    if (gid !== undefined) fs.chownSync(at.path, process.getuid?.() ?? 0, gid);
    return `unix://${at.path}`;
  }
  const a = server.address() as net.AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `tcp://${host}:${a.port}`;
}

/** The id of a group in /etc/group, or undefined. */
export function groupId(name: string, groupFile = '/etc/group'): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(groupFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && /^\d+$/.test(gid ?? '')) return Number(gid);
  }
  return undefined;
}

/** Stops listening and closes idle keep-alive connections; a Unix socket file is removed. */
export async function closeServer(server: http.Server, at: ListenAddress): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  if (at.kind === 'unix') fs.rmSync(at.path, { force: true });
}
