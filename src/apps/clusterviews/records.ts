/**
 * What cluster members publish about what they learned at run time, under the cluster's runtime prefix
 * (clusterKeys(id).runtime), each key on the publishing member's lease:
 *
 *   links/<src dpid, 16 hex>-<src port>-<dst dpid, 16 hex>-<dst port>/<member>   one directed link (LinkRecord)
 *   hosts/<mac>/<member>                                                      one host attachment (HostRecord)
 *
 * The member is part of the key so that two members that both saw a link (mastership moved) never overwrite or
 * delete each other's word. Pure: building keys and records, and reading them back; a record that does not
 * read (another version or a person wrote it) throws a FieldError naming the field.
 */
import { clusterNameProblem, dpidHex } from '../../cluster/index.js';
import { ipv4NumToText, ipv4TextToNum, macNumToText, macTextToNum } from '../../packet/index.js';
import { FieldError, formatDpid, parseDpid } from '../../util/index.js';
import type { Host } from '../hosts/index.js';
import type { Link, TopologyLink } from '../topology/index.js';

export interface LinkRecord {
  srcDpid: string;
  srcPort: number;
  dstDpid: string;
  dstPort: number;
  /** ms since the epoch, on the publishing member's clock */
  firstSeen: number;
  /** Whole ms; absent while not measured. */
  latencyMs?: number;
  member: string;
}

export interface HostRecord {
  mac: string;
  /** The host's IPv4 addresses (at most one today). */
  ipv4: string[];
  /** 0: untagged. */
  vlan: number;
  dpid: string;
  port: number;
  firstSeen: number;
  lastSeen: number;
  moves: number;
  member: string;
}

/** One record read back: its kind, who published it, and the fact in the apps' own types. */
export type RuntimeEntry =
  { kind: 'link'; member: string; link: TopologyLink } | { kind: 'host'; member: string; host: Host };

export type RuntimeKind = RuntimeEntry['kind'];

const KIND_DIRS: Record<string, RuntimeKind> = { links: 'link', hosts: 'host' };

export function linkId(l: Link): string {
  return `${dpidHex(l.srcDpid)}-${l.srcPort}-${dpidHex(l.dstDpid)}-${l.dstPort}`;
}

/** `runtime` is the cluster's runtime prefix (ends with '/'). */
export function linkRecordKey(runtime: string, l: Link, member: string): string {
  return `${runtime}links/${linkId(l)}/${member}`;
}

export function hostRecordKey(runtime: string, mac: number, member: string): string {
  return `${runtime}hosts/${macNumToText(mac)}/${member}`;
}

export function linkRecord(l: TopologyLink, member: string): LinkRecord {
  return {
    srcDpid: formatDpid(l.srcDpid),
    srcPort: l.srcPort,
    dstDpid: formatDpid(l.dstDpid),
    dstPort: l.dstPort,
    firstSeen: l.firstSeen,
    ...(l.latencyMs !== undefined ? { latencyMs: Math.round(l.latencyMs) } : {}),
    member,
  };
}

export function hostRecord(h: Host, member: string): HostRecord {
  return {
    mac: macNumToText(h.mac),
    ipv4: h.ipv4 === 0 ? [] : [ipv4NumToText(h.ipv4)],
    vlan: h.vlan,
    dpid: formatDpid(h.dpid),
    port: h.port,
    firstSeen: h.firstSeen,
    lastSeen: h.lastSeen,
    moves: h.moves,
    member,
  };
}

/** Which kind of record a key under `runtime` names and who published it; undefined for keys of other kinds. */
export function runtimeKeyKind(
  runtime: string,
  key: string,
): { kind: RuntimeKind; member: string } | undefined {
  if (!key.startsWith(runtime)) return undefined;
  const parts = key.slice(runtime.length).split('/');
  const kind = KIND_DIRS[parts[0]];
  if (kind === undefined || parts.length !== 3) return undefined;
  return { kind, member: parts[2] };
}

/**
 * Reads one record back. `now` becomes a link's lastSeen (links are re-published only when they change).
 * Throws FieldError when the key or the value is not one this version writes; undefined for keys of kinds it
 * does not know (a newer version's).
 */
export function parseRuntimeEntry(
  runtime: string,
  key: string,
  value: unknown,
  now: number,
): RuntimeEntry | undefined {
  const where = runtimeKeyKind(runtime, key);
  if (where === undefined) return undefined;
  const memberProblem = clusterNameProblem(where.member);
  if (memberProblem) throw new FieldError('key', `member ${JSON.stringify(where.member)} ${memberProblem}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FieldError('value', 'must be an object');
  }
  const v = value as Record<string, unknown>;
  if (v.member !== where.member) {
    throw new FieldError('member', `must be the key's member ${JSON.stringify(where.member)}`);
  }
  if (where.kind === 'link') {
    const link: TopologyLink = {
      srcDpid: dpidField(v, 'srcDpid'),
      srcPort: portField(v, 'srcPort'),
      dstDpid: dpidField(v, 'dstDpid'),
      dstPort: portField(v, 'dstPort'),
      firstSeen: timeField(v, 'firstSeen'),
      lastSeen: now,
    };
    if (v.latencyMs !== undefined) link.latencyMs = numberField(v, 'latencyMs', 0, 3_600_000);
    const id = key.slice(runtime.length).split('/')[1];
    if (id !== linkId(link)) throw new FieldError('key', `names link ${id}, the value ${linkId(link)}`);
    return { kind: 'link', member: where.member, link };
  }
  const mac = typeof v.mac === 'string' ? macTextToNum(v.mac) : undefined;
  if (mac === undefined) throw new FieldError('mac', 'must be a MAC address (aa:bb:cc:dd:ee:ff)');
  if (key.slice(runtime.length).split('/')[1] !== macNumToText(mac)) {
    throw new FieldError('key', `does not name the value's mac ${macNumToText(mac)}`);
  }
  if (!Array.isArray(v.ipv4) || v.ipv4.length > 16)
    throw new FieldError('ipv4', 'must be a list of addresses');
  const ips = v.ipv4.map((ip, i) => {
    const n = typeof ip === 'string' ? ipv4TextToNum(ip) : undefined;
    if (n === undefined || ipv4NumToText(n) !== ip) throw new FieldError(`ipv4[${i}]`, 'not an IPv4 address');
    return n;
  });
  const host: Host = {
    mac,
    vlan: numberField(v, 'vlan', 0, 4095),
    ipv4: ips[0] ?? 0,
    dpid: dpidField(v, 'dpid'),
    port: portField(v, 'port'),
    firstSeen: timeField(v, 'firstSeen'),
    lastSeen: timeField(v, 'lastSeen'),
    moves: numberField(v, 'moves', 0, Number.MAX_SAFE_INTEGER),
  };
  return { kind: 'host', member: where.member, host };
}

function dpidField(v: Record<string, unknown>, field: string): bigint {
  const text = v[field];
  const dpid = typeof text === 'string' ? parseDpid(text) : undefined;
  if (dpid === undefined) throw new FieldError(field, 'must be a DPID (00:00:00:00:00:00:00:01)');
  return dpid;
}

/** A switch port: 1..0xffffff00 (OFPP_MAX), as packet-ins carry them. */
function portField(v: Record<string, unknown>, field: string): number {
  return numberField(v, field, 1, 0xffffff00);
}

function timeField(v: Record<string, unknown>, field: string): number {
  return numberField(v, field, 0, 8.64e15);
}

function numberField(v: Record<string, unknown>, field: string, min: number, max: number): number {
  const n = v[field];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new FieldError(field, `must be an integer ${min}..${max}, got ${JSON.stringify(n)}`);
  }
  return n;
}
