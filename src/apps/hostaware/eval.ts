/**
 * The evaluation core of host-aware rules (issue 10, item 3): comparators, all/any, windows, check limit,
 * hysteresis, cool-down and priority arbitration. Pure in the sense that matters for tests: no I/O, no timers;
 * the caller passes the time and each poll's samples, and carries out the ACTION events it gets back.
 *
 * Decisions (documented here because the API and the messages expose them):
 * - Three-valued conditions. A condition whose metric is missing from the poll or marked stale by its source is
 *   UNKNOWN, never met. Conditions combine as Kleene logic: `all` is false if one is false, else unknown if one
 *   is unknown; `any` is true if one is true, else unknown if one is unknown. An unknown result resets the met
 *   count (no action can follow from a monitoring outage) and does not count towards clearing either (a rule
 *   that acted keeps its action through the outage: lifting a rate limit because gmond died is also an action).
 *   The WARN is emitted when a metric goes missing or stale, and an INFO when it comes back, not every poll.
 * - Check limit: a rule acts on exactly its Nth consecutive met poll and not again while it stays active.
 * - Clearing (hysteresis): an active rule clears after `clearPolls` consecutive not-met polls; while active, a
 *   condition with a `clear` threshold compares against it instead of `value`. Both may be used together.
 *   Clearing emits an undo when `undoOnClear`; then `coolDown` seconds follow in which met polls are not counted.
 * - Conflicts: two actions conflict when they would write the same thing for the host: its QoS (two rate
 *   limits or marks), its admission verdict (drop, a firewall deny or an ACL deny against a firewall or ACL
 *   allow; two denies agree), the same static flow name, or the same load-balanced service address. report and
 *   reroute never conflict (route constraints add up). Among the rules on a host that want to act, the higher
 *   priority wins, ties go to the lower name; a loser is `suppressed` (its action undone if it was applied) and
 *   takes over, without counting again, when the winner clears, is deleted or fails.
 * - An action the app could not apply (markError) puts the rule in `error` on that host: no retry until its
 *   condition has been not met once, so a failing action is not re-sent every poll.
 */
import type {
  HandAction,
  HandRule,
  HostRef,
  HostSelector,
  Join,
  Comparator,
  Aggregation,
  Condition,
} from './rules.js';
import { parseHostSelector, selectorMatches } from './rules.js';

/** One metric's value in a poll. `at` (ms since the epoch) is the source's time for it, else the poll's. */
export interface MetricPoint {
  value: number;
  at?: number;
  /** The source says the value is old (gmond's TN beyond TMAX, a failed scrape's last value). */
  stale?: boolean;
}

/** A host's metrics as one poll delivered them: the source's whole current set, by metric name. */
export type HostSamples = ReadonlyMap<string, MetricPoint> | Readonly<Record<string, MetricPoint>>;

export type RuleState = 'idle' | 'pending' | 'active' | 'suppressed' | 'cooling' | 'stale' | 'error';
export type EventType = 'INFO' | 'WARN' | 'THRESHOLD_MET' | 'ACTION' | 'ERROR';

export interface HandEvent {
  type: EventType;
  /** ms since the epoch: the `now` of the call that produced it. */
  at: number;
  rule: string;
  host: string;
  message: string;
  /** THRESHOLD_MET: the consecutive met count including this poll. */
  count?: number;
  /** ACTION: apply or undo `action` for `rule` on `host`. */
  op?: 'apply' | 'undo';
  action?: HandAction;
  /** WARN/INFO about one metric. */
  metric?: string;
}

/** What the API and /metrics show per rule and host. */
export interface RuleHostStatus {
  rule: string;
  host: string;
  state: RuleState;
  metCount: number;
  /** The value each condition was judged on (window aggregate included), null when unknown. */
  lastValues: (number | null)[];
  /** The last evaluation's result: true, false, or null (unknown: missing or stale metrics). */
  lastMet: boolean | null;
  lastEval?: number;
  /** When the action was last applied, while it is in effect. */
  activeSince?: number;
  coolingUntil?: number;
  error?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Comparisons and aggregates

export function compare(cmp: Comparator, actual: number, threshold: number): boolean {
  switch (cmp) {
    case 'gt':
      return actual > threshold;
    case 'lt':
      return actual < threshold;
    case 'gte':
      return actual >= threshold;
    case 'lte':
      return actual <= threshold;
    case 'et':
      return actual === threshold;
    case 'ne':
      return actual !== threshold;
  }
}

export function aggregate(agg: Aggregation, values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  switch (agg) {
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
  }
}

/** Kleene's three-valued all/any: undefined is "unknown". */
export function combine(join: Join, truths: readonly (boolean | undefined)[]): boolean | undefined {
  const decisive = join === 'all' ? false : true;
  if (truths.includes(decisive)) return decisive;
  if (truths.includes(undefined)) return undefined;
  return !decisive;
}

/**
 * The recent samples of one metric on one host: a fixed-size ring, so memory is bounded whatever the window
 * (a window longer than capacity x poll interval sees only the newest `capacity` samples).
 */
export class SampleRing {
  private readonly at: number[];
  private readonly value: number[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.at = new Array<number>(capacity);
    this.value = new Array<number>(capacity);
  }

  /** Adds a sample; the same timestamp again (gmond re-reporting one value) replaces it, older ones are dropped. */
  push(at: number, value: number): void {
    const last = this.size === 0 ? undefined : (this.next - 1 + this.capacity) % this.capacity;
    if (last !== undefined && at <= this.at[last]!) {
      if (at === this.at[last]) this.value[last] = value;
      return;
    }
    this.at[this.next] = at;
    this.value[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  latest(): { at: number; value: number } | undefined {
    if (this.size === 0) return undefined;
    const i = (this.next - 1 + this.capacity) % this.capacity;
    return { at: this.at[i]!, value: this.value[i]! };
  }

  /** Values with at > since, oldest first. */
  since(since: number): number[] {
    const out: number[] = [];
    for (let k = 1; k <= this.size; k++) {
      const i = (this.next - k + this.capacity) % this.capacity;
      if (this.at[i]! <= since) break;
      out.push(this.value[i]!);
    }
    return out.reverse();
  }

  /** Copies the samples into a ring of another size (a windowed rule was added on this metric). */
  resized(capacity: number): SampleRing {
    const r = new SampleRing(capacity);
    for (let k = Math.min(this.size, capacity); k >= 1; k--) {
      const i = (this.next - k + this.capacity) % this.capacity;
      r.push(this.at[i]!, this.value[i]!);
    }
    return r;
  }
}

/** Unknown (why) or the value a condition is judged on. */
type Reading = { value: number } | { missing: 'missing' | 'stale' };

/**
 * The value of `c` now: the window's aggregate, or the latest sample. A window without a sample inside it uses
 * the latest one, because a gauge holds between reports (gmond sends a slow metric every TMAX seconds).
 */
export function readCondition(c: Condition, ring: SampleRing | undefined, now: number): number | undefined {
  if (!ring) return undefined;
  if (c.window) {
    const inWindow = ring.since(now - c.window.seconds * 1000);
    const v = aggregate(c.window.agg, inWindow);
    if (v !== undefined) return v;
  }
  return ring.latest()?.value;
}

/**
 * The pool member with the least `value` (the load-balance action's pick), ties to the earlier one; members
 * whose value is unknown (stale, missing, not monitored) are skipped, and none known gives undefined.
 */
export function pickLeast(
  pool: readonly string[],
  value: (host: string) => number | undefined,
): string | undefined {
  let best: { host: string; v: number } | undefined;
  for (const host of pool) {
    const v = value(host);
    if (v !== undefined && Number.isFinite(v) && (!best || v < best.v)) best = { host, v };
  }
  return best?.host;
}

/** Whether `c` holds at `value`; `holding` (the rule is active) switches to the clear threshold. */
export function conditionMet(c: Condition, value: number, holding: boolean): boolean {
  return compare(c.comparator, value, holding && c.clear !== undefined ? c.clear : c.value);
}

// ---------------------------------------------------------------------------------------------------------
// Conflicts and arbitration

/** What an action writes for its host; two actions with the same key and a different (or no) value conflict. */
export function conflictKey(action: HandAction): { key: string; value?: string } | undefined {
  const verdict = (raw: unknown, dflt: 'allow' | 'deny'): string => {
    const t = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (t === 'deny' || t === 'drop') return 'deny';
    if (t === 'allow' || t === 'accept' || t === 'permit') return 'allow';
    return dflt;
  };
  switch (action.type) {
    case 'report':
    case 'reroute':
      return undefined;
    case 'qos':
      return { key: 'qos' };
    case 'drop':
      return { key: 'admission', value: 'deny' };
    // Defaults as the apps have them: a firewall rule allows, an ACL entry denies.
    case 'firewall':
      return { key: 'admission', value: verdict(action.params.action, 'allow') };
    case 'acl':
      return { key: 'admission', value: verdict(action.params.action, 'deny') };
    case 'staticflow':
      return { key: `staticflow:${String(action.params.name)}` };
    case 'loadbalance':
      return { key: `loadbalance:${action.params.service}` };
  }
}

export function conflicts(a: HandAction, b: HandAction): boolean {
  const ka = conflictKey(a);
  const kb = conflictKey(b);
  return !!ka && !!kb && ka.key === kb.key && (ka.value === undefined || ka.value !== kb.value);
}

export interface Contender {
  name: string;
  priority: number;
  action: HandAction;
}

/** `a` before `b`: higher priority first, then the lower name, so the order never depends on arrival. */
export function byPrecedence(a: Contender, b: Contender): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * The names of the contenders (rules on one host that want their action in effect) whose actions apply: in
 * precedence order, each one that conflicts with none already chosen.
 */
export function arbitrate(contenders: readonly Contender[]): Set<string> {
  const chosen: Contender[] = [];
  for (const c of [...contenders].sort(byPrecedence)) {
    if (!chosen.some((w) => conflicts(w.action, c.action))) chosen.push(c);
  }
  return new Set(chosen.map((c) => c.name));
}

// ---------------------------------------------------------------------------------------------------------
// The engine

/** Per rule and host. */
interface Track {
  metCount: number;
  clearCount: number;
  /** Check limit reached and not cleared: the rule wants its action in effect. */
  armed: boolean;
  /** Its action is in effect (apply sent, no undo since). */
  applied: boolean;
  activeSince?: number;
  coolingUntil?: number;
  error?: string;
  lastEval?: number;
  lastMet: boolean | undefined;
  lastValues: (number | null)[];
  /** Metrics currently reported missing or stale (a WARN went out; an INFO goes out when they return). */
  warned: Set<string>;
}

interface HostEntry {
  ref: HostRef;
  series: Map<string, SampleRing>;
  tracks: Map<string, Track>;
  /** The active rules selecting this host, in precedence order, as of rule set `version`. */
  rules: RuleEntry[];
  version: number;
}

interface RuleEntry {
  rule: HandRule;
  selector: HostSelector;
}

export interface EngineOptions {
  /** Samples kept per windowed metric and host (default 600: ten minutes at 1 s). */
  windowSamples?: number;
}

/** A poll may come this much early (a fraction of the polling time) and still count: timers jitter. */
const DUE_SLACK = 0.1;

/**
 * All rules on all hosts. The app calls observe() with each host's poll; it applies the ACTION events in the
 * order given (undos come before applies, so two conflicting actions are never in effect together).
 */
export class HandEngine {
  private readonly rules = new Map<string, RuleEntry>();
  private readonly hosts = new Map<string, HostEntry>();
  private readonly windowSamples: number;
  /** Bumped on every rule change; a host re-selects its rules lazily on its next poll. */
  private version = 0;
  /** Rules by exact host name (lower case) or IP, and the rest (globs, clusters, *), per `version`. */
  private index?: { version: number; exact: Map<string, RuleEntry[]>; other: RuleEntry[] };

  constructor(opts: EngineOptions = {}) {
    this.windowSamples = opts.windowSamples ?? 600;
  }

  /** Adds or replaces a rule. A replaced rule's actions are undone and its counts restart. */
  setRule(rule: HandRule, now: number): HandEvent[] {
    const events: HandEvent[] = [];
    const touched = this.dropRule(rule.name, now, 'rule replaced', events);
    this.rules.set(rule.name, { rule, selector: parseHostSelector('host', rule.host) });
    this.version++;
    for (const h of touched) this.arbitrateHost(h, now, events);
    return events;
  }

  /** Deletes a rule; every action it has in effect is undone and a suppressed rule may take over. */
  removeRule(name: string, now: number): HandEvent[] {
    const events: HandEvent[] = [];
    const touched = this.dropRule(name, now, 'rule deleted', events);
    this.rules.delete(name);
    this.version++;
    for (const h of touched) this.arbitrateHost(h, now, events);
    return events;
  }

  getRule(name: string): HandRule | undefined {
    return this.rules.get(name)?.rule;
  }

  /** Forgets a host (no longer monitored), undoing what its rules applied. */
  removeHost(name: string, now: number): HandEvent[] {
    const h = this.hosts.get(name);
    const events: HandEvent[] = [];
    if (!h) return events;
    for (const [rule, t] of h.tracks) {
      const entry = this.rules.get(rule);
      if (t.applied && entry) events.push(action(entry.rule, name, 'undo', now, 'host removed'));
    }
    this.hosts.delete(name);
    return events;
  }

  /** Whether any rule on `host` is due for a poll at `now` (the poller may skip a host that has none). */
  due(host: HostRef, now: number): boolean {
    const h = this.hosts.get(host.name);
    return this.select(host).some(({ rule }) => isDue(h?.tracks.get(rule.name), rule, now));
  }

  /** Evaluates every active rule on `host` that is due at `now` against this poll's samples. */
  observe(host: HostRef, samples: HostSamples, now: number): HandEvent[] {
    const events: HandEvent[] = [];
    const h = this.hostEntry(host, now, events);
    const points = samples instanceof Map ? samples : new Map(Object.entries(samples));
    // Record first: a window needs every poll's sample, also from polls where no rule is due.
    const unknown = new Map<string, 'missing' | 'stale'>();
    for (const [metric, ring] of h.series) {
      const p = points.get(metric);
      if (!p || !Number.isFinite(p.value)) unknown.set(metric, 'missing');
      else if (p.stale) unknown.set(metric, 'stale');
      else ring.push(p.at ?? now, p.value);
    }
    for (const { rule } of h.rules) {
      let t = h.tracks.get(rule.name);
      if (!t) h.tracks.set(rule.name, (t = newTrack()));
      if (!isDue(t, rule, now)) continue;
      const readings: Reading[] = rule.conditions.map((c) => {
        const why = unknown.get(c.metric);
        const v = why ? undefined : readCondition(c, h.series.get(c.metric), now);
        return v === undefined ? { missing: why ?? 'missing' } : { value: v };
      });
      step(rule, host.name, t, readings, now, events);
    }
    this.arbitrateHost(h, now, events);
    return events;
  }

  /**
   * The app could not apply a rule's action on a host (the module is off, the switch refused): the rule stops
   * acting there until it clears. A failed undo is the app's to retry (it removes by the rule's tag); the engine
   * counts that action as undone either way.
   */
  markError(rule: string, host: string, reason: string, now: number): HandEvent[] {
    const h = this.hosts.get(host);
    const t = h?.tracks.get(rule);
    if (!h || !t) return [];
    t.error = reason;
    t.armed = false;
    t.applied = false;
    t.activeSince = undefined;
    t.metCount = 0;
    const events: HandEvent[] = [event('ERROR', rule, host, now, `action failed: ${reason}`)];
    this.arbitrateHost(h, now, events);
    return events;
  }

  /** Every rule's state on every host, or one rule's only (without walking the others' tracks). */
  status(only?: string): RuleHostStatus[] {
    const out: RuleHostStatus[] = [];
    for (const [host, h] of this.hosts) {
      const tracks = only === undefined ? h.tracks : tracksOf(h.tracks, only);
      for (const [rule, t] of tracks) {
        const entry = this.rules.get(rule);
        if (!entry) continue;
        const s: RuleHostStatus = {
          rule,
          host,
          state: stateOf(t, entry.rule.checkLimit),
          metCount: t.metCount,
          lastValues: t.lastValues,
          lastMet: t.lastMet ?? null,
        };
        if (t.lastEval !== undefined) s.lastEval = t.lastEval;
        if (t.applied && t.activeSince !== undefined) s.activeSince = t.activeSince;
        if (t.coolingUntil !== undefined) s.coolingUntil = t.coolingUntil;
        if (t.error !== undefined) s.error = t.error;
        out.push(s);
      }
    }
    return out.sort((a, b) => (a.rule + '\0' + a.host < b.rule + '\0' + b.host ? -1 : 1));
  }

  /** The host's entry, its rule selection and rings brought up to date (rules or the host's cluster/IP changed). */
  private hostEntry(host: HostRef, now: number, events: HandEvent[]): HostEntry {
    let h = this.hosts.get(host.name);
    if (!h) {
      h = { ref: host, series: new Map(), tracks: new Map(), rules: [], version: -1 };
      this.hosts.set(host.name, h);
    }
    if (h.version !== this.version || h.ref.ip !== host.ip || h.ref.cluster !== host.cluster) {
      h.ref = host;
      h.rules = this.select(host);
      h.version = this.version;
      this.resizeRings(h);
      // A rule that no longer selects the host (its cluster or IP changed) lets go of what it applied there.
      const selected = new Set(h.rules.map((e) => e.rule.name));
      for (const [name, t] of h.tracks) {
        if (selected.has(name)) continue;
        const entry = this.rules.get(name);
        if (t.applied && entry)
          events.push(action(entry.rule, host.name, 'undo', now, 'host no longer selected'));
        h.tracks.delete(name);
      }
    }
    return h;
  }

  /**
   * The active rules selecting `host`, in precedence order. Exact selectors are looked up, not scanned: 1,000
   * hosts with 10 rules each must not cost 10,000 selector checks per host and poll.
   */
  private select(host: HostRef): RuleEntry[] {
    if (this.index?.version !== this.version) {
      const exact = new Map<string, RuleEntry[]>();
      const other: RuleEntry[] = [];
      for (const e of this.rules.values()) {
        if (!e.rule.active) continue;
        if (e.selector.kind !== 'exact') other.push(e);
        else exact.set(e.selector.text, [...(exact.get(e.selector.text) ?? []), e]);
      }
      this.index = { version: this.version, exact, other };
    }
    const { exact, other } = this.index;
    const found = new Set([
      ...(exact.get(host.name.toLowerCase()) ?? []),
      ...(host.ip !== undefined ? (exact.get(host.ip) ?? []) : []),
      ...other.filter((e) => selectorMatches(e.selector, host)),
    ]);
    return [...found].sort((a, b) => byPrecedence(contender(a.rule), contender(b.rule)));
  }

  /** Pushes undo events for what `name` has in effect and forgets its tracks; returns the hosts it was on. */
  private dropRule(name: string, now: number, why: string, events: HandEvent[]): HostEntry[] {
    const touched: HostEntry[] = [];
    const old = this.rules.get(name);
    for (const [host, h] of this.hosts) {
      const t = h.tracks.get(name);
      if (!t) continue;
      if (old && t.applied) events.push(action(old.rule, host, 'undo', now, why));
      h.tracks.delete(name);
      touched.push(h);
    }
    return touched;
  }

  /**
   * Rings only for metrics the host's rules read: a windowed one keeps `windowSamples`, others only the latest,
   * so 1,000 hosts with dozens of metrics each cost little.
   */
  private resizeRings(h: HostEntry): void {
    const want = new Map<string, number>();
    for (const { rule } of h.rules) {
      for (const c of rule.conditions) {
        want.set(c.metric, Math.max(want.get(c.metric) ?? 1, c.window ? this.windowSamples : 1));
      }
    }
    for (const metric of h.series.keys()) if (!want.has(metric)) h.series.delete(metric);
    for (const [metric, cap] of want) {
      const ring = h.series.get(metric);
      if (!ring) h.series.set(metric, new SampleRing(cap));
      else if (ring.capacity !== cap) h.series.set(metric, ring.resized(cap));
    }
  }

  /** Applies the winners among the rules that want to act on `h`, undoing losers first. */
  private arbitrateHost(h: HostEntry, now: number, events: HandEvent[]): void {
    const contenders: Contender[] = [];
    for (const [name, t] of h.tracks) {
      const entry = this.rules.get(name);
      if (!entry || t.error !== undefined) continue;
      // A rule that does not undo on clear keeps holding what it applied until deleted or preempted.
      if (t.armed || (t.applied && !entry.rule.undoOnClear)) contenders.push(contender(entry.rule));
    }
    const winners = arbitrate(contenders);
    const applies: HandEvent[] = [];
    for (const c of contenders.sort(byPrecedence)) {
      const t = h.tracks.get(c.name)!;
      const rule = this.rules.get(c.name)!.rule;
      if (winners.has(c.name) && !t.applied && t.armed) {
        t.applied = true;
        t.activeSince = now;
        applies.push(action(rule, h.ref.name, 'apply', now, 'condition met'));
      } else if (!winners.has(c.name) && t.applied) {
        t.applied = false;
        t.activeSince = undefined;
        events.push(action(rule, h.ref.name, 'undo', now, 'preempted by a higher-priority rule'));
      }
    }
    events.push(...applies);
  }
}

function contender(rule: HandRule): Contender {
  return { name: rule.name, priority: rule.priority, action: rule.action };
}

function newTrack(): Track {
  return {
    metCount: 0,
    clearCount: 0,
    armed: false,
    applied: false,
    lastMet: undefined,
    lastValues: [],
    warned: new Set(),
  };
}

function isDue(t: Track | undefined, rule: HandRule, now: number): boolean {
  if (t?.lastEval === undefined) return true;
  const ms = rule.pollingTime * 1000;
  return now - t.lastEval >= ms * (1 - DUE_SLACK);
}

/** The state shown for a track (derived, so it can never disagree with the counters). */
function stateOf(t: Track, checkLimit: number): RuleState {
  if (t.error !== undefined) return 'error';
  if (t.lastMet === undefined && t.lastEval !== undefined) return 'stale';
  if (t.coolingUntil !== undefined) return 'cooling';
  if (t.armed) return t.applied ? 'active' : 'suppressed';
  if (t.metCount > 0 && t.metCount < checkLimit) return 'pending';
  return 'idle';
}

function event(type: EventType, rule: string, host: string, at: number, message: string): HandEvent {
  return { type, at, rule, host, message };
}

function action(rule: HandRule, host: string, op: 'apply' | 'undo', at: number, why: string): HandEvent {
  return {
    ...event('ACTION', rule.name, host, at, `${op} ${rule.action.type}: ${why}`),
    op,
    action: rule.action,
  };
}

/** `bytes_out 2000000 gt 1000000, load_one ? gte 5`: what the poll judged, for the messages. */
function judged(rule: HandRule, t: Track): string {
  return rule.conditions
    .map((c, i) => {
      const w = c.window ? `${c.window.agg}(${c.metric}, ${c.window.seconds}s)` : c.metric;
      const limit = t.armed && c.clear !== undefined ? c.clear : c.value;
      return `${w} ${t.lastValues[i] ?? '?'} ${c.comparator} ${limit}`;
    })
    .join(rule.join === 'all' ? ' and ' : ' or ');
}

/** One poll of one rule on one host: counters, WARN/INFO, THRESHOLD_MET, and the undo of a clear. */
function step(
  rule: HandRule,
  host: string,
  t: Track,
  readings: Reading[],
  now: number,
  events: HandEvent[],
): void {
  t.lastEval = now;
  t.lastValues = readings.map((r) => ('value' in r ? r.value : null));
  // WARN once when a metric goes missing or stale, INFO once when it is back.
  rule.conditions.forEach((c, i) => {
    const r = readings[i]!;
    if ('missing' in r && !t.warned.has(c.metric)) {
      t.warned.add(c.metric);
      events.push({
        ...event('WARN', rule.name, host, now, `metric ${c.metric} is ${r.missing}: not met`),
        metric: c.metric,
      });
    } else if ('value' in r && t.warned.delete(c.metric)) {
      events.push({
        ...event('INFO', rule.name, host, now, `metric ${c.metric} is reported again`),
        metric: c.metric,
      });
    }
  });
  const truth = combine(
    rule.join,
    rule.conditions.map((c, i) => {
      const r = readings[i]!;
      return 'value' in r ? conditionMet(c, r.value, t.armed) : undefined;
    }),
  );
  t.lastMet = truth;

  if (t.error !== undefined) {
    if (truth === false) {
      t.error = undefined;
      events.push(event('INFO', rule.name, host, now, 'condition not met: the rule may act again'));
    }
    return;
  }
  if (t.coolingUntil !== undefined) {
    if (now < t.coolingUntil) return;
    t.coolingUntil = undefined;
  }
  if (truth === undefined) {
    t.metCount = 0;
    return;
  }
  if (truth) {
    t.clearCount = 0;
    t.metCount++;
    events.push({
      ...event(
        'THRESHOLD_MET',
        rule.name,
        host,
        now,
        `met ${t.metCount}/${rule.checkLimit}: ${judged(rule, t)}`,
      ),
      count: t.metCount,
    });
    if (!t.armed && t.metCount >= rule.checkLimit) t.armed = true;
    return;
  }
  t.metCount = 0;
  if (!t.armed) return;
  if (++t.clearCount < rule.clearPolls) return;
  t.armed = false;
  t.clearCount = 0;
  events.push(event('INFO', rule.name, host, now, `condition cleared after ${rule.clearPolls} poll(s)`));
  if (t.applied && rule.undoOnClear) {
    t.applied = false;
    t.activeSince = undefined;
    events.push(action(rule, host, 'undo', now, 'condition cleared'));
  }
  if (rule.coolDown > 0) t.coolingUntil = now + rule.coolDown * 1000;
}

/** The one rule's track as an iterable of [name, track], or nothing. */
function tracksOf<T>(tracks: ReadonlyMap<string, T>, rule: string): [string, T][] {
  const t = tracks.get(rule);
  return t === undefined ? [] : [[rule, t]];
}
