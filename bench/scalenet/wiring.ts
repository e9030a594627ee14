/**
 * The cabling of a fake network: which switch port is linked to which, and which edge port each host sits
 * behind. Pure data from a few numbers, so a scale test and the bench build the same network every time.
 *
 * Ports: each switch numbers its link ports 1..k in the order its links appear, then `hostPorts` edge ports
 * k+1..k+hostPorts (the same count on every switch, hosts or not).
 */
import { macNumToText } from '../../src/packet/index.js';

/** 02:00:00:00:00:00, the locally administered unicast prefix of the hosts' MACs. */
const LOCAL_UNICAST = 0x02_00_00_00_00_00;

/** One cable: port `portA` of `dpidA` to port `portB` of `dpidB`. */
export type WireLink = readonly [dpidA: bigint, portA: number, dpidB: bigint, portB: number];

export const SHAPES = ['linear', 'ring', 'tree', 'mesh'] as const;
export type Shape = (typeof SHAPES)[number];

export interface WiringOptions {
  shape: Shape;
  switches: number;
  /** DPID of switch 0; the others follow (default 1). */
  dpidBase?: bigint;
  /** tree: children per switch (default 2). */
  fanout?: number;
  /** mesh: average links per switch, at least 2 (default 3); the mesh is always connected. */
  degree?: number;
  /** mesh: PRNG seed (default 1). */
  seed?: number;
}

export interface Wiring {
  dpids: bigint[];
  links: WireLink[];
  /** Link ports per switch (ports 1..n of that switch are cabled). */
  linkPorts: Map<bigint, number>;
}

export interface PortRef {
  dpid: bigint;
  port: number;
}

/** The switch-index pairs of a shape, before ports are numbered. */
export function shapePairs(opts: WiringOptions): Array<[number, number]> {
  const n = opts.switches;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`switches: must be a whole number >= 1, got ${n}`);
  const pairs: Array<[number, number]> = [];
  switch (opts.shape) {
    case 'linear':
      for (let i = 0; i + 1 < n; i++) pairs.push([i, i + 1]);
      return pairs;
    case 'ring':
      for (let i = 0; i + 1 < n; i++) pairs.push([i, i + 1]);
      // Two switches already share their one cable; a second would be a parallel link, not a ring.
      if (n > 2) pairs.push([n - 1, 0]);
      return pairs;
    case 'tree': {
      const fanout = opts.fanout ?? 2;
      if (!Number.isInteger(fanout) || fanout < 1)
        throw new RangeError(`fanout: must be a whole number >= 1, got ${fanout}`);
      for (let i = 1; i < n; i++) pairs.push([Math.floor((i - 1) / fanout), i]);
      return pairs;
    }
    case 'mesh':
      return meshPairs(n, opts.degree ?? 3, opts.seed ?? 1);
    default:
      throw new RangeError(`shape: expected one of ${SHAPES.join(', ')}, got ${String(opts.shape)}`);
  }
}

/**
 * A random connected mesh: a random spanning tree (switch i cabled to an earlier one), then random extra
 * cables between distinct, not yet cabled pairs until there are about degree * n / 2 links.
 */
function meshPairs(n: number, degree: number, seed: number): Array<[number, number]> {
  if (!Number.isFinite(degree) || degree < 2) throw new RangeError(`degree: must be >= 2, got ${degree}`);
  const rand = mulberry32(seed);
  const pairs: Array<[number, number]> = [];
  const seen = new Set<number>();
  const add = (a: number, b: number): boolean => {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const key = lo * n + hi;
    if (a === b || seen.has(key)) return false;
    seen.add(key);
    pairs.push([lo, hi]);
    return true;
  };
  for (let i = 1; i < n; i++) add(Math.floor(rand() * i), i);
  const maxLinks = (n * (n - 1)) / 2;
  const target = Math.min(maxLinks, Math.round((degree * n) / 2));
  // Bounded: a dense target on a small mesh can keep drawing taken pairs.
  for (let tries = 0; pairs.length < target && tries < target * 50; tries++) {
    add(Math.floor(rand() * n), Math.floor(rand() * n));
  }
  return pairs;
}

/** Small seeded PRNG (uniform in [0, 1)): the same seed gives the same mesh on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The network's cabling: DPIDs and links with port numbers allocated per switch from 1. */
export function wiring(opts: WiringOptions): Wiring {
  const base = opts.dpidBase ?? 1n;
  if (base < 1n) throw new RangeError(`dpidBase: must be >= 1, got ${base}`);
  const pairs = shapePairs(opts);
  const dpids = Array.from({ length: opts.switches }, (_, i) => base + BigInt(i));
  const next = new Array<number>(opts.switches).fill(1);
  const links: WireLink[] = pairs.map(([a, b]) => [dpids[a], next[a]++, dpids[b], next[b]++] as const);
  const linkPorts = new Map(dpids.map((d, i) => [d, next[i] - 1]));
  return { dpids, links, linkPorts };
}

/** Both directions of every cable: (dpid, port) -> the port at the other end. */
export function peerTable(links: readonly WireLink[]): Map<bigint, Map<number, PortRef>> {
  const table = new Map<bigint, Map<number, PortRef>>();
  const set = (from: bigint, port: number, to: PortRef) => {
    let ports = table.get(from);
    if (!ports) table.set(from, (ports = new Map()));
    if (ports.has(port)) throw new RangeError(`links: port ${port} of switch ${from} is cabled twice`);
    ports.set(port, to);
  };
  for (const [a, pa, b, pb] of links) {
    set(a, pa, { dpid: b, port: pb });
    set(b, pb, { dpid: a, port: pa });
  }
  return table;
}

export interface HostSpec {
  /** 0-based host number. */
  index: number;
  /** aa:bb:cc:dd:ee:ff */
  mac: string;
  /** IPv4 as a uint32. */
  ipv4: number;
  dpid: bigint;
  port: number;
}

export interface HostPlacementOptions {
  hosts: number;
  /** Edge ports per switch (default 4). */
  hostPorts?: number;
}

/**
 * Hosts spread round-robin over the switches, then over each switch's edge ports: host h sits on switch
 * h mod n. MAC 02:00:<h+1 as 4 bytes> (locally administered unicast); IPv4 10.0.0.0/8 counting from 10.0.0.1,
 * skipping .0 and .255 in the last octet. Unique for up to 16 million hosts.
 */
export function placeHosts(w: Wiring, opts: HostPlacementOptions): HostSpec[] {
  const hostPorts = opts.hostPorts ?? 4;
  if (!Number.isInteger(opts.hosts) || opts.hosts < 0 || opts.hosts > 254 * 65536)
    throw new RangeError(`hosts: must be a whole number 0..${254 * 65536}, got ${opts.hosts}`);
  if (!Number.isInteger(hostPorts) || hostPorts < 1)
    throw new RangeError(`hostPorts: must be a whole number >= 1, got ${hostPorts}`);
  const n = w.dpids.length;
  const out: HostSpec[] = [];
  for (let h = 0; h < opts.hosts; h++) {
    const dpid = w.dpids[h % n];
    const edge = Math.floor(h / n) % hostPorts;
    out.push({
      index: h,
      mac: scaleHostMac(h),
      ipv4: scaleHostIpv4(h),
      dpid,
      port: w.linkPorts.get(dpid)! + 1 + edge,
    });
  }
  return out;
}

export function scaleHostMac(h: number): string {
  return macNumToText(LOCAL_UNICAST + h + 1);
}

export function scaleHostIpv4(h: number): number {
  const rest = Math.floor(h / 254);
  return ((10 << 24) | ((rest >>> 8) << 16) | ((rest & 0xff) << 8) | ((h % 254) + 1)) >>> 0;
}
