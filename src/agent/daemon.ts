/**
 * `sluice agent`: store, OVSDB, the embedded per-host controller with the overlay app, the host registry,
 * the core (recovered from OVSDB + the store), Docker events, the REST API and the Docker plugin, started in
 * that order and stopped in reverse.
 */
import type { Logger } from 'pino';
import { serveAgentApi } from '../api/index.js';
import { Controller } from '../controller/index.js';
import { createLogger } from '../daemon/log.js';
import { OFP_VERSION_1_3 } from '../openflow/index.js';
import { OvsdbClient, Vswitch } from '../ovsdb/index.js';
import { openStore } from '../store/index.js';
import { NotFoundError, every, systemClock } from '../util/index.js';
import { AgentCore } from './agent.js';
import type { AgentConfig } from './config.js';
import { DockerClient } from './docker.js';
import { HostFabric, HostPlumbing, PluginHostPlumbing } from './host.js';
import { DockerPlugin, servePlugin } from './plugin.js';
import { StorePluginBackend } from './pluginbackend.js';
import { HostRegistry } from './hosts.js';
import { LinuxNet } from './linux.js';
import { REGISTRY_KEY } from './networks.js';
import { OverlayApp } from './overlay.js';
import { AGENT_PIPELINE } from './pipeline.js';
import { ENDPOINT_PREFIX, type HostRecord } from './types.js';
import { hostname } from 'node:os';

/** A full sync this often heals whatever a lost watch event or an outside change left behind. */
export const RESYNC_INTERVAL_MS = 10_000;

export interface RunningAgent {
  readonly core: AgentCore;
  /** Where the agent's REST API listens, e.g. http://127.0.0.1:6675. */
  readonly apiUrl: string;
  readonly log: Logger;
  /** Idempotent; resolves when everything is closed. */
  stop(): Promise<void>;
}

export async function startAgent(config: AgentConfig, opts: { log?: Logger } = {}): Promise<RunningAgent> {
  const log = opts.log ?? createLogger(config.log);
  const cleanup: (() => Promise<void> | void)[] = [];
  const unwind = async () => {
    for (const fn of cleanup.reverse()) {
      await Promise.resolve()
        .then(fn)
        .catch((err: unknown) => log.error({ err }, 'shutdown step failed'));
    }
    cleanup.length = 0;
  };
  try {
    const store = openStore(config.store);
    cleanup.push(() => store.close());

    const ovsdb = new OvsdbClient({ remote: config.ovsdb.remote, reconnect: {} });
    await ovsdb.connect().catch((err: Error) => {
      throw new Error(
        `--ovsdb: cannot reach OVSDB at ${config.ovsdb.remote} (${err.message}). ` +
          'Start Open vSwitch (ovs-ctl start) or point --ovsdb at its socket.',
        { cause: err },
      );
    });
    cleanup.push(() => ovsdb.close());
    const vs = new Vswitch(ovsdb);

    const overlay = new OverlayApp();
    const controller = new Controller({
      listen: [{ host: '127.0.0.1', port: config.openflowPort }],
      versions: [OFP_VERSION_1_3],
      pipeline: AGENT_PIPELINE,
      log: log.child({ component: 'controller' }),
      store,
    });
    controller.use(overlay);
    await controller.start();
    cleanup.push(() => controller.stop());
    const port = controller.addresses[0].port;
    await vs.addBridge(config.bridge, {
      datapathType: 'netdev',
      failMode: 'secure',
      protocols: ['OpenFlow13'],
      controller: [`tcp:127.0.0.1:${port}`],
      externalIds: { 'sluice-agent': config.hostId },
    });

    const net = new LinuxNet();
    const docker = new DockerClient({ socketPath: config.docker.socketPath });
    const self: HostRecord = {
      id: config.hostId,
      hostname: hostname(),
      underlayIp: config.underlay.ip,
      version: config.version,
      bridge: config.bridge,
      startedAt: new Date().toISOString(),
    };
    const core = new AgentCore({
      store,
      self,
      docker: {
        inspect: (c) => docker.inspectContainer(c),
        ensureNetwork: async (n) => {
          try {
            const existing = await docker.inspectNetwork(n.name);
            return { name: existing.name, id: existing.id };
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
          }
          const created = await docker.createNetwork({
            name: n.name,
            driver: 'sluice',
            ipamDriver: 'sluice',
            subnet: n.subnet,
            gateway: n.gateway,
            options: { 'sluice.network': n.name },
          });
          return { name: n.name, id: created.id };
        },
      },
      plumbing: new HostPlumbing(net, vs, config.bridge),
      fabric: new HostFabric({
        net,
        vs,
        bridge: config.bridge,
        underlay: config.underlay,
        setView: (v) => overlay.setView(v),
      }),
      log,
    });

    const registry = new HostRegistry(store, self, { log, onHosts: (hs) => core.setHosts(hs) });
    await registry.start();
    cleanup.push(() => registry.stop());

    const recovered = await core.recover();
    log.info(recovered, 'recovered endpoints from OVSDB and the store');

    const resync = () =>
      void core.sync().catch((err: unknown) => log.warn({ err }, 'sync failed; retrying on the next change'));
    const unwatch = [store.watch(REGISTRY_KEY, resync), store.watch(ENDPOINT_PREFIX, resync)];
    cleanup.push(() => unwatch.forEach((u) => u()));
    cleanup.push(every(systemClock, RESYNC_INTERVAL_MS, resync));

    const plugin = new DockerPlugin(
      new StorePluginBackend({
        store,
        hostId: self.id,
        docker,
        plumbing: new PluginHostPlumbing(net, vs, config.bridge, () => core.sync()),
      }),
    );
    const events = docker.events({
      onEvent: async (ev) => {
        if (ev.type === 'container') await core.containerEvent(ev.action, ev.id);
        else {
          await plugin
            .dockerEvent(ev)
            .catch((err: unknown) =>
              log.warn({ err, network: ev.attributes.name }, `docker network ${ev.action}: plugin`),
            );
        }
      },
      // (Re)connected: plugin endpoints joined while the stream was down learn their containers now.
      onConnect: () =>
        void plugin
          .learnAllContainers()
          .catch((err: unknown) => log.warn({ err }, 'learning the containers of plugin endpoints failed')),
      onError: (err) => log.debug({ err }, 'docker event stream'),
    });
    cleanup.push(() => events.close());
    const pluginServer = await servePlugin(plugin, config.pluginSocket, (method, err) =>
      log.warn({ method, err }, 'docker plugin request failed'),
    );
    cleanup.push(() => pluginServer.close());

    const api = await serveAgentApi({
      ops: core,
      version: config.version,
      listen: config.api.listen,
      port: config.api.port,
      auth: { token: config.api.token },
      logger: log.child({ component: 'api' }),
    });
    cleanup.push(() => api.close());
    const apiUrl = api.url;
    log.info(
      { host: self.id, underlay: self.underlayIp, bridge: config.bridge, api: apiUrl },
      'sluice agent running',
    );
    let stopping: Promise<void> | undefined;
    return {
      core,
      apiUrl,
      log,
      stop: () => (stopping ??= unwind().then(() => log.info({}, 'sluice agent stopped'))),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
