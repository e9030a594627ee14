/**
 * An immutable snapshot of the switch graph with the path and tree algorithms forwarding needs.
 * Pure: built from links and switch ids, no I/O, no clock. Ties are broken by (neighbour DPID, local port)
 * so that every controller instance, and every test run, picks the same paths and the same tree.
 */

/** A directed link: LLDP sent out of (srcDpid, srcPort) arrived at (dstDpid, dstPort). */
export interface Link {
  srcDpid: bigint;
  srcPort: number;
  dstDpid: bigint;
  dstPort: number;
}

/**
 * What a route must not use (a route constraint: host-aware rerouting moves a host's flows off a switch or a
 * link). Links are named by undirectedKey, so a link is avoided in both directions. The route's own end
 * switches cannot be avoided: a constraint naming one leaves no route.
 */
export interface Avoid {
  switches?: ReadonlySet<bigint>;
  links?: ReadonlySet<string>;
}

/** One switch on a route: the packet enters at inPort and leaves at outPort. */
export interface Hop {
  dpid: bigint;
  inPort: number;
  outPort: number;
}

function cmpDpid(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpLink(a: Link, b: Link): number {
  return cmpDpid(a.dstDpid, b.dstDpid) || a.srcPort - b.srcPort || a.dstPort - b.dstPort;
}

export function linkKey(l: Link): string {
  return `${l.srcDpid}:${l.srcPort}>${l.dstDpid}:${l.dstPort}`;
}

/** The same physical link whichever direction it was seen in. */
export function undirectedKey(l: Link): string {
  const a = `${l.srcDpid}:${l.srcPort}`;
  const b = `${l.dstDpid}:${l.dstPort}`;
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

export class LinkGraph {
  /** Outgoing directed links per switch, sorted for deterministic search. */
  private readonly out = new Map<bigint, Link[]>();
  /** Undirected neighbours (each link seen in either direction, oriented away from the key). */
  private readonly undirected = new Map<bigint, Link[]>();
  private readonly interSwitch = new Map<bigint, Set<number>>();
  /** BFS predecessor links per source, computed on first use. */
  private readonly bfsCache = new Map<bigint, Map<bigint, Link>>();
  private tree: { links: Link[]; ports: Map<bigint, Set<number>> } | undefined;
  readonly nodes: readonly bigint[];

  constructor(links: Iterable<Link>, switches: Iterable<bigint> = []) {
    const nodes = new Set<bigint>(switches);
    const seenUndirected = new Set<string>();
    for (const l of links) {
      nodes.add(l.srcDpid);
      nodes.add(l.dstDpid);
      push(this.out, l.srcDpid, l);
      mark(this.interSwitch, l.srcDpid, l.srcPort);
      mark(this.interSwitch, l.dstDpid, l.dstPort);
      const k = undirectedKey(l);
      if (!seenUndirected.has(k)) {
        seenUndirected.add(k);
        push(this.undirected, l.srcDpid, l);
        push(this.undirected, l.dstDpid, reverse(l));
      }
    }
    for (const list of this.out.values()) list.sort(cmpLink);
    for (const list of this.undirected.values()) list.sort(cmpLink);
    this.nodes = [...nodes].sort(cmpDpid);
  }

  isInterSwitchPort(dpid: bigint, port: number): boolean {
    return this.interSwitch.get(dpid)?.has(port) ?? false;
  }

  interSwitchPorts(dpid: bigint): ReadonlySet<number> {
    return this.interSwitch.get(dpid) ?? EMPTY;
  }

  /**
   * Fewest-hop directed path as its links (empty when src === dst), or undefined when unreachable. With
   * `avoid`, the fewest-hop path that uses none of those switches and links (not cached: constraints are few).
   */
  shortestPath(src: bigint, dst: bigint, avoid?: Avoid): Link[] | undefined {
    if (avoid && (avoid.switches?.has(src) || avoid.switches?.has(dst))) return undefined;
    if (src === dst) return [];
    const prev = avoid ? this.search(src, avoid) : this.bfs(src);
    if (!prev.has(dst)) return undefined;
    const path: Link[] = [];
    for (let at = dst; at !== src;) {
      const l = prev.get(at)!;
      path.push(l);
      at = l.srcDpid;
    }
    return path.reverse();
  }

  /**
   * The hops from a packet entering (srcDpid, srcPort) to leaving (dstDpid, dstPort). Undefined when there is
   * no path or a hop would send the packet back out of the port it came in on.
   */
  route(
    srcDpid: bigint,
    srcPort: number,
    dstDpid: bigint,
    dstPort: number,
    avoid?: Avoid,
  ): Hop[] | undefined {
    if (avoid?.switches?.has(srcDpid) || avoid?.switches?.has(dstDpid)) return undefined;
    if (srcDpid === dstDpid)
      return srcPort === dstPort ? undefined : [{ dpid: srcDpid, inPort: srcPort, outPort: dstPort }];
    const path = this.shortestPath(srcDpid, dstDpid, avoid);
    if (path === undefined) return undefined;
    const hops: Hop[] = [];
    let dpid = srcDpid;
    let inPort = srcPort;
    for (const l of path) {
      if (inPort === l.srcPort) return undefined;
      hops.push({ dpid, inPort, outPort: l.srcPort });
      dpid = l.dstDpid;
      inPort = l.dstPort;
    }
    if (inPort === dstPort) return undefined;
    hops.push({ dpid, inPort, outPort: dstPort });
    return hops;
  }

  /**
   * A spanning forest: per connected component a BFS tree from its lowest DPID over undirected links.
   * Returned as the chosen links (oriented parent -> child).
   */
  spanningTree(): Link[] {
    return this.computeTree().links;
  }

  /** Inter-switch ports that belong to the spanning tree (flooding may use them). */
  treePorts(dpid: bigint): ReadonlySet<number> {
    return this.computeTree().ports.get(dpid) ?? EMPTY;
  }

  /** Connected components (undirected), each sorted, ordered by their lowest DPID. */
  clusters(): bigint[][] {
    const seen = new Set<bigint>();
    const out: bigint[][] = [];
    for (const root of this.nodes) {
      if (seen.has(root)) continue;
      const members: bigint[] = [];
      const queue = [root];
      seen.add(root);
      for (let i = 0; i < queue.length; i++) {
        const u = queue[i];
        members.push(u);
        for (const l of this.undirected.get(u) ?? []) {
          if (!seen.has(l.dstDpid)) {
            seen.add(l.dstDpid);
            queue.push(l.dstDpid);
          }
        }
      }
      out.push(members.sort(cmpDpid));
    }
    return out;
  }

  private bfs(src: bigint): Map<bigint, Link> {
    let prev = this.bfsCache.get(src);
    if (prev) return prev;
    prev = this.search(src);
    this.bfsCache.set(src, prev);
    return prev;
  }

  /** BFS predecessor links from src over the directed links, skipping what `avoid` names. */
  private search(src: bigint, avoid: Avoid = {}): Map<bigint, Link> {
    const prev = new Map<bigint, Link>();
    const queue = [src];
    const seen = new Set<bigint>([src]);
    for (let i = 0; i < queue.length; i++) {
      for (const l of this.out.get(queue[i]) ?? []) {
        if (seen.has(l.dstDpid) || avoid.switches?.has(l.dstDpid)) continue;
        if (avoid.links?.has(undirectedKey(l))) continue;
        seen.add(l.dstDpid);
        prev.set(l.dstDpid, l);
        queue.push(l.dstDpid);
      }
    }
    return prev;
  }

  private computeTree(): { links: Link[]; ports: Map<bigint, Set<number>> } {
    if (this.tree) return this.tree;
    const links: Link[] = [];
    const ports = new Map<bigint, Set<number>>();
    const seen = new Set<bigint>();
    for (const root of this.nodes) {
      if (seen.has(root)) continue;
      seen.add(root);
      const queue = [root];
      for (let i = 0; i < queue.length; i++) {
        for (const l of this.undirected.get(queue[i]) ?? []) {
          if (seen.has(l.dstDpid)) continue;
          seen.add(l.dstDpid);
          queue.push(l.dstDpid);
          links.push(l);
          mark(ports, l.srcDpid, l.srcPort);
          mark(ports, l.dstDpid, l.dstPort);
        }
      }
    }
    this.tree = { links, ports };
    return this.tree;
  }
}

const EMPTY: ReadonlySet<number> = new Set();

function reverse(l: Link): Link {
  return { srcDpid: l.dstDpid, srcPort: l.dstPort, dstDpid: l.srcDpid, dstPort: l.srcPort };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function mark(m: Map<bigint, Set<number>>, dpid: bigint, port: number): void {
  const s = m.get(dpid);
  if (s) s.add(port);
  else m.set(dpid, new Set([port]));
}
