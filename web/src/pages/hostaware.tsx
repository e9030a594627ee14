/**
 * Host-aware networking, live: the metric sources and their health, the monitored hosts with their current
 * metrics and a sparkline of what this page has seen (polled every 2 s), the rules with their state per host,
 * and the messages as they arrive (the Server-Sent Events stream, read with fetch so the token header goes
 * along). Sources and rules can be added and deleted here; a refused one shows the API's reason and field.
 */
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import {
  HAND_ACTION_TYPES,
  HAND_COMPARATORS,
  HAND_SOURCE_TYPES,
  type HandActionType,
  type HandHost,
  type HandHostMetrics,
  type HandMessage,
  type HandRuleView,
  type HandSource,
  type HandSourceType,
  type HandStatus,
} from '../../../src/client/index.js';
import { isUnauthorized, problemOf, type Problem, type SluiceClient } from '../api.js';
import { useSession } from '../session.js';
import { Figure, ProblemNote, usePoll } from '../ui.js';
import { Sparkline } from '../sparkline.js';
import './panels.css';

/** Hosts whose metrics are fetched each refresh (one request each): the rest are listed without them. */
export const METRIC_HOSTS = 20;
/** Points per sparkline: 2 minutes at one per 2 s. */
const SPARK_POINTS = 60;
/** Messages kept on the page (the newest). */
const MESSAGES_KEPT = 200;
/** After the stream failed outright (not a drop, which the client reconnects itself). */
const STREAM_RETRY_MS = 5000;

interface HandData {
  status: HandStatus;
  sources: HandSource[];
  hosts: HandHost[];
  metrics: HandHostMetrics[];
  rules: HandRuleView[];
}

async function loadHostaware(client: SluiceClient): Promise<HandData> {
  const h = client.hostaware;
  const [status, sources, hosts, rules] = await Promise.all([h.status(), h.sources(), h.hosts(), h.rules()]);
  const metrics = await Promise.all(hosts.slice(0, METRIC_HOSTS).map((x) => h.metrics(x.name)));
  return { status, sources, hosts, metrics, rules };
}

/** Each metric's values as this page saw them, newest last, one per new sample (`at` changed). */
function useMetricHistory(metrics: HandHostMetrics[] | undefined): Map<string, number[]> {
  const seen = useRef(new Map<string, { at: number; values: number[] }>());
  const [out, setOut] = useState(new Map<string, number[]>());
  useEffect(() => {
    if (!metrics) return;
    const h = seen.current;
    for (const m of metrics) {
      for (const [name, v] of Object.entries(m.metrics)) {
        const key = seriesKey(m.host.name, name);
        const s = h.get(key) ?? { at: -1, values: [] };
        if (s.at !== v.at) {
          s.values.push(v.value);
          if (s.values.length > SPARK_POINTS) s.values.shift();
          s.at = v.at;
        }
        h.set(key, s);
      }
    }
    setOut(new Map([...h].map(([k, s]) => [k, [...s.values]])));
  }, [metrics]);
  return out;
}

const seriesKey = (host: string, metric: string) => `${host}\u0000${metric}`;

export function HostAware() {
  const { data, problem } = usePoll(loadHostaware);
  const history = useMetricHistory(data?.metrics);
  const missing = problem?.kind === 'missing';

  return (
    <section className="hostaware">
      {problem ? <ProblemNote problem={problem} /> : null}
      {data && !missing ? (
        <>
          {data.status.enabled ? null : (
            <p className="note" data-testid="hand-disabled">
              Host-aware networking is disabled on this controller: rules are not judged and no action is in
              effect. Enable it with <code>sluice hostaware enable</code> (PUT /api/v1/hostaware).
            </p>
          )}
          <div className="figures">
            <Figure id="hand-sources" label="Sources" value={data.status.sources} />
            <Figure id="hand-hosts" label="Monitored hosts" value={data.status.hosts} />
            <Figure id="hand-rules" label="Rules" value={data.status.rules} />
            <Figure id="hand-actions" label="Actions in effect" value={data.status.activeActions} />
          </div>
          <Sources sources={data.sources} />
          <Hosts hosts={data.hosts} metrics={data.metrics} history={history} />
          <Rules rules={data.rules} />
        </>
      ) : problem ? null : (
        <p className="loading">Loading…</p>
      )}
      {missing ? null : <Messages />}
    </section>
  );
}

// ---- sources

function Sources({ sources }: { sources: HandSource[] }) {
  return (
    <>
      <h2>Sources</h2>
      {sources.length === 0 ? (
        <p className="note" data-testid="no-sources">
          No metric source yet. Add one below (a Ganglia gmond or gmetad, RRD files, Prometheus,
          Alertmanager), or with <code>sluice hostaware source add</code>.
        </p>
      ) : (
        <table className="grid" data-testid="sources">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Health</th>
              <th>Hosts</th>
              <th>Samples</th>
              <th>Polled every</th>
              <th>Last poll</th>
              <th>Where</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sources.map((s) => (
              <tr key={s.name} data-testid={`source-${s.name}`}>
                <td>{s.name}</td>
                <td>{s.type}</td>
                <td>
                  <span className={`badge state-${s.state}`} data-testid="source-state">
                    {s.state}
                  </span>
                  {s.failures > 0 ? ` ${s.failures} failed` : null}
                  {s.error ? (
                    <div className="small" data-testid="source-error">
                      {s.error.code}: {s.error.message}
                    </div>
                  ) : null}
                </td>
                <td>{s.hosts}</td>
                <td>{s.samples}</td>
                <td>{s.pollEvery} s</td>
                <td>
                  {s.lastPoll
                    ? `${timeOf(s.lastPoll)}${s.pollMs !== undefined ? ` (${s.pollMs} ms)` : ''}`
                    : '–'}
                </td>
                <td className="small">{s.description}</td>
                <td>
                  <DeleteButton what={`source ${s.name}`} run={(c) => c.hostaware.deleteSource(s.name)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AddSource />
    </>
  );
}

/** The key each source type takes its location in (the one field this form asks for). */
const LOCATION_KEY: Record<HandSourceType, string> = {
  gmond: 'address',
  gmetad: 'address',
  rrd: 'directory',
  prometheus: 'url',
  'prometheus-query': 'url',
  alertmanager: 'path',
};

function AddSource() {
  const [type, setType] = useState<HandSourceType>('gmond');
  const [name, setName] = useState('');
  const [where, setWhere] = useState('');
  const [interval, setInterval] = useState('');
  const key = LOCATION_KEY[type];
  return (
    <ActionForm
      label="Add a source"
      submit={(c) =>
        c.hostaware.addSource({
          type,
          ...(name.trim() ? { name: name.trim() } : {}),
          [key]: where.trim(),
          // Sent as typed: the API says what is wrong with it.
          ...(interval.trim() ? { interval: Number(interval) } : {}),
        })
      }
      done={() => {
        setName('');
        setWhere('');
      }}
    >
      <label>
        Type
        <select value={type} onChange={(e) => setType(e.target.value as HandSourceType)}>
          {HAND_SOURCE_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="optional" />
      </label>
      <label>
        {key}
        <input
          name={key}
          value={where}
          onChange={(e) => setWhere(e.target.value)}
          placeholder={type === 'gmond' || type === 'gmetad' ? 'host:port' : ''}
        />
      </label>
      <label>
        Interval (s)
        <input value={interval} onChange={(e) => setInterval(e.target.value)} size={5} />
      </label>
    </ActionForm>
  );
}

// ---- hosts

function Hosts({
  hosts,
  metrics,
  history,
}: {
  hosts: HandHost[];
  metrics: HandHostMetrics[];
  history: Map<string, number[]>;
}) {
  const byHost = new Map(metrics.map((m) => [m.host.name, m]));
  return (
    <>
      <h2>Hosts</h2>
      {hosts.length === 0 ? (
        <p className="note" data-testid="no-hosts">
          No host reported yet: hosts appear once a source reports them.
        </p>
      ) : (
        <>
          {hosts.length > METRIC_HOSTS ? (
            <p className="small">
              Metrics of the first {METRIC_HOSTS} of {hosts.length} hosts;{' '}
              <code>sluice hostaware metrics</code> shows any host.
            </p>
          ) : null}
          <div className="hand-hosts">
            {hosts.map((h) => (
              <HostCard key={h.name} host={h} metrics={byHost.get(h.name)} history={history} />
            ))}
          </div>
        </>
      )}
    </>
  );
}

function HostCard({
  host,
  metrics,
  history,
}: {
  host: HandHost;
  metrics?: HandHostMetrics;
  history: Map<string, number[]>;
}) {
  const entries = Object.entries(metrics?.metrics ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="card" data-testid={`host-${host.name}`}>
      <div className="card-head">
        <strong>{host.name}</strong>
        <span className={`badge state-${host.state}`}>{host.state}</span>
        <span className="small">
          {[host.ip, host.cluster, `from ${host.source}`].filter(Boolean).join(' · ')}
          {host.attached
            ? ` · at ${host.switch ?? '?'} port ${host.port ?? '?'}`
            : ' · not seen on the network'}
        </span>
      </div>
      {entries.length ? (
        <table className="metrics">
          <tbody>
            {entries.map(([name, v]) => (
              <tr key={name} data-testid={`metric-${name}`} className={v.stale ? 'stale' : undefined}>
                <td>{name}</td>
                <td className="num" data-testid="metric-value">
                  {formatValue(v.value)}
                  {v.units ? ` ${v.units}` : ''}
                </td>
                <td>
                  <Sparkline values={history.get(seriesKey(host.name, name)) ?? []} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="small">{metrics ? 'No metrics reported.' : `${host.metrics} metrics (not fetched).`}</p>
      )}
    </div>
  );
}

// ---- rules

function Rules({ rules }: { rules: HandRuleView[] }) {
  return (
    <>
      <h2>Rules</h2>
      {rules.length === 0 ? (
        <p className="note" data-testid="no-rules">
          No rule yet. A rule names hosts, conditions on their metrics and an action (add one below, or{' '}
          <code>sluice hostaware rule add</code>).
        </p>
      ) : (
        <table className="grid" data-testid="rules">
          <thead>
            <tr>
              <th>Name</th>
              <th>Hosts</th>
              <th>When</th>
              <th>Action</th>
              <th>State per host</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.map(({ rule, issues, hosts }) => (
              <tr key={rule.name} data-testid={`rule-${rule.name}`}>
                <td>
                  {rule.name}
                  {rule.active ? null : <span className="badge state-unknown">inactive</span>}
                </td>
                <td>{rule.host}</td>
                <td className="small">
                  {rule.conditions
                    .map(
                      (c) =>
                        `${c.metric} ${c.comparator} ${c.value}${c.window ? ` (${c.window.agg} ${c.window.seconds} s)` : ''}`,
                    )
                    .join(rule.join === 'all' ? ' and ' : ' or ')}
                  {` for ${rule.checkLimit} poll${rule.checkLimit === 1 ? '' : 's'}`}
                </td>
                <td>
                  {rule.action.type}
                  {issues.length ? (
                    <div className="small warn" data-testid="rule-issues">
                      {issues.join('; ')}
                    </div>
                  ) : null}
                </td>
                <td data-testid="rule-states">
                  {hosts.length === 0
                    ? 'no host judged yet'
                    : hosts.map((h) => (
                        <div key={h.host} data-testid={`rule-state-${h.host}`}>
                          {h.host}: <span className={`badge state-${h.state}`}>{h.state}</span>
                          {h.metCount > 0 ? ` met ${h.metCount}/${rule.checkLimit}` : ''}
                          {h.error ? <span className="small warn"> {h.error}</span> : null}
                        </div>
                      ))}
                </td>
                <td>
                  <DeleteButton what={`rule ${rule.name}`} run={(c) => c.hostaware.deleteRule(rule.name)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AddRule />
    </>
  );
}

function AddRule() {
  const [f, setF] = useState({
    name: '',
    host: '',
    metric: '',
    comparator: 'gt',
    value: '',
    checkLimit: '1',
    action: 'report' as HandActionType,
  });
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) =>
    setF((s) => ({ ...s, [k]: e.target.value }));
  return (
    <ActionForm
      label="Add a rule"
      submit={(c) =>
        c.hostaware.addRule({
          name: f.name.trim(),
          host: f.host.trim(),
          conditions: [
            {
              metric: f.metric.trim(),
              comparator: f.comparator as (typeof HAND_COMPARATORS)[number],
              // A number when it reads as one; else as typed, for the API to judge.
              value: f.value.trim() !== '' && !Number.isNaN(Number(f.value)) ? Number(f.value) : f.value,
            },
          ],
          checkLimit: Number(f.checkLimit),
          action: { type: f.action },
        })
      }
      done={() => setF((s) => ({ ...s, name: '' }))}
    >
      <label>
        Name
        <input value={f.name} onChange={set('name')} />
      </label>
      <label>
        Hosts
        <input value={f.host} onChange={set('host')} placeholder="name, IP, web-*, cluster:X or *" />
      </label>
      <label>
        Metric
        <input value={f.metric} onChange={set('metric')} placeholder="e.g. bytes_out" />
      </label>
      <label>
        Is
        <select value={f.comparator} onChange={set('comparator')}>
          {HAND_COMPARATORS.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </label>
      <label>
        Value
        <input value={f.value} onChange={set('value')} size={8} />
      </label>
      <label>
        For polls
        <input value={f.checkLimit} onChange={set('checkLimit')} size={3} />
      </label>
      <label>
        Action
        <select value={f.action} onChange={set('action')}>
          {HAND_ACTION_TYPES.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
    </ActionForm>
  );
}

// ---- messages

type StreamState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; problem: Problem; delayMs: number }
  | { kind: 'failed'; problem: Problem };

/**
 * The newest messages, then each new one as the stream delivers it. The client reconnects a dropped stream
 * from the last seq it saw; a stream that cannot start is retried from here.
 */
function useMessages(): { messages: HandMessage[]; state: StreamState } {
  const { client, unauthorized } = useSession();
  const [messages, setMessages] = useState<HandMessage[]>([]);
  const [state, setState] = useState<StreamState>({ kind: 'connecting' });
  useEffect(() => {
    const stop = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const page = await client.hostaware.messages({ limit: MESSAGES_KEPT });
        if (stop.signal.aborted) return;
        setMessages(page.messages);
        const stream = client.hostaware.stream({
          after: page.next,
          signal: stop.signal,
          onOpen: () => setState({ kind: 'live' }),
          onReconnect: (err, delayMs) => setState({ kind: 'reconnecting', problem: problemOf(err), delayMs }),
        });
        for await (const m of stream) setMessages((ms) => [...ms, m].slice(-MESSAGES_KEPT));
      } catch (err) {
        if (stop.signal.aborted) return;
        if (isUnauthorized(err)) {
          unauthorized();
          return;
        }
        setState({ kind: 'failed', problem: problemOf(err) });
        retry = setTimeout(() => void run(), STREAM_RETRY_MS);
      }
    };
    void run();
    return () => {
      stop.abort();
      clearTimeout(retry);
    };
  }, [client, unauthorized]);
  return { messages, state };
}

function Messages() {
  const { messages, state } = useMessages();
  return (
    <>
      <h2>
        Messages{' '}
        <span className={`badge stream-${state.kind}`} data-testid="stream-state">
          {state.kind === 'live' ? 'live' : state.kind === 'connecting' ? 'connecting…' : state.kind}
        </span>
      </h2>
      {state.kind === 'reconnecting' ? (
        <ProblemNote
          problem={{
            ...state.problem,
            title: `The message stream dropped; reconnecting in ${Math.round(state.delayMs / 1000)} s`,
          }}
        />
      ) : state.kind === 'failed' ? (
        <ProblemNote problem={state.problem} />
      ) : null}
      {messages.length === 0 ? (
        <p className="note" data-testid="no-messages">
          No message yet: sources, rules and their actions report here as they happen.
        </p>
      ) : (
        <ol className="messages" data-testid="messages" reversed>
          {[...messages].reverse().map((m) => (
            <li key={m.seq} data-testid="message" className={`msg-${m.type}`}>
              <span className="small">{timeOf(m.at)}</span>
              <span className={`badge type-${m.type}`}>{m.type}</span>
              <span className="small">
                {[m.rule && `rule ${m.rule}`, m.host && `host ${m.host}`, m.source && `source ${m.source}`]
                  .filter(Boolean)
                  .join(' · ')}
              </span>
              <span>{m.message}</span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

// ---- small parts

/**
 * A form whose submit calls the API: busy while it runs, the API's refusal (detail and field) in place, cleared
 * by the next success. The page's poll shows the result.
 */
function ActionForm({
  label,
  submit,
  done,
  children,
}: {
  label: string;
  submit: (c: SluiceClient) => Promise<unknown>;
  done: () => void;
  children: ReactNode;
}) {
  const { client, unauthorized } = useSession();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await submit(client);
      setProblem(undefined);
      done();
    } catch (err) {
      if (isUnauthorized(err)) unauthorized();
      else setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" aria-label={label} onSubmit={(e) => void onSubmit(e)}>
      <strong>{label}</strong>
      {children}
      <button type="submit" disabled={busy}>
        Add
      </button>
      {problem ? <ProblemNote problem={problem} /> : null}
    </form>
  );
}

function DeleteButton({ what, run }: { what: string; run: (c: SluiceClient) => Promise<unknown> }) {
  const { client, unauthorized } = useSession();
  const [problem, setProblem] = useState<Problem>();
  const onClick = async () => {
    try {
      await run(client);
    } catch (err) {
      if (isUnauthorized(err)) unauthorized();
      else setProblem(problemOf(err));
    }
  };
  return (
    <>
      <button type="button" aria-label={`Delete ${what}`} onClick={() => void onClick()}>
        Delete
      </button>
      {problem ? <ProblemNote problem={problem} /> : null}
    </>
  );
}

const timeOf = (ms: number) => new Date(ms).toLocaleTimeString();

function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}
