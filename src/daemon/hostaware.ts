/** The host-aware app's /metrics samples: per rule and host, and per source (issue 10, item 5). */
import type { MetricSample } from '../api/routes/metrics.js';
import type { HostAwareApp, RuleState } from '../apps/hostaware/index.js';

const STATES: readonly RuleState[] = ['idle', 'pending', 'active', 'suppressed', 'cooling', 'stale', 'error'];

export function hostAwareMetrics(app: HostAwareApp): () => MetricSample[] {
  return () => {
    const status = app.ruleStatus();
    const out: MetricSample[] = [];
    const each = (
      name: string,
      help: string,
      type: MetricSample['type'],
      rows: { labels: Record<string, string>; value: number }[],
    ) => {
      for (const r of rows) out.push({ name, help, type, value: r.value, labels: r.labels });
    };
    each(
      'sluice_hostaware_rule_state',
      'Rule state per host (1 for the current state).',
      'gauge',
      status.flatMap((s) =>
        STATES.map((st) => ({
          labels: { rule: s.rule, host: s.host, state: st },
          value: s.state === st ? 1 : 0,
        })),
      ),
    );
    each(
      'sluice_hostaware_rule_met_count',
      'Consecutive polls the rule was met on the host.',
      'gauge',
      status.map((s) => ({ labels: { rule: s.rule, host: s.host }, value: s.metCount })),
    );
    each(
      'sluice_hostaware_rule_last_value',
      'The value each condition was last judged on (NaN: unknown).',
      'gauge',
      status.flatMap((s) =>
        s.lastValues.map((v, i) => ({
          labels: { rule: s.rule, host: s.host, condition: String(i) },
          value: v ?? NaN,
        })),
      ),
    );
    each(
      'sluice_hostaware_rule_last_eval_timestamp_seconds',
      'When the rule was last evaluated on the host.',
      'gauge',
      status
        .filter((s) => s.lastEval !== undefined)
        .map((s) => ({ labels: { rule: s.rule, host: s.host }, value: s.lastEval! / 1000 })),
    );
    const sources = app.listSources();
    each(
      'sluice_hostaware_source_up',
      'Whether the source answered its last poll.',
      'gauge',
      sources.map((s) => ({ labels: { source: s.name, type: s.type }, value: s.state === 'ok' ? 1 : 0 })),
    );
    each(
      'sluice_hostaware_source_hosts',
      'Hosts the source reported in its last good poll.',
      'gauge',
      sources.map((s) => ({ labels: { source: s.name }, value: s.hosts })),
    );
    const c = app.counters;
    out.push(
      { name: 'sluice_hostaware_polls_total', help: 'Source polls.', type: 'counter', value: c.polls },
      {
        name: 'sluice_hostaware_poll_failures_total',
        help: 'Source polls that failed.',
        type: 'counter',
        value: c.pollFailures,
      },
      {
        name: 'sluice_hostaware_actions_applied_total',
        help: 'Rule actions applied.',
        type: 'counter',
        value: c.actionsApplied,
      },
      {
        name: 'sluice_hostaware_actions_undone_total',
        help: 'Rule actions undone.',
        type: 'counter',
        value: c.actionsUndone,
      },
      {
        name: 'sluice_hostaware_action_errors_total',
        help: 'Rule actions that failed.',
        type: 'counter',
        value: c.actionErrors,
      },
    );
    return out;
  };
}
