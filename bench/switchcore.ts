/**
 * What every bench fake switch does the same way: connects to the controller, frames its stream with the
 * Sluice FrameReader, answers hello, the handshake, echo, barrier, config and stats requests through the
 * Sluice codec, refuses what it does not model with an OFPT_ERROR, and is ready once the controller's
 * handshake requests are answered. Subclasses add what sets them apart (cbench's packet-in flood, the scale
 * net's discovery relay) by overriding onFrame, onFlowMod, onPacketOut and markClosed.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  decode,
  emptyStatsReply,
  encode,
  FrameReader,
  OFPP,
  OFP_VERSION_1_0,
  type FlowMod,
  type OfMessage,
  type OfMessageBody,
  type OfVersion,
  type PacketOut,
  type PortDesc,
  type PortStatsEntry,
  type StatsReplyBody,
  type StatsRequest,
} from '../src/openflow/index.js';
import { macNumToText } from '../src/packet/index.js';
import type { FlowTable } from './cbench/flowtable.js';

const OFPET_BAD_REQUEST = 1;
const OFPBRC_BAD_TYPE = 1;
const OFPBRC_BAD_STAT = 2;
/** OF1.0 BAD_VENDOR; OF1.3's BAD_EXPERIMENTER has the same code. */
const OFPBRC_BAD_VENDOR = 3;
/** OF1.3 OFPTT_ALL / OF1.0 table count: a 1.3 switch offers the controller's whole pipeline. */
const TABLES_13 = 254;

export interface SwitchCoreOptions {
  host: string;
  port: number;
  dpid: bigint;
  version: OfVersion;
  /** Ports 1..ports, all up. */
  ports: number;
  /** Stats kinds (and 'features') the controller asks for before it announces the switch; ready() waits. */
  handshake: readonly string[];
  /** How the switch describes itself in DESC stats (manufacturer and serial number are fixed). */
  desc: { hwDesc: string; swDesc: string; dpDesc: string };
  /** FEATURES_REPLY fields that differ between fake switches. */
  nBuffers: number;
  capabilities: number;
  /** miss_send_len in GET_CONFIG_REPLY. */
  missSendLen: number;
  /** Reason given when the bench closes the switch. */
  closedBy: string;
  /** Keeps the controller's permanent flows and answers flow stats from them; without it: an empty table. */
  flowTable?: FlowTable;
  /** Port counters after `seconds` connected (default: no port stats). */
  portCounters?: (dpid: bigint, port: number, seconds: number) => PortStatsEntry;
}

export class SwitchCore {
  readonly dpid: bigint;
  readonly version: OfVersion;
  /** OFPT_ERRORs received from the controller. */
  errorsReceived = 0;
  closed = false;
  closeReason = '';

  protected readonly socket: net.Socket;
  protected readonly portList: PortDesc[];
  private readonly reader = new FrameReader();
  private handshakeDone = false;
  /** Handshake requests answered so far (features, desc, port_desc). */
  private readonly answered = new Set<string>();
  private readonly readyWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private readonly startedAt = performance.now();

  constructor(private readonly core: SwitchCoreOptions) {
    this.dpid = core.dpid;
    this.version = core.version;
    this.portList = portDescs(core.dpid, core.ports, core.version);
    this.socket = net.connect({ host: core.host, port: core.port, noDelay: true });
    this.socket.on('connect', () =>
      this.send({
        type: 'hello',
        version: core.version,
        xid: 0,
        versions: core.version === OFP_VERSION_1_0 ? [] : [core.version],
      }),
    );
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.markClosed(err.message));
    this.socket.on('close', () => this.markClosed('connection closed by controller'));
  }

  /** Resolves once the switch has answered every request of the controller's handshake. */
  ready(): Promise<void> {
    if (this.handshakeDone) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`switch ${this.dpid}: ${this.closeReason}`));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get isReady(): boolean {
    return this.handshakeDone;
  }

  close(): void {
    this.socket.destroy();
    this.markClosed(this.core.closedBy);
  }

  /** One whole OpenFlow message from the controller; the default decodes and answers it. */
  protected onFrame(frame: Buffer): void {
    this.handleFrame(frame);
  }

  /** A FLOW_MOD, into the flow table if there is one, stamped `at` (performance.now()). */
  protected onFlowMod(msg: FlowMod, at = performance.now()): void {
    this.core.flowTable?.apply(msg, at);
  }

  protected onPacketOut(_msg: PacketOut): void {}

  protected handleFrame(frame: Buffer): void {
    let msg: OfMessage;
    try {
      msg = decode(frame);
    } catch {
      // Something our codec does not model (e.g. a vendor message): refuse it as a switch would.
      this.sendError(frame, OFPBRC_BAD_TYPE);
      return;
    }
    this.handle(msg, frame);
  }

  protected markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    const err = new Error(`switch ${this.dpid}: ${reason}`);
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.socket.destroy();
      this.markClosed(`bad OpenFlow stream from the controller: ${(err as Error).message}`);
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private handle(msg: OfMessage, frame: Buffer): void {
    const xid = msg.xid;
    const v10 = this.version === OFP_VERSION_1_0;
    switch (msg.type) {
      case 'features_request':
        this.reply(xid, {
          type: 'features_reply',
          datapathId: this.dpid,
          nBuffers: this.core.nBuffers,
          nTables: v10 ? 1 : TABLES_13,
          auxiliaryId: 0,
          capabilities: this.core.capabilities,
          actions: v10 ? 0xfff : 0,
          ports: v10 ? this.portList : [],
        });
        this.answer('features');
        return;
      case 'echo_request':
        this.reply(xid, { type: 'echo_reply', data: msg.data });
        return;
      case 'barrier_request':
        this.reply(xid, { type: 'barrier_reply' });
        return;
      case 'get_config_request':
        this.reply(xid, { type: 'get_config_reply', flags: 0, missSendLen: this.core.missSendLen });
        return;
      case 'stats_request': {
        const body = this.statsReply(msg);
        if (body) this.reply(xid, { type: 'stats_reply', flags: 0, body });
        else this.sendError(frame, OFPBRC_BAD_STAT);
        this.answer(msg.body.kind);
        return;
      }
      case 'flow_mod':
        this.onFlowMod(msg);
        return;
      case 'packet_out':
        this.onPacketOut(msg);
        return;
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
        return;
      default:
        this.sendError(frame, OFPBRC_BAD_TYPE);
    }
  }

  private statsReply(req: StatsRequest): StatsReplyBody | undefined {
    const b = req.body;
    const flows = this.core.flowTable;
    const v10 = this.version === OFP_VERSION_1_0;
    switch (b.kind) {
      case 'desc':
        return {
          kind: 'desc',
          desc: { mfrDesc: 'Sluice bench', serialNum: String(this.dpid), ...this.core.desc },
        };
      case 'port_desc':
        return { kind: 'port_desc', ports: this.portList };
      case 'flow':
        return {
          kind: 'flow',
          flows: (flows?.entries() ?? []).filter(
            (f) => (f.cookie & b.cookieMask) === (b.cookie & b.cookieMask),
          ),
        };
      case 'aggregate':
        return { kind: 'aggregate', packetCount: 0n, byteCount: 0n, flowCount: flows?.size ?? 0 };
      case 'port':
        return { kind: 'port', ports: this.portStats(b.portNo) };
      case 'queue':
      case 'group':
      case 'group_desc':
      case 'meter':
      case 'meter_config':
        return emptyStatsReply(b.kind);
      case 'table':
        return {
          kind: 'table',
          tables: [
            {
              tableId: 0,
              name: v10 ? 'classifier' : '',
              wildcards: v10 ? 0x3fffff : 0,
              maxEntries: 1_000_000,
              activeCount: flows?.size ?? 0,
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
    const counters = this.core.portCounters;
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

  /** One handshake request answered; once all are, the controller announces the switch. */
  private answer(kind: string): void {
    if (this.handshakeDone) return;
    this.answered.add(kind);
    if (!this.core.handshake.every((k) => this.answered.has(k))) return;
    this.handshakeDone = true;
    for (const w of this.readyWaiters.splice(0)) w.resolve();
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
