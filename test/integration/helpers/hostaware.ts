/**
 * What the host-aware suites share: the app's API as a test drives it (a request that must succeed, sources and
 * rules created for one test and removed when it ends), its messages, and a gmond source on loopback.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import {
  ensureOvs,
  MininetNet,
  startController,
  startGmond,
  waitFor,
  type GmondInstance,
  type RunningController,
  type Topo,
} from '../harness/index.js';
import { apiRequest, pingOk } from './mininet.js';

export interface HandMsg {
  seq: number;
  type: 'INFO' | 'WARN' | 'THRESHOLD_MET' | 'ACTION' | 'ERROR';
  at: number;
  message: string;
  rule?: string;
  host?: string;
  source?: string;
}

export interface RuleHost {
  host: string;
  state: string;
  metCount: number;
  applied?: { kind: string; id?: number | string };
}

export interface RuleOut {
  rule: Record<string, unknown>;
  issues: string[];
  hosts: RuleHost[];
}

/** The host-aware API of one controller, for one test file. */
export class HandApi {
  constructor(readonly ctl: RunningController) {}

  http(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    return apiRequest(this.ctl, method, path, body);
  }

  /** A request that must succeed; returns its JSON. */
  async ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.http(method, path, body);
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as T;
  }

  /** Adds a source; deleted when `t` ends. */
  async source(t: TestContext, body: Record<string, unknown>): Promise<{ name: string; state: string }> {
    const s = await this.ok<{ name: string; state: string }>('POST', '/api/v1/hostaware/sources', body);
    t.after(() => this.http('DELETE', `/api/v1/hostaware/sources/${s.name}`));
    return s;
  }

  /** Adds a rule; deleted when `t` ends (its action undone: the next test starts clean). */
  async rule(t: TestContext, body: Record<string, unknown>): Promise<RuleOut> {
    const r = await this.ok<RuleOut>('POST', '/api/v1/hostaware/rules', body);
    t.after(() => this.http('DELETE', `/api/v1/hostaware/rules/${String(body.name)}`));
    return r;
  }

  /** The rule's state on `host` (undefined before its first evaluation there, or once the rule is deleted). */
  async ruleHost(name: string, host: string): Promise<RuleHost | undefined> {
    const r = await this.http('GET', `/api/v1/hostaware/rules/${name}`);
    if (r.status === 404) return undefined;
    assert.equal(r.status, 200, `GET rule ${name}: ${JSON.stringify(r.json)}`);
    return (r.json as RuleOut).hosts.find((h) => h.host === host);
  }

  /** Every message of `rule` (oldest first), paging through the API. */
  async messages(filter: { rule?: string; type?: string; after?: number } = {}): Promise<HandMsg[]> {
    const out: HandMsg[] = [];
    let after = filter.after ?? 0;
    for (;;) {
      const q = new URLSearchParams({ after: String(after), limit: '1000' });
      if (filter.rule) q.set('rule', filter.rule);
      if (filter.type) q.set('type', filter.type);
      const page = await this.ok<{ messages: HandMsg[]; next: number }>(
        'GET',
        `/api/v1/hostaware/messages?${q.toString()}`,
      );
      out.push(...page.messages);
      if (page.messages.length < 1000) return out;
      after = page.next;
    }
  }

  /**
   * Waits for source `name` to be down since message `after`: a WARN naming it, then `polls` failed polls in a
   * row. Returns the WARN and the source's view.
   */
  async sourceDown(
    name: string,
    after: number,
    polls: number,
  ): Promise<{ warn: HandMsg; source: { state: string; failures: number; error?: { code: string } } }> {
    const warn = await waitFor(
      async () => (await this.messages({ type: 'WARN', after })).find((m) => m.source === name),
      { what: `a WARN naming source ${name}` },
    );
    const source = await waitFor(
      async () => {
        const s = await this.ok<{ state: string; failures: number; error?: { code: string } }>(
          'GET',
          `/api/v1/hostaware/sources/${name}`,
        );
        return s.failures >= polls ? s : undefined;
      },
      { what: `${polls} failed polls of source ${name}`, timeoutMs: 5_000 + polls * 2_000 },
    );
    return { warn, source };
  }

  /** The newest message's seq now: a test reads only what comes after it. */
  async lastSeq(): Promise<number> {
    return (await this.ok<{ messages: number }>('GET', '/api/v1/hostaware')).messages;
  }

  /** Waits for a message of `rule` after `after` that passes `match`; returns it. */
  waitMessage(
    rule: string,
    after: number,
    match: (m: HandMsg) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<HandMsg> {
    return waitFor(async () => (await this.messages({ rule, after })).find(match), {
      what,
      timeoutMs,
      intervalMs: 100,
      detail: async () => this.transcript(rule, after),
    });
  }

  /** The messages of `rule` after `after`, one a line, for failure output. */
  async transcript(rule: string | undefined, after = 0): Promise<string> {
    return (await this.messages({ ...(rule && { rule }), after }))
      .map((m) => `${m.seq} ${m.type} ${m.host ?? ''} ${m.message}`)
      .join('\n');
  }
}

/** The met count a THRESHOLD_MET message reports (`met 2/3: ...`), else undefined. */
export function metCount(m: HandMsg): number | undefined {
  if (m.type !== 'THRESHOLD_MET') return undefined;
  const c = /^met (\d+)\//.exec(m.message);
  return c ? Number(c[1]) : undefined;
}

export const isApplied = (m: HandMsg) => m.type === 'ACTION' && m.message.startsWith('applied ');
export const isUndone = (m: HandMsg) => m.type === 'ACTION' && /^undone: removed /.test(m.message);

/** A gmond on loopback for one test, closed when it ends, and added as source `name` polled every `interval` s. */
export async function gmondSource(
  hand: HandApi,
  t: TestContext,
  name: string,
  interval = 1,
): Promise<GmondInstance> {
  const g = await startGmond();
  t.after(() => g.close());
  await hand.source(t, { type: 'gmond', name, address: `127.0.0.1:${g.xmlPort}`, interval });
  return g;
}

/**
 * A gmond source reporting h1 (10.0.0.1) with bytes_out 1000, and rule `rule.name` on h1 "bytes_out gt 1e6" with
 * the rest of `rule` (action, checkLimit, ...); the rule has evaluated h1 below the threshold when this returns.
 */
export async function bytesOutRule(
  hand: HandApi,
  t: TestContext,
  o: { source: string; interval?: number; rule: Record<string, unknown> & { name: string } },
): Promise<{ gmond: GmondInstance; rule: RuleOut; set: (value: number) => Promise<void> }> {
  const gmond = await gmondSource(hand, t, o.source, o.interval);
  const set = (value: number) =>
    gmond.gmetric('bytes_out', value, { spoof: '10.0.0.1:h1', units: 'bytes/sec' });
  await set(1000);
  const rule = await hand.rule(t, {
    host: 'h1',
    conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
    ...o.rule,
  });
  await waitFor(async () => (await hand.ruleHost(o.rule.name, 'h1'))?.state === 'idle', {
    what: `rule ${o.rule.name} to evaluate h1 below the threshold (idle)`,
    timeoutMs: 10_000,
  });
  return { gmond, rule, set };
}

/** A test file's network: a `sluice controller`, Mininet `topo` over OpenFlow 1.3, every host seen by it. */
export interface HandNet {
  ctl: RunningController;
  net: MininetNet;
  hand: HandApi;
  stop(): Promise<void>;
}

export async function startHandNet(topo: Topo, switches: number): Promise<HandNet> {
  await ensureOvs();
  const ctl = await startController();
  const hand = new HandApi(ctl);
  let net: MininetNet | undefined;
  const stop = async () => {
    await net?.stop();
    await ctl.stop();
  };
  try {
    net = await MininetNet.start({ topo, protocols: 'OpenFlow13', controllerPort: ctl.openflowPort });
    await waitFor(
      async () => (await hand.ok<unknown[]>('GET', '/wm/core/controller/switches/json')).length === switches,
      { what: `${switches} switches in the API`, timeoutMs: 20_000 },
    );
    // Hosts are learned from their traffic: monitored hosts are joined to their MAC and attachment by then.
    await net.pingallUntil(0, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ctl, net, hand, stop };
}

/** Waits until `src` -> `dst` pings answer (`answers`), or get no answer, then three more in a row get none. */
export async function pings(
  net: MininetNet,
  src: string,
  dst: string,
  answers: boolean,
  what: string,
): Promise<void> {
  await waitFor(async () => (await pingOk(net, src, dst)) === answers, { what, timeoutMs: 20_000 });
  if (!answers) {
    // Not a lost packet.
    const r = await net.ping(src, dst, { count: 3, intervalSec: 0.2, timeoutSec: 1 });
    assert.equal(r.received, 0, `${src} -> ${dst} answered while dropped: ${r.output}`);
  }
}
