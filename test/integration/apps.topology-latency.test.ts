/**
 * Link latency on real OVS (userspace datapath) and Mininet: s1 -- d1 -- s2 -- s3, where d1 is a host that
 * passes every frame between its two interfaces 20 ms late in each direction (helpers/delaywire.py; Mininet's
 * TCLink delay needs the netem qdisc, which this kernel lacks). The controller's timestamped LLDP must report
 * the s1-s2 link at about 20 ms and the direct s2-s3 link at a few ms, in the v1 API, in Floodlight's links
 * and in `sluice links`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ensureOvs,
  MininetNet,
  REPO_ROOT,
  sluiceCli,
  sluiceCliJson,
  startController,
  SYSTEM_PYTHON,
  waitFor,
  type RunningController,
} from './harness/index.js';

const DELAY_MS = 20;
const S1 = '00:00:00:00:00:00:00:01';
const S2 = '00:00:00:00:00:00:00:02';
const S3 = '00:00:00:00:00:00:00:03';
const DELAY_WIRE = path.join(REPO_ROOT, 'test', 'integration', 'helpers', 'delaywire.py');
/** Discovery rounds are 5 s apart; a latency needs an answered echo from both switches and a round after it. */
const MEASURE_TIMEOUT_MS = 45_000;

interface V1Link {
  src: { dpid: string; port: number };
  dst: { dpid: string; port: number };
  latencyMs: number;
}
interface FloodlightLink {
  'src-switch': string;
  'dst-switch': string;
  latency: number;
}

let ctl: RunningController;
let net: MininetNet;

before(async () => {
  await ensureOvs();
  ctl = await startController();
  net = await MininetNet.start({
    topo: {
      switches: ['s1', 's2', 's3'],
      hosts: ['d1'],
      links: [
        ['s1', 'd1'],
        ['d1', 's2'],
        ['s2', 's3'],
      ],
    },
    protocols: 'OpenFlow13',
    controllerPort: ctl.openflowPort,
  });
  await net.bg('d1', [SYSTEM_PYTHON, DELAY_WIRE, 'd1-eth0', 'd1-eth1', String(DELAY_MS)]);
});

after(async () => {
  await net?.stop();
  await ctl?.stop();
});

async function v1Links(): Promise<V1Link[]> {
  const res = await fetch(`${ctl.apiUrl}/api/v1/links`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return (await res.json()) as V1Link[];
}

function between(links: readonly V1Link[], a: string, b: string): V1Link | undefined {
  return links.find((l) => (l.src.dpid === a && l.dst.dpid === b) || (l.src.dpid === b && l.dst.dpid === a));
}

test('the delayed s1-s2 link reports about its delay, the direct s2-s3 link a few ms', async (t) => {
  const links = await waitFor(
    async () => {
      const all = await v1Links();
      const slow = between(all, S1, S2);
      const fast = between(all, S2, S3);
      // Both links found and the delayed one measured; the direct one may honestly measure 0.
      return slow && fast && slow.latencyMs > 0 ? { slow, fast } : undefined;
    },
    {
      what: 's1-s2 link with a measured latency',
      timeoutMs: MEASURE_TIMEOUT_MS,
      intervalMs: 500,
      detail: async () => JSON.stringify(await v1Links()),
    },
  );
  t.diagnostic(`s1-s2 ${links.slow.latencyMs} ms, s2-s3 ${links.fast.latencyMs} ms`);
  assert.ok(
    links.slow.latencyMs >= DELAY_MS / 2 && links.slow.latencyMs <= 200,
    `s1-s2 latency ${links.slow.latencyMs} ms for a ${DELAY_MS} ms one-way delay`,
  );
  assert.ok(links.fast.latencyMs < DELAY_MS, `s2-s3 latency ${links.fast.latencyMs} ms on a direct link`);
  assert.ok(Number.isInteger(links.slow.latencyMs) && Number.isInteger(links.fast.latencyMs), 'whole ms');

  // Floodlight's REST shape carries the same figures under `latency`.
  const res = await fetch(`${ctl.apiUrl}/wm/topology/links/json`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  const fl = (await res.json()) as FloodlightLink[];
  const flSlow = fl.find((l) => [l['src-switch'], l['dst-switch']].sort().join() === [S1, S2].join());
  assert.ok(flSlow, `s1-s2 in Floodlight's links: ${JSON.stringify(fl)}`);
  assert.ok(flSlow.latency >= DELAY_MS / 2 && flSlow.latency <= 200, `Floodlight latency ${flSlow.latency}`);
});

test('sluice links shows the measured latency', async () => {
  const json = await sluiceCliJson<V1Link[]>(ctl, ['links']);
  const slow = between(json, S1, S2);
  assert.ok(slow && slow.latencyMs >= DELAY_MS / 2, `sluice links --json: ${JSON.stringify(json)}`);
  const text = await sluiceCli(ctl, ['links']);
  assert.equal(text.code, 0, text.stderr);
  const row = text.stdout.split('\n').find((l) => l.includes(S1) && l.includes(S2));
  assert.ok(row, `a row for s1-s2 in:\n${text.stdout}`);
  const shown = /(\d+)ms\s*$/.exec(row);
  assert.ok(shown && Number(shown[1]) >= DELAY_MS / 2 && Number(shown[1]) <= 200, `latency column: ${row}`);
});
