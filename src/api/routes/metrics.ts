/** /metrics: Prometheus text exposition format 0.0.4. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

export interface MetricSample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
  /** Label values may be anything (rule and host names): escaped as the text format says. */
  labels?: Readonly<Record<string, string>>;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * Renders samples as `# HELP`, `# TYPE` once per name, then one value line per sample (names are ours, so
 * only label values need escaping). Samples of one name must be adjacent.
 */
export function renderPrometheus(samples: readonly MetricSample[]): string {
  let out = '';
  let last: string | undefined;
  for (const s of samples) {
    if (s.name !== last) out += `# HELP ${s.name} ${s.help}\n# TYPE ${s.name} ${s.type}\n`;
    last = s.name;
    const labels = s.labels
      ? `{${Object.entries(s.labels)
          .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
          .join(',')}}`
      : '';
    out += `${s.name}${labels} ${formatValue(s.value)}\n`;
  }
  return out;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function collectSamples(ctx: ApiContext): MetricSample[] {
  const c = ctx.counters;
  const mem = process.memoryUsage();
  const samples: MetricSample[] = [
    {
      name: 'sluice_switches_connected',
      help: 'OpenFlow switches connected.',
      type: 'gauge',
      value: ctx.switches.switches.size,
    },
  ];
  if (c) {
    samples.push(
      {
        name: 'sluice_packet_in_total',
        help: 'PACKET_IN messages received.',
        type: 'counter',
        value: c.packetIn,
      },
      {
        name: 'sluice_packet_out_total',
        help: 'PACKET_OUT messages sent.',
        type: 'counter',
        value: c.packetOut,
      },
      { name: 'sluice_flow_mod_total', help: 'FLOW_MOD messages sent.', type: 'counter', value: c.flowMods },
      {
        name: 'sluice_slave_drops_total',
        help: 'Changes to switches this cluster member is a slave of, dropped before they left.',
        type: 'counter',
        value: c.slaveDrops ?? 0,
      },
      {
        name: 'sluice_switch_errors_total',
        help: 'OFPT_ERROR messages received.',
        type: 'counter',
        value: c.switchErrors,
      },
      {
        name: 'sluice_decode_errors_total',
        help: 'Malformed OpenFlow frames received.',
        type: 'counter',
        value: c.decodeErrors,
      },
      { name: 'sluice_app_errors_total', help: 'App hooks that threw.', type: 'counter', value: c.appErrors },
      {
        name: 'sluice_request_timeouts_total',
        help: 'Switch requests without a reply in time.',
        type: 'counter',
        value: c.requestTimeouts,
      },
    );
  }
  if (ctx.hosts) {
    samples.push({
      name: 'sluice_hosts',
      help: 'Hosts known.',
      type: 'gauge',
      value: ctx.hosts.find({}).length,
    });
  }
  if (ctx.topology) {
    samples.push({
      name: 'sluice_links',
      help: 'Links between switches.',
      type: 'gauge',
      value: ctx.topology.links().length,
    });
  }
  for (const more of ctx.metrics ?? []) samples.push(...more());
  samples.push(
    {
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes.',
      type: 'gauge',
      value: mem.rss,
    },
    { name: 'nodejs_heap_used_bytes', help: 'V8 heap in use in bytes.', type: 'gauge', value: mem.heapUsed },
    {
      name: 'sluice_uptime_seconds',
      help: 'Seconds since the controller started.',
      type: 'gauge',
      value: (ctx.now() - ctx.startedAt) / 1000,
    },
  );
  return samples;
}

export function metricsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/metrics',
    { schema: { tags: ['sluice'], summary: 'Prometheus metrics' } },
    async (_req, reply) => {
      void reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      return renderPrometheus(collectSamples(ctx));
    },
  );
}
