/**
 * Networks, pure: the record, validation of a create request where it enters, clash checks against the
 * existing networks, VNI auto-assignment and Socketplane's default-subnet rule. No I/O here.
 */
import { ipv4NumToText, ipv4TextToNum } from '../packet/index.js';
import {
  ConflictError,
  FieldError,
  parseIntIn,
  parseIpv4,
  parsePrefix,
  prefixMask,
  type Prefix,
} from '../util/index.js';

export interface Network {
  /** Unique per incarnation: a network deleted and created again under the same name gets a new id. */
  id: string;
  name: string;
  /** Canonical CIDR, host bits clear: `10.1.0.0/16`. */
  subnet: string;
  gateway: string;
  /** VXLAN network identifier, 1..16777215. */
  vni: number;
  mtu: number;
  labels: Record<string, string>;
  /**
   * Outbound NAT: traffic from the subnet leaving a host by any interface but the network's gateway port is
   * masqueraded to that host's address. Absent in records written before it existed: read as false.
   */
  nat: boolean;
}

/** A validated create request: what the caller gave, with defaults filled in except the VNI. */
export type NetworkSpec = Omit<Network, 'id' | 'vni'> & { vni?: number };

export const VNI_MAX = 16_777_215;
/** 1500 minus VXLAN's 50 bytes of outer headers: large pings fit the underlay (Socketplane's users lost them). */
export const DEFAULT_MTU = 1450;
export const MTU_MIN = 576;
export const MTU_MAX = 9000;
/** /30 is the smallest subnet with a gateway and one endpoint. */
export const SUBNET_MIN_BITS = 8;
export const SUBNET_MAX_BITS = 30;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$/;
const LABEL_VALUE_MAX = 256;
const KNOWN = ['name', 'subnet', 'gateway', 'vni', 'mtu', 'labels', 'nat'] as const;

/** Validates a create request (a parsed JSON body, CLI options...); each FieldError names the key at fault. */
export function parseNetworkRequest(raw: unknown): NetworkSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FieldError('body', 'must be a JSON object');
  }
  const body = raw as Record<string, unknown>;
  for (const k of Object.keys(body)) {
    if (!(KNOWN as readonly string[]).includes(k)) {
      throw new FieldError(k, `is not a known key (known: ${KNOWN.join(', ')})`);
    }
  }
  const name = parseNetworkName('name', body.name);
  if (typeof body.subnet !== 'string')
    throw new FieldError('subnet', 'is required: a CIDR such as 10.1.0.0/16');
  const prefix = parseSubnet('subnet', body.subnet);
  const gateway =
    body.gateway === undefined ? ipv4NumToText(prefix.addr + 1) : parseGateway(body.gateway, prefix);
  const vni =
    body.vni === undefined ? undefined : parseIntIn('vni', numberOrString('vni', body.vni), 1, VNI_MAX);
  const mtu =
    body.mtu === undefined
      ? DEFAULT_MTU
      : parseIntIn('mtu', numberOrString('mtu', body.mtu), MTU_MIN, MTU_MAX);
  const labels = parseLabels(body.labels);
  if (body.nat !== undefined && typeof body.nat !== 'boolean') {
    throw new FieldError('nat', `must be true or false, got ${JSON.stringify(body.nat)}`);
  }
  const nat = body.nat ?? false;
  return {
    name,
    subnet: formatPrefix(prefix),
    gateway,
    ...(vni === undefined ? {} : { vni }),
    mtu,
    labels,
    nat,
  };
}

export function parseNetworkName(field: string, v: unknown): string {
  if (typeof v !== 'string' || !NAME.test(v)) {
    throw new FieldError(
      field,
      `must be 1..63 characters of letters, digits, '_', '.', '-', starting with a letter or digit, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** A CIDR with an explicit length SUBNET_MIN_BITS..SUBNET_MAX_BITS and no host bits set. */
export function parseSubnet(field: string, text: string): Prefix {
  if (!text.includes('/')) throw new FieldError(field, `'${text}' is not a CIDR (expected e.g. 10.1.0.0/16)`);
  const p = parsePrefix(field, text);
  if (p.bits < SUBNET_MIN_BITS || p.bits > SUBNET_MAX_BITS) {
    throw new FieldError(field, `prefix length in '${text}' must be ${SUBNET_MIN_BITS}..${SUBNET_MAX_BITS}`);
  }
  if (ipv4TextToNum(text.split('/')[0]) !== p.addr) {
    throw new FieldError(field, `'${text}' has host bits set (did you mean ${formatPrefix(p)}?)`);
  }
  return p;
}

export function formatPrefix(p: Prefix): string {
  return `${ipv4NumToText(p.addr)}/${p.bits}`;
}

export function broadcastOf(p: Prefix): number {
  return (p.addr | ~prefixMask(p.bits)) >>> 0;
}

export function contains(p: Prefix, addr: number): boolean {
  return (addr & prefixMask(p.bits)) >>> 0 === p.addr;
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  const mask = prefixMask(Math.min(a.bits, b.bits));
  return (a.addr & mask) >>> 0 === (b.addr & mask) >>> 0;
}

/** An address of `p` other than its network and broadcast addresses (checked under `field`). */
export function parseHostIn(field: string, v: unknown, p: Prefix): number {
  if (typeof v !== 'string') throw new FieldError(field, `must be an IPv4 address string, got ${typeof v}`);
  const n = ipv4TextToNum(parseIpv4(field, v))!;
  if (!contains(p, n)) throw new FieldError(field, `${v} is outside the subnet ${formatPrefix(p)}`);
  if (n === p.addr || n === broadcastOf(p)) {
    throw new FieldError(field, `${v} is the network or broadcast address of ${formatPrefix(p)}`);
  }
  return n;
}

function parseGateway(v: unknown, p: Prefix): string {
  return ipv4NumToText(parseHostIn('gateway', v, p));
}

function numberOrString(field: string, v: unknown): number | string {
  if (typeof v === 'number' || typeof v === 'string') return v;
  throw new FieldError(field, `must be an integer, got ${typeof v}`);
}

function parseLabels(v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new FieldError('labels', 'must be an object of strings');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!LABEL_KEY.test(k))
      throw new FieldError(`labels.${k}`, 'label keys are 1..63 letters, digits, _ . / -');
    if (typeof val !== 'string' || val.length > LABEL_VALUE_MAX) {
      throw new FieldError(`labels.${k}`, `must be a string of at most ${LABEL_VALUE_MAX} characters`);
    }
    out[k] = val;
  }
  return out;
}

/** Refuses a spec whose name, VNI or subnet clashes with an existing network: ConflictError naming the field. */
export function checkClashes(spec: NetworkSpec, existing: readonly Network[]): void {
  const subnet = parsePrefix('subnet', spec.subnet);
  for (const n of existing) {
    if (n.name === spec.name) throw new ConflictError('name', `a network named ${n.name} exists`);
    if (spec.vni !== undefined && n.vni === spec.vni)
      throw new ConflictError('vni', `${spec.vni} is used by network ${n.name}`);
    if (overlaps(subnet, parsePrefix('subnet', n.subnet))) {
      throw new ConflictError('subnet', `${spec.subnet} overlaps ${n.subnet} of network ${n.name}`);
    }
  }
}

/** The lowest VNI no existing network uses. */
export function nextFreeVni(existing: readonly Network[]): number {
  const used = new Set(existing.map((n) => n.vni));
  for (let v = 1; v <= VNI_MAX; v++) if (!used.has(v)) return v;
  throw new ConflictError('vni', 'every VNI 1..16777215 is in use');
}

/** Socketplane's 10.1.0.0/16 first, then the rest of 10/8, 172.16/12 and 192.168/16 in /16s. */
export const DEFAULT_SUBNET_CANDIDATES: readonly string[] = [
  ...Array.from({ length: 254 }, (_, i) => `10.${i + 1}.0.0/16`),
  ...Array.from({ length: 16 }, (_, i) => `172.${16 + i}.0.0/16`),
  '192.168.0.0/16',
];

/**
 * Socketplane's default-network rule: the first candidate that overlaps none of the host's route prefixes
 * (`ip route` destinations; `default`/0.0.0.0/0 is ignored, as it overlaps everything) nor the `taken` subnets.
 */
export function pickDefaultSubnet(
  routes: readonly string[],
  taken: readonly string[] = [],
  candidates: readonly string[] = DEFAULT_SUBNET_CANDIDATES,
): string {
  const avoid = [
    ...routes.map((r, i) => (r === 'default' ? undefined : parsePrefix(`routes[${i}]`, r))),
    ...taken.map((t, i) => parsePrefix(`taken[${i}]`, t)),
  ].filter((p): p is Prefix => p !== undefined && p.bits > 0);
  const free = candidates.find((c) => !avoid.some((p) => overlaps(p, parsePrefix('candidate', c))));
  if (free === undefined)
    throw new ConflictError('subnet', 'every default subnet candidate overlaps a route of this host');
  return free;
}
