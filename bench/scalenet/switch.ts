/**
 * One switch of a scale net: an OpenFlow 1.0 or 1.3 switch (the bench SwitchCore: handshake, echo, barrier,
 * stats/multipart, flow table) that hands every discovery frame the controller sends out of a port to
 * `onDiscovery`, which the net turns into a PACKET_IN at the cabled peer.
 *
 * Unlike the cbench switch it decodes every message: a scale net's traffic is discovery rounds and host
 * announcements, not a packet-in flood, and it must speak both versions.
 */
import {
  OFPP,
  OFP_VERSION_1_0,
  type OfVersion,
  type PacketOut,
  type PortStatsEntry,
} from '../../src/openflow/index.js';
import { FlowTable } from '../cbench/flowtable.js';
import { SwitchCore } from '../switchcore.js';
import { isDiscoveryFrame, packetInBytes, OFPR_ACTION, OFPR_NO_MATCH } from './frames.js';

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

export class NetSwitch extends SwitchCore {
  /** Discovery frames the controller sent out of a port / PACKET_INs this switch sent. */
  discoveryOut = 0;
  packetInsSent = 0;
  /** Other PACKET_OUTs (floods, proxy ARP answers): counted, not forwarded. */
  otherPacketOuts = 0;

  private readonly flows: FlowTable;
  private xid = 1;

  constructor(private readonly opts: NetSwitchOptions) {
    const flows = new FlowTable(opts.dpid, undefined, opts.version);
    super({
      ...opts,
      // The controller announces the switch once features, DESC and, on 1.3, the port descriptions (on 1.0
      // they come with the features) are answered.
      handshake: opts.version === OFP_VERSION_1_0 ? HANDSHAKE_10 : HANDSHAKE_13,
      desc: {
        hwDesc: 'scale net fake switch',
        swDesc: 'bench/scalenet',
        dpDesc: `scale net switch ${opts.dpid}`,
      },
      nBuffers: 0,
      capabilities: 0x07, // FLOW_STATS | TABLE_STATS | PORT_STATS
      missSendLen: 0xffff,
      closedBy: 'closed by scale net',
      flowTable: flows,
    });
    this.flows = flows;
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

  protected override onPacketOut(msg: PacketOut): void {
    if (!isDiscoveryFrame(msg.data)) {
      this.otherPacketOuts++;
      return;
    }
    const actions: readonly { type: string; port?: number }[] = msg.actions;
    for (const a of actions) {
      if (a.type !== 'output' || a.port === undefined || a.port >= OFPP.MAX) continue;
      this.discoveryOut++;
      this.opts.onDiscovery(this, a.port, msg.data);
    }
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
}
