/**
 * The controller as the nodes' manager: the listeners provisioning points nodes at (`set-manager ssl:...:6640`,
 * `set-controller br-int ssl:...:6653`) and what they learn, as the TransportRuntime the nodes routes read.
 * Both listeners take only certificates of the cluster CA, and the certificate's CN is the node's name (the PKI
 * signs nothing else), so a connection says by itself which node it is.
 */
import type tls from 'node:tls';
import type { ListenAddress, SwitchSession } from '../../controller/index.js';
import {
  OvsdbListener,
  mapOf,
  optionalOf,
  stringMapOf,
  type Monitor,
  type OvsdbClient,
  type OvsdbLogger,
  type OvsdbPeer,
  type Row,
} from '../../ovsdb/index.js';
import { formatDpid } from '../../util/index.js';
import type { InterfaceStatistics } from '../../schema/index.js';
import type { ConnectionState, OpenflowState, TransportRuntime, Tunnel } from './runtime.js';

export interface NodeListenOptions {
  /** The address both listeners bind. */
  host: string;
  /** 0 picks a free port (tests). */
  ovsdbPort: number;
  openflowPort: number;
  /** PEM: the controller's key and certificate, and the cluster CA the nodes' certificates must chain to. */
  tls: { key: string; cert: string; ca: string };
}

/** What the OpenFlow side needs of the controller. */
export interface OpenflowListenerHost {
  listenTls(
    addr: ListenAddress,
    tlsOpts: tls.TlsOptions,
    identify: (socket: tls.TLSSocket, remote: string) => void,
  ): Promise<ListenAddress>;
  on(event: 'switch_connected', listener: (s: SwitchSession) => void): () => void;
}

export interface NodeConnectionsOptions {
  controller: OpenflowListenerHost;
  log: OvsdbLogger & { info(obj: object, msg?: string): void };
  /** Milliseconds since the epoch (injectable for tests). */
  now?: () => number;
  /** Per OVSDB connection: keepalive echo after this much silence (default 5000 ms). */
  echoIntervalMs?: number;
}

const TUNNEL_TYPES = new Set(['vxlan', 'geneve', 'gre', 'stt']);

/** The monitored columns: the node's system-id, and its interfaces with their tunnel ends and counters. */
const MONITOR = {
  Open_vSwitch: { columns: ['external_ids'] },
  Interface: { columns: ['name', 'type', 'options', 'link_state', 'statistics'] },
};

interface NodeState {
  ovsdb: ConnectionState;
  client?: OvsdbClient;
  monitor?: Monitor;
  /** Interface row UUID -> when its statistics last came. */
  sampled: Map<string, number>;
  openflow: OpenflowState;
  /** The remote address of the OpenFlow connection that state describes. */
  openflowRemote?: string;
}

const down: ConnectionState = { connected: false };

export class NodeConnections implements TransportRuntime {
  private readonly nodes = new Map<string, NodeState>();
  /** OpenFlow connections authenticated but not yet through the handshake: remote -> node. */
  private readonly openflowPending = new Map<string, string>();
  private readonly listeners = new Set<(node: string) => void>();
  private readonly now: () => number;
  private ovsdbListener: OvsdbListener | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Where the listeners are bound, once started. */
  ovsdbAddress: ListenAddress | undefined;
  openflowAddress: ListenAddress | undefined;

  constructor(private readonly opts: NodeConnectionsOptions) {
    this.now = opts.now ?? Date.now;
  }

  async start(listen: NodeListenOptions): Promise<void> {
    const { key, cert, ca } = listen.tls;
    this.ovsdbListener = new OvsdbListener({
      host: listen.host,
      port: listen.ovsdbPort,
      tls: { key, cert, ca },
      client: { echoIntervalMs: this.opts.echoIntervalMs ?? 5000 },
      onSession: (peer) => this.ovsdbSession(peer),
      log: this.opts.log,
    });
    this.ovsdbAddress = await this.ovsdbListener.start();
    this.unsubscribe = this.opts.controller.on('switch_connected', (s) => this.switchConnected(s));
    this.openflowAddress = await this.opts.controller.listenTls(
      { host: listen.host, port: listen.openflowPort },
      { key, cert, ca, requestCert: true, rejectUnauthorized: true },
      (socket, remote) => this.openflowAccepted(socket, remote),
    );
  }

  /** Closes the OVSDB listener and its connections (the OpenFlow listener closes with the controller). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.ovsdbListener?.stop();
    for (const s of this.nodes.values()) await s.client?.close();
  }

  /** Handshakes the OVSDB listener refused (certificates of another CA, or none). */
  get refusedOvsdb(): number {
    return this.ovsdbListener?.refused ?? 0;
  }

  // ---- TransportRuntime

  ovsdb(node: string): ConnectionState {
    return this.nodes.get(node)?.ovsdb ?? down;
  }

  openflow(node: string): OpenflowState {
    return this.nodes.get(node)?.openflow ?? down;
  }

  tunnels(node: string): Tunnel[] {
    return this.rows(node)
      .map(({ row }) => interfaceOf(row))
      .filter((i) => TUNNEL_TYPES.has(i.type))
      .map((i) => ({
        name: i.name,
        type: i.type,
        remote_ip: i.remoteIp ?? '',
        state: i.linkState ?? 'unknown',
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  interfaces(node: string): string[] {
    return this.rows(node)
      .map(({ row }) => interfaceOf(row).name)
      .sort();
  }

  interfaceStatistics(node: string, iface: string): InterfaceStatistics | undefined {
    const state = this.nodes.get(node);
    const found = this.rows(node).find(({ row }) => interfaceOf(row).name === iface);
    if (!state || !found) return undefined;
    const when = state.sampled.get(found.uuid) ?? this.now();
    return {
      node,
      interface: iface,
      sampled: new Date(when).toISOString(),
      statistics: interfaceOf(found.row).statistics,
    };
  }

  onChange(cb: (node: string) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** The node's Open_vSwitch external_ids:system-id, as its OVSDB reports it. */
  systemId(node: string): string | undefined {
    const rows = this.nodes.get(node)?.monitor?.tables.get('Open_vSwitch');
    const row = rows ? [...rows.values()][0] : undefined;
    return row ? stringMapOf(row.external_ids, 'external_ids')['system-id'] : undefined;
  }

  // ---- connections

  private state(node: string): NodeState {
    let s = this.nodes.get(node);
    if (!s) this.nodes.set(node, (s = { ovsdb: down, openflow: down, sampled: new Map() }));
    return s;
  }

  private changed(node: string): void {
    for (const cb of this.listeners) {
      try {
        cb(node);
      } catch (err) {
        this.opts.log.warn({ node, err: (err as Error).message }, 'node change listener threw');
      }
    }
  }

  private rows(node: string): { uuid: string; row: Row }[] {
    const table = this.nodes.get(node)?.monitor?.tables.get('Interface');
    return table ? [...table].map(([uuid, row]) => ({ uuid, row })) : [];
  }

  private ovsdbSession({ client, remote, commonName }: OvsdbPeer): void {
    if (!commonName) {
      this.opts.log.warn({ remote }, 'OVSDB manager connection without a CN in its certificate: closed');
      void client.close();
      return;
    }
    const node = commonName;
    const state = this.state(node);
    // A node that dials again (after a restart) replaces its earlier connection.
    const earlier = state.client;
    state.client = client;
    state.monitor = undefined;
    state.sampled = new Map();
    state.ovsdb = { connected: true, since: new Date(this.now()).toISOString(), remote };
    if (earlier) void earlier.close();
    this.opts.log.info({ node, remote }, 'node OVSDB connected');
    client.on('disconnected', (err?: Error) => {
      if (state.client !== client) return;
      state.client = undefined;
      state.ovsdb = { connected: false, since: new Date(this.now()).toISOString(), remote };
      this.opts.log.info({ node, remote, reason: err?.message }, 'node OVSDB disconnected');
      this.changed(node);
    });
    this.changed(node);
    client
      .monitor('Open_vSwitch', MONITOR, (updates) => {
        const at = this.now();
        for (const [uuid, u] of Object.entries(updates.Interface ?? {})) {
          if (!u.new) state.sampled.delete(uuid);
          else if (!u.old || 'statistics' in u.old) state.sampled.set(uuid, at);
        }
      })
      .then(
        (monitor) => {
          if (state.client === client) state.monitor = monitor;
        },
        (err: Error) => {
          this.opts.log.warn(
            { node, remote, err: err.message },
            'node OVSDB monitor failed: connection closed',
          );
          void client.close();
          if (state.client === client) {
            state.client = undefined;
            state.ovsdb = { connected: false, since: new Date(this.now()).toISOString(), remote };
            this.changed(node);
          }
        },
      );
  }

  private openflowAccepted(socket: tls.TLSSocket, remote: string): void {
    const node = socket.getPeerCertificate().subject?.CN as string | undefined;
    if (!node) {
      this.opts.log.warn({ remote }, 'OpenFlow connection without a CN in its certificate: closed');
      socket.destroy();
      return;
    }
    this.openflowPending.set(remote, node);
    socket.once('close', () => {
      this.openflowPending.delete(remote);
      const state = this.nodes.get(node);
      if (!state || state.openflowRemote !== remote) return;
      state.openflowRemote = undefined;
      state.openflow = { ...state.openflow, connected: false, since: new Date(this.now()).toISOString() };
      this.opts.log.info({ node, remote }, 'node OpenFlow disconnected');
      this.changed(node);
    });
  }

  private switchConnected(s: SwitchSession): void {
    const node = this.openflowPending.get(s.remoteAddress);
    if (!node) return; // a switch on the plain OpenFlow listener
    this.openflowPending.delete(s.remoteAddress);
    const state = this.state(node);
    state.openflowRemote = s.remoteAddress;
    state.openflow = {
      connected: true,
      since: new Date(this.now()).toISOString(),
      remote: s.remoteAddress,
      dpid: formatDpid(s.dpid),
    };
    this.opts.log.info({ node, dpid: state.openflow.dpid }, 'node OpenFlow connected');
    this.changed(node);
  }
}

/** The monitored columns of one Interface row. */
function interfaceOf(row: Row) {
  const statistics: Record<string, number> = {};
  for (const [k, v] of mapOf(row.statistics, 'statistics')) {
    if (typeof k === 'string' && typeof v === 'number') statistics[k] = v;
  }
  const linkState = optionalOf(row.link_state, 'link_state');
  return {
    name: String(row.name ?? ''),
    type: typeof row.type === 'string' && row.type !== '' ? row.type : 'system',
    remoteIp: stringMapOf(row.options, 'options').remote_ip,
    linkState: typeof linkState === 'string' ? linkState : undefined,
    statistics,
  };
}
