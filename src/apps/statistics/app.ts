/**
 * Port statistics collection (Floodlight's `statistics` module): every `intervalMs` each connected switch is
 * asked for its port counters, and each port's rates (bits, packets, drops and errors per second) are the
 * difference to the previous sample. The dashboard's port tables and the topology's link utilisation read
 * them, and so do scripts through /wm/statistics/bandwidth. Unlike Floodlight it is on by default: a 5 s
 * round costs one small request per switch, and a dashboard without rates is half blind.
 */
import { appCookie, type App, type AppContext, type SwitchSession } from '../../controller/index.js';
import { OFPP, type PortStatsEntry, type PortStatus } from '../../openflow/index.js';
import { every } from '../../util/index.js';
import { portRates, utilisation, type PortRates, type PortSample } from './rates.js';

export const STATISTICS_APP_ID = 8;
const OFPPR_DELETE = 1;

export interface StatisticsOptions {
  /** Period of the port-stats round; default 5000 ms. */
  intervalMs?: number;
  /** Collect from the start (default true); the API can switch it off and on. */
  enabled?: boolean;
  /** Run rounds on a timer (default true); tests call collectRound() themselves. */
  timers?: boolean;
}

/** One port's latest counters and the rates since the sample before. */
export interface PortStatistics {
  dpid: bigint;
  portNo: number;
  /** Controller-clock time (ms since the epoch) of the reply the counters came in. */
  updatedAt: number;
  counters: PortStatsEntry;
  /** Undefined until two samples have been taken (or just after a counter reset). */
  rates?: PortRates;
  /** The port's current speed as the switch reports it (kbps; 0 when unknown). */
  speedKbps: number;
  /** Busier direction's share of speedKbps (0..1); undefined without rates or speed. */
  utilisation?: number;
}

export class StatisticsApp implements App {
  readonly name = 'statistics';
  readonly cookie = appCookie(STATISTICS_APP_ID);
  readonly intervalMs: number;
  private enabledNow: boolean;
  private readonly timers: boolean;
  private ctx: AppContext | undefined;
  private stopTimer: (() => void) | undefined;
  /** dpid -> port -> latest statistics. */
  private readonly byPort = new Map<bigint, Map<number, PortStatistics>>();
  /** Switches with a request in flight: a slow switch is not asked again until it answers or times out. */
  private readonly inFlight = new Set<bigint>();
  /** Rounds that a switch failed to answer in time (for /metrics and the log). */
  failures = 0;

  constructor(opts: StatisticsOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 5000;
    this.enabledNow = opts.enabled ?? true;
    this.timers = opts.timers ?? true;
  }

  start(ctx: AppContext): void {
    this.ctx = ctx;
    if (this.timers) this.stopTimer = every(ctx.clock, this.intervalMs, () => void this.collectRound());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  get enabled(): boolean {
    return this.enabledNow;
  }

  /** Switches collection on or off; off forgets every sample (stale rates would mislead). */
  setEnabled(on: boolean): void {
    if (on === this.enabledNow) return;
    this.enabledNow = on;
    if (!on) this.byPort.clear();
    else void this.collectRound();
  }

  switchConnected(sw: SwitchSession): void {
    // A first sample at once, so that rates exist one interval after connect rather than two.
    if (this.enabledNow) void this.collect(sw);
  }

  switchDisconnected(dpid: bigint): void {
    this.byPort.delete(dpid);
  }

  portStatus(sw: SwitchSession, msg: PortStatus): void {
    if (msg.reason === OFPPR_DELETE) this.byPort.get(sw.dpid)?.delete(msg.desc.portNo);
  }

  /** One round: every connected switch not still answering the previous one. */
  async collectRound(): Promise<void> {
    if (!this.enabledNow || !this.ctx) return;
    await Promise.all([...this.ctx.controller.switches.values()].map((sw) => this.collect(sw)));
  }

  private async collect(sw: SwitchSession): Promise<void> {
    if (this.inFlight.has(sw.dpid)) return;
    this.inFlight.add(sw.dpid);
    try {
      const reply = await sw.stats({ kind: 'port', portNo: OFPP.ANY }, { timeoutMs: this.intervalMs });
      if (!this.enabledNow || !this.ctx?.controller.switches.has(sw.dpid)) return;
      this.record(sw, reply.ports, this.ctx.now());
    } catch (e) {
      this.failures++;
      this.ctx?.log.debug(
        { dpid: sw.dpid, err: (e as Error).message },
        'statistics: port stats request failed',
      );
    } finally {
      this.inFlight.delete(sw.dpid);
    }
  }

  /** Takes one switch's port-stats reply (exposed for tests and for replies obtained elsewhere). */
  record(sw: Pick<SwitchSession, 'dpid' | 'ports'>, entries: readonly PortStatsEntry[], atMs: number): void {
    let ports = this.byPort.get(sw.dpid);
    if (!ports) this.byPort.set(sw.dpid, (ports = new Map()));
    for (const counters of entries) {
      const prev = ports.get(counters.portNo);
      const cur: PortSample = { atMs, counters };
      const rates = prev ? portRates({ atMs: prev.updatedAt, counters: prev.counters }, cur) : undefined;
      const speedKbps = sw.ports.get(counters.portNo)?.currSpeed ?? 0;
      ports.set(counters.portNo, {
        dpid: sw.dpid,
        portNo: counters.portNo,
        updatedAt: atMs,
        counters,
        rates,
        speedKbps,
        utilisation: rates ? utilisation(rates, speedKbps) : undefined,
      });
    }
  }

  /** Statistics of every port, of one switch's ports, or of one port (sorted by dpid, then port). */
  ports(dpid?: bigint, portNo?: number): PortStatistics[] {
    const switches = dpid === undefined ? [...this.byPort.keys()].sort(cmp) : [dpid];
    const out: PortStatistics[] = [];
    for (const d of switches) {
      const ports = this.byPort.get(d);
      if (!ports) continue;
      if (portNo !== undefined) {
        const p = ports.get(portNo);
        if (p) out.push(p);
        continue;
      }
      out.push(...[...ports.values()].sort((a, b) => a.portNo - b.portNo));
    }
    return out;
  }

  port(dpid: bigint, portNo: number): PortStatistics | undefined {
    return this.byPort.get(dpid)?.get(portNo);
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
