/**
 * Wire compatibility with an independent encoder: real `ovs-ofctl` talks to a real bridge listening
 * passively (ptcp), through a proxy that records every frame both ways. Every frame ovs-ofctl sends and
 * every reply OVS gives must decode, and re-encode to the same bytes (or, inside OF1.3 matches, to the same
 * OXM TLVs in our order). Covers OF1.3 flow mods with experimenter/NXM match fields (tcp_flags, registers,
 * nw_ttl, nw_frag), OF1.0 Nicira vendor stats (NXST_FLOW, NXST_AGGREGATE), dump-flows and dump-aggregate
 * with their replies; and formatFlow prints the recorded OF1.3 flows as ovs-ofctl does.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import {
  FrameReader,
  decode,
  encode,
  formatFlow,
  type FlowMod,
  type OfMessage,
  type StatsReply,
  type StatsRequest,
} from '../../src/openflow/index.js';
import { compareWire } from '../unit/openflow.wirecompare.js';
import { addTestBridge, deleteBridge, ensureOvs, freePort, ofctl, waitForPort } from './harness/index.js';

const BRIDGE = 'ofctlwire0';
const NX_VENDOR_ID = 0x2320;
const ONF_EXPERIMENTER = 0x4f4e4600;

interface Captured {
  command: string;
  /** 'out': ovs-ofctl to the switch; 'in': the switch's replies. */
  dir: 'out' | 'in';
  frame: Buffer;
}

/** A TCP proxy in front of the bridge's passive listener that keeps every frame, labelled by command. */
class RecordingProxy {
  readonly frames: Captured[] = [];
  command = '';
  private readonly socks = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstreamPort: number): Promise<RecordingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new RecordingProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => proxy.pipe(client, upstreamPort));
    return proxy;
  }

  private pipe(client: Socket, upstreamPort: number): void {
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    const command = this.command;
    const relay = (from: Socket, to: Socket, dir: Captured['dir']) => {
      const reader = new FrameReader();
      from.on('data', (chunk) => {
        for (const frame of reader.push(chunk)) this.frames.push({ command, dir, frame: Buffer.from(frame) });
        to.write(chunk);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
      this.socks.add(from);
    };
    relay(client, upstream, 'out');
    relay(upstream, client, 'in');
  }

  close(): void {
    for (const s of this.socks) s.destroy();
    this.server.close();
  }
}

let proxy: RecordingProxy;
/** ovs-ofctl's output by command line. */
const printed = new Map<string, string>();

/** Runs ovs-ofctl against the proxy, keeping its output. */
async function viaProxy(protocols: string, command: string, ...args: string[]): Promise<void> {
  proxy.command = `${protocols} ${command} ${args.join(' ')}`.trim();
  printed.set(proxy.command, await ofctl([command, `tcp:127.0.0.1:${proxy.port}`, ...args], protocols));
}

const decoded = (c: Captured): OfMessage => decode(c.frame);
const ofCommand = (prefix: string) => proxy.frames.filter((c) => c.command.startsWith(prefix));

/** ovs-ofctl's line without what changes between two reads. */
const stable = (line: string) =>
  line
    .replace(/duration=[\d.]+s, /, '')
    .replace(/idle_age=\d+, /, '')
    .replace(/hard_age=\d+, /, '')
    .trim();

const FLOWS13 = [
  'priority=50,tcp,tcp_flags=+syn-ack,actions=output:1',
  'priority=51,tcp,tp_dst=22,tcp_flags=syn,actions=drop',
  'priority=52,ip,reg0=5,reg3=0x10/0xf0,nw_ttl=64,actions=output:2',
  'priority=53,ip,nw_frag=first,actions=drop',
  'priority=54,tcp6,ipv6_src=2001:db8::/32,tcp_flags=-rst+fin,actions=output:1',
];
const FLOWS10 = [
  'priority=60,tcp,nw_src=10.0.0.0/24,tp_dst=80,actions=output:1',
  'priority=61,tcp,tcp_flags=+syn,actions=drop',
];

before(async () => {
  await ensureOvs();
  const port = await freePort();
  await addTestBridge(BRIDGE, {
    protocols: 'OpenFlow10,OpenFlow13',
    failMode: 'secure',
    controllers: [`ptcp:${port}:127.0.0.1`],
  });
  await waitForPort(port);
  proxy = await RecordingProxy.start(port);

  await viaProxy('OpenFlow13', 'del-flows');
  for (const flow of FLOWS13) await viaProxy('OpenFlow13', 'add-flow', flow);
  await viaProxy('OpenFlow13', 'dump-flows');
  await viaProxy('OpenFlow13', 'dump-flows', 'tcp,tcp_flags=+syn');
  await viaProxy('OpenFlow13', 'dump-aggregate');
  for (const flow of FLOWS10) await viaProxy('OpenFlow10', 'add-flow', flow);
  await viaProxy('OpenFlow10', 'dump-flows');
  await viaProxy('OpenFlow10', 'dump-aggregate');
});

after(async () => {
  proxy?.close();
  await deleteBridge(BRIDGE);
});

test('every frame ovs-ofctl sends and OVS answers decodes and re-encodes to the same bytes or fields', (t) => {
  assert.ok(proxy.frames.length > 30, `only ${proxy.frames.length} frames captured`);
  const outcome = { exact: 0, reordered: 0 };
  for (const c of proxy.frames) {
    const what = `${c.dir === 'out' ? 'ovs-ofctl' : 'OVS'} frame of "${c.command}": ${c.frame.toString('hex')}`;
    let m: OfMessage;
    try {
      m = decode(c.frame);
    } catch (e) {
      throw new Error(`${what} does not decode: ${(e as Error).message}`);
    }
    const again = encode(m);
    outcome[compareWire(c.frame, again)]++;
    assert.deepStrictEqual(decode(again), m, what);
  }
  // compareWire allowed a difference only in the order of OXM TLVs inside OF1.3 matches.
  t.diagnostic(`byte-exact ${outcome.exact}, same OXM TLVs in another order ${outcome.reordered}`);
});

test('OF1.3 add-flow: tcp_flags (ONF experimenter OXM) and NXM fields are kept, not dropped', () => {
  const mods = ofCommand('OpenFlow13 add-flow')
    .filter((c) => c.dir === 'out')
    .map(decoded)
    .filter((m): m is FlowMod => m.type === 'flow_mod');
  assert.equal(mods.length, FLOWS13.length);
  const byPriority = new Map(mods.map((m) => [m.priority, m.match.opaque ?? []]));
  const tcpFlags = byPriority.get(50)!.find((o) => o.oxmClass === 0xffff && o.field === 42);
  assert.deepStrictEqual(tcpFlags, {
    oxmClass: 0xffff,
    field: 42,
    experimenter: ONF_EXPERIMENTER,
    value: Buffer.from('0002', 'hex'),
    mask: Buffer.from('0012', 'hex'),
  });
  assert.deepEqual(
    byPriority
      .get(52)!
      .map((o) => `${o.oxmClass}:${o.field}`)
      .sort(),
    ['1:0', '1:29', '1:3'],
    'reg0, reg3, nw_ttl as NXM class 1',
  );
  assert.ok(
    byPriority.get(53)!.some((o) => o.oxmClass === 1 && o.field === 26),
    'nw_frag as NXM class 1',
  );
});

test('OF1.0 dump-flows and dump-aggregate: Nicira vendor stats decode as opaque, both ways', () => {
  const stats = (prefix: string) =>
    ofCommand(prefix)
      .map(decoded)
      .filter((m): m is StatsRequest | StatsReply => m.type === 'stats_request' || m.type === 'stats_reply');
  for (const [prefix, subtype] of [
    ['OpenFlow10 dump-flows', 0],
    ['OpenFlow10 dump-aggregate', 1],
  ] as const) {
    const msgs = stats(prefix);
    assert.deepEqual(
      msgs.map((m) => [m.type, m.body.kind, 'experimenter' in m.body && m.body.experimenter]),
      [
        ['stats_request', 'experimenter', NX_VENDOR_ID],
        ['stats_reply', 'experimenter', NX_VENDOR_ID],
      ],
      prefix,
    );
    for (const m of msgs) assert.equal(m.body.kind === 'experimenter' && m.body.expType, subtype, prefix);
  }
});

test('formatFlow prints the recorded OF1.3 flow stats reply as ovs-ofctl dump-flows printed it', () => {
  const replies = ofCommand('OpenFlow13 dump-flows')
    .filter((c) => c.command === 'OpenFlow13 dump-flows' && c.dir === 'in')
    .map(decoded)
    .filter((m): m is StatsReply => m.type === 'stats_reply');
  const ours = replies
    .flatMap((m) => (m.body.kind === 'flow' ? m.body.flows : []))
    .map((f) => stable(formatFlow(f, 4)))
    .sort();
  assert.equal(ours.length, FLOWS13.length);
  const theirs = printed
    .get('OpenFlow13 dump-flows')!
    .split('\n')
    .filter((l) => l.startsWith(' cookie='))
    .map(stable)
    .sort();
  assert.deepEqual(ours, theirs);
});
