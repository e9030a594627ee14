/** /api/v1's app views: static flows, firewall, ACL and QoS (their route files format them). */
import { Type, type TSchema } from '@sinclair/typebox';
import { DPID_DESCRIPTION, inFormatterOrder, Int, Num, OpenAs } from './common.js';

export const StaticFlow = Type.Object({
  name: Type.String(),
  switch: Type.String({ description: DPID_DESCRIPTION }),
  state: Type.Union([
    Type.Literal('installed'),
    Type.Literal('missing'),
    Type.Literal('inactive'),
    Type.Literal('switch_not_connected'),
  ]),
  entry: Type.Record(Type.String(), Type.String(), {
    description: 'the stored entry in canonical Floodlight form (string values)',
  }),
  packetCount: Int(),
  byteCount: Int(),
  durationSec: Num('seconds the switch has had the flow (0 when it has not)'),
  text: Type.String({ description: 'the flow in ovs-ofctl dump-flows syntax' }),
});

export const StaticFlowAdded = Type.Object({
  name: Type.String(),
  pushed: Type.Boolean({ description: 'the switch was connected and acknowledged it' }),
  replaced: Type.Boolean(),
});
export const StaticFlowsAdded = Type.Object({ added: Type.Array(StaticFlowAdded) });

export const DeletedName = Type.Object({ deleted: Type.String({ description: 'the name deleted' }) });
export const DeletedCount = Type.Object({ deleted: Int('how many were deleted') });
export const DeletedId = Type.Object({ deleted: Int('the rule id deleted') });
export const Deleted = <T extends TSchema>(what: T) => Type.Object({ deleted: what });

export const FirewallStatus = Type.Object({
  enabled: Type.Boolean(),
  subnetMask: Type.String({ description: 'what counts as an IPv4 broadcast' }),
  rules: Int('how many rules there are'),
});

const RuleText = (description?: string) => Type.Optional(Type.String(description ? { description } : {}));
const Always = (description: string) => Type.String({ description });
const RuleAction = Type.Union([Type.Literal('allow'), Type.Literal('deny')], {
  description: 'always present',
});

/** Canonical rules (src/apps/firewall/rule.ts ruleToJson, then cookieTag): absent keys match anything. */
export const FirewallRule = inFormatterOrder(
  Type.Object({
    ruleid: Always('always present'),
    switchid: RuleText('a DPID'),
    'src-inport': RuleText(),
    'src-mac': RuleText(),
    'dst-mac': RuleText(),
    'dl-type': RuleText('ARP, IPv4 or 0xNNNN'),
    'src-ip': RuleText('A.B.C.D/M'),
    'dst-ip': RuleText('A.B.C.D/M'),
    'nw-proto': RuleText('TCP, UDP, ICMP or a number'),
    'tp-src': RuleText(),
    'tp-dst': RuleText(),
    priority: Always('always present; 0 is evaluated first'),
    action: RuleAction,
    cookieTag: Always('always present: low cookie bits (hex) of the flows this rule caused'),
  }),
);

/** Canonical ACL rules (src/apps/acl/rule.ts). */
export const AclRule = inFormatterOrder(
  Type.Object({
    ruleid: Always('always present'),
    'src-ip': RuleText('A.B.C.D/M'),
    'dst-ip': RuleText('A.B.C.D/M'),
    'nw-proto': RuleText('TCP, UDP, ICMP or a number'),
    'tp-dst': RuleText(),
    action: RuleAction,
  }),
);

export const QosStatus = Type.Object({
  enabled: Type.Boolean(),
  services: Int(),
  policies: Int(),
  paths: Int(),
});
export const QosEnabled = Type.Object({ enabled: Type.Boolean() });
export const QosService = Type.Object({
  sid: Int(),
  name: Type.String(),
  tos: Int('the ToS byte (DSCP << 2)'),
});

/*
 * QoS policies, paths and port queues stay open on the wire (the module's keys, and OVSDB's, pass through as
 * they are); their static types are declared here, beside the schemas, for want of closed ones.
 */

export interface QosPlacement {
  switch: string;
  'out-port'?: number;
  problem?: { field: string; reason: string };
}

/** A policy in the module's keys (policy-id, name, sw, priority, eth-type, ..., queue | service | rate-kbps). */
export type QosPolicyShape = Record<string, unknown> & {
  'policy-id': number;
  name: string;
  sw: string;
  priority: number;
  placements: QosPlacement[];
};

export interface QosPathShape {
  path: {
    'path-id': number;
    name: string;
    'src-ip': string;
    'dst-ip': string;
    policy: Record<string, unknown>;
  };
  state: 'active' | 'waiting';
  reason?: string;
  hops: { switch: string; 'in-port': number; 'out-port': number }[];
}

export interface QosQueue {
  'min-rate'?: number;
  'max-rate'?: number;
  burst?: number;
  priority?: number;
}

/** Rates in bit/s. */
export interface QosPortQueuesShape {
  port: string;
  type?: string;
  'max-rate': number;
  queues: Record<string, QosQueue>;
}

export const QosPolicy = OpenAs<QosPolicyShape>(
  'a policy in the module keys (policy-id, name, sw, priority, eth-type..., queue | service | rate-kbps) ' +
    'and placements [{switch, out-port?, problem?}]',
);
export const QosPath = OpenAs<QosPathShape>(
  '{path: {path-id, name, src-ip, dst-ip, policy}, state: active | waiting, reason?, hops: ' +
    '[{switch, in-port, out-port}]}',
);
export const QosPortQueues = OpenAs<QosPortQueuesShape>(
  '{port, type, max-rate, queues: {id: {min-rate, max-rate, burst, priority}}}; rates in bit/s',
);
export const QosQueuesSet = Type.Object({ changed: Type.Boolean(), queues: QosPortQueues });
export const QosQueuesCleared = Type.Object({ port: Type.String(), cleared: Type.Boolean() });
