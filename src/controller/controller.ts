/** Listener, session registry, app registry, event bus and reconciler scheduling. */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import {
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  OFPCML_NO_BUFFER,
  type ErrorMsg,
  type FlowRemoved,
  type OfVersion,
  type PacketIn,
  type PortStatus,
} from '../openflow/index.js';
import { parseEthernet } from '../packet/index.js';
import { OFPET13, OFPRRFC_STALE, roleReplyOf, roleRequest, type ControllerRole } from '../openflow/index.js';
import { OfErrorReplyError } from './errors.js';
import type { Store } from '../store/index.js';
import {
  APP_COOKIE_MASK,
  CORE_APP_ID,
  appCookie,
  type App,
  type AppContext,
  type ClusterContext,
  type ControllerApi,
  type ControllerEvents,
  type ControllerMetrics,
  type FlowSpec,
  type Logger,
  type PacketDecision,
  type ReconcileRequest,
  type SwitchReconcile,
  type SwitchRole,
  type SwitchSession,
} from './app.js';
import { orderApps } from './pipeline.js';
import { Pipeline, PipelineError, SLUICE_PIPELINE, type PipelineDecl } from './tables.js';
import { Reconciler, hasIntent } from './reconciler.js';
import { Session, type SessionConfig, type SessionHost } from './session.js';
import { TurnScheduler } from './turns.js';
import { every, logGate, systemClock, type Clock, type LogGate } from '../util/index.js';
import { sharedReadSupport, type SharedReadSupport } from './ownbuffer.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface TlsOptions {
  /** PEM file paths. `ca` verifies switch client certificates (ovs-pki's switchca/cacert.pem). */
  keyFile: string;
  certFile: string;
  caFile: string;
  /** Default true: reject switches without a certificate signed by `ca`. */
  requireClientCert?: boolean;
}

export interface ControllerOptions {
  /** Default [{host:'127.0.0.1', port: 6653}, {host:'127.0.0.1', port: 6633}]; port 0 picks a free port. */
  listen?: ListenAddress[];
  tls?: TlsOptions;
  /** Versions offered in HELLO; default [1.0, 1.3] (the highest common one wins). */
  versions?: OfVersion[];
  /** Default 5000: how often an idle switch is sent ECHO_REQUEST. */
  echoIntervalMs?: number;
  /** Default 15000: no ECHO_REPLY (or any message) within this -> connection closed as dead. */
  echoTimeoutMs?: number;
  /** Default 10000: per-request timeout for request()/stats()/barrier(). */
  requestTimeoutMs?: number;
  /** Default 10000: HELLO through FEATURES_REPLY must finish within this (later steps use requestTimeoutMs). */
  handshakeTimeoutMs?: number;
  /** Default 0xffff (whole packets); 128 sends only headers (with buffer ids). */
  missSendLen?: number;
  /** Default 200 ms: requestReconcile calls within this window are coalesced. */
  reconcileDebounceMs?: number;
  /** Largest frame accepted (default 65535, the most the 16-bit length can say); longer closes the connection. */
  maxFrame?: number;
  /** Stop reading from a switch whose socket has this many bytes queued (default 4 MiB). */
  maxWriteBuffer?: number;
  log: Logger;
  store: Store;
  /** Time and timers (keepalive, handshake and request timeouts, reconcile debounce, apps' timers). */
  clock?: Clock;
  /** Input handling per event-loop turn, replies in one burst; default: one of this controller's own. */
  turns?: TurnScheduler;
  /** Default: ownbuffer's check of this Node's private socket fields (tests pass a failed one). */
  sharedRead?: SharedReadSupport;
  /** Tables and priority bands per app; default SLUICE_PIPELINE. */
  pipeline?: PipelineDecl;
  /** A member of a cluster: apps see it in their context (once-per-cluster work, leases). */
  cluster?: ClusterContext;
}

/** Fields and defaults; everything the options validation checks. */
const DEFAULTS = {
  echoIntervalMs: 5000,
  echoTimeoutMs: 15000,
  requestTimeoutMs: 10000,
  handshakeTimeoutMs: 10000,
  missSendLen: OFPCML_NO_BUFFER,
  reconcileDebounceMs: 200,
  maxWriteBuffer: 4 * 1024 * 1024,
  maxFrame: 0xffff,
};

export const DEFAULT_LISTEN: readonly ListenAddress[] = [
  { host: '127.0.0.1', port: 6653 },
  { host: '127.0.0.1', port: 6633 },
];

/** Logs an app's failures at most once per interval per app, with a count of the ones skipped. */
const APP_ERROR_LOG_INTERVAL_MS = 5000;

function positiveInt(
  opts: ControllerOptions,
  field: keyof typeof DEFAULTS,
  min = 1,
  max = 2 ** 31 - 1,
): number {
  const v = (opts as unknown as Record<string, unknown>)[field] ?? DEFAULTS[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${field}: must be an integer ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

function validateListen(listen: unknown): ListenAddress[] {
  if (!Array.isArray(listen) || listen.length === 0) throw new RangeError('listen: must be a non-empty list');
  return listen.map((a: unknown, i) => {
    const addr = a as Partial<ListenAddress>;
    if (typeof addr?.host !== 'string' || addr.host === '') {
      throw new RangeError(`listen[${i}].host: must be a non-empty string`);
    }
    if (typeof addr.port !== 'number' || !Number.isInteger(addr.port) || addr.port < 0 || addr.port > 65535) {
      throw new RangeError(`listen[${i}].port: must be an integer 0..65535, got ${String(addr.port)}`);
    }
    return { host: addr.host, port: addr.port };
  });
}

function readPem(field: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`tls.${field}: cannot read ${file}: ${(err as Error).message}`);
  }
}

type Listeners = { [E in keyof ControllerEvents]: Set<ControllerEvents[E]> };

/** The OF1.3 miss entry of the last table of Sluice's pipeline: unmatched packets come to the controller. */
export const TABLE_MISS: FlowSpec = new Pipeline(SLUICE_PIPELINE).missFlows().at(-1)!;

function coreAppFor(pipeline: Pipeline): App {
  const misses = pipeline.missFlows();
  return {
    name: 'core',
    cookie: appCookie(CORE_APP_ID),
    // OF1.0 switches send table misses to the controller without a flow.
    desiredFlows: (sw) => (sw.version === OFP_VERSION_1_3 ? misses : []),
  };
}

export class Controller implements ControllerApi {
  readonly metrics: ControllerMetrics = {
    packetIn: 0,
    packetOut: 0,
    flowMods: 0,
    messagesIn: 0,
    messagesOut: 0,
    switchErrors: 0,
    decodeErrors: 0,
    appErrors: 0,
    requestTimeouts: 0,
    echoTimeouts: 0,
    connectionsAccepted: 0,
    handshakeFailures: 0,
    reconcileRuns: 0,
    reconcileFlowsAdded: 0,
    reconcileFlowsDeleted: 0,
    switches: 0,
    slaveDrops: 0,
  };
  readonly addresses: ListenAddress[] = [];
  readonly pipeline: Pipeline;
  private readonly coreApp: App;
  private readonly registered: App[] = [];
  private apps: App[] = [];
  private packetApps: App[] = [];
  private readonly byName = new Map<string, App>();
  private readonly sessions = new Set<Session>();
  private readonly announced = new Map<bigint, Session>();
  private readonly listeners: Listeners = {
    switch_connected: new Set(),
    switch_disconnected: new Set(),
    port_status: new Set(),
    flow_removed: new Set(),
    error: new Set(),
    role_changed: new Set(),
  };
  private servers: net.Server[] = [];
  private stopSweep: (() => void) | undefined;
  private started = false;
  private stopping = false;
  private readonly appErrorLog: LogGate;
  /** Per session, the latest setRole call (a master reply that comes after a later call is ignored). */
  private readonly roleTurns = new WeakMap<Session, number>();
  private readonly reconciler: Reconciler;

  private readonly log: Logger;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly now: () => number;
  private readonly listen: ListenAddress[];
  private readonly echoIntervalMs: number;
  private readonly echoTimeoutMs: number;
  private readonly sessionConfig: SessionConfig;
  private readonly host: SessionHost;

  constructor(private readonly opts: ControllerOptions) {
    if (!opts || typeof opts.log?.info !== 'function') throw new TypeError('log: a logger is required');
    this.log = opts.log;
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.now = () => this.clock.now();
    this.appErrorLog = logGate(APP_ERROR_LOG_INTERVAL_MS, this.now);
    this.listen = validateListen(opts.listen ?? DEFAULT_LISTEN);
    const versions = opts.versions ?? [OFP_VERSION_1_0, OFP_VERSION_1_3];
    if (!versions.length || versions.some((v) => v !== OFP_VERSION_1_0 && v !== OFP_VERSION_1_3)) {
      throw new RangeError(`versions: must be a non-empty subset of [1, 4], got [${versions.join(', ')}]`);
    }
    this.echoIntervalMs = positiveInt(opts, 'echoIntervalMs');
    this.echoTimeoutMs = positiveInt(opts, 'echoTimeoutMs');
    this.reconciler = new Reconciler({
      apps: () => this.apps,
      // A slave's switches are brought in line by their master.
      switches: () => [...this.announced.values()].filter((s) => s.role !== 'slave'),
      guard: (app, hook, fn) => this.guard(app, hook, fn),
      inBands: (app, flows, version) => this.inBands(app, flows, version),
      log: this.log,
      metrics: this.metrics,
      debounceMs: positiveInt(opts, 'reconcileDebounceMs', 0),
      clock: this.clock,
    });
    this.sessionConfig = {
      versions,
      requestTimeoutMs: positiveInt(opts, 'requestTimeoutMs'),
      handshakeTimeoutMs: positiveInt(opts, 'handshakeTimeoutMs'),
      missSendLen: positiveInt(opts, 'missSendLen', 0, 0xffff),
      maxWriteBuffer: positiveInt(opts, 'maxWriteBuffer'),
      maxFrame: positiveInt(opts, 'maxFrame', 64, 0xffff),
      clock: this.clock,
      metrics: this.metrics,
      turns: opts.turns ?? new TurnScheduler(),
      sharedRead: opts.sharedRead ?? sharedReadSupport(),
    };
    this.host = this.makeHost();
    this.pipeline = new Pipeline(opts.pipeline ?? SLUICE_PIPELINE);
    this.coreApp = coreAppFor(this.pipeline);
    this.registered.push(this.coreApp);
  }

  get switches(): ReadonlyMap<bigint, SwitchSession> {
    return this.announced;
  }

  /** Register an app (before start). Names are unique; 'core' is reserved. */
  use(app: App): void {
    if (this.started) throw new Error(`use(${app.name}): apps must be registered before start()`);
    if (typeof app.name !== 'string' || !app.name)
      throw new TypeError('app.name: must be a non-empty string');
    if (this.registered.some((a) => a.name === app.name)) {
      throw new RangeError(`app.name: '${app.name}' is already registered`);
    }
    if (typeof app.cookie !== 'bigint' || app.cookie <= 0n || (app.cookie & ~APP_COOKIE_MASK) !== 0n) {
      throw new RangeError(`app.cookie (${app.name}): must be appCookie(id), got ${String(app.cookie)}`);
    }
    const clash = this.registered.find((a) => a.cookie === app.cookie);
    if (clash) throw new RangeError(`app.cookie (${app.name}): already used by '${clash.name}'`);
    if (app.desiredFlows && this.pipeline.bandsOf(app.name).length === 0) {
      throw new PipelineError(
        `pipeline: app '${app.name}' has flows but no band in the pipeline declaration`,
      );
    }
    this.pipeline.checkOverlap(
      app.name,
      this.registered.map((a) => a.name),
    );
    this.registered.push(app);
  }

  // ---------------------------------------------------------------------------------------------------
  // Events

  on<E extends keyof ControllerEvents>(event: E, listener: ControllerEvents[E]): () => void {
    this.listeners[event].add(listener);
    return () => this.off(event, listener);
  }

  off<E extends keyof ControllerEvents>(event: E, listener: ControllerEvents[E]): void {
    this.listeners[event].delete(listener);
  }

  private emit<E extends keyof ControllerEvents>(event: E, ...args: Parameters<ControllerEvents[E]>): void {
    for (const l of this.listeners[event]) {
      try {
        (l as (...a: unknown[]) => void)(...args);
      } catch (err) {
        this.log.error({ event, err: errText(err) }, 'controller event listener threw');
      }
    }
  }

  /** Runs an app hook; a throw is counted and logged (rate-limited), never propagated. */
  private guard<R>(app: App, hook: string, fn: () => R): R | undefined {
    try {
      return fn();
    } catch (err) {
      this.appFailed(app, hook, err);
      return undefined;
    }
  }

  private appFailed(app: App, hook: string, err: unknown): void {
    this.metrics.appErrors++;
    const gate = this.appErrorLog(app.name);
    if (gate.log) {
      this.log.error({ app: app.name, hook, err: errText(err), suppressed: gate.skipped }, 'app hook threw');
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Lifecycle

  async start(): Promise<void> {
    if (this.started) throw new Error('start(): already started');
    const tlsOpts = this.opts.tls ? this.tlsServerOptions(this.opts.tls) : undefined;
    this.apps = orderApps(this.registered);
    this.packetApps = this.apps.filter((a) => typeof a.packetIn === 'function');
    for (const a of this.apps) this.byName.set(a.name, a);
    this.started = true;
    for (const app of this.apps) {
      if (app.start) await app.start(this.contextFor(app));
    }
    try {
      for (const [i, addr] of this.listen.entries()) {
        this.addresses.push(await this.listenOn(addr, `listen[${i}]`, tlsOpts));
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    const sweepEvery = Math.max(10, Math.min(1000, Math.floor(this.echoIntervalMs / 2)));
    this.stopSweep = every(this.clock, sweepEvery, () => this.checkLiveness());
    this.log.info({ listen: this.addresses, tls: Boolean(tlsOpts) }, 'OpenFlow listener up');
    const read = this.sessionConfig.sharedRead;
    if (!read.ok) {
      this.log.warn(
        { reason: read.reason, node: process.version },
        "switch sockets read with 'data' events: this Node's private socket fields failed the shared-buffer check",
      );
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopSweep?.();
    this.reconciler.stop();
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of [...this.sessions]) s.close('controller stopping');
    await Promise.all(closing);
    this.servers = [];
    for (const app of [...this.apps].reverse()) {
      try {
        await app.stop?.();
      } catch (err) {
        this.appFailed(app, 'stop', err);
      }
    }
  }

  private tlsServerOptions(t: TlsOptions): tls.TlsOptions {
    return {
      key: readPem('keyFile', t.keyFile),
      cert: readPem('certFile', t.certFile),
      ca: readPem('caFile', t.caFile),
      requestCert: true,
      rejectUnauthorized: t.requireClientCert ?? true,
    };
  }

  /**
   * Another OpenFlow listener over TLS, after start() (closed by stop()): the nodes' listener, whose key and
   * certificates are in memory. `identify` sees each authenticated socket (its peer certificate) before the
   * session starts, under the remote address the session will report.
   */
  listenTls(
    addr: ListenAddress,
    tlsOpts: tls.TlsOptions,
    identify: (socket: tls.TLSSocket, remote: string) => void,
  ): Promise<ListenAddress> {
    if (!this.started || this.stopping) throw new Error('listenTls(): the controller is not running');
    return this.listenOn(addr, 'OpenFlow TLS listener', tlsOpts, identify);
  }

  private listenOn(
    addr: ListenAddress,
    label: string,
    tlsOpts?: tls.TlsOptions,
    identify?: (socket: tls.TLSSocket, remote: string) => void,
  ): Promise<ListenAddress> {
    const remoteOf = (s: net.Socket) => `${s.remoteAddress}:${s.remotePort}`;
    const server = tlsOpts
      ? tls.createServer(tlsOpts, (s) => {
          identify?.(s, remoteOf(s));
          this.accept(s, remoteOf(s));
        })
      : net.createServer({ noDelay: true }, (s) => this.accept(s, remoteOf(s)));
    if (tlsOpts) {
      server.on('tlsClientError', (err: Error, s: tls.TLSSocket) =>
        this.log.warn(
          { remote: `${s.remoteAddress}:${s.remotePort}`, err: err.message },
          'TLS handshake failed',
        ),
      );
    }
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new Error(`${label}: cannot listen on ${addr.host}:${addr.port}: ${err.message}`));
      server.once('error', onError);
      server.listen(addr.port, addr.host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.log.error({ err: err.message, ...addr }, 'listener error'));
        const bound = server.address() as net.AddressInfo;
        resolve({ host: bound.address, port: bound.port });
      });
    });
  }

  /** Takes over one switch connection (a TCP/TLS socket, or any duplex stream in tests). */
  accept(stream: Duplex, remoteAddress: string): void {
    if (this.stopping) {
      stream.destroy();
      return;
    }
    this.metrics.connectionsAccepted++;
    if (stream instanceof net.Socket) stream.setNoDelay(true);
    const session = new Session(stream, remoteAddress, this.sessionConfig, this.host);
    // In a cluster nothing changes a switch until the store names this member its master.
    if (this.opts.cluster) session.role = 'slave';
    this.sessions.add(session);
  }

  /** Keepalive sweep over all sessions (the timer calls it; tests with a fake clock may call it directly). */
  checkLiveness(): void {
    const now = this.now();
    for (const s of this.sessions) s.checkLiveness(now, this.echoIntervalMs, this.echoTimeoutMs);
  }

  private contextFor(app: App): AppContext {
    return {
      controller: this,
      store: this.store,
      ...(this.opts.cluster ? { cluster: this.opts.cluster } : {}),
      log: childLogger(this.log, { app: app.name }),
      clock: this.clock,
      now: this.now,
      requestReconcile: (appName, dpid) => this.requestReconcile(appName, dpid),
      reconcile: (req) => this.reconcile(req),
      requestReconcileIntent: (dpid) => {
        for (const name of this.pipeline.intentApps(this.apps.map((a) => a.name))) {
          this.requestReconcile(name, dpid);
        }
      },
      pipeline: this.pipeline,
    };
  }

  // ---------------------------------------------------------------------------------------------------
  // Session events

  private makeHost(): SessionHost {
    return {
      handshakeDone: (s) =>
        void this.onHandshakeDone(s).catch((err: unknown) => {
          this.log.error({ dpid: dpidText(s), err: errText(err) }, 'switch announcement failed');
          s.close('switch announcement failed');
        }),
      closed: (s, reason) => this.onClosed(s, reason),
      packetIn: (s, msg) => this.onPacketIn(s, msg),
      portStatus: (s, msg) => this.onPortStatus(s, msg),
      flowRemoved: (s, msg) => this.onFlowRemoved(s, msg),
      switchError: (s, msg) => this.onSwitchError(s, msg),
      warn: (s, fields, msg) => this.log.warn({ remote: s.remoteAddress, dpid: dpidText(s), ...fields }, msg),
    };
  }

  private async onHandshakeDone(s: Session): Promise<void> {
    // The table-miss entry goes in before apps hear of the switch, so their first packet-ins can arrive.
    // (OpenFlow 1.0 needs none, and the core owns nothing else: no stats round trip there.)
    if (s.role === 'slave') await this.askRole(s, 'slave');
    else if (s.version === OFP_VERSION_1_3) await this.reconcileSwitch(s, [this.coreApp]);
    if (!s.connected) return;
    const old = this.announced.get(s.dpid);
    if (old && old !== s) old.close('replaced by a new connection from the same datapath');
    this.announced.set(s.dpid, s);
    s.announced = true;
    this.metrics.switches = this.announced.size;
    this.log.info(
      { dpid: dpidText(s), version: s.version, remote: s.remoteAddress, ports: s.ports.size },
      'switch connected',
    );
    for (const app of this.apps)
      if (app.switchConnected) this.guard(app, 'switchConnected', () => app.switchConnected!(s));
    this.emit('switch_connected', s);
    for (const msg of s.takeEarlyPacketIns()) if (s.connected) this.onPacketIn(s, msg);
    const others = this.apps.filter((a) => a !== this.coreApp && hasIntent(a));
    if (others.length && s.role !== 'slave') void this.reconcileSwitch(s, others);
  }

  // ---------------------------------------------------------------------------------------------------
  // Roles (a cluster's mastership decides them; see src/cluster/mastership.ts)

  /**
   * Makes this controller the switch's master or slave. Slave takes effect here at once (nothing that changes
   * the switch leaves after this call), then the switch is told. Master takes effect once the switch agrees
   * (`generation`: OpenFlow 1.3's election id, newer than any before it); then the switch is brought in line
   * with every app's intent, without touching flows the apps do not own. Resolves false when the switch is
   * not connected, refused, or a later setRole overtook this one.
   */
  async setRole(dpid: bigint, role: 'master' | 'slave', generation = 0n): Promise<boolean> {
    const s = this.announced.get(dpid) as Session | undefined;
    if (!s) return false;
    const turn = (this.roleTurns.get(s) ?? 0) + 1;
    this.roleTurns.set(s, turn);
    if (role === 'slave') {
      const was = s.role;
      s.role = 'slave';
      if (was !== 'slave') this.roleChanged(s, was);
      return this.askRole(s, 'slave');
    }
    const ok = await this.askRole(s, 'master', generation);
    if (!ok || !s.connected || this.roleTurns.get(s) !== turn || s.role === 'master')
      return ok && s.role === 'master';
    const was = s.role;
    s.role = 'master';
    this.roleChanged(s, was);
    const intent = this.apps.filter((a) =>
      a === this.coreApp ? s.version === OFP_VERSION_1_3 : hasIntent(a),
    );
    void this.reconcileSwitch(s, intent);
    return true;
  }

  private roleChanged(s: Session, was: SwitchRole): void {
    this.log.info({ dpid: dpidText(s), role: s.role, was }, 'switch role changed');
    this.emit('role_changed', s, was);
  }

  /**
   * Tells the switch our role. A slave on 1.3 repeats the switch's own newest generation id (a slave's id must
   * not be older either), read with a 'nochange' request. False (logged) when the switch refuses or is gone.
   */
  private async askRole(s: Session, role: 'master' | 'slave', generation = 0n): Promise<boolean> {
    const ask = async (r: ControllerRole, gen: bigint) =>
      roleReplyOf((await s.request(roleRequest(s.version, r, gen)))[0]);
    try {
      let gen = generation;
      if (role === 'slave' && s.version === OFP_VERSION_1_3)
        gen = (await ask('nochange', 0n))?.generation ?? 0n;
      const answer = await ask(role, gen);
      if (answer?.role === role) return true;
      this.log.warn({ dpid: dpidText(s), role, answer: answer?.role }, 'switch did not take the role');
    } catch (err) {
      const stale =
        err instanceof OfErrorReplyError &&
        err.errType === OFPET13.ROLE_REQUEST_FAILED &&
        err.errCode === OFPRRFC_STALE;
      if (s.connected) {
        this.log.warn(
          { dpid: dpidText(s), role, generation: String(generation), err: errText(err) },
          stale ? 'switch refused the role: a newer generation id exists' : 'role request failed',
        );
      }
    }
    return false;
  }

  private onClosed(s: Session, reason: string): void {
    this.sessions.delete(s);
    this.reconciler.forget(s);
    if (!s.announced || this.announced.get(s.dpid) !== s) {
      if (!s.announced)
        this.log.info({ remote: s.remoteAddress, reason }, 'switch connection ended before handshake');
      return;
    }
    this.announced.delete(s.dpid);
    this.metrics.switches = this.announced.size;
    this.log.info({ dpid: dpidText(s), reason }, 'switch disconnected');
    for (const app of this.apps) {
      if (app.switchDisconnected)
        this.guard(app, 'switchDisconnected', () => app.switchDisconnected!(s.dpid));
    }
    this.emit('switch_disconnected', s.dpid, reason);
  }

  /** The hot path: no awaits, no logging, no allocation beyond the parsed frame and the decision. */
  private onPacketIn(s: Session, msg: PacketIn): void {
    this.metrics.packetIn++;
    const apps = this.packetApps;
    if (!apps.length) return;
    const frame = parseEthernet(msg.data);
    const decision: PacketDecision = {};
    for (let i = 0; i < apps.length; i++) {
      const app = apps[i];
      let d;
      try {
        d = app.packetIn!(s, msg, frame, decision);
      } catch (err) {
        this.appFailed(app, 'packetIn', err);
        continue;
      }
      if (d === 'stop') break;
    }
  }

  private onPortStatus(s: Session, msg: PortStatus): void {
    for (const app of this.apps)
      if (app.portStatus) this.guard(app, 'portStatus', () => app.portStatus!(s, msg));
    this.emit('port_status', s, msg);
  }

  private onFlowRemoved(s: Session, msg: FlowRemoved): void {
    for (const app of this.apps)
      if (app.flowRemoved) this.guard(app, 'flowRemoved', () => app.flowRemoved!(s, msg));
    this.emit('flow_removed', s, msg);
  }

  private onSwitchError(s: Session, msg: ErrorMsg): void {
    const mod = this.reconciler.switchError(s, msg);
    this.log.warn(
      {
        dpid: dpidText(s),
        errType: msg.errType,
        code: msg.code,
        xid: msg.xid,
        ...(mod ? { app: mod.outcome.app, kind: mod.kind, op: mod.outcome.op } : {}),
      },
      mod ? 'switch rejected a reconciled message' : 'switch reported error',
    );
    this.emit('error', s, msg);
  }

  // ---------------------------------------------------------------------------------------------------
  // Reconciler

  requestReconcile(appName: string, dpid?: bigint): void {
    this.reconciler.request(appName, dpid);
  }

  /** See AppContext.reconcile. */
  reconcile(req: ReconcileRequest): Promise<SwitchReconcile[]> {
    return this.reconciler.reconcile(req);
  }

  /**
   * Brings `apps`' intent on one switch in line (their whole intent). Runs on one switch are serialised; a
   * failure is logged and leaves the switch as it was (the next run retries). Resolves when done.
   */
  reconcileSwitch(s: SwitchSession, apps: readonly App[]): Promise<SwitchReconcile> {
    return this.reconciler.run(
      s,
      apps.map((app) => ({ app })),
    );
  }

  /** The specs inside the app's pipeline bands; each one outside is refused (counted and logged). */
  private inBands(app: App, specs: FlowSpec[], version: OfVersion): FlowSpec[] {
    const ok: FlowSpec[] = [];
    for (const spec of specs) {
      const why = this.pipeline.refusal(app.name, spec, version);
      if (why === undefined) ok.push(spec);
      else this.appFailed(app, 'desiredFlows (flow refused)', new PipelineError(`pipeline: ${why}`));
    }
    return ok;
  }
}

function dpidText(s: SwitchSession): string {
  return s.dpid.toString(16).padStart(16, '0');
}

/** A logger that adds `fields` to every line (pino's child() when there is one). */
function childLogger(log: Logger, fields: object): Logger {
  const withChild = log as Logger & { child?: (f: object) => Logger };
  if (typeof withChild.child === 'function') return withChild.child(fields);
  return {
    debug: (o, m) => log.debug({ ...fields, ...o }, m),
    info: (o, m) => log.info({ ...fields, ...o }, m),
    warn: (o, m) => log.warn({ ...fields, ...o }, m),
    error: (o, m) => log.error({ ...fields, ...o }, m),
  };
}

function errText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

export type { OfVersion };
