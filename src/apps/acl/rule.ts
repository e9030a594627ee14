/**
 * ACL rules (Floodlight's ACL module): src-ip, dst-ip (IPv4 prefixes), nw-proto, tp-dst, action.
 * Kept from Floodlight: either src-ip or dst-ip is required; action defaults to deny; a rule added earlier
 * takes precedence over a later one. Done better: UDP is protocol 17 (Floodlight stored 11), `action` is
 * read (Floodlight compared strings by identity and always denied), and tp-dst needs nw-proto TCP or UDP
 * whatever the key order.
 */
import {
  PROTO_TCP,
  PROTO_UDP,
  RuleError,
  bodyFields,
  parseAction,
  parseIntIn,
  parsePrefix,
  parseProto,
  prefixText,
  protoText,
  type FirewallAction,
  type Prefix,
} from '../firewall/index.js';

/** Rule ids are 1..MAX_ACL_ID: the id also sets the flow priority (earlier rules higher). */
export const MAX_ACL_ID = 30_000;

export interface AclRule {
  id: number;
  srcIp?: Prefix;
  dstIp?: Prefix;
  nwProto?: number;
  tpDst?: number;
  action: FirewallAction;
}

export type AclRuleInput = Omit<AclRule, 'id'> & { id?: number };

export const ACL_KEYS = ['ruleid', 'src-ip', 'dst-ip', 'nw-proto', 'tp-dst', 'action'] as const;
const KNOWN = new Set<string>(ACL_KEYS);

export function parseAclRule(body: unknown): AclRuleInput {
  const f = bodyFields(body, KNOWN, 'ACL rule');
  const rule: AclRuleInput = { action: 'deny' };
  let text: string | undefined;
  if ((text = f.get('ruleid')) !== undefined) rule.id = parseIntIn('ruleid', text, 1, MAX_ACL_ID);
  if ((text = f.get('src-ip')) !== undefined) rule.srcIp = parsePrefix('src-ip', text);
  if ((text = f.get('dst-ip')) !== undefined) rule.dstIp = parsePrefix('dst-ip', text);
  if ((text = f.get('nw-proto')) !== undefined) rule.nwProto = parseProto('nw-proto', text);
  if ((text = f.get('tp-dst')) !== undefined) rule.tpDst = parseIntIn('tp-dst', text, 0, 0xffff);
  if ((text = f.get('action')) !== undefined) rule.action = parseAction('action', text);
  if (rule.srcIp === undefined && rule.dstIp === undefined) {
    throw new RuleError('src-ip', 'either src-ip or dst-ip is required');
  }
  if (rule.tpDst !== undefined && rule.nwProto !== PROTO_TCP && rule.nwProto !== PROTO_UDP) {
    throw new RuleError('tp-dst', 'needs nw-proto TCP or UDP');
  }
  return rule;
}

/** Canonical JSON (POST keys, string values) for the store and listings. */
export function aclRuleToJson(r: AclRule): Record<string, string> {
  const out: Record<string, string> = { ruleid: String(r.id) };
  if (r.srcIp) out['src-ip'] = prefixText(r.srcIp);
  if (r.dstIp) out['dst-ip'] = prefixText(r.dstIp);
  if (r.nwProto !== undefined) out['nw-proto'] = protoText(r.nwProto);
  if (r.tpDst !== undefined) out['tp-dst'] = String(r.tpDst);
  out.action = r.action;
  return out;
}

/** Same match (Floodlight refused a rule that "matches an existing rule"), whatever the action. */
export function sameAclMatch(a: AclRuleInput, b: AclRuleInput): boolean {
  const key = (r: AclRuleInput) => {
    const j = aclRuleToJson({ ...r, id: 0 });
    return `${j['src-ip']}|${j['dst-ip']}|${j['nw-proto']}|${j['tp-dst']}`;
  };
  return key(a) === key(b);
}
