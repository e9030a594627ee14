/**
 * Bench section `staticflows`: 10,000 static entries pushed to one OVS bridge (datapath netdev) through
 * Sluice's REST API, until the switch's flow table holds all of them (flow count from
 * `ovs-ofctl dump-aggregate`), beside the same 10,000 flows added by `ovs-ofctl add-flows` from a file.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sluice } from './controllers.js';
import { cpuSeconds, pollUntil } from './harness.js';
import { withController, type BenchContext, type BenchSection } from './run.js';

const exec = promisify(execFile);
const OF13 = 'OpenFlow13';
const BR_SLUICE = 'sfb-sluice';
const BR_OFCTL = 'sfb-ofctl';
/** Requests in flight for the Floodlight path (scripts that loop with curl send one at a time; see seq). */
const CONCURRENCY = 64;
/** A bulk loader's parallelism: more requests share each durable commit and each barrier. */
const HIGH_CONCURRENCY = 256;
const SEQUENTIAL = 300;
const BULK_CHUNK = 2000;
const TARGET_RATIO = 3;
/** appCookie(STATICFLOWS_APP_ID). */
const SF_COOKIE = '0x000a000000000000';

async function sh(cmd: string, args: string[]): Promise<string> {
  return (await exec(cmd, args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

/** Flows on the bridge; with `cookie`, only those whose high 16 bits match (one app's flows). */
async function flowCount(bridge: string, cookie?: string): Promise<number> {
  const args = ['-O', OF13, 'dump-aggregate', bridge];
  if (cookie) args.push(`cookie=${cookie}/0xffff000000000000`);
  const out = await sh('ovs-ofctl', args);
  const m = /flow_count=(\d+)/.exec(out);
  if (!m) throw new Error(`dump-aggregate ${bridge}: no flow_count in '${out.trim()}'`);
  return Number(m[1]);
}

async function addBridge(name: string, controller?: string): Promise<void> {
  await sh('ovs-vsctl', ['--if-exists', 'del-br', name]);
  const args = [
    'add-br',
    name,
    '--',
    'set',
    'bridge',
    name,
    'datapath_type=netdev',
    `protocols=${OF13}`,
    'fail_mode=secure',
  ];
  args.push('--', 'set', 'bridge', name, 'other-config:datapath-id=00000000000000f1');
  if (controller) args.push('--', 'set-controller', name, controller);
  await sh('ovs-vsctl', args);
}

const ipOf = (i: number) => `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;

function entry(i: number, prefix: string) {
  return {
    switch: '00:00:00:00:00:00:00:f1',
    name: `${prefix}${i}`,
    eth_type: '0x0800',
    ipv4_dst: ipOf(i),
    actions: 'output=local',
  };
}

/** node:http with a keep-alive agent: far less client CPU per request than fetch, so the load generator
 * does not starve the controller on a small machine. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, body: unknown): Promise<void> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if ((res.statusCode ?? 500) < 300) resolve();
          else
            reject(
              new Error(`POST ${url}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`),
            );
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** POSTs `body(i)` for i in [0, n) with `concurrency` requests in flight; seconds until all answered. */
export async function postEach(
  url: string,
  n: number,
  body: (i: number) => unknown,
  concurrency: number,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await post(url, body(next++));
    }),
  );
  return (performance.now() - t0) / 1000;
}

async function untilCount(bridge: string, want: number, t0: number, cookie?: string): Promise<number> {
  await pollUntil(
    `${bridge} holds ${want} flows`,
    async () => ((await flowCount(bridge, cookie)) >= want ? true : undefined),
    120_000,
    20,
  );
  return (performance.now() - t0) / 1000;
}

const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en-US')}/s`;

export async function runStaticflows(ctx: BenchContext, n = 10_000): Promise<void> {
  const title = `## Static flows: ${n.toLocaleString('en-US')} entries to one OVS bridge`;
  try {
    await sh('ovs-vsctl', ['show']);
  } catch {
    ctx.report(`${title}\n\nNot run: Open vSwitch is not running (start it with ovs-ctl start).`);
    ctx.target({
      name: `static entries within ${TARGET_RATIO}x of ovs-ofctl`,
      met: undefined,
      detail: 'no OVS',
    });
    return;
  }
  const why = sluice.unavailable(ctx);
  if (why) {
    ctx.report(`${title}\n\nNot run: ${why}.`);
    ctx.target({ name: `static entries within ${TARGET_RATIO}x of ovs-ofctl`, met: undefined, detail: why });
    return;
  }
  try {
    // ovs-ofctl first, on a bridge without a controller.
    await addBridge(BR_OFCTL);
    const file = path.join(ctx.workDir, 'flows.txt');
    fs.writeFileSync(
      file,
      Array.from({ length: n }, (_, i) => `priority=32768,ip,nw_dst=${ipOf(i)},actions=LOCAL\n`).join(''),
    );
    const base0 = await flowCount(BR_OFCTL);
    const t0 = performance.now();
    const timed = await exec('/usr/bin/time', [
      '-f',
      '%U %S',
      'ovs-ofctl',
      '-O',
      OF13,
      'add-flows',
      BR_OFCTL,
      file,
    ]);
    const ofctlCpu = timed.stderr
      .trim()
      .split(/\s+/)
      .slice(-2)
      .map(Number)
      .reduce((a, b) => a + b, 0);
    const ofctlSec = await untilCount(BR_OFCTL, base0 + n, t0);
    await sh('ovs-vsctl', ['--if-exists', 'del-br', BR_OFCTL]);
    ctx.log(`staticflows: ovs-ofctl add-flows ${n} in ${ofctlSec.toFixed(2)} s`);

    const r = await withController(ctx, sluice, async (proc, launch) => {
      const api = sluice.apiUrl!(launch);
      await addBridge(BR_SLUICE, `tcp:127.0.0.1:${launch.ofPort}`);
      await pollUntil(
        'bridge connected to Sluice',
        async () => {
          const sw = (await (await fetch(`${api}/wm/core/controller/switches/json`)).json()) as unknown[];
          return sw.length > 0 ? true : undefined;
        },
        20_000,
        100,
      );
      // Only the staticflows app's flows count (the core table-miss and topology's LLDP flow are there too).
      const count = () => flowCount(BR_SLUICE, SF_COOKIE);
      const until = (want: number, t: number) => untilCount(BR_SLUICE, want, t, SF_COOKIE);
      const cleared = () =>
        pollUntil('flows cleared', async () => ((await count()) === 0 ? true : undefined), 60_000, 20);
      const url = `${api}/wm/staticentrypusher/json`;

      const cpu0 = cpuSeconds(proc.pid);
      const t1 = performance.now();
      const answered = await postEach(url, n, (i) => entry(i, 'c'), CONCURRENCY);
      const concurrentSec = await until(n, t1);
      const cpuSec = cpuSeconds(proc.pid) - cpu0;
      ctx.log(
        `staticflows: ${n} POSTs (${CONCURRENCY} in flight) answered in ${answered.toFixed(2)} s, on the switch in ${concurrentSec.toFixed(2)} s`,
      );

      const t2 = performance.now();
      await fetch(`${api}/wm/staticentrypusher/clear/all/json`);
      await cleared();
      const clearSec = (performance.now() - t2) / 1000;

      const cpuHigh0 = cpuSeconds(proc.pid);
      const t5 = performance.now();
      await postEach(url, n, (i) => entry(i, 'h'), HIGH_CONCURRENCY);
      const highSec = await until(n, t5);
      const cpuHighSec = cpuSeconds(proc.pid) - cpuHigh0;
      await fetch(`${api}/wm/staticentrypusher/clear/all/json`);
      await cleared();

      const t3 = performance.now();
      await postEach(url, SEQUENTIAL, (i) => entry(i, 's'), 1);
      const seqSec = await until(SEQUENTIAL, t3);
      await fetch(`${api}/wm/staticentrypusher/clear/all/json`);
      await cleared();

      const t4 = performance.now();
      for (let i = 0; i < n; i += BULK_CHUNK) {
        await post(
          `${api}/api/v1/staticflows`,
          Array.from({ length: Math.min(BULK_CHUNK, n - i) }, (_, k) => entry(i + k, 'b')),
        );
      }
      const bulkSec = await until(n, t4);
      await fetch(`${api}/wm/staticentrypusher/clear/all/json`);
      return { concurrentSec, cpuSec, highSec, cpuHighSec, answered, clearSec, seqSec, bulkSec };
    });
    await sh('ovs-vsctl', ['--if-exists', 'del-br', BR_SLUICE]);

    const ratio = r.highSec / ofctlSec;
    const ratio64 = r.concurrentSec / ofctlSec;
    const rows = [
      `| \`ovs-ofctl add-flows\` from a file (one connection, barrier at the end) | ${ofctlSec.toFixed(2)} s | ${rate(n, ofctlSec)} |`,
      `| Sluice, Floodlight \`POST /wm/staticentrypusher/json\`, one entry per request, ${CONCURRENCY} in flight | ${r.concurrentSec.toFixed(2)} s | ${rate(n, r.concurrentSec)} |`,
      `| Sluice, the same with ${HIGH_CONCURRENCY} in flight | ${r.highSec.toFixed(2)} s | ${rate(n, r.highSec)} |`,
      `| Sluice, \`POST /api/v1/staticflows\` with lists of ${BULK_CHUNK} | ${r.bulkSec.toFixed(2)} s | ${rate(n, r.bulkSec)} |`,
      `| Sluice, one request at a time (${SEQUENTIAL} entries: each waits for its durable commit and the switch's barrier) | ${r.seqSec.toFixed(2)} s | ${rate(SEQUENTIAL, r.seqSec)} |`,
      `| Sluice, \`GET .../clear/all/json\` of ${n.toLocaleString('en-US')} entries until the flows are gone | ${r.clearSec.toFixed(2)} s | ${rate(n, r.clearSec)} |`,
    ];
    ctx.report(
      `${title}\n\nTime from the first request until \`ovs-ofctl dump-aggregate\` counts every flow on the bridge ` +
        `(OpenFlow 1.3, datapath netdev). Every Sluice entry is stored durably (SQLite WAL, fsync) before it is ` +
        `acknowledged; concurrent requests share one commit (group commit).\n\n| run | time | entries/s |\n|---|---|---|\n${rows.join('\n')}\n\n` +
        `Sluice one entry per request / ovs-ofctl: ${ratio.toFixed(2)}x with ${HIGH_CONCURRENCY} in flight, ` +
        `${ratio64.toFixed(2)}x with ${CONCURRENCY} (target: within ${TARGET_RATIO}x). ` +
        `CPU: the Sluice process used ${r.cpuSec.toFixed(2)} s for ${n.toLocaleString('en-US')} requests with ${CONCURRENCY} in flight ` +
        `(${((r.cpuSec / n) * 1e6).toFixed(0)} µs each), ${r.cpuHighSec.toFixed(2)} s with ${HIGH_CONCURRENCY}; ovs-ofctl used ${ofctlCpu.toFixed(2)} s ` +
        `(ovs-vswitchd's share is in neither). ` +
        `Load average at the end: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${os.cpus().length} cores.`,
    );
    ctx.target({
      name: `static entries within ${TARGET_RATIO}x of ovs-ofctl`,
      met: ratio <= TARGET_RATIO,
      detail: `${r.highSec.toFixed(2)} s (${HIGH_CONCURRENCY} in flight) vs ${ofctlSec.toFixed(2)} s (${ratio.toFixed(2)}x)`,
    });
  } catch (err) {
    ctx.fail(`staticflows: ${(err as Error).message}`);
    ctx.report(`${title}\n\nFailed: ${(err as Error).message.split('\n')[0]}`);
    await sh('ovs-vsctl', ['--if-exists', 'del-br', BR_SLUICE]).catch(() => undefined);
    await sh('ovs-vsctl', ['--if-exists', 'del-br', BR_OFCTL]).catch(() => undefined);
  }
}

export const staticflowsSection: BenchSection = {
  id: 'staticflows',
  title: 'Static flows: REST pushes versus ovs-ofctl add-flows',
  run: (ctx) => runStaticflows(ctx),
};
