/**
 * `sluice controller`: store, controller with its apps, and the API server, started in that order and
 * stopped in reverse.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import {
  agentReadRoutes,
  checkListenSecurity,
  createApiServer,
  listenApi,
  type ModuleInfo,
} from '../api/index.js';
import { AclApp } from '../apps/acl/index.js';
import { FirewallApp } from '../apps/firewall/index.js';
import { ForwardingApp } from '../apps/forwarding/index.js';
import { HostsApp } from '../apps/hosts/index.js';
import { StaticFlowsApp } from '../apps/staticflows/index.js';
import { staticFlowRoutes } from '../api/routes/staticflows.js';
import { aclRoutes } from '../api/routes/acl.js';
import { firewallRoutes } from '../api/routes/firewall.js';
import { qosRoutes } from '../api/routes/qos.js';
import { QosApp } from '../apps/qos/index.js';
import { HostAwareApp } from '../apps/hostaware/index.js';
import { hostAwareRoutes } from '../api/routes/hostaware.js';
import { statisticsRoutes } from '../api/routes/statistics.js';
import { nodesRoutes } from '../api/routes/nodes.js';
import { StatisticsApp } from '../apps/statistics/index.js';
import { ClusterViewsApp } from '../apps/clusterviews/index.js';
import { hostAwareMetrics } from './hostaware.js';
import { TopologyApp } from '../apps/topology/index.js';
import { Controller, orderApps, type App, type ListenAddress } from '../controller/index.js';
import { openStore, StoreError, type Store, type StoreConfig } from '../store/index.js';
import {
  CONTROLLER_CONFIG_KEY,
  parseStoredControllerConfig,
  type DaemonConfig,
  type TlsFiles,
} from './config.js';
import { createLogger } from './log.js';
import { aclView, firewallView } from './firewall.js';
import { qosView } from './qos.js';
import { staticFlowsView } from './staticflows.js';
import { hostsView, topologyView } from './views.js';
import { storeAgentView } from './agents.js';
import { nodesView, controllerIdentity, type Listening } from './nodes.js';
import { hostname } from 'node:os';
import { pkiRoutes } from '../api/routes/pki.js';
import { NodeConnections } from '../apps/nodes/connections.js';
import { NodeRegistry, listenAddr, type TransportRuntime } from '../apps/nodes/index.js';
import { lazyClusterCa, type ClusterCa } from '../pki/index.js';
import { pkiView } from './pki.js';
import { ClusterMember, Mastership } from '../cluster/index.js';
import { logGate } from '../util/index.js';
import type { ClusterContext } from '../controller/index.js';
import { memberInfoOf } from './nodes.js';

export interface Daemon {
  readonly controller: Controller;
  readonly store: Store;
  readonly api: FastifyInstance;
  /** Where the API listens, e.g. http://127.0.0.1:8080 (the real port when 0 was asked for). */
  readonly apiUrl: string;
  /** The OpenFlow listeners' real addresses. */
  readonly openflowAddresses: readonly ListenAddress[];
  readonly log: Logger;
  /** The cluster CA (made on first use). */
  readonly ca: () => Promise<ClusterCa>;
  /** What the node listeners see (nothing when --nodes-listen is off). */
  readonly transportNodes: TransportRuntime;
  /** The node listeners' real addresses, when they run. */
  readonly nodeListeners?: { ovsdb: ListenAddress; openflow: ListenAddress };
  /** Idempotent; resolves when everything is closed. */
  stop(): Promise<void>;
}

/** The core apps in registration order. Apps added later (firewall, acl, staticflows, qos) go in this list. */
export function coreApps(): {
  topology: TopologyApp;
  hosts: HostsApp;
  forwarding: ForwardingApp;
  all: App[];
} {
  // Apps reach the services they depend on through these typed handles, never by name.
  const topology = new TopologyApp();
  const hosts = new HostsApp({ topology });
  const forwarding = new ForwardingApp({ topology, hosts });
  return { topology, hosts, forwarding, all: [topology, hosts, forwarding] };
}

/** Apps in pipeline order, each with the registered apps it runs after. */
export function moduleInfos(apps: readonly App[]): ModuleInfo[] {
  const names = new Set(apps.map((a) => a.name));
  return orderApps([...apps]).map((a) => ({
    name: a.name,
    after: (a.after ?? []).filter((n) => names.has(n)),
  }));
}

function readTls(files: TlsFiles) {
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`${flag}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return {
    cert: read('--api-tls-cert', files.certFile),
    key: read('--api-tls-key', files.keyFile),
    ...(files.caFile
      ? { ca: read('--api-tls-ca', files.caFile), requestCert: true, rejectUnauthorized: true }
      : {}),
  };
}

/** The names in the controller's own certificate: its listen address (unless a wildcard) and host name. */
function certificateNames(listen: string): string[] {
  return [...new Set([...(listen === '0.0.0.0' || listen === '::' ? [] : [listen]), hostname()])];
}

/**
 * The first read is where an etcd that cannot be reached shows (the client connects lazily): say which endpoints
 * and what to do, instead of a bare gRPC status.
 */
function unreachable(config: StoreConfig) {
  return (err: unknown): never => {
    if (config.backend === 'etcd' && err instanceof StoreError && err.code === 'STORE_UNAVAILABLE') {
      throw new Error(
        `--etcd-endpoints: cannot reach etcd at ${config.endpoints.join(', ')} (${grpcDetail(err.reason)}). ` +
          'Start etcd there, or point --etcd-endpoints (env SLUICE_ETCD_ENDPOINTS) at a running cluster.',
        { cause: err },
      );
    }
    throw err;
  };
}

/** gRPC ends some statuses with an empty "Resolution note:" that says nothing to a user. */
const grpcDetail = (reason: string): string => reason.replace(/[\s.]*Resolution note:\s*$/, '');

/** A member's lease: how long a dead member's switches wait for a new master, at most. */
export const CLUSTER_LEASE_TTL_SECONDS = 3;

export async function startDaemon(config: DaemonConfig, opts: { log?: Logger } = {}): Promise<Daemon> {
  const log = opts.log ?? createLogger(config.log);
  const store = openStore(config.store);
  const cleanup: (() => Promise<void>)[] = [() => store.close()];
  const unwind = async () => {
    for (const fn of cleanup.reverse()) await fn().catch((err) => log.error({ err }, 'shutdown step failed'));
    cleanup.length = 0;
  };

  try {
    const stored = parseStoredControllerConfig(
      (await store.get(CONTROLLER_CONFIG_KEY).catch(unreachable(config.store)))?.value,
    );
    if (stored.unknownKeys.length) {
      log.warn({ keys: stored.unknownKeys }, `${CONTROLLER_CONFIG_KEY}: ignoring unknown keys`);
    }
    const token = config.api.token ?? stored.config.apiToken;
    checkListenSecurity({ host: config.api.listen, token, tlsClientAuth: Boolean(config.api.tls?.caFile) });

    const apps = coreApps();
    // The member and its mastership start once the API listens (the member record carries its address); apps
    // see the cluster through this from the start.
    let member: ClusterMember | undefined;
    let mastership: Mastership | undefined;
    // The member's events, relayed: apps subscribe at start, before the member exists.
    const memberEvents = new EventEmitter<{ registered: [string]; leadership: [boolean] }>();
    const clusterContext: ClusterContext | undefined = config.cluster && {
      clusterId: config.cluster.id,
      get memberId() {
        return member?.id ?? config.cluster?.memberId ?? '';
      },
      isLeader: () => member?.role === 'leader',
      isMaster: (dpid) => mastership?.isMaster(dpid) ?? false,
      lease: () => (member && member.role !== 'out' ? member.lease : undefined),
      onRegistered: (cb) => {
        memberEvents.on('registered', cb);
        return () => memberEvents.off('registered', cb);
      },
      onLeadership: (cb) => {
        memberEvents.on('leadership', cb);
        return () => memberEvents.off('leadership', cb);
      },
    };
    const controller = new Controller({
      listen: config.openflow.ports.map((port) => ({ host: config.openflow.listen, port })),
      tls: config.openflow.tls,
      log: log.child({ component: 'controller' }),
      store,
      ...(clusterContext ? { cluster: clusterContext } : {}),
    });
    for (const app of apps.all) controller.use(app);
    const staticflows = new StaticFlowsApp();
    controller.use(staticflows);
    const firewall = new FirewallApp({ forwarding: apps.forwarding });
    const acl = new AclApp();
    controller.use(firewall);
    controller.use(acl);
    const qos = new QosApp({
      topology: apps.topology,
      hosts: apps.hosts,
      ...(config.ovsdb ? { ovsdbRemote: config.ovsdb.remote } : {}),
    });
    controller.use(qos);
    // Host-aware rules act through the other apps' handles (typed, never by name).
    const hostaware = new HostAwareApp({
      hosts: apps.hosts,
      forwarding: apps.forwarding,
      // The load-balance action's service addresses live in forwarding.
      services: apps.forwarding,
      firewall,
      acl,
      staticflows,
      qos,
    });
    controller.use(hostaware);
    const statistics = new StatisticsApp();
    controller.use(statistics);
    // In a cluster: what the members learned (links, hosts) is shared through the store, merged into each view.
    const clusterViews = config.cluster
      ? new ClusterViewsApp({ topology: apps.topology, hosts: apps.hosts })
      : undefined;
    if (clusterViews) controller.use(clusterViews);
    await controller.start();
    cleanup.push(() => controller.stop());

    const started = new Date().toISOString();
    // Known once the API listens; the cluster view reads it per request.
    const listening: Listening = {
      apiUrl: `http://${config.api.listen}:${config.api.port}`,
      openflow: controller.addresses,
      openflowTls: Boolean(config.openflow.tls),
    };
    const ca = lazyClusterCa(store);
    const transportNodes = new NodeConnections({ controller, log: log.child({ component: 'nodes' }) });
    const registry = new NodeRegistry(store);
    // Certificates only for nodes whose description is applied.
    const nodeExists = async (name: string) => (await registry.get(name)) !== undefined;
    // Before the API listens: once it answers, every listener of this controller is up (the cluster view
    // lists them, and readiness checks poll the API).
    let nodeListeners: Daemon['nodeListeners'];
    if (config.nodes) {
      const n = config.nodes;
      const cluster = await ca();
      // CN: this controller's id in the cluster view (from the configured API address: with --api-port 0 it
      // names port 0); the names: where nodes reach it.
      const own = await cluster.issue({
        commonName: controllerIdentity(config.version, listening).id,
        altNames: certificateNames(n.listen),
      });
      cleanup.push(() => transportNodes.stop());
      await transportNodes.start({
        host: n.listen,
        ovsdbPort: n.ovsdbPort,
        openflowPort: n.openflowPort,
        tls: { key: own.privateKey, cert: own.certificate, ca: cluster.certificate },
      });
      nodeListeners = { ovsdb: transportNodes.ovsdbAddress!, openflow: transportNodes.openflowAddress! };
      listening.ovsdbManager = listenAddr('ssl', nodeListeners.ovsdb.host, nodeListeners.ovsdb.port);
      listening.nodesOpenflow = listenAddr('ssl', nodeListeners.openflow.host, nodeListeners.openflow.port);
    }

    const api = await createApiServer({
      switches: controller,
      topology: topologyView(apps.topology),
      hosts: hostsView(apps.hosts),
      counters: controller.metrics,
      modules: () =>
        moduleInfos([
          ...apps.all,
          staticflows,
          firewall,
          acl,
          qos,
          hostaware,
          statistics,
          ...(clusterViews ? [clusterViews] : []),
        ]),
      metrics: [hostAwareMetrics(hostaware)],
      routes: [
        staticFlowRoutes(staticFlowsView(staticflows)),
        firewallRoutes(firewallView(firewall)),
        aclRoutes(aclView(acl)),
        qosRoutes(qosView(qos)),
        hostAwareRoutes(hostaware),
        statisticsRoutes(statistics),
        // Container networks, endpoints and agents: written by the agents, shown here (the dashboard's).
        agentReadRoutes(storeAgentView(store)),
        // Node and cluster descriptions, transport nodes and zones (issue 12), and the PKI nodes join with.
        nodesRoutes(
          nodesView(
            store,
            config.version,
            () => listening,
            transportNodes,
            config.cluster && {
              started,
              clusterId: config.cluster.id,
              member: () => member,
              mastership: () => mastership,
            },
          ),
        ),
        pkiRoutes(pkiView(ca, nodeExists)),
      ],
      version: config.version,
      auth: { token },
      // The dashboard (dist/web), same origin as the API it calls.
      ui: {},
      logger: log.child({ component: 'api' }),
      ...(config.api.tls ? { https: readTls(config.api.tls) } : {}),
    });
    const apiUrl = await listenApi(
      api,
      { listen: config.api.listen, port: config.api.port, https: Boolean(config.api.tls) },
      'another controller?',
    );
    cleanup.push(() => api.close());
    listening.apiUrl = apiUrl;

    if (config.cluster) {
      // Registered once the API listens: the member record carries the real addresses (and id, from them).
      const me = () => controllerIdentity(config.version, listening);
      const clog = log.child({ component: 'cluster', cluster: config.cluster.id });
      const storeErrors = logGate(10_000, Date.now);
      const m = new ClusterMember({
        store,
        clusterId: config.cluster.id,
        memberId: config.cluster.memberId ?? me().id,
        info: () => memberInfoOf(me()),
        // While etcd is away every tick fails: one line per kind of failure every 10 s is enough.
        onError: (err, context) => {
          const gate = storeErrors(context);
          if (gate.log) clog.warn({ err, skipped: gate.skipped }, `cluster: ${context} failed (retried)`);
        },
        // Short: a dead master's switches wait for its lease to end (etcd's own minimum is 3 s by default).
        ttlSeconds: CLUSTER_LEASE_TTL_SECONDS,
      });
      m.on('elected', (l) => clog.info({ since: l.since }, 'cluster: this member leads'));
      m.on('leadership lost', (reason) => clog.warn({ reason }, 'cluster: leadership lost'));
      m.on('leader', (l) => clog.info({ leader: l?.id ?? null }, 'cluster: leader changed'));
      m.on('lease lost', (reason) => clog.warn({ reason }, 'cluster: lease lost; slave on every switch'));
      member = m;
      m.on('registered', (lease) => memberEvents.emit('registered', lease));
      m.on('elected', () => memberEvents.emit('leadership', true));
      m.on('leadership lost', () => memberEvents.emit('leadership', false));
      const ms = new Mastership({ store, member: m, target: controller, log: clog });
      mastership = ms;
      ms.start();
      controller.on('switch_connected', (s) => ms.switchConnected(s.dpid));
      controller.on('switch_disconnected', (dpid) => ms.switchDisconnected(dpid));
      for (const dpid of controller.switches.keys()) ms.switchConnected(dpid);
      // Stopped in reverse: mastership gives the switches up before the lease is revoked.
      cleanup.push(() => m.stop());
      cleanup.push(() => ms.stop());
      await m.start();
    }

    log.info(
      {
        api: apiUrl,
        openflow: controller.addresses.map((a) => `${a.host}:${a.port}`),
        ...(nodeListeners
          ? {
              nodes: {
                ovsdb: `ssl:${nodeListeners.ovsdb.host}:${nodeListeners.ovsdb.port}`,
                openflow: `ssl:${nodeListeners.openflow.host}:${nodeListeners.openflow.port}`,
              },
            }
          : {}),
        store: config.store,
        ...(member ? { cluster: { id: member.clusterId, member: member.id } } : {}),
      },
      'sluice controller running',
    );

    let stopping: Promise<void> | undefined;
    return {
      controller,
      store,
      api,
      apiUrl,
      openflowAddresses: controller.addresses,
      log,
      ca,
      transportNodes,
      ...(nodeListeners ? { nodeListeners } : {}),
      stop: () => (stopping ??= unwind().then(() => log.info({}, 'sluice controller stopped'))),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
