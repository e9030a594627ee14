/**
 * The Docker API proxy's request path (node:http only): every request is forwarded to dockerd with its method,
 * path, end-to-end headers and body unchanged unless an adapter acts.
 *
 * - Pre-hooks matched: a JSON body (by media type) is buffered up to `bodyCap` (413 beyond) and the chain's
 *   Method, Request and Body are applied (Content-Length fixed). Any other body (a build context tar) is never
 *   buffered: the hooks see Body null and it streams through after them; a hook that returns a Body for such a
 *   request fails the request (`protocol`: the proxy cannot replace a body it streams).
 * - No pre-hooks: the body streams straight through (memory stays flat with a 1 GB build context).
 * - Post-hooks matched and the answer is one document (not a stream, see classify.ts): it is buffered (cap),
 *   the chain runs (on Docker errors too) and the client gets the last hook's Code, ContentType and Body.
 *   Streams pass through chunk by chunk; their post-hooks are skipped and the access log says so.
 * - An adapter failure answers with the chain's Docker-style error; dockerd unreachable answers 502 saying so.
 * Upgrades (attach, exec, `run -it`) are upgrade.ts's.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { bearerMatches } from '../api/auth.js';
import { endToEndHeaders, setRawHeader, streamingEndpoint, streamingResponse } from './classify.js';
import { tooLarge, unauthorized, unreachable, dockerError, type ProxyAnswer } from './errors.js';
import type { ProxyMetrics } from './metrics.js';
import { isJsonMediaType, type ClientRequest, type ServerResponse } from './protocol.js';
import {
  AdapterFailure,
  type AdapterRef,
  type AdapterRun,
  type ChainResult,
  type EndpointHooks,
  type HookCaller,
} from './types.js';
import type { Upstream } from './upstream.js';

export const DEFAULT_BODY_CAP = 16 * 1024 * 1024;

/** The adapter side, injected: config.ts's matching, chain.ts's chains and failure answer, caller.ts's caller. */
export interface ProxyChain {
  /** The adapters for a request; `path` is the request path without its query, versioned or not. */
  hooks(method: string, path: string): EndpointHooks;
  runPre(adapters: AdapterRef[], req: ClientRequest, call: HookCaller): Promise<ChainResult<ClientRequest>>;
  runPost(
    adapters: AdapterRef[],
    req: ClientRequest,
    res: ServerResponse,
    call: HookCaller,
  ): Promise<ChainResult<ServerResponse>>;
  call: HookCaller;
  failureAnswer(failure: AdapterFailure): ProxyAnswer;
}

/** No adapters at all (a proxy without adapters.yml). */
export const NO_ADAPTERS: ProxyChain = {
  hooks: () => ({ pre: [], post: [] }),
  runPre: async (_a, req) => ({ value: req, runs: [] }),
  runPost: async (_a, _r, res) => ({ value: res, runs: [] }),
  call: async () => {
    throw new Error('no adapters');
  },
  failureAnswer: (f) => dockerError(502, f.message),
};

/** What the proxy logs with (a pino logger fits). */
export interface ProxyLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ProxyOptions {
  upstream: Upstream;
  /** The current adapter chain; called per request so a reloaded adapters.yml takes effect at once. */
  chain: () => ProxyChain;
  log: ProxyLog;
  metrics?: ProxyMetrics;
  /** When set, every request needs `Authorization: Bearer <token>` (not forwarded to dockerd). */
  token?: string;
  bodyCap?: number;
}

/** One access-log record (`msg: "request"`). */
export interface AccessRecord {
  method: string;
  path: string;
  status: number;
  /** Response body bytes sent to the client. */
  bytes: number;
  ms: number;
  adapters: { adapter: string; hook: 'pre' | 'post'; ms: number; ok: boolean }[];
  stream?: true;
  /** Why it is a stream (`logs`, `events`, `raw-stream`, `upgrade`...). */
  streamKind?: string;
  postHooksSkipped?: string[];
  upgraded?: true;
  /** The client closed a stream before it ended (Ctrl-C on `docker logs -f`). */
  clientClosed?: true;
  error?: string;
}

/** Query parameters whose values stay out of the log (`docker build --build-arg` secrets, registry auth). */
const SECRET_PARAMS = /([?&](?:buildargs|auth|registryauth|password|token)=)[^&]*/gi;

/** The record as logged: secrets in the query string redacted. */
export function loggable(rec: AccessRecord): AccessRecord {
  return rec.path.includes('?') ? { ...rec, path: rec.path.replace(SECRET_PARAMS, '$1[redacted]') } : rec;
}

export function accessAdapters(runs: readonly AdapterRun[]): AccessRecord['adapters'] {
  return runs.map((r) => ({ adapter: r.adapter, hook: r.hook, ms: Math.round(r.ms * 100) / 100, ok: r.ok }));
}

/** Headers the proxy consumes itself and never forwards. */
export function consumedHeaders(token: string | undefined): ReadonlySet<string> {
  return new Set(token ? ['authorization'] : []);
}

/** A header list for dockerd: end-to-end headers, plus Host when the client sent none (Go requires it). */
export function upstreamHeaders(raw: readonly string[], token: string | undefined): string[] {
  const headers = endToEndHeaders(raw, consumedHeaders(token));
  return headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host')
    ? headers
    : ['Host', 'docker', ...headers];
}

/** Reads a whole body, or stops at `cap` bytes (`over` true, the rest left unread). */
export function readCapped(
  stream: NodeJS.ReadableStream,
  cap: number,
): Promise<{ body: Buffer; over: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > cap) {
        cleanup();
        resolve({ body: Buffer.alloc(0), over: true });
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve({ body: Buffer.concat(chunks, size), over: false });
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

/** Sends one of the proxy's own answers. */
export function sendAnswer(res: http.ServerResponse, a: ProxyAnswer, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(a.body);
  res.writeHead(a.status, {
    'Content-Type': a.contentType,
    'Content-Length': body.length,
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(body);
}

function hasBody(req: http.IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  if (cl !== undefined) return Number(cl) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** A caller that refuses a Body from a pre-hook when the request body streams (the proxy cannot replace it). */
function streamedBodyGuard(call: HookCaller): HookCaller {
  return async (adapter, message) => {
    const reply = await call(adapter, message);
    const m = (reply as { ModifiedClientRequest?: { Body?: unknown } } | null)?.ModifiedClientRequest;
    if (m && m.Body !== null && m.Body !== undefined) {
      throw new AdapterFailure(
        adapter.name,
        'pre',
        'protocol',
        'it returned a Body for a request whose body is not JSON and streams through the proxy (its hooks ' +
          'get Body null): a pre-hook may change such a request\u2019s Method and Request, not its body',
      );
    }
    return reply;
  };
}

/** The 'request' listener of the proxy's HTTP(S) server. */
export function proxyRequestHandler(o: ProxyOptions) {
  const cap = o.bodyCap ?? DEFAULT_BODY_CAP;
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const start = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const rec: AccessRecord = { method, path: url, status: 0, bytes: 0, ms: 0, adapters: [] };
    const m = o.metrics;
    if (m) m.inFlight++;
    res.once('close', () => {
      rec.status = res.statusCode;
      rec.ms = Math.round((performance.now() - start) * 100) / 100;
      // A follow stream (`logs -f`, `events`) normally ends with the client leaving: not an error then.
      if (!res.writableFinished && !rec.error) {
        if (rec.stream) rec.clientClosed = true;
        else rec.error = 'client went away';
      }
      if (m) {
        m.inFlight--;
        m.request(method, res.statusCode, rec.stream ? undefined : rec.ms / 1000);
      }
      o.log.info(loggable(rec), 'request');
    });
    const countingWrite = res.write.bind(res) as (c: unknown, ...rest: unknown[]) => boolean;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (chunk) rec.bytes += Buffer.byteLength(chunk as Buffer);
      return countingWrite(chunk, ...rest);
    }) as typeof res.write;
    const countingEnd = res.end.bind(res) as (c?: unknown, ...rest: unknown[]) => http.ServerResponse;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk && typeof chunk !== 'function') rec.bytes += Buffer.byteLength(chunk as Buffer);
      return countingEnd(chunk, ...rest);
    }) as typeof res.end;

    if (o.token !== undefined && !bearerMatches(req.headers.authorization, o.token)) {
      req.resume();
      sendAnswer(res, unauthorized(), true);
      return;
    }
    handle(o, cap, req, res, rec).catch((err: Error) => {
      rec.error = err.message;
      o.log.error({ err, method, path: url }, 'proxy request failed');
      sendAnswer(res, dockerError(500, `internal error: ${err.message}`));
    });
  };
}

async function handle(
  o: ProxyOptions,
  cap: number,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  rec: AccessRecord,
): Promise<void> {
  const chain = o.chain();
  const hooks = chain.hooks(rec.method, rec.path.split('?')[0]);
  let headers = upstreamHeaders(req.rawHeaders, o.token);
  let sent: ClientRequest = { Method: rec.method, Request: rec.path, Body: null };
  // undefined: stream the client's body through; a Buffer (or null: none): send that.
  let body: Buffer | null | undefined = hasBody(req) ? undefined : null;

  if (hooks.pre.length > 0) {
    let call = chain.call;
    if (body === undefined && isJsonMediaType(req.headers['content-type'])) {
      const read = await readCapped(req, cap);
      if (read.over) {
        rec.error = 'request body over the cap';
        req.resume();
        sendAnswer(res, tooLarge('the request body (JSON, which pre-hooks get)', cap), true);
        return;
      }
      body = read.body;
      sent = { ...sent, Body: body.toString('utf8') };
    } else if (body === undefined) {
      call = streamedBodyGuard(call);
    }
    let result: ChainResult<ClientRequest>;
    try {
      result = await chain.runPre(hooks.pre, sent, call);
    } catch (err) {
      if (!(err instanceof AdapterFailure)) throw err;
      failed(o, chain, res, rec, err);
      if (body === undefined) req.resume();
      return;
    }
    rec.adapters.push(...accessAdapters(result.runs));
    o.metrics?.adapterRuns(result.runs);
    const before = sent;
    sent = result.value;
    if (body !== undefined && sent.Body !== before.Body) {
      body = sent.Body === null ? null : Buffer.from(sent.Body, 'utf8');
      headers = setRawHeader(headers, 'Content-Length', String(body?.length ?? 0));
      if (body && !req.headers['content-type'])
        headers = setRawHeader(headers, 'Content-Type', 'application/json');
    }
  }
  forward(o, cap, chain, hooks, req, res, rec, sent, headers, body, false);
}

function failed(
  o: ProxyOptions,
  chain: ProxyChain,
  res: http.ServerResponse,
  rec: AccessRecord,
  f: AdapterFailure,
) {
  rec.adapters.push(...accessAdapters(f.runs));
  o.metrics?.adapterRuns(f.runs);
  rec.error = f.message;
  o.log.warn({ adapter: f.adapter, hook: f.hook, kind: f.kind, detail: f.detail }, 'adapter failed');
  sendAnswer(res, chain.failureAnswer(f));
}

function forward(
  o: ProxyOptions,
  cap: number,
  chain: ProxyChain,
  hooks: EndpointHooks,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  rec: AccessRecord,
  sent: ClientRequest,
  headers: string[],
  body: Buffer | null | undefined,
  retried: boolean,
): void {
  const up = o.upstream.request({ method: sent.Method, path: sent.Request, headers });
  let answered = false;
  const onClientGone = () => {
    if (!answered || !res.writableFinished) up.destroy();
  };
  res.once('close', onClientGone);
  up.on('error', (err: NodeJS.ErrnoException) => {
    if (answered) return;
    res.off('close', onClientGone);
    // A keep-alive socket dockerd closed while idle: send again once if the body is still at hand.
    if (!retried && body !== undefined && up.reusedSocket && err.code === 'ECONNRESET') {
      forward(o, cap, chain, hooks, req, res, rec, sent, headers, body, true);
      return;
    }
    rec.error = `dockerd: ${err.code ?? err.message}`;
    if (body === undefined) req.resume();
    sendAnswer(res, unreachable(o.upstream.url, err), true);
  });
  up.on('response', (ur) => {
    answered = true;
    respond(o, cap, chain, hooks, res, rec, sent, ur).catch((err: Error) => {
      rec.error = err.message;
      ur.destroy();
      sendAnswer(res, dockerError(500, `internal error: ${err.message}`));
    });
  });
  if (body === undefined) req.pipe(up);
  else up.end(body ?? undefined);
}

async function respond(
  o: ProxyOptions,
  cap: number,
  chain: ProxyChain,
  hooks: EndpointHooks,
  res: http.ServerResponse,
  rec: AccessRecord,
  sent: ClientRequest,
  ur: http.IncomingMessage,
): Promise<void> {
  const status = ur.statusCode ?? 502;
  const stream =
    streamingEndpoint(sent.Method, sent.Request) ?? streamingResponse(status, ur.headers['content-type']);
  const headers = endToEndHeaders(ur.rawHeaders);
  if (stream) {
    rec.stream = true;
    rec.streamKind = stream;
    if (hooks.post.length > 0) rec.postHooksSkipped = hooks.post.map((a) => a.name);
  }
  if (hooks.post.length === 0 || stream) {
    res.writeHead(status, ur.statusMessage, headers);
    // dockerd sends the head of `wait` long before its body, and the CLI sends `start` only once it has that
    // head: a head without its body goes out at once. When the body is right behind it (the usual case) the
    // head rides with the first chunk, one write instead of two. Each chunk is then written as it comes, so
    // `logs -f` and `events` reach the client at once.
    const flush = setImmediate(() => res.flushHeaders());
    ur.once('data', () => clearImmediate(flush));
    ur.once('end', () => clearImmediate(flush));
    ur.pipe(res);
    // dockerd went away mid-answer: the client must see a cut connection, not a clean end.
    ur.once('close', () => {
      if (!ur.complete) res.destroy();
    });
    return;
  }
  const read = await readCapped(ur, cap);
  if (read.over) {
    ur.destroy();
    rec.error = 'response over the cap';
    sendAnswer(
      res,
      dockerError(
        502,
        `dockerd's answer is larger than ${cap} bytes, the most the proxy buffers for post-hooks (${hooks.post.map((a) => a.name).join(', ')})`,
      ),
    );
    return;
  }
  const dockerAnswer: ServerResponse = {
    Code: status,
    ContentType: ur.headers['content-type'] ?? '',
    Body: read.body.length > 0 ? read.body.toString('utf8') : null,
  };
  let result: ChainResult<ServerResponse>;
  try {
    result = await chain.runPost(hooks.post, sent, dockerAnswer, chain.call);
  } catch (err) {
    if (!(err instanceof AdapterFailure)) throw err;
    failed(o, chain, res, rec, err);
    return;
  }
  rec.adapters.push(...accessAdapters(result.runs));
  o.metrics?.adapterRuns(result.runs);
  const v = result.value;
  const out = v.Body === null ? Buffer.alloc(0) : Buffer.from(v.Body, 'utf8');
  let h = setRawHeader(headers, 'Content-Type', v.ContentType === '' ? undefined : v.ContentType);
  h = setRawHeader(h, 'Content-Length', String(out.length));
  if (v.Code === status) res.writeHead(v.Code, ur.statusMessage, h);
  else res.writeHead(v.Code, h);
  res.end(out);
}
