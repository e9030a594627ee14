/**
 * Host-aware networking methods (/api/v1/hostaware, and FL_HAND's rule form at /wm/hand/rules/json): module
 * status, metric sources, monitored hosts and their metrics, rules, paged messages and their live Server-Sent
 * Events stream. Only web-platform globals (fetch's Response, ReadableStream, TextDecoder, AbortSignal) are
 * used here, so this part of the client also runs in a browser. Reply types are the schemas' (src/schema).
 */
import type { Static } from '@sinclair/typebox';
import type * as S from '../schema/index.js';

export type HandStatus = Static<typeof S.HandStatus>;
export type HandSource = Static<typeof S.HandSource>;
export type HandSourceType = HandSource['type'];
export type HandHost = Static<typeof S.HandHost>;
export type HandMetricValue = Static<typeof S.HandMetricValue>;
export type HandHostMetrics = Static<typeof S.HandHostMetrics>;
export type HandCondition = Static<typeof S.HandCondition>;
export type HandRuleHostState = Static<typeof S.HandRuleHostState>;
export type HandRuleState = HandRuleHostState['state'];
/** A rule with its state per host; `rule` lists every key (defaults explicit). */
export type HandRuleView = Static<typeof S.HandRuleView>;
export type HandMessage = Static<typeof S.HandMessage>;
export type HandEventType = HandMessage['type'];
export type HandMessagePage = Static<typeof S.HandMessagePage>;

type ListedRule = HandRuleView['rule'];
export type HandActionType = ListedRule['action']['type'];

/**
 * A rule as `POST /api/v1/hostaware/rules` takes it: the listed form with only name, host, conditions and
 * action required (the others default).
 */
export type HandRule = Pick<ListedRule, 'name' | 'host' | 'conditions' | 'action'> &
  Partial<Omit<ListedRule, 'name' | 'host' | 'conditions' | 'action'>>;

// Request bodies without a schema yet (hand-written).

/**
 * A source as `POST /api/v1/hostaware/sources` takes it: `type` and that type's keys (gmond/gmetad `address`,
 * gmetad `query`, rrd `directory`/`cf`/`window`, prometheus `url`/`hostLabel`/`host`, prometheus-query
 * `url`/`queries`/`hostLabel`, alertmanager `path`/`hostLabel`), optional `name`, `interval`, `timeout` (s).
 */
export type HandSourceConfig = {
  type: HandSourceType;
  name?: string;
  interval?: number;
  timeout?: number;
} & Record<string, unknown>;

/** FL_HAND's rule JSON: metrics as {"bytes_out": "gt-1000000"}, action_string the target's body as JSON text. */
export type FlHandRule = {
  rule_name: string;
  attached_to: string;
  metrics: Record<string, string>;
  action_type: HandActionType;
  action_string?: string;
} & Record<string, unknown>;

export interface HandMessageFilter {
  type?: HandEventType;
  rule?: string;
  host?: string;
  source?: string;
}

export interface HandStreamOptions extends HandMessageFilter {
  /** Start after this seq (replayed from there); default: from now (the module's last seq). */
  after?: number;
  /** Ends the stream (the iterator finishes without an error). */
  signal?: AbortSignal;
  /** Called each time the stream is (re)connected, once the server answered. */
  onOpen?: () => void;
  /** Called when the connection dropped and a reconnect is due in `delayMs`. */
  onReconnect?: (err: unknown, delayMs: number) => void;
  /** First delay before a reconnect (doubles to 30 s while they fail); default 1000 ms or the server's `retry`. */
  retryMs?: number;
  /** No byte (not even the server's 15 s keep-alive) for this long means a dead connection; default 45000 ms. */
  idleMs?: number;
}

type Query = Record<string, string | number | undefined>;
type Request = <T>(method: string, path: string, opts?: { query?: Query; body?: unknown }) => Promise<T>;
/** Opens a streaming GET: resolves to the answered Response (2xx), or throws as `request` does. */
export type OpenStream = (
  path: string,
  opts: { query?: Query; headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<Response>;

const seg = (s: string | number) => encodeURIComponent(String(s));
const BASE = '/api/v1/hostaware';
const MAX_RETRY_MS = 30_000;

export function hostawareMethods(request: Request, openStream: OpenStream) {
  const status = () => request<HandStatus>('GET', BASE);
  const page = (q: HandMessageFilter & { after?: number; limit?: number } = {}) =>
    request<HandMessagePage>('GET', `${BASE}/messages`, { query: { ...q } });
  return {
    status,
    enable: () => request<HandStatus>('PUT', BASE, { body: { enabled: true } }),
    /** Disabling undoes every action in effect. */
    disable: () => request<HandStatus>('PUT', BASE, { body: { enabled: false } }),

    sources: () => request<HandSource[]>('GET', `${BASE}/sources`),
    source: (name: string) => request<HandSource>('GET', `${BASE}/sources/${seg(name)}`),
    /** Validated and polled once: the answer shows the source's health. */
    addSource: (cfg: HandSourceConfig) => request<HandSource>('POST', `${BASE}/sources`, { body: cfg }),
    deleteSource: (name: string) => request<HandSource>('DELETE', `${BASE}/sources/${seg(name)}`),
    /** What Alertmanager's webhook_configs would post to the alertmanager source receiving on `path`. */
    postAlerts: (path: string, payload: unknown) =>
      request<{ accepted: number; unmatched: string[] }>('POST', `${BASE}/alerts/${seg(path)}`, {
        body: payload,
      }),

    hosts: () => request<HandHost[]>('GET', `${BASE}/hosts`),
    metrics: (host: string) => request<HandHostMetrics>('GET', `${BASE}/hosts/${seg(host)}/metrics`),

    rules: () => request<HandRuleView[]>('GET', `${BASE}/rules`),
    rule: (name: string) => request<HandRuleView>('GET', `${BASE}/rules/${seg(name)}`),
    addRule: (rule: HandRule) => request<HandRuleView>('POST', `${BASE}/rules`, { body: rule }),
    /** Adds or replaces (the replaced rule's actions are undone first). */
    putRule: (rule: HandRule) =>
      request<HandRuleView>('PUT', `${BASE}/rules/${seg(rule.name)}`, { body: rule }),
    /** FL_HAND's rule JSON through /wm/hand/rules/json. */
    addFloodlightRule: (rule: FlHandRule) =>
      request<{ status: string; rule_name: string; issues: string[] }>('POST', '/wm/hand/rules/json', {
        body: rule,
      }),
    setRuleActive: (name: string, active: boolean) =>
      request<HandRuleView>('PATCH', `${BASE}/rules/${seg(name)}`, { body: { active } }),
    /** Its actions are undone. */
    deleteRule: (name: string) => request<HandRuleView>('DELETE', `${BASE}/rules/${seg(name)}`),

    /** Without `after`, the newest `limit` (default 100) messages; with it, the ones after it, oldest first. */
    messages: page,
    /**
     * The live messages (Server-Sent Events), as an async iterator. A dropped connection is reopened with the
     * last id seen (Last-Event-ID), so nothing is missed or repeated; an error answer (4xx/5xx) or a failure of
     * the first connection is thrown. Ends when `signal` aborts or the loop breaks.
     */
    stream: (opts: HandStreamOptions = {}) => streamMessages(openStream, status, opts),
    /** `stream` with a callback; resolves when `signal` aborts, rejects as `stream` throws. */
    follow: async (onMessage: (m: HandMessage) => void, opts: HandStreamOptions = {}) => {
      for await (const m of streamMessages(openStream, status, opts)) onMessage(m);
    },
  };
}

export type HostawareMethods = ReturnType<typeof hostawareMethods>;

/** One Server-Sent Event (`id`, `event`, `data` lines; a blank line ends it). */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
  retry?: number;
}

/** Feeds text in chunks, returns the events completed so far (per the SSE spec's parsing rules). */
export class SseParser {
  private buf = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private retry: number | undefined;

  push(chunk: string): SseEvent[] {
    this.buf += chunk;
    const out: SseEvent[] = [];
    let nl: number;
    while ((nl = this.buf.search(/\r\n|\r|\n/)) >= 0) {
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (this.buf[nl] === '\r' && nl === this.buf.length - 1) break;
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + (this.buf.startsWith('\r\n', nl) ? 2 : 1));
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      const ev =
        this.data.length === 0
          ? undefined
          : {
              event: this.event || 'message',
              data: this.data.join('\n'),
              ...(this.id !== undefined && { id: this.id }),
              ...(this.retry !== undefined && { retry: this.retry }),
            };
      this.data = [];
      this.event = '';
      this.retry = undefined;
      return ev;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return undefined;
  }
}

async function* streamMessages(
  openStream: OpenStream,
  status: () => Promise<HandStatus>,
  o: HandStreamOptions,
): AsyncGenerator<HandMessage> {
  const outer = o.signal;
  if (outer?.aborted) return;
  const filter: Query = { type: o.type, rule: o.rule, host: o.host, source: o.source };
  // Where the reader is: every message with a higher seq (matching the filter) is still to come.
  let last = o.after ?? (await status()).messages;
  const baseDelay = o.retryMs ?? 1000;
  let delay = baseDelay;
  let first = true;
  while (!outer?.aborted) {
    const conn = new AbortController();
    const abort = () => conn.abort();
    outer?.addEventListener('abort', abort, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(abort, o.idleMs ?? 45_000);
    };
    let failure: unknown;
    try {
      const res = await openStream(`${BASE}/messages/stream`, {
        query: { ...filter, after: last },
        headers: { accept: 'text/event-stream', 'last-event-id': String(last) },
        signal: conn.signal,
      });
      first = false;
      delay = baseDelay;
      o.onOpen?.();
      if (!res.body) throw new Error('the stream answered without a body');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const parser = new SseParser();
      arm();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          arm();
          for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
            if (ev.retry !== undefined) delay = ev.retry;
            if (ev.event !== 'message') continue;
            const m = JSON.parse(ev.data) as HandMessage;
            // Never twice, even if a server replayed more than asked.
            if (m.seq <= last) continue;
            last = m.seq;
            yield m;
          }
        }
      } finally {
        reader.cancel().catch(() => undefined);
      }
    } catch (err) {
      // A first connection that fails, or any error answer, is the caller's to see; a drop is reconnected.
      if (outer?.aborted) return;
      if (first || isErrorAnswer(err)) throw err;
      failure = err;
    } finally {
      clearTimeout(idle);
      outer?.removeEventListener('abort', abort);
    }
    if (outer?.aborted) return;
    o.onReconnect?.(failure ?? new Error('the server closed the stream'), delay);
    await pause(delay, outer);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
}

/** An HTTP error answer (the ApiError the client throws has a numeric `status`). */
function isErrorAnswer(err: unknown): boolean {
  return typeof (err as { status?: unknown } | null)?.status === 'number';
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
