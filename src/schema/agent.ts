/** Container networks: the agent's API, and the controller's read-only view of the same store. */
import { Type } from '@sinclair/typebox';
import { Int } from './common.js';

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
