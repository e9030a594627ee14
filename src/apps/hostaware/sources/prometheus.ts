/**
 * Prometheus, for shops that moved off Ganglia: the text exposition format (node_exporter's /metrics, format
 * 0.0.4) and the HTTP API's instant-query JSON, both as samples with labels, then mapped to hosts by a label.
 * The grammar follows the exposition-format spec: `# HELP name text`, `# TYPE name type`, other `#` lines are
 * comments, samples are `name{label="value",...} value [timestamp_ms]` with \\, \" and \n escapes in label
 * values, values may be NaN, +Inf, -Inf.
 */
import { ParseError, checkSize } from './errors.js';
import type { MetricSample, SourceSnapshot } from './types.js';

export const PROM_TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'] as const;
export type PromType = (typeof PROM_TYPES)[number];

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** ms since the epoch, when the exposition or the API gave one. */
  timestamp?: number;
}

export interface PromFamily {
  type?: PromType;
  help?: string;
}

export interface PromText {
  families: Map<string, PromFamily>;
  samples: PromSample[];
}

const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const META = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+(.*))?$/;
/** The decimal float forms of Go's strconv.ParseFloat that exporters write (%g, %e, integers). */
const FLOAT = /^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)$/;

/** A sample value: a float, or NaN, +Inf, -Inf (any case, as Go parses them). */
export function parsePromValue(text: string): number | undefined {
  const t = text.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === '+inf' || t === 'inf') return Infinity;
  if (t === '-inf') return -Infinity;
  return FLOAT.test(text) ? Number(text) : undefined;
}

export function parsePromText(text: string, opts: { maxBytes?: number } = {}): PromText {
  checkSize('prometheus-text', text, opts.maxBytes);
  const families = new Map<string, PromFamily>();
  const samples: PromSample[] = [];
  // The spec puts a family's TYPE before its first sample; a TYPE after it means a mangled exposition.
  const sampled = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '').trim();
    if (line === '') continue;
    const fail = (reason: string): never => {
      throw new ParseError('prometheus-text', `line ${i + 1}`, reason);
    };
    if (line.startsWith('#')) {
      const m = META.exec(line);
      if (!m) continue; // a plain comment
      const fam = families.get(m[2]) ?? {};
      if (m[1] === 'TYPE') {
        const t = (m[3] ?? '').trim();
        if (!(PROM_TYPES as readonly string[]).includes(t)) fail(`unknown metric type '${t}' for ${m[2]}`);
        if (fam.type !== undefined) fail(`second TYPE line for ${m[2]}`);
        if (sampled.has(m[2])) fail(`TYPE line for ${m[2]} after its samples`);
        fam.type = t as PromType;
      } else {
        if (fam.help !== undefined) fail(`second HELP line for ${m[2]}`);
        fam.help = (m[3] ?? '').replace(/\\(\\|n)/g, (_s, c: string) => (c === 'n' ? '\n' : '\\'));
      }
      families.set(m[2], fam);
      continue;
    }
    const sample = parseSampleLine(line, fail);
    sampled.add(sample.name);
    samples.push(sample);
  }
  return { families, samples };
}

function parseSampleLine(line: string, fail: (reason: string) => never): PromSample {
  METRIC_NAME.lastIndex = 0;
  const nm = METRIC_NAME.exec(line);
  if (!nm) fail(`'${line.slice(0, 40)}' does not start with a metric name`);
  const name = nm![0];
  let p = nm![0].length;
  const labels: Record<string, string> = {};
  // Prometheus' own parser allows blanks between the name and '{'.
  const brace = /^[ \t]*\{/.exec(line.slice(p));
  if (brace) {
    p += brace[0].length - 1;
    p++;
    for (;;) {
      while (line[p] === ' ' || line[p] === '\t') p++;
      if (line[p] === '}') break;
      LABEL_NAME.lastIndex = p;
      const ln = LABEL_NAME.exec(line);
      if (!ln) fail(`bad label name at column ${p + 1} of ${name}`);
      p = LABEL_NAME.lastIndex;
      while (line[p] === ' ' || line[p] === '\t') p++;
      if (line[p] !== '=') fail(`expected '=' after label ${ln![0]} of ${name}`);
      p++;
      while (line[p] === ' ' || line[p] === '\t') p++;
      if (line[p] !== '"') fail(`label ${ln![0]} of ${name}: value must be in double quotes`);
      p++;
      let value = '';
      for (;;) {
        const c = line[p];
        if (c === undefined) fail(`label ${ln![0]} of ${name}: unterminated value`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[p + 1];
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else fail(`label ${ln![0]} of ${name}: bad escape '\\${e ?? ''}' (only \\\\, \\" and \\n)`);
          p += 2;
          continue;
        }
        value += c;
        p++;
      }
      p++;
      if (Object.hasOwn(labels, ln![0])) fail(`label ${ln![0]} repeated in ${name}`);
      labels[ln![0]] = value;
      while (line[p] === ' ' || line[p] === '\t') p++;
      if (line[p] === ',') {
        p++;
        continue;
      }
      if (line[p] !== '}') fail(`expected ',' or '}' after label ${ln![0]} of ${name}`);
      break;
    }
    p++;
  }
  const rest = line
    .slice(p)
    .trim()
    .split(/[ \t]+/);
  if (rest.length === 0 || rest[0] === '') fail(`${name} has no value`);
  if (rest.length > 2) fail(`${name}: unexpected '${rest[2]}' after value and timestamp`);
  const value = parsePromValue(rest[0]);
  if (value === undefined) fail(`${name}: '${rest[0]}' is not a number`);
  const sample: PromSample = { name, labels, value: value! };
  if (rest.length === 2) {
    if (!/^-?\d{1,16}$/.test(rest[1])) fail(`${name}: timestamp '${rest[1]}' is not an integer of ms`);
    sample.timestamp = Number(rest[1]);
  }
  return sample;
}

/**
 * `host:port`, `[::1]:9100` or a bare host -> the host. The port is the exporter's, not the host's identity.
 */
export function stripPort(instance: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (v6) return v6[1];
  const m = /^([^:]+):\d+$/.exec(instance);
  return m ? m[1] : instance;
}

export interface PromMapOptions {
  source: string;
  /** The label naming the host (default `instance`); its port, if any, is dropped. */
  hostLabel?: string;
  /**
   * The host of samples that lack the label: an exporter scraped directly (node_exporter's /metrics) has no
   * `instance` label, so the configured target's host stands in. Without it such samples are dropped.
   */
  defaultHost?: string;
  /** ms epoch for samples without a timestamp (the scrape time). */
  now: number;
}

/** Samples -> a snapshot: one HostInfo per distinct host, each sample tagged with its host. */
export function promToSnapshot(samples: readonly PromSample[], opts: PromMapOptions): SourceSnapshot {
  const hostLabel = opts.hostLabel ?? 'instance';
  const snap: SourceSnapshot = { source: opts.source, hosts: [], samples: [] };
  const seen = new Map<string, number>();
  for (const s of samples) {
    const raw = s.labels[hostLabel];
    const host = raw !== undefined && raw !== '' ? stripPort(raw) : opts.defaultHost;
    if (host === undefined) continue;
    const at = s.timestamp ?? opts.now;
    const out: MetricSample = { host, name: s.name, value: s.value, at, labels: s.labels };
    if (s.labels.cluster) out.cluster = s.labels.cluster;
    snap.samples.push(out);
    const idx = seen.get(host);
    if (idx === undefined) {
      seen.set(host, snap.hosts.length);
      const info = { name: host, source: opts.source, reported: at };
      // A host label that is an IPv4 address is also the host's IP (instance="10.0.0.1:9100").
      snap.hosts.push(/^\d+\.\d+\.\d+\.\d+$/.test(host) ? { ...info, ip: host } : info);
    } else if (at > snap.hosts[idx].reported) {
      snap.hosts[idx].reported = at;
    }
  }
  return snap;
}

/**
 * The HTTP API's answer to /api/v1/query (instant query): a vector (one sample per series), a scalar (no
 * labels) or, from a range query, a matrix (each point a sample). `{"status":"error"}` throws with the
 * server's errorType and error. Timestamps come in seconds (float) and leave as ms.
 */
export function parsePromQuery(body: unknown): PromSample[] {
  const fail = (where: string, reason: string): never => {
    throw new ParseError('prometheus-query', where, reason);
  };
  if (!isObj(body)) fail('body', 'not a JSON object');
  const b = body as Record<string, unknown>;
  if (b.status === 'error') {
    fail('status', `server error ${String(b.errorType ?? 'unknown')}: ${String(b.error ?? '(no message)')}`);
  }
  if (b.status !== 'success')
    fail('status', `expected 'success' or 'error', got ${JSON.stringify(b.status)}`);
  if (!isObj(b.data)) fail('data', 'missing or not an object');
  const data = b.data as Record<string, unknown>;
  const point = (v: unknown, where: string, name: string, labels: Record<string, string>): PromSample => {
    if (!Array.isArray(v) || v.length !== 2) fail(where, 'expected [timestamp, "value"]');
    const [ts, val] = v as unknown[];
    if (typeof ts !== 'number' || !Number.isFinite(ts)) fail(`${where}[0]`, 'timestamp is not a number');
    if (typeof val !== 'string') fail(`${where}[1]`, 'value is not a string');
    const value = parsePromValue(val as string);
    if (value === undefined) fail(`${where}[1]`, `'${String(val)}' is not a number`);
    return { name, labels, value: value!, timestamp: Math.round((ts as number) * 1000) };
  };
  const labelsOf = (m: unknown, where: string): Record<string, string> => {
    if (!isObj(m)) fail(where, 'missing or not an object');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(m as object)) {
      if (typeof v !== 'string') fail(`${where}.${k}`, 'label value is not a string');
      out[k] = v as string;
    }
    return out;
  };
  switch (data.resultType) {
    case 'scalar':
      return [point(data.result, 'data.result', 'scalar', {})];
    case 'vector':
    case 'matrix': {
      if (!Array.isArray(data.result)) fail('data.result', 'not a list');
      const out: PromSample[] = [];
      (data.result as unknown[]).forEach((r, i) => {
        const where = `data.result[${i}]`;
        if (!isObj(r)) fail(where, 'not an object');
        const labels = labelsOf((r as Record<string, unknown>).metric, `${where}.metric`);
        // A query such as rate(x[1m]) drops __name__: name the series by the query's position then.
        const name = labels.__name__ ?? 'value';
        delete labels.__name__;
        if (data.resultType === 'vector') {
          out.push(point((r as Record<string, unknown>).value, `${where}.value`, name, labels));
        } else {
          const values = (r as Record<string, unknown>).values;
          if (!Array.isArray(values)) fail(`${where}.values`, 'not a list');
          (values as unknown[]).forEach((v, j) => out.push(point(v, `${where}.values[${j}]`, name, labels)));
        }
      });
      return out;
    }
    default:
      return fail('data.resultType', `unsupported result type ${JSON.stringify(data.resultType)}`);
  }
}

function isObj(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
