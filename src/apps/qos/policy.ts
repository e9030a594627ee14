/**
 * QoS services and policies as Floodlight's QoS module took them (the same JSON keys), validated where they
 * enter. Pure: no store, no switches.
 *
 * Values arrive as JSON numbers or strings ("0x0800", "6", ""), as Floodlight's scripts send them. An empty
 * string means "not given", as it did in Floodlight. Unknown keys are rejected so a typo is not a no-op.
 *
 * ToS: `tos` (of a service, and the `tos` match key) is the IPv4 ToS byte, 0..255 with the two ECN bits
 * clear; the switch gets its DSCP, tos >> 2 (OpenFlow 1.0 SET_NW_TOS and OpenFlow 1.3 set_field ip_dscp
 * both carry the DSCP). Floodlight read a string of 0s and 1s as binary first ("10" was 2); Sluice reads
 * decimal, 0x-hex or 0b-binary, so "10" is 10.
 */
import { OFPP } from '../../openflow/index.js';
import { ETH_TYPE, ipv4TextToNum } from '../../packet/index.js';
import * as shared from '../../util/index.js';
import { FieldError, NotFoundError, formatDpid, parseDpid, throwingAs } from '../../util/index.js';

/**
 * Bad QoS input (400), naming the key at fault (`queue`, `policy.service`...). An unknown id or name is a
 * NotFoundError (404), a clash with what is stored a ConflictError (409), OVSDB trouble OvsdbUnavailableError.
 */
export class QosError extends FieldError {
  override readonly code = 'SLU_QOS_INVALID';
}
const parseIntIn = throwingAs(QosError)(shared.parseIntIn);
const parseMac = throwingAs(QosError)(shared.parseMac);
const parseIpv4 = throwingAs(QosError)(shared.parseIpv4);

export interface Service {
  sid: number;
  name: string;
  /** ToS byte, ECN bits clear. */
  tos: number;
}

/** Match keys of a policy (Floodlight's names), all optional. */
export interface PolicyMatch {
  ethType?: number;
  protocol?: number;
  ingressPort?: number;
  ipSrc?: string;
  ipDst?: string;
  /** ToS byte. */
  tos?: number;
  vlanId?: number;
  ethSrc?: string;
  ethDst?: string;
  srcPort?: number;
  dstPort?: number;
}

export type PolicyAction =
  /** Floodlight's queuing policy: enqueue (1.0) / set_queue + output (1.3). */
  | { kind: 'queue'; queue: number; enqueuePort?: number }
  /** Floodlight's ToS policy: rewrite DSCP from the named service, then output. */
  | { kind: 'service'; service: string; outPort?: number }
  /** New in Sluice: an OpenFlow 1.3 meter (drop band), then output. */
  | { kind: 'rate'; rateKbps: number; burstKb?: number; outPort?: number };

export type SwitchSel = 'all' | 'none' | bigint;

export interface Policy {
  id: number;
  name: string;
  sw: SwitchSel;
  priority: number;
  match: PolicyMatch;
  action: PolicyAction;
}

export const DEFAULT_POLICY_PRIORITY = 32767;
export const BEST_EFFORT: Omit<Service, 'sid'> = { name: 'Best Effort', tos: 0 };
/** Ids (sid, policy-id, path id) stay below this: a policy's meter id is derived from its id. */
export const MAX_ID = 0xffff;
const NAME_MAX = 200;
const PROTO_TCP = 6;
const PROTO_UDP = 17;

type Raw = Record<string, unknown>;

// ------------------------------------------------------------------------------------------ value parsers

/** An unsigned integer from a JSON number or a decimal / 0x-hex / 0b-binary string, within lo..hi. */
export function uintOf(field: string, raw: unknown, hi: number, lo = 0): number {
  if (typeof raw !== 'number' && typeof raw !== 'string') {
    throw new QosError(field, `must be a number or a numeric string, got ${typeName(raw)}`);
  }
  return parseIntIn(field, raw, lo, hi);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}

export function textOf(field: string, raw: unknown, max = NAME_MAX): string {
  if (typeof raw !== 'string') throw new QosError(field, `must be a string, got ${typeName(raw)}`);
  const t = raw.trim();
  if (t === '') throw new QosError(field, 'must not be empty');
  if (t.length > max) throw new QosError(field, `is longer than ${max} characters`);
  return t;
}

export function ipv4Of(field: string, raw: unknown): string {
  return parseIpv4(field, textOf(field, raw, 15));
}

function macOf(field: string, raw: unknown): string {
  return parseMac(field, textOf(field, raw, 17));
}

/** The ToS byte: 0..255 with the ECN bits (the low two) clear, since the switch sets only the DSCP. */
export function tosOf(field: string, raw: unknown): number {
  const tos = uintOf(field, raw, 0xff);
  if (tos & 3) {
    throw new QosError(
      field,
      `ToS ${tos} has ECN bits set; give the ToS byte with DSCP in the upper 6 bits (DSCP 46 -> tos 184)`,
    );
  }
  return tos;
}

function portOf(field: string, raw: unknown): number {
  return uintOf(field, raw, OFPP.MAX, 1);
}

function switchOf(field: string, raw: unknown): SwitchSel {
  const t = textOf(field, raw, 32).toLowerCase();
  if (t === 'all' || t === 'none') return t;
  const dpid = parseDpid(t);
  if (dpid === undefined) {
    throw new QosError(field, `'${t}' is not all, none or a DPID (00:00:00:00:00:00:00:01)`);
  }
  return dpid;
}

/** The body as a plain object, with "" values dropped (Floodlight skipped them). */
export function objectOf(field: string, body: unknown): Raw {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new QosError(field, `must be a JSON object, got ${typeName(body)}`);
  }
  const out: Raw = {};
  for (const [k, v] of Object.entries(body as Raw)) if (v !== '' && v !== null) out[k] = v;
  return out;
}

function rejectUnknown(raw: Raw, known: readonly string[], prefix: string): void {
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) {
      throw new QosError(prefix + k, `is not a known key (known: ${known.join(', ')})`);
    }
  }
}

// ------------------------------------------------------------------------------------------ services

const SERVICE_KEYS = ['sid', 'name', 'tos'] as const;

/** A service body ({name, tos}); `sid` is assigned by the app and ignored here. */
export function parseServiceBody(body: unknown): Omit<Service, 'sid'> {
  const raw = objectOf('body', body);
  rejectUnknown(raw, SERVICE_KEYS, '');
  if (raw.name === undefined) throw new QosError('name', 'is required');
  if (raw.tos === undefined) throw new QosError('tos', 'is required (the ToS byte, e.g. 184 for DSCP 46)');
  return { name: textOf('name', raw.name), tos: tosOf('tos', raw.tos) };
}

export function serviceToJson(s: Service): { sid: number; name: string; tos: number } {
  return { sid: s.sid, name: s.name, tos: s.tos };
}

/** A stored service (the JSON above) read back. */
export function parseStoredService(v: unknown): Service {
  const raw = objectOf('service', v);
  return { sid: uintOf('sid', raw.sid, MAX_ID, 1), ...parseServiceBody({ name: raw.name, tos: raw.tos }) };
}

// ------------------------------------------------------------------------------------------ policies

export const MATCH_KEYS = [
  'eth-type',
  'protocol',
  'ingress-port',
  'ip-src',
  'ip-dst',
  'tos',
  'vlan-id',
  'eth-src',
  'eth-dst',
  'src-port',
  'dst-port',
] as const;
const ACTION_KEYS = ['queue', 'enqueue-port', 'service', 'rate-kbps', 'burst-kb', 'out-port'] as const;
export const POLICY_KEYS = ['policy-id', 'name', 'sw', 'priority', ...MATCH_KEYS, ...ACTION_KEYS] as const;
/** Keys a path fills in per hop, so its policy template must leave them out. */
export const PATH_FILLED_KEYS = ['sw', 'ip-src', 'ip-dst', 'enqueue-port', 'out-port', 'name'] as const;

function parseMatch(raw: Raw, prefix: string): PolicyMatch {
  const f = (k: string) => prefix + k;
  const m: PolicyMatch = {};
  if (raw['eth-type'] !== undefined) m.ethType = uintOf(f('eth-type'), raw['eth-type'], 0xffff);
  if (raw.protocol !== undefined) m.protocol = uintOf(f('protocol'), raw.protocol, 0xff);
  if (raw['ingress-port'] !== undefined) m.ingressPort = portOf(f('ingress-port'), raw['ingress-port']);
  if (raw['ip-src'] !== undefined) m.ipSrc = ipv4Of(f('ip-src'), raw['ip-src']);
  if (raw['ip-dst'] !== undefined) m.ipDst = ipv4Of(f('ip-dst'), raw['ip-dst']);
  if (raw.tos !== undefined) m.tos = tosOf(f('tos'), raw.tos);
  if (raw['vlan-id'] !== undefined) m.vlanId = uintOf(f('vlan-id'), raw['vlan-id'], 4095);
  if (raw['eth-src'] !== undefined) m.ethSrc = macOf(f('eth-src'), raw['eth-src']);
  if (raw['eth-dst'] !== undefined) m.ethDst = macOf(f('eth-dst'), raw['eth-dst']);
  if (raw['src-port'] !== undefined) m.srcPort = uintOf(f('src-port'), raw['src-port'], 0xffff);
  if (raw['dst-port'] !== undefined) m.dstPort = uintOf(f('dst-port'), raw['dst-port'], 0xffff);
  return m;
}

/** Prerequisites OpenFlow 1.3 enforces (and OVS on 1.0 silently drops): checked here, naming the key. */
function checkMatch(m: PolicyMatch, needsIp: boolean, prefix: string): PolicyMatch {
  const l3 =
    needsIp ||
    m.protocol !== undefined ||
    m.ipSrc !== undefined ||
    m.ipDst !== undefined ||
    m.tos !== undefined;
  if (l3) {
    if (m.ethType !== undefined && m.ethType !== ETH_TYPE.IPV4) {
      const why = needsIp ? 'a ToS policy rewrites IPv4 DSCP' : 'IPv4 match keys are given';
      throw new QosError(prefix + 'eth-type', `must be 0x0800 (or left out) because ${why}`);
    }
    m = { ...m, ethType: ETH_TYPE.IPV4 };
  }
  if (m.srcPort !== undefined || m.dstPort !== undefined) {
    const key = m.srcPort !== undefined ? 'src-port' : 'dst-port';
    if (m.protocol !== PROTO_TCP && m.protocol !== PROTO_UDP) {
      throw new QosError(prefix + key, 'needs protocol 6 (TCP) or 17 (UDP)');
    }
  }
  return m;
}

function parseAction(raw: Raw, prefix: string, template: boolean): PolicyAction {
  const f = (k: string) => prefix + k;
  const given = (['queue', 'service', 'rate-kbps'] as const).filter((k) => raw[k] !== undefined);
  if (given.length > 1) {
    throw new QosError(
      f(given[1]),
      `cannot be given together with ${given[0]}: a policy either queues (queue + enqueue-port), ` +
        'sets ToS (service) or limits rate (rate-kbps)',
    );
  }
  const kind = given[0];
  if (kind === undefined) {
    const hint = template ? 'queue, service or rate-kbps' : 'queue + enqueue-port, service, or rate-kbps';
    if (raw['enqueue-port'] !== undefined) throw new QosError(f('queue'), 'is required with enqueue-port');
    throw new QosError(f('queue'), `a policy needs one of ${hint}`);
  }
  if (raw['burst-kb'] !== undefined && kind !== 'rate-kbps') {
    throw new QosError(f('burst-kb'), 'is only allowed with rate-kbps');
  }
  if (kind === 'queue') {
    if (raw['out-port'] !== undefined) {
      throw new QosError(f('out-port'), 'a queuing policy outputs to enqueue-port; leave out-port out');
    }
    const queue = uintOf(f('queue'), raw.queue, 0xfffffffe);
    if (template) return { kind: 'queue', queue };
    if (raw['enqueue-port'] === undefined) throw new QosError(f('enqueue-port'), 'is required with queue');
    return { kind: 'queue', queue, enqueuePort: portOf(f('enqueue-port'), raw['enqueue-port']) };
  }
  if (raw['enqueue-port'] !== undefined) {
    throw new QosError(f('enqueue-port'), 'is only allowed with queue (use out-port for an output port)');
  }
  const outPort = raw['out-port'] === undefined ? undefined : portOf(f('out-port'), raw['out-port']);
  const withOut = <T extends object>(a: T) => (outPort === undefined ? a : { ...a, outPort });
  if (kind === 'service') return withOut({ kind: 'service', service: textOf(f('service'), raw.service) });
  const rate = withOut({
    kind: 'rate' as const,
    rateKbps: uintOf(f('rate-kbps'), raw['rate-kbps'], 0xffffffff, 1),
  });
  return raw['burst-kb'] === undefined
    ? rate
    : { ...rate, burstKb: uintOf(f('burst-kb'), raw['burst-kb'], 0xffffffff, 1) };
}

/**
 * A policy body (Floodlight keys, plus rate-kbps / burst-kb / out-port). `policy-id` is ignored: the app
 * assigns ids. `services` resolves a ToS policy's service name (unknown -> 404 naming `service`).
 */
export function parsePolicyBody(
  body: unknown,
  services: (name: string) => Service | undefined,
): Omit<Policy, 'id'> {
  const raw = objectOf('body', body);
  rejectUnknown(raw, POLICY_KEYS, '');
  if (raw.name === undefined) throw new QosError('name', 'is required');
  const name = textOf('name', raw.name);
  const action = parseAction(raw, '', false);
  checkService(action, services, '');
  return {
    name,
    sw: raw.sw === undefined ? 'all' : switchOf('sw', raw.sw),
    priority: raw.priority === undefined ? DEFAULT_POLICY_PRIORITY : uintOf('priority', raw.priority, 0xffff),
    match: checkMatch(parseMatch(raw, ''), action.kind === 'service', ''),
    action,
  };
}

/** What a path installs on each hop: a policy without the keys the path fills in (sw, ips, ports, name). */
export interface PolicyTemplate {
  priority: number;
  match: PolicyMatch;
  action: PolicyAction;
}

export function parseTemplate(
  body: unknown,
  services: (name: string) => Service | undefined,
  prefix = 'policy.',
): PolicyTemplate {
  const raw = objectOf(prefix.slice(0, -1), body);
  rejectUnknown(raw, POLICY_KEYS, prefix);
  for (const k of PATH_FILLED_KEYS) {
    if (raw[k] !== undefined) throw new QosError(prefix + k, 'is set by the path for each hop; leave it out');
  }
  delete raw['policy-id'];
  const action = parseAction(raw, prefix, true);
  checkService(action, services, prefix);
  return {
    priority:
      raw.priority === undefined
        ? DEFAULT_POLICY_PRIORITY
        : uintOf(prefix + 'priority', raw.priority, 0xffff),
    match: checkMatch(parseMatch(raw, prefix), action.kind === 'service', prefix),
    action,
  };
}

function checkService(
  a: PolicyAction,
  services: (name: string) => Service | undefined,
  prefix: string,
): void {
  if (a.kind === 'service' && !services(a.service)) {
    throw new NotFoundError(prefix + 'service', `no service named '${a.service}' (add it first)`);
  }
}

/** The policy (or template) in the keys it was given with; what the store keeps and /api/v1 lists. */
export function policyToJson(
  p: Omit<Policy, 'id' | 'name' | 'sw'> & Partial<Policy>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.id !== undefined) out['policy-id'] = p.id;
  if (p.name !== undefined) out.name = p.name;
  if (p.sw !== undefined) out.sw = typeof p.sw === 'bigint' ? formatDpid(p.sw) : p.sw;
  out.priority = p.priority;
  const m = p.match;
  if (m.ethType !== undefined) out['eth-type'] = `0x${m.ethType.toString(16).padStart(4, '0')}`;
  if (m.protocol !== undefined) out.protocol = m.protocol;
  if (m.ingressPort !== undefined) out['ingress-port'] = m.ingressPort;
  if (m.ipSrc !== undefined) out['ip-src'] = m.ipSrc;
  if (m.ipDst !== undefined) out['ip-dst'] = m.ipDst;
  if (m.tos !== undefined) out.tos = m.tos;
  if (m.vlanId !== undefined) out['vlan-id'] = m.vlanId;
  if (m.ethSrc !== undefined) out['eth-src'] = m.ethSrc;
  if (m.ethDst !== undefined) out['eth-dst'] = m.ethDst;
  if (m.srcPort !== undefined) out['src-port'] = m.srcPort;
  if (m.dstPort !== undefined) out['dst-port'] = m.dstPort;
  const a = p.action;
  if (a.kind === 'queue') {
    out.queue = a.queue;
    if (a.enqueuePort !== undefined) out['enqueue-port'] = a.enqueuePort;
  } else if (a.kind === 'service') out.service = a.service;
  else {
    out['rate-kbps'] = a.rateKbps;
    if (a.burstKb !== undefined) out['burst-kb'] = a.burstKb;
  }
  if (a.kind !== 'queue' && a.outPort !== undefined) out['out-port'] = a.outPort;
  return out;
}

/** A stored policy (policyToJson of it) read back; services are not checked (they may come later). */
export function parseStoredPolicy(v: unknown): Policy {
  const raw = objectOf('policy', v);
  const id = uintOf('policy-id', raw['policy-id'], MAX_ID, 1);
  return { id, ...parsePolicyBody(raw, () => BEST_EFFORT as Service) };
}

const ipToJavaInt = (ip: string | undefined) => (ip === undefined ? -1 : ipv4TextToNum(ip)! | 0);

/**
 * Floodlight's listing of a policy (Jackson's view of its QoSPolicy: -1 for unset numbers, IPv4 as a signed
 * 32-bit integer, null service), plus Sluice's rate keys when set.
 */
export function policyToFloodlight(p: Policy): Record<string, unknown> {
  const m = p.match;
  const a = p.action;
  const out: Record<string, unknown> = {
    policyid: p.id,
    name: p.name,
    ethtype: m.ethType ?? -1,
    protocol: m.protocol ?? -1,
    ingressport: m.ingressPort ?? -1,
    ipdst: ipToJavaInt(m.ipDst),
    ipsrc: ipToJavaInt(m.ipSrc),
    tos: m.tos ?? -1,
    vlanid: m.vlanId ?? -1,
    ethsrc: m.ethSrc ?? null,
    ethdst: m.ethDst ?? null,
    tcpudpsrcport: m.srcPort ?? -1,
    tcpudpdstport: m.dstPort ?? -1,
    sw: typeof p.sw === 'bigint' ? formatDpid(p.sw) : p.sw,
    queue: a.kind === 'queue' ? a.queue : -1,
    enqueueport: a.kind === 'queue' ? (a.enqueuePort ?? -1) : -1,
    service: a.kind === 'service' ? a.service : null,
    priority: p.priority,
  };
  if (a.kind === 'rate') {
    out['rate-kbps'] = a.rateKbps;
    if (a.burstKb !== undefined) out['burst-kb'] = a.burstKb;
  }
  if (a.kind !== 'queue' && a.outPort !== undefined) out['out-port'] = a.outPort;
  return out;
}

// ------------------------------------------------------------------------------------------ paths

export interface QosPath {
  id: number;
  name: string;
  srcIp: string;
  dstIp: string;
  template: PolicyTemplate;
}

const PATH_KEYS = ['name', 'src-ip', 'dst-ip', 'policy', 'path-id'] as const;

export function parsePathBody(
  body: unknown,
  services: (name: string) => Service | undefined,
): Omit<QosPath, 'id'> {
  const raw = objectOf('body', body);
  rejectUnknown(raw, PATH_KEYS, '');
  for (const k of ['name', 'src-ip', 'dst-ip', 'policy'] as const) {
    if (raw[k] === undefined) throw new QosError(k, 'is required');
  }
  const srcIp = ipv4Of('src-ip', raw['src-ip']);
  const dstIp = ipv4Of('dst-ip', raw['dst-ip']);
  if (srcIp === dstIp) throw new QosError('dst-ip', 'must differ from src-ip');
  return { name: textOf('name', raw.name), srcIp, dstIp, template: parseTemplate(raw.policy, services) };
}

export function pathToJson(p: QosPath): Record<string, unknown> {
  return {
    'path-id': p.id,
    name: p.name,
    'src-ip': p.srcIp,
    'dst-ip': p.dstIp,
    policy: policyToJson(p.template),
  };
}

export function parseStoredPath(v: unknown): QosPath {
  const raw = objectOf('path', v);
  const id = uintOf('path-id', raw['path-id'], MAX_ID, 1);
  return { id, ...parsePathBody(raw, () => BEST_EFFORT as Service) };
}
