/**
 * The firewall app (Floodlight's Firewall): stateful rules in the store, a reactive decision per packet-in.
 *
 * Pipeline: runs after topology and hosts (LLDP is consumed, sources are still learned) and before
 * forwarding. Disabled (the state at first start), it leaves packets alone. Enabled, the first matching rule
 * decides and no matching rule means deny (see decide.ts for the order and the width of cached flows).
 * - deny: the firewall itself installs a drop flow (its cookie, tagged with the rule) and stops the pipeline.
 * Drop flows sit in the pipeline's filter stage, ahead of QoS and forwarding. Deny rules that one flow can
 * state and no earlier allow rule overlaps are also permanent flows (intent, reconciled) while the firewall
 * is enabled, so they win even over flows that keep packets from the controller (flows.ts, denyRuleFlows).
 * - allow: it sets PacketDecision {verdict: 'allow', match, notes.forwarding.cookieTag}; forwarding narrows
 *   its flows to that match and tags their cookies, so they are the rule's flows too.
 * Rule changes: deleting a rule deletes exactly the flows tagged with it (flows.ts); adding a rule, enabling,
 * disabling and changing the subnet mask delete every flow that caches a decision (an added rule may change
 * the outcome for packets that other rules' cached flows cover). Enabling also deletes forwarding's untagged
 * flows, which were installed without the firewall and are too wide. Rules are evaluated where a packet
 * first reaches the controller (its ingress switch); the path flows forwarding installs carry the decision to
 * the other switches.
 */
import {
  APP_COOKIE_MASK,
  DEFAULT_PIPELINE,
  appCookie,
  ownedBy,
  type App,
  type AppContext,
  type Disposition,
  switchSink,
  type FlowSpec,
  type Place,
  type Sink,
  type PacketDecision,
  type SwitchSession,
} from '../../controller/index.js';
import {
  OFP_NO_BUFFER,
  OFP_VERSION_1_3,
  type FlowStatsEntry,
  type Match,
  type OfVersion,
  type PacketIn,
} from '../../openflow/index.js';
import type { EthernetFrame } from '../../packet/index.js';
import { ConflictError, NotFoundError, SerialQueue } from '../../util/index.js';
import { StoreFollower, putUnderFreeId, sameJson, type StoreChange } from '../follow.js';
import { decide, parseSubnetMask, sortRules } from './decide.js';
import {
  deleteAppFlows,
  deleteByMatch,
  deleteByTag,
  denyFlowMod,
  denyRuleFlows,
  ruleCookieTag,
} from './flows.js';
import {
  MAX_RULE_ID,
  RuleError,
  parseIntIn,
  parseRule,
  ruleToJson,
  sameRule,
  type FirewallRule,
} from './rule.js';

export const FIREWALL_APP_ID = 4;
export const RULES_PREFIX = '/apps/firewall/rules/';
export const ENABLED_KEY = '/apps/firewall/enabled';
export const SUBNET_MASK_KEY = '/apps/firewall/subnet-mask';
export const DEFAULT_SUBNET_MASK = '255.255.255.0';
const FIREWALL_PREFIX = '/apps/firewall/';

export interface FirewallOptions {
  /** Idle timeout of the drop flows the firewall installs, seconds; default 5 (forwarding's). */
  idleTimeout?: number;
  /** Cap on decided matches remembered for OpenFlow 1.0 deletes; default 50000 (oldest forgotten first). */
  maxRemembered?: number;
  /**
   * The app whose reactive flows carry this firewall's allow decisions (forwarding, a typed handle): its
   * cookie selects them for deletes. Absent: only the firewall's own flows are deleted.
   */
  forwarding?: { readonly cookie: bigint };
}

function matchKey(m: Match): string {
  return JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export class FirewallApp implements App {
  readonly name = 'firewall';
  readonly cookie = appCookie(FIREWALL_APP_ID);
  readonly after = ['topology', 'hosts'];
  readonly idleTimeout: number;
  private readonly maxRemembered: number;
  private ctx: AppContext | undefined;
  private enabledFlag = false;
  private readonly rules = new Map<number, FirewallRule>();
  private sorted: FirewallRule[] = [];
  private subnetMaskText = DEFAULT_SUBNET_MASK;
  private subnetMask = parseSubnetMask(DEFAULT_SUBNET_MASK)!;
  private highestId = 0;
  /** Decided matches per rule tag, for OpenFlow 1.0 deletes (which cannot select by cookie). */
  private readonly remembered = new Map<bigint, Map<string, Match>>();
  private rememberedCount = 0;
  /** Serialises changes so ids and store writes never interleave. */
  /** Store writes and the state changes that follow them, one at a time. */
  private readonly serial = new SerialQueue();
  private sink: Sink = switchSink(() => this.ctx?.controller.switches);
  private readonly forwarding?: { readonly cookie: bigint };
  private follower?: StoreFollower;

  constructor(opts: FirewallOptions = {}) {
    this.idleTimeout = opts.idleTimeout ?? 5;
    this.maxRemembered = opts.maxRemembered ?? 50_000;
    this.forwarding = opts.forwarding;
  }

  async start(ctx: AppContext): Promise<void> {
    this.ctx = ctx;
    this.follower = new StoreFollower({
      store: ctx.store,
      prefixes: [FIREWALL_PREFIX],
      apply: (changes) => this.reload(changes),
      serialize: (fn) => this.serial.run(fn),
      log: ctx.log,
      app: this.name,
    });
    this.enabledFlag = readEnabled(ctx, (await ctx.store.get(ENABLED_KEY))?.value) ?? false;
    const mask = readMask(ctx, (await ctx.store.get(SUBNET_MASK_KEY))?.value);
    if (mask !== undefined) this.setMask(mask);
    for (const [id, rule] of await loadStoredRules(ctx, RULES_PREFIX, parseRule, 'firewall rule')) {
      this.rules.set(id, rule);
      this.highestId = Math.max(this.highestId, id);
    }
    this.sorted = sortRules(this.rules.values());
    this.follower.start();
  }

  stop(): void {
    this.follower?.stop();
  }

  /** Resolves when the store changes seen so far are in memory (tests). */
  synced(): Promise<void> {
    return this.follower?.settled() ?? Promise.resolve();
  }

  /**
   * The flag, the mask or rules changed in the store by someone else (another cluster member): memory follows,
   * validated as on load, and the cached decisions they may change are flushed as the commands do.
   */
  private reload(changes: StoreChange[]): void {
    const ctx = this.ctx!;
    let flushAll = false;
    const tags: bigint[] = [];
    for (const { key, entry } of changes) {
      if (key === ENABLED_KEY) {
        const on = entry ? (readEnabled(ctx, entry.value) ?? this.enabledFlag) : false;
        if (on === this.enabledFlag) continue;
        this.enabledFlag = on;
        this.flushAll(on);
      } else if (key === SUBNET_MASK_KEY) {
        const mask = entry ? readMask(ctx, entry.value) : DEFAULT_SUBNET_MASK;
        if (mask === undefined || mask === this.subnetMaskText) continue;
        this.setMask(mask);
        flushAll = true;
      } else if (key.startsWith(RULES_PREFIX)) {
        const rule =
          entry && parseStoredRule(ctx, RULES_PREFIX, key, entry.value, parseRule, 'firewall rule');
        const id = Number(key.slice(RULES_PREFIX.length));
        const old = this.rules.get(id);
        if (rule && old && sameJson(ruleToJson(rule), ruleToJson(old))) continue;
        if (!rule && !old) continue;
        if (rule) {
          this.rules.set(id, rule);
          this.highestId = Math.max(this.highestId, id);
          flushAll = true;
        } else {
          this.rules.delete(id);
          tags.push(ruleCookieTag(id));
        }
      }
    }
    this.sorted = sortRules(this.rules.values());
    if (!this.enabledFlag) return;
    if (flushAll) this.flushAll(false);
    else for (const tag of tags) this.flushTag(tag);
  }

  private setMask(text: string): void {
    this.subnetMaskText = text;
    this.subnetMask = parseSubnetMask(text)!;
  }

  /** The firewall's band in the filter stage on a switch of `version`. */
  private place(version: OfVersion): Place {
    return (this.ctx?.pipeline ?? DEFAULT_PIPELINE).place(this.name, 'deny', version);
  }

  /** Intent: the deny rules' permanent drop flows while enabled. */
  desiredFlows(sw: SwitchSession): FlowSpec[] {
    return this.enabledFlag ? denyRuleFlows(this.sorted, this.cookie, sw.dpid, this.place(sw.version)) : [];
  }

  /** The permanent flows only: the drops cached from packet-ins (lower in the band) age out on their own. */
  ownsFlow(sw: SwitchSession, flow: FlowStatsEntry): boolean {
    const place = this.place(sw.version);
    return (
      ownedBy(flow.cookie, this.cookie) &&
      flow.priority === place.high &&
      (sw.version !== OFP_VERSION_1_3 || flow.tableId === place.tableId)
    );
  }

  /** Capture outgoing messages instead of sending them (unit tests). */
  setSink(sink: Sink): void {
    this.sink = sink;
  }

  // ------------------------------------------------------------------------------------------ queries

  get enabled(): boolean {
    return this.enabledFlag;
  }

  /** Rules in evaluation order. */
  list(): FirewallRule[] {
    return [...this.sorted];
  }

  get(id: number): FirewallRule | undefined {
    return this.rules.get(id);
  }

  subnetMaskOf(): string {
    return this.subnetMaskText;
  }

  // ----------------------------------------------------------------------------------------- commands

  setEnabled(on: boolean): Promise<void> {
    return this.serial.run(async () => {
      if (on === this.enabledFlag) return;
      await this.store().put(ENABLED_KEY, { enabled: on });
      this.enabledFlag = on;
      this.flushAll(on);
    });
  }

  /** Validates and stores a rule; throws RuleError (400/409) naming the field, the store unchanged. */
  add(body: unknown): Promise<FirewallRule> {
    return this.serial.run(async () => {
      const input = parseRule(body);
      const clash = this.sorted.find((r) => sameRule(r, input));
      if (clash) throw new ConflictError('body', `a similar rule already exists (ruleid ${clash.id})`);
      if (input.id !== undefined && this.rules.has(input.id)) {
        throw new ConflictError('ruleid', `rule ${input.id} already exists`);
      }
      const id = await putUnderFreeId(
        (id) => this.store().compareAndSwap(RULES_PREFIX + id, 0, ruleToJson({ ...input, id })),
        input.id ?? this.highestId + 1,
        input.id !== undefined,
        MAX_RULE_ID,
        (id) => new ConflictError('ruleid', `rule ${id} already exists`),
        () => new ConflictError('ruleid', `no rule id left (largest is ${MAX_RULE_ID})`),
      );
      const rule: FirewallRule = { ...input, id };
      this.rules.set(id, rule);
      this.highestId = Math.max(this.highestId, id);
      this.sorted = sortRules(this.rules.values());
      if (this.enabledFlag) this.flushAll(false);
      return rule;
    });
  }

  /** Deletes a rule and exactly the flows it caused; 404 naming `ruleid` when there is none. */
  delete(rawId: unknown): Promise<FirewallRule> {
    return this.serial.run(async () => {
      const id = parseRuleId(rawId);
      const rule = this.rules.get(id);
      if (!rule) throw new NotFoundError('ruleid', `no firewall rule ${id}`);
      await this.store().delete(RULES_PREFIX + id);
      this.rules.delete(id);
      this.sorted = sortRules(this.rules.values());
      this.flushTag(ruleCookieTag(id));
      return rule;
    });
  }

  setSubnetMask(raw: unknown): Promise<string> {
    return this.serial.run(async () => {
      const text = typeof raw === 'string' ? raw.trim() : '';
      if (parseSubnetMask(text) === undefined) {
        throw new RuleError('subnet-mask', `'${String(raw)}' is not a subnet mask (e.g. 255.255.255.0)`);
      }
      await this.store().put(SUBNET_MASK_KEY, { mask: text });
      this.setMask(text);
      if (this.enabledFlag) this.flushAll(false);
      return text;
    });
  }

  // ---------------------------------------------------------------------------------------- pipeline

  packetIn(sw: SwitchSession, msg: PacketIn, frame: EthernetFrame, decision: PacketDecision): Disposition {
    if (!this.enabledFlag) return 'continue';
    const inPort = msg.match.in_port;
    if (inPort === undefined || frame.srcNum < 0) return 'continue';
    const d = decide(this.sorted, { dpid: sw.dpid, inPort, frame }, this.subnetMask);
    decision.by = this.name;
    decision.reason = d.rule ? `firewall rule ${d.rule.id}` : `firewall ${d.reason}`;
    if (d.action === 'allow' && (d.match !== undefined || d.reason === 'broadcast')) {
      decision.verdict = 'allow';
      if (d.match) {
        const tag = ruleCookieTag(d.rule?.id);
        decision.match = d.match;
        decision.notes = { ...decision.notes, forwarding: { cookieTag: tag } };
        this.remember(tag, d.match);
      }
      return 'continue';
    }
    // Deny, or an allow that no flow could cache precisely (dropped rather than cached too wide).
    decision.verdict = 'deny';
    if (d.match && d.action === 'deny') {
      const tag = ruleCookieTag(d.rule?.id);
      decision.match = d.match;
      this.remember(tag, d.match);
      this.sink({
        dpid: sw.dpid,
        msg: denyFlowMod(this.cookie, tag, d.match, msg.bufferId, this.idleTimeout, this.place(sw.version)),
      });
    } else if (msg.bufferId !== OFP_NO_BUFFER) {
      this.sink({
        dpid: sw.dpid,
        msg: { type: 'packet_out', bufferId: msg.bufferId, inPort, actions: [], data: Buffer.alloc(0) },
      });
    }
    return 'stop';
  }

  // ------------------------------------------------------------------------------------------ flushing

  private otherCookies(): bigint[] {
    const fwd = this.forwarding;
    return fwd ? [this.cookie, fwd.cookie & APP_COOKIE_MASK] : [this.cookie];
  }

  private remember(tag: bigint, match: Match): void {
    let perTag = this.remembered.get(tag);
    if (!perTag) this.remembered.set(tag, (perTag = new Map()));
    const k = matchKey(match);
    if (perTag.has(k)) return;
    perTag.set(k, match);
    if (++this.rememberedCount > this.maxRemembered) this.forgetOldest();
  }

  private forgetOldest(): void {
    for (const [tag, perTag] of this.remembered) {
      const first = perTag.keys().next();
      if (first.done) continue;
      perTag.delete(first.value);
      if (perTag.size === 0) this.remembered.delete(tag);
      this.rememberedCount--;
      return;
    }
  }

  /** Every flow of one rule (or, tag undefined, of every decision) on every switch. */
  private flushTag(tag: bigint | undefined): void {
    const cookies = this.otherCookies();
    const matches: Match[] = [];
    for (const [t, perTag] of this.remembered) {
      if (tag !== undefined && t !== tag) continue;
      matches.push(...perTag.values());
      this.rememberedCount -= perTag.size;
      this.remembered.delete(t);
    }
    for (const sw of this.switches()) {
      const msgs =
        sw.version === OFP_VERSION_1_3
          ? deleteByTag(cookies, tag)
          : matches.map((m) => deleteByMatch(m, sw.version));
      for (const msg of msgs) this.sink({ dpid: sw.dpid, msg });
    }
    // The deletes also take the deny rules' permanent flows (same tags): the reconciler puts back the ones
    // the rules still want.
    this.ctx?.requestReconcile(this.name);
  }

  /**
   * Every cached decision; with `untaggedToo` also forwarding's flows made without the firewall. OpenFlow 1.0
   * cannot select those by cookie, so there every flow goes and the apps with permanent flows re-push theirs.
   */
  private flushAll(untaggedToo: boolean): void {
    this.flushTag(undefined);
    if (!untaggedToo) return;
    const fwd = this.forwarding;
    let wiped = false;
    for (const sw of this.switches()) {
      if (sw.version === OFP_VERSION_1_3) {
        if (fwd) this.sink({ dpid: sw.dpid, msg: deleteAppFlows(fwd.cookie & APP_COOKIE_MASK) });
      } else {
        this.sink({ dpid: sw.dpid, msg: deleteByMatch({}, sw.version) });
        wiped = true;
      }
    }
    if (wiped) this.ctx?.requestReconcileIntent();
  }

  /** The switches this member programs: in a cluster, those it masters (each member flushes its own). */
  private switches(): SwitchSession[] {
    const cluster = this.ctx?.cluster;
    const all = [...(this.ctx?.controller.switches.values() ?? [])];
    return cluster ? all.filter((sw) => cluster.isMaster(sw.dpid)) : all;
  }

  private store() {
    if (!this.ctx) throw new Error('firewall: not started');
    return this.ctx.store;
  }
}

/**
 * The rules stored under `prefix`, keyed by rule id. A record that does not parse, or whose ruleid is not its
 * key, is logged and skipped: one bad record must not keep the app (and the controller) from starting.
 */
export async function loadStoredRules<R extends { id?: number }>(
  ctx: AppContext,
  prefix: string,
  parse: (value: unknown) => R,
  what: string,
): Promise<Map<number, R & { id: number }>> {
  const rules = new Map<number, R & { id: number }>();
  for (const e of await ctx.store.list(prefix)) {
    const r = parseStoredRule(ctx, prefix, e.key, e.value, parse, what);
    if (r) rules.set(r.id, r);
  }
  return rules;
}

/** One stored rule read back as loadStoredRules does; undefined (and logged) when it is bad. */
export function parseStoredRule<R extends { id?: number }>(
  ctx: AppContext,
  prefix: string,
  key: string,
  value: unknown,
  parse: (value: unknown) => R,
  what: string,
): (R & { id: number }) | undefined {
  try {
    const r = parse(value);
    const id = Number(key.slice(prefix.length));
    if (r.id !== id) throw new RuleError('ruleid', `does not match the key ${key}`);
    return { ...r, id };
  } catch (err) {
    ctx.log.warn({ key, err: (err as Error).message }, `ignoring an invalid stored ${what}`);
    return undefined;
  }
}

/** The stored enabled flag ({enabled: boolean}); undefined (and logged) when it is not one. */
function readEnabled(ctx: AppContext, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  const on = (value as { enabled?: unknown } | null)?.enabled;
  if (typeof on === 'boolean') return on;
  ctx.log.warn({ key: ENABLED_KEY }, 'ignoring an invalid stored firewall flag (not {enabled: boolean})');
  return undefined;
}

/** The stored subnet mask ({mask: '255.255.255.0'}); undefined (and logged) when it is not one. */
function readMask(ctx: AppContext, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const mask = (value as { mask?: unknown } | null)?.mask;
  if (typeof mask === 'string' && parseSubnetMask(mask) !== undefined) return mask;
  ctx.log.warn({ key: SUBNET_MASK_KEY }, 'ignoring an invalid stored firewall subnet mask');
  return undefined;
}

/** A rule id from a path segment or a DELETE body's `ruleid` (string or number). */
export function parseRuleId(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') throw new RuleError('ruleid', 'is required');
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw new RuleError('ruleid', `must be a string or a number, got ${typeof raw}`);
  }
  return parseIntIn('ruleid', String(raw).trim(), 1, MAX_RULE_ID);
}
