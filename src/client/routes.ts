/**
 * Which route each client method calls: data, so a test can prove every operation of the controller's and the
 * agent's /openapi.json has its method (test/unit/client.routes.test.ts drives each method against a recording
 * transport and compares with the documents). The key types make the tables total: a client method missing
 * here, or a name that is not a method, fails the build.
 */
import type { AgentClient } from './agent.js';
import type { BaseClient, SluiceClient } from './client.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
/** An HTTP method and the documented path template (`/api/v1/nodes/{name}`). */
export type RouteSpec = readonly [HttpMethod, string];

type Fn = (...args: never[]) => unknown;
/** `health`, `nodes.transportZones`...: the client's route methods (its groups one level deep). */
type MethodNames<C> = {
  [K in Exclude<keyof C, keyof BaseClient> & string]: C[K] extends Fn
    ? K
    : C[K] extends object
      ? `${K}.${{ [M in keyof C[K] & string]: C[K][M] extends Fn ? M : never }[keyof C[K] & string]}`
      : never;
}[Exclude<keyof C, keyof BaseClient> & string];

export type SluiceClientMethod = MethodNames<SluiceClient>;
export type AgentClientMethod = MethodNames<AgentClient>;

export const SLUICE_CLIENT_ROUTES: Readonly<Record<SluiceClientMethod, RouteSpec>> = {
  health: ['GET', '/api/v1/health'],
  switches: ['GET', '/api/v1/switches'],
  switch: ['GET', '/api/v1/switches/{dpid}'],
  flows: ['GET', '/api/v1/switches/{dpid}/flows'],
  ports: ['GET', '/api/v1/switches/{dpid}/ports'],
  stats: ['GET', '/api/v1/switches/{dpid}/stats/{kind}'],
  links: ['GET', '/api/v1/links'],
  hosts: ['GET', '/api/v1/hosts'],
  hostsPage: ['GET', '/api/v1/hosts'],
  hostsPerSwitch: ['GET', '/api/v1/hosts/per-switch'],
  route: ['GET', '/api/v1/routes'],
  metrics: ['GET', '/metrics'],
  statistics: ['GET', '/api/v1/statistics'],
  setStatistics: ['PUT', '/api/v1/statistics'],
  portRates: ['GET', '/api/v1/statistics/ports'],
  linkLoads: ['GET', '/api/v1/statistics/links'],
  networks: ['GET', '/api/v1/networks'],
  network: ['GET', '/api/v1/networks/{name}'],
  endpoints: ['GET', '/api/v1/endpoints'],
  agents: ['GET', '/api/v1/agents'],
  openapi: ['GET', '/openapi.json'],

  'staticflows.list': ['GET', '/api/v1/staticflows'],
  'staticflows.get': ['GET', '/api/v1/staticflows/{name}'],
  'staticflows.add': ['POST', '/api/v1/staticflows'],
  'staticflows.delete': ['DELETE', '/api/v1/staticflows/{name}'],
  'staticflows.clear': ['DELETE', '/api/v1/staticflows'],

  'firewall.status': ['GET', '/api/v1/firewall'],
  'firewall.enable': ['PUT', '/api/v1/firewall'],
  'firewall.disable': ['PUT', '/api/v1/firewall'],
  'firewall.setSubnetMask': ['PUT', '/api/v1/firewall'],
  'firewall.rules': ['GET', '/api/v1/firewall/rules'],
  'firewall.rule': ['GET', '/api/v1/firewall/rules/{ruleid}'],
  'firewall.add': ['POST', '/api/v1/firewall/rules'],
  'firewall.delete': ['DELETE', '/api/v1/firewall/rules/{ruleid}'],

  'acl.list': ['GET', '/api/v1/acl/rules'],
  'acl.add': ['POST', '/api/v1/acl/rules'],
  'acl.delete': ['DELETE', '/api/v1/acl/rules/{ruleid}'],
  'acl.clear': ['DELETE', '/api/v1/acl/rules'],

  'qos.status': ['GET', '/api/v1/qos'],
  'qos.enable': ['PUT', '/api/v1/qos'],
  'qos.disable': ['PUT', '/api/v1/qos'],
  'qos.services': ['GET', '/api/v1/qos/services'],
  'qos.addService': ['POST', '/api/v1/qos/services'],
  'qos.deleteService': ['DELETE', '/api/v1/qos/services/{sid}'],
  'qos.policies': ['GET', '/api/v1/qos/policies'],
  'qos.policy': ['GET', '/api/v1/qos/policies/{id}'],
  'qos.addPolicy': ['POST', '/api/v1/qos/policies'],
  'qos.deletePolicy': ['DELETE', '/api/v1/qos/policies/{id}'],
  'qos.paths': ['GET', '/api/v1/qos/paths'],
  'qos.addPath': ['POST', '/api/v1/qos/paths'],
  'qos.deletePath': ['DELETE', '/api/v1/qos/paths/{name}'],
  'qos.queues': ['GET', '/api/v1/qos/queues'],
  'qos.setQueues': ['PUT', '/api/v1/qos/queues'],
  'qos.clearQueues': ['DELETE', '/api/v1/qos/queues'],

  'hostaware.status': ['GET', '/api/v1/hostaware'],
  'hostaware.enable': ['PUT', '/api/v1/hostaware'],
  'hostaware.disable': ['PUT', '/api/v1/hostaware'],
  'hostaware.sources': ['GET', '/api/v1/hostaware/sources'],
  'hostaware.source': ['GET', '/api/v1/hostaware/sources/{name}'],
  'hostaware.addSource': ['POST', '/api/v1/hostaware/sources'],
  'hostaware.deleteSource': ['DELETE', '/api/v1/hostaware/sources/{name}'],
  'hostaware.postAlerts': ['POST', '/api/v1/hostaware/alerts/{path}'],
  'hostaware.hosts': ['GET', '/api/v1/hostaware/hosts'],
  'hostaware.metrics': ['GET', '/api/v1/hostaware/hosts/{name}/metrics'],
  'hostaware.rules': ['GET', '/api/v1/hostaware/rules'],
  'hostaware.rule': ['GET', '/api/v1/hostaware/rules/{name}'],
  'hostaware.addRule': ['POST', '/api/v1/hostaware/rules'],
  'hostaware.putRule': ['PUT', '/api/v1/hostaware/rules/{name}'],
  'hostaware.addFloodlightRule': ['POST', '/wm/hand/rules/json'],
  'hostaware.setRuleActive': ['PATCH', '/api/v1/hostaware/rules/{name}'],
  'hostaware.deleteRule': ['DELETE', '/api/v1/hostaware/rules/{name}'],
  'hostaware.messages': ['GET', '/api/v1/hostaware/messages'],
  'hostaware.stream': ['GET', '/api/v1/hostaware/messages/stream'],
  'hostaware.follow': ['GET', '/api/v1/hostaware/messages/stream'],

  'nodes.list': ['GET', '/api/v1/nodes'],
  'nodes.get': ['GET', '/api/v1/nodes/{name}'],
  'nodes.apply': ['PUT', '/api/v1/nodes/{name}'],
  'nodes.delete': ['DELETE', '/api/v1/nodes/{name}'],
  'nodes.history': ['GET', '/api/v1/nodes/{name}/history'],
  'nodes.nodeExists': ['GET', '/api/v1/nodes/{name}'],
  'nodes.clusterDescription': ['GET', '/api/v1/cluster/description'],
  'nodes.applyClusterDescription': ['PUT', '/api/v1/cluster/description'],
  'nodes.clusterHistory': ['GET', '/api/v1/cluster/description/history'],
  'nodes.controlCluster': ['GET', '/api/v1/cluster'],
  'nodes.cluster': ['GET', '/api/v1/cluster'],
  'nodes.rebalance': ['POST', '/api/v1/cluster/rebalance'],
  'nodes.transportNodes': ['GET', '/api/v1/transport-nodes'],
  'nodes.transportNode': ['GET', '/api/v1/transport-nodes/{name}'],
  'nodes.transportNodeExists': ['GET', '/api/v1/transport-nodes/{name}'],
  'nodes.register': ['PUT', '/api/v1/transport-nodes/{name}'],
  'nodes.unregister': ['DELETE', '/api/v1/transport-nodes/{name}'],
  'nodes.interfaces': ['GET', '/api/v1/transport-nodes/{name}/interfaces'],
  'nodes.interfaceStatistics': ['GET', '/api/v1/transport-nodes/{name}/interfaces/{iface}/stats'],
  'nodes.transportZones': ['GET', '/api/v1/transport-zones'],
  'nodes.transportZone': ['GET', '/api/v1/transport-zones/{name}'],
  'nodes.transportZoneExists': ['GET', '/api/v1/transport-zones/{name}'],

  'pki.ca': ['GET', '/api/v1/pki/ca'],
  'pki.sign': ['POST', '/api/v1/pki/sign'],

  'floodlight.health': ['GET', '/wm/core/health/json'],
  'floodlight.switches': ['GET', '/wm/core/controller/switches/json'],
  'floodlight.summary': ['GET', '/wm/core/controller/summary/json'],
  'floodlight.uptime': ['GET', '/wm/core/system/uptime/json'],
  'floodlight.memory': ['GET', '/wm/core/memory/json'],
  'floodlight.modules': ['GET', '/wm/core/module/{which}/json'],
  'floodlight.version': ['GET', '/wm/core/version/json'],
  'floodlight.role': ['GET', '/wm/core/role/json'],
  'floodlight.stats': ['GET', '/wm/core/switch/{dpid}/{kind}/json'],
  'floodlight.links': ['GET', '/wm/topology/links/json'],
  'floodlight.externalLinks': ['GET', '/wm/topology/external-links/json'],
  'floodlight.clusters': ['GET', '/wm/topology/switchclusters/json'],
  'floodlight.devices': ['GET', '/wm/device/'],
  'floodlight.route': ['GET', '/wm/topology/route/{srcDpid}/{srcPort}/{dstDpid}/{dstPort}/json'],
  'floodlight.routingPath': ['GET', '/wm/routing/path/{srcDpid}/{srcPort}/{dstDpid}/{dstPort}/json'],
};

/**
 * Served for Floodlight's tools and scripts (its REST paths, kept byte-compatible), deliberately not in the
 * SDK: each has an /api/v1 route that the SDK calls instead (staticflows, firewall, acl, qos, hostaware,
 * statistics). `floodlight.stats(dpid, 'features')` also reaches `/wm/core/switch/{dpid}/features/json`.
 */
export const FLOODLIGHT_ONLY_ROUTES: readonly string[] = [
  'GET /wm/core/switch/{dpid}/features/json',
  'POST /wm/staticentrypusher/json',
  'DELETE /wm/staticentrypusher/json',
  'GET /wm/staticentrypusher/list/{dpid}/json',
  'GET /wm/staticentrypusher/clear/{dpid}/json',
  'GET /wm/firewall/module/status/json',
  'PUT /wm/firewall/module/enable/json',
  'PUT /wm/firewall/module/disable/json',
  'GET /wm/firewall/module/subnet-mask/json',
  'POST /wm/firewall/module/subnet-mask/json',
  'GET /wm/firewall/rules/json',
  'POST /wm/firewall/rules/json',
  'DELETE /wm/firewall/rules/json',
  'GET /wm/acl/rules/json',
  'POST /wm/acl/rules/json',
  'DELETE /wm/acl/rules/json',
  'GET /wm/acl/clear/json',
  'GET /wm/qos/tool/{op}/json',
  'GET /wm/qos/service/json',
  'POST /wm/qos/service/json',
  'DELETE /wm/qos/service/json',
  'GET /wm/qos/policy/json',
  'POST /wm/qos/policy/json',
  'DELETE /wm/qos/policy/json',
  'GET /wm/qos/path/json',
  'POST /wm/qos/path/json',
  'DELETE /wm/qos/path/json',
  'GET /wm/hand/module/{op}/json',
  'GET /wm/hand/hosts/json',
  'GET /wm/hand/metrics/{host}/json',
  'GET /wm/hand/rules/json',
  'DELETE /wm/hand/rules/json',
  'GET /wm/statistics/bandwidth/{dpid}/{port}/json',
  'POST /wm/statistics/config/enable/json',
  'PUT /wm/statistics/config/enable/json',
  'POST /wm/statistics/config/disable/json',
  'PUT /wm/statistics/config/disable/json',
];

export const AGENT_CLIENT_ROUTES: Readonly<Record<AgentClientMethod, RouteSpec>> = {
  health: ['GET', '/api/v1/health'],
  openapi: ['GET', '/openapi.json'],
  agents: ['GET', '/api/v1/agents'],
  agent: ['GET', '/api/v1/agent'],
  dockerNetwork: ['PUT', '/api/v1/docker-networks/{network}'],
  'networks.list': ['GET', '/api/v1/networks'],
  'networks.get': ['GET', '/api/v1/networks/{name}'],
  'networks.create': ['POST', '/api/v1/networks'],
  'networks.delete': ['DELETE', '/api/v1/networks/{name}'],
  'endpoints.list': ['GET', '/api/v1/endpoints'],
  'endpoints.attach': ['POST', '/api/v1/endpoints'],
  'endpoints.attachNetns': ['POST', '/api/v1/endpoints'],
  'endpoints.detach': ['DELETE', '/api/v1/endpoints'],
  'endpoints.detachNetns': ['DELETE', '/api/v1/endpoints'],
  'socketplane.networks': ['GET', '/v0.1/networks'],
  'socketplane.network': ['GET', '/v0.1/networks/{id}'],
  'socketplane.createNetwork': ['POST', '/v0.1/networks'],
  'socketplane.deleteNetwork': ['DELETE', '/v0.1/networks/{id}'],
  'socketplane.connections': ['GET', '/v0.1/connections'],
  'socketplane.connection': ['GET', '/v0.1/connections/{id}'],
  'socketplane.connect': ['POST', '/v0.1/connections'],
  'socketplane.disconnect': ['DELETE', '/v0.1/connections/{id}'],
  'socketplane.clusterBind': ['POST', '/v0.1/cluster/bind'],
  'socketplane.clusterJoin': ['POST', '/v0.1/cluster/join'],
  'socketplane.clusterLeave': ['POST', '/v0.1/cluster/leave'],
};
