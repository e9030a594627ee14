/**
 * Where QoS traffic goes: the route of each path (src host to dst host, as hosts and topology know them now)
 * and the port forwarding would pick toward a policy's destination host. What was resolved last is kept
 * (and stored): after a restart hosts and links are re-learned only as traffic and LLDP come, and until then
 * the last known route holds, so the reconciler does not delete flows that are still right.
 */
import type { Logger } from '../../controller/index.js';
import type { Store } from '../../store/index.js';
import { formatDpid, parseDpid } from '../../util/index.js';
import type { Host } from '../hosts/index.js';
import type { RouteHop } from './flows.js';
import type { PolicyMatch, QosPath } from './policy.js';
import { QOS_PREFIX } from './state.js';

/** Last resolved routes of paths and output ports of policies, kept across restarts. */
export const QOS_LEARNED_KEY = `${QOS_PREFIX}learned`;

/** What route resolution needs of the hosts and topology apps. */
export interface Network {
  hostByIp(ip: string): Host | undefined;
  hostByMac(mac: string): Host | undefined;
  route(src: bigint, srcPort: number, dst: bigint, dstPort: number): RouteHop[] | undefined;
}

export interface PathRoute {
  hops: RouteHop[];
  /** Why there are no hops (or why the last known ones are used). */
  reason?: string;
}

type Json = Record<string, unknown>;

export class Routes {
  /** Routes of paths, recomputed after any topology/host change (invalidate). */
  private routes = new Map<number, PathRoute>();
  private readonly learnedHops = new Map<number, RouteHop[]>();
  private readonly learnedPorts = new Map<number, Map<bigint, number>>();
  /** The write that will carry the next change, while one is queued for the end of this turn. */
  private queued: Promise<void> | undefined;
  /** Settles when every write queued so far has settled. */
  private written: Promise<void> = Promise.resolve();

  constructor(
    private readonly net: Network,
    private readonly store: Store,
    private readonly log: Logger,
    /** Whether this member keeps what it learned in the store (in a cluster, the leader only). */
    private readonly keeps: () => boolean = () => true,
  ) {}

  /** Forget every computed route (the network changed). */
  invalidate(): void {
    this.routes = new Map();
  }

  routeOf(path: QosPath): PathRoute {
    let r = this.routes.get(path.id);
    if (!r) {
      r = this.compute(path);
      this.routes.set(path.id, r);
    }
    return r;
  }

  /**
   * The port toward the destination host of a match (ip-dst or eth-dst) on `dpid`, or the last one resolved
   * for policy `id` there.
   */
  outPortToward(id: number, dpid: bigint, m: PolicyMatch): number | undefined {
    const host =
      m.ipDst !== undefined
        ? this.net.hostByIp(m.ipDst)
        : m.ethDst !== undefined
          ? this.net.hostByMac(m.ethDst)
          : undefined;
    const port = !host
      ? undefined
      : host.dpid === dpid
        ? host.port
        : this.net.route(dpid, 0, host.dpid, host.port)?.[0]?.outPort;
    let ports = this.learnedPorts.get(id);
    if (port === undefined) return ports?.get(dpid);
    if (ports?.get(dpid) !== port) {
      if (!ports) this.learnedPorts.set(id, (ports = new Map()));
      ports.set(dpid, port);
      this.save();
    }
    return port;
  }

  /** A policy or path is gone: so is what was learned for it. */
  forget(id: number): void {
    this.routes.delete(id);
    const hadHops = this.learnedHops.delete(id);
    const hadPorts = this.learnedPorts.delete(id);
    if (hadHops || hadPorts) this.save();
  }

  /** Reads what save() wrote, for the ids that still exist; anything malformed is skipped (only a hint). */
  async load(exists: (id: number) => boolean): Promise<void> {
    const v = (await this.store.get(QOS_LEARNED_KEY))?.value;
    const obj = (x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Json) : {});
    const port = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : undefined);
    for (const [id, hops] of Object.entries(obj(obj(v).paths))) {
      if (!exists(Number(id)) || !Array.isArray(hops)) continue;
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
      if (!exists(Number(id))) continue;
      const m = new Map<bigint, number>();
      for (const [d, p] of Object.entries(obj(ports))) {
        const dpid = parseDpid(d);
        if (dpid !== undefined && port(p)) m.set(dpid, port(p)!);
      }
      if (m.size) this.learnedPorts.set(Number(id), m);
    }
  }

  private compute(path: QosPath): PathRoute {
    const r = this.resolve(path);
    const last = this.learnedHops.get(path.id);
    if (r.hops.length) {
      if (JSON.stringify(r.hops, bigintText) !== JSON.stringify(last, bigintText)) {
        this.learnedHops.set(path.id, r.hops);
        this.save();
      }
      return r;
    }
    return last ? { hops: last, reason: `${r.reason}; keeping the last known route` } : r;
  }

  private resolve(path: QosPath): PathRoute {
    const src = this.net.hostByIp(path.srcIp);
    if (!src) return { hops: [], reason: `src-ip ${path.srcIp} is not a known host (yet)` };
    const dst = this.net.hostByIp(path.dstIp);
    if (!dst) return { hops: [], reason: `dst-ip ${path.dstIp} is not a known host (yet)` };
    const hops =
      src.dpid === dst.dpid
        ? [{ dpid: src.dpid, inPort: src.port, outPort: dst.port }]
        : this.net.route(src.dpid, src.port, dst.dpid, dst.port);
    if (!hops?.length) {
      return { hops: [], reason: `no route from ${formatDpid(src.dpid)} to ${formatDpid(dst.dpid)}` };
    }
    return { hops };
  }

  /**
   * Resolves when what was learned so far is in the store (or its write failed and was logged). The app's
   * stop waits for it, so a restart reads the latest routes; tests wait for it instead of counting ticks.
   */
  saved(): Promise<void> {
    return this.written;
  }

  /**
   * Queues one write for the end of this event-loop turn: a reconcile resolves many routes in one turn, and
   * they go to the store together. Losing it costs only a brief re-resolution after a restart.
   */
  private save(): void {
    if (this.queued || !this.keeps()) return;
    const queued = new Promise<void>((resolve) =>
      setImmediate(() => {
        this.queued = undefined;
        resolve(this.write());
      }),
    );
    this.queued = queued;
    this.written = Promise.all([this.written, queued]).then(() => undefined);
  }

  private write(): Promise<void> {
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
    return this.store.put(QOS_LEARNED_KEY, { paths, ports }).then(
      () => undefined,
      (err: unknown) => this.log.warn({ err: String(err) }, 'saving learned QoS routes failed'),
    );
  }
}

const bigintText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
