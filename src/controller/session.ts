/**
 * One switch connection: framing, version negotiation, handshake, xid-matched requests, keepalive state and
 * the coalesced write path. Dispatch of switch events to apps is the host's (the Controller's) job.
 */
import type { Duplex } from 'node:stream';
import {
  FrameReader,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  OFPSF_REPLY_MORE,
  OpenFlowDecodeError,
  decode,
  encode,
  encodeMessage,
  negotiateVersion,
  type DescStats,
  type ErrorMsg,
  type FeaturesReply,
  type FlowRemoved,
  type OfMessage,
  type OfVersion,
  type PacketIn,
  type PortDesc,
  type PortStatus,
  type StatsReply,
  type StatsReplyBody,
  type StatsRequestBody,
} from '../openflow/index.js';
import type {
  ControllerMetrics,
  OfMessageBody,
  StatsReplyOf,
  StatsRequestOf,
  SwitchRole,
  SwitchSession,
} from './app.js';
import { readWithSharedBuffer, type SharedReadSupport } from './ownbuffer.js';
import type { TurnScheduler } from './turns.js';
import type { Clock } from '../util/index.js';
import { NotMasterError, OfErrorReplyError, RequestTimeoutError, SessionClosedError } from './errors.js';

/** OFPT_HELLO is type 0 in every version; the other numbers below are shared by 1.0 and 1.3. */
const OFPT_HELLO = 0;
/** What a slave must not send: everything that changes the switch's state or forwards a packet. */
const CHANGES_SWITCH: ReadonlySet<string> = new Set([
  'flow_mod',
  'packet_out',
  'group_mod',
  'meter_mod',
  'port_mod',
  'table_mod',
]);
const OFPT_PACKET_OUT = 13;
const OFPT_FLOW_MOD = 14;
const OFPET_HELLO_FAILED = 0;
const OFPHFC_INCOMPATIBLE = 0;
const OFPET_BAD_REQUEST = 1;
const OFPBRC_BAD_VERSION = 0;
const OFPBRC_BAD_TYPE = 1;
const OFPBRC_BAD_LEN = 6;
/** OFPR_DELETE in PORT_STATUS. */
const OFPPR_DELETE = 1;
/** Bytes of the offending frame echoed back in OFPT_ERROR data (the spec asks for at least 64). */
const ERROR_DATA_BYTES = 64;
/** Packet-ins that arrive before the handshake ends are held (cbench starts sending right away). */
const MAX_EARLY_PACKET_INS = 1024;

export interface SessionConfig {
  versions: readonly OfVersion[];
  requestTimeoutMs: number;
  handshakeTimeoutMs: number;
  missSendLen: number;
  maxWriteBuffer: number;
  maxFrame: number;
  /** Time and timers (handshake, request timeouts, the close grace period). */
  clock: Clock;
  metrics: ControllerMetrics;
  /** The owning controller's turn scheduler (input handled per event-loop turn, replies in one burst). */
  turns: TurnScheduler;
  /** Whether accepted sockets may read through the shared buffer (ownbuffer's check of Node's fields). */
  sharedRead: SharedReadSupport;
}

/** What a session reports to its owner. Every call is made from the socket's event handlers. */
export interface SessionHost {
  /** Handshake done (features, config, ports, desc). The host installs intent and announces the switch. */
  handshakeDone(s: Session): void;
  closed(s: Session, reason: string): void;
  packetIn(s: Session, msg: PacketIn): void;
  portStatus(s: Session, msg: PortStatus): void;
  flowRemoved(s: Session, msg: FlowRemoved): void;
  /** OFPT_ERROR that no pending request claimed. */
  switchError(s: Session, msg: ErrorMsg): void;
  /** Something the operator should know about (bad input, handshake failure). */
  warn(s: Session, fields: object, msg: string): void;
}

interface Pending {
  type: string;
  parts: OfMessage[];
  resolve(parts: OfMessage[]): void;
  reject(err: Error): void;
  timer: unknown;
}

type Phase = 'hello' | 'features' | 'setup' | 'ready' | 'closed';

const LIST_FIELD: Partial<Record<StatsReplyBody['kind'], string>> = {
  flow: 'flows',
  port: 'ports',
  port_desc: 'ports',
  table: 'tables',
  queue: 'queues',
  group: 'groups',
  group_desc: 'groups',
  meter: 'meters',
  meter_config: 'meters',
};

/** Joins the parts of a multipart reply: list bodies concatenated, single bodies (desc, aggregate) as is. */
export function mergeStatsParts(parts: readonly StatsReply[]): StatsReplyBody {
  if (!parts.length) throw new RangeError('parts: a stats reply has at least one part');
  const first = parts[0].body;
  const field = LIST_FIELD[first.kind];
  if (!field || parts.length === 1) return first;
  const all: unknown[] = [];
  for (const p of parts) {
    if (p.body.kind !== first.kind) continue;
    all.push(...((p.body as unknown as Record<string, unknown[]>)[field] ?? []));
  }
  return { ...first, [field]: all } as StatsReplyBody;
}

export class Session implements SwitchSession {
  version: OfVersion = OFP_VERSION_1_3;
  dpid = 0n;
  features!: FeaturesReply;
  desc?: DescStats;
  readonly ports = new Map<number, PortDesc>();
  readonly connectedSince: Date;
  /** Time of the last message from the switch (keepalive). */
  lastRx: number;
  /** Time of the last ECHO_REQUEST we sent while the switch was idle. */
  lastEchoSent = 0;
  /** Round trip (ms) of the latest answered ECHO_REQUEST we sent (keepalive or an app's); undefined until one. */
  echoRttMs: number | undefined = undefined;
  /** The xid and send time of the latest ECHO_REQUEST; -1 when none is outstanding (xids are unsigned). */
  private echoXid = -1;
  private echoSentAt = 0;
  /** Set by the host once the switch is announced (registered under its DPID). */
  announced = false;
  /** See SwitchSession.role; the controller sets it (a cluster's sessions start as 'slave'). */
  role: SwitchRole = 'equal';

  private phase: Phase = 'hello';
  private readonly reader: FrameReader;
  private nextXid = 1;
  private readonly pending = new Map<number, Pending>();
  private writeQueue: Buffer[] = [];
  private flushScheduled = false;
  private paused = false;
  private handshakeTimer: unknown;
  private earlyPacketIns: PacketIn[] = [];
  private bytesIn = 0;
  private readonly flushBound = () => this.flush();

  constructor(
    private readonly stream: Duplex,
    readonly remoteAddress: string,
    private readonly cfg: SessionConfig,
    private readonly host: SessionHost,
  ) {
    this.connectedSince = new Date(cfg.clock.now());
    this.lastRx = cfg.clock.now();
    this.reader = new FrameReader({ maxFrame: cfg.maxFrame });
    const onData = (chunk: Buffer) => this.onData(chunk);
    if (!readWithSharedBuffer(stream, onData, cfg.sharedRead)) stream.on('data', onData);
    // What the switch sent before it went away is still handled (its turn has not come yet).
    stream.on('error', (err: Error) => this.closeAfterInput(`socket error: ${err.message}`));
    stream.on('close', () => this.closeAfterInput('connection closed by switch'));
    stream.on('end', () => this.closeAfterInput('connection closed by switch'));
    stream.on('drain', () => {
      if (this.paused) {
        this.paused = false;
        stream.resume();
      }
    });
    this.handshakeTimer = cfg.clock.setTimer(
      () => this.closeWith('handshake timeout'),
      cfg.handshakeTimeoutMs,
    );
    // The HELLO header carries our highest version; the bitmap element lists all of them.
    const highest = Math.max(...cfg.versions) as OfVersion;
    this.writeRaw(
      // OF1.0 hellos have no bitmap: a 1.0-only controller offers its header version alone.
      encode({
        type: 'hello',
        version: highest,
        xid: this.allocXid(),
        versions: highest === OFP_VERSION_1_0 ? [] : [...cfg.versions],
      }),
    );
  }

  get connected(): boolean {
    return this.phase !== 'closed';
  }
  get ready(): boolean {
    return this.phase === 'ready';
  }
  get phaseName(): Phase {
    return this.phase;
  }

  // ---------------------------------------------------------------------------------------------------
  // Writing

  private allocXid(): number {
    const xid = this.nextXid;
    this.nextXid = xid >= 0xffffffff ? 1 : xid + 1;
    return xid;
  }

  send(msg: OfMessageBody): number {
    const xid = this.allocXid();
    if (this.phase === 'closed') return xid;
    const m = this.cfg.metrics;
    if (this.role === 'slave' && CHANGES_SWITCH.has(msg.type)) {
      m.slaveDrops++;
      return xid;
    }
    if (msg.type === 'flow_mod') m.flowMods++;
    else if (msg.type === 'packet_out') m.packetOut++;
    else if (msg.type === 'echo_request') {
      this.echoXid = xid;
      this.echoSentAt = this.cfg.clock.now();
    }
    this.writeRaw(encodeMessage(msg, this.version, xid));
    return xid;
  }

  sendFrame(frame: Buffer): number {
    if (frame.length < 8 || frame[0] !== this.version || frame.readUInt16BE(2) !== frame.length) {
      throw new RangeError(
        `frame: not one OpenFlow message of version ${this.version} (version ${frame[0]}, ${frame.length} bytes)`,
      );
    }
    const xid = this.allocXid();
    if (this.phase === 'closed') return xid;
    const m = this.cfg.metrics;
    // Templates are flow mods and packet-outs: a slave sends none of them.
    if (this.role === 'slave') {
      m.slaveDrops++;
      return xid;
    }
    if (frame[1] === OFPT_FLOW_MOD) m.flowMods++;
    else if (frame[1] === OFPT_PACKET_OUT) m.packetOut++;
    frame.writeUInt32BE(xid, 4);
    this.writeRaw(frame);
    return xid;
  }

  /** Replies keep the request's xid. */
  private reply(msg: OfMessageBody, xid: number): void {
    if (this.phase === 'closed') return;
    this.writeRaw(encodeMessage(msg, this.version, xid));
  }

  /**
   * Queues bytes. While a turn's input is handled, every switch's bytes go out as one write per switch in
   * the turn's burst, in the order the switches were first written to: a path's downstream flows, queued
   * first, leave before the ingress FLOW_MOD that releases the packet. Anything else queued in one tick
   * (timers, promise continuations) goes out as one write on nextTick.
   */
  private writeRaw(buf: Buffer): void {
    this.cfg.metrics.messagesOut++;
    this.writeQueue.push(buf);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      if (this.cfg.turns.inTurn) this.cfg.turns.queueFlush(this.flushBound);
      else process.nextTick(this.flushBound);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const q = this.writeQueue;
    if (!q.length || this.stream.destroyed) {
      this.writeQueue = [];
      return;
    }
    this.writeQueue = [];
    const accepted = this.stream.write(q.length === 1 ? q[0] : Buffer.concat(q));
    // Backpressure: a switch that does not read its replies stops being read until the buffer drains.
    // Only once write() has said "full" too, because only then will the stream emit 'drain'.
    if (!accepted && !this.paused && this.stream.writableLength > this.cfg.maxWriteBuffer) {
      this.paused = true;
      this.stream.pause();
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Requests

  request<T extends OfMessage = OfMessage>(msg: OfMessageBody, opts?: { timeoutMs?: number }): Promise<T[]> {
    if (this.phase === 'closed') return Promise.reject(new SessionClosedError('session already closed'));
    if (this.role === 'slave' && CHANGES_SWITCH.has(msg.type)) {
      this.cfg.metrics.slaveDrops++;
      return Promise.reject(new NotMasterError(msg.type, this.dpid));
    }
    const timeoutMs = opts?.timeoutMs ?? this.cfg.requestTimeoutMs;
    return new Promise<T[]>((resolve, reject) => {
      let xid: number;
      try {
        xid = this.send(msg);
      } catch (err) {
        reject(err as Error);
        return;
      }
      const timer = this.cfg.clock.setTimer(() => {
        this.pending.delete(xid);
        this.cfg.metrics.requestTimeouts++;
        reject(new RequestTimeoutError(msg.type, xid, timeoutMs));
      }, timeoutMs);
      this.pending.set(xid, {
        type: msg.type,
        parts: [],
        resolve: resolve as (parts: OfMessage[]) => void,
        reject,
        timer,
      });
    });
  }

  async stats<K extends StatsRequestBody['kind']>(
    body: StatsRequestOf<K>,
    opts?: { timeoutMs?: number },
  ): Promise<StatsReplyOf<K>> {
    const parts = await this.request<StatsReply>({ type: 'stats_request', flags: 0, body }, opts);
    return mergeStatsParts(parts) as StatsReplyOf<K>;
  }

  async barrier(opts?: { timeoutMs?: number }): Promise<void> {
    await this.request({ type: 'barrier_request' }, opts);
  }

  /** Routes a reply to its pending request; false if nobody waits for this xid. */
  private settle(msg: OfMessage): boolean {
    const p = this.pending.get(msg.xid);
    if (!p) return false;
    if (msg.type === 'error') {
      this.pending.delete(msg.xid);
      this.cfg.clock.clearTimer(p.timer);
      p.reject(new OfErrorReplyError(p.type, msg));
      return true;
    }
    p.parts.push(msg);
    if (msg.type === 'stats_reply' && msg.flags & OFPSF_REPLY_MORE) return true;
    this.pending.delete(msg.xid);
    this.cfg.clock.clearTimer(p.timer);
    p.resolve(p.parts);
    return true;
  }

  // ---------------------------------------------------------------------------------------------------
  // Reading

  /** Chunks read this turn, handled by the turn scheduler. */
  private input: Buffer[] = [];

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    if (this.input.push(chunk) === 1) this.cfg.turns.queueInput(this);
  }

  /** Handles the input read this turn (replies join the turn's write burst through writeRaw). */
  handleInput(): void {
    const chunks = this.input;
    if (!chunks.length) return;
    this.input = [];
    for (let i = 0; i < chunks.length && this.phase !== 'closed'; i++) this.handleChunk(chunks[i]);
  }

  private closeAfterInput(reason: string): void {
    if (this.phase === 'closed') return;
    this.handleInput();
    this.close(reason);
  }

  private handleChunk(chunk: Buffer): void {
    try {
      this.onChunk(chunk);
    } catch (err) {
      // Last line of defence: whatever went wrong, it ends this connection only.
      this.closeWith(`internal error handling switch input: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  private onChunk(chunk: Buffer): void {
    // Garbage instead of a HELLO (an HTTP client, a port scanner) would otherwise sit until the handshake
    // timeout while the reader waits for the bogus length it read.
    if (
      this.bytesIn === 0 &&
      chunk.length >= 2 &&
      (chunk[1] !== OFPT_HELLO || chunk[0] === 0 || chunk[0] > 0x06)
    ) {
      this.cfg.metrics.handshakeFailures++;
      this.sendError(
        OFPET_HELLO_FAILED,
        OFPHFC_INCOMPATIBLE,
        chunk.subarray(0, 8),
        'expected an OpenFlow HELLO',
      );
      this.closeWith('first bytes are not an OpenFlow HELLO');
      return;
    }
    this.bytesIn += chunk.length;
    // Frames ahead of a bad length are handled before the connection ends, however TCP split the reads.
    const { frames, error, badBytes } = this.reader.pushUntilError(chunk);
    this.lastRx = this.cfg.clock.now();
    for (let i = 0; i < frames.length && this.connected; i++) this.onFrame(frames[i]);
    if (error && this.connected) {
      this.cfg.metrics.decodeErrors++;
      this.failFraming(error, badBytes ?? chunk);
    }
  }

  private onFrame(frame: Buffer): void {
    this.cfg.metrics.messagesIn++;
    if (this.phase === 'hello') {
      this.onHello(frame);
      return;
    }
    if (frame[0] !== this.version) {
      this.cfg.metrics.decodeErrors++;
      this.sendError(OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION, frame);
      this.closeWith(
        `wire version 0x${frame[0].toString(16)} after negotiating 0x${this.version.toString(16)}`,
      );
      return;
    }
    let msg: OfMessage;
    try {
      msg = decode(frame);
    } catch (err) {
      this.cfg.metrics.decodeErrors++;
      if (err instanceof OpenFlowDecodeError) {
        this.sendError(err.ofpErrType, err.ofpErrCode, frame);
        this.host.warn(this, { code: err.code, detail: err.detail }, 'undecodable message from switch');
      } else {
        // A codec bug must not take the process down: answer as for any malformed message.
        this.sendError(OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, frame);
        this.host.warn(this, { err: (err as Error)?.stack ?? String(err) }, 'decoder failed unexpectedly');
      }
      return;
    }
    this.dispatch(msg, frame);
  }

  private onHello(frame: Buffer): void {
    if (frame[1] !== OFPT_HELLO) {
      this.cfg.metrics.handshakeFailures++;
      this.sendError(OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, frame, 'expected HELLO first');
      this.closeWith(`first message was type ${frame[1]}, not HELLO`);
      return;
    }
    let bitmap: number[] = [];
    try {
      const hello = decode(frame);
      if (hello.type === 'hello') bitmap = hello.versions;
    } catch {
      // A HELLO of a version the codec does not model: negotiate on its header version alone.
    }
    const v = negotiateVersion(this.cfg.versions, frame[0], bitmap);
    if (v === undefined) {
      this.cfg.metrics.handshakeFailures++;
      const offered = bitmap.length ? bitmap : [frame[0]];
      const text = `incompatible: we support ${this.cfg.versions.join(',')}, switch offers ${offered.join(',')}`;
      this.version = frame[0] >= OFP_VERSION_1_3 ? OFP_VERSION_1_3 : OFP_VERSION_1_0;
      this.sendError(OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, frame, text);
      this.closeWith(`version negotiation failed (${text})`);
      return;
    }
    this.version = v;
    this.phase = 'features';
    this.request<FeaturesReply>({ type: 'features_request' }).then(
      (replies) => this.onFeatures(replies[0]),
      (err: Error) => this.closeWith(`handshake: features request failed: ${err.message}`),
    );
  }

  private onFeatures(f: FeaturesReply): void {
    if (this.phase !== 'features') return;
    // From here each step has its own request timeout; a busy switch is not cut off for a slow DESC.
    this.cfg.clock.clearTimer(this.handshakeTimer);
    this.features = f;
    this.dpid = f.datapathId;
    this.phase = 'setup';
    this.send({ type: 'set_config', flags: 0, missSendLen: this.cfg.missSendLen });
    if (this.version === OFP_VERSION_1_0) for (const p of f.ports) this.ports.set(p.portNo, p);
    const portsDone =
      this.version === OFP_VERSION_1_3
        ? this.stats({ kind: 'port_desc' }).then((r) => {
            for (const p of r.ports) this.ports.set(p.portNo, p);
          })
        : Promise.resolve();
    // DESC is informational: a switch that does not answer it (some test switches) still comes up.
    const descDone = this.stats({ kind: 'desc' }).then(
      (r) => {
        this.desc = r.desc;
      },
      (err: Error) => this.host.warn(this, { err: err.message }, 'switch did not answer DESC stats'),
    );
    Promise.all([portsDone, descDone]).then(
      () => {
        if (this.phase !== 'setup') return;
        this.cfg.clock.clearTimer(this.handshakeTimer);
        this.phase = 'ready';
        this.host.handshakeDone(this);
      },
      (err: Error) => this.closeWith(`handshake: port description failed: ${err.message}`),
    );
  }

  /** Packet-ins held during the handshake; the host replays them after announcing the switch. */
  takeEarlyPacketIns(): PacketIn[] {
    const q = this.earlyPacketIns;
    this.earlyPacketIns = [];
    return q;
  }

  private dispatch(msg: OfMessage, frame: Buffer): void {
    switch (msg.type) {
      case 'packet_in':
        // An 'equal' connection gets packet-ins until the role request lands: only the master acts on them.
        if (this.role === 'slave') return;
        if (this.phase === 'ready' && this.announced) this.host.packetIn(this, msg);
        else if (this.earlyPacketIns.length < MAX_EARLY_PACKET_INS) this.earlyPacketIns.push(msg);
        return;
      case 'echo_request':
        this.reply({ type: 'echo_reply', data: msg.data }, msg.xid);
        return;
      case 'port_status':
        if (msg.reason === OFPPR_DELETE) this.ports.delete(msg.desc.portNo);
        else this.ports.set(msg.desc.portNo, msg.desc);
        if (this.announced) this.host.portStatus(this, msg);
        return;
      case 'flow_removed':
        if (this.announced) this.host.flowRemoved(this, msg);
        return;
      case 'error':
        this.cfg.metrics.switchErrors++;
        if (!this.settle(msg)) this.host.switchError(this, msg);
        return;
      case 'echo_reply':
        if (msg.xid === this.echoXid) {
          this.echoRttMs = this.cfg.clock.now() - this.echoSentAt;
          this.echoXid = -1;
        }
        this.settle(msg);
        return;
      case 'features_reply':
      case 'get_config_reply':
      case 'stats_reply':
      case 'barrier_reply':
      case 'role_reply':
      case 'experimenter':
        this.settle(msg);
        return;
      case 'hello':
        // A repeated HELLO changes nothing once the version is fixed.
        return;
      default:
        // Controller-to-switch messages have no business arriving here.
        this.sendError(OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, frame);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Errors and closing

  private sendError(errType: number, code: number, frame: Buffer, text?: string): void {
    const xid = frame.length >= 8 ? frame.readUInt32BE(4) : 0;
    const data = text !== undefined ? Buffer.from(text, 'ascii') : frame.subarray(0, ERROR_DATA_BYTES);
    try {
      this.reply({ type: 'error', errType, code, data }, xid);
    } catch {
      // Nothing sensible to do if even the error cannot be encoded; the caller closes or moves on.
    }
  }

  /** FrameReader errors are sticky: the byte stream has lost its framing, so this connection ends. */
  private failFraming(err: OpenFlowDecodeError, badBytes: Buffer): void {
    if (this.phase !== 'hello') this.sendError(err.ofpErrType, err.ofpErrCode, badBytes);
    else this.sendError(OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, badBytes);
    this.closeWith(`framing error: ${err.detail}`);
  }

  /** Close after letting queued bytes (typically an OFPT_ERROR) go out. */
  private closeWith(reason: string): void {
    if (this.phase === 'closed') return;
    this.host.warn(this, { reason }, 'closing switch connection');
    this.flush();
    this.stream.end();
    this.close(reason);
  }

  close(reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.cfg.clock.clearTimer(this.handshakeTimer);
    this.flush();
    if (!this.stream.writableEnded) this.stream.end();
    // Give the peer a moment to read the last bytes, then make sure the socket is gone.
    const kill = this.cfg.clock.setTimer(() => this.stream.destroy(), 1000);
    this.stream.once('close', () => this.cfg.clock.clearTimer(kill));
    const err = new SessionClosedError(reason);
    for (const p of this.pending.values()) {
      this.cfg.clock.clearTimer(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.earlyPacketIns = [];
    this.host.closed(this, reason);
  }

  /** Keepalive step, driven by the controller's sweep: echo when idle, close when silent too long. */
  checkLiveness(now: number, echoIntervalMs: number, echoTimeoutMs: number): void {
    if (this.phase === 'closed' || this.phase === 'hello') return;
    const idle = now - this.lastRx;
    if (idle >= echoTimeoutMs) {
      this.cfg.metrics.echoTimeouts++;
      this.closeWith(`no message from switch for ${idle} ms (echo timeout ${echoTimeoutMs} ms)`);
      return;
    }
    if (idle >= echoIntervalMs && now - this.lastEchoSent >= echoIntervalMs) {
      this.lastEchoSent = now;
      this.send({ type: 'echo_request', data: Buffer.alloc(0) });
    }
  }
}
