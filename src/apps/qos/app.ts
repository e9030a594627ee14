/**
 * The `qos` app (Floodlight's QoS module, wallnerryan/floodlight-qos-beta): ToS services, policies and QoS
 * paths kept in the store; port queues set up through OVSDB.
 *
 * Intent, then reconcile: the flows the app wants on a switch are a pure function of its stored state and
 * of what topology and hosts know now (desiredFlows); the reconciler programs the difference. Meters (rate
 * policies) are reconciled here the same way, against the switch's meter-config stats, before the flows
 * that use them. A route change, a host move or a switch (re)connecting re-runs both, so a QoS path moves
 * with its route; a controller restart finds its flows and meters in place and leaves them be.
 *
 * Disabled (the state on a fresh store, as in Floodlight), the app wants nothing on any switch but keeps
 * (and still accepts) services, policies and paths.
 */
import {
  appCookie,
  type App,
  type AppContext,
  type FlowSpec,
  type Logger,
  type SwitchSession,
} from '../../controller/index.js';
import { OFPM_ALL, OFP_VERSION_1_0, OFP_VERSION_1_3, type MeterConfigEntry } from '../../openflow/index.js';
import {
  OvsdbArgumentError,
  OvsdbClient,
  OvsdbError,
  OvsdbNotFoundError,
  Vswitch,
  type PortQos,
  type QosSpec,
} from '../../ovsdb/index.js';
import { collection, type Collection } from '../../store/index.js';
import {
  ConflictError,
  NotFoundError,
  OvsdbUnavailableError,
  SerialQueue,
  formatDpid,
  parseDpid,
} from '../../util/index.js';
import type { Host, HostsApp } from '../hosts/index.js';
import type { TopologyApp } from '../topology/index.js';
import {
  appliesTo,
  diffMeters,
  pathPlacements,
  placementFlow,
  placementMeter,
  type Placement,
  type RouteHop,
} from './flows.js';
import {
  BEST_EFFORT,
  MAX_ID,
  QosError,
  parsePathBody,
  parsePolicyBody,
  parseServiceBody,
  parseStoredPath,
  parseStoredPolicy,
  parseStoredService,
  pathToJson,
  policyToJson,
  serviceToJson,
  uintOf,
  type Policy,
  type PolicyMatch,
  type QosPath,
  type Service,
} from './policy.js';
import { parseQueuesBody, portNameOf, portQosView, type PortQueuesView } from './queues.js';

export const QOS_APP_ID = 6;
export const QOS_PREFIX = '/apps/qos/';
export const QOS_CONFIG_KEY = `${QOS_PREFIX}config`;
/** Last resolved routes of paths and output ports of policies, kept across restarts (see `learned`). */
export const QOS_LEARNED_KEY = `${QOS_PREFIX}learned`;
export const DEFAULT_OVSDB_REMOTE = 'unix:/var/run/openvswitch/db.sock';
type Json = Record<string, unknown>;
const OFPMC = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;

/** What the queue verbs need of OVSDB (a Vswitch; tests pass a fake). */
export type QueueStore = Pick<
  Vswitch,
  'listBridges' | 'listPorts' | 'getPortQos' | 'setPortQos' | 'clearPortQos'
>;

export interface QosOptions {
  /** OVSDB of the switches whose port queues the API sets up; default unix:/var/run/openvswitch/db.sock. */
  ovsdbRemote?: string;
  /** Replaces the OVSDB connection (tests). */
  queueStore?: () => Promise<QueueStore>;
}

/** Where a policy lands on one connected switch, or why it does not. */
export interface PlacementView {
  switch: string;
  'out-port'?: number;
  problem?: { field: string; reason: string };
}

export interface PathView {
  path: Record<string, unknown>;
  /** 'active' with hops; 'waiting' when a host is unknown or there is no route. */
  state: 'active' | 'waiting';
  reason?: string;
  hops: { switch: string; 'in-port': number; 'out-port': number }[];
}

interface PathRoute {
  hops: RouteHop[];
  reason?: string;
}

export class QosApp implements App {
  readonly name = 'qos';
  readonly cookie = appCookie(QOS_APP_ID);
  readonly after = ['topology', 'hosts'];

  private ctx!: AppContext;
  private log!: Logger;
  private enabledFlag = false;
  private readonly services = new Map<number, Service>();
  private readonly policies = new Map<number, Policy>();
  private readonly paths = new Map<number, QosPath>();
  /** Records are kept as the JSON the API shows (what parse*() read back). */
  private serviceStore!: Collection<Json>;
  private policyStore!: Collection<Json>;
  private pathStore!: Collection<Json>;
  /** Routes of paths, recomputed after any topology/host change. */
  private routes = new Map<number, PathRoute>();
  private routesValid = false;
  /** Serialises every change (store write + memory); QoS changes are rare and small. */
  /** Store writes and the state changes that follow them, one at a time. */
  private readonly serial = new SerialQueue();
  /** Per switch: the meter set last confirmed (JSON), and the sync in flight / queued. */
  private readonly meterSynced = new Map<bigint, string>();
  private readonly syncs = new Map<bigint, { running: Promise<void>; again: boolean }>();
  /** Our meter mods by `dpid/xid`, so a switch error answering one is logged with its meter. */
  private readonly meterMods = new Map<string, number>();
  private refreshQueued = false;
  /**
   * The last route of each path and the last resolved output port of each policy per switch. After a
   * restart, hosts and links are re-learned only as traffic and LLDP come; until then placements use these,
   * so the reconciler does not delete flows that are still right. A newly resolved route replaces them.
   */
  private readonly learnedHops = new Map<number, RouteHop[]>();
  private readonly learnedPorts = new Map<number, Map<bigint, number>>();
  private saveQueued = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly ovsdbRemote: string;
  private readonly queueStoreFactory?: () => Promise<QueueStore>;
  private queueStore?: Promise<QueueStore>;
  private ovsdbClient?: OvsdbClient;

  constructor(opts: QosOptions = {}) {
    this.ovsdbRemote = opts.ovsdbRemote ?? DEFAULT_OVSDB_REMOTE;
    this.queueStoreFactory = opts.queueStore;
  }

  async start(ctx: AppContext): Promise<void> {
    this.ctx = ctx;
    this.log = ctx.log;
    this.serviceStore = collection(ctx.store, `${QOS_PREFIX}services/`, (v) =>
      serviceToJson(parseStoredService(v)),
    );
    this.policyStore = collection(ctx.store, `${QOS_PREFIX}policies/`, (v) =>
      policyToJson(parseStoredPolicy(v)),
    );
    this.pathStore = collection(ctx.store, `${QOS_PREFIX}paths/`, (v) => pathToJson(parseStoredPath(v)));
    const onInvalid = (err: Error & { field?: string }) =>
      this.log.error({ key: err.field, err: err.message }, 'skipping invalid stored QoS record');

    const config = (await ctx.store.get(QOS_CONFIG_KEY))?.value as { enabled?: unknown } | undefined;
    for (const s of await this.serviceStore.list({ onInvalid })) {
      const svc = parseStoredService(s.value);
      this.services.set(svc.sid, svc);
    }
    for (const p of await this.policyStore.list({ onInvalid })) {
      const policy = parseStoredPolicy(p.value);
      this.policies.set(policy.id, policy);
    }
    for (const p of await this.pathStore.list({ onInvalid })) {
      const path = parseStoredPath(p.value);
      this.paths.set(path.id, path);
    }
    if (config === undefined) {
      // First start: Floodlight's module began disabled, with a "Best Effort" service (ToS 0).
      const be: Service = { sid: 1, ...BEST_EFFORT };
      await this.serviceStore.put(String(be.sid), serviceToJson(be));
      this.services.set(be.sid, be);
      await ctx.store.put(QOS_CONFIG_KEY, { enabled: false });
    } else {
      this.enabledFlag = config.enabled === true;
    }

    const topology = ctx.app<TopologyApp>('topology');
    const hosts = ctx.app<HostsApp>('hosts');
    const changed = () => this.topologyChanged();
    if (topology) this.unsubscribe.push(topology.on('topology_changed', changed));
    if (hosts) {
      this.unsubscribe.push(hosts.on('host_added', changed), hosts.on('host_moved', changed));
      this.unsubscribe.push(hosts.on('host_removed', changed));
    }
    this.unsubscribe.push(
      ctx.controller.on('error', (sw, msg) => {
        const meterId = this.meterMods.get(`${sw.dpid}/${msg.xid}`);
        if (meterId === undefined) return;
        this.log.warn(
          { dpid: formatDpid(sw.dpid), meterId, errType: msg.errType, errCode: msg.code },
          'switch rejected a QoS meter',
        );
      }),
    );
    this.loadLearned((await ctx.store.get(QOS_LEARNED_KEY))?.value);
    this.log.info(
      {
        enabled: this.enabledFlag,
        services: this.services.size,
        policies: this.policies.size,
        paths: this.paths.size,
      },
      'QoS state loaded',
    );
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.ovsdbClient?.close();
  }

  // ------------------------------------------------------------------------------------------ intent

  desiredFlows(sw: SwitchSession): FlowSpec[] {
    const out: FlowSpec[] = [];
    for (const p of this.placementsOn(sw.dpid)) {
      try {
        out.push(placementFlow(p, sw.version, this.cookie));
      } catch (err) {
        if (!(err instanceof QosError)) throw err;
      }
    }
    return out;
  }

  switchConnected(sw: SwitchSession): void {
    this.meterSynced.delete(sw.dpid);
    this.sync(sw);
  }

  switchDisconnected(dpid: bigint): void {
    this.meterSynced.delete(dpid);
  }

  /** Every placement on a switch: its policies (sw all or this DPID) and the path hops through it. */
  placementsOn(dpid: bigint): Placement[] {
    if (!this.enabledFlag) return [];
    const out: Placement[] = [];
    for (const p of this.policies.values()) {
      if (!appliesTo(p, dpid)) continue;
      const a = p.action;
      const pl: Placement = { id: p.id, name: p.name, dpid, priority: p.priority, match: p.match, action: a };
      if (a.kind === 'service') pl.tos = this.serviceByName(a.service)?.tos ?? 0;
      if (a.kind !== 'queue') {
        const port = a.outPort ?? this.learnPort(p.id, dpid, this.outPortToward(dpid, p.match));
        if (port !== undefined) pl.outPort = port;
      }
      out.push(pl);
    }
    for (const path of this.paths.values()) {
      const hops = this.routeOf(path).hops.filter((h) => h.dpid === dpid);
      if (hops.length === 0) continue;
      const a = path.template.action;
      const tos = a.kind === 'service' ? (this.serviceByName(a.service)?.tos ?? 0) : undefined;
      out.push(...pathPlacements(path, hops, tos));
    }
    return out;
  }

  /** The port forwarding would pick on `dpid` toward the destination host of a match (ip-dst or eth-dst). */
  private outPortToward(dpid: bigint, m: PolicyMatch): number | undefined {
    const host =
      m.ipDst !== undefined
        ? this.hostByIp(m.ipDst)
        : m.ethDst !== undefined
          ? this.hosts()?.get(m.ethDst)
          : undefined;
    if (!host) return undefined;
    if (host.dpid === dpid) return host.port;
    return this.ctx.app<TopologyApp>('topology')?.route(dpid, 0, host.dpid, host.port)?.[0]?.outPort;
  }

  private hosts(): HostsApp | undefined {
    return this.ctx.app<HostsApp>('hosts');
  }

  private hostByIp(ip: string): Host | undefined {
    return this.hosts()?.find({ ipv4: ip })[0];
  }

  private routeOf(path: QosPath): PathRoute {
    if (!this.routesValid) {
      this.routes = new Map();
      this.routesValid = true;
    }
    let r = this.routes.get(path.id);
    if (!r) {
      r = this.computeRoute(path);
      this.routes.set(path.id, r);
    }
    return r;
  }

  private computeRoute(path: QosPath): PathRoute {
    const r = this.resolveRoute(path);
    const last = this.learnedHops.get(path.id);
    if (r.hops.length) {
      if (JSON.stringify(r.hops, bigintText) !== JSON.stringify(last, bigintText)) {
        this.learnedHops.set(path.id, r.hops);
        this.saveLearned();
      }
      return r;
    }
    return last ? { hops: last, reason: `${r.reason}; keeping the last known route` } : r;
  }

  private learnPort(id: number, dpid: bigint, port: number | undefined): number | undefined {
    let ports = this.learnedPorts.get(id);
    if (port === undefined) return ports?.get(dpid);
    if (ports?.get(dpid) !== port) {
      if (!ports) this.learnedPorts.set(id, (ports = new Map()));
      ports.set(dpid, port);
      this.saveLearned();
    }
    return port;
  }

  private forgetLearned(id: number): void {
    const hadHops = this.learnedHops.delete(id);
    const hadPorts = this.learnedPorts.delete(id);
    if (hadHops || hadPorts) this.saveLearned();
  }

  /** Written after the tick that changed it; losing it costs only a brief re-resolution after a restart. */
  private saveLearned(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    setImmediate(() => {
      this.saveQueued = false;
      const paths = Object.fromEntries(
        [...this.learnedHops].map(([id, hops]) => [
          id,
          hops.map((h) => [formatDpid(h.dpid), h.inPort, h.outPort]),
        ]),
      );
      const ports = Object.fromEntries(
        [...this.learnedPorts].map(([id, m]) => [
          id,
          Object.fromEntries([...m].map(([d, p]) => [formatDpid(d), p])),
        ]),
      );
      this.ctx.store
        .put(QOS_LEARNED_KEY, { paths, ports })
        .catch((err: unknown) => this.log.warn({ err: String(err) }, 'saving learned QoS routes failed'));
    });
  }

  /** Reads what saveLearned wrote; anything malformed is skipped (it is only a hint). */
  private loadLearned(v: unknown): void {
    const obj = (x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Json) : {});
    const port = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : undefined);
    for (const [id, hops] of Object.entries(obj(obj(v).paths))) {
      if (!this.paths.has(Number(id)) || !Array.isArray(hops)) continue;
      const parsed = hops.map((h) => {
        const [d, i, o] = Array.isArray(h) ? (h as unknown[]) : [];
        const dpid = typeof d === 'string' ? parseDpid(d) : undefined;
        return dpid !== undefined && port(i) && port(o)
          ? { dpid, inPort: port(i)!, outPort: port(o)! }
          : undefined;
      });
      if (parsed.length && parsed.every(Boolean)) this.learnedHops.set(Number(id), parsed as RouteHop[]);
    }
    for (const [id, ports] of Object.entries(obj(obj(v).ports))) {
      if (!this.policies.has(Number(id))) continue;
      const m = new Map<bigint, number>();
      for (const [d, p] of Object.entries(obj(ports))) {
        const dpid = parseDpid(d);
        if (dpid !== undefined && port(p)) m.set(dpid, port(p)!);
      }
      if (m.size) this.learnedPorts.set(Number(id), m);
    }
  }

  private resolveRoute(path: QosPath): PathRoute {
    const src = this.hostByIp(path.srcIp);
    if (!src) return { hops: [], reason: `src-ip ${path.srcIp} is not a known host (yet)` };
    const dst = this.hostByIp(path.dstIp);
    if (!dst) return { hops: [], reason: `dst-ip ${path.dstIp} is not a known host (yet)` };
    const topology = this.ctx.app<TopologyApp>('topology');
    const hops =
      src.dpid === dst.dpid
        ? [{ dpid: src.dpid, inPort: src.port, outPort: dst.port }]
        : topology?.route(src.dpid, src.port, dst.dpid, dst.port);
    if (!hops?.length) {
      return { hops: [], reason: `no route from ${formatDpid(src.dpid)} to ${formatDpid(dst.dpid)}` };
    }
    return { hops };
  }

  private topologyChanged(): void {
    if (this.paths.size === 0 && ![...this.policies.values()].some((p) => p.action.kind !== 'queue')) return;
    this.routesValid = false;
    this.refresh();
  }

  /** Re-sync meters and flows on every connected switch (coalesced to one pass per tick). */
  private refresh(): void {
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    setImmediate(() => {
      this.refreshQueued = false;
      for (const sw of this.ctx.controller.switches.values()) if (sw.connected) this.sync(sw);
    });
  }

  /** Meters first (flows refer to them), then the flows through the reconciler. One run per switch at a time. */
  private sync(sw: SwitchSession): void {
    const cur = this.syncs.get(sw.dpid);
    if (cur) {
      cur.again = true;
      return;
    }
    const state = { running: Promise.resolve(), again: false };
    const run = async (): Promise<void> => {
      do {
        state.again = false;
        try {
          await this.syncMeters(sw);
        } catch (err) {
          this.log.warn({ dpid: formatDpid(sw.dpid), err: String(err) }, 'QoS meter sync failed');
        }
        this.ctx.requestReconcile(this.name, sw.dpid);
      } while (state.again && sw.connected);
    };
    this.syncs.set(sw.dpid, state);
    state.running = run().finally(() => this.syncs.delete(sw.dpid));
  }

  /** The QoS meters this switch should have now. */
  wantedMeters(dpid: bigint): MeterConfigEntry[] {
    const byId = new Map<number, MeterConfigEntry>();
    for (const p of this.placementsOn(dpid)) {
      const m = placementMeter(p);
      if (m) byId.set(m.meterId, m);
    }
    return [...byId.values()].sort((a, b) => a.meterId - b.meterId);
  }

  private async syncMeters(sw: SwitchSession): Promise<void> {
    if (sw.version !== OFP_VERSION_1_3 || !sw.connected) return;
    const wanted = this.wantedMeters(sw.dpid);
    const key = JSON.stringify(wanted);
    if (this.meterSynced.get(sw.dpid) === key) return;
    const reply = await sw.stats({ kind: 'meter_config', meterId: OFPM_ALL });
    const diff = diffMeters(wanted, reply.meters);
    const sent: string[] = [];
    const send = (command: number, m: MeterConfigEntry) => {
      const xid = sw.send({ type: 'meter_mod', command, flags: m.flags, meterId: m.meterId, bands: m.bands });
      const k = `${sw.dpid}/${xid}`;
      this.meterMods.set(k, m.meterId);
      sent.push(k);
    };
    for (const id of diff.remove) send(OFPMC.DELETE, { meterId: id, flags: 0, bands: [] });
    for (const m of diff.add) send(OFPMC.ADD, m);
    for (const m of diff.modify) send(OFPMC.MODIFY, m);
    try {
      if (sent.length) await sw.barrier();
      this.meterSynced.set(sw.dpid, key);
    } finally {
      for (const k of sent) this.meterMods.delete(k);
    }
    if (sent.length) {
      this.log.info(
        {
          dpid: formatDpid(sw.dpid),
          added: diff.add.length,
          modified: diff.modify.length,
          removed: diff.remove.length,
        },
        'QoS meters synced',
      );
    }
  }

  /** Placement of a stored policy or path on every connected switch (for listings). */
  private placementViews(id: number): PlacementView[] {
    const out: PlacementView[] = [];
    for (const sw of [...this.ctx.controller.switches.values()].sort((a, b) => (a.dpid < b.dpid ? -1 : 1))) {
      for (const p of this.placementsOn(sw.dpid)) {
        if (p.id !== id) continue;
        const v: PlacementView = { switch: formatDpid(sw.dpid) };
        const a = p.action;
        const port = a.kind === 'queue' ? (a.enqueuePort ?? p.outPort) : p.outPort;
        if (port !== undefined) v['out-port'] = port;
        try {
          placementFlow(p, sw.version, this.cookie);
        } catch (err) {
          if (!(err instanceof QosError)) throw err;
          v.problem = { field: err.field, reason: err.reason };
        }
        out.push(v);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------ commands

  get enabled(): boolean {
    return this.enabledFlag;
  }

  async setEnabled(on: boolean): Promise<void> {
    await this.serial.run(async () => {
      await this.ctx.store.put(QOS_CONFIG_KEY, { enabled: on });
      this.enabledFlag = on;
    });
    this.log.info({ enabled: on }, on ? 'QoS enabled' : 'QoS disabled');
    this.routesValid = false;
    this.refresh();
  }

  listServices(): Service[] {
    return [...this.services.values()].sort((a, b) => a.sid - b.sid);
  }

  async addService(body: unknown): Promise<Service> {
    const s = parseServiceBody(body);
    return this.serial.run(async () => {
      if (this.serviceByName(s.name)) throw new ConflictError('name', `a service named '${s.name}' exists`);
      const service: Service = { sid: this.nextId(this.services.keys()), ...s };
      await this.serviceStore.put(String(service.sid), serviceToJson(service));
      this.services.set(service.sid, service);
      return service;
    });
  }

  async deleteService(sidRaw: unknown): Promise<Service> {
    const sid = idOf('sid', sidRaw);
    return this.serial.run(async () => {
      const s = this.services.get(sid);
      if (!s) throw new NotFoundError('sid', `no service with sid ${sid}`);
      const user =
        [...this.policies.values()].find((p) => p.action.kind === 'service' && p.action.service === s.name)
          ?.name ??
        [...this.paths.values()].find(
          (p) => p.template.action.kind === 'service' && p.template.action.service === s.name,
        )?.name;
      if (user !== undefined)
        throw new ConflictError('sid', `service '${s.name}' is used by '${user}'; delete that first`);
      await this.serviceStore.delete(String(sid));
      this.services.delete(sid);
      return s;
    });
  }

  listPolicies(): Policy[] {
    return [...this.policies.values()].sort((a, b) => a.priority - b.priority || a.id - b.id);
  }

  /** A policy with where it lands on each connected switch. */
  policyView(p: Policy): Record<string, unknown> {
    return { ...policyToJson(p), placements: this.placementViews(p.id) };
  }

  async addPolicy(body: unknown): Promise<Policy> {
    const parsed = parsePolicyBody(body, (n) => this.serviceByName(n));
    return this.serial.run(async () => {
      if ([...this.policies.values()].some((p) => p.name === parsed.name)) {
        throw new ConflictError('name', `a policy named '${parsed.name}' exists`);
      }
      if (parsed.action.kind === 'rate') this.checkMeters(parsed.sw);
      const policy: Policy = { id: this.nextId(this.policies.keys(), this.paths.keys()), ...parsed };
      await this.policyStore.put(String(policy.id), policyToJson(policy));
      this.policies.set(policy.id, policy);
      this.refresh();
      return policy;
    });
  }

  async deletePolicy(idRaw: unknown): Promise<Policy> {
    const id = idOf('policy-id', idRaw);
    return this.serial.run(async () => {
      const p = this.policies.get(id);
      if (!p) throw new NotFoundError('policy-id', `no policy with id ${id}`);
      await this.policyStore.delete(String(id));
      this.policies.delete(id);
      this.forgetLearned(id);
      this.refresh();
      return p;
    });
  }

  listPaths(): PathView[] {
    return [...this.paths.values()].sort((a, b) => a.id - b.id).map((p) => this.pathView(p));
  }

  pathView(p: QosPath): PathView {
    const r = this.routeOf(p);
    return {
      path: pathToJson(p),
      state: r.hops.length ? 'active' : 'waiting',
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      hops: r.hops.map((h) => ({ switch: formatDpid(h.dpid), 'in-port': h.inPort, 'out-port': h.outPort })),
    };
  }

  async addPath(body: unknown): Promise<PathView> {
    const parsed = parsePathBody(body, (n) => this.serviceByName(n));
    return this.serial.run(async () => {
      if ([...this.paths.values()].some((p) => p.name === parsed.name)) {
        throw new ConflictError('name', `a QoS path named '${parsed.name}' exists`);
      }
      if (parsed.template.action.kind === 'rate') this.checkMeters('all', 'policy.rate-kbps');
      const path: QosPath = { id: this.nextId(this.policies.keys(), this.paths.keys()), ...parsed };
      await this.pathStore.put(String(path.id), pathToJson(path));
      this.paths.set(path.id, path);
      this.routes.delete(path.id);
      this.refresh();
      return this.pathView(path);
    });
  }

  /** By name (or path-id). */
  async deletePath(nameRaw: unknown): Promise<PathView> {
    if (typeof nameRaw !== 'string' && typeof nameRaw !== 'number') {
      throw new QosError('name', 'is required (the QoS path name)');
    }
    const key = String(nameRaw).trim();
    return this.serial.run(async () => {
      const p = [...this.paths.values()].find((x) => x.name === key || String(x.id) === key);
      if (!p) throw new NotFoundError('name', `no QoS path named '${key}'`);
      const view = this.pathView(p);
      await this.pathStore.delete(String(p.id));
      this.paths.delete(p.id);
      this.routes.delete(p.id);
      this.forgetLearned(p.id);
      this.refresh();
      return view;
    });
  }

  // ------------------------------------------------------------------------------------------ queues (OVSDB)

  /** Ports with a QoS row (all bridges), or one port (404 when it has none). */
  async listQueues(portRaw?: unknown): Promise<PortQueuesView[]> {
    const vs = await this.queues();
    if (portRaw !== undefined) {
      const port = portNameOf('port', portRaw);
      const q = await ovsdbCall(() => vs.getPortQos(port));
      return q ? [portQosView(port, q)] : [];
    }
    const out: PortQueuesView[] = [];
    for (const br of await ovsdbCall(() => vs.listBridges())) {
      for (const port of await ovsdbCall(() => vs.listPorts(br))) {
        const q: PortQos | undefined = await ovsdbCall(() => vs.getPortQos(port));
        if (q) out.push(portQosView(port, q));
      }
    }
    return out.sort((a, b) => a.port.localeCompare(b.port));
  }

  async setQueues(body: unknown): Promise<{ changed: boolean; queues: PortQueuesView }> {
    const { port, spec }: { port: string; spec: QosSpec } = parseQueuesBody(body);
    const vs = await this.queues();
    const changed = await ovsdbCall(() => vs.setPortQos(port, spec));
    const now = await ovsdbCall(() => vs.getPortQos(port));
    this.log.info({ port, changed }, 'port queues set');
    return { changed, queues: portQosView(port, now!) };
  }

  async clearQueues(portRaw: unknown): Promise<{ port: string; cleared: boolean }> {
    if (portRaw === undefined) throw new QosError('port', 'is required');
    const port = portNameOf('port', portRaw);
    const vs = await this.queues();
    const cleared = await ovsdbCall(() => vs.clearPortQos(port));
    this.log.info({ port, cleared }, 'port queues cleared');
    return { port, cleared };
  }

  private async queues(): Promise<QueueStore> {
    if (!this.queueStore) {
      const attempt = this.queueStoreFactory ? this.queueStoreFactory() : this.connectOvsdb();
      this.queueStore = attempt;
      attempt.catch(() => {
        if (this.queueStore === attempt) this.queueStore = undefined;
      });
    }
    try {
      return await this.queueStore;
    } catch (err) {
      throw new OvsdbUnavailableError(
        'ovsdb',
        `cannot reach OVSDB at ${this.ovsdbRemote}: ${(err as Error).message}`,
      );
    }
  }

  private async connectOvsdb(): Promise<QueueStore> {
    const client = new OvsdbClient({ remote: this.ovsdbRemote, reconnect: { maxDelayMs: 5000 } });
    await client.connect();
    this.ovsdbClient = client;
    return new Vswitch(client);
  }

  // ------------------------------------------------------------------------------------------ internals

  private serviceByName(name: string): Service | undefined {
    for (const s of this.services.values()) if (s.name === name) return s;
    return undefined;
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

  private nextId(...used: Iterable<number>[]): number {
    let max = 0;
    for (const ids of used) for (const id of ids) max = Math.max(max, id);
    if (max >= MAX_ID) throw new ConflictError('name', `no free id (ids run to ${MAX_ID})`);
    return max + 1;
  }
}

function idOf(field: string, raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') throw new QosError(field, 'is required');
  return uintOf(field, raw, Number.MAX_SAFE_INTEGER);
}

/** OVSDB failures: a bad argument or an unknown port is the caller's (400/404), the rest is OVSDB's (503). */
async function ovsdbCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OvsdbArgumentError) throw new QosError(`queues.${err.field}`, err.reason);
    if (err instanceof OvsdbNotFoundError) {
      throw new NotFoundError('port', `OVSDB has no ${err.table} '${err.key}'`);
    }
    if (err instanceof OvsdbError) throw new OvsdbUnavailableError('ovsdb', err.message);
    throw err;
  }
}

const bigintText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
