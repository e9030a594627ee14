/** Floodlight paths whose replies carry Floodlight 0.9 keys beside 1.2's (src/api/format/floodlight.ts). */
import { Type } from '@sinclair/typebox';
import { Dpid, Int, Text } from './common.js';

/*
 * Floodlight paths. Only those that carry Floodlight 0.9 keys beside 1.2's have a schema (so /openapi.json
 * tells GUIs of both eras what they get); their values keep Floodlight's types.
 */
const OfVersionName = Type.Union([Type.Literal('OF_10'), Type.Literal('OF_13')]);

export const Port09 = Type.Object(
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
