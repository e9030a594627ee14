/** Who may talk to the API: loopback is trusted; anything wider needs a bearer token or TLS client certs. */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Paths reachable without a token (load balancers and health checks). */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/wm/core/health/json']);

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice('::ffff:'.length));
  return false;
}

export class ListenConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenConfigError';
  }
}

export interface ListenSecurity {
  host: string;
  token?: string;
  /** True when the API's TLS config requires client certificates (a CA to verify them against). */
  tlsClientAuth?: boolean;
}

/** Refuses an API reachable from the network with nothing guarding it. */
export function checkListenSecurity(c: ListenSecurity): void {
  if (isLoopbackHost(c.host) || c.token || c.tlsClientAuth) return;
  throw new ListenConfigError(
    `refusing to serve the API on ${c.host} (not a loopback address) without authentication: ` +
      `set a bearer token with --api-token or SLUICE_API_TOKEN, or give --api-tls-cert, --api-tls-key and ` +
      `--api-tls-ca to require client certificates, or listen on 127.0.0.1`,
  );
}

/** Constant-time comparison of the `Authorization: Bearer ...` header with the configured token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const given = Buffer.from(m[1]);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
