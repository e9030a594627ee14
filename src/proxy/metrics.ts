/**
 * The proxy's Prometheus metrics (text exposition 0.0.4, written by hand: four families need no library):
 * requests by method and status, request durations, adapter calls by adapter, hook and outcome with their
 * durations, requests in flight, upgraded connections open.
 */
import type { AdapterRun } from './types.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(l: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(l);
  if (extra) pairs.push(extra);
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
}

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels, by = 1): void {
    const key = JSON.stringify(labels);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels, value: by });
  }
  get(labels: Labels): number {
    return this.values.get(JSON.stringify(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values())
      lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n') + '\n';
  }
}

class Histogram {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, seconds: number): void {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) s.counts[i]++;
    s.sum += seconds;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      BUCKETS.forEach((b, i) =>
        lines.push(`${this.name}_bucket${labelText(s.labels, ['le', String(b)])} ${s.counts[i]}`),
      );
      lines.push(`${this.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n') + '\n';
  }
}

export class ProxyMetrics {
  readonly requests = new Counter(
    'sluice_proxy_requests_total',
    'Docker API requests answered, by method and status.',
  );
  readonly duration = new Histogram(
    'sluice_proxy_request_duration_seconds',
    'Time from request to the end of the answer (streams and upgrades excluded), by method.',
  );
  readonly adapterCalls = new Counter(
    'sluice_proxy_adapter_calls_total',
    'Adapter hook calls, by adapter, hook (pre/post) and outcome (ok/failed).',
  );
  readonly adapterDuration = new Histogram(
    'sluice_proxy_adapter_call_duration_seconds',
    'Adapter hook call durations, by adapter, hook and outcome.',
  );
  readonly upgrades = new Counter(
    'sluice_proxy_upgrades_total',
    'Upgraded (hijacked) connections, by outcome.',
  );
  inFlight = 0;
  upgradedOpen = 0;

  request(method: string, status: number, seconds: number | undefined): void {
    this.requests.inc({ method, status: String(status) });
    if (seconds !== undefined) this.duration.observe({ method }, seconds);
  }

  adapterRuns(runs: readonly AdapterRun[]): void {
    for (const r of runs) {
      const labels = { adapter: r.adapter, hook: r.hook, outcome: r.ok ? 'ok' : 'failed' };
      this.adapterCalls.inc(labels);
      this.adapterDuration.observe(labels, r.ms / 1000);
    }
  }

  render(): string {
    const gauge = (name: string, help: string, v: number) =>
      `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${v}\n`;
    return [
      this.requests.render(),
      this.duration.render(),
      this.adapterCalls.render(),
      this.adapterDuration.render(),
      this.upgrades.render(),
      gauge(
        'sluice_proxy_requests_in_flight',
        'Requests being answered now (streams included).',
        this.inFlight,
      ),
      gauge('sluice_proxy_upgraded_connections_open', 'Upgraded connections spliced now.', this.upgradedOpen),
    ].join('');
  }
}
