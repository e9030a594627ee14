/**
 * The typed handles apps are given (as constructor options) to the services they depend on, instead of
 * looking each other up by name: forwarding takes topology and hosts, the firewall takes forwarding (whose
 * flows carry its allow decisions), QoS takes topology and hosts. The host-aware app will take
 * Pick<AppServices, 'firewall' | 'acl' | 'staticflows' | 'qos'> and act through their public methods (add
 * and delete rules, entries and policies), which validate and store exactly as the API's calls do.
 */
import type { AclApp } from './acl/index.js';
import type { FirewallApp } from './firewall/index.js';
import type { ForwardingApp } from './forwarding/index.js';
import type { HostsApp } from './hosts/index.js';
import type { QosApp } from './qos/index.js';
import type { StaticFlowsApp } from './staticflows/index.js';
import type { TopologyApp } from './topology/index.js';

export interface AppServices {
  topology: TopologyApp;
  hosts: HostsApp;
  forwarding: ForwardingApp;
  firewall: FirewallApp;
  acl: AclApp;
  staticflows: StaticFlowsApp;
  qos: QosApp;
}
