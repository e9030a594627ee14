#!/usr/bin/env node
/**
 * `make bench`: runs Sluice and its peers side by side in one run, prints the table and the ratios, and
 * writes BENCHMARKS.md. The run is a list of sections (SECTIONS below); add a section to add a benchmark.
 *
 * Flags (all optional): --sections cbench,memory  --controllers sluice,ovs-testcontroller,os-ken
 *   --switches 16 --macs 1000 --loops 10 --ms 1000 --warmup 2 --mem-switches 1000 --mem-hosts 100000
 *   --output BENCHMARKS.md | --no-write   --profile (Sluice under node --cpu-prof; hot spots in the report)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  connectFleet,
  fmtRate,
  LatencyRecorder,
  runInterleaved,
  runModeLoops,
  runPaced,
  type Fleet,
  type InterleavedEntry,
  type ModeResult,
  type PacedResult,
} from './cbench.js';
import { ALL_CONTROLLERS, sluice, type ControllerSpec, type LaunchContext } from './controllers.js';
import {
  cpuSeconds,
  freePort,
  intFlag,
  installCleanupHandlers,
  startProcess,
  stopAll,
  stopProcess,
  waitForPort,
  waitCpuIdle,
  type Started,
} from './harness.js';
import { formatHotSpots, hotSpots } from './profile.js';
import { failoverSection } from './failover.js';
import { hostawareSection } from './hostaware.js';
import { mb, RSS_TARGET_BYTES, runMemory, type MemoryResult } from './memory.js';
import { overlaySection } from './overlay.js';
import { proxySection } from './proxy.js';
import { scaleSection } from './scale.js';
import { staticflowsSection } from './staticflows.js';
import { uiSection } from './ui.js';
import { mergeReport, targetLine, type SectionResult, type Target } from './report.js';

export interface RunOptions {
  sections: string[];
  controllers: string[];
  switches: number;
  macs: number;
  loops: number;
  msPerLoop: number;
  warmup: number;
  memSwitches: number;
  memHosts: number;
  output: string | undefined;
  /** Run Sluice under `node --cpu-prof` in the cbench section and report its hot spots. */
  profile: boolean;
}

export type { Target } from './report.js';

export interface BenchContext {
  repoRoot: string;
  workDir: string;
  options: RunOptions;
  log(line: string): void;
  /** Markdown this section contributes to BENCHMARKS.md, in section order. */
  report(markdown: string): void;
  target(t: Target): void;
  /** A run-info bullet of this section (`- name: version` of a part it used), after the machine's. */
  info(line: string): void;
  /** A section that could not complete a part records why; the run then exits non-zero. */
  fail(what: string): void;
}

export interface BenchSection {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<void>;
}

const HOST = '127.0.0.1';

/** Starts `spec` on free ports and waits until it accepts OpenFlow connections (and its API, if any). */
export async function startController(
  ctx: BenchContext,
  spec: ControllerSpec,
  nodeArgs?: string[],
): Promise<{ proc: Started; launch: LaunchContext }> {
  const launch: LaunchContext = {
    repoRoot: ctx.repoRoot,
    workDir: ctx.workDir,
    ofPort: await freePort(),
    apiPort: await freePort(),
    nodeArgs,
  };
  const { cmd, args, env } = spec.launch(launch);
  const logFile = path.join(ctx.workDir, `${spec.id}-${launch.ofPort}.log`);
  ctx.log(`  starting ${spec.id}: ${[cmd, ...args].join(' ')}`);
  const proc = startProcess(spec.id, cmd, args, { logFile, env, cwd: ctx.repoRoot });
  try {
    await waitForPort(proc, HOST, launch.ofPort);
    if (spec.apiUrl) await waitForHttp(proc, spec.apiUrl(launch));
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
  return { proc, launch };
}

/** startController, run `fn`, always stop it. */
export async function withController<T>(
  ctx: BenchContext,
  spec: ControllerSpec,
  fn: (proc: Started, launch: LaunchContext) => Promise<T>,
  nodeArgs?: string[],
): Promise<T> {
  const { proc, launch } = await startController(ctx, spec, nodeArgs);
  try {
    return await fn(proc, launch);
  } finally {
    await stopProcess(proc);
  }
}

async function waitForHttp(proc: Started, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`${proc.name} exited before its API answered`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${proc.name}: API ${url} not answering after ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------------------
// Section: cbench (latency, throughput, latency at half load) for every controller

interface CbenchRow {
  spec: ControllerSpec;
  version: string;
  latency?: ModeResult;
  throughput?: ModeResult;
  paced?: PacedResult;
  /** Hot-spot summary when run with --profile. */
  profile?: string;
  error?: string;
}

/** The hot spots of the .cpuprofile node wrote into `dir` at exit. */
export function summariseProfile(dir: string): string {
  const file = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
  if (!file) return `no .cpuprofile written in ${dir}`;
  const spots = hotSpots(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  return `self time:\n${formatHotSpots(spots.self, 20)}\n\ninclusive time:\n${formatHotSpots(spots.inclusive, 30)}`;
}

interface RunningController {
  row: CbenchRow;
  proc: Started;
  launch: LaunchContext;
  recorder: LatencyRecorder;
  profileDir?: string;
}

async function startForCbench(ctx: BenchContext, row: CbenchRow): Promise<RunningController | undefined> {
  const why = row.spec.unavailable(ctx);
  if (why) {
    row.error = `not run: ${why}`;
    return undefined;
  }
  const profileDir = path.join(ctx.workDir, `profile-${row.spec.id}`);
  const profiled = ctx.options.profile && row.spec.id === 'sluice';
  const nodeArgs = profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : undefined;
  try {
    const { proc, launch } = await startController(ctx, row.spec, nodeArgs);
    return {
      row,
      proc,
      launch,
      recorder: new LatencyRecorder(),
      profileDir: profiled ? profileDir : undefined,
    };
  } catch (err) {
    row.error = (err as Error).message.split('\n')[0];
    ctx.fail(`cbench ${row.spec.id}: ${(err as Error).message}`);
    return undefined;
  }
}

async function connectTo(ctx: BenchContext, c: RunningController): Promise<Fleet> {
  if (!(await waitCpuIdle(c.proc.pid))) ctx.log(`  (${c.row.spec.id} still busy after 20 s)`);
  return connectFleet({
    host: HOST,
    port: c.launch.ofPort,
    switches: ctx.options.switches,
    macs: ctx.options.macs,
    onLatency: c.recorder.record,
  });
}

/**
 * Latency mode for every controller at once, loops interleaved: its rate is bounded by CPU the generator
 * and the controller share, so a machine whose speed drifts would otherwise favour whoever ran first.
 */
async function latencyInterleaved(ctx: BenchContext, running: RunningController[]): Promise<void> {
  const o = ctx.options;
  const entries: InterleavedEntry[] = [];
  try {
    for (const c of running) {
      try {
        entries.push({
          id: c.row.spec.id,
          fleet: await connectTo(ctx, c),
          controllerCpu: () => cpuSeconds(c.proc.pid),
        });
      } catch (err) {
        c.row.error = (err as Error).message.split('\n')[0];
        ctx.fail(`cbench ${c.row.spec.id}: ${(err as Error).message}`);
      }
    }
    ctx.log(`cbench: latency mode, ${entries.map((e) => e.id).join(', ')} interleaved, ${o.loops} rounds`);
    const results = await runInterleaved(entries, {
      mode: 'latency',
      loops: o.loops,
      msPerLoop: o.msPerLoop,
      warmup: o.warmup,
      progress: ctx.log,
    });
    for (const c of running) {
      const r = results.get(c.row.spec.id);
      if (r instanceof Error) {
        c.row.error = `latency mode: ${r.message}`;
        ctx.fail(`cbench ${c.row.spec.id}: latency mode: ${r.message}`);
      } else if (r) c.row.latency = r;
    }
  } finally {
    for (const e of entries) e.fleet.close();
  }
}

/** Throughput mode, then latency at half the peak rate, on fresh switches. */
async function throughputAndPaced(ctx: BenchContext, c: RunningController): Promise<void> {
  const o = ctx.options;
  const row = c.row;
  ctx.log(`cbench: ${row.spec.label}, throughput mode`);
  const withFleet = async <T>(fn: (fleet: Fleet) => Promise<T>): Promise<T> => {
    const fleet = await connectTo(ctx, c);
    try {
      return await fn(fleet);
    } finally {
      fleet.close();
    }
  };
  try {
    row.throughput = await withFleet((f) =>
      runModeLoops(f, {
        mode: 'throughput',
        loops: o.loops,
        msPerLoop: o.msPerLoop,
        warmup: o.warmup,
        progress: ctx.log,
        controllerCpu: () => cpuSeconds(c.proc.pid),
      }),
    );
    // "Peak" is the median loop, not the mean: one burst loop would set a rate the controller cannot hold.
    const peak = Math.max(row.throughput.median, row.latency?.median ?? 0);
    if (peak > 0)
      row.paced = await withFleet((f) =>
        runPaced(f, c.recorder, {
          rate: Math.round(peak / 2),
          durationMs: 5000,
          warmupMs: 2000,
          progress: ctx.log,
        }),
      );
  } catch (err) {
    row.error = (err as Error).message.split('\n')[0];
    ctx.fail(`cbench ${row.spec.id}: ${(err as Error).message}`);
  }
}

function rateCell(r: ModeResult | undefined): string {
  return r ? `${fmtRate(r.avg)} (${fmtRate(r.min)}–${fmtRate(r.max)})` : '–';
}

function cpuCell(r: CbenchRow): string {
  const us = (m: ModeResult | undefined): string =>
    m?.cpuUsPerResponse === undefined ? '–' : m.cpuUsPerResponse.toFixed(1);
  return `${us(r.latency)} / ${us(r.throughput)}`;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

function ratioCell(r: number | undefined): string {
  return r === undefined ? '–' : `${r.toFixed(2)}x`;
}

const cbenchSection: BenchSection = {
  id: 'cbench',
  title: 'cbench: responses/s, 16 fake OpenFlow 1.0 switches',
  async run(ctx) {
    const specs = ALL_CONTROLLERS.filter((c) => ctx.options.controllers.includes(c.id));
    const rows: CbenchRow[] = specs.map((spec) => ({ spec, version: spec.version(ctx) }));
    const running: RunningController[] = [];
    try {
      for (const row of rows) {
        const c = await startForCbench(ctx, row);
        if (c) running.push(c);
      }
      await latencyInterleaved(ctx, running);
      for (const c of running) if (!c.row.error) await throughputAndPaced(ctx, c);
    } finally {
      for (const c of running) {
        await stopProcess(c.proc);
        if (c.profileDir) c.row.profile = summariseProfile(c.profileDir);
      }
    }
    const o = ctx.options;
    const lines: string[] = [
      `## cbench (${o.switches} switches, ${o.macs} MACs per switch, ${o.loops} loops x ${o.msPerLoop} ms ` +
        `after ${o.warmup} warm-up loops; latency loops interleaved across controllers)`,
      '',
      '| controller | version | latency mode, responses/s avg (min–max) | throughput mode, responses/s avg (min–max) | ' +
        'controller CPU µs per response (latency / throughput) | generator CPU µs per response, latency mode | ' +
        'cores busy in latency mode | p50 / p99 at half load |',
      '|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const paced = r.paced
        ? `${r.paced.p50Ms.toFixed(2)} / ${r.paced.p99Ms.toFixed(2)} ms at ${fmtRate(r.paced.sentRate)}/s`
        : '–';
      const l = r.latency;
      const gen = l?.generatorCpuUsPerResponse;
      const busy =
        l && gen !== undefined && l.cpuUsPerResponse !== undefined
          ? ((l.avg * (gen + l.cpuUsPerResponse)) / 1e6).toFixed(2)
          : '–';
      const cells = r.error
        ? [r.spec.label, r.version, r.error, '', '', '', '', '']
        : [
            r.spec.label,
            r.version,
            rateCell(l),
            rateCell(r.throughput),
            cpuCell(r),
            gen === undefined ? '–' : gen.toFixed(1),
            busy,
            paced,
          ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    const byId = new Map(rows.map((r) => [r.spec.id, r]));
    // [numerator, denominator, label, target or undefined for a reference line]
    const pairs: Array<[string, string, string, number | undefined]> = [
      ['sluice', 'ovs-testcontroller', 'Sluice / ovs-testcontroller', 1],
      ['sluice', 'os-ken', 'Sluice / os-ken', 15],
      ['sluice', 'node-floor', 'Sluice / Node.js floor', undefined],
      ['node-floor', 'ovs-testcontroller', 'Node.js floor / ovs-testcontroller', undefined],
      ['node-floor', 'os-ken', 'Node.js floor / os-ken', undefined],
      ['ovs-testcontroller', 'os-ken', 'ovs-testcontroller / os-ken', undefined],
    ];
    lines.push(
      '',
      '| ratio | latency mode | throughput mode | CPU per response, denominator ÷ numerator (latency / throughput) | target |',
      '|---|---|---|---|---|',
    );
    for (const [numId, denId, name, want] of pairs) {
      const n = byId.get(numId);
      const d = byId.get(denId);
      if (!n || !d) continue;
      const rl = ratio(n.latency?.avg, d.latency?.avg);
      const rt = ratio(n.throughput?.avg, d.throughput?.avg);
      const cl = ratio(d.latency?.cpuUsPerResponse, n.latency?.cpuUsPerResponse);
      const ct = ratio(d.throughput?.cpuUsPerResponse, n.throughput?.cpuUsPerResponse);
      const goal = want === undefined ? 'reference' : `≥ ${want}x in both modes`;
      lines.push(
        `| ${name} | ${ratioCell(rl)} | ${ratioCell(rt)} | ${ratioCell(cl)} / ${ratioCell(ct)} | ${goal} |`,
      );
      ctx.log(`ratio ${name}: latency ${ratioCell(rl)}, throughput ${ratioCell(rt)} (${goal})`);
      if (want === undefined) continue;
      const met = rl === undefined || rt === undefined ? undefined : rl >= want && rt >= want;
      ctx.target({
        name: `${name} ≥ ${want}x`,
        met,
        detail: `latency ${ratioCell(rl)}, throughput ${ratioCell(rt)}`,
      });
    }
    const notes = rows.filter((r) => (r.latency?.stalls ?? 0) > 0 || (r.latency?.errors ?? 0) > 0);
    for (const r of notes)
      lines.push(
        '',
        `${r.spec.id}: ${r.latency?.stalls ?? 0} latency-mode probes went unanswered for 1 s and were re-sent; ` +
          `${(r.latency?.errors ?? 0) + (r.throughput?.errors ?? 0)} OFPT_ERRORs received.`,
      );
    for (const r of rows)
      if (r.profile) {
        lines.push('', `### CPU profile of ${r.spec.id} over the cbench run`, '', '```', r.profile, '```');
        ctx.log(`profile of ${r.spec.id}:\n${r.profile}`);
      }
    lines.push('', METHOD);
    ctx.report(lines.join('\n'));
  },
};

// ---------------------------------------------------------------------------------------------------------
// Section: memory with 1,000 switches and 100,000 hosts (Sluice only)

const memorySection: BenchSection = {
  id: 'memory',
  title: 'Resident memory, 1,000 switches, 100,000 hosts',
  async run(ctx) {
    const o = ctx.options;
    const title = `## Memory (${fmtRate(o.memSwitches)} switches connected, ${fmtRate(o.memHosts)} hosts learned)`;
    const why = sluice.unavailable(ctx);
    if (why) {
      ctx.report(`${title}\n\nNot run: ${why}.`);
      ctx.target({ name: 'RSS < 300 MB', met: undefined, detail: why });
      return;
    }
    ctx.log(`memory: Sluice with ${o.memSwitches} switches and ${o.memHosts} hosts`);
    let r: MemoryResult | undefined;
    try {
      r = await withController(ctx, sluice, (proc, launch) =>
        runMemory({
          host: HOST,
          ofPort: launch.ofPort,
          apiUrl: sluice.apiUrl!(launch),
          pid: proc.pid,
          switches: o.memSwitches,
          hosts: o.memHosts,
          progress: ctx.log,
        }),
      );
    } catch (err) {
      ctx.fail(`memory: ${(err as Error).message}`);
      ctx.report(`${title}\n\nFailed: ${(err as Error).message.split('\n')[0]}`);
      ctx.target({ name: 'RSS < 300 MB', met: undefined, detail: 'run failed' });
      return;
    }
    const rows = [
      `| switches connected | ${fmtRate(r.switches)} |`,
      `| hosts injected (ARP packet-ins) | ${fmtRate(r.hostsInjected)} in ${r.injectSeconds.toFixed(1)} s |`,
      `| hosts learned (${r.hostCountSource}) | ${fmtRate(r.hostsLearned)} |`,
      `| RSS before switches connected | ${mb(r.idleRssBytes)} |`,
      `| RSS with switches and hosts (VmRSS) | ${mb(r.rssBytes)} |`,
      `| peak RSS (VmHWM) | ${mb(r.peakRssBytes)} |`,
    ];
    ctx.report(`${title}\n\n| measure | value |\n|---|---|\n${rows.join('\n')}\n\n${MEMORY_METHOD}`);
    ctx.log(`memory: RSS ${mb(r.rssBytes)}, ${r.hostsLearned}/${r.hostsInjected} hosts learned`);
    ctx.target({
      name: 'RSS < 300 MB with all hosts learned',
      met: r.pass,
      detail: `${mb(r.rssBytes)} (limit ${mb(RSS_TARGET_BYTES)}), ${fmtRate(r.hostsLearned)} hosts learned`,
    });
  },
};

/** The run, in order. A new benchmark is one more entry here. */
export const SECTIONS: BenchSection[] = [
  cbenchSection,
  memorySection,
  scaleSection,
  uiSection,
  staticflowsSection,
  overlaySection,
  proxySection,
  hostawareSection,
  failoverSection,
];

// ---------------------------------------------------------------------------------------------------------
// Report

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function controllerVersions(repoRoot: string): string[] {
  return ALL_CONTROLLERS.map((c) => `${c.label}: ${c.unavailable({ repoRoot }) ?? c.version({ repoRoot })}`);
}

function machineFacts(loadAtStart: string, versions: string[]): string[] {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return [
    `- machine: ${os.availableParallelism()} CPUs (nproc), ${model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `Linux ${os.release()}`,
    `- load average (1/5/15 min) at start: ${loadAtStart}; at end: ${loadAverage()}` +
      (os.loadavg()[0] > os.availableParallelism()
        ? ' (busy machine: figures are pessimistic for everyone)'
        : ''),
    `- node ${process.version}`,
    ...versions.map((v) => `- ${v}`),
  ];
}

const METHOD = `### Method
- One generator process (bench/cbench.ts) and the controller under test share the machine; the generator
  builds its packet-ins once and patches xid/buffer id in place, and reads replies by header type/length only.
- Fake switches speak OpenFlow 1.0, answer the handshake (features, get-config, echo, barrier, stats), and
  send PACKET_INs (buffered, 60-byte IPv4/UDP frames) whose source MAC cycles over the per-switch MACs; the
  destination is the next MAC, on another port, so an L2 learner sees known destinations after one cycle.
- A response is a PACKET_OUT that is not LLDP/BDDP, or a FLOW_MOD ADD/MODIFY_STRICT, that releases a
  packet-in (by buffer id, or the frame an unbuffered PACKET_OUT carries back). Each packet-in counts once,
  so a controller answering with FLOW_MOD + PACKET_OUT is not counted twice.
- Latency mode: each switch keeps exactly one PACKET_IN outstanding. Throughput mode: each switch writes
  while its socket accepts data. Latency at half load: packet-ins sent open-loop (1 ms ticks) at half the
  peak rate, each one's time to its response recorded. Each mode starts with freshly connected switches
  once the controller is idle, so no mode pays for the previous one's backlog.
- Controller CPU per response = CPU time (user + system, /proc/PID/stat) the controller used over the measured
  loops divided by the responses counted. It depends much less on other load on the machine than
  responses/s, which on 2 shared cores is bounded by how fast the scheduler wakes each process.
- Peers: ovs-testcontroller's built-in L2 learning switch; os-ken runs bench/peers/osken_l2.py (one reply per
  packet-in, like ovs-testcontroller). The Node.js floor (bench/peers/node_floor.ts) answers every packet-in
  with a pre-built FLOW_MOD through Sluice's socket path and does nothing else: a reference, not a controller.
- Latency mode runs every controller at once, one 1 s loop each in turn (rotating who goes first), so a machine
  whose speed drifts treats them alike. With one packet-in outstanding per switch, each response costs a read
  and a write on both sides; "cores busy" = responses/s x (controller + generator CPU per response). Near 2.0
  the two processes fill both cores and the rate is 2 / (controller + generator CPU per response).`;

const MEMORY_METHOD = `Method: 1,000 fake switches each send ARP requests from their hosts (MAC + IPv4) on 8 ports; the host count
comes from the controller's API, RSS from /proc/PID/status.`;

function usage(): string {
  return `Usage: node dist/bench/run.js [options]   (make bench runs it with none)

Runs Sluice and its peers side by side, prints the tables and ratios, writes BENCHMARKS.md.

Options:
  --sections LIST      sections to run, comma list (default all): ${SECTIONS.map((s) => s.id).join(', ')}
  --controllers LIST   controllers for cbench (default all): ${ALL_CONTROLLERS.map((c) => c.id).join(', ')}
  --switches N         cbench fake switches (16)        --macs N     hosts per switch (1000)
  --loops N            cbench loops (10)                --ms N       ms per loop (1000)
  --warmup N           warm-up loops (2)
  --mem-switches N     memory section switches (1000)   --mem-hosts N  hosts (100000)
  --output FILE        where to write (BENCHMARKS.md)   --no-write   print only
  --profile            run Sluice under node --cpu-prof and report hot spots
  -h, --help           this text`;
}

function parseOptions(argv: string[]): RunOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      sections: { type: 'string' },
      controllers: { type: 'string' },
      switches: { type: 'string' },
      macs: { type: 'string' },
      loops: { type: 'string' },
      ms: { type: 'string' },
      warmup: { type: 'string' },
      'mem-switches': { type: 'string' },
      'mem-hosts': { type: 'string' },
      output: { type: 'string' },
      'no-write': { type: 'boolean' },
      profile: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const int = (name: keyof typeof values, fallback: number, min = 1): number =>
    intFlag(values, name, fallback, min);
  const list = (name: 'sections' | 'controllers', all: string[]): string[] => {
    const raw = values[name];
    if (raw === undefined) return all;
    const picked = raw.split(',').map((x) => x.trim());
    const bad = picked.find((x) => !all.includes(x));
    if (bad) throw new Error(`--${name}: unknown "${bad}" (known: ${all.join(', ')})`);
    return picked;
  };
  return {
    sections: list(
      'sections',
      SECTIONS.map((s) => s.id),
    ),
    controllers: list(
      'controllers',
      ALL_CONTROLLERS.map((c) => c.id),
    ),
    switches: int('switches', 16),
    macs: int('macs', 1000, 2),
    loops: int('loops', 10),
    msPerLoop: int('ms', 1000),
    warmup: int('warmup', 2, 0),
    memSwitches: int('mem-switches', 1000),
    memHosts: int('mem-hosts', 100_000),
    output: values['no-write'] ? undefined : (values.output ?? 'BENCHMARKS.md'),
    profile: values.profile ?? false,
  };
}

async function main(): Promise<number> {
  const log = (line: string): void => console.log(line);
  installCleanupHandlers(log);
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));
  const results: SectionResult[] = [];
  let current: SectionResult | undefined;
  const ctx: BenchContext = {
    repoRoot,
    workDir,
    options,
    log,
    report: (md) => {
      current!.markdown = current!.markdown ? `${current!.markdown}\n\n${md}` : md;
    },
    target: (t) => current!.targets.push(t),
    info: (line) => current!.runInfo.push(line),
    fail: (what) => {
      current!.failures.push(what);
      log(`FAILED ${what}`);
    },
  };
  const t0 = Date.now();
  const command = argv.length ? ['node dist/bench/run.js', ...argv].join(' ') : 'make bench';
  // Versions as of the start: other work may land in the repo while the bench runs.
  const versions = controllerVersions(repoRoot);
  log(`bench: work dir ${workDir}, load average ${loadAverage()}`);
  try {
    for (const section of SECTIONS.filter((s) => options.sections.includes(s.id))) {
      log(`== ${section.title}`);
      const loadAtStart = loadAverage();
      const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      current = { id: section.id, markdown: '', runInfo: [], targets: [], failures: [] };
      results.push(current);
      try {
        await section.run(ctx);
      } catch (err) {
        ctx.fail(`${section.id}: ${(err as Error).message}`);
      }
      if (!current.markdown) current.markdown = `## ${section.title}\n\nNo result.`;
      current.runInfo = [
        `- run: \`${command}\` at ${started}`,
        ...machineFacts(loadAtStart, versions),
        ...current.runInfo,
      ];
    }
  } finally {
    await stopAll();
  }
  log('');
  for (const r of results) log(r.markdown + '\n');
  const targets: Target[] = results.flatMap((r) => r.targets);
  log(`Targets:\n${targets.map((t) => `  ${targetLine(t).slice(2)}`).join('\n')}`);
  if (options.output) {
    const file = path.resolve(repoRoot, options.output);
    const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    fs.writeFileSync(
      file,
      mergeReport(
        existing,
        results,
        SECTIONS.map((s) => s.id),
      ),
    );
    log(`bench: wrote ${options.output} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const failures = results.flatMap((r) => r.failures);
  // Keep the controllers' logs when something failed: they are the first thing to read.
  if (failures.length) log(`bench: logs kept in ${workDir}`);
  else fs.rmSync(workDir, { recursive: true, force: true });
  return failures.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    async (err: Error) => {
      console.error(`bench: ${err.stack ?? err.message}`);
      await stopAll();
      process.exit(1);
    },
  );
}
