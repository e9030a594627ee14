#!/usr/bin/env node
/**
 * cbench-style OpenFlow 1.0 load generator (see /work/shared/reference/performance.md for the semantics).
 *
 * Library: connectFleet + runModeLoops / runPaced, used by bench/run.ts.
 * Standalone: node dist/bench/cbench.js [-s 16] [-M 1000] [-l 10] [-m 1000] [-w 1] [-t] [--port 6653]
 *             [--host 127.0.0.1] [--rate N --duration MS]   (--rate: latency at a fixed packet-in rate)
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { FakeSwitch } from './cbench/fakeswitch.js';
import type { FlowTable } from './cbench/flowtable.js';
import { buildSwitchPacketIns } from './cbench/frames.js';
import { intFlag } from './harness.js';

export interface FleetOptions {
  host: string;
  port: number;
  switches: number;
  /** Distinct source MACs per switch (cbench -M). */
  macs: number;
  /** Data ports per switch; hosts are spread over them. */
  ports?: number;
  /** DPID of the first switch; the others follow. */
  dpidBase?: bigint;
  /** Connections opened at once (a controller's accept backlog is finite). */
  connectConcurrency?: number;
  readyTimeoutMs?: number;
  /** Per-switch PACKET_IN templates; defaults to the cbench pattern (buildSwitchPacketIns). */
  packetIns?: (switchIndex: number) => Buffer[];
  onLatency?: (ms: number) => void;
  /** Gives each switch a table of the controller's permanent flows (see bench/cbench/flowtable.ts). */
  flowTable?: (dpid: bigint) => FlowTable;
}

/** All fake switches of one run, connected and past the handshake. */
export class Fleet {
  constructor(readonly switches: FakeSwitch[]) {}

  total(): number {
    let n = 0;
    for (const s of this.switches) n += s.count;
    return n;
  }

  stalls(): number {
    return this.switches.reduce((n, s) => n + s.stalls, 0);
  }

  errors(): number {
    return this.switches.reduce((n, s) => n + s.errorsReceived, 0);
  }

  /** Throws when a switch lost its connection: a run with fewer switches than asked is not a result. */
  assertConnected(): void {
    const dead = this.switches.find((s) => s.closed);
    if (dead) throw new Error(`fake switch ${dead.dpid} disconnected: ${dead.closeReason}`);
  }

  close(): void {
    for (const s of this.switches) s.close();
  }
}

export async function connectFleet(opts: FleetOptions): Promise<Fleet> {
  const ports = opts.ports ?? 4;
  const base = opts.dpidBase ?? 1n;
  const concurrency = opts.connectConcurrency ?? 64;
  const timeoutMs = opts.readyTimeoutMs ?? 15_000;
  const switches: FakeSwitch[] = [];
  const fleet = new Fleet(switches);
  try {
    for (let start = 0; start < opts.switches; start += concurrency) {
      const batch: FakeSwitch[] = [];
      for (let i = start; i < Math.min(opts.switches, start + concurrency); i++) {
        const sw = new FakeSwitch({
          host: opts.host,
          port: opts.port,
          dpid: base + BigInt(i),
          ports,
          packetIns: opts.packetIns ? opts.packetIns(i) : buildSwitchPacketIns(i + 1, opts.macs, ports),
          onLatency: opts.onLatency,
          flowTable: opts.flowTable?.(base + BigInt(i)),
        });
        batch.push(sw);
        switches.push(sw);
      }
      await withTimeout(
        Promise.all(batch.map((s) => s.ready())),
        timeoutMs,
        `switches ${start + 1}..${start + batch.length}: no FEATURES_REQUEST from the controller within ${timeoutMs} ms`,
      );
    }
  } catch (err) {
    fleet.close();
    throw err;
  }
  return fleet;
}

/** Rejects with `message` when `p` has not settled within `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface LoopStats {
  /** Responses/s of each measured loop (warm-up loops excluded). */
  loops: number[];
  min: number;
  max: number;
  avg: number;
  /** Robust against the odd burst loop: what the controller sustains (used to pick "half load"). */
  median: number;
}

export function loopStats(loops: number[]): LoopStats {
  if (loops.length === 0) return { loops, min: 0, max: 0, avg: 0, median: 0 };
  const sorted = [...loops].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    loops,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    avg: loops.reduce((a, b) => a + b, 0) / loops.length,
    median: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
  };
}

export interface ModeOptions {
  mode: 'latency' | 'throughput';
  loops: number;
  msPerLoop: number;
  warmup: number;
  progress?: (line: string) => void;
  /** CPU seconds the controller process has used so far (harness.cpuSeconds), for CPU per response. */
  controllerCpu?: () => number;
}

export interface ModeResult extends LoopStats {
  /** Controller CPU time per response over the measured loops, in microseconds: immune to a busy machine. */
  cpuUsPerResponse?: number;
  /** CPU time this generator process spent per response over the same loops, in microseconds. */
  generatorCpuUsPerResponse?: number;
  mode: 'latency' | 'throughput';
  switches: number;
  /** Latency mode: packet-ins re-sent after 1 s without an answer (the controller dropped them). */
  stalls: number;
  /** OFPT_ERROR messages the controller sent. */
  errors: number;
}

/** A latency-mode probe unanswered this long is considered dropped and replaced (cbench would hang). */
const STALL_MS = 1000;

export async function runModeLoops(fleet: Fleet, opts: ModeOptions): Promise<ModeResult> {
  const stalls0 = fleet.stalls();
  const errors0 = fleet.errors();
  for (const s of fleet.switches) s.drive(opts.mode);
  const unstall = setInterval(() => {
    const now = performance.now();
    for (const s of fleet.switches) s.unstall(now, STALL_MS);
  }, STALL_MS / 4);
  const rates: number[] = [];
  let measured = 0;
  let cpu0 = 0;
  let gen0 = 0;
  let cpuUsPerResponse: number | undefined;
  let generatorCpuUsPerResponse: number | undefined;
  try {
    for (let i = 0; i < opts.warmup + opts.loops; i++) {
      if (i === opts.warmup) {
        if (opts.controllerCpu) cpu0 = opts.controllerCpu();
        gen0 = generatorCpuSeconds();
      }
      const c0 = fleet.total();
      const t0 = performance.now();
      await delay(opts.msPerLoop);
      const rate = (fleet.total() - c0) / ((performance.now() - t0) / 1000);
      fleet.assertConnected();
      const warm = i < opts.warmup;
      if (!warm) {
        rates.push(rate);
        measured += fleet.total() - c0;
      }
      opts.progress?.(
        `  ${opts.mode} ${warm ? 'warm-up' : 'loop'} ${warm ? i + 1 : i + 1 - opts.warmup}: ${fmtRate(rate)} responses/s`,
      );
    }
    if (opts.controllerCpu && measured > 0)
      cpuUsPerResponse = ((opts.controllerCpu() - cpu0) / measured) * 1e6;
    if (measured > 0) generatorCpuUsPerResponse = ((generatorCpuSeconds() - gen0) / measured) * 1e6;
  } finally {
    clearInterval(unstall);
    for (const s of fleet.switches) s.drive('idle');
  }
  return {
    cpuUsPerResponse,
    generatorCpuUsPerResponse,
    mode: opts.mode,
    switches: fleet.switches.length,
    stalls: fleet.stalls() - stalls0,
    errors: fleet.errors() - errors0,
    ...loopStats(rates),
  };
}

/** One controller's part in an interleaved run: its connected fleet and its CPU clock. */
export interface InterleavedEntry {
  id: string;
  fleet: Fleet;
  controllerCpu?: () => number;
}

/**
 * Runs `opts.loops` rounds in which every entry runs one loop in turn (the first entry of each round
 * rotates), after each entry's own warm-up loops. An entry whose loop throws (its switches lost their
 * connection) maps to that Error and sits out the remaining rounds. On a shared machine whose speed drifts over minutes,
 * this compares controllers under the same conditions instead of one after the other.
 */
export async function runInterleaved(
  entries: InterleavedEntry[],
  opts: ModeOptions,
): Promise<Map<string, ModeResult | Error>> {
  const acc = new Map(
    entries.map((e) => [
      e.id,
      {
        rates: [] as number[],
        responses: 0,
        cpu: 0,
        gen: 0,
        stalls: 0,
        errors: 0,
        failed: undefined as string | undefined,
      },
    ]),
  );
  const one = { mode: opts.mode, msPerLoop: opts.msPerLoop, warmup: 0 } as const;
  // A controller that fails (its switches disconnected) drops out; the others carry on.
  const attempt = async (e: InterleavedEntry, fn: () => Promise<void>): Promise<void> => {
    const a = acc.get(e.id)!;
    if (a.failed) return;
    try {
      await fn();
    } catch (err) {
      a.failed = (err as Error).message;
    }
  };
  for (const e of entries) {
    if (opts.warmup > 0)
      await attempt(e, async () => {
        await runModeLoops(e.fleet, {
          ...one,
          loops: opts.warmup,
          progress: tagged(opts, `${e.id} warm-up`),
        });
      });
  }
  for (let round = 0; round < opts.loops; round++) {
    for (let k = 0; k < entries.length; k++) {
      const e = entries[(round + k) % entries.length];
      const a = acc.get(e.id)!;
      await attempt(e, async () => {
        const n0 = e.fleet.total();
        const cpu0 = e.controllerCpu?.() ?? 0;
        const gen0 = generatorCpuSeconds();
        const r = await runModeLoops(e.fleet, { ...one, loops: 1 });
        a.responses += e.fleet.total() - n0;
        a.cpu += (e.controllerCpu?.() ?? 0) - cpu0;
        a.gen += generatorCpuSeconds() - gen0;
        a.rates.push(...r.loops);
        a.stalls += r.stalls;
        a.errors += r.errors;
        opts.progress?.(`  ${opts.mode} round ${round + 1} ${e.id}: ${fmtRate(r.avg)} responses/s`);
      });
    }
  }
  const out = new Map<string, ModeResult | Error>();
  for (const e of entries) {
    const a = acc.get(e.id)!;
    if (a.failed) {
      out.set(e.id, new Error(a.failed));
      continue;
    }
    out.set(e.id, {
      ...loopStats(a.rates),
      mode: opts.mode,
      switches: e.fleet.switches.length,
      stalls: a.stalls,
      errors: a.errors,
      cpuUsPerResponse: e.controllerCpu && a.responses > 0 ? (a.cpu / a.responses) * 1e6 : undefined,
      generatorCpuUsPerResponse: a.responses > 0 ? (a.gen / a.responses) * 1e6 : undefined,
    });
  }
  return out;
}

/** CPU seconds (user + system) this process has used: the generator's own cost. */
function generatorCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function tagged(opts: ModeOptions, tag: string): ((line: string) => void) | undefined {
  const p = opts.progress;
  return p ? (line) => p(`${line} (${tag})`) : undefined;
}

export interface PacedResult {
  /** Packet-ins per second asked for and actually sent. */
  targetRate: number;
  sentRate: number;
  answeredRate: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** A latency recorder to pass as FleetOptions.onLatency; only records while `recording` is set. */
export class LatencyRecorder {
  recording = false;
  private samples: number[] = [];
  readonly record = (ms: number): void => {
    if (this.recording) this.samples.push(ms);
  };
  reset(): void {
    this.samples = [];
  }
  sorted(): Float64Array {
    return Float64Array.from(this.samples).sort();
  }
}

/**
 * Open-loop load: sends packet-ins round-robin over the switches at `rate` per second (paced on a 1 ms
 * timer, so they leave in bursts of about rate/1000, one write per switch) and records each packet-in ->
 * response latency.
 */
export async function runPaced(
  fleet: Fleet,
  recorder: LatencyRecorder,
  opts: { rate: number; durationMs: number; warmupMs: number; progress?: (line: string) => void },
): Promise<PacedResult> {
  for (const s of fleet.switches) s.drive('paced');
  const n = fleet.switches.length;
  let rr = 0;
  let sent = 0;
  let t0 = performance.now();
  const perSwitch = new Int32Array(n);
  const tick = (): void => {
    const target = Math.floor((opts.rate * (performance.now() - t0)) / 1000);
    // After a long event-loop pause, do not fire the whole backlog at once: cap a burst at 20 ms of load.
    const burst = Math.min(target - sent, Math.ceil(opts.rate / 50));
    if (burst <= 0) return;
    // Spread the burst round-robin, then one write per switch: a syscall per packet-in would make the
    // generator, not the controller, the bottleneck.
    for (let i = 0; i < burst; i++) {
      perSwitch[rr]++;
      rr = rr + 1 === n ? 0 : rr + 1;
    }
    for (let i = 0; i < n; i++) {
      if (perSwitch[i] > 0) fleet.switches[i].sendBatch(perSwitch[i]);
      perSwitch[i] = 0;
    }
    sent += burst;
    if (target - sent > opts.rate) sent = target; // far behind: give up on the backlog rather than flood
  };
  const timer = setInterval(tick, 1);
  try {
    await delay(opts.warmupMs);
    fleet.assertConnected();
    recorder.reset();
    recorder.recording = true;
    const answered0 = fleet.total();
    sent = 0;
    t0 = performance.now();
    await delay(opts.durationMs);
    const seconds = (performance.now() - t0) / 1000;
    recorder.recording = false;
    fleet.assertConnected();
    const sorted = recorder.sorted();
    const result = {
      targetRate: opts.rate,
      sentRate: sent / seconds,
      answeredRate: (fleet.total() - answered0) / seconds,
      samples: sorted.length,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
    };
    opts.progress?.(
      `  paced ${fmtRate(opts.rate)}/s: p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ` +
        `answered ${fmtRate(result.answeredRate)}/s`,
    );
    return result;
  } finally {
    clearInterval(timer);
    for (const s of fleet.switches) s.drive('idle');
  }
}

export function fmtRate(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

// ---------------------------------------------------------------------------------------------------------
// Standalone command line

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      switches: { type: 'string', short: 's' },
      macs: { type: 'string', short: 'M' },
      loops: { type: 'string', short: 'l' },
      ms: { type: 'string', short: 'm' },
      warmup: { type: 'string', short: 'w' },
      throughput: { type: 'boolean', short: 't' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string', short: 'c' },
      rate: { type: 'string' },
      duration: { type: 'string' },
    },
  });
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const port = intFlag(values, 'port', 6653);
  if (port > 65535) throw new Error(`--port: expected 1..65535, got ${port}`);
  const switches = intFlag(values, 'switches', 16);
  const macs = intFlag(values, 'macs', 1000, 2);
  const loops = intFlag(values, 'loops', 10);
  const msPerLoop = intFlag(values, 'ms', 1000);
  const warmup = intFlag(values, 'warmup', 1, 0);
  const log = (line: string): void => console.log(line);
  const recorder = new LatencyRecorder();
  log(`cbench: ${switches} switches, ${macs} MACs each, controller ${host}:${port}`);
  const fleet = await connectFleet({ host, port, switches, macs, onLatency: recorder.record });
  try {
    if (values.rate !== undefined) {
      const rate = intFlag(values, 'rate', 1);
      const durationMs = intFlag(values, 'duration', 5000);
      const r = await runPaced(fleet, recorder, { rate, durationMs, warmupMs: 1000, progress: log });
      log(`RESULT: rate ${fmtRate(r.sentRate)}/s p50 ${r.p50Ms.toFixed(3)} ms p99 ${r.p99Ms.toFixed(3)} ms`);
    } else {
      const mode = values.throughput ? 'throughput' : 'latency';
      const r = await runModeLoops(fleet, { mode, loops, msPerLoop, warmup, progress: log });
      log(
        `RESULT: ${switches} switches ${loops} tests min/max/avg = ${fmtRate(r.min)}/${fmtRate(r.max)}/` +
          `${fmtRate(r.avg)} responses/s (${mode} mode, ${r.stalls} stalls)`,
      );
    }
  } finally {
    fleet.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    console.error(`cbench: ${err.message}`);
    process.exit(1);
  });
}
