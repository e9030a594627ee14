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
  runModeLoops,
  runPaced,
  type Fleet,
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
import { mb, RSS_TARGET_BYTES, runMemory, type MemoryResult } from './memory.js';
import { staticflowsSection } from './staticflows.js';

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

export interface Target {
  name: string;
  met: boolean | undefined; // undefined: could not be measured
  detail: string;
}

export interface BenchContext {
  repoRoot: string;
  workDir: string;
  options: RunOptions;
  log(line: string): void;
  /** Markdown this section contributes to BENCHMARKS.md, in section order. */
  report(markdown: string): void;
  target(t: Target): void;
  /** A section that could not complete a part records why; the run then exits non-zero. */
  fail(what: string): void;
}

export interface BenchSection {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<void>;
}

const HOST = '127.0.0.1';

/** Starts `spec` on free ports, waits until it accepts OpenFlow connections, runs `fn`, always stops it. */
export async function withController<T>(
  ctx: BenchContext,
  spec: ControllerSpec,
  fn: (proc: Started, launch: LaunchContext) => Promise<T>,
  nodeArgs?: string[],
): Promise<T> {
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
function summariseProfile(dir: string): string {
  const file = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
  if (!file) return `no .cpuprofile written in ${dir}`;
  const spots = hotSpots(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  return `self time:\n${formatHotSpots(spots.self, 20)}\n\ninclusive time:\n${formatHotSpots(spots.inclusive, 30)}`;
}

async function cbenchOne(ctx: BenchContext, spec: ControllerSpec): Promise<CbenchRow> {
  const o = ctx.options;
  const row: CbenchRow = { spec, version: spec.version(ctx) };
  const why = spec.unavailable(ctx);
  if (why) {
    row.error = `not run: ${why}`;
    return row;
  }
  ctx.log(`cbench: ${spec.label}, ${o.switches} switches x ${o.macs} MACs`);
  const profileDir = path.join(ctx.workDir, `profile-${spec.id}`);
  const nodeArgs =
    o.profile && spec.id === 'sluice' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : undefined;
  try {
    await withController(
      ctx,
      spec,
      async (proc, launch) => {
        const recorder = new LatencyRecorder();
        // A fresh set of switches per mode: closing the sockets discards the previous mode's backlog, and
        // the controller must be idle again before the next mode starts.
        const withFleet = async <T>(fn: (fleet: Fleet) => Promise<T>): Promise<T> => {
          if (!(await waitCpuIdle(proc.pid))) ctx.log(`  (${spec.id} still busy after 20 s)`);
          const fleet = await connectFleet({
            host: HOST,
            port: launch.ofPort,
            switches: o.switches,
            macs: o.macs,
            onLatency: recorder.record,
          });
          try {
            return await fn(fleet);
          } finally {
            fleet.close();
          }
        };
        const common = {
          loops: o.loops,
          msPerLoop: o.msPerLoop,
          warmup: o.warmup,
          progress: ctx.log,
          controllerCpu: () => cpuSeconds(proc.pid),
        };
        row.latency = await withFleet((f) => runModeLoops(f, { mode: 'latency', ...common }));
        row.throughput = await withFleet((f) => runModeLoops(f, { mode: 'throughput', ...common }));
        // "Peak" is the median loop, not the mean: one burst loop would set a rate the controller cannot hold.
        const peak = Math.max(row.throughput.median, row.latency.median);
        if (peak > 0)
          row.paced = await withFleet((f) =>
            runPaced(f, recorder, {
              rate: Math.round(peak / 2),
              durationMs: 5000,
              warmupMs: 2000,
              progress: ctx.log,
            }),
          );
      },
      nodeArgs,
    );
    if (nodeArgs) row.profile = summariseProfile(profileDir);
  } catch (err) {
    row.error = (err as Error).message.split('\n')[0];
    ctx.fail(`cbench ${spec.id}: ${(err as Error).message}`);
  }
  return row;
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
    const rows: CbenchRow[] = [];
    for (const spec of specs) rows.push(await cbenchOne(ctx, spec));
    const o = ctx.options;
    const lines: string[] = [
      `## cbench (${o.switches} switches, ${o.macs} MACs per switch, ${o.loops} loops x ${o.msPerLoop} ms ` +
        `after ${o.warmup} warm-up loops)`,
      '',
      '| controller | version | latency mode, responses/s avg (min–max) | throughput mode, responses/s avg (min–max) | ' +
        'controller CPU µs per response (latency / throughput) | p50 / p99 at half load |',
      '|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const paced = r.paced
        ? `${r.paced.p50Ms.toFixed(2)} / ${r.paced.p99Ms.toFixed(2)} ms at ${fmtRate(r.paced.sentRate)}/s`
        : '–';
      const cells = r.error
        ? [r.spec.label, r.version, r.error, '', '', '']
        : [r.spec.label, r.version, rateCell(r.latency), rateCell(r.throughput), cpuCell(r), paced];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    const byId = new Map(rows.map((r) => [r.spec.id, r]));
    const s = byId.get('sluice');
    const peers: Array<[string, string, number]> = [
      ['ovs-testcontroller', 'Sluice / ovs-testcontroller', 1],
      ['os-ken', 'Sluice / os-ken', 15],
    ];
    lines.push(
      '',
      '| ratio | latency mode | throughput mode | CPU per response, peer ÷ Sluice (latency / throughput) | target |',
      '|---|---|---|---|---|',
    );
    for (const [id, name, want] of peers) {
      const p = byId.get(id);
      if (!s || !p) continue;
      const rl = ratio(s.latency?.avg, p.latency?.avg);
      const rt = ratio(s.throughput?.avg, p.throughput?.avg);
      const cl = ratio(p.latency?.cpuUsPerResponse, s.latency?.cpuUsPerResponse);
      const ct = ratio(p.throughput?.cpuUsPerResponse, s.throughput?.cpuUsPerResponse);
      lines.push(
        `| ${name} | ${ratioCell(rl)} | ${ratioCell(rt)} | ${ratioCell(cl)} / ${ratioCell(ct)} | ≥ ${want}x in both modes |`,
      );
      const met = rl === undefined || rt === undefined ? undefined : rl >= want && rt >= want;
      ctx.target({
        name: `${name} ≥ ${want}x`,
        met,
        detail: `latency ${ratioCell(rl)}, throughput ${ratioCell(rt)}`,
      });
      ctx.log(`ratio ${name}: latency ${ratioCell(rl)}, throughput ${ratioCell(rt)} (target ≥ ${want}x)`);
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
    ctx.report(`${title}\n\n| measure | value |\n|---|---|\n${rows.join('\n')}`);
    ctx.log(`memory: RSS ${mb(r.rssBytes)}, ${r.hostsLearned}/${r.hostsInjected} hosts learned`);
    ctx.target({
      name: 'RSS < 300 MB with all hosts learned',
      met: r.pass,
      detail: `${mb(r.rssBytes)} (limit ${mb(RSS_TARGET_BYTES)}), ${fmtRate(r.hostsLearned)} hosts learned`,
    });
  },
};

/** The run, in order. A new benchmark is one more entry here. */
export const SECTIONS: BenchSection[] = [cbenchSection, memorySection, staticflowsSection];

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
  packet-in, like ovs-testcontroller).
- Memory: 1,000 fake switches each send ARP requests from their hosts (MAC + IPv4) on 8 ports; the host count
  comes from the controller's API, RSS from /proc/PID/status.`;

export function renderReport(
  facts: string[],
  command: string,
  targets: Target[],
  sections: string[],
  failures: string[],
): string {
  const t = targets.map(
    (x) => `- ${x.met === undefined ? 'NOT MEASURED' : x.met ? 'MET' : 'NOT MET'}: ${x.name} (${x.detail})`,
  );
  return [
    '# Benchmarks',
    '',
    `Generated by \`${command}\` on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}. Numbers are from this run only.`,
    '',
    ...facts,
    '',
    '## Targets',
    '',
    ...(t.length ? t : ['- (no target measured)']),
    '',
    ...sections.flatMap((s) => [s, '']),
    ...(failures.length ? ['## Failures', '', ...failures.map((f) => `- ${f.split('\n')[0]}`), ''] : []),
    METHOD,
    '',
  ].join('\n');
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
    },
  });
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
  const reports: string[] = [];
  const targets: Target[] = [];
  const failures: string[] = [];
  const ctx: BenchContext = {
    repoRoot,
    workDir,
    options,
    log,
    report: (md) => reports.push(md),
    target: (t) => targets.push(t),
    fail: (what) => {
      failures.push(what);
      log(`FAILED ${what}`);
    },
  };
  const t0 = Date.now();
  const loadAtStart = loadAverage();
  // Versions as of the start: other work may land in the repo while the bench runs.
  const versions = controllerVersions(repoRoot);
  log(`bench: work dir ${workDir}, load average ${loadAtStart}`);
  try {
    for (const section of SECTIONS.filter((s) => options.sections.includes(s.id))) {
      log(`== ${section.title}`);
      await section.run(ctx);
    }
  } finally {
    await stopAll();
  }
  const command = ['node dist/bench/run.js', ...argv].join(' ');
  const md = renderReport(
    machineFacts(loadAtStart, versions),
    argv.length ? command : 'make bench',
    targets,
    reports,
    failures,
  );
  log('');
  for (const r of reports) log(r + '\n');
  log(
    `Targets:\n${targets.map((t) => `  ${t.met === undefined ? 'NOT MEASURED' : t.met ? 'MET' : 'NOT MET'}: ${t.name} (${t.detail})`).join('\n')}`,
  );
  if (options.output) {
    fs.writeFileSync(path.resolve(repoRoot, options.output), md);
    log(`bench: wrote ${options.output} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
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
