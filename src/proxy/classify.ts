/**
 * What kind of exchange a Docker Engine API request is, decided from its method, path and headers, and from
 * dockerd's response head (pure). The proxy buffers a response for post-hooks only when it is one JSON (or
 * text) document that ends; everything else (raw and multiplexed streams, 101 upgrades, progress streams of
 * pull/build/push, `logs`, `events`, `stats` without stream=false, tar exports) passes through unbuffered and
 * its matched post-hooks are skipped. Chunked transfer encoding alone is no marker: Go chunks large JSON too.
 */

/** Headers of one connection, not of the message (RFC 9110 7.6.1), never forwarded as they are. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Raw header pairs (`IncomingMessage.rawHeaders`: name, value, name, value...) without the hop-by-hop ones,
 * those the Connection header names, and any in `drop` (lower case). Case and order are kept.
 */
export function endToEndHeaders(raw: readonly string[], drop: ReadonlySet<string> = new Set()): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1].split(',')) named.add(token.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name) || drop.has(name)) continue;
    out.push(raw[i], raw[i + 1]);
  }
  return out;
}

/** Replaces (or with `undefined` removes) a header in raw pairs, case-insensitively. */
export function setRawHeader(raw: readonly string[], name: string, value: string | undefined): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() !== lower) out.push(raw[i], raw[i + 1]);
  if (value !== undefined) out.push(name, value);
  return out;
}

/** `/v1.41/containers/json` -> `/containers/json`; unversioned paths unchanged. Query stripped. */
export function apiPath(request: string): string {
  const path = request.split('?')[0];
  return path.replace(/^\/v\d+(\.\d+)?(?=\/)/, '');
}

function queryFlag(request: string, name: string): string | undefined {
  const q = request.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(request.slice(q + 1)).get(name) ?? undefined;
}

const FALSE = new Set(['0', 'false', 'False', 'FALSE']);

/**
 * Why a request's response is a stream by its endpoint alone (`logs`, `events`, ...), or undefined. Checked
 * before dockerd answers, so a follow stream never gets buffered.
 */
export function streamingEndpoint(method: string, request: string): string | undefined {
  const p = apiPath(request);
  const m = method.toUpperCase();
  if (m === 'GET') {
    if (p === '/events') return 'events';
    if (/^\/containers\/[^/]+\/logs$/.test(p)) return 'logs';
    if (/^\/containers\/[^/]+\/stats$/.test(p)) {
      const s = queryFlag(request, 'stream');
      return s !== undefined && FALSE.has(s) ? undefined : 'stats';
    }
    if (/^\/containers\/[^/]+\/attach\/ws$/.test(p)) return 'attach';
    if (/^\/containers\/[^/]+\/(export|archive)$/.test(p)) return 'tar';
    if (p === '/images/get' || /^\/images\/.+\/get$/.test(p)) return 'tar';
    return undefined;
  }
  if (m === 'POST') {
    if (/^\/containers\/[^/]+\/attach$/.test(p)) return 'attach';
    // A long poll whose head dockerd sends at once: `docker run` waits for that head before it starts the
    // container, so buffering it for post-hooks would deadlock the run.
    if (/^\/containers\/[^/]+\/wait$/.test(p)) return 'wait';
    if (/^\/exec\/[^/]+\/start$/.test(p)) return 'exec';
    if (p === '/images/create') return 'pull';
    if (/^\/images\/.+\/push$/.test(p)) return 'push';
    if (p === '/build') return 'build';
    if (p === '/images/load') return 'load';
    if (p === '/session' || p === '/grpc') return 'session';
    return undefined;
  }
  return undefined;
}

const STREAM_TYPES = new Set([
  'application/vnd.docker.raw-stream',
  'application/vnd.docker.multiplexed-stream',
  'application/x-tar',
  'application/octet-stream',
]);

/** Why dockerd's answer is a stream by its head (status, Content-Type), or undefined. */
export function streamingResponse(status: number, contentType: string | undefined): string | undefined {
  if (status === 101) return 'upgrade';
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (STREAM_TYPES.has(type)) return type.startsWith('application/vnd.docker') ? 'raw-stream' : 'binary';
  return undefined;
}

/** A request that asks to take over the connection (`Connection: Upgrade` with `Upgrade: tcp` or websocket). */
export function wantsUpgrade(headers: { connection?: string; upgrade?: string }): boolean {
  if (!headers.upgrade) return false;
  return (headers.connection ?? '').split(',').some((t) => t.trim().toLowerCase() === 'upgrade');
}
