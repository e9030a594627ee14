import net from 'node:net';
import { waitFor } from '../../support/wait.js';

/** A TCP port free on 127.0.0.1 right now (the kernel picks it; collisions with later binds are unlikely). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Several distinct free ports. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}

/** Whether something accepts TCP connections on host:port now. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export function waitForPort(
  port: number,
  opts: { host?: string; timeoutMs?: number; detail?: () => string } = {},
): Promise<true> {
  const host = opts.host ?? '127.0.0.1';
  return waitFor(async () => (await canConnect(port, host)) || undefined, {
    what: `TCP ${host}:${port} to accept connections`,
    timeoutMs: opts.timeoutMs ?? 15_000,
    ...(opts.detail ? { detail: opts.detail } : {}),
  });
}
