/**
 * The host-aware app (FL_HAND finished, issue 10): metric sources polled on timers, monitored hosts joined to
 * host tracking, rules evaluated by the pure HandEngine, and the engine's ACTION events carried out through the
 * other apps' typed handles (actions.ts), one at a time and in order. Everything an action created is recorded
 * under the rule and host (the tag) in the store, so deleting or deactivating the rule, or the condition
 * clearing, undoes exactly that, also after a restart: at start, what a previous run left applied is undone
 * (the engine's counts do not survive a restart; a rule acts again once its check limit is met again).
 *
 * A source that fails (down, slow, garbage) gives a WARN and marks its hosts' metrics stale: the engine then
 * treats the conditions as unknown, which resets counts and never acts. Other sources keep their own timers.
 */
import type { App, AppContext, SwitchSession } from '../../controller/index.js';
import { appCookie } from '../../controller/index.js';
import type { OfVersion } from '../../openflow/index.js';
import { macNumToText } from '../../packet/index.js';
import { ConflictError, NotFoundError, SerialQueue, formatDpid } from '../../util/index.js';
import type { HostsApp } from '../hosts/index.js';
import {
  ActionError,
  actionIssues,
  applyAction,
  checkActionBody,
  ipNum,
  parseApplied,
  undoAction,
  type ActionHost,
  type ActionTargets,
  type Applied,
  type ServiceTarget,
} from './actions.js';
import { StoreFollower, sameJson, type StoreChange } from '../follow.js';
import { HandEngine, pickLeast, type HandEvent, type MetricPoint, type RuleHostStatus } from './eval.js';
import { MessageLog, type MessageInput } from './messages.js';
import { fromFlHand, parseRule, ruleJson, type HandRule, type LoadBalanceParams } from './rules.js';
import {
  SourceFetchError,
  describeSource,
  parseAlertmanagerWebhook,
  parseSourceConfig,
  pollSource,
  type HostInfo,
  type MetricSample,
  type SourceConfig,
  type SourceSnapshot,
} from './sources/index.js';

export const HOSTAWARE_APP_ID = 7;
export const HAND_PREFIX = '/apps/hostaware/';
const SOURCES_PREFIX = `${HAND_PREFIX}sources/`;
const RULES_PREFIX = `${HAND_PREFIX}rules/`;
const APPLIED_PREFIX = `${HAND_PREFIX}applied/`;
const CONFIG_KEY = `${HAND_PREFIX}config`;

export interface HostAwareOptions extends Omit<ActionTargets, 'switchVersions'> {
  hosts?: HostsApp;
  services?: ServiceTarget;
  /** One poll of a source (tests inject one); default pollSource. */
  poll?: (cfg: SourceConfig, now: number) => Promise<SourceSnapshot>;
  messageCapacity?: number;
}

export type SourceState = 'unknown' | 'ok' | 'down';

export interface SourceView {
  name: string;
  type: SourceConfig['type'];
  config: Record<string, unknown>;
  description: string;
  state: SourceState;
  /** Seconds between polls now: the source's interval, or the fastest active rule's polling time if less. */
  pollEvery: number;
  lastPoll?: number;
  lastOk?: number;
  pollMs?: number;
  error?: { code: string; message: string };
  /** Polls that failed since the last good one. */
  failures: number;
  hosts: number;
  samples: number;
}

export interface MetricValue {
  value: number;
  at: number;
  units?: string;
  stale: boolean;
}

export interface MonitoredHostView {
  name: string;
  ip?: string;
  domain?: string;
  cluster?: string;
  source: string;
  reported: number;
  /** up: fresh values; stale: the source is down or the host stopped reporting. */
  state: 'up' | 'stale';
  /** From host tracking: absent when the controller has not seen the host (`attached` false). */
  attached: boolean;
  mac?: string;
  switch?: string;
  port?: number;
  metrics: number;
}

export interface RuleView {
  rule: HandRule;
  /** Why the action cannot work now (module off, OpenFlow 1.0 rate), empty when it can. */
  issues: string[];
  /** Per monitored host the rule selects. */
  hosts: (RuleHostStatus & { applied?: Applied })[];
}

export interface HandStatus {
  enabled: boolean;
  sources: number;
  hosts: number;
  rules: number;
  activeActions: number;
  messages: number;
}

interface SourceEntry {
  cfg: SourceConfig;
  state: SourceState;
  timer?: unknown;
  lastPoll?: number;
  lastStart?: number;
  lastOk?: number;
  pollMs?: number;
  error?: { code: string; message: string };
  failures: number;
  samples: number;
  /** Host names this source reported in its last good poll. */
  hosts: Set<string>;
  /** Alertmanager: alert name -> host -> firing (1) or resolved (0), with the time. */
  alerts?: Map<string, Map<string, { value: number; at: number }>>;
}

interface MonitoredHost {
  info: HostInfo;
  metrics: Map<string, MetricSample>;
  stale: boolean;
}

interface LbService {
  rule: string;
  params: LoadBalanceParams;
  holders: Set<string>;
  member: string;
}

const key = (rule: string, host: string) => `${rule}\u0000${host}`;
const appliedKey = (rule: string, host: string) =>
  `${APPLIED_PREFIX}${encodeURIComponent(rule)}/${encodeURIComponent(host)}`;
const serviceId = (rule: string) => `hand:${rule}`;

/** The rule and host of an applied record's key; undefined when the key is not one appliedKey makes. */
function ruleHostOfKey(k: string): [string, string] | undefined {
  const parts = k.slice(APPLIED_PREFIX.length).split('/');
  if (parts.length !== 2) return undefined;
  try {
    const [rule, host] = parts.map(decodeURIComponent) as [string, string];
    return rule && host ? [rule, host] : undefined;
  } catch {
    return undefined;
  }
}

export class HostAwareApp implements App {
  readonly name = 'hostaware';
  readonly cookie = appCookie(HOSTAWARE_APP_ID);
  /** Store writes, and the actions' applies and undos, one at a time in the engine's order. */
  private readonly serial = new SerialQueue();
  private ctx: AppContext | undefined;
  private engine = new HandEngine();
  private readonly rules = new Map<string, HandRule>();
  private readonly sources = new Map<string, SourceEntry>();
  private readonly hosts = new Map<string, MonitoredHost>();
  private readonly applied = new Map<string, Applied>();
  private readonly lb = new Map<string, LbService>();
  private enabledFlag = true;
  private stopped = false;
  readonly messages: MessageLog;
  private readonly poll: (cfg: SourceConfig, now: number) => Promise<SourceSnapshot>;
  /** Counters for /metrics and the bench. */
  readonly counters = { polls: 0, pollFailures: 0, actionsApplied: 0, actionsUndone: 0, actionErrors: 0 };
  /** Resolves when the actions queued so far have run (tests and the bench wait on it). */
  private lastAction: Promise<unknown> = Promise.resolve();
  private follower?: StoreFollower;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly o: HostAwareOptions) {
    this.poll = o.poll ?? pollSource;
    this.messages = new MessageLog(o.messageCapacity);
  }

  // ------------------------------------------------------------------------------------------ lifecycle

  async start(ctx: AppContext): Promise<void> {
    this.ctx = ctx;
    const store = ctx.store;
    this.follower = new StoreFollower({
      store,
      prefixes: [CONFIG_KEY, SOURCES_PREFIX, RULES_PREFIX, APPLIED_PREFIX],
      apply: (changes) => this.reload(changes),
      serialize: (fn) => this.serial.run(fn),
      log: ctx.log,
      app: this.name,
    });
    const cfg = (await store.get(CONFIG_KEY))?.value as { enabled?: unknown } | undefined;
    this.enabledFlag = cfg?.enabled !== false;
    for (const e of await store.list(SOURCES_PREFIX)) {
      const c = this.readSource(e.key, e.value);
      if (c) this.sources.set(c.name, newSource(c));
    }
    for (const e of await store.list(RULES_PREFIX)) {
      const r = this.readRule(e.key, e.value);
      if (!r) continue;
      this.rules.set(r.name, r);
      this.engine.setRule(r, ctx.now());
    }
    const cluster = ctx.cluster;
    if (!cluster) {
      // What a previous run applied: its counts are gone, so undo it; the rules act again when met again.
      for (const e of await store.list(APPLIED_PREFIX)) {
        const a = parseApplied(e.value);
        if (a) {
          await undoAction(a, this.targets()).catch((err: unknown) =>
            ctx.log.warn({ key: e.key, err: (err as Error).message }, 'hostaware: undo at start failed'),
          );
        }
        await store.delete(e.key);
      }
    } else {
      // In a cluster the leader acts; the others show what it applied. A new leader takes over from the store.
      this.unsubscribe.push(
        cluster.onLeadership((leading) => {
          if (leading) void this.takeOver();
          else this.note({ type: 'INFO', message: 'no longer the leader: actions are left to the new one' });
        }),
      );
      if (cluster.isLeader()) await this.takeOver();
      else for (const [k, a] of await this.storedApplied()) this.applied.set(k, a);
    }
    this.note({
      type: 'INFO',
      message: `module started: ${this.sources.size} source(s), ${this.rules.size} rule(s)`,
    });
    for (const s of this.sources.values()) this.schedule(s, 0);
    this.follower.start();
  }

  /** Resolves when the store changes seen so far are in memory (tests). */
  synced(): Promise<void> {
    return this.follower?.settled() ?? Promise.resolve();
  }

  /** Whether this member carries out rule actions: alone always, in a cluster the leader only. */
  private acting(): boolean {
    return this.ctx?.cluster?.isLeader() ?? true;
  }

  /** The applied records in the store, by rule and host; a bad one is logged and skipped. */
  private async storedApplied(): Promise<Map<string, Applied>> {
    const out = new Map<string, Applied>();
    for (const e of await this.store().list(APPLIED_PREFIX)) {
      const rh = ruleHostOfKey(e.key);
      const a = parseApplied(e.value);
      if (rh && a) out.set(key(...rh), a);
      else this.ctx?.log.warn({ key: e.key }, 'hostaware: skipping a bad stored applied record');
    }
    return out;
  }

  /**
   * This member now leads: it carries out the rules from here on, starting from what the store says is
   * applied. What its own evaluation wants in effect is kept (and applied when missing); the rest is undone.
   */
  private takeOver(): Promise<void> {
    return this.serial.run(async () => {
      if (!this.acting()) return;
      const stored = await this.storedApplied();
      const wanted = new Set<string>();
      if (this.enabledFlag) {
        for (const st of this.engine.status())
          if (st.activeSince !== undefined) wanted.add(key(st.rule, st.host));
      }
      this.applied.clear();
      for (const [k, a] of stored) this.applied.set(k, a);
      let kept = 0;
      for (const [k, a] of stored) {
        const [rule, host] = k.split('\u0000') as [string, string];
        if (!wanted.has(k)) await this.runUndo(rule, host, a, 'not wanted when this member took over');
        else {
          kept++;
          // A service address lives in the forwarding of the member that set it: set it here again.
          if (a.kind === 'service') {
            this.applied.delete(k);
            await this.runApply(rule, host);
          }
        }
      }
      for (const k of wanted) {
        const [rule, host] = k.split('\u0000') as [string, string];
        if (!stored.has(k)) await this.runApply(rule, host);
      }
      this.note({ type: 'INFO', message: `leading: took over ${kept} applied action(s)` });
    });
  }

  /**
   * Config changed in the store by someone else (another cluster member): memory follows, read back as on
   * load (a bad record is logged and counts as absent). Applied records are the leader's: the others mirror
   * them to show them.
   */
  private async reload(changes: StoreChange[]): Promise<void> {
    let rulesChanged = false;
    for (const { key: k, entry } of changes) {
      if (k === CONFIG_KEY) {
        const on = (entry?.value as { enabled?: unknown } | undefined)?.enabled !== false;
        if (on !== this.enabledFlag) await this.applyEnabled(on);
      } else if (k.startsWith(SOURCES_PREFIX)) {
        const name = k.slice(SOURCES_PREFIX.length);
        const cfg = entry && this.readSource(k, entry.value);
        const old = this.sources.get(name);
        if (cfg && old && sameJson(sourceJson(cfg), sourceJson(old.cfg))) continue;
        if (old) this.dropSource(old);
        if (cfg) {
          const e = newSource(cfg);
          this.sources.set(cfg.name, e);
          this.note({ type: 'INFO', source: cfg.name, message: `source set: ${describeSource(cfg)}` });
          this.schedule(e, 0);
        }
      } else if (k.startsWith(RULES_PREFIX)) {
        const name = k.slice(RULES_PREFIX.length);
        const rule = entry && this.readRule(k, entry.value);
        const old = this.rules.get(name);
        if (rule && old && sameJson(ruleJson(rule), ruleJson(old))) continue;
        if (!rule && !old) continue;
        if (rule) {
          this.rules.set(name, rule);
          this.handle(this.engine.setRule(rule, this.now()));
          this.note({ type: 'INFO', rule: name, message: 'rule set' });
        } else {
          this.rules.delete(name);
          this.handle(this.engine.removeRule(name, this.now()));
          this.note({ type: 'INFO', rule: name, message: 'rule deleted: its actions are undone' });
        }
        rulesChanged = true;
      } else if (k.startsWith(APPLIED_PREFIX) && !this.acting()) {
        const rh = ruleHostOfKey(k);
        const a = entry && parseApplied(entry.value);
        if (!rh) continue;
        if (a) this.applied.set(key(...rh), a);
        else this.applied.delete(key(...rh));
      }
    }
    if (rulesChanged) this.rescheduleAll();
  }

  /** A stored source read back; undefined (and logged) when it is bad or not under its own name. */
  private readSource(k: string, value: unknown): SourceConfig | undefined {
    try {
      const c = parseSourceConfig(value);
      if (SOURCES_PREFIX + c.name !== k) throw new Error(`name '${c.name}' does not match the key`);
      return c;
    } catch (err) {
      this.ctx?.log.warn({ key: k, err: (err as Error).message }, 'hostaware: skipping a bad stored source');
      return undefined;
    }
  }

  /** A stored rule read back; undefined (and logged) when it is bad or not under its own name. */
  private readRule(k: string, value: unknown): HandRule | undefined {
    try {
      const r = parseRule(value);
      if (RULES_PREFIX + r.name !== k) throw new Error(`name '${r.name}' does not match the key`);
      return r;
    } catch (err) {
      this.ctx?.log.warn({ key: k, err: (err as Error).message }, 'hostaware: skipping a bad stored rule');
      return undefined;
    }
  }

  stop(): void {
    this.stopped = true;
    this.follower?.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    for (const s of this.sources.values()) this.unschedule(s);
  }

  /** Resolves once every action queued so far has been carried out (or failed). */
  settled(): Promise<void> {
    return this.lastAction.then(() => undefined);
  }

  // -------------------------------------------------------------------------------------------- module

  get enabled(): boolean {
    return this.enabledFlag;
  }

  status(): HandStatus {
    return {
      enabled: this.enabledFlag,
      sources: this.sources.size,
      hosts: this.hosts.size,
      rules: this.rules.size,
      activeActions: this.applied.size,
      messages: this.messages.lastSeq,
    };
  }

  /** Disabling undoes every action in effect and stops evaluating (sources keep being polled for the views). */
  setEnabled(on: boolean): Promise<void> {
    return this.serial.run(async () => {
      if (on === this.enabledFlag) return;
      await this.store().put(CONFIG_KEY, { enabled: on });
      await this.applyEnabled(on);
    });
  }

  /** The flag changed (stored already): evaluation restarts; disabled, the leader undoes every action. */
  private async applyEnabled(on: boolean): Promise<void> {
    this.enabledFlag = on;
    this.engine = new HandEngine();
    for (const r of this.rules.values()) this.engine.setRule(r, this.now());
    if (!on && this.acting()) {
      for (const [k, a] of [...this.applied]) {
        const [rule, host] = k.split('\u0000') as [string, string];
        await this.runUndo(rule, host, a, 'module disabled');
      }
    }
    this.note({ type: 'INFO', message: on ? 'module enabled' : 'module disabled: actions undone' });
  }

  // ------------------------------------------------------------------------------------------- sources

  listSources(): SourceView[] {
    return [...this.sources.values()]
      .sort((a, b) => (a.cfg.name < b.cfg.name ? -1 : 1))
      .map((s) => this.sourceView(s));
  }

  getSource(name: string): SourceView {
    const s = this.sources.get(name);
    if (!s) throw new NotFoundError('name', `no source '${name}'`);
    return this.sourceView(s);
  }

  /**
   * Validates and stores a source, then polls it once so the answer shows its health (a source that is down
   * is still added: it may come up later; its state says so).
   */
  async addSource(body: unknown): Promise<SourceView> {
    const cfg = parseSourceConfig(body);
    const entry = await this.serial.run(async () => {
      if (this.sources.has(cfg.name)) {
        throw new ConflictError('name', `source '${cfg.name}' exists; delete it first or pick another name`);
      }
      if (cfg.type === 'alertmanager') {
        const clash = [...this.sources.values()].find(
          (s) => s.cfg.type === 'alertmanager' && s.cfg.path === cfg.path,
        );
        if (clash) throw new ConflictError('path', `source '${clash.cfg.name}' receives on that path`);
      }
      await this.store().put(SOURCES_PREFIX + cfg.name, sourceJson(cfg));
      const e = newSource(cfg);
      this.sources.set(cfg.name, e);
      return e;
    });
    this.note({ type: 'INFO', source: cfg.name, message: `source added: ${describeSource(cfg)}` });
    await this.pollNow(entry);
    this.schedule(entry);
    return this.sourceView(entry);
  }

  deleteSource(name: string): Promise<SourceView> {
    return this.serial.run(async () => {
      const s = this.sources.get(name);
      if (!s) throw new NotFoundError('name', `no source '${name}'`);
      await this.store().delete(SOURCES_PREFIX + name);
      this.dropSource(s);
      return this.sourceView(s);
    });
  }

  /** Stops polling a source (deleted) and forgets the hosts it reported. */
  private dropSource(s: SourceEntry): void {
    const name = s.cfg.name;
    this.sources.delete(name);
    this.unschedule(s);
    for (const h of s.hosts) this.forgetHost(h, name);
    this.note({ type: 'INFO', source: name, message: 'source deleted' });
  }

  /**
   * An Alertmanager webhook for the source receiving on `path`: firing alerts read as `alert:NAME` = 1 on their
   * host, resolved ones as 0, until the next message about them. Evaluated at once.
   */
  receiveAlerts(path: string, body: unknown): { accepted: number; unmatched: string[] } {
    const s = [...this.sources.values()].find((x) => x.cfg.type === 'alertmanager' && x.cfg.path === path);
    if (!s || s.cfg.type !== 'alertmanager') {
      throw new NotFoundError('path', `no alertmanager source receives on '${path}'`);
    }
    const batch = parseAlertmanagerWebhook(body, { source: s.cfg.name, hostLabel: s.cfg.hostLabel });
    const alerts = (s.alerts ??= new Map());
    for (const ev of batch.events) {
      let byHost = alerts.get(ev.alert);
      if (!byHost) alerts.set(ev.alert, (byHost = new Map()));
      byHost.set(ev.host, { value: ev.status === 'firing' ? 1 : 0, at: ev.at });
    }
    for (const u of batch.unmatched) {
      this.note({
        type: 'WARN',
        source: s.cfg.name,
        message: `alert ${u} has no ${s.cfg.hostLabel} label: ignored`,
      });
    }
    void this.pollNow(s);
    return { accepted: batch.events.length, unmatched: batch.unmatched };
  }

  private sourceView(s: SourceEntry): SourceView {
    const v: SourceView = {
      name: s.cfg.name,
      type: s.cfg.type,
      config: sourceJson(s.cfg),
      description: describeSource(s.cfg),
      state: s.state,
      pollEvery: this.pollEvery(s) / 1000,
      failures: s.failures,
      hosts: s.hosts.size,
      samples: s.samples,
    };
    if (s.lastPoll !== undefined) v.lastPoll = s.lastPoll;
    if (s.lastOk !== undefined) v.lastOk = s.lastOk;
    if (s.pollMs !== undefined) v.pollMs = s.pollMs;
    if (s.error) v.error = s.error;
    return v;
  }

  /** ms: the source's interval, or the fastest active rule's polling time when that is shorter. */
  private pollEvery(s: SourceEntry): number {
    let secs = s.cfg.interval;
    for (const r of this.rules.values()) if (r.active && r.pollingTime < secs) secs = r.pollingTime;
    return secs * 1000;
  }

  private schedule(s: SourceEntry, delay?: number): void {
    if (this.stopped || !this.ctx || this.sources.get(s.cfg.name) !== s) return;
    this.unschedule(s);
    const every = this.pollEvery(s);
    // Fixed rate: the next poll is due one interval after the last one started, not after it ended.
    const wait = delay ?? Math.max(0, (s.lastStart ?? this.now()) + every - this.now());
    s.timer = this.ctx.clock.setTimer(() => {
      s.timer = undefined;
      void this.pollNow(s).finally(() => this.schedule(s));
    }, wait);
  }

  private unschedule(s: SourceEntry): void {
    if (s.timer !== undefined) this.ctx?.clock.clearTimer(s.timer);
    s.timer = undefined;
  }

  /** One poll of `s` and the evaluation that follows; never throws (a failure is the source's state). */
  private async pollNow(s: SourceEntry): Promise<void> {
    const started = this.now();
    s.lastStart = started;
    let snap: SourceSnapshot;
    try {
      snap = s.cfg.type === 'alertmanager' ? alertSnapshot(s) : await this.poll(s.cfg, started);
    } catch (err) {
      this.sourceFailed(s, err, started);
      return;
    }
    if (this.sources.get(s.cfg.name) !== s) return; // deleted while polling
    this.counters.polls++;
    const now = this.now();
    s.lastPoll = now;
    s.lastOk = now;
    s.pollMs = now - started;
    s.samples = snap.samples.length;
    if (s.state === 'down') {
      this.note({
        type: 'INFO',
        source: s.cfg.name,
        message: `source is back after ${s.failures} failed poll(s)`,
      });
    }
    s.state = 'ok';
    s.error = undefined;
    s.failures = 0;
    // Judged as of the poll's start: starts keep the fixed rate, ends drift with the fetch and parse time, and
    // a poll that ended sooner after the previous one than the rule's polling time would not count.
    this.ingest(s, snap, started);
  }

  private sourceFailed(s: SourceEntry, err: unknown, now: number): void {
    if (this.sources.get(s.cfg.name) !== s) return;
    this.counters.polls++;
    this.counters.pollFailures++;
    const e = err instanceof SourceFetchError ? err : undefined;
    const error = { code: e?.code ?? 'SOURCE_ERROR', message: (err as Error).message };
    s.lastPoll = now;
    s.failures++;
    // WARN when it goes down or the reason changes, and every tenth failure while it stays down.
    if (s.state !== 'down' || s.error?.message !== error.message || s.failures % 10 === 0) {
      this.note({
        type: 'WARN',
        source: s.cfg.name,
        message: `source failed (${s.failures}x): ${error.message}; its metrics are stale, no action taken on them`,
      });
    }
    s.state = 'down';
    s.error = error;
    // Its hosts' last values go to the engine marked stale: conditions unknown, counts reset, nothing acts.
    for (const name of s.hosts) {
      const h = this.hosts.get(name);
      if (!h || h.info.source !== s.cfg.name) continue;
      h.stale = true;
      if (this.enabledFlag) this.observe(h, staleOf(h.metrics), now);
    }
  }

  private ingest(s: SourceEntry, snap: SourceSnapshot, now: number): void {
    const byHost = new Map<string, MetricSample[]>();
    for (const m of snap.samples) {
      let list = byHost.get(m.host);
      if (!list) byHost.set(m.host, (list = []));
      list.push(m);
    }
    const seen = new Set<string>();
    for (const info of snap.hosts) {
      seen.add(info.name);
      let h = this.hosts.get(info.name);
      if (h && h.info.source !== s.cfg.name && this.sources.get(h.info.source)?.state === 'ok') continue; // another source owns it
      if (!h) this.hosts.set(info.name, (h = { info, metrics: new Map(), stale: false }));
      h.info = info;
      h.stale = false;
      h.metrics = new Map((byHost.get(info.name) ?? []).map((m) => [m.name, m]));
    }
    for (const gone of s.hosts) if (!seen.has(gone)) this.forgetHost(gone, s.cfg.name);
    s.hosts = seen;
    if (!this.enabledFlag) return;
    for (const name of seen) {
      const h = this.hosts.get(name)!;
      if (h.info.source === s.cfg.name) this.observe(h, pointsOf(h.metrics), now);
    }
    this.rebalance(now);
  }

  private forgetHost(name: string, source: string): void {
    const h = this.hosts.get(name);
    if (!h || h.info.source !== source) return;
    this.hosts.delete(name);
    this.handle(this.engine.removeHost(name, this.now()));
    this.note({ type: 'INFO', host: name, source, message: 'host no longer reported: forgotten' });
  }

  private observe(h: MonitoredHost, points: Map<string, MetricPoint>, now: number): void {
    const ref = {
      name: h.info.name,
      ...(h.info.ip && { ip: h.info.ip }),
      ...(h.info.cluster && { cluster: h.info.cluster }),
    };
    this.handle(this.engine.observe(ref, points, now));
  }

  // --------------------------------------------------------------------------------------------- hosts

  listHosts(): MonitoredHostView[] {
    return [...this.hosts.values()]
      .map((h) => this.hostView(h))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  hostMetrics(name: string): { host: MonitoredHostView; metrics: Record<string, MetricValue> } {
    const h = this.hosts.get(name);
    if (!h) throw new NotFoundError('host', `no monitored host '${name}'`);
    const metrics: Record<string, MetricValue> = {};
    for (const [k, m] of [...h.metrics].sort(([a], [b]) => (a < b ? -1 : 1))) {
      metrics[k] = {
        value: m.value,
        at: m.at,
        stale: h.stale || m.stale === true,
        ...(m.units && { units: m.units }),
      };
    }
    return { host: this.hostView(h), metrics };
  }

  private hostView(h: MonitoredHost): MonitoredHostView {
    const i = h.info;
    const v: MonitoredHostView = {
      name: i.name,
      source: i.source,
      reported: i.reported,
      state: h.stale ? 'stale' : 'up',
      attached: false,
      metrics: h.metrics.size,
    };
    if (i.ip) v.ip = i.ip;
    if (i.domain) v.domain = i.domain;
    if (i.cluster) v.cluster = i.cluster;
    const a = this.actionHost(i.name);
    if (a.mac !== undefined) {
      v.attached = true;
      v.mac = a.mac;
      v.switch = a.dpid === undefined ? undefined : formatDpid(a.dpid);
      v.port = a.port;
    }
    return v;
  }

  /** The host as actions see it: its address from the source, MAC and attachment from host tracking. */
  private actionHost(name: string): ActionHost {
    const h = this.hosts.get(name);
    const ip = h?.info.ip ?? (/^\d+\.\d+\.\d+\.\d+$/.test(name) ? name : undefined);
    const out: ActionHost = { name, ...(ip && { ip }) };
    const n = ipNum(ip);
    const tracked = n === undefined ? undefined : this.o.hosts?.byIpv4Num(n);
    if (tracked) {
      out.mac = macNumToText(tracked.mac);
      out.dpid = tracked.dpid;
      out.port = tracked.port;
    }
    return out;
  }

  // --------------------------------------------------------------------------------------------- rules

  listRules(): RuleView[] {
    const byRule = new Map<string, RuleHostStatus[]>();
    for (const s of this.engine.status()) {
      const list = byRule.get(s.rule);
      if (list) list.push(s);
      else byRule.set(s.rule, [s]);
    }
    return [...this.rules.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((r) => this.ruleView(r, byRule.get(r.name) ?? []));
  }

  getRule(name: string): RuleView {
    const r = this.rules.get(name);
    if (!r) throw new NotFoundError('name', `no rule '${name}'`);
    return this.ruleView(r, this.engine.status(name));
  }

  /** Adds a rule (`/api/v1` shape, or FL_HAND's with `floodlight`); `replace` allows an existing name. */
  async addRule(body: unknown, opts: { floodlight?: boolean; replace?: boolean } = {}): Promise<RuleView> {
    const rule = opts.floodlight ? fromFlHand(body) : parseRule(body);
    checkActionBody(rule, opts.floodlight ? 'action_string' : 'action.params');
    await this.serial.run(async () => {
      if (this.rules.has(rule.name) && !opts.replace) {
        throw new ConflictError(
          opts.floodlight ? 'rule_name' : 'name',
          `rule '${rule.name}' exists; delete it first or PUT /api/v1/hostaware/rules/${rule.name}`,
        );
      }
      await this.store().put(RULES_PREFIX + rule.name, ruleJson(rule));
      this.rules.set(rule.name, rule);
      this.handle(this.engine.setRule(rule, this.now()));
    });
    const issues = actionIssues(rule.action, this.targets());
    this.note({
      type: issues.length ? 'WARN' : 'INFO',
      rule: rule.name,
      message: `rule added${issues.length ? `; it cannot act yet: ${issues.join('; ')}` : ''}`,
    });
    this.rescheduleAll();
    return this.getRule(rule.name);
  }

  deleteRule(name: string): Promise<RuleView> {
    return this.serial.run(async () => {
      const r = this.rules.get(name);
      if (!r) throw new NotFoundError('name', `no rule '${name}'`);
      const view = this.ruleView(r, this.engine.status(name));
      await this.store().delete(RULES_PREFIX + name);
      this.rules.delete(name);
      this.handle(this.engine.removeRule(name, this.now()));
      this.note({ type: 'INFO', rule: name, message: 'rule deleted: its actions are undone' });
      return view;
    });
  }

  setRuleActive(name: string, active: boolean): Promise<RuleView> {
    return this.serial.run(async () => {
      const r = this.rules.get(name);
      if (!r) throw new NotFoundError('name', `no rule '${name}'`);
      const rule = { ...r, active };
      await this.store().put(RULES_PREFIX + name, ruleJson(rule));
      this.rules.set(name, rule);
      this.handle(this.engine.setRule(rule, this.now()));
      this.note({
        type: 'INFO',
        rule: name,
        message: active ? 'rule activated' : 'rule deactivated: its actions are undone',
      });
      return this.ruleView(rule, this.engine.status(name));
    });
  }

  /** The rule with its state on each host (`status`: that rule's entries only). */
  private ruleView(r: HandRule, status: RuleHostStatus[]): RuleView {
    return {
      rule: r,
      issues: actionIssues(r.action, this.targets()),
      hosts: status.map((s) => {
        const a = this.applied.get(key(s.rule, s.host));
        return a ? { ...s, applied: a } : s;
      }),
    };
  }

  private rescheduleAll(): void {
    for (const s of this.sources.values()) if (s.timer !== undefined) this.schedule(s);
  }

  // ------------------------------------------------------------------------------------------- actions

  /** Messages for every event; ACTION events queued to run in order. */
  private handle(events: HandEvent[]): void {
    for (const ev of events) {
      this.note({
        type: ev.type,
        at: ev.at,
        rule: ev.rule,
        host: ev.host,
        message: ev.message,
        ...(ev.metric && { metric: ev.metric }),
        ...(ev.count !== undefined && { count: ev.count }),
      });
      // Every member evaluates (and shows) the rules; only one carries out their actions.
      if (ev.type !== 'ACTION' || !this.acting()) continue;
      const run =
        ev.op === 'apply' ? () => this.runApply(ev.rule, ev.host) : () => this.runUndoOf(ev.rule, ev.host);
      this.lastAction = this.serial.run(run).catch((err: unknown) => {
        this.ctx?.log.error({ err, rule: ev.rule, host: ev.host }, 'hostaware: action failed unexpectedly');
      });
    }
  }

  private async runApply(ruleName: string, host: string): Promise<void> {
    const rule = this.rules.get(ruleName);
    if (!rule || this.applied.has(key(ruleName, host))) return;
    let a: Applied;
    try {
      a =
        rule.action.type === 'loadbalance'
          ? this.lbApply(rule, host)
          : await applyAction(rule, this.actionHost(host), this.targets());
    } catch (err) {
      this.counters.actionErrors++;
      const reason =
        err instanceof ActionError ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
      this.handle(this.engine.markError(ruleName, host, reason, this.now()));
      return;
    }
    this.counters.actionsApplied++;
    this.applied.set(key(ruleName, host), a);
    await this.store().put(appliedKey(ruleName, host), a);
    this.note({
      type: 'ACTION',
      rule: ruleName,
      host,
      message: `applied ${rule.action.type}: ${describeApplied(a)}`,
    });
  }

  private async runUndoOf(rule: string, host: string): Promise<void> {
    const a = this.applied.get(key(rule, host));
    if (a) await this.runUndo(rule, host, a, 'undone');
  }

  private async runUndo(rule: string, host: string, a: Applied, why: string): Promise<void> {
    try {
      if (a.kind === 'service') this.lbRelease(a.id, host);
      else await undoAction(a, this.targets());
    } catch (err) {
      this.counters.actionErrors++;
      this.note({
        type: 'ERROR',
        rule,
        host,
        message: `undo of ${describeApplied(a)} failed: ${(err as Error).message}`,
      });
    }
    this.counters.actionsUndone++;
    this.applied.delete(key(rule, host));
    await this.store().delete(appliedKey(rule, host));
    this.note({ type: 'ACTION', rule, host, message: `${why}: removed ${describeApplied(a)}` });
  }

  // -------------------------------------------------------------------------------------- load balance

  /** The pool member with the least metric value now, with its address; undefined when none is known. */
  private pick(p: LoadBalanceParams): { host: string; ip: string; value: number } | undefined {
    const value = (name: string) => {
      const h = this.hostByNameOrIp(name);
      const m = h?.metrics.get(p.metric);
      return !h || h.stale || !m || m.stale || !this.addressOf(name) ? undefined : m.value;
    };
    const host = pickLeast(p.pool, value);
    return host === undefined ? undefined : { host, ip: this.addressOf(host)!, value: value(host)! };
  }

  private hostByNameOrIp(name: string): MonitoredHost | undefined {
    const h = this.hosts.get(name);
    if (h) return h;
    for (const x of this.hosts.values()) if (x.info.ip === name) return x;
    return undefined;
  }

  private addressOf(name: string): string | undefined {
    return this.hostByNameOrIp(name)?.info.ip ?? (/^\d+\.\d+\.\d+\.\d+$/.test(name) ? name : undefined);
  }

  private lbApply(rule: HandRule, host: string): Applied {
    const params = rule.action.params as LoadBalanceParams;
    const issues = actionIssues(rule.action, this.targets());
    if (issues.length) throw new ActionError(issues.join('; '));
    const id = serviceId(rule.name);
    let svc = this.lb.get(id);
    if (!svc) {
      const chosen = this.pick(params);
      if (!chosen) throw new ActionError(`no pool member reports ${params.metric} with an address`);
      const [ip, port] = params.service.split(':');
      this.o.services!.setService({
        id,
        ip: ip!,
        ...(port && { port: Number(port) }),
        member: { ip: chosen.ip },
      });
      svc = { rule: rule.name, params, holders: new Set(), member: chosen.host };
      this.lb.set(id, svc);
      this.note({
        type: 'ACTION',
        rule: rule.name,
        message: `service ${params.service}: new connections go to ${chosen.host} (${params.metric} ${chosen.value})`,
      });
    }
    svc.holders.add(host);
    return { kind: 'service', id };
  }

  private lbRelease(id: string, host: string): void {
    const svc = this.lb.get(id);
    if (!svc) return;
    svc.holders.delete(host);
    if (svc.holders.size > 0) return;
    this.lb.delete(id);
    this.o.services?.clearService(id);
  }

  /** After a poll: each service's new connections go to the pool's least-loaded member now. */
  private rebalance(now: number): void {
    if (!this.acting()) return;
    for (const [id, svc] of this.lb) {
      const chosen = this.pick(svc.params);
      if (!chosen || chosen.host === svc.member) continue;
      const was = svc.member;
      svc.member = chosen.host;
      this.o.services?.setServiceMember(id, { ip: chosen.ip });
      this.note({
        type: 'ACTION',
        at: now,
        rule: svc.rule,
        message: `service ${svc.params.service}: new connections go to ${chosen.host} (${svc.params.metric} ${chosen.value}) instead of ${was}`,
      });
    }
  }

  // ------------------------------------------------------------------------------------ observability

  /** Per rule and host, for /metrics. */
  ruleStatus(): RuleHostStatus[] {
    return this.engine.status();
  }

  // ------------------------------------------------------------------------------------------- helpers

  private targets(): ActionTargets {
    const { hosts: _h, poll: _p, messageCapacity: _m, ...handles } = this.o;
    return { ...handles, switchVersions: () => this.switchVersions() };
  }

  private switchVersions(): Map<bigint, OfVersion> {
    const out = new Map<bigint, OfVersion>();
    for (const [dpid, sw] of this.ctx?.controller.switches ?? new Map<bigint, SwitchSession>())
      out.set(dpid, sw.version);
    return out;
  }

  private note(m: Omit<MessageInput, 'at'> & { at?: number }): void {
    this.messages.add({ ...m, at: m.at ?? this.now() });
  }

  private now(): number {
    return this.ctx ? this.ctx.now() : Date.now();
  }

  private store() {
    if (!this.ctx) throw new Error('hostaware: not started');
    return this.ctx.store;
  }
}

/** A source as stored and shown: the body parseSourceConfig reads back (addresses as host:port text). */
export function sourceJson(cfg: SourceConfig): Record<string, unknown> {
  if (cfg.type !== 'gmond' && cfg.type !== 'gmetad') return { ...cfg };
  const { host, port } = cfg.address;
  return { ...cfg, address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` };
}

function newSource(cfg: SourceConfig): SourceEntry {
  return { cfg, state: 'unknown', failures: 0, samples: 0, hosts: new Set() };
}

function pointsOf(metrics: Map<string, MetricSample>): Map<string, MetricPoint> {
  const out = new Map<string, MetricPoint>();
  for (const [k, m] of metrics) out.set(k, { value: m.value, at: m.at, ...(m.stale && { stale: true }) });
  return out;
}

function staleOf(metrics: Map<string, MetricSample>): Map<string, MetricPoint> {
  const out = new Map<string, MetricPoint>();
  for (const [k, m] of metrics) out.set(k, { value: m.value, at: m.at, stale: true });
  return out;
}

/** The alerts an Alertmanager source holds, as a snapshot: `alert:NAME` 1 while firing, 0 once resolved. */
function alertSnapshot(s: SourceEntry): SourceSnapshot {
  const hosts = new Map<string, HostInfo>();
  const samples: MetricSample[] = [];
  for (const [alert, byHost] of s.alerts ?? []) {
    for (const [host, v] of byHost) {
      const info = hosts.get(host) ?? { name: host, source: s.cfg.name, reported: v.at };
      if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) info.ip = host;
      info.reported = Math.max(info.reported, v.at);
      hosts.set(host, info);
      samples.push({ host, name: `alert:${alert}`, value: v.value, at: v.at });
    }
  }
  return { source: s.cfg.name, hosts: [...hosts.values()], samples };
}

function describeApplied(a: Applied): string {
  switch (a.kind) {
    case 'none':
      return 'nothing (report only)';
    case 'firewall':
      return `firewall rule ${a.id}`;
    case 'acl':
      return `ACL rule ${a.id}${a.borrowed ? ' (existing, kept)' : ''}`;
    case 'staticflow':
      return `static flow '${a.name}'`;
    case 'qos':
      return `QoS policy ${a.id}`;
    case 'route':
      return `route constraint ${a.id}`;
    case 'service':
      return `service address ${a.id}`;
  }
}
