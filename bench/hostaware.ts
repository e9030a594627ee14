/**
 * Bench section `hostaware` (issue 10): 1,000 monitored hosts with 10 rules each, polled every second from a
 * fake gmond, beside a fleet of fake OpenFlow 1.0 switches. Measures the controller's CPU per evaluation round,
 * the delay from a metric crossing its threshold (the moment the gmond starts serving the new value) to the
 * drop action's flow arriving on the switches, and the cbench latency-mode packet-in rate with the host-aware
 * load off, on, and off again (the peer is Sluice itself: FL_HAND never evaluated its rules).
 *
 * The gmond is a TCP server in this process that answers every connection with one GANGLIA_XML document in
 * gmond 3.7's form (CLUSTER > HOST > METRIC with EXTRA_DATA), built at most once per second and whenever a
 * value changes. The switches keep the controller's permanent flows (bench/cbench/flowtable.ts) and stamp
 * each FLOW_MOD's arrival.
 */
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import {
  connectFleet,
  fmtRate,
  LatencyRecorder,
  percentile,
  runModeLoops,
  runPaced,
  type Fleet,
  type PacedResult,
} from './cbench.js';
import { FlowTable } from './cbench/flowtable.js';
import { sluice } from './controllers.js';
import { cpuSeconds, pollUntil, waitCpuIdle } from './harness.js';
import { summariseProfile, withController, type BenchContext, type BenchSection } from './run.js';
import { postEach } from './staticflows.js';
import { OFPFC, type FlowMod } from '../src/openflow/index.js';

export const HOSTS = 1000;
const INTERVAL_S = 1;
/** Crossings per set; one set without cbench load, one with it. */
const CROSSINGS = 100;
const CROSSING_WINDOW_MS = 20_000;
/** Latency-mode rounds, each one loop with host-aware off and one with it on. */
const ROUNDS = 6;
const FLOW_TIMEOUT_MS = 10_000;
const TARGET_DELAY_MS = INTERVAL_S * 1000 + 200;
const TARGET_DEGRADATION = 0.1;
const RULE_CONCURRENCY = 64;
const HOST = '127.0.0.1';

interface MetricDef {
  name: string;
  type: 'float' | 'double' | 'uint32';
  units: string;
  group: string;
  title: string;
  tmax: number;
  /** The value a host serves normally (never meets a rule). */
  base: number;
  /** The rule on it (one per metric, so ten per host). */
  rule: { comparator: 'gt' | 'lt'; value: number; window?: { agg: 'avg' | 'max'; seconds: number } };
  action: 'drop' | 'report';
}

/** gmond's default metric names; bytes_out is the one the bench crosses (its rule drops the host). */
const METRICS: MetricDef[] = [
  m('bytes_out', 'float', 'bytes/sec', 'network', 'Bytes Sent', 300, 2048, 'gt', 1e6, 'drop'),
  m('bytes_in', 'float', 'bytes/sec', 'network', 'Bytes Received', 300, 1532, 'gt', 1e7, 'drop'),
  m('pkts_out', 'float', 'packets/sec', 'network', 'Packets Sent', 300, 11, 'gt', 1e5, 'drop'),
  m('pkts_in', 'float', 'packets/sec', 'network', 'Packets Received', 300, 12, 'gt', 1e5, 'report'),
  m('load_one', 'float', ' ', 'load', 'One Minute Load Average', 70, 0.52, 'gt', 50, 'report'),
  m('load_five', 'float', ' ', 'load', 'Five Minute Load Average', 325, 0.4, 'gt', 40, 'report', {
    agg: 'avg',
    seconds: 10,
  }),
  m('cpu_user', 'float', '%', 'cpu', 'CPU User', 90, 3.1, 'gt', 95, 'report', { agg: 'max', seconds: 10 }),
  m('cpu_idle', 'float', '%', 'cpu', 'CPU Idle', 90, 95.2, 'lt', 1, 'report'),
  m('mem_free', 'float', 'KB', 'memory', 'Free Memory', 180, 1843200, 'lt', 1000, 'report'),
  m('disk_free', 'double', 'GB', 'disk', 'Disk Space Available', 180, 41.235, 'lt', 0.5, 'report'),
];
const CROSSED = 0;
const CROSS_VALUE = 5e6;

function m(
  name: string,
  type: MetricDef['type'],
  units: string,
  group: string,
  title: string,
  tmax: number,
  base: number,
  comparator: 'gt' | 'lt',
  value: number,
  action: MetricDef['action'],
  window?: MetricDef['rule']['window'],
): MetricDef {
  return { name, type, units, group, title, tmax, base, rule: { comparator, value, window }, action };
}

const hostName = (i: number) => `node${String(i).padStart(4, '0')}.bench.example`;
const hostIp = (i: number) => `10.200.${Math.floor(i / 250)}.${(i % 250) + 1}`;

export function rulesOf(i: number): unknown[] {
  return METRICS.map((d) => ({
    name: `${hostName(i).split('.')[0]}-${d.name}`,
    host: hostName(i),
    conditions: [
      { metric: d.name, comparator: d.rule.comparator, value: d.rule.value, window: d.rule.window },
    ],
    pollingTime: INTERVAL_S,
    checkLimit: 1,
    action: { type: d.action, params: {} },
  }));
}

// ---------------------------------------------------------------------------------------------------------
// The fake gmond

export class FakeGmond {
  private readonly server: net.Server;
  private readonly values = new Float64Array(HOSTS * METRICS.length);
  /** When each metric was last reported (s), as gmond's TN counts from. */
  private readonly reported = new Float64Array(HOSTS * METRICS.length);
  private readonly started = Math.floor(Date.now() / 1000);
  private doc: { sec: number; text: string } | undefined;
  /** performance.now() of every connection (one per poll). */
  readonly polls: number[] = [];
  bytes = 0;

  constructor() {
    for (let h = 0; h < HOSTS; h++)
      for (let k = 0; k < METRICS.length; k++) {
        this.values[h * METRICS.length + k] = METRICS[k].base;
        // Spread the report times like gmond's timers do.
        this.reported[h * METRICS.length + k] = this.started - ((h + k) % 15);
      }
    this.server = net.createServer((sock) => {
      this.polls.push(performance.now());
      sock.on('error', () => undefined);
      const text = this.document();
      this.bytes = text.length;
      sock.end(text);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, HOST, () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Serves `value` from now on; returns performance.now() at which it became visible. */
  set(host: number, metric: number, value: number): number {
    const k = host * METRICS.length + metric;
    this.values[k] = value;
    this.reported[k] = Math.floor(Date.now() / 1000);
    this.doc = undefined;
    return performance.now();
  }

  polledAfter(t: number): number | undefined {
    return this.polls.find((p) => p >= t);
  }

  private document(): string {
    const sec = Math.floor(Date.now() / 1000);
    if (this.doc?.sec === sec) return this.doc.text;
    const parts: string[] = [
      '<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>\n',
      '<GANGLIA_XML VERSION="3.7.2" SOURCE="gmond">\n',
      `<CLUSTER NAME="bench" LOCALTIME="${sec}" OWNER="unspecified" LATLONG="unspecified" URL="unspecified">\n`,
    ];
    for (let h = 0; h < HOSTS; h++) {
      parts.push(
        `<HOST NAME="${hostName(h)}" IP="${hostIp(h)}" TAGS="" REPORTED="${sec - (h % 20)}" TN="${h % 20}" ` +
          `TMAX="20" DMAX="0" LOCATION="rack${h % 40}" GMOND_STARTED="${this.started}">\n`,
      );
      for (let k = 0; k < METRICS.length; k++) {
        const d = METRICS[k];
        const i = h * METRICS.length + k;
        // gmond re-sends an unchanged value every so often: TN restarts from 0.
        if (sec - this.reported[i] >= 15) this.reported[i] = sec;
        const val = d.type === 'uint32' ? String(Math.round(this.values[i])) : this.values[i].toFixed(2);
        parts.push(
          `<METRIC NAME="${d.name}" VAL="${val}" TYPE="${d.type}" UNITS="${d.units}" TN="${sec - this.reported[i]}" ` +
            `TMAX="${d.tmax}" DMAX="0" SLOPE="both" SOURCE="gmond">\n<EXTRA_DATA>\n` +
            `<EXTRA_ELEMENT NAME="GROUP" VAL="${d.group}"/>\n<EXTRA_ELEMENT NAME="DESC" VAL="${d.title}"/>\n` +
            `<EXTRA_ELEMENT NAME="TITLE" VAL="${d.title}"/>\n</EXTRA_DATA>\n</METRIC>\n`,
        );
      }
      parts.push('</HOST>\n');
    }
    parts.push('</CLUSTER>\n</GANGLIA_XML>\n');
    this.doc = { sec, text: parts.join('') };
    return this.doc.text;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Crossings: a value over the threshold, until its flow is on every switch; then back, until it is gone

interface Crossing {
  host: number;
  /** performance.now() when the gmond began serving the value over the threshold. */
  at: number;
  /** The first poll that read it. */
  polledAt?: number;
  /** FLOW_MOD ADD arrival per switch, and DELETE after the value went back. */
  adds: Map<bigint, number>;
  dels: Map<bigint, number>;
  clearedAt?: number;
  done?: () => void;
}

class CrossingWatch {
  private readonly byIp = new Map<string, Crossing>();

  constructor(private readonly switches: number) {}

  readonly onFlowMod = (dpid: bigint, mod: FlowMod, at: number): void => {
    const ip = mod.match.ipv4_src;
    const c = ip === undefined ? undefined : this.byIp.get(ip);
    if (!c) return;
    if (mod.command === OFPFC.ADD && !c.adds.has(dpid)) c.adds.set(dpid, at);
    if ((mod.command === OFPFC.DELETE || mod.command === OFPFC.DELETE_STRICT) && c.clearedAt !== undefined)
      if (!c.dels.has(dpid)) c.dels.set(dpid, at);
    const map = c.clearedAt === undefined ? c.adds : c.dels;
    if (map.size === this.switches) c.done?.();
  };

  /** One crossing on `host`: over, flows everywhere (or timeout), back under, flows gone (or timeout). */
  async run(gmond: FakeGmond, host: number): Promise<Crossing> {
    const c: Crossing = { host, at: 0, adds: new Map(), dels: new Map() };
    this.byIp.set(hostIp(host), c);
    const until = async (map: Map<bigint, number>) => {
      if (map.size < this.switches)
        await Promise.race([new Promise<void>((r) => (c.done = r)), delay(FLOW_TIMEOUT_MS)]);
    };
    c.at = gmond.set(host, CROSSED, CROSS_VALUE);
    await until(c.adds);
    c.clearedAt = gmond.set(host, CROSSED, METRICS[CROSSED].base);
    await until(c.dels);
    this.byIp.delete(hostIp(host));
    c.polledAt = gmond.polledAfter(c.at);
    return c;
  }
}

/** `n` crossings on distinct hosts from `firstHost`, started at random moments over `windowMs`. */
async function crossings(
  watch: CrossingWatch,
  gmond: FakeGmond,
  firstHost: number,
  n: number,
  windowMs: number,
): Promise<Crossing[]> {
  const runs: Promise<Crossing>[] = [];
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    // Even spacing plus jitter: the crossing's phase against the 1 s poll is uniform.
    const due = t0 + (k * windowMs) / n + Math.random() * (windowMs / n);
    await delay(Math.max(0, due - performance.now()));
    runs.push(watch.run(gmond, firstHost + k * 7));
  }
  return Promise.all(runs);
}

// ---------------------------------------------------------------------------------------------------------
// Figures

interface Dist {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function dist(values: number[]): Dist {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : '–');
const distCells = (d: Dist) => `${ms(d.p50)} | ${ms(d.p99)} | ${ms(d.max)}`;

interface HandMessage {
  at: number;
  type: string;
  rule?: string;
  host?: string;
  message: string;
}

/** The controller's own times per crossing, from its messages: when it applied the drop, and its WARNs. */
async function messageTimes(api: string): Promise<{ applied: Map<string, number[]>; warns: number }> {
  const get = async (type: string) =>
    (
      (await (await fetch(`${api}/api/v1/hostaware/messages?type=${type}&limit=1000`)).json()) as {
        messages: HandMessage[];
      }
    ).messages;
  const byHost = (list: HandMessage[]) => {
    const out = new Map<string, number[]>();
    for (const msg of list) {
      if (!msg.host || !msg.rule?.endsWith(`-${METRICS[CROSSED].name}`)) continue;
      out.set(msg.host, [...(out.get(msg.host) ?? []), msg.at]);
    }
    return out;
  };
  const actions = (await get('ACTION')).filter((x) => x.message.startsWith('applied '));
  return { applied: byHost(actions), warns: (await get('WARN')).length };
}

interface SetResult {
  label: string;
  toFirst: Dist;
  toAll: Dist;
  undo: Dist;
  /** Stages: crossing -> poll, poll -> applied, applied -> first switch, first -> every switch. */
  stages: { name: string; d: Dist }[];
  missed: number;
  /** Crossings applied more than one interval after the first poll that served them (a poll did not count). */
  late: number;
}

function summarise(
  label: string,
  runs: Crossing[],
  switches: number,
  times: Awaited<ReturnType<typeof messageTimes>>,
): SetResult {
  const epoch = (t: number) => performance.timeOrigin + t;
  const complete = runs.filter((c) => c.adds.size === switches);
  const first = (m: Map<bigint, number>) => Math.min(...m.values());
  const last = (m: Map<bigint, number>) => Math.max(...m.values());
  const stage: Record<string, number[]> = { poll: [], applied: [], first: [], all: [] };
  for (const c of complete) {
    const applied = times.applied.get(hostName(c.host))?.find((x) => x >= epoch(c.at));
    if (c.polledAt !== undefined) stage.poll.push(c.polledAt - c.at);
    if (c.polledAt !== undefined && applied !== undefined) stage.applied.push(applied - epoch(c.polledAt));
    if (applied !== undefined) stage.first.push(epoch(first(c.adds)) - applied);
    stage.all.push(last(c.adds) - first(c.adds));
  }
  const undone = complete.filter((c) => c.dels.size === switches);
  return {
    label,
    toFirst: dist(complete.map((c) => first(c.adds) - c.at)),
    toAll: dist(complete.map((c) => last(c.adds) - c.at)),
    undo: dist(undone.map((c) => last(c.dels) - c.clearedAt!)),
    stages: [
      { name: 'crossing → next poll starts (waiting for the interval)', d: dist(stage.poll) },
      {
        name: 'poll starts → ACTION applied (fetch, parse, evaluate, ACL rule stored)',
        d: dist(stage.applied),
      },
      {
        name: 'ACTION applied → FLOW_MOD on the first switch (ACL reconcile, 200 ms debounce)',
        d: dist(stage.first),
      },
      { name: 'first switch → every switch', d: dist(stage.all) },
    ],
    missed: runs.length - complete.length,
    late: stage.applied.filter((x) => x > INTERVAL_S * 1000).length,
  };
}

/** Latency-mode loops with the host-aware load off and on, alternating (who goes first rotates). */
interface Interleaved {
  off: { rates: number[]; cpuUs: number[] };
  on: { rates: number[]; cpuUs: number[] };
}

async function latencyLoop(
  fleet: Fleet,
  pid: number,
  msPerLoop: number,
): Promise<{ rate: number; cpuUs: number }> {
  const r = await runModeLoops(fleet, {
    mode: 'latency',
    loops: 1,
    msPerLoop,
    warmup: 0,
    controllerCpu: () => cpuSeconds(pid),
  });
  return { rate: r.avg, cpuUs: r.cpuUsPerResponse ?? NaN };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Host-aware CPU: seconds per round over `seconds` with nothing else happening. */
async function cpuWindow(
  pid: number,
  gmond: FakeGmond,
  seconds: number,
): Promise<{ cpu: number; rounds: number }> {
  const c0 = cpuSeconds(pid);
  const p0 = gmond.polls.length;
  await delay(seconds * 1000);
  return { cpu: cpuSeconds(pid) - c0, rounds: gmond.polls.length - p0 };
}

// ---------------------------------------------------------------------------------------------------------
// The section

export async function runHostaware(ctx: BenchContext): Promise<void> {
  const title = `## Host-aware rules: ${fmtRate(HOSTS)} hosts x ${METRICS.length} rules at ${INTERVAL_S} s`;
  const why = sluice.unavailable(ctx);
  if (why) {
    ctx.report(`${title}\n\nNot run: ${why}.`);
    ctx.target({ name: 'host-aware delay p99 < interval + 200 ms', met: undefined, detail: why });
    return;
  }
  const gmond = new FakeGmond();
  const gmondPort = await gmond.listen();
  const switches = ctx.options.switches;
  const watch = new CrossingWatch(switches);
  const profileDir = path.join(ctx.workDir, 'profile-hostaware');
  const nodeArgs = ctx.options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : undefined;
  try {
    const r = await withController(
      ctx,
      sluice,
      async (proc, launch) => {
        const api = sluice.apiUrl!(launch);
        const recorder = new LatencyRecorder();
        const fleet = await connectFleet({
          host: HOST,
          port: launch.ofPort,
          switches,
          macs: ctx.options.macs,
          onLatency: recorder.record,
          flowTable: (dpid) => new FlowTable(dpid, watch.onFlowMod),
        });
        try {
          ctx.log(`hostaware: adding ${HOSTS * METRICS.length} rules`);
          const tRules = performance.now();
          const rules = Array.from({ length: HOSTS }, (_, i) => rulesOf(i)).flat();
          await postEach(`${api}/api/v1/hostaware/rules`, rules.length, (i) => rules[i], RULE_CONCURRENCY);
          const rulesSec = (performance.now() - tRules) / 1000;
          await waitCpuIdle(proc.pid);

          const offIdle = await cpuWindow(proc.pid, gmond, 5);
          ctx.log('hostaware: cbench warm-up (forwarding learns the MACs)');
          await runModeLoops(fleet, { mode: 'latency', loops: 2, msPerLoop: 1000, warmup: 0 });

          const source = {
            type: 'gmond',
            name: 'bench',
            address: `${HOST}:${gmondPort}`,
            interval: INTERVAL_S,
          };
          const addSource = async () => {
            const added = await fetch(`${api}/api/v1/hostaware/sources`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(source),
            });
            if (!added.ok) throw new Error(`POST source: ${added.status} ${await added.text()}`);
            await pollUntil(
              `${HOSTS} hosts monitored`,
              async () => {
                const st = (await (await fetch(`${api}/api/v1/hostaware`)).json()) as { hosts: number };
                return st.hosts >= HOSTS ? true : undefined;
              },
              20_000,
              200,
            );
          };
          const deleteSource = async () => {
            const del = await fetch(`${api}/api/v1/hostaware/sources/bench`, { method: 'DELETE' });
            if (!del.ok) throw new Error(`DELETE source: ${del.status}`);
            await waitCpuIdle(proc.pid);
          };
          ctx.log(`hostaware: adding the gmond source (${HOSTS} hosts)`);
          await addSource();
          await delay(3000);
          const onIdle = await cpuWindow(proc.pid, gmond, 10);
          const srcView = (await (await fetch(`${api}/api/v1/hostaware/sources/bench`)).json()) as {
            pollMs?: number;
            samples: number;
          };
          ctx.log(`hostaware: ${CROSSINGS} crossings without cbench load`);
          const quiet = await crossings(watch, gmond, 0, CROSSINGS, CROSSING_WINDOW_MS);

          const lat: Interleaved = { off: { rates: [], cpuUs: [] }, on: { rates: [], cpuUs: [] } };
          let on = true;
          for (let round = 0; round < ROUNDS; round++) {
            for (const phase of round % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
              if ((phase === 'on') !== on) {
                await (phase === 'on' ? addSource() : deleteSource());
                on = phase === 'on';
                if (on) await delay(1500);
              }
              const l = await latencyLoop(fleet, proc.pid, ctx.options.msPerLoop);
              lat[phase].rates.push(l.rate);
              lat[phase].cpuUs.push(l.cpuUs);
              ctx.log(`  latency round ${round + 1} host-aware ${phase}: ${fmtRate(l.rate)} responses/s`);
            }
          }
          // Paced packet-ins at half the off rate, off then on (with crossings running).
          const rate = Math.round(mean(lat.off.rates) / 2);
          if (on) await deleteSource();
          const pacedOff = await runPaced(fleet, recorder, { rate, durationMs: 8000, warmupMs: 1000 });
          await addSource();
          ctx.log(`hostaware: ${CROSSINGS} crossings during paced cbench load`);
          const loadedRuns = crossings(watch, gmond, 1, CROSSINGS, CROSSING_WINDOW_MS);
          const pacedOn = await runPaced(fleet, recorder, {
            rate,
            durationMs: CROSSING_WINDOW_MS,
            warmupMs: 1000,
          });
          const loaded = await loadedRuns;
          const times = await messageTimes(api);
          return {
            rulesSec,
            offIdle,
            onIdle,
            pollMs: srcView.pollMs,
            samples: srcView.samples,
            quiet: summarise('no other load', quiet, switches, times),
            loaded: summarise('during paced cbench load', loaded, switches, times),
            lat,
            pacedOff,
            pacedOn,
            warns: times.warns,
          };
        } finally {
          fleet.close();
        }
      },
      nodeArgs,
    );
    report(ctx, title, r, gmond.bytes);
    if (nodeArgs) {
      const spots = summariseProfile(profileDir);
      ctx.report(`### CPU profile of the controller over the whole section\n\n\`\`\`\n${spots}\n\`\`\``);
      ctx.log(`profile:\n${spots}`);
    }
  } catch (err) {
    ctx.fail(`hostaware: ${(err as Error).message}`);
    ctx.report(`${title}\n\nFailed: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await gmond.close();
  }
}

function report(
  ctx: BenchContext,
  title: string,
  r: {
    rulesSec: number;
    offIdle: { cpu: number; rounds: number };
    onIdle: { cpu: number; rounds: number };
    pollMs: number | undefined;
    samples: number;
    quiet: SetResult;
    loaded: SetResult;
    lat: Interleaved;
    pacedOff: PacedResult;
    pacedOn: PacedResult;
    warns: number;
  },
  docBytes: number,
): void {
  const n = HOSTS * METRICS.length;
  const rounds = Math.max(1, r.onIdle.rounds);
  const grossMs = (r.onIdle.cpu / rounds) * 1000;
  const idleMs = (r.offIdle.cpu / 5) * INTERVAL_S * 1000;
  const netMs = grossMs - idleMs;
  const offRate = mean(r.lat.off.rates);
  const onRate = mean(r.lat.on.rates);
  // Latency mode keeps one packet-in outstanding per switch: mean latency = switches / rate.
  const degradation = offRate / onRate - 1;
  const sets = [r.quiet, r.loaded];
  const worstP99 = Math.max(...sets.map((s) => s.toAll.p99));
  const missed = sets.reduce((a, s) => a + s.missed, 0);
  const sw = ctx.options.switches;
  const latRow = (label: string, x: { rates: number[]; cpuUs: number[] }) =>
    `| ${label} | ${fmtRate(mean(x.rates))} (${fmtRate(Math.min(...x.rates))}–${fmtRate(Math.max(...x.rates))}) | ` +
    `${((sw / mean(x.rates)) * 1000).toFixed(3)} ms | ${mean(x.cpuUs).toFixed(1)} |`;
  const pacedRow = (label: string, p: PacedResult) =>
    `| ${label} | ${fmtRate(p.sentRate)}/s | ${p.p50Ms.toFixed(2)} ms | ${p.p99Ms.toFixed(2)} ms | ${p.maxMs.toFixed(1)} ms |`;
  const lines = [
    title,
    '',
    `${fmtRate(HOSTS)} hosts (${METRICS.length} gmond metrics each, ${fmtRate(n)} rules: one per metric and host, ` +
      `check limit 1, polling time ${INTERVAL_S} s; 3 of each host's rules drop the host, 2 use a 10 s window) ` +
      `served by a fake gmond in the bench process (${(docBytes / 1e6).toFixed(1)} MB of GANGLIA_XML per poll, ` +
      `the controller read ${fmtRate(r.samples)} samples per poll); ${ctx.options.switches} fake OpenFlow 1.0 ` +
      `switches that keep the controller's permanent flows. Adding the ${fmtRate(n)} rules through ` +
      `\`POST /api/v1/hostaware/rules\` (${RULE_CONCURRENCY} in flight) took ${r.rulesSec.toFixed(1)} s.`,
    '',
    '### Controller CPU per evaluation round',
    '',
    '| measure | value |',
    '|---|---|',
    `| rounds (gmond polls) in a 10 s window, no crossings, no cbench | ${r.onIdle.rounds} |`,
    `| controller CPU per round (all of the process) | ${grossMs.toFixed(1)} ms |`,
    `| idle controller with the switches connected, per ${INTERVAL_S} s | ${idleMs.toFixed(1)} ms |`,
    `| host-aware share per round (difference) | ${netMs.toFixed(1)} ms (${((netMs / (INTERVAL_S * 1000)) * 100).toFixed(1)}% of one core) |`,
    `| the app's own poll time (fetch + parse, pollMs) | ${r.pollMs === undefined ? '–' : `${r.pollMs} ms`} |`,
    '',
    '### Threshold crossing → drop flow on the switches',
    '',
    `bytes_out of one host goes from ${METRICS[CROSSED].base} to ${CROSS_VALUE} (rule: gt ${METRICS[CROSSED].rule.value} → drop, ` +
      `an ACL deny \`src-ip HOST/32\` pushed to every switch); time from the moment the gmond serves the value ` +
      `to the FLOW_MOD ADD arriving; ${CROSSINGS} crossings per row on distinct hosts, at random moments against the poll. ` +
      'Undo: the value goes back, until the FLOW_MOD DELETE reached every switch.',
    '',
    '| crossings | first switch p50 | p99 | max | every switch p50 | p99 | max | undo on every switch p50 | p99 | max | no flow within 10 s | applied a poll late |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...sets.map(
      (s) =>
        `| ${s.label} | ${distCells(s.toFirst)} | ${distCells(s.toAll)} | ${distCells(s.undo)} | ${s.missed} | ${s.late} |`,
    ),
    '',
    'Where the time goes (the controller\'s times from its ACTION messages, same machine clock); "applied a poll ' +
      'late": more than one interval from the poll that first served the value to the action. ' +
      `WARN messages over the run: ${r.warns}.`,
    '',
    `| stage | ${sets.map((s) => `${s.label} p50 | p99 | max`).join(' | ')} |`,
    `|---|${sets.map(() => '---|---|---|').join('')}`,
    ...r.quiet.stages.map(
      (st, i) => `| ${st.name} | ${sets.map((s) => distCells(s.stages[i].d)).join(' | ')} |`,
    ),
    '',
    '### Packet-in latency with and without the host-aware load',
    '',
    'The peer is Sluice itself without host-aware load (FL_HAND never evaluated its rules: there is no ' +
      `external peer to run). Same switches and controller process throughout; ${ROUNDS} rounds of one 1 s ` +
      'latency-mode loop with the gmond source deleted (off) and one with it added back and polled (on), the ' +
      'order alternating, so a machine whose speed drifts treats both alike.',
    '',
    '| host-aware | latency mode responses/s avg (min–max) | mean packet-in latency (switches ÷ rate) | controller CPU µs per response |',
    '|---|---|---|---|',
    latRow('off', r.lat.off),
    latRow('on (1,000 hosts polled, 10,000 rules evaluated every second)', r.lat.on),
    '',
    `Latency-mode degradation with host-aware on: ${(degradation * 100).toFixed(1)}% ` +
      `(${fmtRate(onRate)}/s against ${fmtRate(offRate)}/s).`,
    '',
    'Packet-in latency at a fixed rate (half the off rate, open loop), off and then on with the second set of crossings running:',
    '',
    '| host-aware | packet-ins sent | p50 | p99 | max |',
    '|---|---|---|---|---|',
    pacedRow('off', r.pacedOff),
    pacedRow('on, crossings running', r.pacedOn),
    '',
    HOSTAWARE_METHOD,
  ];
  ctx.report(lines.join('\n'));
  ctx.log(
    `hostaware: CPU ${grossMs.toFixed(1)} ms per round (${netMs.toFixed(1)} ms net); delay p99 ${ms(worstP99)}; ` +
      `degradation ${(degradation * 100).toFixed(1)}%`,
  );
  ctx.target({
    name: `host-aware crossing → flow on every switch p99 < ${TARGET_DELAY_MS} ms`,
    met: missed === 0 && worstP99 < TARGET_DELAY_MS,
    detail:
      sets.map((s) => `${s.label}: p99 ${ms(s.toAll.p99)}`).join('; ') +
      (missed ? `; ${missed} never arrived` : ''),
  });
  ctx.target({
    name: `cbench latency mode degraded ≤ ${TARGET_DEGRADATION * 100}% by host-aware load`,
    met: degradation <= TARGET_DEGRADATION,
    detail: `${(degradation * 100).toFixed(1)}%: ${fmtRate(onRate)}/s on, ${fmtRate(offRate)}/s off`,
  });
}

const HOSTAWARE_METHOD = `### Method
- The fake gmond (bench/hostaware.ts) answers each TCP connection with the whole cluster in gmond 3.7's XML
  (every METRIC with its EXTRA_DATA, TN/TMAX as gmond counts them); it rebuilds the document once a second or
  when a value changes. It shares the bench process with the fake switches and the cbench generator.
- A crossing's start is the moment the new value is in the document the next connection gets; "on the switch"
  is the arrival of the FLOW_MOD ADD matching \`nw_src\` = the host (the reconciler's barrier follows it and
  the fake switch answers it at once). Both are stamped with performance.now() in the bench process.
- CPU per round: CPU time of the controller process (/proc/PID/stat) over 10 s of polls with nothing else
  happening, divided by the polls the gmond served; the idle figure is the same process over 5 s before the
  source was added (switches connected, rules stored).
- Packet-in latency: cbench latency mode (one packet-in outstanding per switch) in alternating off/on loops,
  and an open-loop paced run at half the off rate; all on the same connected switches.`;

export const hostawareSection: BenchSection = {
  id: 'hostaware',
  title: 'Host-aware rules: 1,000 hosts x 10 rules, crossing to flow delay, cbench under load',
  run: (ctx) => runHostaware(ctx),
};
