/**
 * A fake network for app unit tests (Faucet's fakeoftable idea): switches with flow tables that FLOW_MODs
 * change, cables, and hosts that answer ARP and ping. Apps run in a fake controller on a fake clock; every
 * message they send is applied to the fake switch it went to, and packets travel through tables, cables and
 * packet-ins until the network is quiet. Tests assert outcomes ("did h2 get the ping", "would s1 output this
 * packet to port 3"), not flow text. Unsupported messages, actions and match fields throw.
 */
import { EventEmitter } from 'node:events';
import {
  APP_COOKIE_MASK,
  desiredFlowsAt,
  hasIntent,
  CORE_APP_ID,
  DEFAULT_PIPELINE,
  appCookie,
  orderApps,
  ownedBy,
  planReconcile,
  recordOutcome,
  switchError,
  type App,
  type AppContext,
  type ControllerApi,
  type ControllerMetrics,
  type FlowRef,
  type Logger,
  type OfMessageBody,
  type PacketDecision,
  type SwitchReconcile,
  type SwitchSession,
} from '../../src/controller/index.js';
import {
  decode,
  encode,
  OFPFC,
  OFPFF_SEND_FLOW_REM,
  OFPP,
  OFPPS_LINK_DOWN,
  OFP_NO_BUFFER,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  OFPTT_ALL,
  type Action,
  type FeaturesReply,
  type FlowMod,
  type FlowStatsEntry,
  type Instruction,
  type Match,
  type MeterConfigEntry,
  type MeterMod,
  type OfMessage,
  type OfVersion,
  type PacketIn,
  type PortDesc,
} from '../../src/openflow/index.js';
import {
  ARP_OP,
  ETH_TYPE,
  IP_PROTO,
  buildArpReply,
  buildArpRequest,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  ipv4TextToNum,
  macNumToText,
  macTextToNum,
  parseEthernet,
  type EthernetFrame,
} from '../../src/packet/index.js';
import type { Store } from '../../src/store/index.js';
import { canonicalMatch } from '../../src/controller/reconcile.js';
import { port } from './controller.fake-switch.js';
import { FakeClock as UtilFakeClock } from '../../src/util/index.js';

/** util's FakeClock, with `t` to read or move the time (moving it fires the timers due by then). */
export class FakeClock extends UtilFakeClock {
  constructor() {
    super(1_000_000);
  }
  get t(): number {
    return this.now();
  }
  set t(ms: number) {
    this.advance(ms - this.now());
  }
}

export interface FlowEntry {
  tableId: number;
  priority: number;
  match: Match;
  /** Apply-actions; empty (and no goto): drop. */
  actions: Action[];
  /** As the FLOW_MOD gave them (what flow stats report). */
  instructions: Instruction[];
  /** The meter instruction's meter (OpenFlow 1.3). */
  meterId?: number;
  /** OF1.3 goto_table: the pipeline goes on in that table after the actions. */
  gotoTable?: number;
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  installedAt: number;
  lastUsed: number;
  packets: number;
}

const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function portDesc(portNo: number, dpid: bigint): PortDesc {
  return {
    ...port(portNo, `s${dpid}-eth${portNo}`),
    hwAddr: macNumToText(Number(dpid & 0xffffffn) * 0x1000000 + portNo),
  };
}

function matchFields(m: Match, inPort: number, f: EthernetFrame): boolean {
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined) continue;
    let ok: boolean;
    switch (k) {
      case 'in_port':
        ok = inPort === v;
        break;
      case 'eth_src':
        ok = f.src === v;
        break;
      case 'eth_dst':
        ok = f.dst === v;
        break;
      case 'eth_type':
        ok = f.ethType === v;
        break;
      case 'vlan_vid':
        ok = v === 0 ? f.vlan === undefined : f.vlan !== undefined && (f.vlan.vid | 0x1000) === v;
        break;
      case 'ip_proto':
        ok = (f.ipv4?.proto ?? f.ipv6?.nextHeader) === v;
        break;
      case 'ipv4_src':
        ok = f.ipv4?.src === v;
        break;
      case 'ipv4_dst':
        ok = f.ipv4?.dst === v;
        break;
      case 'tcp_src':
        ok = f.tcp?.srcPort === v;
        break;
      case 'tcp_dst':
        ok = f.tcp?.dstPort === v;
        break;
      case 'udp_src':
        ok = f.udp?.srcPort === v;
        break;
      case 'udp_dst':
        ok = f.udp?.dstPort === v;
        break;
      case 'icmpv4_type':
        ok = f.icmp?.type === v;
        break;
      case 'arp_op':
        ok = f.arp?.op === v;
        break;
      case 'arp_spa':
        ok = f.arp?.spa === v;
        break;
      case 'arp_tpa':
        ok = f.arp?.tpa === v;
        break;
      default:
        throw new Error(`fake switch: match field ${k} not supported`);
    }
    if (!ok) return false;
  }
  return true;
}

function sameMatch(a: Match, b: Match): boolean {
  return canonicalMatch(a) === canonicalMatch(b);
}

/** OFPET_METER_MOD_FAILED and its codes (OFPMMFC_*). */
const METER_MOD_FAILED = 12;
const OFPMMFC = { METER_EXISTS: 1, UNKNOWN_METER: 7 } as const;

/** What a packet gets from a switch's table: where it goes and what marks it on the way. */
export interface Treatment {
  /** Output ports, 'controller', or [] (drop). */
  output: number[] | 'controller';
  meterId?: number;
  /** DSCP set by the flow. */
  dscp?: number;
  /** Queue set by set_queue or enqueue. */
  queue?: number;
  /** Addresses set by set_field (eth_src, eth_dst, ipv4_src, ipv4_dst), as the flow gives them. */
  rewrites?: Partial<Record<string, string>>;
}

/** The address rewrites the fake applies to packets (what NAT and load balancing use). */
const REWRITES = new Set(['eth_src', 'eth_dst', 'ipv4_src', 'ipv4_dst']);

/** Non-strict delete: the entry is at least as specific as the delete's match. */
function covers(del: Match, entry: Match): boolean {
  return Object.entries(del).every(([k, v]) => v === undefined || entry[k as keyof Match] === v);
}

function actionsOf(msg: FlowMod, version: OfVersion): Action[] {
  if (msg.instructions.length === 0) return [];
  const out: Action[] = [];
  for (const ins of msg.instructions) {
    if (ins.type === 'meter' || ins.type === 'goto_table') continue;
    if (ins.type !== 'apply_actions') throw new Error(`fake switch: instruction ${ins.type} not supported`);
    out.push(...ins.actions);
  }
  if (version === OFP_VERSION_1_0 && msg.instructions.length > 1)
    throw new Error('OF1.0: one apply_actions only');
  return out;
}

export class FakeSwitch implements SwitchSession {
  readonly remoteAddress = 'fake:0';
  readonly connectedSince = new Date(0);
  connected = false;
  readonly ports = new Map<number, PortDesc>();
  readonly flows: FlowEntry[] = [];
  /** OpenFlow 1.3 meters by id. */
  readonly meters = new Map<number, MeterConfigEntry>();
  /** Every message the apps sent to this switch, in order. */
  readonly sent: OfMessageBody[] = [];
  /** OFPT_ERRORs this switch answered with, by the xid they answer. */
  readonly errors = new Map<number, { errType: number; code: number }>();
  /** A test's veto: messages it returns an error for are refused (answered with that OFPT_ERROR). */
  refuse?: (msg: OfMessageBody) => { errType: number; code: number } | undefined;
  readonly features: FeaturesReply;
  packetIns = 0;
  private xid = 1;
  private readonly buffers = new Map<number, { inPort: number; data: Buffer }>();
  private nextBuffer = 1;

  constructor(
    private readonly net: FakeNetwork,
    readonly dpid: bigint,
    readonly version: OfVersion,
    nPorts: number,
    /** Packet-ins carry buffer ids (as cbench and some hardware do). */
    readonly buffering = false,
  ) {
    for (let p = 1; p <= nPorts; p++) this.ports.set(p, portDesc(p, dpid));
    this.features = {
      type: 'features_reply',
      version,
      xid: 0,
      datapathId: dpid,
      nBuffers: 256,
      nTables: 1,
      auxiliaryId: 0,
      capabilities: 0,
      actions: 0,
      ports: [...this.ports.values()],
    };
  }

  /** Every message goes through the real codec (so what a version cannot carry fails here as on the wire). */
  send(msg: OfMessageBody): number {
    const xid = this.xid++;
    const wire = decode(encode({ ...msg, version: this.version, xid } as OfMessage)) as OfMessageBody;
    this.sent.push(wire);
    const err = this.refuse?.(wire) ?? this.net.fromController(this, wire);
    if (err) this.errors.set(xid, err);
    return xid;
  }
  /** A precompiled frame takes the same path as a message: decoded, as the switch would read it. */
  sendFrame(frame: Buffer): number {
    const { version, xid: _xid, ...body } = decode(frame);
    if (version !== this.version)
      throw new RangeError(`frame: version ${version} on a ${this.version} switch`);
    return this.send(body as OfMessageBody);
  }
  request(): Promise<never> {
    return Promise.reject(new Error('fake switch: request() not supported'));
  }
  stats(): Promise<never> {
    return Promise.reject(new Error('fake switch: stats() not supported'));
  }
  barrier(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}

  isUp(port: number): boolean {
    const p = this.ports.get(port);
    return p !== undefined && (p.state & OFPPS_LINK_DOWN) === 0;
  }

  lookup(inPort: number, f: EthernetFrame, tableId = 0): FlowEntry | undefined {
    let best: FlowEntry | undefined;
    for (const e of this.flows) {
      if (e.tableId !== tableId) continue;
      if ((best === undefined || e.priority > best.priority) && matchFields(e.match, inPort, f)) best = e;
    }
    return best;
  }

  /** From the flow tables alone (goto_table followed): what a packet arriving on `inPort` gets. */
  treat(inPort: number, data: Buffer): Treatment {
    const t: Treatment = { output: [] };
    const f = parseEthernet(data);
    let table: number | undefined = 0;
    while (table !== undefined) {
      const e = this.lookup(inPort, f, table);
      if (!e) return { ...t, output: 'controller' };
      if (e.meterId !== undefined) t.meterId = e.meterId;
      for (const a of e.actions) {
        if (a.type === 'set_field' && a.field === 'ip_dscp') t.dscp = Number(a.value);
        else if (a.type === 'set_field' && REWRITES.has(a.field)) {
          (t.rewrites ??= {})[a.field] = String(a.value);
        } else if (a.type === 'set_queue') t.queue = a.queueId;
        else if (a.type === 'enqueue') {
          t.queue = a.queueId;
          (t.output as number[]).push(a.port);
        } else if (a.type === 'output') {
          if (a.port === OFPP.CONTROLLER) return { ...t, output: 'controller' };
          (t.output as number[]).push(a.port === OFPP.IN_PORT ? inPort : a.port);
        } else throw new Error(`fake switch: action ${a.type} not supported`);
      }
      table = e.gotoTable;
    }
    return t;
  }

  /** From the flow tables alone: output ports, 'controller' (table miss or explicit), or [] (drop). */
  wouldOutput(inPort: number, data: Buffer): number[] | 'controller' {
    return this.treat(inPort, data).output;
  }

  bufferPacket(inPort: number, data: Buffer): number {
    if (!this.buffering) return OFP_NO_BUFFER;
    const id = this.nextBuffer++;
    this.buffers.set(id, { inPort, data });
    return id;
  }

  takeBuffer(id: number): { inPort: number; data: Buffer } {
    const b = this.buffers.get(id);
    if (!b) throw new Error(`fake switch s${this.dpid}: unknown or reused buffer id ${id}`);
    this.buffers.delete(id);
    return b;
  }

  get pendingBuffers(): number {
    return this.buffers.size;
  }
}

export interface FakeHost {
  name: string;
  mac: string;
  ip: string;
  dpid: bigint;
  port: number;
  /** Every frame delivered to the host (addressed to it or broadcast/multicast). */
  received: Buffer[];
  arpCache: Map<string, string>;
}

type Event =
  | { kind: 'switch'; dpid: bigint; port: number; data: Buffer }
  | { kind: 'host'; host: FakeHost; data: Buffer }
  | { kind: 'packet_in'; sw: FakeSwitch; inPort: number; data: Buffer; reason: number };

export class FakeNetwork {
  readonly clock = new FakeClock();
  readonly switches = new Map<bigint, FakeSwitch>();
  readonly hosts = new Map<string, FakeHost>();
  /** Connected sessions as the apps see them. */
  readonly sessions = new Map<bigint, SwitchSession>();
  private readonly cables = new Map<string, { dpid: bigint; port: number }>();
  private readonly hostAt = new Map<string, FakeHost>();
  private readonly queue: Event[] = [];
  private apps: App[] = [];
  private readonly events = new EventEmitter();
  packetIns = 0;
  /** Stop a run after this many events: more means a storm. */
  maxEvents = 20_000;
  readonly ctx: AppContext;

  /** Every reconcile run, in order (what the reconciler sent and how the switches answered). */
  readonly reconciles: SwitchReconcile[] = [];

  constructor(opts: { store?: Store } = {}) {
    const controller: ControllerApi = {
      switches: this.sessions,
      on: (event, listener) => {
        this.events.on(event, listener as never);
        return () => this.events.off(event, listener as never);
      },
      off: (event, listener) => void this.events.off(event, listener as never),
      requestReconcile: (name, dpid) => void this.reconcile(name, dpid),
      metrics: {} as ControllerMetrics,
    };
    this.ctx = {
      controller,
      store: opts.store ?? ({} as Store),
      log: silentLog,
      clock: this.clock,
      now: () => this.clock.now(),
      requestReconcile: (name, dpid) => void this.reconcile(name, dpid),
      reconcile: async (req) => this.reconcile(req.app, req.dpid, req.flows),
      requestReconcileIntent: (dpid) => {
        for (const name of DEFAULT_PIPELINE.intentApps(this.apps.map((a) => a.name)))
          void this.reconcile(name, dpid);
      },
      pipeline: DEFAULT_PIPELINE,
    };
  }

  addSwitch(
    dpid: bigint,
    nPorts: number,
    opts: { version?: OfVersion; buffering?: boolean } = {},
  ): FakeSwitch {
    const sw = new FakeSwitch(this, dpid, opts.version ?? OFP_VERSION_1_0, nPorts, opts.buffering);
    this.switches.set(dpid, sw);
    return sw;
  }

  cable(a: bigint, pa: number, b: bigint, pb: number): void {
    this.cables.set(`${a}:${pa}`, { dpid: b, port: pb });
    this.cables.set(`${b}:${pb}`, { dpid: a, port: pa });
  }

  addHost(name: string, n: number, dpid: bigint, port: number): FakeHost {
    const h: FakeHost = {
      name,
      mac: macNumToText(n),
      ip: `10.0.${n >> 8}.${n & 255}`,
      dpid,
      port,
      received: [],
      arpCache: new Map(),
    };
    this.hosts.set(name, h);
    this.hostAt.set(`${dpid}:${port}`, h);
    return h;
  }

  host(name: string): FakeHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** Register apps (pipeline order resolved from `after`) and start them. */
  async start(apps: App[]): Promise<void> {
    this.apps = orderApps(apps);
    for (const app of this.apps) await app.start?.(this.ctx);
  }

  /**
   * A controller restart: every session drops (flows stay on the switches, as on real ones), the old apps
   * stop (last first, as Controller.stop does), then the new app instances start and the switches reconnect.
   */
  async restartController(apps: App[]): Promise<void> {
    for (const app of [...this.apps].reverse()) await app.stop?.();
    for (const sw of this.switches.values()) {
      sw.connected = false;
      this.sessions.delete(sw.dpid);
    }
    await this.start(apps);
    this.connectAll();
  }

  connect(dpid: bigint): void {
    const sw = this.switches.get(dpid)!;
    sw.connected = true;
    this.sessions.set(dpid, sw);
    this.reconcileOn(this.core, sw);
    for (const app of this.apps) if (hasIntent(app)) this.reconcileOn(app, sw);
    for (const app of this.apps) app.switchConnected?.(sw);
    this.events.emit('switch_connected', sw);
    this.run();
  }

  connectAll(): void {
    for (const dpid of [...this.switches.keys()].sort((a, b) => (a < b ? -1 : 1))) this.connect(dpid);
  }

  disconnect(dpid: bigint): void {
    const sw = this.switches.get(dpid)!;
    sw.connected = false;
    this.sessions.delete(dpid);
    for (const app of this.apps) app.switchDisconnected?.(dpid);
    this.run();
  }

  /** One LLDP round of the topology app (if any), then deliver everything. */
  discover(): void {
    const topo = this.apps.find((a) => a.name === 'topology') as { discoveryRound?: () => void } | undefined;
    topo?.discoveryRound?.();
    this.run();
  }

  advance(ms: number): void {
    this.clock.t += ms;
    const now = this.clock.t;
    for (const sw of this.switches.values()) {
      const expired: [FlowEntry, number][] = [];
      for (let i = sw.flows.length - 1; i >= 0; i--) {
        const e = sw.flows[i];
        const idle = e.idleTimeout > 0 && now - e.lastUsed >= e.idleTimeout * 1000;
        const hard = e.hardTimeout > 0 && now - e.installedAt >= e.hardTimeout * 1000;
        if (idle || hard) {
          sw.flows.splice(i, 1);
          expired.push([e, idle ? 0 : 1]);
        }
      }
      // Reported once the table is settled: an app may answer a FLOW_REMOVED with deletes of its own.
      for (const [e, reason] of expired) this.flowRemoved(sw, e, reason);
    }
  }

  setLink(a: bigint, pa: number, b: bigint, pb: number, up: boolean): void {
    for (const [dpid, port] of [
      [a, pa],
      [b, pb],
    ] as const) {
      const sw = this.switches.get(dpid)!;
      const old = sw.ports.get(port)!;
      const desc = { ...old, state: up ? old.state & ~OFPPS_LINK_DOWN : old.state | OFPPS_LINK_DOWN };
      sw.ports.set(port, desc);
      if (!sw.connected) continue;
      const msg = { type: 'port_status' as const, version: sw.version, xid: 0, reason: 2, desc };
      for (const app of this.apps) app.portStatus?.(sw, msg);
      this.events.emit('port_status', sw, msg);
    }
    this.run();
  }

  /** Pull a cable out without the switches noticing (no PORT_STATUS): only LLDP timeouts can tell. */
  uncable(a: bigint, pa: number): void {
    const peer = this.cables.get(`${a}:${pa}`);
    this.cables.delete(`${a}:${pa}`);
    if (peer) this.cables.delete(`${peer.dpid}:${peer.port}`);
  }

  moveHost(name: string, dpid: bigint, port: number): void {
    const h = this.host(name);
    this.hostAt.delete(`${h.dpid}:${h.port}`);
    h.dpid = dpid;
    h.port = port;
    this.hostAt.set(`${dpid}:${port}`, h);
  }

  /** A frame leaves host `h` into its switch port. */
  sendFrom(h: FakeHost, data: Buffer): void {
    this.queue.push({ kind: 'switch', dpid: h.dpid, port: h.port, data });
  }

  /** ARP if needed, then one ICMP echo; true when the reply came back. Runs the network. */
  ping(from: string, to: string): boolean {
    const a = this.host(from);
    const b = this.host(to);
    if (!a.arpCache.has(b.ip)) {
      this.sendFrom(a, buildArpRequest({ senderMac: a.mac, senderIp: a.ip, targetIp: b.ip }));
      this.run();
    }
    const mac = a.arpCache.get(b.ip);
    if (mac === undefined) return false;
    const seq = (this.pingSeq = (this.pingSeq + 1) & 0xffff);
    const before = a.received.length;
    const ip = buildIpv4({ src: a.ip, dst: b.ip, proto: IP_PROTO.ICMP, payload: buildIcmpEcho(8, 7, seq) });
    this.sendFrom(a, buildEthernet({ dst: mac, src: a.mac, ethType: ETH_TYPE.IPV4, payload: ip }));
    this.run();
    return a.received.slice(before).some((d) => {
      const f = parseEthernet(d);
      return f.icmp?.type === 0 && f.ipv4?.src === b.ip && d.readUInt16BE(d.length - 2) === seq;
    });
  }
  private pingSeq = 0;

  /** Every ordered pair pings; returns the pairs that failed. */
  pingAll(): string[] {
    const failed: string[] = [];
    const names = [...this.hosts.keys()];
    for (const a of names) for (const b of names) if (a !== b && !this.ping(a, b)) failed.push(`${a}->${b}`);
    return failed;
  }

  /** Deliver queued events until the network is quiet; throws when it does not get quiet (a storm). */
  run(): number {
    let n = 0;
    while (this.queue.length > 0) {
      if (++n > this.maxEvents) {
        this.queue.length = 0;
        throw new Error(`fake network: more than ${this.maxEvents} events in one run (a forwarding loop?)`);
      }
      const ev = this.queue.shift()!;
      if (ev.kind === 'switch') this.switchReceive(ev.dpid, ev.port, ev.data);
      else if (ev.kind === 'host') this.hostReceive(ev.host, ev.data);
      else this.packetIn(ev.sw, ev.inPort, ev.data, ev.reason);
    }
    return n;
  }

  // ------------------------------------------------------------------------------------------ internals

  /** Applies a message; returns the OFPT_ERROR a switch would answer with, if any. */
  fromController(sw: FakeSwitch, msg: OfMessageBody): { errType: number; code: number } | void {
    if (!sw.connected) throw new Error(`message to disconnected switch s${sw.dpid}`);
    switch (msg.type) {
      case 'meter_mod':
        return this.meterMod(sw, msg as MeterMod);
      case 'packet_out': {
        let inPort = msg.inPort;
        let data = msg.data;
        if (msg.bufferId !== OFP_NO_BUFFER) ({ inPort, data } = sw.takeBuffer(msg.bufferId));
        this.execute(sw, inPort, data, msg.actions);
        return;
      }
      case 'flow_mod':
        return this.flowMod(sw, msg as FlowMod);
      default:
        throw new Error(`fake switch: message ${msg.type} not supported`);
    }
  }

  private meterMod(sw: FakeSwitch, msg: MeterMod): { errType: number; code: number } | void {
    const exists = sw.meters.has(msg.meterId);
    if (msg.command === 0 && exists) return { errType: METER_MOD_FAILED, code: OFPMMFC.METER_EXISTS };
    if (msg.command !== 0 && !exists) return { errType: METER_MOD_FAILED, code: OFPMMFC.UNKNOWN_METER };
    if (msg.command === 2) {
      sw.meters.delete(msg.meterId);
      // A switch deletes the flows that use a meter it deletes.
      for (let i = sw.flows.length - 1; i >= 0; i--)
        if (sw.flows[i].meterId === msg.meterId) sw.flows.splice(i, 1);
      return;
    }
    sw.meters.set(msg.meterId, { meterId: msg.meterId, flags: msg.flags, bands: msg.bands });
  }

  private flowMod(sw: FakeSwitch, msg: FlowMod): { errType: number; code: number } | void {
    const cookieOk = (e: FlowEntry): boolean =>
      sw.version === OFP_VERSION_1_0 ||
      msg.cookieMask === 0n ||
      (e.cookie & msg.cookieMask) === (msg.cookie & msg.cookieMask);
    const outOk = (e: FlowEntry): boolean =>
      msg.outPort === OFPP.ANY || e.actions.some((a) => a.type === 'output' && a.port === msg.outPort);
    switch (msg.command) {
      case OFPFC.ADD: {
        const actions = actionsOf(msg, sw.version);
        const meter = msg.instructions.find((i) => i.type === 'meter');
        const meterId = meter?.type === 'meter' ? meter.meterId : undefined;
        if (meterId !== undefined && !sw.meters.has(meterId)) {
          return { errType: METER_MOD_FAILED, code: OFPMMFC.UNKNOWN_METER };
        }
        const goto = msg.instructions.find((x) => x.type === 'goto_table');
        const i = sw.flows.findIndex(
          (e) => e.tableId === msg.tableId && e.priority === msg.priority && sameMatch(e.match, msg.match),
        );
        if (i >= 0) sw.flows.splice(i, 1);
        const now = this.clock.t;
        sw.flows.push({
          tableId: msg.tableId,
          priority: msg.priority,
          match: msg.match,
          actions,
          instructions: msg.instructions,
          ...(meterId !== undefined ? { meterId } : {}),
          ...(goto?.type === 'goto_table' ? { gotoTable: goto.tableId } : {}),
          cookie: msg.cookie,
          idleTimeout: msg.idleTimeout,
          hardTimeout: msg.hardTimeout,
          flags: msg.flags,
          installedAt: now,
          lastUsed: now,
          packets: 0,
        });
        if (msg.bufferId !== OFP_NO_BUFFER) {
          const b = sw.takeBuffer(msg.bufferId);
          this.tableProcess(sw, b.inPort, b.data);
        }
        return;
      }
      case OFPFC.DELETE:
      case OFPFC.DELETE_STRICT: {
        const strict = msg.command === OFPFC.DELETE_STRICT;
        for (let i = sw.flows.length - 1; i >= 0; i--) {
          const e = sw.flows[i];
          if (msg.tableId !== OFPTT_ALL && msg.tableId !== e.tableId) continue;
          const hit = strict
            ? e.priority === msg.priority && sameMatch(e.match, msg.match)
            : covers(msg.match, e.match);
          if (hit && cookieOk(e) && outOk(e)) {
            sw.flows.splice(i, 1);
            this.flowRemoved(sw, e, 2);
          }
        }
        return;
      }
      default:
        throw new Error(`fake switch: flow_mod command ${msg.command} not supported`);
    }
  }

  private flowRemoved(sw: FakeSwitch, e: FlowEntry, reason: number): void {
    if ((e.flags & OFPFF_SEND_FLOW_REM) === 0 || !sw.connected) return;
    const msg = {
      type: 'flow_removed' as const,
      version: sw.version,
      xid: 0,
      cookie: e.cookie,
      priority: e.priority,
      reason,
      tableId: e.tableId,
      durationSec: 0,
      durationNsec: 0,
      idleTimeout: e.idleTimeout,
      hardTimeout: e.hardTimeout,
      packetCount: BigInt(e.packets),
      byteCount: 0n,
      match: e.match,
    };
    for (const app of this.apps) if ((e.cookie & APP_COOKIE_MASK) === app.cookie) app.flowRemoved?.(sw, msg);
  }

  private switchReceive(dpid: bigint, port: number, data: Buffer): void {
    const sw = this.switches.get(dpid)!;
    if (!sw.isUp(port)) return;
    this.tableProcess(sw, port, data);
  }

  private tableProcess(sw: FakeSwitch, inPort: number, data: Buffer, tableId = 0): void {
    const e = sw.lookup(inPort, parseEthernet(data), tableId);
    if (!e) {
      // No entry at all (not even a table-miss one): OF1.0 sends it up; OF1.3 would drop it.
      if (sw.connected && sw.version === OFP_VERSION_1_0)
        this.queue.push({ kind: 'packet_in', sw, inPort, data, reason: 0 });
      return;
    }
    e.lastUsed = this.clock.t;
    e.packets++;
    const out = this.execute(sw, inPort, data, e.actions);
    if (e.gotoTable !== undefined) this.tableProcess(sw, inPort, out, e.gotoTable);
  }

  /** Applies `actions` in order; returns the packet as they left it (set_field), for the next table. */
  private execute(sw: FakeSwitch, inPort: number, data: Buffer, actions: Action[]): Buffer {
    for (const action of actions) {
      if (action.type === 'set_field' && action.field === 'ip_dscp') {
        data = withDscp(data, Number(action.value));
        continue;
      }
      if (action.type === 'set_field' && REWRITES.has(action.field)) {
        data = withAddress(data, action.field, String(action.value));
        continue;
      }
      if (action.type === 'set_queue') continue; // queues shape nothing here
      if (action.type !== 'output' && action.type !== 'enqueue')
        throw new Error(`fake switch: action ${action.type} not supported`);
      const a = { port: action.port };
      if (a.port === OFPP.CONTROLLER) {
        this.queue.push({ kind: 'packet_in', sw, inPort, data, reason: 1 });
      } else if (a.port === OFPP.FLOOD || a.port === OFPP.ALL) {
        for (const p of sw.ports.keys()) if (p !== inPort) this.transmit(sw, p, data);
      } else if (a.port === OFPP.IN_PORT) {
        this.transmit(sw, inPort, data);
      } else {
        if (!sw.ports.has(a.port))
          throw new Error(`fake switch s${sw.dpid}: output to missing port ${a.port}`);
        if (a.port === inPort)
          throw new Error(`fake switch s${sw.dpid}: output to in_port ${a.port} (use IN_PORT)`);
        this.transmit(sw, a.port, data);
      }
    }
    return data;
  }

  private transmit(sw: FakeSwitch, port: number, data: Buffer): void {
    if (!sw.isUp(port)) return;
    const peer = this.cables.get(`${sw.dpid}:${port}`);
    if (peer) {
      this.queue.push({ kind: 'switch', dpid: peer.dpid, port: peer.port, data });
      return;
    }
    const h = this.hostAt.get(`${sw.dpid}:${port}`);
    if (h) this.queue.push({ kind: 'host', host: h, data });
  }

  private packetIn(sw: FakeSwitch, inPort: number, data: Buffer, reason: number): void {
    if (!sw.connected) return;
    this.packetIns++;
    sw.packetIns++;
    const msg: PacketIn = {
      type: 'packet_in',
      version: sw.version,
      xid: 0,
      bufferId: sw.bufferPacket(inPort, data),
      totalLen: data.length,
      reason,
      tableId: 0,
      cookie: 0n,
      match: { in_port: inPort },
      data,
    };
    const frame = parseEthernet(data);
    const decision: PacketDecision = {};
    for (const app of this.apps) {
      if (app.packetIn && app.packetIn(sw, msg, frame, decision) === 'stop') break;
    }
  }

  private hostReceive(h: FakeHost, data: Buffer): void {
    const f = parseEthernet(data);
    if (f.dst !== h.mac && !f.isMulticast) return; // not for this NIC
    h.received.push(data);
    if (f.arp) {
      h.arpCache.set(f.arp.spa, f.arp.sha);
      if (f.arp.op === ARP_OP.REQUEST && f.arp.tpa === h.ip) {
        this.sendFrom(
          h,
          buildArpReply({
            answerMac: h.mac,
            answerIp: h.ip,
            requesterMac: f.arp.sha,
            requesterIp: f.arp.spa,
          }),
        );
      }
      return;
    }
    if (f.icmp?.type === 8 && f.ipv4?.dst === h.ip) {
      const req = data.subarray(f.l3Offset + f.ipv4.headerLength);
      const reply = buildIcmpEcho(0, req.readUInt16BE(4), req.readUInt16BE(6));
      const ip = buildIpv4({ src: h.ip, dst: f.ipv4.src, proto: IP_PROTO.ICMP, payload: reply });
      this.sendFrom(h, buildEthernet({ dst: f.src, src: h.mac, ethType: ETH_TYPE.IPV4, payload: ip }));
    }
  }

  /** The controller's own flows: on OF1.3 each table's miss entry from the pipeline. */
  private readonly core: App = {
    name: 'core',
    cookie: appCookie(CORE_APP_ID),
    desiredFlows: (sw) => (sw.version === OFP_VERSION_1_3 ? DEFAULT_PIPELINE.missFlows() : []),
  };

  /**
   * The reconciler's plan (the real planReconcile) against this switch's tables, sent in its phases; the
   * fake answers at once, so the run is synchronous. Returns what it sent and how the switch answered.
   */
  private reconcileOn(app: App, sw: FakeSwitch, scope?: readonly FlowRef[]): SwitchReconcile {
    const of13 = sw.version !== OFP_VERSION_1_0;
    const owns = app.ownsFlow?.bind(app);
    // As the real reconciler: an app without desiredFlows owns no flows it would remove.
    const flows = (app.desiredFlows ? sw.flows : [])
      .map((e) => statsEntry(e))
      .filter((f) => (owns ? owns(sw, f) : ownedBy(f.cookie, app.cookie)));
    const wantMeters = !scope && of13 && app.desiredMeters ? app.desiredMeters(sw) : undefined;
    const plan = planReconcile(
      app,
      sw.version,
      {
        flows: scope ? desiredFlowsAt(app, sw, scope) : (app.desiredFlows?.(sw) ?? []),
        ...(wantMeters ? { meters: wantMeters } : {}),
      },
      { flows, meters: [...sw.meters.values()] },
      scope,
    );
    const result: SwitchReconcile = {
      dpid: sw.dpid,
      version: sw.version,
      apps: [app.name],
      flows: [],
      meters: [],
      groups: [],
    };
    for (const mod of [...plan.before, ...plan.flows, ...plan.after]) {
      recordOutcome(result, mod);
      if (!mod.msg) continue;
      const xid = sw.send(mod.msg);
      const err = sw.errors.get(xid);
      if (err) mod.outcome.error = switchError(err);
    }
    this.reconciles.push(result);
    this.run();
    return result;
  }

  private reconcile(name: string, dpid?: bigint, scope?: readonly FlowRef[]): SwitchReconcile[] {
    const app = this.apps.find((a) => a.name === name);
    if (!app) return [];
    const out: SwitchReconcile[] = [];
    for (const sw of this.switches.values())
      if (sw.connected && (dpid === undefined || sw.dpid === dpid))
        out.push(this.reconcileOn(app, sw, scope));
    return out;
  }
}

/** A copy of an IPv4 frame with its DSCP rewritten (the checksum is not checked here). */
function withDscp(data: Buffer, dscp: number): Buffer {
  const f = parseEthernet(data);
  if (!f.ipv4) return data;
  const out = Buffer.from(data);
  out[f.l3Offset + 1] = (dscp << 2) | (out[f.l3Offset + 1] & 3);
  return out;
}

/**
 * A copy of a frame with one address rewritten, as a switch's set_field does (checksums are not kept: nothing
 * here checks them). An IPv4 field on a non-IPv4 frame is an error, as OpenFlow's prerequisites make it.
 */
function withAddress(data: Buffer, field: string, value: string): Buffer {
  const out = Buffer.from(data);
  if (field === 'eth_src' || field === 'eth_dst') {
    const mac = macTextToNum(value);
    if (mac === undefined) throw new Error(`fake switch: set_field ${field} ${value}: not a MAC`);
    out.writeUIntBE(mac, field === 'eth_dst' ? 0 : 6, 6);
    return out;
  }
  const f = parseEthernet(data);
  const ip = ipv4TextToNum(value);
  if (!f.ipv4 || ip === undefined)
    throw new Error(`fake switch: set_field ${field} ${value} on a non-IPv4 frame`);
  out.writeUInt32BE(ip, f.l3Offset + (field === 'ipv4_src' ? 12 : 16));
  return out;
}

/** A fake flow as flow stats report it. */
function statsEntry(e: FlowEntry): FlowStatsEntry {
  return {
    tableId: e.tableId,
    durationSec: 0,
    durationNsec: 0,
    priority: e.priority,
    idleTimeout: e.idleTimeout,
    hardTimeout: e.hardTimeout,
    flags: e.flags,
    cookie: e.cookie,
    packetCount: BigInt(e.packets),
    byteCount: 0n,
    match: e.match,
    instructions: e.instructions,
  };
}

// ------------------------------------------------------------------------------------ topologies

/** Mininet's linear,n: s1..sn in a line, host hi on port 1 of si; port 2 to the previous, 3 to the next. */
export function linear(
  net: FakeNetwork,
  n: number,
  opts: { version?: OfVersion; buffering?: boolean } = {},
): void {
  for (let i = 1; i <= n; i++) {
    net.addSwitch(BigInt(i), 3, opts);
    net.addHost(`h${i}`, i, BigInt(i), 1);
  }
  for (let i = 1; i < n; i++) net.cable(BigInt(i), 3, BigInt(i + 1), 2);
}

/** A ring of n switches: like linear plus a cable from sn port 3 back to s1 port 2. */
export function ring(net: FakeNetwork, n: number, opts: { version?: OfVersion } = {}): void {
  linear(net, n, opts);
  net.cable(BigInt(n), 3, 1n, 2);
}

/**
 * Mininet's tree,depth,fanout: switches numbered breadth-first from s1 (root); port 1 of a non-root switch
 * goes up, ports 2..fanout+1 go down (to child switches, or to hosts at the leaves).
 */
export function tree(
  net: FakeNetwork,
  depth: number,
  fanout: number,
  opts: { version?: OfVersion } = {},
): void {
  let nextSwitch = 1;
  let nextHost = 1;
  const build = (level: number, parent?: { dpid: bigint; port: number }): void => {
    const dpid = BigInt(nextSwitch++);
    net.addSwitch(dpid, fanout + 1, opts);
    if (parent) net.cable(parent.dpid, parent.port, dpid, 1);
    for (let i = 0; i < fanout; i++) {
      if (level === depth) {
        const n = nextHost++;
        net.addHost(`h${n}`, n, dpid, i + 2);
      } else build(level + 1, { dpid, port: i + 2 });
    }
  };
  build(1);
}
