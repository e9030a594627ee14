/**
 * The `staticflows` app (Floodlight's static entry pusher): named flow entries kept in the store, pushed
 * when their switch connects and re-pushed when it reconnects (through the reconciler's desiredFlows),
 * removed exactly (DELETE_STRICT), listed with live counters. A change is stored, then a targeted reconcile
 * of just its flows is awaited, so the API answers with the switch's verdict on it.
 *
 * Users' cookies are kept: the app owns its flows by (table, priority, match, cookie) of its entries
 * (App.ownsFlow), not only by the cookie's high bits.
 */
import {
  APP_COOKIE_MASK,
  allFlowsRequest,
  appCookie,
  flowKey,
  flowOutcome,
  type App,
  type AppContext,
  type FlowRef,
  type FlowSpec,
  type Logger,
  type SwitchReconcile,
  type SwitchSession,
} from '../../controller/index.js';
import {
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  type FlowRemoved,
  type FlowStatsEntry,
  type OfVersion,
} from '../../openflow/index.js';
import { collection, type Collection } from '../../store/index.js';
import { AppError, ConflictError, NotFoundError, formatDpid } from '../../util/index.js';
import { entryToJson, parseEntry, parseSwitch, type StaticEntry } from './entry.js';
import { StoreFollower, sameJson, type StoreChange } from '../follow.js';
import { checkForSwitch, entryCookie, entryFlowSpec } from './flows.js';
import { EntryError } from './values.js';
import { GroupWriter } from './writer.js';

/** Floodlight's StaticFlowEntryPusher app id. */
export const STATICFLOWS_APP_ID = 10;
export const ENTRIES_PREFIX = '/apps/staticflows/entries/';

/** OFPRR_IDLE_TIMEOUT / OFPRR_HARD_TIMEOUT. */
const EXPIRED_REASONS = new Set([0, 1]);

export interface ListedEntry {
  entry: StaticEntry;
  /** Canonical flat JSON of the entry (Floodlight names). */
  json: Record<string, string>;
  /** The switch's flow for it, when the switch is connected and has it. */
  flow?: FlowStatsEntry;
  version?: OfVersion;
  /** Why the entry is not on its switch, if known (inactive, switch not connected, rejected by the switch). */
  state: 'installed' | 'missing' | 'inactive' | 'switch_not_connected';
}

export interface AddResult {
  name: string;
  /** True when the switch was connected and acknowledged the flow (barrier); false when only stored. */
  pushed: boolean;
  replaced: boolean;
}

/** The identity of a flow on a switch across versions: OF1.0 flows live in table 0 as far as we program them. */
function keyOf(f: Pick<FlowSpec, 'tableId' | 'priority' | 'match'>, version: OfVersion): string {
  return flowKey(version === OFP_VERSION_1_0 ? { ...f, tableId: 0 } : f, OFP_VERSION_1_3);
}

export class StaticFlowsApp implements App {
  readonly name = 'staticflows';
  readonly cookie = appCookie(STATICFLOWS_APP_ID);

  private ctx!: AppContext;
  private log!: Logger;
  private entries!: Collection<Record<string, string>>;
  private writer!: GroupWriter;
  private readonly byName = new Map<string, StaticEntry>();
  /** Per switch: flow key (with the entry's table) -> entry name. */
  private readonly byKey = new Map<bigint, Map<string, string>>();
  /**
   * The same, keyed as an OpenFlow 1.0 switch reports the flow: in table 0, whatever table the entry names
   * (by default the forwarding stage's OpenFlow 1.3 table), so a 1.0 switch's flows are found too.
   */
  private readonly byKey10 = new Map<bigint, Map<string, string>>();
  /** Serialises changes to one entry name (store write + memory + push must not interleave). */
  private readonly locks = new Map<string, Promise<unknown>>();
  private follower?: StoreFollower;

  async start(ctx: AppContext): Promise<void> {
    this.ctx = ctx;
    this.log = ctx.log;
    this.writer = new GroupWriter(ctx.store);
    this.entries = collection(ctx.store, ENTRIES_PREFIX, (v) => {
      const e = parseEntry(v);
      return entryToJson(e);
    });
    this.follower = new StoreFollower({
      store: ctx.store,
      prefixes: [ENTRIES_PREFIX],
      apply: (changes) => this.reload(changes),
      log: ctx.log,
      app: this.name,
    });
    const items = await this.entries.list({
      onInvalid: (err) =>
        this.log.error({ key: err.field, err: err.message }, 'skipping invalid stored static entry'),
    });
    for (const item of items) this.remember(parseEntry(item.value));
    this.log.info({ entries: this.byName.size }, 'static entries loaded');
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
   * Entries changed in the store by someone else (another cluster member): memory follows, as on load (a
   * record that does not read back is logged and counts as absent), and their flows are reconciled.
   */
  private async reload(changes: StoreChange[]): Promise<void> {
    const changed: StaticEntry[] = [];
    await Promise.all(
      changes.map(({ key }) => {
        const name = key.slice(ENTRIES_PREFIX.length);
        if (name === '' || name.includes('/')) return;
        return this.withLock(name, async () => {
          // Read again under the entry's lock: an add still to roll back holds it.
          const entry = await this.ctx.store.get(key);
          let e: StaticEntry | undefined;
          if (entry) {
            try {
              e = parseEntry(entry.value);
              if (e.name !== name) throw new EntryError('name', `does not match the key ${key}`);
            } catch (err) {
              this.log.error({ key, err: (err as Error).message }, 'skipping invalid stored static entry');
            }
          }
          const old = this.byName.get(name);
          if (e && old && sameJson(entryToJson(e), entryToJson(old))) return;
          if (!e && !old) return;
          if (old) this.forget(old);
          if (e) this.remember(e);
          changed.push(...[old, e].filter((x): x is StaticEntry => x?.active === true));
        });
      }),
    );
    if (!changed.length) return;
    this.log.info({ entries: changed.length }, 'static entries changed in the store');
    await this.sync(changed);
  }

  /** Write-batching counters (tests, benchmark). */
  get storeStats(): { commits: number; ops: number } {
    return this.writer.stats;
  }

  // ---- reconciler hooks

  desiredFlows(sw: SwitchSession): FlowSpec[] {
    return this.specsOn(sw, this.byKey.get(sw.dpid)?.values() ?? []);
  }

  /** A targeted reconcile's lookup: the entries at these identities, without walking the switch's others. */
  desiredFlowsFor(sw: SwitchSession, refs: readonly FlowRef[]): FlowSpec[] {
    const keys = this.byKey.get(sw.dpid);
    const names = refs.map((r) => keys?.get(keyOf(r, OFP_VERSION_1_3))).filter((n) => n !== undefined);
    return this.specsOn(sw, new Set(names));
  }

  private specsOn(sw: SwitchSession, names: Iterable<string>): FlowSpec[] {
    const out: FlowSpec[] = [];
    for (const name of names) {
      const e = this.byName.get(name)!;
      if (!e.active) continue;
      try {
        checkForSwitch(e, sw, this.cookie);
      } catch (err) {
        this.log.warn(
          { dpid: formatDpid(sw.dpid), entry: e.name, err: (err as Error).message },
          'static entry not pushed',
        );
        continue;
      }
      out.push(entryFlowSpec(e, this.cookie));
    }
    return out;
  }

  ownsFlow(sw: SwitchSession, flow: FlowStatsEntry): boolean {
    if ((flow.cookie & APP_COOKIE_MASK) === this.cookie) return true;
    const name = this.nameAt(sw, flow);
    const e = name === undefined ? undefined : this.byName.get(name);
    return e !== undefined && e.cookie === flow.cookie;
  }

  /** Floodlight removes an entry whose flow timed out. */
  flowRemoved(sw: SwitchSession, msg: FlowRemoved): void {
    if (!EXPIRED_REASONS.has(msg.reason)) return;
    const name = this.nameAt(sw, msg);
    const e = name === undefined ? undefined : this.byName.get(name);
    if (!e || entryCookie(e, this.cookie) !== msg.cookie) return;
    void this.withLock(e.name, async () => {
      if (this.byName.get(e.name) !== e) return;
      await this.writer.delete(ENTRIES_PREFIX + e.name);
      this.forget(e);
      this.log.info({ entry: e.name, dpid: formatDpid(sw.dpid) }, 'static entry expired and removed');
    }).catch((err: unknown) =>
      this.log.error({ entry: e.name, err: String(err) }, 'removing expired entry failed'),
    );
  }

  // ---- commands (the REST routes call these)

  /**
   * Validates, stores (durably, before answering), then has the reconciler push it when the switch is
   * connected and waits for that run's barrier. A switch that rejects the flow gets the store rolled back.
   * Throws EntryError.
   */
  async add(body: unknown): Promise<AddResult> {
    const e = parseEntry(body);
    return this.withLock(e.name, async () => {
      const sw = this.ctx.controller.switches.get(e.dpid);
      if (sw) checkForSwitch(e, sw, this.cookie);
      const old = this.byName.get(e.name);
      const clash = this.byKey.get(e.dpid)?.get(keyOf(entryFlowSpec(e, this.cookie), OFP_VERSION_1_3));
      if (clash !== undefined && clash !== e.name) {
        throw new ConflictError(
          'name',
          `entry '${clash}' already has this switch, table, priority and match; delete it or use its name to replace it`,
        );
      }
      await this.writer.put(ENTRIES_PREFIX + e.name, entryToJson(e));
      if (old) this.forget(old);
      this.remember(e);
      const changed = [old, e].filter((x) => x?.active) as StaticEntry[];
      try {
        const runs = await this.sync(changed);
        const mine = e.active ? runs.find((r) => r.dpid === e.dpid) : undefined;
        if (mine?.failure) throw mine.failure;
        const outcome = mine && flowOutcome(mine, entryFlowSpec(e, this.cookie));
        if (outcome?.error) {
          throw new EntryError(
            'actions',
            `switch ${formatDpid(e.dpid)} rejected the flow: ${outcome.error.message}`,
          );
        }
        return { name: e.name, pushed: mine !== undefined, replaced: old !== undefined };
      } catch (err) {
        // Put the store and memory back as they were, so a rejected entry leaves no trace, and the old
        // entry's flow back on its switch.
        this.forget(e);
        if (old) {
          await this.writer.put(ENTRIES_PREFIX + old.name, entryToJson(old));
          this.remember(old);
        } else await this.writer.delete(ENTRIES_PREFIX + e.name);
        void this.sync(changed);
        throw err;
      }
    });
  }

  /**
   * Several entries: every one is validated first (an error names `[i].field` and nothing is stored), then
   * all are added at once, so their store writes share commits.
   */
  async addMany(bodies: unknown[]): Promise<AddResult[]> {
    const names = new Set<string>();
    bodies.forEach((b, i) => {
      try {
        const e = parseEntry(b);
        if (names.has(e.name)) throw new EntryError('name', `'${e.name}' appears twice in the list`);
        names.add(e.name);
        const sw = this.ctx.controller.switches.get(e.dpid);
        if (sw) checkForSwitch(e, sw, this.cookie);
      } catch (err) {
        if (err instanceof AppError) throw err.under(`[${i}].`);
        throw err;
      }
    });
    return Promise.all(bodies.map((b) => this.add(b)));
  }

  /** Removes one entry by name and exactly its flow. Throws NotFoundError for an unknown name. */
  async delete(nameRaw: unknown): Promise<StaticEntry> {
    if (typeof nameRaw !== 'string' || nameRaw.trim() === '') throw new EntryError('name', 'is required');
    const name = nameRaw.trim();
    return this.withLock(name, async () => {
      const e = this.byName.get(name);
      if (!e) throw new NotFoundError('name', `no static entry named '${name}'`);
      await this.writer.delete(ENTRIES_PREFIX + name);
      this.forget(e);
      if (e.active) await this.sync([e]);
      return e;
    });
  }

  /** Removes every entry of one switch, or all. Returns how many. */
  async clear(dpidText: string): Promise<number> {
    const dpid = dpidText.trim().toLowerCase() === 'all' ? undefined : parseSwitch(dpidText, 'dpid');
    const victims = [...this.byName.values()].filter((e) => dpid === undefined || e.dpid === dpid);
    if (!victims.length) return 0;
    await this.writer.all(victims.map((e) => ({ type: 'delete' as const, key: ENTRIES_PREFIX + e.name })));
    const gone = victims.filter((e) => this.byName.get(e.name) === e);
    for (const e of gone) this.forget(e);
    await this.sync(gone.filter((e) => e.active));
    return victims.length;
  }

  get(name: string): StaticEntry | undefined {
    return this.byName.get(name);
  }

  /** Entries (of one switch or all), each with its live flow when the switch is connected. */
  async list(dpidText: string): Promise<ListedEntry[]> {
    const dpid = dpidText.trim().toLowerCase() === 'all' ? undefined : parseSwitch(dpidText, 'dpid');
    const selected = [...this.byName.values()].filter((e) => dpid === undefined || e.dpid === dpid);
    const dpids = [...new Set(selected.map((e) => e.dpid))];
    const flowsBy = new Map<bigint, { version: OfVersion; flows: Map<string, FlowStatsEntry> }>();
    await Promise.all(
      dpids.map(async (d) => {
        const sw = this.ctx.controller.switches.get(d);
        if (!sw?.connected) return;
        try {
          const reply = await sw.stats(allFlowsRequest());
          const flows = new Map<string, FlowStatsEntry>();
          for (const f of reply.flows) if (this.ownsFlow(sw, f)) flows.set(keyOf(f, sw.version), f);
          flowsBy.set(d, { version: sw.version, flows });
        } catch (err) {
          this.log.warn({ dpid: formatDpid(d), err: String(err) }, 'flow stats for static entries failed');
        }
      }),
    );
    return selected
      .sort((a, b) => (a.dpid === b.dpid ? a.name.localeCompare(b.name) : a.dpid < b.dpid ? -1 : 1))
      .map((entry) => {
        const json = entryToJson(entry);
        const live = flowsBy.get(entry.dpid);
        if (!entry.active) return { entry, json, state: 'inactive' as const };
        if (!live) return { entry, json, state: 'switch_not_connected' as const };
        const flow = live.flows.get(keyOf(entryFlowSpec(entry, this.cookie), live.version));
        return flow
          ? { entry, json, flow, version: live.version, state: 'installed' as const }
          : { entry, json, version: live.version, state: 'missing' as const };
      });
  }

  // ---- internals

  /** The entry a switch's flow (or flow-removed message) belongs to, by its identity on that switch. */
  private nameAt(sw: SwitchSession, f: Pick<FlowSpec, 'tableId' | 'priority' | 'match'>): string | undefined {
    const index = sw.version === OFP_VERSION_1_0 ? this.byKey10 : this.byKey;
    return index.get(sw.dpid)?.get(keyOf(f, sw.version));
  }

  private remember(e: StaticEntry): void {
    this.byName.set(e.name, e);
    const spec = entryFlowSpec(e, this.cookie);
    for (const [index, version] of this.indexes()) {
      let keys = index.get(e.dpid);
      if (!keys) index.set(e.dpid, (keys = new Map()));
      keys.set(keyOf(spec, version), e.name);
    }
  }

  private forget(e: StaticEntry): void {
    this.byName.delete(e.name);
    const spec = entryFlowSpec(e, this.cookie);
    for (const [index, version] of this.indexes()) {
      const keys = index.get(e.dpid);
      keys?.delete(keyOf(spec, version));
      if (keys?.size === 0) index.delete(e.dpid);
    }
  }

  private indexes(): [Map<bigint, Map<string, string>>, OfVersion][] {
    return [
      [this.byKey, OFP_VERSION_1_3],
      [this.byKey10, OFP_VERSION_1_0],
    ];
  }

  private async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(name, tail);
    void tail.then(() => {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    });
    return run;
  }

  /**
   * Asks the reconciler for a targeted run over these entries' flows on their switches (each is added if
   * still wanted, deleted if not) and waits for it: one run per switch. The switch's rejections of these
   * entries' flows are logged; add() also reports its own.
   */
  private async sync(entries: readonly StaticEntry[]): Promise<SwitchReconcile[]> {
    const byDpid = new Map<bigint, StaticEntry[]>();
    for (const e of entries) {
      if (!byDpid.has(e.dpid)) byDpid.set(e.dpid, []);
      byDpid.get(e.dpid)!.push(e);
    }
    const runs = await Promise.all(
      [...byDpid].map(async ([dpid, es]) => {
        const flows = es.map((e) => entryFlowSpec(e, this.cookie));
        const [run] = await this.ctx.reconcile({ app: this.name, dpid, flows });
        es.forEach((e, i) => {
          const err = run && flowOutcome(run, flows[i])?.error;
          if (err)
            this.log.warn({ entry: e.name, err: err.message }, 'switch rejected a static entry change');
        });
        return run;
      }),
    );
    return runs.filter((r) => r !== undefined);
  }
}
