/**
 * The HookCaller the proxy uses: POSTs a hook message as JSON to an adapter's URL (`http://`, `https://`,
 * `unix:///path.sock[:/url-path]`) or hands it to a built-in adapter (`builtin:NAME`) in-process, and turns
 * every way that can go wrong into an AdapterFailure of the right kind. Powerstrip did not check adapters'
 * answers and hung on their errors; here every call ends, at the latest when the timeout aborts it.
 *
 * undici with keep-alive agents (one for TCP, one per Unix socket): a hook per request must not pay a
 * connection setup each time (the target is at most +1 ms p50 per adapter hop).
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { HookRequest } from './protocol.js';
import { hookErrorStatus, REFUSAL_STATUSES } from './refusal.js';
import { AdapterFailure, type AdapterHandler, type AdapterRef, type HookCaller } from './types.js';

export interface HookCallerOptions {
  /** How long one adapter call may take, answer body included. */
  timeoutMs?: number;
  /** The in-process adapters `builtin:NAME` URLs name. */
  builtins?: Map<string, AdapterHandler>;
  /** The largest reply accepted (replies carry Docker's bodies, which can be long lists). */
  maxReplyBytes?: number;
}

export type ClosableHookCaller = HookCaller & {
  /** Closes the idle keep-alive connections (they do not keep the process alive; this is for tidy exits). */
  close(): Promise<void>;
};

/** How much of a failing adapter's body goes into the error: enough to read its message, not a page of HTML. */
const SNIPPET_CHARS = 200;

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'no such socket',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'name lookup failed',
  EACCES: 'permission denied',
  UND_ERR_SOCKET: 'connection closed by the adapter',
};

/** Where a URL points: an origin and path for undici, and the dispatcher to use. */
interface Target {
  origin: string;
  path: string;
  dispatcher: Dispatcher;
}

export function makeHookCaller(opts: HookCallerOptions = {}): ClosableHookCaller {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxReplyBytes = opts.maxReplyBytes ?? 64 * 1024 * 1024;
  const builtins = opts.builtins ?? new Map<string, AdapterHandler>();
  const tcp = new Agent();
  const unix = new Map<string, Agent>();

  const target = (ref: AdapterRef, hook: 'pre' | 'post'): Target => {
    if (ref.url.startsWith('unix://')) {
      const rest = ref.url.slice('unix://'.length);
      const colon = rest.indexOf(':');
      const socketPath = colon < 0 ? rest : rest.slice(0, colon);
      const path = colon < 0 ? '/' : rest.slice(colon + 1);
      if (!socketPath.startsWith('/') || !path.startsWith('/')) {
        throw new AdapterFailure(
          ref.name,
          hook,
          'unreachable',
          `bad URL ${ref.url}: expected unix:///path.sock or unix:///path.sock:/url-path`,
        );
      }
      let agent = unix.get(socketPath);
      if (!agent) {
        agent = new Agent({ connect: { socketPath } });
        unix.set(socketPath, agent);
      }
      return { origin: 'http://localhost', path, dispatcher: agent };
    }
    let url: URL;
    try {
      url = new URL(ref.url);
    } catch {
      url = new URL('invalid:');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AdapterFailure(
        ref.name,
        hook,
        'unreachable',
        `unsupported URL ${shown(ref.url)}: use http://, https://, unix:///path.sock[:/path] or builtin:NAME`,
      );
    }
    return { origin: url.origin, path: url.pathname + url.search, dispatcher: tcp };
  };

  const callHttp = async (ref: AdapterRef, hook: 'pre' | 'post', message: HookRequest): Promise<unknown> => {
    const where = target(ref, hook);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    const fail = (kind: AdapterFailure['kind'], detail: string, cause?: unknown, refusal?: Refused) =>
      new AdapterFailure(ref.name, hook, kind, detail, { cause, refusal });
    try {
      let status: number;
      let text: string;
      try {
        const res = await request(where.origin + where.path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message),
          dispatcher: where.dispatcher,
          signal: ac.signal,
        });
        status = res.statusCode;
        text = await readBody(res.body, maxReplyBytes);
      } catch (err) {
        if (ac.signal.aborted) {
          throw fail('timeout', `no answer from ${shown(ref.url)} within ${timeoutMs} ms`, err);
        }
        if (err instanceof ReplyTooLarge) {
          throw fail('invalid_json', `${shown(ref.url)} answered more than ${maxReplyBytes} bytes`, err);
        }
        throw fail('unreachable', `${unreachable(err)} to ${shown(ref.url)}`, err);
      }
      if (status < 200 || status > 299) {
        throw fail(
          'status',
          `${shown(ref.url)} answered ${status}: ${snippet(text)}`,
          undefined,
          refusal(status, text),
        );
      }
      try {
        return JSON.parse(text);
      } catch (err) {
        throw fail(
          'invalid_json',
          `${shown(ref.url)} answered ${status} with a body that is not JSON: ${snippet(text)}`,
          err,
        );
      }
    } finally {
      clearTimeout(timer);
    }
  };

  const callBuiltin = async (
    ref: AdapterRef,
    hook: 'pre' | 'post',
    message: HookRequest,
  ): Promise<unknown> => {
    const name = ref.url.slice('builtin:'.length);
    const handler = builtins.get(name);
    if (!handler) {
      const known = [...builtins.keys()].join(', ') || 'none';
      throw new AdapterFailure(
        ref.name,
        hook,
        'unreachable',
        `no built-in adapter ${JSON.stringify(name)} (built in: ${known})`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AdapterFailure(
              ref.name,
              hook,
              'timeout',
              `built-in adapter ${name} did not answer within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([handler.handle(message), timeout]);
    } catch (err) {
      if (err instanceof AdapterFailure) throw err;
      // The same failure the SDK's HTTP server would produce: its status, its message.
      const status = hookErrorStatus(err);
      const message = (err as Error)?.message ?? String(err);
      throw new AdapterFailure(
        ref.name,
        hook,
        'status',
        `built-in adapter ${name} answered ${status}: ${snippet(message)}`,
        { cause: err, refusal: REFUSAL_STATUSES.has(status) ? { status, message } : undefined },
      );
    } finally {
      clearTimeout(timer);
    }
  };

  const call = ((ref: AdapterRef, message: HookRequest): Promise<unknown> => {
    const hook = message.Type === 'pre-hook' ? 'pre' : 'post';
    return ref.url.startsWith('builtin:') ? callBuiltin(ref, hook, message) : callHttp(ref, hook, message);
  }) as ClosableHookCaller;
  call.close = async () => {
    await Promise.all([tcp.close(), ...[...unix.values()].map((a) => a.close())]);
    unix.clear();
  };
  return call;
}

class ReplyTooLarge extends Error {}

type Refused = NonNullable<AdapterFailure['refusal']>;

async function readBody(body: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw new ReplyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A refusal (refusal.ts): a 400, 403 or 409 answer in Docker's error shape `{"message": "..."}`. */
function refusal(status: number, text: string): Refused | undefined {
  if (!REFUSAL_STATUSES.has(status)) return undefined;
  try {
    const v = JSON.parse(text) as { message?: unknown };
    return typeof v?.message === 'string' ? { status, message: v.message } : undefined;
  } catch {
    return undefined;
  }
}

function unreachable(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  return (code && UNREACHABLE_CODES[code]) ?? (code ? `${code}: ${e.message}` : (e?.message ?? String(err)));
}

function snippet(text: string): string {
  const t = text.trim();
  if (t === '') return '(empty body)';
  return t.length > SNIPPET_CHARS ? `${t.slice(0, SNIPPET_CHARS)}...` : t;
}

/** The URL as shown in errors: without a password, which the client must not see. */
function shown(url: string): string {
  return url.replace(/^(\w+:\/\/)[^/@]*@/, '$1');
}
