/** The controller's read-only view of the agents' state in the store it shares with them (etcd). */
import type { AgentReadView } from '../api/index.js';
import { EndpointStore, NetworkStore, listHosts } from '../agent/index.js';
import type { Store } from '../store/index.js';

export function storeAgentView(store: Store): AgentReadView {
  const networks = new NetworkStore(store);
  const endpoints = new EndpointStore(store);
  return {
    listNetworks: () => networks.list(),
    getNetwork: (name) => networks.get(name),
    listEndpoints: (filter) => endpoints.list(filter),
    listHosts: () => listHosts(store),
  };
}
