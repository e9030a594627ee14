/**
 * Response schemas of /api/v1, and of the Floodlight paths that carry 0.9 keys (they document /openapi.json and drive Fastify's serializer).
 *
 * Fastify serializes with these (fast-json-stringify): properties a schema does not list are dropped, values
 * are coerced to the listed type, and listed properties come out in the schema's order. So each schema lists
 * the properties of its formatter (src/api/format/v1.ts, the route files) in the formatter's order, numbers
 * that can be fractional are `number` (an `integer` would be truncated), and objects whose keys belong to an
 * app or to the switch (stats bodies, match fields, QoS policies) stay open. test/unit/api.responses.test.ts
 * proves every GET answers the same bytes with and without them.
 */
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import { API_ERROR_CODES, type ApiErrorCode } from './errors.js';
import { DPID_DESCRIPTION } from './schemas.js';

const Int = (description?: string) => Type.Integer(description ? { description } : {});
const Num = (description: string) => Type.Number({ description });
const Dpid = Type.String({ description: 'datapath id, 00:00:00:00:00:00:00:01' });
/** An object with any keys; `additionalProperties: true` makes the serializer keep them all, in order. */
const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

/** The API's one error shape (every 4xx/5xx). */
export const ErrorBody = Type.Object(
  {
    error: Type.Unsafe<ApiErrorCode>({
      type: 'string',
      enum: [...API_ERROR_CODES],
      description: 'stable code (docs/contracts.md, Errors); clients may switch on it',
    }),
    detail: Type.String({ description: 'what went wrong, naming the field and the reason' }),
    field: Type.Optional(Type.String({ description: 'the request field at fault (match.in_port, dpid...)' })),
  },
  { description: 'An error' },
);

/** A route's `response` schemas: `ok` for its success status, ErrorBody for every 4xx and 5xx. */
export function replies(ok: TSchema, status = 200): Record<string, TSchema> {
  return { [status]: ok, '4xx': ErrorBody, '5xx': ErrorBody };
}

export const Health = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  uptimeSec: Int('seconds since the controller started'),
  switches: Int('connected switches'),
});

const SwitchProps = {
  dpid: Dpid,
  address: Type.String({ description: 'host:port of the OpenFlow connection' }),
  connectedSince: Type.String({ format: 'date-time' }),
  openflowVersion: Type.Union([Type.Literal('1.0'), Type.Literal('1.3')]),
  manufacturer: Type.String(),
  hardware: Type.String(),
  software: Type.String(),
  serialNumber: Type.String(),
  description: Type.String(),
  tables: Int(),
  buffers: Int(),
  capabilities: Int('OFPC_* bits'),
  portCount: Int(),
} satisfies TProperties;
export const Switch = Type.Object(SwitchProps);

const PortProps = {
  port: Int('OpenFlow port number'),
  portName: Type.String({ description: 'the number, or LOCAL, CONTROLLER... for reserved ports' }),
  name: Type.String(),
  hwAddr: Type.String(),
  adminUp: Type.Boolean(),
  linkUp: Type.Boolean(),
  config: Int('OFPPC_* bits'),
  state: Int('OFPPS_* bits'),
  currSpeedKbps: Int(),
  maxSpeedKbps: Int(),
} satisfies TProperties;
export const Port = Type.Object(PortProps);

export const SwitchDetail = Type.Object({ ...SwitchProps, ports: Type.Array(Port) });

export const PortCounters = Type.Object(
  {
    rxPackets: Int(),
    txPackets: Int(),
    rxBytes: Int(),
    txBytes: Int(),
    rxDropped: Int(),
    txDropped: Int(),
    rxErrors: Int(),
    txErrors: Int(),
    durationSec: Int(),
  },
  { nullable: true, description: 'live counters; null when the switch reported none for the port' },
);
export const PortWithStats = Type.Object({ ...PortProps, stats: PortCounters });

export const Flow = Type.Object({
  tableId: Int(),
  priority: Int(),
  cookie: Type.String({ description: 'hex, e.g. 0x2000000000000001 (64 bits, kept exact)' }),
  packetCount: Int(),
  byteCount: Int(),
  durationSec: Num('seconds, with the nanoseconds as a fraction'),
  idleTimeout: Int(),
  hardTimeout: Int(),
  flags: Int('OFPFF_* bits'),
  match: Open('match fields (in_port, eth_type, ipv4_dst...): numbers, or text for addresses and masks'),
  instructions: Type.Array(
    Type.Unknown({ description: 'an instruction (or OpenFlow 1.0 action) as decoded' }),
  ),
  text: Type.String({ description: 'the flow in ovs-ofctl dump-flows syntax' }),
});

export const StatsBody = Open(
  'the reply body: kind plus its fields (flows, ports, tables, queues, groups, meters, desc...); 64-bit ' +
    'counters are numbers when exact, else decimal strings',
);

const PortRef = Type.Object({ dpid: Dpid, port: Int() });

export const Link = Type.Object({
  src: PortRef,
  dst: PortRef,
  type: Type.Union([Type.Literal('internal'), Type.Literal('external')]),
  direction: Type.Union([Type.Literal('bidirectional'), Type.Literal('unidirectional')]),
  latencyMs: Num('LLDP round trip estimate'),
});

export const Host = Type.Object({
  mac: Type.String(),
  ipv4: Type.Array(Type.String()),
  ipv6: Type.Array(Type.String()),
  vlan: Type.Array(Int(), { description: 'VLAN ids the host was seen on (0 = untagged)' }),
  attachmentPoints: Type.Array(PortRef),
  lastSeen: Type.String({ format: 'date-time' }),
});

export const Route = Type.Object({
  src: PortRef,
  dst: PortRef,
  hops: Type.Array(Type.Object({ dpid: Dpid, inPort: Int(), outPort: Int() }), {
    description: 'one entry per switch on the path',
  }),
});

export const StaticFlow = Type.Object({
  name: Type.String(),
  switch: Type.String({ description: DPID_DESCRIPTION }),
  state: Type.Union(['installed', 'missing', 'inactive', 'switch_not_connected'].map((s) => Type.Literal(s))),
  entry: Type.Record(Type.String(), Type.String(), {
    description: 'the stored entry in canonical Floodlight form (string values)',
  }),
  packetCount: Int(),
  byteCount: Int(),
  durationSec: Num('seconds the switch has had the flow (0 when it has not)'),
  text: Type.String({ description: 'the flow in ovs-ofctl dump-flows syntax' }),
});

export const StaticFlowsAdded = Type.Object({
  added: Type.Array(
    Type.Object({
      name: Type.String(),
      pushed: Type.Boolean({ description: 'the switch was connected and acknowledged it' }),
      replaced: Type.Boolean(),
    }),
  ),
});

export const DeletedName = Type.Object({ deleted: Type.String({ description: 'the name deleted' }) });
export const DeletedCount = Type.Object({ deleted: Int('how many were deleted') });
export const DeletedId = Type.Object({ deleted: Int('the rule id deleted') });

export const FirewallStatus = Type.Object({
  enabled: Type.Boolean(),
  subnetMask: Type.String({ description: 'what counts as an IPv4 broadcast' }),
  rules: Int('how many rules there are'),
});

const RuleText = (description?: string) => Type.Optional(Type.String(description ? { description } : {}));
const RuleAction = Type.Optional(
  Type.Union([Type.Literal('allow'), Type.Literal('deny')], { description: 'always present' }),
);

/*
 * Rules list every key as optional although ruleid, priority, action (and cookieTag) are always there: the
 * serializer writes required properties first, which would move them ahead of the match keys.
 */

/** Canonical rules (src/apps/firewall/rule.ts ruleToJson, then cookieTag): absent keys match anything. */
export const FirewallRule = Type.Object({
  ruleid: RuleText('always present'),
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
  priority: RuleText('always present; 0 is evaluated first'),
  action: RuleAction,
  cookieTag: RuleText('always present: low cookie bits (hex) of the flows this rule caused'),
});

/** Canonical ACL rules (src/apps/acl/rule.ts). */
export const AclRule = Type.Object({
  ruleid: RuleText('always present'),
  'src-ip': RuleText('A.B.C.D/M'),
  'dst-ip': RuleText('A.B.C.D/M'),
  'nw-proto': RuleText('TCP, UDP, ICMP or a number'),
  'tp-dst': RuleText(),
  action: RuleAction,
});

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
export const QosPolicy = Open(
  'a policy in the module keys (policy-id, name, sw, priority, eth-type..., queue | service | rate-kbps) ' +
    'and placements [{switch, out-port?, problem?}]',
);
export const QosPath = Open(
  '{path: {path-id, name, src-ip, dst-ip, policy}, state: active | waiting, reason?, hops: ' +
    '[{switch, in-port, out-port}]}',
);
export const QosPortQueues = Open(
  '{port, type, max-rate, queues: {id: {min-rate, max-rate, burst, priority}}}; rates in bit/s',
);
export const QosQueuesSet = Type.Object({ changed: Type.Boolean(), queues: QosPortQueues });
export const QosQueuesCleared = Type.Object({ port: Type.String(), cleared: Type.Boolean() });
export const Deleted = (what: TSchema) => Type.Object({ deleted: what });

/*
 * Floodlight paths. Only those that carry Floodlight 0.9 keys beside 1.2's have a schema (so /openapi.json
 * tells GUIs of both eras what they get); their values keep Floodlight's types.
 */
const OfVersionName = Type.Union([Type.Literal('OF_10'), Type.Literal('OF_13')]);

const Port09 = Type.Object(
  {
    portNumber: Int(
      'a Java short as Floodlight 0.9 wrote it: LOCAL is -2; OpenFlow 1.3 reserved ports become their 1.0 numbers',
    ),
    hardwareAddress: Type.String({ description: 'aa:bb:cc:dd:ee:ff' }),
    name: Type.String(),
    config: Int('OFPPC_* bits'),
    state: Int('OFPPS_* bits'),
    currentFeatures: Int('OFPPF_* bits'),
    advertisedFeatures: Int('OFPPF_* bits'),
    supportedFeatures: Int('OFPPF_* bits'),
    peerFeatures: Int('OFPPF_* bits'),
  },
  { description: "a port in Floodlight 0.9's shape (its OFPhysicalPort serializer)" },
);

export const FloodlightSwitch = Type.Object({
  inetAddress: Type.String({ description: '/host:port of the OpenFlow connection' }),
  connectedSince: Int('milliseconds since the epoch'),
  switchDPID: Dpid,
  openFlowVersion: OfVersionName,
  dpid: Type.String({ description: 'Floodlight 0.9: the same DPID as switchDPID' }),
  ports: Type.Array(Port09, { description: 'Floodlight 0.9: every port of the switch' }),
});

const Text = (description?: string) => Type.String(description ? { description } : {});

/** 1.2's port_desc entry (decimal strings), which features lists for OpenFlow 1.0 switches. */
const PortDesc12 = Type.Object({
  port_number: Text('the number, or LOCAL, CONTROLLER... for reserved ports'),
  hardware_address: Text(),
  name: Text(),
  config: Text(),
  state: Text(),
  current_features: Text(),
  advertised_features: Text(),
  supported_features: Text(),
  peer_features: Text(),
});

const Features = Type.Object({
  capabilities: Text('OFPC_* bits, decimal'),
  dpid: Dpid,
  buffers: Text(),
  tables: Text(),
  version: OfVersionName,
  ports: Type.Array(Port09, { description: 'Floodlight 0.9: every port of the switch' }),
  port_desc: Type.Optional(Type.Array(PortDesc12, { description: 'OpenFlow 1.0 switches only' })),
  actions: Type.Optional(Text('OpenFlow 1.0 switches only: OFPAT_* bits, decimal')),
});

export const FloodlightFeatures = Type.Union([
  Features,
  Type.Record(Type.String(), Features, { description: 'dpid all: one entry per switch, keyed by DPID' }),
]);

// ---- container networks (the agent's API, and the controller's read-only view of the same store)

export const AgentNetwork = Type.Object({
  id: Type.String({ description: 'unique per incarnation (a re-created network gets a new id)' }),
  name: Type.String(),
  subnet: Type.String({ description: 'canonical CIDR, e.g. 10.1.0.0/16' }),
  gateway: Type.String(),
  vni: Int('VXLAN network identifier'),
  mtu: Int('MTU of the endpoints (sized for VXLAN)'),
  labels: Type.Record(Type.String(), Type.String()),
  nat: Type.Boolean({
    description: 'outbound NAT: traffic leaving a host beyond the overlay is masqueraded',
  }),
});

export const AgentEndpoint = Type.Object({
  id: Type.String({ description: 'deterministic: the same container on the same network keeps it' }),
  network: Type.String(),
  networkId: Type.String(),
  vni: Int(),
  host: Type.String({ description: 'the agent host id that plumbs it' }),
  kind: Type.Union([Type.Literal('docker'), Type.Literal('cni'), Type.Literal('plugin')]),
  containerId: Type.String(),
  containerName: Type.Optional(Type.String()),
  ifname: Type.String({ description: 'interface name inside the container' }),
  hostIface: Type.String({ description: 'host-side interface and OVS port' }),
  address: Type.String(),
  cidr: Type.String({ description: 'address/prefix-length' }),
  gateway: Type.String(),
  mac: Type.String(),
  mtu: Int(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const AgentHost = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  underlayIp: Type.String({ description: 'the VTEP address other hosts send VXLAN to' }),
  version: Type.String(),
  bridge: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
});
