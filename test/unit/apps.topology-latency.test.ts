import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  combineLatency,
  LATENCY_SMOOTHING,
  latencySample,
  smoothLatency,
  TopologyApp,
  type LatencyProbe,
} from '../../src/apps/topology/index.js';
import type { OfMessageBody } from '../../src/controller/index.js';
import { topologyView } from '../../src/daemon/views.js';
import type { PacketIn } from '../../src/openflow/index.js';
import { buildLldp, parseEthernet, parseLldpTlvs, sentAtValue } from '../../src/packet/index.js';
import { FakeNetwork, linear, type FakeSwitch } from './apps.fakenet.js';

const probe = (p: Partial<LatencyProbe>): LatencyProbe => ({
  sentAtMs: 1000,
  receivedAtMs: 1050,
  srcEchoRttMs: 10,
  dstEchoRttMs: 6,
  ...p,
});

test('sample: time since sending less half of each switch echo round trip', () => {
  assert.equal(latencySample(probe({}), 5000), 50 - (10 + 6) / 2);
  assert.equal(latencySample(probe({ srcEchoRttMs: 0, dstEchoRttMs: 0 }), 5000), 50);
  assert.equal(latencySample(probe({ receivedAtMs: 1000.25, srcEchoRttMs: 0, dstEchoRttMs: 0 }), 5000), 0.25);
});

test('sample: a control channel slower than the whole trip clamps to 0, not a negative latency', () => {
  assert.equal(latencySample(probe({ receivedAtMs: 1004 }), 5000), 0);
});

test('sample: untrustworthy inputs give no sample', () => {
  const cases: [string, Partial<LatencyProbe>][] = [
    ['sender echo unknown', { srcEchoRttMs: undefined }],
    ['receiver echo unknown', { dstEchoRttMs: undefined }],
    ['negative echo', { srcEchoRttMs: -1 }],
    ['echo not a number', { dstEchoRttMs: Number.NaN }],
    ['clock went backwards (sent in the future)', { receivedAtMs: 999 }],
    ['older than the allowed age', { receivedAtMs: 1000 + 5001 }],
    ['received time not finite', { receivedAtMs: Number.POSITIVE_INFINITY }],
  ];
  for (const [what, p] of cases) assert.equal(latencySample(probe(p), 5000), undefined, what);
  assert.equal(latencySample(probe({ receivedAtMs: 6000, srcEchoRttMs: 0, dstEchoRttMs: 0 }), 5000), 5000);
});

test('smoothing: first sample as is, then an exponentially weighted average', () => {
  assert.equal(smoothLatency(undefined, 20), 20);
  assert.equal(smoothLatency(20, 30), 20 + LATENCY_SMOOTHING * 10);
  assert.equal(smoothLatency(20, 30, 1), 30);
  let v: number | undefined;
  for (let i = 0; i < 50; i++) v = smoothLatency(v, i === 10 ? 500 : 20);
  assert.ok(v !== undefined && Math.abs(v - 20) < 0.01, 'one outlier fades');
});

test('combine: mean of measured directions, or the one measured', () => {
  assert.equal(combineLatency(10, 20), 15);
  assert.equal(combineLatency(undefined, 20), 20);
  assert.equal(combineLatency(10, undefined), 10);
  assert.equal(combineLatency(undefined, undefined), undefined);
});

// ------------------------------------------------------------------------- the app, on a fake network

async function twoSwitches() {
  const net = new FakeNetwork();
  linear(net, 2);
  const topo = new TopologyApp({ timers: false });
  await net.start([topo]);
  net.connectAll();
  const s1 = net.switches.get(1n)!;
  const s2 = net.switches.get(2n)!;
  return { net, topo, s1, s2 };
}

/** Gives a fake switch the echo round trip a real session would have measured. */
function setEchoRtt(sw: FakeSwitch, ms: number): void {
  Object.assign(sw, { echoRttMs: ms });
}

/** The LLDP frame the app builds now for (sw, port), to be delivered later by hand. */
function probeFrame(topo: TopologyApp, sw: FakeSwitch, port: number): Buffer {
  const [msg] = topo.probeMessages(sw, [port]);
  assert.equal(msg.type, 'packet_out');
  return (msg as Extract<OfMessageBody, { type: 'packet_out' }>).data;
}

function deliver(topo: TopologyApp, at: FakeSwitch, inPort: number, frame: Buffer): void {
  assert.equal(topo.packetIn(at, { match: { in_port: inPort } } as PacketIn, parseEthernet(frame)), 'stop');
}

/** A probe out of s1 port 3 (or back from s2 port 2) that takes `ms` of the fake clock to come back. */
function probeTaking(
  net: FakeNetwork,
  topo: TopologyApp,
  ms: number,
  [from, to]: [FakeSwitch, FakeSwitch],
): void {
  const frame = probeFrame(topo, from, from.dpid === 1n ? 3 : 2);
  net.advance(ms);
  deliver(topo, to, to.dpid === 1n ? 3 : 2, frame);
}

function directedLatency(topo: TopologyApp, src: bigint): number | undefined {
  return topo.directedLinks().find((l) => l.srcDpid === src)?.latencyMs;
}

test('probes carry the controller clock; each round asks every switch for an echo', async () => {
  const { net, topo, s1, s2 } = await twoSwitches();
  const echoes: bigint[] = [];
  for (const sw of [s1, s2]) {
    sw.request = ((msg: OfMessageBody) => {
      if (msg.type === 'echo_request') echoes.push(sw.dpid);
      return Promise.reject(new Error('fake: no echo'));
    }) as FakeSwitch['request'];
  }
  net.advance(1234);
  const before = s1.sent.length;
  net.discover();
  assert.deepEqual(echoes.sort(), [1n, 2n]);
  const probes = s1.sent.slice(before).filter((m) => m.type === 'packet_out');
  assert.ok(probes.length > 0);
  for (const m of probes) {
    const p = parseLldpTlvs((m as Extract<OfMessageBody, { type: 'packet_out' }>).data.subarray(14));
    assert.equal(p?.sentAtMs, net.clock.t);
  }
  // Fake switches measure no echo: links are found, latency stays unknown, the API shows 0.
  assert.equal(topo.links().length, 1);
  assert.equal(topo.links()[0].latencyMs, undefined);
  assert.equal(topologyView(topo).links()[0].latencyMs, 0);
});

test('a returning probe sets the link latency; later ones are smoothed; the view shows whole ms', async () => {
  const { net, topo, s1, s2 } = await twoSwitches();
  setEchoRtt(s1, 4);
  setEchoRtt(s2, 2);
  probeTaking(net, topo, 30, [s1, s2]);
  assert.equal(directedLatency(topo, 1n), 30 - (4 + 2) / 2);

  probeTaking(net, topo, 40, [s1, s2]);
  const smoothed = 27 + LATENCY_SMOOTHING * (37 - 27);
  assert.equal(directedLatency(topo, 1n), smoothed);
  assert.equal(topo.links()[0].latencyMs, smoothed, 'only one direction measured');

  probeTaking(net, topo, 20, [s2, s1]);
  assert.equal(directedLatency(topo, 2n), 17);
  assert.equal(topo.links()[0].latencyMs, (smoothed + 17) / 2);
  assert.equal(topologyView(topo).links()[0].latencyMs, Math.round((smoothed + 17) / 2));
});

test('insane samples leave the latency as it was but still refresh the link', async () => {
  const { net, topo, s1, s2 } = await twoSwitches();
  setEchoRtt(s1, 0);
  setEchoRtt(s2, 0);
  probeTaking(net, topo, 10, [s1, s2]);
  assert.equal(directedLatency(topo, 1n), 10);

  // Older than a discovery round.
  probeTaking(net, topo, topo.intervalMs + 1, [s1, s2]);
  assert.equal(directedLatency(topo, 1n), 10);
  assert.equal(topo.directedLinks().find((l) => l.srcDpid === 1n)?.lastSeen, net.clock.t);

  // Stamped in the future.
  deliver(topo, s2, 2, buildLldp({ chassisDpid: 1n, portNo: 3, sentAtMs: net.clock.t + 5 }));
  // Receiving switch's control channel not measured.
  Object.assign(s2, { echoRttMs: undefined });
  probeTaking(net, topo, 50, [s1, s2]);
  assert.equal(directedLatency(topo, 1n), 10);
});

test('a probe with a malformed send-time TLV is still learned as a link, without a latency', async () => {
  const { net, topo, s1, s2 } = await twoSwitches();
  net.uncable(1n, 3);
  net.advance(topo.timeoutMs + 1);
  net.discover();
  assert.equal(topo.links().length, 0);
  setEchoRtt(s1, 0);
  setEchoRtt(s2, 0);
  const good = buildLldp({ chassisDpid: 1n, portNo: 3, sentAtMs: net.clock.t });
  // Splice a send-time TLV one byte short in place of the good one (header length 11, value cut).
  const short = sentAtValue(net.clock.t).subarray(0, 11);
  const at = good.length - 2 - 14; // start of the send-time TLV
  const head = Buffer.alloc(2);
  head.writeUInt16BE((127 << 9) | short.length);
  const bad = Buffer.concat([good.subarray(0, at), head, short, good.subarray(good.length - 2)]);
  assert.equal(parseEthernet(bad).lldp?.sentAtMs, undefined);
  net.advance(10);
  deliver(topo, s2, 2, bad);
  assert.equal(topo.links().length, 1, 'link learned');
  assert.equal(directedLatency(topo, 1n), undefined);
  assert.equal(topologyView(topo).links()[0].latencyMs, 0);
});
