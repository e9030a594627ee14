/**
 * `rrdtool fetch FILE CF -s START -e END` text output as samples, and the window aggregation the seed's module
 * did on Ganglia RRDs (AVERAGE, MIN, MAX over the last N seconds). The output is a header line of data-source
 * names (Ganglia's RRDs have one, `sum`; summary RRDs add `num`), a blank line, then `timestamp: v1 v2 ...`
 * rows in which an unknown value is `nan` or `-nan` (glibc prints either) and is kept as NaN.
 */
import { ParseError, checkSize } from './errors.js';
import type { MetricSample } from './types.js';

export interface RrdFetch {
  ds: string[];
  rows: { at: number; values: number[] }[];
}

export const CONSOLIDATIONS = ['AVERAGE', 'MIN', 'MAX'] as const;
export type Consolidation = (typeof CONSOLIDATIONS)[number];

const ROW = /^(\d{1,12}):((?:\s+\S+)*)\s*$/;
const DS_NAME = /^[a-zA-Z0-9_]{1,19}$/;

/** rrdtool's %e, %f and integer forms, `nan`/`-nan` (and NaN, in other builds) as NaN. */
function rrdValue(text: string): number | undefined {
  if (/^[-+]?nan$/i.test(text)) return NaN;
  if (/^[-+]?inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : undefined;
}

export function parseRrdFetch(text: string, opts: { maxBytes?: number } = {}): RrdFetch {
  checkSize('rrd-fetch', text, opts.maxBytes);
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  if (i === lines.length) throw new ParseError('rrd-fetch', 'input', 'empty output (no header line)');
  const ds = lines[i].trim().split(/\s+/);
  for (const name of ds) {
    if (!DS_NAME.test(name)) {
      throw new ParseError(
        'rrd-fetch',
        `line ${i + 1}`,
        `'${name}' is not a data-source name (header expected)`,
      );
    }
  }
  const rows: RrdFetch['rows'] = [];
  for (i++; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const fail = (reason: string): never => {
      throw new ParseError('rrd-fetch', `line ${i + 1}`, reason);
    };
    const m = ROW.exec(line);
    if (!m) fail(`'${line.slice(0, 40)}' is not 'timestamp: values'`);
    const parts = m![2].trim() === '' ? [] : m![2].trim().split(/\s+/);
    if (parts.length !== ds.length) fail(`${parts.length} values for ${ds.length} data sources`);
    const values = parts.map((p) => rrdValue(p) ?? fail(`'${p}' is not a number`));
    rows.push({ at: Number(m![1]) * 1000, values });
  }
  return { ds, rows };
}

export interface RrdSampleOptions {
  host: string;
  cluster?: string;
  /** The metric, from the file name (`rrds/CLUSTER/HOST/bytes_out.rrd` -> bytes_out). */
  metric: string;
  /** Which data source (default the first, Ganglia's `sum`). */
  ds?: string;
}

/** One sample per row of one data source; unknown rows (NaN) are kept as NaN for the window to skip. */
export function rrdToSamples(fetch: RrdFetch, opts: RrdSampleOptions): MetricSample[] {
  const col = opts.ds === undefined ? 0 : fetch.ds.indexOf(opts.ds);
  if (col < 0)
    throw new ParseError('rrd-fetch', 'header', `no data source '${opts.ds}' (have ${fetch.ds.join(', ')})`);
  return fetch.rows.map((r) => {
    const s: MetricSample = { host: opts.host, name: opts.metric, value: r.values[col], at: r.at };
    if (opts.cluster !== undefined) s.cluster = opts.cluster;
    return s;
  });
}

/**
 * AVERAGE, MIN or MAX of the values taken in (now - seconds, now], NaN skipped; undefined when no value is
 * known in the window (a source gone quiet must not read as 0).
 */
export function aggregateWindow(
  points: readonly { at: number; value: number }[],
  cf: Consolidation,
  seconds: number,
  now: number,
): number | undefined {
  const from = now - seconds * 1000;
  let n = 0;
  let acc = cf === 'MIN' ? Infinity : cf === 'MAX' ? -Infinity : 0;
  for (const p of points) {
    if (p.at <= from || p.at > now || Number.isNaN(p.value)) continue;
    n++;
    if (cf === 'AVERAGE') acc += p.value;
    else if (cf === 'MIN') acc = Math.min(acc, p.value);
    else acc = Math.max(acc, p.value);
  }
  if (n === 0) return undefined;
  return cf === 'AVERAGE' ? acc / n : acc;
}

/** `rrds/CLUSTER/HOST/METRIC.rrd` (relative to the source's directory) -> its parts; undefined if not that shape. */
export function rrdPathParts(
  relative: string,
): { cluster: string; host: string; metric: string } | undefined {
  const m = /^([^/]+)\/([^/]+)\/([^/]+)\.rrd$/.exec(relative.replace(/^\.?\/+/, ''));
  return m ? { cluster: m[1], host: m[2], metric: m[3] } : undefined;
}
