/**
 * One fake OpenFlow 1.0 switch: answers the controller's handshake and requests through the Sluice codec,
 * and drives PACKET_INs on the hot path with raw, pre-built bytes.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { decode, encode, OFP_VERSION_1_0 } from '../../src/openflow/index.js';
import type { OfMessage, PortDesc, StatsReplyBody, StatsRequest } from '../../src/openflow/index.js';
import { macAt } from '../../src/packet/index.js';
import type { FlowTable } from './flowtable.js';
import { answeredId, forEachMessage, hostMac, OFPT10, PACKET_IN_LEN, stampPacketIn } from './frames.js';

export type DriveMode = 'idle' | 'latency' | 'throughput' | 'paced';

/** Size of the per-switch ring of send times used for latency; ids further apart than this alias. */
const SEND_TIME_RING = 1 << 16;
const RING_MASK = SEND_TIME_RING - 1;
/** Packet-ins per write in throughput mode (~2.5 KB), a compromise between syscalls and burstiness. */
const THROUGHPUT_BATCH = 32;
const OFPBRC_BAD_TYPE = 1;
const OFPBRC_BAD_VENDOR = 3;
const OFPBRC_BAD_STAT = 2;
const OFPET_BAD_REQUEST = 1;

export interface FakeSwitchOptions {
  host: string;
  port: number;
  dpid: bigint;
  /** Number of data ports the switch announces (1..ports). */
  ports: number;
  /** Pre-built PACKET_IN templates (buildSwitchPacketIns); sent round-robin. */
  packetIns: Buffer[];
  /** Called with each packet-in -> response latency in ms, in paced mode. */
  onLatency?: (ms: number) => void;
  /**
   * Keeps the controller's permanent flows and answers flow stats from them; without it the switch reports
   * an empty table and ignores every FLOW_MOD that answers no packet-in.
   */
  flowTable?: FlowTable;
}

export class FakeSwitch {
  readonly dpid: bigint;
  /** Responses counted (cbench's per-switch counter). */
  count = 0;
  /** Control messages the controller sent that the switch answered or ignored (not responses). */
  controlMessages = 0;
  /** OFPT_ERRORs received from the controller. */
  errorsReceived = 0;
  /** Packet-ins re-sent because the controller never answered the outstanding one (latency mode). */
  stalls = 0;
  closed = false;
  closeReason = '';

  private readonly socket: net.Socket;
  private readonly templates: Buffer[];
  private readonly sendTimes = new Float64Array(SEND_TIME_RING);
  private mode: DriveMode = 'idle';
  private nextTemplate = 0;
  private nextId = 1;
  private xid = 1;
  private outstanding = -1;
  private outstandingSince = 0;
  private lastAnswered = -1;
  private pending: Buffer | undefined;
  private featuresSent = false;
  private readonly readyWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];

  constructor(private readonly opts: FakeSwitchOptions) {
    this.dpid = opts.dpid;
    this.templates = opts.packetIns;
    this.socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
    this.socket.on('connect', () =>
      this.sendMsg({ type: 'hello', version: OFP_VERSION_1_0, xid: 0, versions: [] }),
    );
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.fill());
    this.socket.on('error', (err) => this.markClosed(err.message));
    this.socket.on('close', () => this.markClosed('connection closed by controller'));
  }

  /** Resolves once the switch has answered FEATURES_REQUEST, i.e. the controller knows its DPID. */
  ready(): Promise<void> {
    if (this.featuresSent) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`switch ${this.dpid}: ${this.closeReason}`));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get isReady(): boolean {
    return this.featuresSent;
  }

  /** Switches how the switch generates load; the change applies from the next send. */
  drive(mode: DriveMode): void {
    this.mode = mode;
    this.outstanding = -1;
    // Answers to packet-ins of an earlier mode must not read as paced latencies.
    if (mode === 'paced') this.sendTimes.fill(0);
    if (mode === 'latency') this.sendOne();
    else if (mode === 'throughput') this.fill();
  }

  /** Latency mode: re-sends when the outstanding packet-in got no answer for `ms` (controller dropped it). */
  unstall(now: number, ms: number): void {
    if (this.mode === 'latency' && this.outstanding >= 0 && now - this.outstandingSince > ms) {
      this.stalls++;
      this.sendOne();
    }
  }

  /** Sends one packet-in (latency and paced modes); returns false when the socket is backed up. */
  sendOne(): boolean {
    if (this.closed) return false;
    const msg = Buffer.allocUnsafe(PACKET_IN_LEN);
    const id = this.stampNext(msg, 0);
    if (this.mode === 'latency') {
      this.outstanding = id;
      this.outstandingSince = performance.now();
    } else {
      this.sendTimes[id & RING_MASK] = performance.now();
    }
    return this.socket.write(msg);
  }

  /** Paced mode: `n` packet-ins in one write (one syscall), all stamped with the same send time. */
  sendBatch(n: number): boolean {
    if (this.closed || n <= 0) return false;
    const batch = Buffer.allocUnsafe(PACKET_IN_LEN * n);
    const now = performance.now();
    for (let i = 0; i < n; i++) this.sendTimes[this.stampNext(batch, i * PACKET_IN_LEN) & RING_MASK] = now;
    return this.socket.write(batch);
  }

  close(): void {
    this.mode = 'idle';
    this.socket.destroy();
    this.markClosed('closed by generator');
  }

  /** Copies the next template into `target` at `off` and stamps it; returns the buffer id used. */
  private stampNext(target: Buffer, off: number): number {
    const template = this.templates[this.nextTemplate];
    this.nextTemplate = this.nextTemplate + 1 === this.templates.length ? 0 : this.nextTemplate + 1;
    template.copy(target, off);
    const id = this.nextId;
    // Buffer ids stay below 0x7fffffff so they never collide with OFP_NO_BUFFER or the negative codes.
    this.nextId = id === 0x7ffffffe ? 1 : id + 1;
    stampPacketIn(target, off, this.xid, id);
    this.xid = (this.xid + 1) >>> 0;
    return id;
  }

  /** Throughput mode: writes batches while the socket accepts them; 'drain' calls back here. */
  private fill(): void {
    while (this.mode === 'throughput' && !this.closed) {
      const batch = Buffer.allocUnsafe(PACKET_IN_LEN * THROUGHPUT_BATCH);
      for (let i = 0; i < THROUGHPUT_BATCH; i++) this.stampNext(batch, i * PACKET_IN_LEN);
      if (!this.socket.write(batch)) return;
    }
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let used: number;
    try {
      used = forEachMessage(buf, this.onMessage);
    } catch (err) {
      this.close();
      this.closeReason = (err as Error).message;
      return;
    }
    // Copy the partial tail so it does not pin the whole read buffer.
    this.pending = used < buf.length ? Buffer.from(buf.subarray(used)) : undefined;
  }

  private readonly onMessage = (buf: Buffer, off: number, len: number): void => {
    const type = buf[off + 1];
    if (type === OFPT10.PACKET_OUT || type === OFPT10.FLOW_MOD) {
      const id = answeredId(buf, off, len);
      if (id >= 0) this.onAnswer(id);
      else if (type === OFPT10.FLOW_MOD && this.opts.flowTable) this.recordFlowMod(buf, off, len);
      return;
    }
    this.controlMessages++;
    this.handleControl(buf.subarray(off, off + len));
  };

  private onAnswer(id: number): void {
    // A controller may release one packet with two messages (buffered FLOW_MOD + PACKET_OUT): count once.
    if (id === this.lastAnswered) return;
    this.lastAnswered = id;
    if (this.mode === 'latency') {
      if (id !== this.outstanding) return;
      this.count++;
      this.sendOne();
    } else if (this.mode !== 'idle') {
      this.count++;
      if (this.mode === 'paced' && this.opts.onLatency) {
        const sentAt = this.sendTimes[id & RING_MASK];
        if (sentAt > 0) this.opts.onLatency(performance.now() - sentAt);
      }
    }
  }

  /** An unbuffered FLOW_MOD (the reconciler's adds and deletes) into the flow table, stamped on arrival. */
  private recordFlowMod(buf: Buffer, off: number, len: number): void {
    const at = performance.now();
    const msg = decode(buf.subarray(off, off + len));
    if (msg.type === 'flow_mod') this.opts.flowTable!.apply(msg, at);
  }

  private handleControl(frame: Buffer): void {
    let msg: OfMessage;
    try {
      msg = decode(frame);
    } catch {
      // Something our codec does not model (e.g. a vendor message): refuse it as a switch would.
      this.sendError(frame, OFPBRC_BAD_TYPE);
      return;
    }
    const xid = msg.xid;
    const version = OFP_VERSION_1_0;
    switch (msg.type) {
      case 'features_request':
        this.sendMsg(this.featuresReply(xid));
        this.featuresSent = true;
        for (const w of this.readyWaiters.splice(0)) w.resolve();
        return;
      case 'get_config_request':
        this.sendMsg({ type: 'get_config_reply', version, xid, flags: 0, missSendLen: 128 });
        return;
      case 'echo_request':
        this.sendMsg({ type: 'echo_reply', version, xid, data: msg.data });
        return;
      case 'barrier_request':
        this.sendMsg({ type: 'barrier_reply', version, xid });
        return;
      case 'stats_request': {
        const body = this.statsReply(msg);
        if (body) this.sendMsg({ type: 'stats_reply', version, xid, flags: 0, body });
        else this.sendError(frame, OFPBRC_BAD_STAT);
        return;
      }
      case 'experimenter':
        this.sendError(frame, OFPBRC_BAD_VENDOR);
        return;
      case 'error':
        this.errorsReceived++;
        return;
      case 'hello':
      case 'echo_reply':
      case 'set_config':
      case 'port_mod':
      case 'flow_mod':
      case 'packet_out':
        return; // nothing to answer (flow deletes and discovery probes land here too)
      default:
        this.sendError(frame, OFPBRC_BAD_TYPE);
    }
  }

  private featuresReply(xid: number): OfMessage {
    const ports: PortDesc[] = [];
    for (let p = 1; p <= this.opts.ports; p++) {
      ports.push({
        portNo: p,
        hwAddr: macAt(hostMac(0xfe00 | Number(this.dpid & 0xffn), p), 0),
        name: `s${this.dpid}-eth${p}`,
        config: 0,
        state: 0,
        curr: 0x20 | 0x400, // 1GB_FD | COPPER
        advertised: 0,
        supported: 0,
        peer: 0,
        currSpeed: 0,
        maxSpeed: 0,
      });
    }
    return {
      type: 'features_reply',
      version: OFP_VERSION_1_0,
      xid,
      datapathId: this.dpid,
      nBuffers: 256,
      nTables: 1,
      auxiliaryId: 0,
      capabilities: 0x87, // FLOW_STATS | TABLE_STATS | PORT_STATS | ARP_MATCH_IP
      actions: 0xfff,
      ports,
    };
  }

  private statsReply(req: StatsRequest): StatsReplyBody | undefined {
    switch (req.body.kind) {
      case 'desc':
        return {
          kind: 'desc',
          desc: {
            mfrDesc: 'Sluice bench',
            hwDesc: 'cbench fake switch',
            swDesc: 'bench/cbench',
            serialNum: String(this.dpid),
            dpDesc: `fake switch ${this.dpid}`,
          },
        };
      case 'flow':
        return { kind: 'flow', flows: this.opts.flowTable?.entries() ?? [] };
      case 'aggregate':
        return { kind: 'aggregate', packetCount: 0n, byteCount: 0n, flowCount: 0 };
      case 'port':
        return { kind: 'port', ports: [] };
      case 'queue':
        return { kind: 'queue', queues: [] };
      case 'table':
        return {
          kind: 'table',
          tables: [
            {
              tableId: 0,
              name: 'classifier',
              wildcards: 0x3fffff,
              maxEntries: 1_000_000,
              activeCount: 0,
              lookupCount: 0n,
              matchedCount: 0n,
            },
          ],
        };
      default:
        return undefined;
    }
  }

  private sendError(offending: Buffer, code: number): void {
    const xid = offending.length >= 8 ? offending.readUInt32BE(4) : 0;
    this.sendMsg({
      type: 'error',
      version: OFP_VERSION_1_0,
      xid,
      errType: OFPET_BAD_REQUEST,
      code,
      data: Buffer.from(offending.subarray(0, 64)),
    });
  }

  private sendMsg(msg: OfMessage): void {
    if (!this.closed) this.socket.write(encode(msg));
  }

  private markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.mode = 'idle';
    const err = new Error(`switch ${this.dpid}: ${reason}`);
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
  }
}
