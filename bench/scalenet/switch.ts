/**
 * One switch of a scale net: an OpenFlow 1.0 or 1.3 switch that answers the controller through the Sluice
 * codec (handshake, echo, barrier, stats/multipart, flow table) and hands every discovery frame the
 * controller sends out of a port to `onDiscovery`, which the net turns into a PACKET_IN at the cabled peer.
 *
 * Unlike the cbench switch it decodes every message: a scale net's traffic is discovery rounds and host
 * announcements, not a packet-in flood, and it must speak both versions.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  decode,
  encode,
  FrameReader,
  OFPP,
  OFP_VERSION_1_0,
  type OfMessage,
  type OfMessageBody,
  type OfVersion,
  type PortDesc,
  type PortStatsEntry,
  type StatsReplyBody,
  type StatsRequest,
} from '../../src/openflow/index.js';
import { macNumToText } from '../../src/packet/index.js';
import { FlowTable } from '../cbench/flowtable.js';
import { isDiscoveryFrame, packetInBytes, OFPR_ACTION, OFPR_NO_MATCH } from './frames.js';

const OFPET_BAD_REQUEST = 1;
const OFPBRC_BAD_TYPE = 1;
const OFPBRC_BAD_STAT = 2;
/** OF1.3 OFPTT_ALL / OF1.0 table count: a 1.3 switch offers the controller's whole pipeline. */
const TABLES_13 = 254;
const HANDSHAKE_10 = ['features', 'desc'];
const HANDSHAKE_13 = ['features', 'desc', 'port_desc'];

export interface NetSwitchOptions {
  host: string;
  port: number;
  dpid: bigint;
  version: OfVersion;
  /** Ports 1..ports, all up. */
  ports: number;
  /** A discovery frame the controller sent out of `outPort` (one call per output action). */
  onDiscovery: (from: NetSwitch, outPort: number, frame: Buffer) => void;
  /** Port counters after `seconds` connected (default: every counter 0). */
  portCounters?: (dpid: bigint, port: number, seconds: number) => PortStatsEntry;
}

export class NetSwitch {
  readonly dpid: bigint;
  readonly version: OfVersion;
  /** Discovery frames the controller sent out of a port / PACKET_INs this switch sent. */
  discoveryOut = 0;
  packetInsSent = 0;
  /** Other PACKET_OUTs (floods, proxy ARP answers): counted, not forwarded. */
  otherPacketOuts = 0;
  errorsReceived = 0;
  closed = false;
  closeReason = '';

  private readonly socket: net.Socket;
  private readonly reader = new FrameReader();
  private readonly flows: FlowTable;
  private readonly portList: PortDesc[];
  private handshakeDone = false;
  /** Handshake requests answered so far (features, desc, port_desc). */
  private readonly answered = new Set<string>();
  private xid = 1;
  private readonly readyWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private readonly startedAt = performance.now();

  constructor(private readonly opts: NetSwitchOptions) {
    this.dpid = opts.dpid;
    this.version = opts.version;
    this.flows = new FlowTable(opts.dpid, undefined, opts.version);
    this.portList = portDescs(opts.dpid, opts.ports, opts.version);
    this.socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
    this.socket.on('connect', () =>
      this.send({
        type: 'hello',
        version: opts.version,
        xid: 0,
        versions: opts.version === OFP_VERSION_1_0 ? [] : [opts.version],
      }),
    );
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.markClosed(err.message));
    this.socket.on('close', () => this.markClosed('connection closed by controller'));
  }

  /**
   * Resolves once the switch has answered every request of the controller's handshake: features, DESC and,
   * on 1.3, the port descriptions (on 1.0 they come with the features). The controller announces the switch
   * as soon as those answers arrive.
   */
  ready(): Promise<void> {
    if (this.handshakeDone) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`switch ${this.dpid}: ${this.closeReason}`));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get isReady(): boolean {
    return this.handshakeDone;
  }

  /** Flows the controller installed and did not delete (its permanent ones). */
  get flowCount(): number {
    return this.flows.size;
  }

  /** A frame that arrived on `inPort`: sent to the controller as an unbuffered PACKET_IN. */
  receive(inPort: number, frame: Buffer, reason = OFPR_NO_MATCH): void {
    this.write(packetInBytes(this.version, inPort, frame, { reason, xid: this.nextXid() }));
  }

  /** A discovery frame from a peer: arrives as if the controller's LLDP flow had sent it up. */
  receiveDiscovery(inPort: number, frame: Buffer): void {
    this.receive(inPort, frame, OFPR_ACTION);
  }

  /** Several PACKET_INs in one write (host announcements). */
  receiveMany(frames: Array<{ inPort: number; frame: Buffer }>): void {
    if (frames.length === 0) return;
    this.write(
      Buffer.concat(
        frames.map((f) => packetInBytes(this.version, f.inPort, f.frame, { xid: this.nextXid() })),
      ),
      frames.length,
    );
  }

  close(): void {
    this.socket.destroy();
    this.markClosed('closed by scale net');
  }

  private nextXid(): number {
    this.xid = (this.xid + 1) >>> 0;
    return this.xid;
  }

  private write(bytes: Buffer, packetIns = 1): void {
    if (this.closed) return;
    this.packetInsSent += packetIns;
    this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.close();
      this.closeReason = `bad OpenFlow stream from the controller: ${(err as Error).message}`;
      return;
    }
    for (const f of frames) {
      let msg: OfMessage;
      try {
        msg = decode(f);
      } catch {
        // Something our codec does not model: refuse it as a switch would.
        this.sendError(f, OFPBRC_BAD_TYPE);
        continue;
      }
      this.handle(msg, f);
    }
  }

  private handle(msg: OfMessage, frame: Buffer): void {
    const xid = msg.xid;
    switch (msg.type) {
      case 'features_request':
        this.reply(xid, {
          type: 'features_reply',
          datapathId: this.dpid,
          nBuffers: 0,
          nTables: this.version === OFP_VERSION_1_0 ? 1 : TABLES_13,
          auxiliaryId: 0,
          capabilities: 0x07, // FLOW_STATS | TABLE_STATS | PORT_STATS
          actions: this.version === OFP_VERSION_1_0 ? 0xfff : 0,
          ports: this.version === OFP_VERSION_1_0 ? this.portList : [],
        });
        this.answered.add('features');
        this.checkReady();
        return;
      case 'echo_request':
        this.reply(xid, { type: 'echo_reply', data: msg.data });
        return;
      case 'barrier_request':
        this.reply(xid, { type: 'barrier_reply' });
        return;
      case 'get_config_request':
        this.reply(xid, { type: 'get_config_reply', flags: 0, missSendLen: 0xffff });
        return;
      case 'stats_request': {
        const body = this.statsReply(msg);
        if (body) this.reply(xid, { type: 'stats_reply', flags: 0, body });
        else this.sendError(frame, OFPBRC_BAD_STAT);
        this.answered.add(msg.body.kind);
        this.checkReady();
        return;
      }
      case 'flow_mod':
        this.flows.apply(msg, 0);
        return;
      case 'packet_out':
        this.packetOut(msg.actions, msg.data);
        return;
      case 'error':
        this.errorsReceived++;
        return;
      case 'hello':
      case 'echo_reply':
      case 'set_config':
      case 'port_mod':
        return;
      default:
        this.sendError(frame, OFPBRC_BAD_TYPE);
    }
  }

  private packetOut(actions: readonly { type: string; port?: number }[], data: Buffer): void {
    if (!isDiscoveryFrame(data)) {
      this.otherPacketOuts++;
      return;
    }
    for (const a of actions) {
      if (a.type !== 'output' || a.port === undefined || a.port >= OFPP.MAX) continue;
      this.discoveryOut++;
      this.opts.onDiscovery(this, a.port, data);
    }
  }

  private statsReply(req: StatsRequest): StatsReplyBody | undefined {
    const b = req.body;
    switch (b.kind) {
      case 'desc':
        return {
          kind: 'desc',
          desc: {
            mfrDesc: 'Sluice bench',
            hwDesc: 'scale net fake switch',
            swDesc: 'bench/scalenet',
            serialNum: String(this.dpid),
            dpDesc: `scale net switch ${this.dpid}`,
          },
        };
      case 'port_desc':
        return { kind: 'port_desc', ports: this.portList };
      case 'flow':
        return {
          kind: 'flow',
          flows: this.flows.entries().filter((f) => (f.cookie & b.cookieMask) === (b.cookie & b.cookieMask)),
        };
      case 'aggregate':
        return { kind: 'aggregate', packetCount: 0n, byteCount: 0n, flowCount: this.flows.size };
      case 'port':
        return { kind: 'port', ports: this.portStats(b.portNo) };
      case 'queue':
        return { kind: 'queue', queues: [] };
      case 'group':
        return { kind: 'group', groups: [] };
      case 'group_desc':
        return { kind: 'group_desc', groups: [] };
      case 'meter':
        return { kind: 'meter', meters: [] };
      case 'meter_config':
        return { kind: 'meter_config', meters: [] };
      case 'table':
        return {
          kind: 'table',
          tables: [
            {
              tableId: 0,
              name: this.version === OFP_VERSION_1_0 ? 'classifier' : '',
              wildcards: this.version === OFP_VERSION_1_0 ? 0x3fffff : 0,
              maxEntries: 1_000_000,
              activeCount: this.flows.size,
              lookupCount: 0n,
              matchedCount: 0n,
            },
          ],
        };
      default:
        return undefined;
    }
  }

  /** Counters of one port, or of all for OFPP_ANY (OF1.0's OFPP_NONE decodes to the same). */
  private portStats(portNo: number): PortStatsEntry[] {
    const counters = this.opts.portCounters;
    if (!counters) return [];
    const seconds = (performance.now() - this.startedAt) / 1000;
    const ports = portNo >= OFPP.MAX ? this.portList.map((p) => p.portNo) : [portNo];
    return ports
      .filter((p) => p >= 1 && p <= this.portList.length)
      .map((p) => {
        const c = counters(this.dpid, p, seconds);
        // Durations are an OF1.3 field.
        return this.version === OFP_VERSION_1_0 ? { ...c, durationSec: 0, durationNsec: 0 } : c;
      });
  }

  private reply(xid: number, body: OfMessageBody): void {
    this.send({ ...body, version: this.version, xid } as OfMessage);
  }

  private sendError(offending: Buffer, code: number): void {
    this.reply(offending.length >= 8 ? offending.readUInt32BE(4) : 0, {
      type: 'error',
      errType: OFPET_BAD_REQUEST,
      code,
      data: Buffer.from(offending.subarray(0, 64)),
    });
  }

  private send(msg: OfMessage): void {
    if (!this.closed) this.socket.write(encode(msg));
  }

  /** The controller's handshake asks for features, DESC and (OF1.3) port descriptions; then it is done. */
  private checkReady(): void {
    if (this.handshakeDone) return;
    const needed = this.version === OFP_VERSION_1_0 ? HANDSHAKE_10 : HANDSHAKE_13;
    if (!needed.every((k) => this.answered.has(k))) return;
    this.handshakeDone = true;
    for (const w of this.readyWaiters.splice(0)) w.resolve();
  }

  private markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    const err = new Error(`switch ${this.dpid}: ${reason}`);
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
  }
}

/** Ports 1..n, all up at 1 Gb/s copper, with hardware addresses unique per (dpid, port). */
export function portDescs(dpid: bigint, n: number, version: OfVersion): PortDesc[] {
  const v10 = version === OFP_VERSION_1_0;
  const ports: PortDesc[] = [];
  for (let p = 1; p <= n; p++) {
    ports.push({
      portNo: p,
      // 0e: locally administered unicast, apart from the hosts' 02: prefix; 28 bits of DPID, 12 of port.
      hwAddr: macNumToText(0x0e_00_00_00_00_00 + Number(dpid & 0xfffffffn) * 4096 + (p & 0xfff)),
      name: `s${dpid}-eth${p}`,
      config: 0,
      state: 0,
      curr: v10 ? 0x20 | 0x80 : 0x20 | 0x800, // 1GB_FD | COPPER (COPPER moved in 1.3)
      advertised: 0,
      supported: 0,
      peer: 0,
      currSpeed: v10 ? 0 : 1_000_000, // kb/s, a 1.3 field
      maxSpeed: v10 ? 0 : 1_000_000,
    });
  }
  return ports;
}
