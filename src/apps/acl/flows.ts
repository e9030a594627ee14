/**
 * ACL rules -> the flows every switch should have (pure; the reconciler pushes them).
 *
 * One table, so precedence is flow priority: rule id n gets ACL_TOP_PRIORITY - n (earlier rules win, and a
 * rule's priority never changes when others come and go). A deny rule is a drop flow. An allow rule only
 * matters where it shadows a later deny rule; there it becomes a flow that sends its packets to the
 * controller, which forwards them one by one (the single-table pipeline has no "continue to the next
 * stage"). Allow rules that shadow no deny rule install nothing, as everything else is allowed anyway.
 * Each flow's cookie is the app's cookie | rule id, so a rule's flow is found by cookie.
 */
import type { FlowSpec } from '../../controller/index.js';
import { OFPP, OFPCML_NO_BUFFER, type Match } from '../../openflow/index.js';
import { ETH_TYPE, ipv4NumToText } from '../../packet/index.js';
import { PROTO_TCP, prefixMask, type Prefix } from '../firewall/index.js';
import type { AclRule } from './rule.js';

export const ACL_TOP_PRIORITY = 40_000;

export function aclPriority(id: number): number {
  return ACL_TOP_PRIORITY - id;
}

export function aclMatch(r: AclRule): Match {
  const m: Match = { eth_type: ETH_TYPE.IPV4 };
  const put = (p: Prefix | undefined, field: 'ipv4_src' | 'ipv4_dst') => {
    if (!p || p.bits === 0) return;
    m[field] = ipv4NumToText(p.addr);
    if (p.bits < 32) m[`${field}_mask`] = ipv4NumToText(prefixMask(p.bits));
  };
  put(r.srcIp, 'ipv4_src');
  put(r.dstIp, 'ipv4_dst');
  if (r.nwProto !== undefined) m.ip_proto = r.nwProto;
  if (r.tpDst !== undefined) m[r.nwProto === PROTO_TCP ? 'tcp_dst' : 'udp_dst'] = r.tpDst;
  return m;
}

function prefixesOverlap(a: Prefix | undefined, b: Prefix | undefined): boolean {
  if (!a || !b) return true;
  const mask = prefixMask(Math.min(a.bits, b.bits));
  return (a.addr & mask) >>> 0 === (b.addr & mask) >>> 0;
}

/** Some packet matches both rules. */
export function rulesOverlap(a: AclRule, b: AclRule): boolean {
  const same = <T>(x: T | undefined, y: T | undefined) => x === undefined || y === undefined || x === y;
  return (
    prefixesOverlap(a.srcIp, b.srcIp) &&
    prefixesOverlap(a.dstIp, b.dstIp) &&
    same(a.nwProto, b.nwProto) &&
    same(a.tpDst, b.tpDst)
  );
}

/** The flows for `rules` (any order), identical on every switch. */
export function aclFlows(rules: readonly AclRule[], appCookie: bigint): FlowSpec[] {
  const byId = [...rules].sort((a, b) => a.id - b.id);
  const flows: FlowSpec[] = [];
  byId.forEach((r, i) => {
    const base = {
      tableId: 0,
      priority: aclPriority(r.id),
      match: aclMatch(r),
      cookie: appCookie | BigInt(r.id),
    };
    if (r.action === 'deny') {
      flows.push({ ...base, instructions: [] });
    } else if (byId.slice(i + 1).some((later) => later.action === 'deny' && rulesOverlap(r, later))) {
      flows.push({
        ...base,
        instructions: [
          {
            type: 'apply_actions',
            actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }],
          },
        ],
      });
    }
  });
  return flows;
}
