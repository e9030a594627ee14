/**
 * The surface apps code against: the App hooks, the context the controller hands them, the per-switch
 * session, and the intent type (FlowSpec) the reconciler programs. No implementation lives here so that apps
 * and their tests depend only on types.
 */
import type {
  DescStats,
  ErrorMsg,
  FeaturesReply,
  FlowRemoved,
  FlowStatsEntry,
  GroupDescEntry,
  Instruction,
  Match,
  MeterConfigEntry,
  OfMessage,
  OfMessageBody,
  OfVersion,
  PacketIn,
  PortDesc,
  PortStatus,
  StatsReplyBody,
  StatsRequestBody,
} from '../openflow/index.js';
import type { EthernetFrame } from '../packet/index.js';
import type { Store } from '../store/index.js';
import type { Pipeline } from './tables.js';
import type { Clock } from '../util/index.js';

/** Omit that distributes over a union, so each message variant keeps its own fields. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An OpenFlow message as apps write it: the session fills in `version` and `xid`. */
export type { OfMessageBody };

/** The request body of one stats/multipart kind ('flow' and 'aggregate' share one body shape). */
export type StatsRequestOf<K extends StatsRequestBody['kind']> = StatsRequestBody & { kind: K };
/** The reply body of one stats kind, with the parts of a multipart reply already merged. */
export type StatsReplyOf<K extends StatsReplyBody['kind']> = Extract<StatsReplyBody, { kind: K }>;

/** Structured logger; a pino logger fits. The first argument carries fields, the second the message. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SwitchSession {
  readonly dpid: bigint;
  readonly version: OfVersion;
  /** `host:port` of the switch end of the connection. */
  readonly remoteAddress: string;
  readonly connectedSince: Date;
  readonly features: FeaturesReply;
  /** DESC stats; undefined when the switch did not answer the request in time. */
  readonly desc?: DescStats;
  /** Kept current from PORT_STATUS (OF1.0 from FEATURES, OF1.3 from the PORT_DESC multipart). */
  readonly ports: ReadonlyMap<number, PortDesc>;
  /** False once the connection is gone; sends on a closed session are dropped silently. */
  readonly connected: boolean;
  /**
   * This controller's role on the switch: 'equal' when it runs alone; in a cluster 'slave' until the store
   * names this member the switch's master. A slave's changes (flow, group, meter, port and table mods,
   * packet-outs) are dropped before they leave (request() rejects with NotMasterError); it gets no packet-ins.
   * Undefined (test fakes): as 'equal'.
   */
  readonly role?: SwitchRole;
  /**
   * Round trip (ms) of the latest ECHO_REQUEST the controller sent on this connection and got answered
   * (keepalive, or one an app sent); half of it estimates the one-way control-channel delay. Undefined until
   * one is answered, and on sessions that do not measure it (test fakes).
   */
  readonly echoRttMs?: number;
  /** Queue a message; xid assigned (returned), version filled in. Writes are coalesced per event-loop tick. */
  send(msg: OfMessageBody): number;
  /**
   * Queue a message already encoded for this session's version (a precompiled template such as
   * L2FlowModTemplate); the session stamps the xid (returned) into the frame. Throws RangeError when the
   * frame is not one whole message of the session's version.
   */
  sendFrame(frame: Buffer): number;
  /**
   * Send and resolve with every reply that carries the same xid: one message, or all parts of a multipart
   * (stats) reply once the MORE flag clears. Rejects with RequestTimeoutError, with OfErrorReplyError when the
   * switch answers with OFPT_ERROR, and with SessionClosedError when the connection goes away.
   */
  request<T extends OfMessage = OfMessage>(msg: OfMessageBody, opts?: { timeoutMs?: number }): Promise<T[]>;
  /** A stats/multipart request; reply parts merged into one body (lists concatenated). */
  stats<K extends StatsRequestBody['kind']>(
    body: StatsRequestOf<K>,
    opts?: { timeoutMs?: number },
  ): Promise<StatsReplyOf<K>>;
  /** Resolves when the switch has processed every message sent before it. */
  barrier(opts?: { timeoutMs?: number }): Promise<void>;
  close(reason: string): void;
}

export type SwitchRole = 'equal' | 'master' | 'slave';

export type Disposition = 'continue' | 'stop';

/**
 * Per-packet scratch the pipeline passes from app to app (Floodlight's routing decision). An app that
 * decides the packet's fate (firewall, acl) fills it; later apps (forwarding) obey it.
 */
export interface PacketDecision {
  /** 'deny': drop the packet and (optionally) install a drop flow for `match`. */
  verdict?: 'allow' | 'deny';
  /** The (wildcarded) match the verdict applies to, for a flow that caches it on the switch. */
  match?: Match;
  /** Name of the app that set the verdict. */
  by?: string;
  reason?: string;
  /** Free-form notes between cooperating apps, keyed by app name. */
  notes?: Record<string, unknown>;
}

/** One permanent flow an app wants on a switch. The reconciler turns it into a FLOW_MOD ADD when missing. */
export interface FlowSpec {
  tableId: number;
  priority: number;
  match: Match;
  /** Empty means drop. On OF1.0 only a single apply_actions is allowed. */
  instructions: Instruction[];
  idleTimeout?: number;
  hardTimeout?: number;
  /** Defaults to the owning app's cookie; if given, its high 16 bits must still be the app's. */
  cookie?: bigint;
  /** OFPFF_* bits, e.g. OFPFF_SEND_FLOW_REM. */
  flags?: number;
}

/**
 * Which flow on a switch: its identity (table, priority, match) and, to delete it exactly, its cookie
 * (default: the owning app's cookie).
 */
export interface FlowRef {
  tableId: number;
  priority: number;
  match: Match;
  cookie?: bigint;
}

/** A request to bring one app's intent onto one switch (or every connected switch). */
export interface ReconcileRequest {
  app: string;
  /** Default: every connected switch. */
  dpid?: bigint;
  /**
   * A targeted run: only the flows with these identities, whose intent the caller just changed. Each one
   * that is desired now is (re)added, each one that is not is deleted (DELETE_STRICT, by its cookie); the
   * switch is not read first, and meters and groups are left to full runs. Default: the app's whole intent
   * against what the switch reports (flows, and meters/groups when the app declares them).
   */
  flows?: readonly FlowRef[];
}

/** Why one message of a reconcile run did not take effect. */
export interface ModError {
  /** The switch's OFPT_ERROR type and code; absent when the message could not be built or encoded. */
  errType?: number;
  code?: number;
  message: string;
}

/** What became of one flow mod the reconciler sent; no `error` means the switch's barrier confirmed it. */
export interface FlowOutcome {
  app: string;
  op: 'add' | 'delete';
  flow: FlowRef & Partial<FlowSpec>;
  error?: ModError;
}

export interface MeterOutcome {
  app: string;
  op: 'add' | 'modify' | 'delete';
  meterId: number;
  error?: ModError;
}

export interface GroupOutcome {
  app: string;
  op: 'add' | 'modify' | 'delete';
  groupId: number;
  error?: ModError;
}

/**
 * One reconcile run on one switch: what it sent and how the switch answered each message. Things already
 * in place are not listed (nothing was sent for them).
 */
export interface SwitchReconcile {
  dpid: bigint;
  version: OfVersion;
  /** The apps the run covered. */
  apps: string[];
  flows: FlowOutcome[];
  meters: MeterOutcome[];
  groups: GroupOutcome[];
  /**
   * Set when the run stopped early (a stats request failed, a barrier timed out, the connection closed):
   * outcomes sent before it stay listed, but those without an error were not confirmed.
   */
  failure?: Error;
}

/** What apps can see of the controller (the Controller class implements it). */
export interface ControllerApi {
  readonly switches: ReadonlyMap<bigint, SwitchSession>;
  on<E extends keyof ControllerEvents>(event: E, listener: ControllerEvents[E]): () => void;
  off<E extends keyof ControllerEvents>(event: E, listener: ControllerEvents[E]): void;
  requestReconcile(appName: string, dpid?: bigint): void;
  readonly metrics: Readonly<ControllerMetrics>;
}

/** Events the controller emits. Listener exceptions are caught and logged. */
export interface ControllerEvents {
  switch_connected: (sw: SwitchSession) => void;
  switch_disconnected: (dpid: bigint, reason: string) => void;
  port_status: (sw: SwitchSession, msg: PortStatus) => void;
  flow_removed: (sw: SwitchSession, msg: FlowRemoved) => void;
  /** An OFPT_ERROR from a switch that no pending request claimed. */
  error: (sw: SwitchSession, msg: ErrorMsg) => void;
  /** This controller's role on the switch changed (cluster mastership); `sw.role` is the new one. */
  role_changed: (sw: SwitchSession, was: SwitchRole) => void;
}

/** Plain counters (monotonic unless noted) for the API's /metrics. */
export interface ControllerMetrics {
  packetIn: number;
  packetOut: number;
  flowMods: number;
  messagesIn: number;
  messagesOut: number;
  /** OFPT_ERROR messages received. */
  switchErrors: number;
  /** Malformed frames received (decode/framing errors). */
  decodeErrors: number;
  /** App hooks that threw. */
  appErrors: number;
  requestTimeouts: number;
  echoTimeouts: number;
  connectionsAccepted: number;
  handshakeFailures: number;
  /** Reconcile runs completed (one per switch per trigger, covering one or more apps). */
  reconcileRuns: number;
  reconcileFlowsAdded: number;
  reconcileFlowsDeleted: number;
  /** Gauge: switches with a finished handshake. */
  switches: number;
  /** Messages that would change a switch this member is a slave of, dropped before they left. */
  slaveDrops: number;
}

/**
 * What an app sees of the controller's cluster (issue 13); absent when the controller runs alone. Config lives
 * in the store, so every member has it; work that must happen once per cluster runs where this says so.
 */
export interface ClusterContext {
  readonly clusterId: string;
  readonly memberId: string;
  /** Whether this member leads the cluster now: once-per-cluster actions run only there. */
  isLeader(): boolean;
  /** Whether this member masters the switch now: only the master programs it and gets its packet-ins. */
  isMaster(dpid: bigint): boolean;
  /** The member's lease while it is registered: keys that should vanish with this member go on it. */
  lease(): string | undefined;
  /** Called with the lease each time the member registers (again, after a lost lease); returns unsubscribe. */
  onRegistered(cb: (lease: string) => void): () => void;
  /** Called when this member starts (true) or stops (false) leading; returns unsubscribe. */
  onLeadership(cb: (leading: boolean) => void): () => void;
}

export interface AppContext {
  controller: ControllerApi;
  /** Set when the controller is a member of a cluster. */
  cluster?: ClusterContext;
  store: Store;
  log: Logger;
  /** The controller's injected clock: apps' timers go through it, so tests can drive a FakeClock. */
  clock: Clock;
  /** Milliseconds: clock.now(). */
  now(): number;
  /** Ask the reconciler to re-sync this app's flows on one or all switches (debounced). */
  requestReconcile(appName: string, dpid?: bigint): void;
  /**
   * Reconcile soon (the next turn; requests of one turn share a run and a barrier per switch) and resolve
   * with the run on each switch it covered, once the switch has answered (the run that includes every
   * change the app made before calling). An empty list: no connected switch was concerned.
   */
  reconcile(req: ReconcileRequest): Promise<SwitchReconcile[]>;
  /** Ask every app whose flows are permanent intent in the pipeline to re-sync them (after a wipe). */
  requestReconcileIntent(dpid?: bigint): void;
  /** Where each app's flows go (tables, priority bands): apps take their table and priorities from it. */
  pipeline: Pipeline;
}

export interface App {
  /** 'topology', 'hosts', 'forwarding', 'staticflows', 'firewall', ... ('core' is the controller's own). */
  readonly name: string;
  /** High 16 bits identify the app: appCookie(appId) = appId << 48n. */
  readonly cookie: bigint;
  /** Apps that must run before this one on the packet-in pipeline (names of apps not registered are ignored,
   * so an optional app can be disabled; a cycle is a startup error). */
  readonly after?: string[];
  start?(ctx: AppContext): void | Promise<void>;
  stop?(): void | Promise<void>;
  switchConnected?(sw: SwitchSession): void;
  switchDisconnected?(dpid: bigint): void;
  portStatus?(sw: SwitchSession, msg: PortStatus): void;
  packetIn?(sw: SwitchSession, msg: PacketIn, frame: EthernetFrame, decision: PacketDecision): Disposition;
  flowRemoved?(sw: SwitchSession, msg: FlowRemoved): void;
  /** Intent: the permanent flows this app wants on `sw` now (pure function of its state). Reconciled. */
  desiredFlows?(sw: SwitchSession): FlowSpec[];
  /**
   * For apps whose flows carry users' cookies (staticflows): which switch flows this app owns, replacing
   * ownership by the cookie's high 16 bits. With it, the reconciler reads every flow of the switch, and the
   * app's FlowSpecs may carry any cookie.
   */
  ownsFlow?(sw: SwitchSession, flow: FlowStatsEntry): boolean;
  /**
   * For apps with many flows per switch: the desired flows with the identities of `refs` (the part of
   * desiredFlows(sw) a targeted reconcile needs). Without it, desiredFlows(sw) is filtered.
   */
  desiredFlowsFor?(sw: SwitchSession, refs: readonly FlowRef[]): FlowSpec[];
  /**
   * Intent for OpenFlow 1.3 meters: the meters this app wants on `sw` now. Reconciled against the switch's
   * meter-config stats: added/modified before the flows that use them, deleted after the flows are gone.
   */
  desiredMeters?(sw: SwitchSession): MeterConfigEntry[];
  /** Which switch meters are this app's (deleted when no longer desired); required with desiredMeters. */
  ownsMeter?(meterId: number): boolean;
  /** Intent for OpenFlow 1.3 groups, reconciled against group-desc stats like meters. */
  desiredGroups?(sw: SwitchSession): GroupDescEntry[];
  /** Which switch groups are this app's; required with desiredGroups. */
  ownsGroup?(groupId: number): boolean;
}

/** Cookie bits that name the owning app. */
export const APP_COOKIE_MASK = 0xffff_0000_0000_0000n;

/** The cookie of app number `appId` (1..0xffff; 0 is left to flows nobody owns). */
export function appCookie(appId: number): bigint {
  if (!Number.isInteger(appId) || appId < 1 || appId > 0xffff) {
    throw new RangeError(`appId: must be an integer 1..65535, got ${appId}`);
  }
  return BigInt(appId) << 48n;
}

/** The controller's own app id ('core': the OF1.3 table-miss entry). */
export const CORE_APP_ID = 0xffff;
