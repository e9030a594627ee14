/**
 * Host tracking: MAC, VLAN, IPv4 and attachment point (switch, port) learned from packet-ins on host ports
 * (never on inter-switch ports), with moves and last-seen times.
 *
 * Sized for 100k+ hosts: one small fixed-shape record per MAC, keyed by the MAC as a number, one IPv4 per
 * host (the latest, from ARP or the IPv4 source) with a reverse index, and no per-packet allocation when
 * a known host is seen again at the same place (the common case on every packet-in).
 *
 * In a cluster each member only sees the packet-ins of the switches it masters: hosts the other members learned
 * come in as remote hosts (updateRemoteHosts) and answer every query; per MAC the record seen last wins,
 * whether learned here or elsewhere. localHost()/localHosts() are what this member learned itself.
 */
import { EventEmitter } from 'node:events';
import {
  appCookie,
  type App,
  type AppContext,
  type Disposition,
  type SwitchSession,
} from '../../controller/index.js';
import { OFPP, type PacketIn } from '../../openflow/index.js';
import {
  ipv4NumToText,
  ipv4TextToNum,
  MacTable,
  macNumToText,
  macTextToNum,
  type EthernetFrame,
} from '../../packet/index.js';
import { every } from '../../util/index.js';
import type { TopologyApp, TopologyChange } from '../topology/index.js';

export const HOSTS_APP_ID = 2;

export interface HostsOptions {
  /** Forget hosts not seen for this long; default 1 hour; 0 keeps them forever. */
  maxAgeMs?: number;
  /** Run the aging sweep on a timer (default true); tests call expire(now) themselves. */
  timers?: boolean;
  /**
   * Upper bound on the table (default 500,000, about 90 MB): past it the longest-known host is forgotten
   * for each new one, so a MAC flood (or cbench cycling through millions of sources) cannot exhaust memory.
   */
  maxHosts?: number;
  /** The topology service (a typed handle): hosts seen on inter-switch ports are not hosts. */
  topology?: TopologyApp;
}

/** The stored record (read-only to callers). Numbers rather than text to stay small and allocation-free. */
export interface Host {
  readonly mac: number;
  /** 0 when untagged. */
  readonly vlan: number;
  /** The latest IPv4 address (as a uint32), 0 when none known. */
  readonly ipv4: number;
  readonly dpid: bigint;
  readonly port: number;
  /** ms, controller clock */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly moves: number;
}

/** A host as the API shows it. */
export interface HostView {
  mac: string;
  vlan?: number;
  ipv4: string[];
  dpid: bigint;
  port: number;
  firstSeen: number;
  lastSeen: number;
  moves: number;
}

export interface HostFilter {
  mac?: string;
  ipv4?: string;
  dpid?: bigint;
  port?: number;
  vlan?: number;
}

export interface HostMove {
  host: Host;
  from: { dpid: bigint; port: number };
}

export interface HostsEvents {
  /** Only emitted when someone listens (hosts are added on the packet-in hot path). */
  host_added: (host: Host) => void;
  host_moved: (move: HostMove) => void;
  /** Aged out, or its attachment point turned out to be an inter-switch port. */
  host_removed: (host: Host) => void;
  /** Its IPv4 address or VLAN changed in place. Only emitted when someone listens. */
  host_updated: (host: Host) => void;
}

class HostRecord implements Host {
  ipv4 = 0;
  moves = 0;
  constructor(
    readonly mac: number,
    public vlan: number,
    public dpid: bigint,
    public port: number,
    readonly firstSeen: number,
    public lastSeen: number,
  ) {}
}

/** Of a host's local and remote records, the one seen last (the local one on a tie). */
function newer(local: Host | undefined, remote: Host | undefined): Host | undefined {
  if (remote === undefined) return local;
  if (local === undefined) return remote;
  return remote.lastSeen > local.lastSeen ? remote : local;
}

/** Where a host was, kept before a change (records are updated in place). */
interface Place {
  host: Host;
  dpid: bigint;
  port: number;
  ipv4: number;
  vlan: number;
}

function placeOf(h: Host | undefined): Place | undefined {
  return h && { host: h, dpid: h.dpid, port: h.port, ipv4: h.ipv4, vlan: h.vlan };
}

export function hostView(h: Host): HostView {
  const v: HostView = {
    mac: macNumToText(h.mac),
    ipv4: h.ipv4 === 0 ? [] : [ipv4NumToText(h.ipv4)],
    dpid: h.dpid,
    port: h.port,
    firstSeen: h.firstSeen,
    lastSeen: h.lastSeen,
    moves: h.moves,
  };
  if (h.vlan !== 0) v.vlan = h.vlan;
  return v;
}

export class HostsApp implements App {
  readonly name = 'hosts';
  readonly cookie = appCookie(HOSTS_APP_ID);
  /** Runs after topology so that LLDP is already stopped and inter-switch ports are known. */
  readonly after = ['topology'];
  readonly maxAgeMs: number;
  readonly maxHosts: number;
  private readonly timers: boolean;
  private ctx: AppContext | undefined;
  private topology: TopologyApp | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopTimer: (() => void) | undefined;
  private readonly emitter = new EventEmitter();
  /** Insertion-ordered like a Map, without hashing a 48-bit heap number per lookup. */
  private readonly byMac = new MacTable<HostRecord>();
  private readonly byIpv4 = new Map<number, HostRecord>();
  /** Hosts other cluster members learned, by the caller's id for each, and those ids per MAC. */
  private readonly remoteById = new Map<string, HostRecord>();
  private readonly remoteIds = new Map<number, Set<string>>();
  /** Per MAC the remote record seen last; per IPv4 the one of those holding it. Empty outside a cluster. */
  private readonly remoteBest = new MacTable<HostRecord>();
  private readonly remoteByIpv4 = new Map<number, HostRecord>();

  constructor(opts: HostsOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 3_600_000;
    this.maxHosts = opts.maxHosts ?? 500_000;
    if (!Number.isInteger(this.maxHosts) || this.maxHosts < 1) {
      throw new RangeError(`hosts.maxHosts: must be a positive integer, got ${this.maxHosts}`);
    }
    this.timers = opts.timers ?? true;
    this.topology = opts.topology;
    this.emitter.setMaxListeners(0);
  }

  start(ctx: AppContext): void {
    this.ctx = ctx;
    this.unsubscribe = this.topology?.on('topology_changed', (c) => this.onTopologyChanged(c));
    if (this.timers && this.maxAgeMs > 0) {
      this.stopTimer = every(ctx.clock, Math.min(60_000, Math.max(1000, this.maxAgeMs / 4)), () =>
        this.expire(),
      );
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  packetIn(sw: SwitchSession, msg: PacketIn, frame: EthernetFrame): Disposition {
    const port = msg.match.in_port;
    // Group-bit sources are bogus; MAC 0 is what cut-off frames and some probes carry.
    if (port === undefined || port >= OFPP.MAX || frame.srcNum <= 0 || (frame.data[6] & 1) === 1)
      return 'continue';
    if (this.topology?.isInterSwitchPort(sw.dpid, port)) return 'continue';
    let ip = 0;
    const arp = frame.arp;
    if (arp !== undefined) {
      if (arp.shaNum === frame.srcNum) ip = arp.spaNum;
    } else if (frame.ipv4 !== undefined) {
      ip = frame.ipv4.srcNum;
    }
    this.learn(sw.dpid, port, frame.srcNum, frame.vlan?.vid ?? 0, ip, this.ctx ? this.ctx.now() : Date.now());
    return 'continue';
  }

  /** Record a sighting of `mac` at (dpid, port). Exposed for tests and for apps that learn hosts elsewhere. */
  learn(dpid: bigint, port: number, mac: number, vlan: number, ipv4: number, now: number): Host {
    const remote = this.remoteBest.size === 0 ? undefined : this.remoteBest.get(mac);
    if (remote === undefined) return this.learnLocal(dpid, port, mac, vlan, ipv4, now);
    // Another member's record was the word on this host: seen here now, it moved here as far as all can tell.
    const shadowed = this.byMacNum(mac) === remote;
    const h = this.learnLocal(dpid, port, mac, vlan, ipv4, now);
    if (shadowed && (remote.dpid !== dpid || remote.port !== port)) {
      this.emitter.emit('host_moved', { host: h, from: { dpid: remote.dpid, port: remote.port } });
    }
    return h;
  }

  private learnLocal(dpid: bigint, port: number, mac: number, vlan: number, ipv4: number, now: number): Host {
    let h = this.byMac.get(mac);
    if (h === undefined) {
      // Insertion order: the first entry is the host known longest.
      if (this.byMac.size >= this.maxHosts) this.remove(this.byMac.first()![1]);
      h = new HostRecord(mac, vlan, dpid, port, now, now);
      this.byMac.set(mac, h);
      if (ipv4 !== 0) this.setIpv4(h, ipv4);
      if (this.emitter.listenerCount('host_added') > 0) this.emitter.emit('host_added', h);
      return h;
    }
    h.lastSeen = now;
    if (h.vlan !== vlan || (ipv4 !== 0 && h.ipv4 !== ipv4)) {
      h.vlan = vlan;
      if (ipv4 !== 0 && h.ipv4 !== ipv4) this.setIpv4(h, ipv4);
      if (this.emitter.listenerCount('host_updated') > 0) this.emitter.emit('host_updated', h);
    }
    if (h.port !== port || h.dpid !== dpid) {
      const from = { dpid: h.dpid, port: h.port };
      h.dpid = dpid;
      h.port = port;
      h.moves++;
      this.ctx?.log.info(
        { mac: macNumToText(mac), from: `${from.dpid}:${from.port}`, to: `${dpid}:${port}` },
        'host moved',
      );
      this.emitter.emit('host_moved', { host: h, from } satisfies HostMove);
    }
    return h;
  }

  private setIpv4(h: HostRecord, ip: number): void {
    const owner = this.byIpv4.get(ip);
    if (owner !== undefined && owner !== h) owner.ipv4 = 0; // the address changed hands
    if (h.ipv4 !== 0 && this.byIpv4.get(h.ipv4) === h) this.byIpv4.delete(h.ipv4);
    h.ipv4 = ip;
    this.byIpv4.set(ip, h);
  }

  /** Forget hosts not seen for maxAgeMs. Returns how many were removed. */
  expire(now = this.ctx ? this.ctx.now() : Date.now()): number {
    if (this.maxAgeMs <= 0) return 0;
    const cutoff = now - this.maxAgeMs;
    let n = 0;
    for (const h of this.byMac.values()) {
      if (h.lastSeen < cutoff) {
        this.remove(h);
        n++;
      }
    }
    return n;
  }

  private onTopologyChanged(change: TopologyChange): void {
    if (change.added.length === 0) return;
    // Hosts "seen" on a port before LLDP revealed it as inter-switch were really remote hosts: forget them.
    // Keyed by DPID then port: no text key built per host, as this scans every host per topology change.
    const ends = new Map<bigint, Set<number>>();
    const mark = (dpid: bigint, port: number) => {
      let ports = ends.get(dpid);
      if (!ports) ends.set(dpid, (ports = new Set()));
      ports.add(port);
    };
    for (const l of change.added) {
      mark(l.srcDpid, l.srcPort);
      mark(l.dstDpid, l.dstPort);
    }
    const gone: HostRecord[] = [];
    for (const h of this.byMac.values()) if (ends.get(h.dpid)?.has(h.port)) gone.push(h);
    for (const h of gone) this.remove(h);
  }

  private remove(h: HostRecord): void {
    this.byMac.delete(h.mac);
    if (h.ipv4 !== 0 && this.byIpv4.get(h.ipv4) === h) this.byIpv4.delete(h.ipv4);
    this.emitter.emit('host_removed', h);
  }

  // ------------------------------------------------------------------------------------------ remote hosts

  /**
   * Hosts other cluster members learned, keyed by the caller's id for each: `puts` add or replace, `deletes`
   * drop (unknown ids are ignored). Emits host_added/host_moved/host_removed/host_updated for the MACs whose
   * merged record changed.
   */
  updateRemoteHosts(puts: Iterable<[string, Host]>, deletes: Iterable<string> = []): void {
    const before = new Map<number, Place | undefined>();
    const note = (mac: number) => {
      if (!before.has(mac)) before.set(mac, placeOf(this.byMacNum(mac)));
    };
    const unlink = (id: string, r: HostRecord) => {
      note(r.mac);
      this.remoteById.delete(id);
      const ids = this.remoteIds.get(r.mac);
      ids?.delete(id);
      if (ids?.size === 0) this.remoteIds.delete(r.mac);
    };
    for (const id of deletes) {
      const r = this.remoteById.get(id);
      if (r) unlink(id, r);
    }
    for (const [id, h] of puts) {
      const old = this.remoteById.get(id);
      if (old) unlink(id, old);
      note(h.mac);
      const r = new HostRecord(h.mac, h.vlan, h.dpid, h.port, h.firstSeen, h.lastSeen);
      r.ipv4 = h.ipv4;
      r.moves = h.moves;
      this.remoteById.set(id, r);
      let ids = this.remoteIds.get(h.mac);
      if (!ids) this.remoteIds.set(h.mac, (ids = new Set()));
      ids.add(id);
    }
    for (const mac of before.keys()) this.pickRemote(mac);
    for (const [mac, was] of before) {
      const now = this.byMacNum(mac);
      if (was === undefined && now !== undefined) this.emitter.emit('host_added', now);
      else if (was !== undefined && now === undefined) this.emitter.emit('host_removed', was.host);
      else if (was === undefined || now === undefined) continue;
      else if (was.dpid !== now.dpid || was.port !== now.port) {
        this.emitter.emit('host_moved', { host: now, from: { dpid: was.dpid, port: was.port } });
      } else if (was.ipv4 !== now.ipv4 || was.vlan !== now.vlan) this.emitter.emit('host_updated', now);
    }
  }

  /** Re-elects the newest remote record of `mac` and keeps the IPv4 index in step. */
  private pickRemote(mac: number): void {
    let best: HostRecord | undefined;
    for (const id of this.remoteIds.get(mac) ?? []) {
      const r = this.remoteById.get(id)!;
      if (best === undefined || r.lastSeen > best.lastSeen) best = r;
    }
    const old = this.remoteBest.get(mac);
    if (old === best) return;
    if (old !== undefined && old.ipv4 !== 0 && this.remoteByIpv4.get(old.ipv4) === old) {
      this.remoteByIpv4.delete(old.ipv4);
    }
    if (best === undefined) {
      this.remoteBest.delete(mac);
      return;
    }
    this.remoteBest.set(mac, best);
    if (best.ipv4 !== 0) this.remoteByIpv4.set(best.ipv4, best);
  }

  /** Every host once: per MAC the record seen last, local or remote. */
  private *merged(): Iterable<Host> {
    if (this.remoteBest.size === 0) {
      yield* this.byMac.values();
      return;
    }
    for (const h of this.byMac.values()) yield newer(h, this.remoteBest.get(h.mac))!;
    for (const r of this.remoteBest.values()) if (!this.byMac.has(r.mac)) yield r;
  }

  /** What this member learned itself about `mac` (what it publishes to the rest of a cluster). */
  localHost(mac: number): Host | undefined {
    return this.byMac.get(mac);
  }

  /** Every host this member learned itself. */
  localHosts(): Iterable<Host> {
    return this.byMac.values();
  }

  // ------------------------------------------------------------------------------------------- queries

  on<E extends keyof HostsEvents>(event: E, listener: HostsEvents[E]): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  get size(): number {
    if (this.remoteBest.size === 0) return this.byMac.size;
    let remoteOnly = 0;
    for (const r of this.remoteBest.values()) if (!this.byMac.has(r.mac)) remoteOnly++;
    return this.byMac.size + remoteOnly;
  }

  /** Hot-path lookup by the numeric MAC (EthernetFrame.dstNum). */
  byMacNum(mac: number): Host | undefined {
    const h = this.byMac.get(mac);
    return this.remoteBest.size === 0 ? h : newer(h, this.remoteBest.get(mac));
  }

  byIpv4Num(ip: number): Host | undefined {
    const h = this.byIpv4.get(ip);
    if (this.remoteByIpv4.size === 0) return h;
    const best = newer(h, this.remoteByIpv4.get(ip));
    return best === undefined ? undefined : this.byMacNum(best.mac);
  }

  get(mac: string): Host | undefined {
    const n = macTextToNum(mac);
    return n === undefined ? undefined : this.byMacNum(n);
  }

  /**
   * Hosts matching every given field, sorted by MAC. Text fields are validated: a malformed MAC or IPv4
   * throws a RangeError naming the field (the API turns it into a 400).
   */
  find(filter: HostFilter = {}): Host[] {
    let candidates: Iterable<Host>;
    if (filter.mac !== undefined) {
      const n = macTextToNum(filter.mac);
      if (n === undefined) throw new RangeError(`mac: not a MAC address: ${JSON.stringify(filter.mac)}`);
      const h = this.byMacNum(n);
      candidates = h ? [h] : [];
    } else if (filter.ipv4 !== undefined) {
      const n = ipv4TextToNum(filter.ipv4);
      if (n === undefined) throw new RangeError(`ipv4: not an IPv4 address: ${JSON.stringify(filter.ipv4)}`);
      const h = this.byIpv4Num(n);
      candidates = h ? [h] : [];
    } else {
      candidates = this.merged();
    }
    const out: Host[] = [];
    for (const h of candidates) {
      if (filter.dpid !== undefined && h.dpid !== filter.dpid) continue;
      if (filter.port !== undefined && h.port !== filter.port) continue;
      if (filter.vlan !== undefined && h.vlan !== filter.vlan) continue;
      out.push(h);
    }
    return out.sort((a, b) => a.mac - b.mac);
  }
}
