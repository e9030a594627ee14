/**
 * The `qos` app (Floodlight's QoS module, wallnerryan/floodlight-qos-beta): ToS services, policies and QoS
 * paths kept in the store (state.ts); port queues set up through OVSDB (queues.ts).
 *
 * Intent, then reconcile: the flows and meters the app wants on a switch are a pure function of its stored
 * state and of what topology and hosts know now (placements.ts, routes.ts); the controller's reconciler
 * programs the difference, meters before the flows that use them. A command stores its change, asks for a
 * reconcile and waits for it, so the API reports a switch's rejection (report.ts); a route change, a host
 * move or a switch (re)connecting re-runs it, so a QoS path moves with its route, and a controller restart
 * finds its flows and meters in place and leaves them be.
 *
 * Disabled (the state on a fresh store, as in Floodlight), the app wants nothing on any switch but keeps
 * (and still accepts) services, policies and paths.
 */
import {
  appCookie,
  rejections,
  type App,
  type AppContext,
  type FlowSpec,
  type Logger,
  type SwitchReconcile,
  type SwitchSession,
} from '../../controller/index.js';
import { OFP_VERSION_1_0, type MeterConfigEntry } from '../../openflow/index.js';
import { formatDpid } from '../../util/index.js';
import type { HostsApp } from '../hosts/index.js';
import type { TopologyApp } from '../topology/index.js';
import { ownsMeter, type Placement } from './flows.js';
import {
  placementFlows,
  placementMeters,
  placementsOn,
  placementViews,
  type PlacementView,
} from './placements.js';
import { QosError, pathToJson, policyToJson, type Policy, type QosPath, type Service } from './policy.js';
import { PortQueues, type PortQueuesView, type QueueStore } from './queues.js';
import { rejectionOf } from './report.js';
import { QOS_LEARNED_KEY, Routes, type Network } from './routes.js';
import { QOS_PREFIX, QosState } from './state.js';
import { StoreFollower, type StoreChange } from '../follow.js';

export const QOS_APP_ID = 6;

export interface QosOptions {
  /** OVSDB of the switches whose port queues the API sets up; default unix:/var/run/openvswitch/db.sock. */
  ovsdbRemote?: string;
  /** Replaces the OVSDB connection (tests). */
  queueStore?: () => Promise<QueueStore>;
  /** Typed handles to the services placements follow (routes, host locations); absent: out-port only. */
  topology?: TopologyApp;
  hosts?: HostsApp;
}

export interface PathView {
  path: Record<string, unknown>;
  /** 'active' with hops; 'waiting' when a host is unknown or there is no route. */
  state: 'active' | 'waiting';
  reason?: string;
  hops: { switch: string; 'in-port': number; 'out-port': number }[];
}

export class QosApp implements App {
  readonly name = 'qos';
  readonly cookie = appCookie(QOS_APP_ID);
  readonly after = ['topology', 'hosts'];
  readonly ownsMeter = ownsMeter;

  private ctx!: AppContext;
  private log!: Logger;
  private state!: QosState;
  private routes!: Routes;
  private queues!: PortQueues;
  private readonly unsubscribe: (() => void)[] = [];
  private follower?: StoreFollower;

  constructor(private readonly opts: QosOptions = {}) {}

  async start(ctx: AppContext): Promise<void> {
    this.ctx = ctx;
    this.log = ctx.log;
    this.queues = new PortQueues(ctx.log, this.opts.ovsdbRemote, this.opts.queueStore);
    this.state = new QosState(ctx.store);
    this.follower = new StoreFollower({
      store: ctx.store,
      prefixes: [QOS_PREFIX],
      // What was learned of routes is each member's hint (the leader's is kept), not config.
      ignore: (key) => key === QOS_LEARNED_KEY,
      apply: (changes) => this.reload(changes),
      serialize: (fn) => this.state.serialized(fn),
      log: ctx.log,
      app: this.name,
    });
    await this.state.load(this.log);
    const network: Network = {
      hostByIp: (ip) => this.opts.hosts?.find({ ipv4: ip })[0],
      hostByMac: (mac) => this.opts.hosts?.get(mac),
      route: (a, ap, b, bp) => this.opts.topology?.route(a, ap, b, bp),
    };
    // Only one member (the leader) keeps what was learned, so members do not overwrite each other's.
    const keeps = () => ctx.cluster?.isLeader() ?? true;
    this.routes = new Routes(network, ctx.store, this.log, keeps);
    await this.routes.load((id) => this.state.policies.has(id) || this.state.paths.has(id));

    const { topology, hosts } = this.opts;
    const changed = () => this.networkChanged();
    if (topology) this.unsubscribe.push(topology.on('topology_changed', changed));
    if (hosts) {
      this.unsubscribe.push(hosts.on('host_added', changed), hosts.on('host_moved', changed));
      this.unsubscribe.push(hosts.on('host_removed', changed));
    }
    const { enabled, services, policies, paths } = this.state;
    this.log.info(
      { enabled, services: services.size, policies: policies.size, paths: paths.size },
      'QoS state loaded',
    );
    this.follower.start();
  }

  async stop(): Promise<void> {
    this.follower?.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    await this.routes?.saved();
    await this.queues?.close();
  }

  /** Resolves when the store changes seen so far are in memory (tests). */
  synced(): Promise<void> {
    return this.follower?.settled() ?? Promise.resolve();
  }

  /** Config changed in the store by someone else (another cluster member): memory follows, flows reconcile. */
  private reload(changes: StoreChange[]): void {
    const { changed, ids } = this.state.reload(changes, this.log);
    if (!changed) return;
    for (const id of ids) this.routes.forget(id);
    this.routes.invalidate();
    this.log.info({ keys: changes.length }, 'QoS config changed in the store');
    this.ctx.requestReconcile(this.name);
  }

  // ------------------------------------------------------------------------------------------ intent

  desiredFlows(sw: SwitchSession): FlowSpec[] {
    return placementFlows(this.placementsOn(sw.dpid), sw.version, this.cookie);
  }

  desiredMeters(sw: SwitchSession): MeterConfigEntry[] {
    return placementMeters(this.placementsOn(sw.dpid));
  }

  /** Every placement on a switch: its policies (sw all or this DPID) and the path hops through it. */
  placementsOn(dpid: bigint): Placement[] {
    return placementsOn(this.state, this.routes, dpid);
  }

  private networkChanged(): void {
    const { paths, policies } = this.state;
    if (paths.size === 0 && ![...policies.values()].some((p) => p.action.kind !== 'queue')) return;
    this.routes.invalidate();
    this.ctx.requestReconcile(this.name);
  }

  /** Reconciles every switch now and waits; the switches' rejections are logged. */
  private async apply(): Promise<SwitchReconcile[]> {
    const runs = await this.ctx.reconcile({ app: this.name });
    for (const o of rejections(runs)) {
      this.log.warn({ op: o.op, err: o.error!.message }, 'switch rejected a QoS flow or meter');
    }
    return runs;
  }

  /** apply(), and when a switch rejects policy/path `id`, undo the change, re-apply and throw why. */
  private async applyOrUndo(id: number, field: string, prefix: string, undo: () => Promise<unknown>) {
    const err = rejectionOf(await this.apply(), id, this.cookie, field, prefix);
    if (!err) return;
    await undo();
    this.routes.forget(id);
    await this.apply();
    throw err;
  }

  // ------------------------------------------------------------------------------------------ commands

  get enabled(): boolean {
    return this.state.enabled;
  }

  async setEnabled(on: boolean): Promise<void> {
    await this.state.setEnabled(on);
    this.log.info({ enabled: on }, on ? 'QoS enabled' : 'QoS disabled');
    this.routes.invalidate();
    await this.apply();
  }

  listServices(): Service[] {
    return [...this.state.services.values()].sort((a, b) => a.sid - b.sid);
  }

  addService(body: unknown): Promise<Service> {
    return this.state.addService(body);
  }

  deleteService(sidRaw: unknown): Promise<Service> {
    return this.state.deleteService(sidRaw);
  }

  listPolicies(): Policy[] {
    return [...this.state.policies.values()].sort((a, b) => a.priority - b.priority || a.id - b.id);
  }

  /** A policy with where it lands on each connected switch. */
  policyView(p: Policy): Record<string, unknown> {
    const switches = this.ctx.controller.switches.values();
    const placements = placementViews(p.id, switches, (d) => this.placementsOn(d), this.cookie);
    return { ...policyToJson(p), placements: placements satisfies PlacementView[] };
  }

  async addPolicy(body: unknown): Promise<Policy> {
    const p = await this.state.addPolicy(body, (parsed) => {
      if (parsed.action.kind === 'rate') this.checkMeters(parsed.sw);
    });
    await this.applyOrUndo(p.id, 'sw', '', () => this.state.deletePolicy(p.id));
    return p;
  }

  async deletePolicy(idRaw: unknown): Promise<Policy> {
    const p = await this.state.deletePolicy(idRaw);
    this.routes.forget(p.id);
    await this.apply();
    return p;
  }

  listPaths(): PathView[] {
    return [...this.state.paths.values()].sort((a, b) => a.id - b.id).map((p) => this.pathView(p));
  }

  pathView(p: QosPath): PathView {
    const r = this.routes.routeOf(p);
    return {
      path: pathToJson(p),
      state: r.hops.length ? 'active' : 'waiting',
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      hops: r.hops.map((h) => ({ switch: formatDpid(h.dpid), 'in-port': h.inPort, 'out-port': h.outPort })),
    };
  }

  async addPath(body: unknown): Promise<PathView> {
    const path = await this.state.addPath(body, (parsed) => {
      if (parsed.template.action.kind === 'rate') this.checkMeters('all', 'policy.rate-kbps');
    });
    this.routes.forget(path.id);
    await this.applyOrUndo(path.id, 'policy', 'policy.', () => this.state.deletePath(path.id));
    return this.pathView(path);
  }

  /** By name (or path-id). */
  async deletePath(nameRaw: unknown): Promise<PathView> {
    const p = await this.state.deletePath(nameRaw);
    const view = this.pathView(p);
    this.routes.forget(p.id);
    await this.apply();
    return view;
  }

  listQueues(portRaw?: unknown): Promise<PortQueuesView[]> {
    return this.queues.list(portRaw);
  }

  setQueues(body: unknown): Promise<{ changed: boolean; queues: PortQueuesView }> {
    return this.queues.set(body);
  }

  clearQueues(portRaw: unknown): Promise<{ port: string; cleared: boolean }> {
    return this.queues.clear(portRaw);
  }

  /** Rate policies need OpenFlow 1.3 meters: refuse when a connected target switch speaks 1.0. */
  private checkMeters(sw: Policy['sw'], field = 'rate-kbps'): void {
    if (sw === 'none') return;
    const old = [...this.ctx.controller.switches.values()].filter(
      (s) => s.version === OFP_VERSION_1_0 && (sw === 'all' || s.dpid === sw),
    );
    if (old.length) {
      throw new QosError(
        field,
        `needs OpenFlow 1.3 meters, but ${old.map((s) => formatDpid(s.dpid)).join(', ')} speak(s) OpenFlow 1.0`,
      );
    }
  }
}
