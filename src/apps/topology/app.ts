/**
 * Link discovery and the switch graph. Sends LLDP out of every up port (on connect, on port up, and every
 * `intervalMs`), learns directed links from the LLDP that comes back as packet-in (and stops those packets:
 * they are not traffic), ages links out after `timeoutMs` without LLDP, drops them at once on port down or
 * switch disconnect, and answers path, tree and flood-set questions from an immutable LinkGraph snapshot.
 * Each probe carries its send time, and each round also asks every switch for an echo, so that a returning
 * probe yields the link's latency (see latency.ts).
 *
 * In a cluster each member only hears the LLDP that reaches the switches it masters: links the other members
 * learned come in as remote links (updateRemoteLinks) and join the graph and the lists; a link learned here
 * wins over a remote one at either end. localLinks() is what this member learned itself.
 */
import { EventEmitter } from 'node:events';
import {
  appCookie,
  type App,
  type AppContext,
  type Disposition,
  type FlowSpec,
  type OfMessageBody,
  type SwitchSession,
  DEFAULT_PIPELINE,
} from '../../controller/index.js';
import {
  OFPP,
  OFP_NO_BUFFER,
  OFPCML_NO_BUFFER,
  OFPPC_PORT_DOWN,
  OFPPS_LINK_DOWN,
  type PacketIn,
  type PortDesc,
  type PortStatus,
} from '../../openflow/index.js';
import { buildLldp, ETH_TYPE, type EthernetFrame } from '../../packet/index.js';
import { every } from '../../util/index.js';
import { LinkGraph, linkKey, undirectedKey, type Avoid, type Hop, type Link } from './graph.js';
import { combineLatency, latencySample, smoothLatency } from './latency.js';

export const TOPOLOGY_APP_ID = 1;
/** Above every other app's flows so that no forwarding or ACL entry can swallow discovery frames. */
const OFPPR_DELETE = 1;

export interface TopologyOptions {
  /** LLDP round period; default 5000 ms. */
  intervalMs?: number;
  /** A link not re-seen within this is dropped; default 3.5 rounds (three missed rounds). */
  timeoutMs?: number;
  /**
   * A port that just came up (or whose switch just connected) is left out of flood sets for this long, so that
   * broadcasts cannot loop through a link before its LLDP has been seen; default 1500 ms.
   */
  quarantineMs?: number;
  /** Run the LLDP round on a timer (default true); tests call discoveryRound() themselves. */
  timers?: boolean;
}

export interface TopologyLink extends Link {
  /** ms (controller clock) */
  firstSeen: number;
  lastSeen: number;
  /** Smoothed one-way latency (ms) from timestamped LLDP; undefined until a sane sample has been taken. */
  latencyMs?: number;
}

/** One physical link as the API lists it (Floodlight's /wm/topology/links/json shape, typed). */
export interface LinkView extends Link {
  direction: 'bidirectional' | 'unidirectional';
  type: 'internal';
  firstSeen: number;
  lastSeen: number;
  /** Mean of the measured directions' latency (ms); undefined while neither has been measured. */
  latencyMs?: number;
}

export interface TopologyChange {
  added: Link[];
  removed: Link[];
}

export interface TopologyEvents {
  topology_changed: (change: TopologyChange) => void;
}

function portUp(p: PortDesc): boolean {
  return (p.config & OFPPC_PORT_DOWN) === 0 && (p.state & OFPPS_LINK_DOWN) === 0 && p.portNo < OFPP.MAX;
}

function endpoint(dpid: bigint, port: number): string {
  return `${dpid}:${port}`;
}

function bare(l: Link): Link {
  return { srcDpid: l.srcDpid, srcPort: l.srcPort, dstDpid: l.dstDpid, dstPort: l.dstPort };
}

export class TopologyApp implements App {
  readonly name = 'topology';
  readonly cookie = appCookie(TOPOLOGY_APP_ID);
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly quarantineMs: number;
  private readonly timers: boolean;
  private ctx: AppContext | undefined;
  private stopTimer: (() => void) | undefined;
  private readonly emitter = new EventEmitter();
  /** Directed links keyed by their source endpoint (an LLDP source port reaches one place). */
  private readonly bySrc = new Map<string, TopologyLink>();
  /** Links other cluster members learned, by the caller's id for each (e.g. its store key). */
  private readonly remote = new Map<string, TopologyLink>();
  /** Local links plus the remote ones that fit with them, built on first use after a change. */
  private mergedCache: TopologyLink[] | undefined;
  /**
   * The graph snapshot, built on first use after a change: a burst of LLDP (500 switches connecting learn
   * ~1000 directed links back to back) then costs one build instead of one per link.
   */
  private graphCache: LinkGraph | undefined;
  /** Up ports per switch as this app last saw them (to notice a port coming up). */
  private readonly upPorts = new Map<bigint, Set<number>>();
  /** Per switch: port -> quarantined until (ms), and the latest of those for a cheap check. */
  private readonly quarantine = new Map<bigint, { until: number; ports: Map<number, number> }>();
  private readonly floodCache = new Map<bigint, number[]>();

  constructor(opts: TopologyOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 5000;
    this.timeoutMs = opts.timeoutMs ?? Math.round(this.intervalMs * 3.5);
    this.quarantineMs = opts.quarantineMs ?? 1500;
    this.timers = opts.timers ?? true;
    this.emitter.setMaxListeners(0);
  }

  // ---------------------------------------------------------------------------------------------- App hooks

  start(ctx: AppContext): void {
    this.ctx = ctx;
    if (this.timers) {
      this.stopTimer = every(ctx.clock, this.intervalMs, () => this.discoveryRound());
    }
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  switchConnected(sw: SwitchSession): void {
    const now = this.now();
    const up = new Set<number>();
    for (const p of sw.ports.values()) if (portUp(p)) up.add(p.portNo);
    this.upPorts.set(sw.dpid, up);
    for (const port of up) this.quarantinePort(sw.dpid, port, now);
    this.rebuild();
    this.measureEcho(sw);
    this.sendAll(sw, this.probeMessages(sw, up));
  }

  switchDisconnected(dpid: bigint): void {
    this.upPorts.delete(dpid);
    this.quarantine.delete(dpid);
    const removed = this.removeLinks((l) => l.srcDpid === dpid || l.dstDpid === dpid);
    this.changed([], removed, true);
  }

  portStatus(sw: SwitchSession, msg: PortStatus): void {
    const port = msg.desc.portNo;
    let up = this.upPorts.get(sw.dpid);
    if (!up) this.upPorts.set(sw.dpid, (up = new Set()));
    this.floodCache.delete(sw.dpid);
    if (msg.reason === OFPPR_DELETE || !portUp(msg.desc)) {
      up.delete(port);
      const removed = this.removeLinks(
        (l) => (l.srcDpid === sw.dpid && l.srcPort === port) || (l.dstDpid === sw.dpid && l.dstPort === port),
      );
      this.changed([], removed, removed.length > 0);
      return;
    }
    if (!up.has(port)) {
      up.add(port);
      this.quarantinePort(sw.dpid, port, this.now());
      this.sendAll(sw, this.probeMessages(sw, [port]));
    }
  }

  packetIn(sw: SwitchSession, msg: PacketIn, frame: EthernetFrame): Disposition {
    if (frame.ethType !== ETH_TYPE.LLDP && frame.ethType !== ETH_TYPE.BDDP) return 'continue';
    const lldp = frame.lldp;
    const inPort = msg.match.in_port;
    if (
      lldp?.dpid !== undefined &&
      lldp.portNo !== undefined &&
      inPort !== undefined &&
      this.ctx?.controller.switches.has(lldp.dpid)
    ) {
      this.learnLink(
        { srcDpid: lldp.dpid, srcPort: lldp.portNo, dstDpid: sw.dpid, dstPort: inPort },
        this.latencyOf(lldp.dpid, sw, lldp.sentAtMs),
      );
    }
    return 'stop';
  }

  /** A latency sample for a probe from `srcDpid` that just reached `dst`, if it carries a usable send time. */
  private latencyOf(srcDpid: bigint, dst: SwitchSession, sentAtMs: number | undefined): number | undefined {
    if (sentAtMs === undefined) return undefined;
    const probe = {
      sentAtMs,
      receivedAtMs: this.now(),
      srcEchoRttMs: this.ctx?.controller.switches.get(srcDpid)?.echoRttMs,
      dstEchoRttMs: dst.echoRttMs,
    };
    // A probe older than a round is stale: a newer one has been sent since.
    return latencySample(probe, this.intervalMs);
  }

  desiredFlows(sw: SwitchSession): FlowSpec[] {
    const place = (this.ctx?.pipeline ?? DEFAULT_PIPELINE).place(this.name, 'lldp', sw.version);
    return [
      {
        tableId: place.tableId,
        priority: place.high - 1,
        match: { eth_type: ETH_TYPE.LLDP },
        instructions: [
          {
            type: 'apply_actions',
            actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }],
          },
        ],
      },
    ];
  }

  // ------------------------------------------------------------------------------------------ discovery

  /** One LLDP round: age out silent links, then probe every up port of every switch. */
  discoveryRound(now = this.now()): void {
    const removed = this.removeLinks((l) => now - l.lastSeen > this.timeoutMs);
    this.changed([], removed, removed.length > 0);
    for (const sw of this.ctx?.controller.switches.values() ?? []) {
      this.measureEcho(sw);
      this.sendAll(sw, this.probeMessages(sw, this.upPorts.get(sw.dpid) ?? []));
    }
  }

  /**
   * An echo whose round trip the session records (SwitchSession.echoRttMs). The keepalive echoes only idle
   * switches, and LLDP packet-ins keep a switch with links from ever being idle that long.
   */
  private measureEcho(sw: SwitchSession): void {
    sw.request({ type: 'echo_request', data: Buffer.alloc(0) }, { timeoutMs: this.intervalMs }).catch(() => {
      // Unanswered: the switch keeps its previous round trip, or its links get no latency sample this round.
    });
  }

  /** PACKET_OUTs carrying one LLDP frame out of each given port, stamped with the current time. */
  probeMessages(sw: SwitchSession, ports: Iterable<number>): OfMessageBody[] {
    const out: OfMessageBody[] = [];
    const sentAtMs = this.now();
    for (const port of ports) {
      const desc = sw.ports.get(port);
      out.push({
        type: 'packet_out',
        bufferId: OFP_NO_BUFFER,
        inPort: OFPP.CONTROLLER,
        actions: [{ type: 'output', port, maxLen: 0 }],
        data: buildLldp({ chassisDpid: sw.dpid, portNo: port, srcMac: desc?.hwAddr, sentAtMs }),
      });
    }
    return out;
  }

  private learnLink(link: Link, latencyMs: number | undefined): void {
    const now = this.now();
    const key = endpoint(link.srcDpid, link.srcPort);
    const existing = this.bySrc.get(key);
    if (existing && existing.dstDpid === link.dstDpid && existing.dstPort === link.dstPort) {
      existing.lastSeen = now;
      if (latencyMs !== undefined) existing.latencyMs = smoothLatency(existing.latencyMs, latencyMs);
      return;
    }
    // A port reaches one peer: a new sighting replaces whatever was known at either end.
    const removed = this.removeLinks(
      (l) =>
        (l.srcDpid === link.srcDpid && l.srcPort === link.srcPort) ||
        (l.dstDpid === link.dstDpid && l.dstPort === link.dstPort),
    );
    this.bySrc.set(key, { ...link, firstSeen: now, lastSeen: now, latencyMs });
    this.changed([link], removed, true);
    // Learn the other direction now rather than a round later.
    if (!this.bySrc.has(endpoint(link.dstDpid, link.dstPort))) {
      const peer = this.ctx?.controller.switches.get(link.dstDpid);
      if (peer) this.sendAll(peer, this.probeMessages(peer, [link.dstPort]));
    }
  }

  private removeLinks(pred: (l: TopologyLink) => boolean): Link[] {
    const removed: Link[] = [];
    for (const [k, l] of this.bySrc) {
      if (pred(l)) {
        this.bySrc.delete(k);
        removed.push(bare(l));
      }
    }
    return removed;
  }

  private changed(added: Link[], removed: Link[], rebuild: boolean): void {
    if (rebuild) this.rebuild();
    if (added.length === 0 && removed.length === 0) return;
    this.ctx?.log.info(
      { added: added.map(linkKey), removed: removed.map(linkKey), links: this.bySrc.size },
      'topology changed',
    );
    this.emitter.emit('topology_changed', { added, removed } satisfies TopologyChange);
  }

  private rebuild(): void {
    this.graphCache = undefined;
    this.mergedCache = undefined;
    this.floodCache.clear();
  }

  private get graph(): LinkGraph {
    return (this.graphCache ??= new LinkGraph(this.merged(), this.ctx?.controller.switches.keys() ?? []));
  }

  private quarantinePort(dpid: bigint, port: number, now: number): void {
    if (this.quarantineMs <= 0) return;
    let q = this.quarantine.get(dpid);
    if (!q) this.quarantine.set(dpid, (q = { until: 0, ports: new Map() }));
    const until = now + this.quarantineMs;
    q.ports.set(port, until);
    if (until > q.until) q.until = until;
  }

  private sendAll(sw: SwitchSession, msgs: OfMessageBody[]): void {
    for (const m of msgs) sw.send(m);
  }

  private now(): number {
    return this.ctx ? this.ctx.now() : Date.now();
  }

  // ------------------------------------------------------------------------------------------ remote links

  /**
   * Links other cluster members learned, keyed by the caller's id for each: `puts` add or replace, `deletes`
   * drop (unknown ids are ignored). Emits topology_changed with what the merged view gained and lost.
   */
  updateRemoteLinks(puts: Iterable<[string, TopologyLink]>, deletes: Iterable<string> = []): void {
    const before = new Map(this.merged().map((l) => [linkKey(l), l]));
    for (const id of deletes) this.remote.delete(id);
    for (const [id, l] of puts) this.remote.set(id, { ...l });
    this.rebuild();
    const after = new Map(this.merged().map((l) => [linkKey(l), l]));
    const added = [...after].filter(([k]) => !before.has(k)).map(([, l]) => bare(l));
    const removed = [...before].filter(([k]) => !after.has(k)).map(([, l]) => bare(l));
    this.changed(added, removed, false);
  }

  /**
   * Local links, then each remote link (in id order) whose ends no link taken so far uses: a port reaches one
   * peer, and what this member saw itself is the freshest word on its own switches.
   */
  private merged(): TopologyLink[] {
    if (this.remote.size === 0) return [...this.bySrc.values()];
    if (this.mergedCache) return this.mergedCache;
    const out = [...this.bySrc.values()];
    const srcTaken = new Set(out.map((l) => endpoint(l.srcDpid, l.srcPort)));
    const dstTaken = new Set(out.map((l) => endpoint(l.dstDpid, l.dstPort)));
    for (const id of [...this.remote.keys()].sort()) {
      const l = this.remote.get(id)!;
      const src = endpoint(l.srcDpid, l.srcPort);
      const dst = endpoint(l.dstDpid, l.dstPort);
      if (srcTaken.has(src) || dstTaken.has(dst)) continue;
      srcTaken.add(src);
      dstTaken.add(dst);
      out.push(l);
    }
    return (this.mergedCache = out);
  }

  // ------------------------------------------------------------------------------------------- queries

  on<E extends keyof TopologyEvents>(event: E, listener: TopologyEvents[E]): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** The current graph snapshot (immutable; replaced on every change). */
  snapshot(): LinkGraph {
    return this.graph;
  }

  /** Directed links as the graph has them (learned here or by other cluster members), with timestamps. */
  directedLinks(): TopologyLink[] {
    return this.merged().map((l) => ({ ...l }));
  }

  /** Directed links this member learned itself (what it publishes to the rest of a cluster). */
  localLinks(): TopologyLink[] {
    return [...this.bySrc.values()].map((l) => ({ ...l }));
  }

  /** Physical links, one entry each (oriented from the lower endpoint), sorted. */
  links(): LinkView[] {
    const byKey = new Map<string, LinkView>();
    for (const l of this.merged()) {
      const k = undirectedKey(l);
      const v = byKey.get(k);
      if (v) {
        v.direction = 'bidirectional';
        v.firstSeen = Math.min(v.firstSeen, l.firstSeen);
        v.lastSeen = Math.max(v.lastSeen, l.lastSeen);
        v.latencyMs = combineLatency(v.latencyMs, l.latencyMs);
        continue;
      }
      const flip = l.srcDpid > l.dstDpid || (l.srcDpid === l.dstDpid && l.srcPort > l.dstPort);
      byKey.set(k, {
        srcDpid: flip ? l.dstDpid : l.srcDpid,
        srcPort: flip ? l.dstPort : l.srcPort,
        dstDpid: flip ? l.srcDpid : l.dstDpid,
        dstPort: flip ? l.srcPort : l.dstPort,
        direction: 'unidirectional',
        type: 'internal',
        firstSeen: l.firstSeen,
        lastSeen: l.lastSeen,
        latencyMs: l.latencyMs,
      });
    }
    return [...byKey.values()].sort(
      (a, b) =>
        (a.srcDpid < b.srcDpid ? -1 : a.srcDpid > b.srcDpid ? 1 : 0) ||
        a.srcPort - b.srcPort ||
        (a.dstDpid < b.dstDpid ? -1 : a.dstDpid > b.dstDpid ? 1 : 0),
    );
  }

  isInterSwitchPort(dpid: bigint, port: number): boolean {
    return this.graph.isInterSwitchPort(dpid, port);
  }

  /** Whether a flood may leave (or be accepted on) this port: host ports and spanning-tree ports. */
  isFloodPort(dpid: bigint, port: number): boolean {
    return !this.graph.isInterSwitchPort(dpid, port) || this.graph.treePorts(dpid).has(port);
  }

  /**
   * Ports a broadcast may leave `dpid` by: up ports that are host ports or spanning-tree ports, without
   * quarantined ports. The caller removes the in_port. Sorted.
   */
  floodPorts(dpid: bigint, now = this.now()): readonly number[] {
    let ports = this.floodCache.get(dpid);
    if (!ports) {
      const up = this.upPorts.get(dpid) ?? new Set<number>();
      ports = [...up].filter((p) => this.isFloodPort(dpid, p)).sort((a, b) => a - b);
      this.floodCache.set(dpid, ports);
    }
    const q = this.quarantine.get(dpid);
    if (!q || now >= q.until) return ports;
    return ports.filter((p) => (q.ports.get(p) ?? 0) <= now);
  }

  shortestPath(srcDpid: bigint, dstDpid: bigint, avoid?: Avoid): Link[] | undefined {
    return this.graph.shortestPath(srcDpid, dstDpid, avoid);
  }

  /** The hops between two attachment points; `avoid` is a route constraint (switches, links to stay off). */
  route(
    srcDpid: bigint,
    srcPort: number,
    dstDpid: bigint,
    dstPort: number,
    avoid?: Avoid,
  ): Hop[] | undefined {
    return this.graph.route(srcDpid, srcPort, dstDpid, dstPort, avoid);
  }

  /** The spanning-tree links (parent -> child). */
  spanningTree(): Link[] {
    return this.graph.spanningTree();
  }

  /** Connected switch clusters (Floodlight's switchclusters), each sorted. */
  clusters(): bigint[][] {
    return this.graph.clusters();
  }
}
