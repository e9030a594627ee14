/**
 * The reconciler's session-facing half, and the only place that sends apps' intent to switches: it reads
 * what a switch has (flow, meter-config and group-desc stats), plans with planReconcile, sends the plan in
 * phases with a barrier after each, and collects the switch's OFPT_ERRORs for those xids, so each app that
 * asked gets, per flow (meter, group), ok or the switch's error.
 */
import {
  OFPM_ALL,
  OFP_VERSION_1_3,
  type ErrorMsg,
  type FlowStatsEntry,
  type GroupDescEntry,
  type MeterConfigEntry,
  type OfVersion,
} from '../openflow/index.js';
import {
  APP_COOKIE_MASK,
  type App,
  type ControllerMetrics,
  type FlowRef,
  type FlowSpec,
  type Logger,
  type ReconcileRequest,
  type SwitchReconcile,
  type SwitchSession,
} from './app.js';
import { NotMasterError, SessionClosedError } from './errors.js';
import { systemClock, type Clock } from '../util/index.js';
import { allFlowsRequest } from './flowstats.js';
import {
  flowKey,
  ownedBy,
  planReconcile,
  recordOutcome,
  switchError,
  type Actual,
  type Intent,
  type PlannedMod,
  type ReconcilePlan,
} from './reconcile.js';

/** One app's part of a run: its whole intent, or the flows named by a targeted request. */
export interface ReconcileWork {
  app: App;
  flows?: readonly FlowRef[];
}

export interface ReconcilerHost {
  /** Registered apps, in pipeline order. */
  apps(): readonly App[];
  /** Connected, announced switches. */
  switches(): Iterable<SwitchSession>;
  /** Runs an app hook; a throw is counted and logged by the host, and gives undefined. */
  guard<R>(app: App, hook: string, fn: () => R): R | undefined;
  /** The flows inside the app's pipeline bands on `version`; the host reports each one it refuses. */
  inBands?(app: App, flows: FlowSpec[], version: OfVersion): FlowSpec[];
  log: Logger;
  metrics?: Pick<ControllerMetrics, 'reconcileRuns' | 'reconcileFlowsAdded' | 'reconcileFlowsDeleted'>;
  /** requestReconcile calls within this window share one run (default 200 ms). */
  debounceMs?: number;
  /** Times the debounce window (default: the system clock). */
  clock?: Clock;
}

interface Queued {
  app: App;
  dpid?: bigint;
  flows?: readonly FlowRef[];
  done?: (runs: Promise<SwitchReconcile>[]) => void;
}

export const hasIntent = (a: App): boolean =>
  Boolean(a.desiredFlows ?? a.desiredMeters ?? a.desiredGroups ?? a.desiredFlowsFor);

export class Reconciler {
  private queue: Queued[] = [];
  private debounce: unknown;
  private soon: NodeJS.Immediate | undefined;
  /** Per switch, the tail of its chain of runs (runs on one switch never overlap). */
  private readonly chains = new Map<SwitchSession, Promise<unknown>>();
  /** Per switch, the messages of the phase in flight by xid, waiting for a possible OFPT_ERROR. */
  private readonly inFlight = new Map<SwitchSession, Map<number, PlannedMod>>();

  private readonly clock: Clock;

  constructor(private readonly host: ReconcilerHost) {
    this.clock = host.clock ?? systemClock;
  }

  /** Fire and forget (debounced): re-sync `appName`'s intent on one or every switch. */
  request(appName: string, dpid?: bigint): void {
    const app = this.appNamed(appName);
    if (!hasIntent(app)) return;
    this.queue.push({ app, dpid });
    if (this.debounce === undefined && this.soon === undefined) {
      this.debounce = this.clock.setTimer(() => this.drain(), this.host.debounceMs ?? 200);
    }
  }

  /** Reconcile on the next turn and resolve with each switch's run (see AppContext.reconcile). */
  reconcile(req: ReconcileRequest): Promise<SwitchReconcile[]> {
    const app = this.appNamed(req.app);
    return new Promise<Promise<SwitchReconcile>[]>((done) => {
      this.queue.push({ app, dpid: req.dpid, flows: req.flows, done });
      this.soon ??= setImmediate(() => this.drain());
    }).then((runs) => Promise.all(runs));
  }

  /** A run on one switch now (after the runs already queued on it). */
  run(sw: SwitchSession, work: readonly ReconcileWork[]): Promise<SwitchReconcile> {
    const prev = this.chains.get(sw) ?? Promise.resolve();
    const run = prev.then(() => this.execute(sw, work));
    this.chains.set(sw, run);
    return run;
  }

  /** Claims an OFPT_ERROR that answers a message of a run in flight; false when it is not one of ours. */
  switchError(sw: SwitchSession, msg: ErrorMsg): PlannedMod | undefined {
    const mod = this.inFlight.get(sw)?.get(msg.xid);
    if (mod) mod.outcome.error = switchError(msg);
    return mod;
  }

  /** The connection is gone: nothing more runs on it. */
  forget(sw: SwitchSession): void {
    this.chains.delete(sw);
    this.inFlight.delete(sw);
  }

  stop(): void {
    if (this.debounce !== undefined) this.clock.clearTimer(this.debounce);
    if (this.soon) clearImmediate(this.soon);
    for (const q of this.queue) q.done?.([]);
    this.queue = [];
  }

  private appNamed(name: string): App {
    const app = this.host.apps().find((a) => a.name === name);
    if (!app) throw new RangeError(`appName: no app named '${name}'`);
    return app;
  }

  private drain(): void {
    if (this.debounce !== undefined) this.clock.clearTimer(this.debounce);
    if (this.soon) clearImmediate(this.soon);
    this.debounce = this.soon = undefined;
    const queued = this.queue;
    this.queue = [];
    const runs = new Map<bigint, Promise<SwitchReconcile>>();
    for (const sw of this.host.switches()) {
      const mine = queued.filter((q) => q.dpid === undefined || q.dpid === sw.dpid);
      if (!mine.length) continue;
      // Per app: a whole-intent request wins; targeted ones add up.
      const byApp = new Map<App, FlowRef[] | undefined>();
      for (const q of mine) {
        const cur = byApp.has(q.app) ? byApp.get(q.app) : [];
        if (cur === undefined || q.flows === undefined) byApp.set(q.app, undefined);
        else
          byApp
            .set(q.app, cur)
            .get(q.app)!
            .push(...q.flows);
      }
      const work = this.host
        .apps()
        .filter((a) => byApp.has(a))
        .map((app) => ({ app, flows: byApp.get(app) }));
      runs.set(sw.dpid, this.run(sw, work));
    }
    for (const q of queued) {
      if (!q.done) continue;
      q.done([...runs].filter(([dpid]) => q.dpid === undefined || q.dpid === dpid).map(([, r]) => r));
    }
  }

  private async execute(sw: SwitchSession, work: readonly ReconcileWork[]): Promise<SwitchReconcile> {
    const result: SwitchReconcile = {
      dpid: sw.dpid,
      version: sw.version,
      apps: work.map((w) => w.app.name),
      flows: [],
      meters: [],
      groups: [],
    };
    if (!sw.connected) {
      result.failure = new SessionClosedError('switch disconnected before the reconcile ran');
      return result;
    }
    // In a cluster only the master brings a switch in line (it runs again when this member becomes master).
    if (sw.role === 'slave') {
      result.failure = new NotMasterError('reconcile', sw.dpid);
      return result;
    }
    try {
      const plans = await this.plan(sw, work);
      for (const phase of ['before', 'flows', 'after'] as const) {
        await this.send(
          sw,
          plans.flatMap((p) => p.plan[phase]),
          result,
        );
      }
      this.count(sw, plans, result);
    } catch (err) {
      result.failure = err instanceof Error ? err : new Error(String(err));
      if (sw.connected) {
        this.host.log.warn({ dpid: dpidText(sw), err: result.failure.message }, 'reconcile failed');
      }
    }
    return result;
  }

  /** Reads what each app's part needs (once per run for shared reads) and plans it. */
  private async plan(
    sw: SwitchSession,
    work: readonly ReconcileWork[],
  ): Promise<{ app: App; plan: ReconcilePlan }[]> {
    const { guard } = this.host;
    const of13 = sw.version === OFP_VERSION_1_3;
    let allFlows: Promise<FlowStatsEntry[]> | undefined;
    let meters: Promise<MeterConfigEntry[]> | undefined;
    let groups: Promise<GroupDescEntry[]> | undefined;
    const readAll = () => (allFlows ??= sw.stats(allFlowsRequest()).then((r) => r.flows));
    const out: { app: App; plan: ReconcilePlan }[] = [];
    for (const { app, flows: scope } of work) {
      const desired = scope
        ? guard(app, 'desiredFlowsFor', () => desiredFlowsAt(app, sw, scope))
        : guard(app, 'desiredFlows', () => app.desiredFlows?.(sw) ?? []);
      if (!desired) continue;
      const intent: Intent = { flows: this.host.inBands?.(app, desired, sw.version) ?? desired };
      const actual: Actual = { flows: [] };
      if (!scope) {
        const owns = app.ownsFlow?.bind(app);
        if (owns) {
          // Owned by the app's own judgement (users' cookies): every flow of the switch is a candidate.
          actual.flows = (await readAll()).filter((f) => guard(app, 'ownsFlow', () => owns(sw, f)) === true);
        } else if (app.desiredFlows) {
          actual.flows = (
            of13
              ? (await sw.stats({ ...allFlowsRequest(), cookie: app.cookie, cookieMask: APP_COOKIE_MASK }))
                  .flows
              : // OF1.0 cannot filter by cookie: read once, filter per owner.
                await readAll()
          ).filter((f) => ownedBy(f.cookie, app.cookie));
        }
        if (of13 && app.desiredMeters) {
          intent.meters = guard(app, 'desiredMeters', () => app.desiredMeters!(sw));
          if (intent.meters) {
            actual.meters = await (meters ??= sw
              .stats({ kind: 'meter_config', meterId: OFPM_ALL })
              .then((r) => r.meters));
          }
        }
        if (of13 && app.desiredGroups) {
          intent.groups = guard(app, 'desiredGroups', () => app.desiredGroups!(sw));
          if (intent.groups)
            actual.groups = await (groups ??= sw.stats({ kind: 'group_desc' }).then((r) => r.groups));
        }
      }
      out.push({ app, plan: planReconcile(app, sw.version, intent, actual, scope) });
    }
    return out;
  }

  /** Sends one phase and waits for the switch's barrier; OFPT_ERRORs for its xids land in the outcomes. */
  private async send(sw: SwitchSession, mods: PlannedMod[], result: SwitchReconcile): Promise<void> {
    if (!mods.length) return;
    let pending = this.inFlight.get(sw);
    if (!pending) this.inFlight.set(sw, (pending = new Map()));
    const xids: number[] = [];
    try {
      for (const mod of mods) {
        recordOutcome(result, mod);
        if (!mod.msg) continue;
        try {
          const xid = sw.send(mod.msg);
          pending.set(xid, mod);
          xids.push(xid);
        } catch (err) {
          mod.outcome.error = { message: `not sent: ${(err as Error).message}` };
        }
      }
      if (xids.length) await sw.barrier();
    } finally {
      for (const xid of xids) pending.delete(xid);
    }
  }

  private count(sw: SwitchSession, plans: { app: App; plan: ReconcilePlan }[], r: SwitchReconcile): void {
    const m = this.host.metrics;
    const added = r.flows.filter((o) => o.op === 'add').length;
    const deleted = r.flows.length - added;
    if (m) {
      m.reconcileRuns++;
      m.reconcileFlowsAdded += added;
      m.reconcileFlowsDeleted += deleted;
    }
    for (const { app, plan } of plans) {
      const mods = [...plan.before, ...plan.flows, ...plan.after];
      if (!mods.length) continue;
      const of = (kind: PlannedMod['kind'], op: string) =>
        mods.filter((x) => x.kind === kind && x.outcome.op === op).length;
      const failed = mods.filter((x) => x.outcome.error !== undefined);
      this.host.log.info(
        {
          dpid: dpidText(sw),
          app: app.name,
          added: of('flow', 'add'),
          deleted: of('flow', 'delete'),
          unchanged: plan.unchanged,
          ...(plan.before.length || plan.after.length
            ? { meters: r.meters.length, groups: r.groups.length }
            : {}),
          ...(failed.length ? { rejected: failed.map((x) => x.outcome.error!.message) } : {}),
        },
        'reconciled flows',
      );
    }
  }
}

/** The desired flows with the identities of `refs`: the app's own lookup, or its whole intent filtered. */
export function desiredFlowsAt(app: App, sw: SwitchSession, refs: readonly FlowRef[]): FlowSpec[] {
  if (app.desiredFlowsFor) return app.desiredFlowsFor(sw, refs);
  const keys = new Set(refs.map((r) => flowKey(r, sw.version)));
  return (app.desiredFlows?.(sw) ?? []).filter((f) => keys.has(flowKey(f, sw.version)));
}

function dpidText(s: SwitchSession): string {
  return s.dpid.toString(16).padStart(16, '0');
}
