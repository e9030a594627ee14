/**
 * Host-aware rule -> QoS on real parts: a real gmond on loopback whose h1 bytes_out is injected with
 * `gmetric --spoof 10.0.0.1:h1`, a real `sluice controller` driven over its HTTP API, Mininet linear,2 over
 * OpenFlow 1.3 (userspace OVS, where meters limit rate). The rule "bytes_out gt 1e6, check limit 3 -> rate-limit
 * h1 to 2 Mbit/s" acts on exactly the third poll over the threshold (not the second), iperf3 from h1 is then
 * held near 2 Mbit/s, and once the value drops the policy, its meter flows and the limit are gone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpFlows, waitFor, type MininetNet } from './harness/index.js';
import {
  bytesOutRule,
  isApplied,
  isUndone,
  metCount,
  startHandNet,
  type HandApi,
  type HandNet,
} from './helpers/hostaware.js';

let hn: HandNet;
let net: MininetNet;
let hand: HandApi;

/** iperf3 h1 -> h2 for 3 s: bits/s received. The server runs only for the measurement. */
async function iperfH1H2(): Promise<number> {
  // Not `iperf3 -s -D`: a daemon leaves the driver's process tracking and outlives the network.
  const server = await net.bg('h2', ['iperf3', '-s']);
  try {
    await waitFor(async () => (await net.exec('h2', ['sh', '-c', 'ss -ltn | grep -q :5201'])).code === 0, {
      what: 'iperf3 server on h2',
    });
    const r = await net.exec('h1', ['iperf3', '-c', '10.0.0.2', '-t', '3', '-J'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, `iperf3 h1 -> h2: ${r.stderr}${r.stdout.slice(0, 400)}`);
    return (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
      .bits_per_second;
  } finally {
    await server.kill();
  }
}

type Policy = { name: string; policyid: number };
const policies = async () => hand.ok<Policy[]>('GET', '/wm/qos/policy/json');
/** Meter flows for traffic from h1 on `sw` (QoS's cookie space). */
const meterFlowsH1 = async (sw: string) =>
  (await dumpFlows(sw)).filter((l) => l.includes('meter:') && l.includes('nw_src=10.0.0.1'));

before(async () => {
  hn = await startHandNet('linear,2', 2);
  ({ net, hand } = hn);
  await hand.ok('PUT', '/api/v1/qos', { enabled: true });
});

after(() => hn?.stop());

test('bytes_out gt 1e6 x3 polls -> h1 rate-limited to 2 Mbit/s on the third poll, lifted when it drops', async (t) => {
  const { rule, set } = await bytesOutRule(hand, t, {
    source: 'g-qos',
    // 2 s between polls: room to look at the QoS state between the second and the third.
    interval: 2,
    rule: {
      name: 'h1-rate',
      checkLimit: 3,
      pollingTime: 2,
      action: { type: 'qos', params: { 'ip-src': '{{ip}}', 'eth-type': '0x0800', 'rate-kbps': 2000 } },
    },
  });
  assert.deepEqual(rule.issues, [], 'QoS is on and both switches speak OpenFlow 1.3');
  const base = await iperfH1H2();
  const start = await hand.lastSeq();

  await set(2e6);
  const second = await hand.waitMessage('h1-rate', start, (m) => metCount(m) === 2, 'met 2/3');
  assert.ok(
    !(await policies()).some((p) => p.name === 'hand-h1-rate-h1'),
    'a QoS policy exists after two polls over the threshold',
  );
  assert.deepEqual(await meterFlowsH1('s1'), [], 'a meter flow for h1 after two polls');
  assert.equal((await hand.ruleHost('h1-rate', 'h1'))?.state, 'pending');

  const applied = await hand.waitMessage('h1-rate', start, isApplied, 'the qos action applied');
  assert.match(applied.message, /^applied qos: QoS policy \d+/);
  const msgs = await hand.messages({ rule: 'h1-rate', after: start });
  const third = msgs.find((m) => metCount(m) === 3);
  assert.ok(third, `no met 3/3 message:\n${await hand.transcript('h1-rate', start)}`);
  assert.ok(third.seq > second.seq && applied.seq > third.seq, 'the action follows the third met poll');
  assert.deepEqual(
    msgs.filter((m) => m.type === 'ACTION' && m.seq < third.seq),
    [],
    'an ACTION came before the third met poll',
  );
  const fourth = msgs.find((m) => metCount(m) === 4);
  assert.ok(!fourth || applied.seq < fourth.seq, 'the action came only after a fourth poll');
  assert.deepEqual(
    msgs
      .filter((m) => m.type === 'THRESHOLD_MET')
      .map(metCount)
      .slice(0, 3),
    [1, 2, 3],
  );

  const policy = (await policies()).find((p) => p.name === 'hand-h1-rate-h1');
  assert.ok(policy, 'the QoS policy tagged with the rule and host');
  assert.deepEqual((await hand.ruleHost('h1-rate', 'h1'))?.applied, { kind: 'qos', id: policy.policyid });
  for (const sw of ['s1', 's2']) {
    await waitFor(async () => (await meterFlowsH1(sw)).length > 0, {
      what: `h1's meter flow on ${sw}`,
      timeoutMs: 10_000,
      detail: async () => (await dumpFlows(sw)).join('\n'),
    });
  }
  const limited = await iperfH1H2();
  assert.ok(limited < 4_000_000, `h1 -> h2 at ${limited} bit/s while limited, expected under 4 Mbit/s`);

  const dropped = await hand.lastSeq();
  await set(1000);
  const undone = await hand.waitMessage('h1-rate', dropped, isUndone, 'the qos action undone');
  assert.match(undone.message, new RegExp(`removed QoS policy ${policy.policyid}$`));
  assert.ok(!(await policies()).some((p) => p.policyid === policy.policyid), 'the policy stayed');
  for (const sw of ['s1', 's2']) {
    await waitFor(async () => (await meterFlowsH1(sw)).length === 0, {
      what: `h1's meter flow gone from ${sw}`,
      timeoutMs: 10_000,
    });
  }
  const lifted = await iperfH1H2();
  assert.ok(
    lifted > 10 * limited && lifted > 20_000_000,
    `h1 -> h2 at ${lifted} bit/s after the limit was lifted (limited ${limited}, before ${base})`,
  );
  const mbit = (bps: number) => `${(bps / 1e6).toFixed(1)} Mbit/s`;
  t.diagnostic(`iperf3 h1 -> h2: ${mbit(base)} before, ${mbit(limited)} limited, ${mbit(lifted)} lifted`);
});
