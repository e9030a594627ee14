/**
 * ACL rules -> the flows every switch should have (pure; the reconciler pushes them).
 *
 * The flows sit in the pipeline's filter stage (ahead of QoS and forwarding); precedence among rules is
 * flow priority: rule id n gets the band's top + 1 - n (earlier rules win, and a rule's priority never
 * changes when others come and go). A deny rule is a drop flow. An allow rule only matters where it shadows
 * a later deny rule; there it becomes a flow that passes its packets on to the next stage (OpenFlow 1.3:
 * goto_table) or, in OpenFlow 1.0's single table, which has no "continue to the next stage", sends them to
 * the controller, which forwards them one by one. Allow rules that shadow no deny rule install nothing, as
 * everything else is allowed anyway.
 * Each flow's cookie is the app's cookie | rule id, so a rule's flow is found by cookie.
 */
import type { FlowSpec, Place } from '../../controller/index.js';
import { OFPP, OFPCML_NO_BUFFER, type Instruction, type Match } from '../../openflow/index.js';
import { ETH_TYPE } from '../../packet/index.js';
import { PROTO_TCP, prefixesOverlap, putPrefixes } from '../firewall/index.js';
import type { AclRule } from './rule.js';

/** Rule `id`'s priority in the ACL's band. */
export function aclPriority(place: Place, id: number): number {
  return place.high + 1 - id;
}

export function aclMatch(r: AclRule): Match {
  const m = putPrefixes({ eth_type: ETH_TYPE.IPV4 }, r.srcIp, r.dstIp);
  if (r.nwProto !== undefined) m.ip_proto = r.nwProto;
  if (r.tpDst !== undefined) m[r.nwProto === PROTO_TCP ? 'tcp_dst' : 'udp_dst'] = r.tpDst;
  return m;
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

const TO_CONTROLLER: Instruction[] = [
  { type: 'apply_actions', actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }] },
];

/** The flows for `rules` (any order), identical on every switch of one version (`place`: the ACL band). */
export function aclFlows(rules: readonly AclRule[], appCookie: bigint, place: Place): FlowSpec[] {
  const byId = [...rules].sort((a, b) => a.id - b.id);
  const flows: FlowSpec[] = [];
  byId.forEach((r, i) => {
    const base = {
      tableId: place.tableId,
      priority: aclPriority(place, r.id),
      match: aclMatch(r),
      cookie: appCookie | BigInt(r.id),
    };
    if (r.action === 'deny') {
      flows.push({ ...base, instructions: [] });
    } else if (byId.slice(i + 1).some((later) => later.action === 'deny' && rulesOverlap(r, later))) {
      const next = place.next;
      flows.push({
        ...base,
        instructions: next === undefined ? TO_CONTROLLER : [{ type: 'goto_table', tableId: next }],
      });
    }
  });
  return flows;
}
