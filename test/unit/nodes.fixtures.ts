/** Node descriptions, a registration and a runtime for the nodes tests. */
import { NO_RUNTIME, type TransportRuntime } from '../../src/apps/nodes/index.js';
import type { NodeDescription, TransportNodeRegistration } from '../../src/schema/index.js';

export const hv1: Extract<NodeDescription, { type: 'hypervisor' }> = {
  type: 'hypervisor',
  name: 'hv1',
  management_address: '10.0.0.1',
  transport_zone: 'tz1',
  data_interface: 'eth1',
};
export const gw1: NodeDescription = {
  type: 'gateway',
  name: 'gw1',
  management_address: '10.0.0.2',
  transport_zone: 'tz2',
  mgmt_rendezvous_client: true,
};
export const hv1Registration: TransportNodeRegistration = {
  type: 'hypervisor',
  transport_zone: 'tz1',
  management_address: '10.0.0.1',
  system_id: 'c0ffee00-0000-4000-8000-000000000001',
  integration_bridge: 'br-int',
  data_interface: 'eth1',
  data_bridge: 'br-eth1',
  certificate_fingerprint: 'AA:BB',
};

/** A runtime where the named nodes are connected (both connections). */
export function runtimeWith(connected: readonly string[]): TransportRuntime {
  const up = (n: string) => connected.includes(n);
  return {
    ...NO_RUNTIME,
    ovsdb: (n) => (up(n) ? { connected: true, since: '2026-12-06T05:00:00.000Z' } : { connected: false }),
    openflow: (n) => (up(n) ? { connected: true, dpid: '00:00:00:00:00:00:00:01' } : { connected: false }),
  };
}
