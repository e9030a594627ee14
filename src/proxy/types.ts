/**
 * The shapes the proxy's parts agree on: the config (config.ts) says which adapters a request meets, the chain
 * (chain.ts) runs them through a HookCaller, the server (server.ts) forwards to dockerd around them.
 */
import type { ClientRequest, HookRequest, ServerResponse } from './protocol.js';

/** An adapter named in adapters.yml: `http://host:port/path`, `https://...`, `unix:///path.sock[:/url-path]` or `builtin:NAME`. */
export interface AdapterRef {
  name: string;
  url: string;
}

/** The adapters a request meets, each list in file order (pre-hooks before dockerd, post-hooks after). */
export interface EndpointHooks {
  pre: AdapterRef[];
  post: AdapterRef[];
}

/** Sends one hook message to one adapter and returns its reply as parsed JSON; throws AdapterFailure. */
export type HookCaller = (adapter: AdapterRef, message: HookRequest) => Promise<unknown>;

/** What one adapter call cost (for the access log and /metrics). */
export interface AdapterRun {
  adapter: string;
  hook: 'pre' | 'post';
  ms: number;
  ok: boolean;
}

export type AdapterFailureKind =
  /** Connection refused, reset, DNS, no such socket. */
  | 'unreachable'
  /** The adapter answered with a non-2xx status. */
  | 'status'
  /** No answer within the timeout. */
  | 'timeout'
  /** The answer was not JSON. */
  | 'invalid_json'
  /** JSON, but not a PowerstripProtocolVersion 1 reply (wrong version, missing or mistyped key). */
  | 'protocol';

/** An adapter failed: the chain stops and the client gets a Docker-style JSON error naming the adapter. */
export class AdapterFailure extends Error {
  /**
   * Set when the adapter refused the request on purpose (it answered 400, 403 or 409 with Docker's error shape
   * `{"message"}`, see refusal.ts): the client gets that status and message, not a 502 about a broken adapter.
   */
  readonly refusal?: { status: number; message: string };
  /** The calls of the chain up to and including this one (set by the chain, for the access log). */
  runs: AdapterRun[] = [];

  constructor(
    readonly adapter: string,
    readonly hook: 'pre' | 'post',
    readonly kind: AdapterFailureKind,
    readonly detail: string,
    options?: { cause?: unknown; refusal?: { status: number; message: string } },
  ) {
    super(`adapter ${JSON.stringify(adapter)} failed in its ${hook}-hook (${kind}): ${detail}`, options);
    this.name = 'AdapterFailure';
    if (options?.refusal !== undefined) this.refusal = options.refusal;
  }
}

/**
 * An adapter served in-process (`builtin:NAME` in adapters.yml; the SDK's createAdapter returns one): takes a
 * hook request as parsed JSON, returns the reply. What it throws counts as the error status the SDK's HTTP
 * server would answer (refusal.ts, hookErrorStatus): a Refusal or FieldError refuses, anything else is a 500.
 */
export interface AdapterHandler {
  handle(message: unknown): Promise<unknown>;
}

/** The result of a chain: the last hook's output, and what each call cost. */
export interface ChainResult<T> {
  value: T;
  runs: AdapterRun[];
}

export type { ClientRequest, ServerResponse };
