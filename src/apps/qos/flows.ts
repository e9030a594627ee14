/**
 * From policies to what switches get, as pure functions: placements (a policy on one switch, with its output
 * port), their FlowSpecs per OpenFlow version and the meters rate policies need.
 *
 * Where the flows go is the pipeline's QoS stage. On OpenFlow 1.3 that is a table of its own between the
 * filter (ACL, firewall) and forwarding: a QoS flow meters, marks or queues and then goes on to forwarding
 * (goto_table), so the firewall's and ACL's decisions still apply and forwarding still picks the port.
 * OpenFlow 1.0 has one table: there a QoS flow sits in the QoS priority band (below the filter band, above
 * forwarding) and carries its own output: a queuing policy outputs to its enqueue-port, a path hop to the
 * hop's out port, and a ToS policy to its out-port or, when none is given, to the port forwarding would pick
 * toward the destination host (ip-dst or eth-dst, as the hosts and topology apps know it). A placement
 * without an output port is not installed there and is reported as such.
 */
import { DEFAULT_PIPELINE, rankIn, type FlowSpec, type Place } from '../../controller/index.js';
import {
  OFPMF,
  OFPP,
  OFP_VERSION_1_0,
  type Action,
  type Instruction,
  type Match,
  type MeterConfigEntry,
  type OfVersion,
} from '../../openflow/index.js';
import { ETH_TYPE } from '../../packet/index.js';
import { formatDpid } from '../../util/index.js';
import {
  MAX_ID,
  QosError,
  type Policy,
  type PolicyAction,
  type PolicyMatch,
  type QosPath,
} from './policy.js';

/** QoS owns meter ids QOS_METER_BASE + 1 .. QOS_METER_BASE + MAX_ID (id = policy-id or path-id). */
export const QOS_METER_BASE = 0x0051_0000;
const OFPVID_PRESENT = 0x1000;

export const meterIdOf = (id: number): number => QOS_METER_BASE + id;
export const ownsMeter = (meterId: number): boolean =>
  meterId > QOS_METER_BASE && meterId <= QOS_METER_BASE + MAX_ID;

/** One policy as it applies on one switch. */
export interface Placement {
  /** policy-id, or path-id for a path hop (one id space: it also names the flow cookie and the meter). */
  id: number;
  /** The policy name, or `<path>.<dpid>` for a path hop (qospath2's naming). */
  name: string;
  dpid: bigint;
  priority: number;
  match: PolicyMatch;
  action: PolicyAction;
  /** The ToS byte of a ToS policy's service. */
  tos?: number;
  /** Where matching packets leave (enqueue-port for queuing policies). */
  outPort?: number;
}

export function policyMatch(m: PolicyMatch): Match {
  const out: Match = {};
  if (m.ingressPort !== undefined) out.in_port = m.ingressPort;
  if (m.ethSrc !== undefined) out.eth_src = m.ethSrc;
  if (m.ethDst !== undefined) out.eth_dst = m.ethDst;
  if (m.ethType !== undefined) out.eth_type = m.ethType;
  if (m.vlanId !== undefined) out.vlan_vid = OFPVID_PRESENT | m.vlanId;
  if (m.tos !== undefined) out.ip_dscp = m.tos >> 2;
  if (m.protocol !== undefined) out.ip_proto = m.protocol;
  if (m.ipSrc !== undefined) out.ipv4_src = m.ipSrc;
  if (m.ipDst !== undefined) out.ipv4_dst = m.ipDst;
  const l4 = m.protocol === 17 ? 'udp' : 'tcp';
  if (m.srcPort !== undefined) out[`${l4}_src`] = m.srcPort;
  if (m.dstPort !== undefined) out[`${l4}_dst`] = m.dstPort;
  return out;
}

/** The flow cookie of a placement: the app's high bits and the policy (or path) id. */
export const placementCookie = (p: Pick<Placement, 'id'>, appCookie: bigint): bigint =>
  appCookie | BigInt(p.id);

/** Output to `port`, or IN_PORT when it is the port the packet came in on (OpenFlow drops it otherwise). */
function outputTo(port: number, m: PolicyMatch): Action {
  return { type: 'output', port: m.ingressPort === port ? OFPP.IN_PORT : port, maxLen: 0 };
}

/**
 * The FlowSpec of a placement on a switch of `version`, in the pipeline's QoS stage (`place`). Throws
 * QosError naming the key when the switch cannot carry it (rate-kbps on OpenFlow 1.0) or, on OpenFlow 1.0,
 * the placement has no output port (out-port).
 */
export function placementFlow(
  p: Placement,
  version: OfVersion,
  appCookie: bigint,
  place: Place = DEFAULT_PIPELINE.place('qos', 'policies', version),
): FlowSpec {
  const a = p.action;
  const base = {
    tableId: place.tableId,
    priority: rankIn(place, p.priority),
    match: policyMatch(p.match),
    cookie: placementCookie(p, appCookie),
  };
  if (place.next !== undefined) return { ...base, instructions: markThenGo(p, place.next) };
  const port = a.kind === 'queue' ? (a.enqueuePort ?? p.outPort) : p.outPort;
  if (port === undefined) {
    throw new QosError(
      'out-port',
      `no output port on ${formatDpid(p.dpid)}: give out-port, or ip-dst/eth-dst of a known host`,
    );
  }
  const out = outputTo(port, p.match);
  let instructions: Instruction[];
  if (a.kind === 'queue') {
    const enqueuePort = out.type === 'output' ? out.port : port;
    instructions = [
      {
        type: 'apply_actions',
        actions:
          version === OFP_VERSION_1_0
            ? [{ type: 'enqueue', port: enqueuePort, queueId: a.queue }]
            : [{ type: 'set_queue', queueId: a.queue }, out],
      },
    ];
  } else if (a.kind === 'service') {
    instructions = [
      {
        type: 'apply_actions',
        actions: [{ type: 'set_field', field: 'ip_dscp', value: (p.tos ?? 0) >> 2 }, out],
      },
    ];
  } else {
    if (version === OFP_VERSION_1_0) {
      throw new QosError(
        'rate-kbps',
        `switch ${formatDpid(p.dpid)} speaks OpenFlow 1.0, which has no meters; rate policies need OpenFlow 1.3`,
      );
    }
    instructions = [
      { type: 'meter', meterId: meterIdOf(p.id) },
      { type: 'apply_actions', actions: [out] },
    ];
  }
  return { ...base, instructions };
}

/** OpenFlow 1.3: meter, mark or queue, then on to the next stage (forwarding picks the port). */
function markThenGo(p: Placement, next: number): Instruction[] {
  const a = p.action;
  const go: Instruction = { type: 'goto_table', tableId: next };
  if (a.kind === 'queue')
    return [{ type: 'apply_actions', actions: [{ type: 'set_queue', queueId: a.queue }] }, go];
  if (a.kind === 'service') {
    return [
      { type: 'apply_actions', actions: [{ type: 'set_field', field: 'ip_dscp', value: (p.tos ?? 0) >> 2 }] },
      go,
    ];
  }
  return [{ type: 'meter', meterId: meterIdOf(p.id) }, go];
}

/** The meter a rate placement needs (kbps, one drop band, burst when given); undefined for other kinds. */
export function placementMeter(p: Placement): MeterConfigEntry | undefined {
  const a = p.action;
  if (a.kind !== 'rate') return undefined;
  return {
    meterId: meterIdOf(p.id),
    flags: OFPMF.KBPS | OFPMF.STATS | (a.burstKb !== undefined ? OFPMF.BURST : 0),
    bands: [{ type: 'drop', rate: a.rateKbps, burstSize: a.burstKb ?? 0 }],
  };
}

/** A hop of a route: the switch, where the traffic enters and where it leaves. */
export interface RouteHop {
  dpid: bigint;
  inPort: number;
  outPort: number;
}

/** qospath2: the path's policy on every hop, matching src and dst IPs, out of that hop's own port. */
export function pathPlacements(path: QosPath, hops: readonly RouteHop[], tos?: number): Placement[] {
  return hops.map((h) => ({
    id: path.id,
    name: `${path.name}.${formatDpid(h.dpid)}`,
    dpid: h.dpid,
    priority: path.template.priority,
    match: { ...path.template.match, ethType: ETH_TYPE.IPV4, ipSrc: path.srcIp, ipDst: path.dstIp },
    action: path.template.action,
    ...(tos !== undefined ? { tos } : {}),
    outPort: h.outPort,
  }));
}

/** Does a policy apply to this switch? (`none`: stored only.) */
export function appliesTo(p: Pick<Policy, 'sw'>, dpid: bigint): boolean {
  return p.sw === 'all' || p.sw === dpid;
}
