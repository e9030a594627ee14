/** Node descriptions, a registration and a runtime for the nodes tests. */
import type { AddressInfo } from 'node:net';
import { createApiServer } from '../../src/api/index.js';
import { nodesRoutes } from '../../src/api/routes/nodes.js';
import { NodeRegistry, NO_RUNTIME, type TransportRuntime } from '../../src/apps/nodes/index.js';
import { controllerIdentity } from '../../src/daemon/nodes.js';
import type { Store } from '../../src/store/index.js';
import { fakeDeps } from './api.fakes.js';
import { tempStore } from './apps.testctx.js';
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

export const hv1Stats = {
  node: 'hv1',
  interface: 'eth1',
  sampled: '2026-12-06T05:00:00.000Z',
  statistics: { rx_packets: 10, tx_packets: 12, rx_bytes: 1000, tx_bytes: 1400 },
};

/** hv1 connected, with interfaces br-int and eth1 (eth1 with statistics); every other node down. */
export const hv1Runtime: TransportRuntime = {
  ...runtimeWith(['hv1']),
  interfaces: (n) => (n === 'hv1' ? ['br-int', 'eth1'] : []),
  interfaceStatistics: (n, i) => (n === 'hv1' && i === 'eth1' ? hv1Stats : undefined),
};

/**
 * An API server with the nodes routes over a fresh embedded store (or `opts.store`) and hv1Runtime; this
 * controller is ctl1. `responseSchemas: false` serves the same replies without their schemas.
 */
export async function nodesApi(opts: { store?: Store; responseSchemas?: boolean } = {}) {
  const store = opts.store ?? tempStore('sluice-nodesapi-');
  const api = await createApiServer({
    ...fakeDeps(),
    ...(opts.responseSchemas === false ? { responseSchemas: false } : {}),
    routes: [
      nodesRoutes({
        registry: new NodeRegistry(store),
        runtime: hv1Runtime,
        identity: () =>
          controllerIdentity(
            '9.9.9',
            {
              apiUrl: 'http://127.0.0.1:8080',
              openflow: [{ host: '0.0.0.0', port: 6653 }],
              openflowTls: false,
            },
            'ctl1',
          ),
      }),
    ],
  });
  return {
    api,
    store,
    /** Listens on a free loopback port; resolves to its base URL. */
    listen: async () => {
      await api.listen({ host: '127.0.0.1', port: 0 });
      return `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    },
    close: async () => {
      await api.close();
      await store.close();
    },
  };
}
