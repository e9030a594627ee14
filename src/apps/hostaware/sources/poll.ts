/**
 * One poll of one configured source: fetch (the I/O edges in fetch.ts, or HTTP here) and parse (the pure
 * parsers) into a SourceSnapshot. Every failure is a SourceFetchError (unreachable, timeout, garbage), so the
 * app needs one path for "this source gave nothing usable": WARN, metrics stale, no action.
 * Alertmanager sources are pushed, not polled (the app's webhook route feeds them).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { SourceConfig } from './config.js';
import { ParseError } from './errors.js';
import { SourceFetchError, fetchGmondXml, queryGmetad, rrdFetch } from './fetch.js';
import { parseGangliaXml } from './ganglia.js';
import { parsePromQuery, parsePromText, promToSnapshot, type PromSample } from './prometheus.js';
import { aggregateWindow, parseRrdFetch, rrdPathParts, rrdToSamples } from './rrd.js';
import type { HostInfo, MetricSample, SourceSnapshot } from './types.js';

/** An HTTP answer larger than this is garbage (a node_exporter page is ~100 KiB). */
const HTTP_MAX_BYTES = 16 * 1024 * 1024;

/** The source in words, for messages: "gmond 127.0.0.1:8649". */
export function describeSource(cfg: SourceConfig): string {
  switch (cfg.type) {
    case 'gmond':
    case 'gmetad':
      return `${cfg.type} ${cfg.address.host}:${cfg.address.port}`;
    case 'rrd':
      return `rrd ${cfg.directory}`;
    case 'prometheus':
    case 'prometheus-query':
      return `${cfg.type} ${cfg.url}`;
    case 'alertmanager':
      return `alertmanager webhook ${cfg.path || cfg.name}`;
  }
}

export async function pollSource(cfg: SourceConfig, now: number): Promise<SourceSnapshot> {
  const timeoutMs = Math.round(cfg.timeout * 1000);
  const where = describeSource(cfg);
  const parsed = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ParseError) throw new SourceFetchError('SOURCE_GARBAGE', where, err.message);
      throw err;
    }
  };
  switch (cfg.type) {
    case 'gmond':
    case 'gmetad': {
      const { host, port } = cfg.address;
      const text =
        cfg.type === 'gmetad' && cfg.query !== undefined
          ? await queryGmetad(host, port, cfg.query, { timeoutMs })
          : await fetchGmondXml(host, port, { timeoutMs });
      return parsed(() => parseGangliaXml(text, { source: cfg.name }));
    }
    case 'prometheus': {
      const text = await httpGet(cfg.url, timeoutMs, where);
      const { samples } = parsed(() => parsePromText(text));
      const defaultHost = cfg.host ?? new URL(cfg.url).hostname;
      return promToSnapshot(samples, { source: cfg.name, hostLabel: cfg.hostLabel, defaultHost, now });
    }
    case 'prometheus-query': {
      const all: PromSample[] = [];
      for (const q of cfg.queries) {
        const u = new URL('api/v1/query', cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`);
        u.searchParams.set('query', q);
        const text = await httpGet(u.toString(), timeoutMs, where);
        all.push(...parsed(() => parsePromQuery(jsonOf(text, where))));
      }
      return promToSnapshot(all, { source: cfg.name, hostLabel: cfg.hostLabel, now });
    }
    case 'rrd':
      return pollRrd(cfg, now, timeoutMs, where);
    case 'alertmanager':
      return { source: cfg.name, hosts: [], samples: [] };
  }
}

function jsonOf(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SourceFetchError('SOURCE_GARBAGE', where, `not JSON: ${(err as Error).message}`);
  }
}

async function httpGet(url: string, timeoutMs: number, where: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/plain' } });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw new SourceFetchError('SOURCE_TIMEOUT', where, `no answer within ${timeoutMs} ms`);
    }
    throw new SourceFetchError('SOURCE_UNREACHABLE', where, e.cause?.code ?? e.message);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new SourceFetchError('SOURCE_UNREACHABLE', where, `HTTP ${res.status} ${res.statusText}`);
  }
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > HTTP_MAX_BYTES) {
    await res.body?.cancel();
    throw new SourceFetchError(
      'SOURCE_GARBAGE',
      where,
      `answer of ${length} bytes is over ${HTTP_MAX_BYTES}`,
    );
  }
  try {
    const text = await res.text();
    if (text.length > HTTP_MAX_BYTES) {
      throw new SourceFetchError('SOURCE_GARBAGE', where, `answer is over ${HTTP_MAX_BYTES} bytes`);
    }
    return text;
  } catch (err) {
    if (err instanceof SourceFetchError) throw err;
    const e = err as Error;
    const code = e.name === 'TimeoutError' ? 'SOURCE_TIMEOUT' : 'SOURCE_GARBAGE';
    throw new SourceFetchError(code, where, `answer cut off: ${e.message}`);
  }
}

/**
 * Ganglia's RRD tree (`DIR/CLUSTER/HOST/METRIC.rrd`, as gmetad writes it): one sample per file, the CF of the
 * values in the window. Summary directories (`__SummaryInfo__`) are not hosts. A file that fails is skipped
 * with its host still listed (its metric then reads as missing); a directory that cannot be read fails the poll.
 */
async function pollRrd(
  cfg: Extract<SourceConfig, { type: 'rrd' }>,
  now: number,
  timeoutMs: number,
  where: string,
): Promise<SourceSnapshot> {
  let files: string[];
  try {
    files = (await readdir(cfg.directory, { recursive: true })).filter((f) => f.endsWith('.rrd'));
  } catch (err) {
    throw new SourceFetchError(
      'SOURCE_UNREACHABLE',
      where,
      (err as NodeJS.ErrnoException).code ?? String(err),
    );
  }
  const hosts = new Map<string, HostInfo>();
  const samples: MetricSample[] = [];
  const window = Math.max(1, Math.round(cfg.window));
  for (const rel of files.sort()) {
    const parts = rrdPathParts(rel.split(path.sep).join('/'));
    if (!parts || parts.host === '__SummaryInfo__') continue;
    const key = `${parts.cluster}/${parts.host}`;
    let info = hosts.get(key);
    if (!info) {
      info = { name: parts.host, cluster: parts.cluster, source: cfg.name, reported: 0 };
      if (/^\d+\.\d+\.\d+\.\d+$/.test(parts.host)) info.ip = parts.host;
      hosts.set(key, info);
    }
    let rows: MetricSample[];
    try {
      const text = await rrdFetch(path.join(cfg.directory, rel), cfg.cf, window, { timeoutMs });
      rows = rrdToSamples(parseRrdFetch(text), { ...parts });
    } catch (err) {
      if (err instanceof SourceFetchError || err instanceof ParseError) continue;
      throw err;
    }
    const value = aggregateWindow(rows, cfg.cf, window, now);
    const last = rows.filter((r) => !Number.isNaN(r.value)).at(-1)?.at;
    if (last !== undefined && last > info.reported) info.reported = last;
    samples.push({
      host: parts.host,
      cluster: parts.cluster,
      name: parts.metric,
      value: value ?? NaN,
      at: last ?? now,
    });
  }
  return { source: cfg.name, hosts: [...hosts.values()], samples };
}
