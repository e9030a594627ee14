/**
 * One fake OpenFlow 1.0 switch: answers the controller's handshake and requests through the Sluice codec,
 * and drives PACKET_INs on the hot path with raw, pre-built bytes.
 */
import { performance } from 'node:perf_hooks';
import { decode, OFP_VERSION_1_0 } from '../../src/openflow/index.js';
import { SwitchCore } from '../switchcore.js';
import type { FlowTable } from './flowtable.js';
import { answeredId, OFPT10, PACKET_IN_LEN, stampPacketIn } from './frames.js';

export type DriveMode = 'idle' | 'latency' | 'throughput' | 'paced';

/** Size of the per-switch ring of send times used for latency; ids further apart than this alias. */
const SEND_TIME_RING = 1 << 16;
const RING_MASK = SEND_TIME_RING - 1;
/** Packet-ins per write in throughput mode (~2.5 KB), a compromise between syscalls and burstiness. */
const THROUGHPUT_BATCH = 32;

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

export class FakeSwitch extends SwitchCore {
  /** Responses counted (cbench's per-switch counter). */
  count = 0;
  /** Control messages the controller sent that the switch answered or ignored (not responses). */
  controlMessages = 0;
  /** Packet-ins re-sent because the controller never answered the outstanding one (latency mode). */
  stalls = 0;

  private readonly templates: Buffer[];
  private readonly sendTimes = new Float64Array(SEND_TIME_RING);
  private mode: DriveMode = 'idle';
  private nextTemplate = 0;
  private nextId = 1;
  private xid = 1;
  private outstanding = -1;
  private outstandingSince = 0;
  private lastAnswered = -1;

  constructor(private readonly opts: FakeSwitchOptions) {
    super({
      ...opts,
      version: OFP_VERSION_1_0,
      // The controller knows the switch by its DPID once FEATURES_REQUEST is answered.
      handshake: ['features'],
      desc: { hwDesc: 'cbench fake switch', swDesc: 'bench/cbench', dpDesc: `fake switch ${opts.dpid}` },
      nBuffers: 256,
      capabilities: 0x87, // FLOW_STATS | TABLE_STATS | PORT_STATS | ARP_MATCH_IP
      missSendLen: 128,
      closedBy: 'closed by generator',
    });
    this.templates = opts.packetIns;
    this.socket.on('drain', () => this.fill());
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

  /** The hot path: responses are read from fixed offsets; only control messages are decoded. */
  protected override onFrame(frame: Buffer): void {
    const type = frame[1];
    if (type === OFPT10.PACKET_OUT || type === OFPT10.FLOW_MOD) {
      const id = answeredId(frame, 0, frame.length);
      if (id >= 0) this.onAnswer(id);
      else if (type === OFPT10.FLOW_MOD && this.opts.flowTable) this.recordFlowMod(frame);
      return;
    }
    this.controlMessages++;
    this.handleFrame(frame);
  }

  protected override markClosed(reason: string): void {
    this.mode = 'idle';
    super.markClosed(reason);
  }

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
  private recordFlowMod(frame: Buffer): void {
    const at = performance.now();
    const msg = decode(frame);
    if (msg.type === 'flow_mod') this.onFlowMod(msg, at);
  }
}
