/** /api/v1's controller views: health, switches, ports, flows, links, hosts, routes (src/api/format/v1.ts). */
import { Type, type TProperties } from '@sinclair/typebox';
import { Dpid, Int, Nullable, Num, Open, OpenAs } from './common.js';

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

export const PortCounters = Nullable(
  Type.Object(
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
    { description: 'live counters; null when the switch reported none for the port' },
  ),
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
  match: OpenAs<Record<string, string | number>>(
    'match fields (in_port, eth_type, ipv4_dst...): numbers, or text for addresses and masks',
  ),
  instructions: Type.Array(
    Type.Unknown({ description: 'an instruction (or OpenFlow 1.0 action) as decoded' }),
  ),
  text: Type.String({ description: 'the flow in ovs-ofctl dump-flows syntax' }),
});

export const StatsBody = Open(
  'the reply body: kind plus its fields (flows, ports, tables, queues, groups, meters, desc...); 64-bit ' +
    'counters are numbers when exact, else decimal strings',
);

export const PortRef = Type.Object({ dpid: Dpid, port: Int() });

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

export const HostsPerSwitch = Type.Array(
  Type.Object({ dpid: Dpid, hosts: Int('hosts attached to this switch') }),
  { description: 'switches with at least one host, by DPID' },
);

export const Route = Type.Object({
  src: PortRef,
  dst: PortRef,
  hops: Type.Array(Type.Object({ dpid: Dpid, inPort: Int(), outPort: Int() }), {
    description: 'one entry per switch on the path',
  }),
});
