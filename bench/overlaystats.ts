/**
 * The pure parts of the `overlay` section: iperf3 `-J` output, `ping -D` output, latency summaries and the
 * markdown tables. Kept apart from bench/overlay.ts so unit tests need no simulated hosts.
 */
import { percentile } from './cbench.js';

export interface IperfResult {
  /** Received by the server, in Gbit/s (what TCP delivered end to end). */
  gbps: number;
  /** TCP retransmissions the sender counted (undefined when iperf3 does not report them). */
  retransmits: number | undefined;
  seconds: number;
}

interface IperfJson {
  error?: string;
  end?: {
    sum_received?: { bits_per_second?: number; seconds?: number };
    sum_sent?: { bits_per_second?: number; seconds?: number; retransmits?: number };
  };
}

/** The result of `iperf3 -c ... -J`; throws with iperf3's own error text when the run failed. */
export function parseIperf3(json: string): IperfResult {
  let doc: IperfJson;
  try {
    doc = JSON.parse(json) as IperfJson;
  } catch {
    throw new Error(`iperf3: output is not JSON: ${json.trim().slice(0, 200) || '(empty)'}`);
  }
  if (doc.error) throw new Error(`iperf3: ${doc.error}`);
  const received = doc.end?.sum_received;
  if (typeof received?.bits_per_second !== 'number')
    throw new Error('iperf3: no end.sum_received.bits_per_second in its output');
  return {
    gbps: received.bits_per_second / 1e9,
    retransmits: doc.end?.sum_sent?.retransmits,
    seconds: received.seconds ?? 0,
  };
}

/**
 * Milliseconds from `t0Ms` (epoch ms) to the first reply in `ping -D` output (lines like
 * `[1796419559.961448] 64 bytes from 10.0.0.2: icmp_seq=1 ...`), or undefined before the first reply.
 */
export function firstReplyMs(output: string, t0Ms: number): number | undefined {
  const m = /^\[(\d+\.\d+)\] \d+ bytes from /m.exec(output);
  return m ? Number(m[1]) * 1000 - t0Ms : undefined;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50/p99/max of `samples` (any order), with cbench's percentile (nearest rank, upper). */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** `a / b` as `0.93x`, or `–` when either side is missing. */
export function ratioText(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0
    ? `${(a / b).toFixed(2)}x`
    : '–';
}

/** A markdown table; cells with `|` are escaped, missing cells left empty. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|');
  const line = (cells: readonly (string | undefined)[]) =>
    `| ${headers.map((_, i) => cell(cells[i])).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}
