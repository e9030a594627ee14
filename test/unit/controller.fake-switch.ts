/**
 * A fake OpenFlow switch for controller tests: speaks the wire protocol through the real codec over loopback
 * TCP, keeps a flow table that FLOW_MODs change and flow stats report (so reconcile outcomes can be asserted),
 * and records everything it receives. Behaviours are switchable to provoke the controller's error paths.
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  FrameReader,
  OFPFC,
  OFPSF_REPLY_MORE,
  OFP_VERSION_1_0,
  decode,
  encode,
  type FlowMod,
  type FlowStatsEntry,
  type OfMessage,
  type OfVersion,
  type PortDesc,
  type StatsReplyBody,
} from '../../src/openflow/index.js';
import { canonicalMatch } from '../../src/controller/reconcile.js';
import type { OfMessageBody } from '../../src/controller/app.js';

export interface FakeSwitchOptions {
  dpid: bigint;
  /** Versions in our HELLO bitmap; default [1, 4]. Empty: a HELLO without bitmap. */
  versions?: number[];
  /** Header version of our HELLO; default max(versions). */
  helloVersion?: number;
  ports?: PortDesc[];
  /** Request types we never answer (e.g. 'echo_request' to play dead). */
  silentTo?: string[];
  /** Stats kinds answered with OFPT_ERROR instead. */
  errorFor?: string[];
  /** Split flow stats replies into parts of this many entries (MORE flag on all but the last). */
  flowStatsPartSize?: number;
  flows?: FlowStatsEntry[];
}

export function port(portNo: number, name = `p${portNo}`): PortDesc {
  return {
    portNo,
    hwAddr: `02:00:00:00:00:${portNo.toString(16).padStart(2, '0')}`,
    name,
    config: 0,
    state: 0,
    curr: 0,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 0,
    maxSpeed: 0,
  };
}

export class FakeSwitch {
  readonly received: OfMessage[] = [];
  readonly flows: FlowStatsEntry[];
  version: OfVersion | undefined;
  /** This controller's role as the switch sees it, and the newest generation id it has seen (OVS's rules). */
  role = 'equal';
  generation: bigint | undefined;
  closed = false;
  private socket!: net.Socket;
  private readonly reader = new FrameReader();
  private xid = 1000;

  constructor(readonly opts: FakeSwitchOptions) {
    this.flows = opts.flows ? [...opts.flows] : [];
  }

  /** Over TLS with `tlsOpts` (key, cert, ca) when given, as `set-controller ssl:` makes OVS connect. */
  connect(port: number, tlsOpts?: tls.ConnectionOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const ready = () => {
        this.sendHello();
        resolve();
      };
      // Like OVS (TCP_NODELAY): a reply waits neither for Nagle nor for the controller's delayed ACK.
      this.socket = tlsOpts
        ? tls.connect({ port, host: '127.0.0.1', ...tlsOpts }, ready).setNoDelay(true)
        : net.connect({ port, host: '127.0.0.1', noDelay: true }, ready);
      this.socket.once('error', reject);
      this.socket.on('error', () => {});
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
      this.socket.on('close', () => {
        this.closed = true;
      });
    });
  }

  private sendHello(): void {
    const versions = this.opts.versions ?? [1, 4];
    const v = this.opts.helloVersion ?? Math.max(...versions, 1);
    if (v === 1 || v === 4) {
      this.writeRaw(
        encode({ type: 'hello', version: v, xid: 1, versions: v === OFP_VERSION_1_0 ? [] : versions }),
      );
    } else {
      // A version the codec does not model: a bare header.
      const b = Buffer.alloc(8);
      b.writeUInt8(v, 0);
      b.writeUInt16BE(8, 2);
      b.writeUInt32BE(1, 4);
      this.writeRaw(b);
    }
  }

  writeRaw(buf: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(buf);
  }

  send(msg: OfMessageBody & { xid?: number }): void {
    this.writeRaw(encode({ xid: this.xid++, ...msg, version: this.version ?? 4 } as OfMessage));
  }

  close(): void {
    this.socket.destroy();
  }

  /** Sends the messages and closes its side in the same write, as a switch that hangs up mid-stream. */
  sendAndHangUp(msgs: Array<OfMessageBody & { xid?: number }>): void {
    const v = this.version ?? 4;
    this.socket.end(
      Buffer.concat(msgs.map((m) => encode({ xid: this.xid++, ...m, version: v } as OfMessage))),
    );
  }

  of<T extends OfMessage['type']>(type: T): Extract<OfMessage, { type: T }>[] {
    return this.received.filter((m) => m.type === type) as Extract<OfMessage, { type: T }>[];
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch {
      return;
    }
    for (const f of frames) {
      const msg = decode(f);
      this.received.push(msg);
      this.handle(msg);
    }
  }

  private reply(msg: OfMessageBody, xid: number): void {
    this.writeRaw(encode({ ...msg, version: this.version!, xid } as OfMessage));
  }

  private handle(msg: OfMessage): void {
    if (msg.type === 'hello') {
      this.version = msg.version;
      return;
    }
    if (msg.type === 'error') return;
    this.version = msg.version;
    if (this.opts.silentTo?.includes(msg.type)) return;
    const ports = this.opts.ports ?? [port(1), port(2)];
    switch (msg.type) {
      case 'echo_request':
        return this.reply({ type: 'echo_reply', data: msg.data }, msg.xid);
      case 'features_request':
        return this.reply(
          {
            type: 'features_reply',
            datapathId: this.opts.dpid,
            nBuffers: 256,
            nTables: msg.version === OFP_VERSION_1_0 ? 1 : 254,
            auxiliaryId: 0,
            capabilities: 0,
            actions: msg.version === OFP_VERSION_1_0 ? 0xfff : 0,
            ports: msg.version === OFP_VERSION_1_0 ? ports : [],
          },
          msg.xid,
        );
      case 'barrier_request':
        return this.reply({ type: 'barrier_reply' }, msg.xid);
      case 'role_request': {
        // As OVS: master and slave requests carry a generation id that must not be older than the newest.
        if (msg.role === 2 || msg.role === 3) {
          if (this.generation !== undefined && BigInt.asIntN(64, msg.generationId - this.generation) < 0n)
            return this.reply({ type: 'error', errType: 11, code: 0, data: Buffer.alloc(0) }, msg.xid);
          this.generation = msg.generationId;
        }
        if (msg.role !== 0) this.role = ['nochange', 'equal', 'master', 'slave'][msg.role];
        const roleNo = ['nochange', 'equal', 'master', 'slave'].indexOf(this.role);
        return this.reply(
          { type: 'role_reply', role: roleNo, generationId: this.generation ?? 0xffffffffffffffffn },
          msg.xid,
        );
      }
      case 'experimenter': {
        // Nicira's role request on OpenFlow 1.0: subtype 10, role 0 other, 1 master, 2 slave.
        if (msg.experimenter !== 0x2320 || msg.data.readUInt32BE(0) !== 10) return;
        this.role = ['equal', 'master', 'slave'][msg.data.readUInt32BE(4)];
        const data = Buffer.from(msg.data);
        data.writeUInt32BE(11, 0);
        return this.reply({ type: 'experimenter', experimenter: 0x2320, expType: 0, data }, msg.xid);
      }
      case 'flow_mod':
        return this.applyFlowMod(msg);
      case 'stats_request': {
        const kind = msg.body.kind;
        if (this.opts.errorFor?.includes(kind)) {
          return this.reply({ type: 'error', errType: 1, code: 2, data: Buffer.alloc(0) }, msg.xid);
        }
        if (kind === 'desc') {
          return this.reply(
            {
              type: 'stats_reply',
              flags: 0,
              body: {
                kind,
                desc: { mfrDesc: 'Fake', hwDesc: 'fake', swDesc: '1', serialNum: '0', dpDesc: 'fake' },
              },
            },
            msg.xid,
          );
        }
        if (kind === 'port_desc')
          return this.reply({ type: 'stats_reply', flags: 0, body: { kind, ports } }, msg.xid);
        if (kind === 'flow') {
          const b = msg.body;
          const flows = this.flows.filter((f) => (f.cookie & b.cookieMask) === (b.cookie & b.cookieMask));
          const size = this.opts.flowStatsPartSize ?? Math.max(flows.length, 1);
          const parts: StatsReplyBody[] = [];
          for (let i = 0; i === 0 || i < flows.length; i += size)
            parts.push({ kind, flows: flows.slice(i, i + size) });
          parts.forEach((body, i) =>
            this.reply(
              { type: 'stats_reply', flags: i < parts.length - 1 ? OFPSF_REPLY_MORE : 0, body },
              msg.xid,
            ),
          );
          return;
        }
        return this.reply({ type: 'error', errType: 1, code: 2, data: Buffer.alloc(0) }, msg.xid);
      }
      default:
        return;
    }
  }

  private sameKey(f: FlowStatsEntry, m: FlowMod): boolean {
    return (
      f.priority === m.priority &&
      canonicalMatch(f.match) === canonicalMatch(m.match) &&
      f.tableId === m.tableId
    );
  }

  private applyFlowMod(m: FlowMod): void {
    if (m.command === OFPFC.ADD) {
      const i = this.flows.findIndex((f) => this.sameKey(f, m));
      const entry: FlowStatsEntry = {
        tableId: m.tableId,
        durationSec: 0,
        durationNsec: 0,
        priority: m.priority,
        idleTimeout: m.idleTimeout,
        hardTimeout: m.hardTimeout,
        flags: m.version === OFP_VERSION_1_0 ? 0 : m.flags,
        cookie: m.cookie,
        packetCount: 0n,
        byteCount: 0n,
        match: m.match,
        instructions: m.instructions,
      };
      if (i >= 0) this.flows[i] = entry;
      else this.flows.push(entry);
    } else if (m.command === OFPFC.DELETE_STRICT) {
      const i = this.flows.findIndex(
        (f) => this.sameKey(f, m) && (f.cookie & m.cookieMask) === (m.cookie & m.cookieMask),
      );
      if (i >= 0) this.flows.splice(i, 1);
    }
  }
}
