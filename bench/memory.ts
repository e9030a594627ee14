#!/usr/bin/env node
/**
 * Memory bench: 1,000 fake OpenFlow 1.0 switches teach the controller 100,000 distinct hosts (MAC + IPv4,
 * from ARP requests spread over the switches' ports), then the controller's resident memory is read from
 * /proc/PID/status and the host count from its API confirms the hosts were learned.
 *
 * Standalone: node dist/bench/memory.js --port OF_PORT --api http://127.0.0.1:8080 --pid PID
 *             [--switches 1000] [--hosts 100000]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { connectFleet, fmtRate, type Fleet } from './cbench.js';
import { buildArpFrame, buildPacketIn, hostIpv4, hostMac, hostPort } from './cbench/frames.js';
import { intFlag, pollUntil, readRss } from './harness.js';

/** 300 MB, decimal: the stricter reading of the target. */
export const RSS_TARGET_BYTES = 300_000_000;

export interface MemoryOptions {
  host: string;
  ofPort: number;
  apiUrl: string;
  pid: number;
  switches: number;
  hosts: number;
  ports?: number;
  progress?: (line: string) => void;
}

export interface MemoryResult {
  switches: number;
  hostsInjected: number;
  hostsLearned: number;
  /** Where the host count came from, e.g. GET /api/v1/hosts. */
  hostCountSource: string;
  rssBytes: number;
  peakRssBytes: number;
  /** RSS before any switch connected, for scale. */
  idleRssBytes: number;
  injectSeconds: number;
  pass: boolean;
}

/** ARP requests: host i of switch s announces its MAC and IPv4 and asks for host i+1's address. */
export function hostPacketIns(switchId: number, hosts: number, ports: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < hosts; i++) {
    const frame = buildArpFrame(
      hostMac(switchId, i),
      hostIpv4(switchId, i),
      hostIpv4(switchId, (i + 1) % hosts),
    );
    out.push(buildPacketIn(frame, hostPort(i, ports)));
  }
  return out;
}

/**
 * Reads the number of hosts the controller knows. Accepts the shapes our API and Floodlight's use: a bare
 * array, {hosts|devices|items: [...]}, or a {total|count} field (so a paged endpoint can answer cheaply).
 */
export function countHosts(body: unknown): number | undefined {
  if (Array.isArray(body)) return body.length;
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    for (const k of ['total', 'count']) if (typeof o[k] === 'number') return o[k] as number;
    for (const k of ['hosts', 'devices', 'items']) if (Array.isArray(o[k])) return (o[k] as unknown[]).length;
  }
  return undefined;
}

const HOST_ENDPOINTS = ['/api/v1/hosts', '/wm/device/'];

export async function fetchHostCount(apiUrl: string): Promise<{ count: number; source: string } | undefined> {
  for (const p of HOST_ENDPOINTS) {
    try {
      const res = await fetch(apiUrl + p, { signal: AbortSignal.timeout(30_000) });
      if (!res.ok) continue;
      const count = countHosts(await res.json());
      if (count !== undefined) return { count, source: `GET ${p}` };
    } catch {
      // try the next endpoint
    }
  }
  return undefined;
}

export function parseHostGauge(metricsText: string): number | undefined {
  const m = /^sluice_hosts(?:\{[^}]*\})?\s+(\d+)\s*$/m.exec(metricsText);
  return m ? Number(m[1]) : undefined;
}

/** The cheap count: the sluice_hosts gauge of GET /metrics (Prometheus text), so polling does not grow the heap. */
export async function fetchMetricHostCount(apiUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(apiUrl + '/metrics', { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return undefined;
    return parseHostGauge(await res.text());
  } catch {
    return undefined;
  }
}

/** Sends one packet-in per host, round by round over all switches, keeping at most `window` unanswered. */
async function inject(fleet: Fleet, perSwitch: number, progress: (line: string) => void): Promise<void> {
  const window = 5000;
  let sent = 0;
  const answered0 = fleet.total();
  for (const s of fleet.switches) s.drive('paced');
  for (let round = 0; round < perSwitch; round++) {
    for (const s of fleet.switches) s.sendOne();
    sent += fleet.switches.length;
    // Closed loop, but a controller that answers some ARP packet-ins with nothing must not stall the run.
    const deadline = performance.now() + 2000;
    while (sent - (fleet.total() - answered0) > window && performance.now() < deadline) await delay(5);
    if ((round + 1) % 10 === 0) progress(`  memory: ${fmtRate(sent)} host packet-ins sent`);
  }
  for (const s of fleet.switches) s.drive('idle');
}

export async function runMemory(opts: MemoryOptions): Promise<MemoryResult> {
  const log = opts.progress ?? ((): void => {});
  const ports = opts.ports ?? 8;
  const perSwitch = Math.ceil(opts.hosts / opts.switches);
  const idle = readRss(opts.pid);
  log(`  memory: connecting ${opts.switches} switches`);
  const fleet = await connectFleet({
    host: opts.host,
    port: opts.ofPort,
    switches: opts.switches,
    macs: perSwitch,
    ports,
    dpidBase: 0x1000n,
    connectConcurrency: 100,
    readyTimeoutMs: 60_000,
    packetIns: (i) => hostPacketIns(i + 1, perSwitch, ports),
  });
  try {
    const t0 = performance.now();
    await inject(fleet, perSwitch, log);
    const injectSeconds = (performance.now() - t0) / 1000;
    const injected = perSwitch * opts.switches;
    log(
      `  memory: ${fmtRate(injected)} hosts injected in ${injectSeconds.toFixed(1)} s; waiting for the API`,
    );
    // Poll the cheap gauge (falling back to the list) until every host is known, read RSS, and only then
    // fetch the full host list: serialising 100,000 hosts would itself grow the heap being measured.
    let polled: number | undefined;
    try {
      await pollUntil(
        `${injected} hosts in the controller's API`,
        async () => {
          polled = (await fetchMetricHostCount(opts.apiUrl)) ?? (await fetchHostCount(opts.apiUrl))?.count;
          return polled !== undefined && polled >= injected ? polled : undefined;
        },
        60_000,
        1000,
      );
    } catch (err) {
      log(`  memory: ${(err as Error).message} (last count: ${polled ?? 'no answer'})`);
    }
    fleet.assertConnected();
    const mem = readRss(opts.pid);
    const last = await fetchHostCount(opts.apiUrl);
    const hostsLearned = last?.count ?? 0;
    return {
      switches: opts.switches,
      hostsInjected: injected,
      hostsLearned,
      hostCountSource: last?.source ?? 'no host endpoint answered',
      rssBytes: mem.rss,
      peakRssBytes: mem.hwm,
      idleRssBytes: idle.rss,
      injectSeconds,
      pass: mem.rss < RSS_TARGET_BYTES && hostsLearned >= injected,
    };
  } finally {
    fleet.close();
  }
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      api: { type: 'string' },
      pid: { type: 'string' },
      switches: { type: 'string' },
      hosts: { type: 'string' },
    },
  });
  const need = (name: 'port' | 'api' | 'pid'): string => {
    const v = values[name];
    if (v === undefined) throw new Error(`--${name}: required`);
    return v;
  };
  const r = await runMemory({
    host: values.host ?? '127.0.0.1',
    ofPort: intFlag(values, 'port', Number(need('port'))),
    apiUrl: need('api').replace(/\/$/, ''),
    pid: intFlag(values, 'pid', Number(need('pid'))),
    switches: intFlag(values, 'switches', 1000),
    hosts: intFlag(values, 'hosts', 100_000),
    progress: (l) => console.log(l),
  });
  console.log(
    `RESULT: ${r.switches} switches, ${r.hostsLearned}/${r.hostsInjected} hosts learned, RSS ${mb(r.rssBytes)} ` +
      `(peak ${mb(r.peakRssBytes)}): ${r.pass ? 'PASS' : 'FAIL'} against ${mb(RSS_TARGET_BYTES)}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    console.error(`memory: ${err.message}`);
    process.exit(1);
  });
}
