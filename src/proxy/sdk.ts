/**
 * The adapter SDK: write a PowerstripProtocolVersion 1 adapter as two functions.
 *
 *   const adapter = createAdapter({
 *     pre: (req) => (route(req).path === '/containers/create' ? withJsonBody(req, {...jsonBody(req), ...}) : req),
 *     post: (req, res) => res,
 *   });
 *   await adapter.listen('unix:///run/sluice/label.sock');   // or {port: 8080}, or 'http://127.0.0.1:8080'
 *
 * A hook that is absent passes the message through unchanged; a hook returns a new message, or edits the one
 * it got and returns nothing. It refuses the request with `refuse(message)` (the client gets 403 and the
 * message; a FieldError is a 400, see refusal.ts); any other throw is a 500 the proxy reports as this
 * adapter's failure. The same object is an in-process AdapterHandler (`builtin:NAME` in adapters.yml).
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse as HttpResponse,
} from 'node:http';
import { connect } from 'node:net';
import { unlinkSync } from 'node:fs';
import {
  parseClientRequest,
  parseHookRequest,
  parseServerResponse,
  PROTOCOL_VERSION,
  ProtocolError,
  type ClientRequest,
  type HookRequest,
  type PostHookReply,
  type PreHookReply,
  type ServerResponse,
} from './protocol.js';
import { hookErrorStatus } from './refusal.js';
import type { AdapterHandler } from './types.js';

export { Refusal, refuse, type RefusalStatus } from './refusal.js';

export interface HookContext {
  hook: 'pre' | 'post';
  /** The whole message as received (validated), for adapters that want more than their arguments. */
  message: HookRequest;
}

export type PreHook = (
  req: ClientRequest,
  ctx: HookContext,
) => ClientRequest | void | Promise<ClientRequest | void>;

export type PostHook = (
  req: ClientRequest,
  res: ServerResponse,
  ctx: HookContext,
) => ServerResponse | void | Promise<ServerResponse | void>;

export interface AdapterHooks {
  pre?: PreHook;
  post?: PostHook;
}

/**
 * Where to serve: `unix:///path.sock` or `/path.sock`, `http://host:port`, `host:port`, a port, or the object
 * forms. TCP listens on loopback unless a host is given: an adapter sees every container's create request.
 */
export type ListenAt = string | number | { port: number; host?: string } | { path: string };

export interface Listening {
  /** The URL to put under `adapters:` in adapters.yml (`http://127.0.0.1:PORT/` or `unix:///path.sock`). */
  url: string;
  close(): Promise<void>;
}

export interface Adapter extends AdapterHandler {
  /** One hook message (parsed JSON) -> the reply. Throws what the HTTP server answers as an error status. */
  handle(message: unknown): Promise<PreHookReply | PostHookReply>;
  listen(at?: ListenAt): Promise<Listening>;
}

/** Hook messages carry Docker's bodies; this bounds what one may cost the adapter's memory. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Longer than the caller's idle keep-alive, so the proxy closes idle connections first, never mid-request. */
const KEEP_ALIVE_MS = 65_000;

export function createAdapter(hooks: AdapterHooks): Adapter {
  const handle = async (raw: unknown): Promise<PreHookReply | PostHookReply> => {
    const message = parseHookRequest(raw);
    // The hooks get copies, so one may edit what it got and return nothing.
    if (message.Type === 'pre-hook') {
      const req = { ...message.ClientRequest };
      const out = hooks.pre ? await hooks.pre(req, { hook: 'pre', message }) : undefined;
      return {
        PowerstripProtocolVersion: PROTOCOL_VERSION,
        ModifiedClientRequest: checked(() => parseClientRequest(out ?? req, 'ModifiedClientRequest'), 'pre'),
      };
    }
    const res = { ...message.ServerResponse };
    const out = hooks.post
      ? await hooks.post({ ...message.ClientRequest }, res, { hook: 'post', message })
      : undefined;
    return {
      PowerstripProtocolVersion: PROTOCOL_VERSION,
      ModifiedServerResponse: checked(
        () => parseServerResponse(out ?? res, 'ModifiedServerResponse'),
        'post',
      ),
    };
  };
  return { handle, listen: (at) => serve(handle, at) };
}

/** What a hook returned, validated: a bad one is the adapter's bug (500), not a bad request (400). */
function checked<T>(parse: () => T, hook: 'pre' | 'post'): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    throw new Error(`the ${hook}-hook returned an invalid message: ${err.message}`, { cause: err });
  }
}

async function serve(handle: Adapter['handle'], at: ListenAt = { port: 0 }): Promise<Listening> {
  const where = listenTarget(at);
  const server = createServer((req, res) => void answer(handle, req, res));
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  if ('path' in where) {
    await listenUnix(server, where.path);
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(where.port, where.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
  const addr = server.address();
  const url =
    'path' in where
      ? `unix://${where.path}`
      : `http://${where.host.includes(':') ? `[${where.host}]` : where.host}:${typeof addr === 'object' && addr ? addr.port : where.port}/`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function listenTarget(at: ListenAt): { path: string } | { port: number; host: string } {
  if (typeof at === 'number') return { port: at, host: '127.0.0.1' };
  if (typeof at === 'object') return 'path' in at ? at : { port: at.port, host: at.host ?? '127.0.0.1' };
  if (at.startsWith('unix://')) return { path: at.slice('unix://'.length) };
  if (at.startsWith('/')) return { path: at };
  const m = /^(?:https?:\/\/)?(?:\[([^\]]+)\]|([^:/]*)):(\d+)\/?$/.exec(at) ?? /^()()(\d+)$/.exec(at);
  if (!m) {
    throw new Error(
      `cannot listen at ${JSON.stringify(at)}: use unix:///path.sock, http://host:port, host:port or a port`,
    );
  }
  return { port: Number(m[3]), host: m[1] || m[2] || '127.0.0.1' };
}

/** Listens on a Unix socket, replacing a stale socket file an adapter that died left behind. */
async function listenUnix(server: Server, path: string): Promise<void> {
  const attempt = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await attempt();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const alive = await new Promise<boolean>((resolve) => {
      const s = connect(path, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (alive) throw new Error(`cannot listen at unix://${path}: another process serves that socket`);
    unlinkSync(path);
    await attempt();
  }
}

async function answer(handle: Adapter['handle'], req: IncomingMessage, res: HttpResponse): Promise<void> {
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST') {
    send(
      405,
      { message: `an adapter takes POST with a PowerstripProtocolVersion 1 hook message` },
      { allow: 'POST' },
    );
    req.resume();
    return;
  }
  let text: string;
  try {
    text = await readMessage(req);
  } catch (err) {
    send(413, { message: (err as Error).message });
    return;
  }
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (err) {
    send(400, { message: `the hook message is not JSON: ${(err as Error).message}` });
    return;
  }
  try {
    send(200, await handle(message));
  } catch (err) {
    const field = err instanceof ProtocolError ? { field: err.field } : {};
    send(hookErrorStatus(err), { message: (err as Error)?.message ?? String(err), ...field });
  }
}

function readMessage(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_MESSAGE_BYTES) {
        reject(new Error(`the hook message is larger than ${MAX_MESSAGE_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The Body parsed as JSON; undefined when there is none or it is not JSON (a tar stream, a text error). Typed
 * `any` rather than generic: a generic would be inferred as `unknown` inside `withJsonBody(req, {...})`.
 */
export function jsonBody(m: { Body: string | null }): any {
  if (m.Body === null) return undefined;
  try {
    return JSON.parse(m.Body);
  } catch {
    return undefined;
  }
}

/** A copy of the request or response with `body` as its JSON Body. */
export function withJsonBody<M extends { Body: string | null }>(m: M, body: unknown): M {
  return { ...m, Body: JSON.stringify(body) };
}

/**
 * The Docker API route of a request: its method, the path without the `/v1.41` version prefix (clients send
 * both forms), the version if any, and the query. `route(req).path === '/containers/create'` matches both.
 */
export function route(req: ClientRequest): {
  method: string;
  path: string;
  version?: string;
  query: URLSearchParams;
} {
  const q = req.Request.indexOf('?');
  const full = q < 0 ? req.Request : req.Request.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : req.Request.slice(q + 1));
  const m = /^\/v(\d+(?:\.\d+)?)(\/.*)$/.exec(full);
  return m
    ? { method: req.Method, path: m[2], version: m[1], query }
    : { method: req.Method, path: full, query };
}

/**
 * Runs an adapter as a program: `--listen AT` (default `defaultListen`, else a loopback port), prints
 * `listening on URL` once it serves, and stops cleanly on SIGINT/SIGTERM. For the examples and small adapters.
 */
export async function runAdapter(
  adapter: Adapter,
  opts: { argv?: string[]; defaultListen?: ListenAt; name?: string } = {},
): Promise<Listening> {
  const argv = opts.argv ?? process.argv.slice(2);
  const i = argv.indexOf('--listen');
  const at = i >= 0 ? argv[i + 1] : opts.defaultListen;
  if (i >= 0 && !at) throw new Error('--listen needs a value: unix:///path.sock, host:port or a port');
  const listening = await adapter.listen(at);
  console.log(`${opts.name ?? 'adapter'} listening on ${listening.url}`);
  const stop = () => void listening.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return listening;
}
