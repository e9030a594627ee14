/**
 * Firewall rules: Floodlight's JSON keys in (strings or numbers, any key order), a typed rule out, and back to
 * canonical JSON for the store and listings. Every error names the key at fault.
 *
 * Semantics kept from Floodlight: `action` defaults to allow; src-ip/dst-ip or nw-proto imply dl-type IPv4
 * (src-ip/dst-ip with dl-type ARP match the ARP sender/target address); "" and "ANY" mean "not given";
 * rules are evaluated in ascending `priority` (0 first), the newest first among equal priorities.
 * Done better: tp-src/tp-dst need nw-proto TCP or UDP whatever the key order (Floodlight issue 590), and
 * every bad value is a 400 naming the key instead of a logged, silently dropped field.
 */
import { ETH_TYPE, ipv4NumToText } from '../../packet/index.js';
import * as shared from '../../util/index.js';
import { FieldError, formatDpid, parseDpid, prefixMask, throwingAs, type Prefix } from '../../util/index.js';
import { FIREWALL_RULE_KEYS } from '../../schema/vocab.js';

export { prefixMask, type Prefix };

export type FirewallAction = 'allow' | 'deny';

export interface FirewallRule {
  id: number;
  dpid?: bigint;
  inPort?: number;
  srcMac?: string;
  dstMac?: string;
  /** Given or implied (0x0800 when an IP field or nw-proto is given). */
  dlType?: number;
  srcIp?: Prefix;
  dstIp?: Prefix;
  nwProto?: number;
  tpSrc?: number;
  tpDst?: number;
  priority: number;
  action: FirewallAction;
}

/** A rule as POSTed, before an id is assigned (a `ruleid` in the body is kept when given). */
export type RuleInput = Omit<FirewallRule, 'id'> & { id?: number };

/**
 * Bad firewall or ACL rule input (400), naming the key at fault. No such rule is a NotFoundError (404), a
 * clash with an existing rule a ConflictError (409).
 */
export class RuleError extends FieldError {
  override readonly code = 'SLU_RULE_INVALID';
}
/** The shared parsers, throwing RuleError (the ACL uses these too). */
export const parseIntIn = throwingAs(RuleError)(shared.parseIntIn);
export const parsePrefix = throwingAs(RuleError)(shared.parsePrefix);
const parseMac = throwingAs(RuleError)(shared.parseMac);

/** The wire's rule keys (src/schema): what the app takes is what the API documents and the UI offers. */
export const RULE_KEYS = FIREWALL_RULE_KEYS;
const KNOWN = new Set<string>(RULE_KEYS);

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
const PROTO_BY_NAME: Readonly<Record<string, number>> = { icmp: PROTO_ICMP, tcp: PROTO_TCP, udp: PROTO_UDP };
const PROTO_NAME: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP' };
/** Largest rule id: ids live in the low 32 bits of flow cookies and Floodlight prints them as Java ints. */
export const MAX_RULE_ID = 0x7fff_ffff;
const MAX_PORT_NO = 0xffff_ff00;

/** A JSON scalar as clients send it; null/""/"ANY" count as absent where Floodlight allowed it. */
function scalarText(field: string, raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) throw new RuleError(field, `${raw} is not a finite number`);
    return String(raw);
  }
  if (typeof raw !== 'string') throw new RuleError(field, `must be a string or a number, got ${typeof raw}`);
  const t = raw.trim();
  return t === '' ? undefined : t;
}

export function prefixText(p: Prefix): string {
  return `${ipv4NumToText(p.addr)}/${p.bits}`;
}

export function prefixContains(p: Prefix, addr: number): boolean {
  return (addr & prefixMask(p.bits)) >>> 0 === p.addr;
}

/** TCP/UDP/ICMP by name (any case) or a protocol number 0..255. */
export function parseProto(field: string, text: string): number {
  const named = PROTO_BY_NAME[text.toLowerCase()];
  return named ?? parseIntIn(field, text, 0, 255);
}

export function protoText(proto: number): string {
  return PROTO_NAME[proto] ?? String(proto);
}

/** `allow`/`accept` or `deny`/`drop`, any case (Floodlight's spellings). */
export function parseAction(field: string, text: string): FirewallAction {
  const t = text.toLowerCase();
  if (t === 'allow' || t === 'accept') return 'allow';
  if (t === 'deny' || t === 'drop') return 'deny';
  throw new RuleError(field, `'${text}' is not an action (allow or deny)`);
}

/** The body must be a JSON object whose keys are all in `known`; returns its present values as text. */
export function bodyFields(body: unknown, known: ReadonlySet<string>, what: string): Map<string, string> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RuleError('body', `must be a JSON object (${what})`);
  }
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const key = k.toLowerCase();
    if (!known.has(key)) throw new RuleError(k, `is not a ${what} key (known: ${[...known].join(', ')})`);
    if (out.has(key)) throw new RuleError(k, 'is given twice');
    const text = scalarText(k, v);
    if (text !== undefined) out.set(key, text);
  }
  return out;
}

/** Keys whose "ANY" value means "not given" (Floodlight). */
const ANY_OK = new Set(['src-mac', 'dst-mac', 'src-ip', 'dst-ip']);

/** Validates a POSTed (or stored) rule. A `ruleid` is optional; the app assigns one when absent. */
export function parseRule(body: unknown): RuleInput {
  const f = bodyFields(body, KNOWN, 'firewall rule');
  for (const k of ANY_OK) if (f.get(k)?.toUpperCase() === 'ANY') f.delete(k);
  const rule: RuleInput = { priority: 0, action: 'allow' };
  const get = (k: string) => f.get(k);
  let text: string | undefined;

  if ((text = get('ruleid')) !== undefined) rule.id = parseIntIn('ruleid', text, 1, MAX_RULE_ID);
  if ((text = get('switchid')) !== undefined) {
    const dpid = parseDpid(text);
    if (dpid === undefined) {
      throw new RuleError('switchid', `'${text}' is not a DPID (expected 00:00:00:00:00:00:00:01 or hex)`);
    }
    rule.dpid = dpid;
  }
  if ((text = get('src-inport')) !== undefined) rule.inPort = parseIntIn('src-inport', text, 1, MAX_PORT_NO);
  if ((text = get('src-mac')) !== undefined) rule.srcMac = parseMac('src-mac', text);
  if ((text = get('dst-mac')) !== undefined) rule.dstMac = parseMac('dst-mac', text);
  if ((text = get('dl-type')) !== undefined) {
    rule.dlType = dlTypeOfName(text) ?? parseIntIn('dl-type', text, 0, 0xffff);
  }
  if ((text = get('src-ip')) !== undefined) rule.srcIp = parsePrefix('src-ip', text);
  if ((text = get('dst-ip')) !== undefined) rule.dstIp = parsePrefix('dst-ip', text);
  if ((text = get('nw-proto')) !== undefined) rule.nwProto = parseProto('nw-proto', text);
  if ((text = get('tp-src')) !== undefined) rule.tpSrc = parseIntIn('tp-src', text, 0, 0xffff);
  if ((text = get('tp-dst')) !== undefined) rule.tpDst = parseIntIn('tp-dst', text, 0, 0xffff);
  if ((text = get('priority')) !== undefined) rule.priority = parseIntIn('priority', text, 0, MAX_RULE_ID);
  if ((text = get('action')) !== undefined) rule.action = parseAction('action', text);

  // Prerequisites, checked after every key is read so the key order never matters (Floodlight 590).
  for (const key of ['src-ip', 'dst-ip'] as const) {
    if (!f.has(key)) continue;
    rule.dlType ??= ETH_TYPE.IPV4;
    if (rule.dlType !== ETH_TYPE.IPV4 && rule.dlType !== ETH_TYPE.ARP) {
      throw new RuleError(key, `needs dl-type IPv4 or ARP, not 0x${rule.dlType.toString(16)}`);
    }
  }
  if (rule.nwProto !== undefined) {
    rule.dlType ??= ETH_TYPE.IPV4;
    if (rule.dlType !== ETH_TYPE.IPV4)
      throw new RuleError('nw-proto', 'needs dl-type IPv4 (IP protocols ride on IPv4)');
  }
  for (const key of ['tp-src', 'tp-dst'] as const) {
    if (f.has(key) && rule.nwProto !== PROTO_TCP && rule.nwProto !== PROTO_UDP) {
      throw new RuleError(key, 'needs nw-proto TCP or UDP');
    }
  }
  return rule;
}

const DL_TYPE_NAMES = new Map([
  ['ipv4', ETH_TYPE.IPV4],
  ['arp', ETH_TYPE.ARP],
]);

/** The EtherType a dl-type name stands for (IPv4 or ARP, any case), as parseRule reads and ruleToJson writes. */
export function dlTypeOfName(text: string): number | undefined {
  return DL_TYPE_NAMES.get(text.toLowerCase());
}

function dlTypeText(t: number): string {
  return t === ETH_TYPE.IPV4 ? 'IPv4' : t === ETH_TYPE.ARP ? 'ARP' : `0x${t.toString(16).padStart(4, '0')}`;
}

/** Canonical JSON (POST keys, string values) for the store and listings; parseRule reads it back. */
export function ruleToJson(r: FirewallRule): Record<string, string> {
  const out: Record<string, string> = { ruleid: String(r.id) };
  if (r.dpid !== undefined) out.switchid = formatDpid(r.dpid);
  if (r.inPort !== undefined) out['src-inport'] = String(r.inPort);
  if (r.srcMac !== undefined) out['src-mac'] = r.srcMac;
  if (r.dstMac !== undefined) out['dst-mac'] = r.dstMac;
  if (r.dlType !== undefined) out['dl-type'] = dlTypeText(r.dlType);
  if (r.srcIp !== undefined) out['src-ip'] = prefixText(r.srcIp);
  if (r.dstIp !== undefined) out['dst-ip'] = prefixText(r.dstIp);
  if (r.nwProto !== undefined) out['nw-proto'] = protoText(r.nwProto);
  if (r.tpSrc !== undefined) out['tp-src'] = String(r.tpSrc);
  if (r.tpDst !== undefined) out['tp-dst'] = String(r.tpDst);
  out.priority = String(r.priority);
  out.action = r.action;
  return out;
}

/** Same match and action (Floodlight's "a similar rule already exists"); the id and priority do not count. */
export function sameRule(a: RuleInput, b: RuleInput): boolean {
  const strip = (r: RuleInput) => {
    const j = ruleToJson({ ...r, id: 0 });
    delete j.ruleid;
    delete j.priority;
    return JSON.stringify(Object.entries(j).sort());
  };
  return strip(a) === strip(b);
}
