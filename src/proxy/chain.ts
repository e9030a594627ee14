/**
 * The pre- and post-hook chains, as Powerstrip's README documents them (its code only carried the Body
 * forward): each hook's output is the next hook's input, in file order, and every key of it counts (Method,
 * Request and Body before dockerd; Code, ContentType and Body after). The first failure stops the chain.
 * Pure given a HookCaller: how adapters are reached is caller.ts's business.
 */
import { performance } from 'node:perf_hooks';
import {
  parsePostHookReply,
  parsePreHookReply,
  postHookRequest,
  preHookRequest,
  ProtocolError,
  type ClientRequest,
  type HookRequest,
  type ServerResponse,
} from './protocol.js';
import {
  AdapterFailure,
  type AdapterRef,
  type AdapterRun,
  type ChainResult,
  type HookCaller,
} from './types.js';

/** Runs the pre-hooks in order; the result is the request to send to dockerd. Rejects with AdapterFailure. */
export function runPreHooks(
  adapters: AdapterRef[],
  req: ClientRequest,
  call: HookCaller,
): Promise<ChainResult<ClientRequest>> {
  return runChain(
    adapters,
    'pre',
    req,
    call,
    preHookRequest,
    (r) => parsePreHookReply(r).ModifiedClientRequest,
  );
}

/**
 * Runs the post-hooks in order on dockerd's answer (errors included); the result is what the client gets.
 * Every hook sees the same client request (the one dockerd answered) and the previous hook's response.
 */
export function runPostHooks(
  adapters: AdapterRef[],
  req: ClientRequest,
  res: ServerResponse,
  call: HookCaller,
): Promise<ChainResult<ServerResponse>> {
  return runChain(
    adapters,
    'post',
    res,
    call,
    (value) => postHookRequest(req, value),
    (r) => parsePostHookReply(r).ModifiedServerResponse,
  );
}

/** Feeds `value` through the adapters: each reply, parsed, is the next message's content. */
async function runChain<T>(
  adapters: AdapterRef[],
  hook: 'pre' | 'post',
  value: T,
  call: HookCaller,
  message: (value: T) => HookRequest,
  parse: (reply: unknown) => T,
): Promise<ChainResult<T>> {
  const runs: AdapterRun[] = [];
  for (const adapter of adapters) {
    const start = performance.now();
    try {
      value = parse(await call(adapter, message(value)));
    } catch (err) {
      runs.push({ adapter: adapter.name, hook, ms: performance.now() - start, ok: false });
      const failure = asFailure(err, adapter, hook);
      failure.runs = runs;
      throw failure;
    }
    runs.push({ adapter: adapter.name, hook, ms: performance.now() - start, ok: true });
  }
  return { value, runs };
}

function asFailure(err: unknown, adapter: AdapterRef, hook: 'pre' | 'post'): AdapterFailure {
  if (err instanceof AdapterFailure) return err;
  if (err instanceof ProtocolError) {
    return new AdapterFailure(
      adapter.name,
      hook,
      'protocol',
      `its reply is not a PowerstripProtocolVersion 1 ${hook}-hook reply: ${err.message}`,
      { cause: err },
    );
  }
  // A HookCaller is meant to throw only AdapterFailure; anything else still must not take the proxy down.
  return new AdapterFailure(adapter.name, hook, 'status', (err as Error)?.message ?? String(err), {
    cause: err,
  });
}

/** How one failure kind reads to the docker CLI user: the status they get, and what to do about it. */
const ADVICE: Record<AdapterFailure['kind'], { status: number; hint: string }> = {
  unreachable: {
    status: 502,
    hint: 'is the adapter running? start it, or fix its URL under "adapters:" in adapters.yml',
  },
  status: { status: 502, hint: "the adapter reported an error: see the adapter's own log" },
  timeout: {
    status: 504,
    hint: 'the adapter did not answer in time: check that it is not stuck, or remove it from adapters.yml',
  },
  invalid_json: {
    status: 502,
    hint: 'an adapter must answer with JSON: is the URL in adapters.yml that of a Powerstrip adapter?',
  },
  protocol: {
    status: 502,
    hint: 'the adapter does not speak PowerstripProtocolVersion 1: update it, or remove it from adapters.yml',
  },
};

/**
 * The answer the client gets when a chain fails: Docker's error shape, so the docker CLI prints
 * `Error response from daemon: sluice proxy: adapter "x" failed ...`. A deliberate refusal (refusal.ts)
 * keeps the adapter's status and reads as a refusal, not as a broken adapter.
 */
export function dockerStyleError(failure: AdapterFailure): {
  status: number;
  body: string;
  contentType: 'application/json';
} {
  if (failure.refusal) {
    const { status, message } = failure.refusal;
    const text = `sluice proxy: adapter ${JSON.stringify(failure.adapter)} refused the request: ${message}`;
    return { status, body: JSON.stringify({ message: text }), contentType: 'application/json' };
  }
  const { status, hint } = ADVICE[failure.kind];
  const message = `sluice proxy: ${failure.message} (${hint})`;
  return { status, body: JSON.stringify({ message }), contentType: 'application/json' };
}
