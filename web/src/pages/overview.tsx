/**
 * The controller at a glance, refreshed every 2 s: health, uptime, memory, version, apps, what it knows
 * (switches, links, hosts, flows) and PACKET_IN / FLOW_MOD rates over the last minutes.
 */
import { useMemo, useRef } from 'react';
import type uPlot from 'uplot';
import type { SluiceClient } from '../api.js';
import { TimeChart } from '../chart.js';
import { ratesBetween, unlabelledSamples, type CounterPoint } from '../metrics.js';
import { Figure, formatBytes, formatDuration, ProblemNote, usePoll } from '../ui.js';

/** Flow counts ask each switch (aggregate stats); past this many switches the count says it is partial. */
export const FLOW_COUNT_SWITCHES = 32;
const FLOW_POLL_MS = 5000;
/** Points kept on the chart: 5 minutes at one per 2 s. */
const HISTORY = 150;

const COUNTERS = { packetIn: 'sluice_packet_in_total', flowMods: 'sluice_flow_mod_total' } as const;

interface OverviewData {
  version: string;
  uptimeSec: number;
  memory: Record<string, number>;
  apps: string[];
  switches: number;
  links: number;
  hosts: number;
  counters: CounterPoint;
}

interface FlowCount {
  count: number;
  /** Switches asked (at most FLOW_COUNT_SWITCHES). */
  counted: number;
  of: number;
}

async function loadOverview(client: SluiceClient): Promise<OverviewData> {
  const [health, memory, modules, summary, metrics] = await Promise.all([
    client.health(),
    client.floodlight.memory(),
    client.floodlight.modules('loaded'),
    client.floodlight.summary(),
    client.metrics(),
  ]);
  const samples = unlabelledSamples(metrics);
  const values: Record<string, number> = {};
  for (const [key, name] of Object.entries(COUNTERS)) values[key] = samples.get(name) ?? 0;
  return {
    version: health.version,
    uptimeSec: health.uptimeSec,
    memory,
    apps: Object.keys(modules).map((m) => m.replace(/^sluice\.apps\./, '')),
    switches: summary['# Switches'] ?? health.switches,
    links: summary['# inter-switch links'] ?? 0,
    hosts: summary['# hosts'] ?? 0,
    counters: { t: Date.now() / 1000, values },
  };
}

/** Each switch answers for its own flows, live: slower than the rest, so polled on its own and less often. */
async function loadFlowCount(client: SluiceClient): Promise<FlowCount> {
  const switches = await client.switches();
  const asked = switches.slice(0, FLOW_COUNT_SWITCHES);
  const aggregates = await Promise.all(
    asked.map((s) => client.stats(s.dpid, 'aggregate') as Promise<{ flowCount?: number }>),
  );
  return {
    count: aggregates.reduce((n, a) => n + (a.flowCount ?? 0), 0),
    counted: asked.length,
    of: switches.length,
  };
}

export function Overview() {
  const { data, problem } = usePoll(loadOverview);
  const flows = usePoll(loadFlowCount, FLOW_POLL_MS);
  const history = useRef<{
    last?: CounterPoint;
    t: number[];
    packetIn: (number | null)[];
    flowMods: (number | null)[];
  }>({
    t: [],
    packetIn: [],
    flowMods: [],
  });

  // One chart point per new reading (a re-render with the same reading adds none).
  const chartData = useMemo<uPlot.AlignedData>(() => {
    const h = history.current;
    if (data && data.counters !== h.last) {
      if (h.last) {
        const r = ratesBetween(h.last, data.counters);
        h.t.push(data.counters.t);
        h.packetIn.push(r.packetIn ?? null);
        h.flowMods.push(r.flowMods ?? null);
        if (h.t.length > HISTORY) {
          h.t.shift();
          h.packetIn.shift();
          h.flowMods.shift();
        }
      }
      h.last = data.counters;
    }
    return [[...h.t], [...h.packetIn], [...h.flowMods]];
  }, [data]);

  return (
    <section className="overview">
      {problem ? <ProblemNote problem={problem} /> : null}
      {/* The flow count's own failure, unless the main poll already says the same (a lost connection). */}
      {flows.problem && flows.problem.kind !== problem?.kind ? <ProblemNote problem={flows.problem} /> : null}
      {data ? (
        <>
          <div className="figures">
            <Figure id="health" label="Health" value={problem ? 'unreachable' : 'ok'} />
            <Figure id="uptime" label="Uptime" value={formatDuration(data.uptimeSec)} />
            <Figure id="version" label="Version" value={data.version} />
            <Figure
              id="memory"
              label="Memory (RSS / heap)"
              value={`${formatBytes(data.memory.rss ?? 0)} / ${formatBytes(data.memory.heapUsed ?? 0)}`}
            />
          </div>
          <div className="figures">
            <Figure id="count-switches" label="Switches" value={data.switches} />
            <Figure id="count-links" label="Links" value={data.links} />
            <Figure id="count-hosts" label="Hosts" value={data.hosts} />
            <Figure
              id="count-flows"
              label={
                flows.data && flows.data.counted < flows.data.of
                  ? `Flows (first ${flows.data.counted} of ${flows.data.of} switches)`
                  : 'Flows'
              }
              value={flows.data?.count}
            />
          </div>
          <TimeChart
            title="OpenFlow messages"
            series={[
              { label: 'PACKET_IN /s', color: '#d9480f' },
              { label: 'FLOW_MOD /s', color: '#1f6feb' },
            ]}
            data={chartData}
          />
          <h2>Apps</h2>
          <ul className="apps" data-testid="apps">
            {data.apps.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
        </>
      ) : problem ? null : (
        <p className="loading">Loading…</p>
      )}
    </section>
  );
}
