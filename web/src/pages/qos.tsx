/**
 * QoS (/api/v1/qos): on/off, ToS services, policies (with where each is placed), QoS paths with their hops,
 * and the queues OVSDB has per port. The forms send what was typed (the module's keys); the qos app judges
 * it and its error shows next to the field it names.
 */
import { useState } from 'react';
import type {
  QosPath,
  QosPolicy,
  QosPortQueues,
  QosService,
  QosStatus,
  SluiceClient,
  Switch,
} from '../../../src/client/index.js';
import {
  ActionNote,
  filled,
  Form,
  Inputs,
  OnOff,
  RunButton,
  useAction,
  useValues,
  type InputDef,
} from '../forms.js';
import { problemOf, type Problem } from '../api.js';
import { followLink } from '../nav.js';
import { ListTable, Loaded, ProblemNote, usePoll } from '../ui.js';

interface QosData {
  status: QosStatus;
  services: QosService[];
  policies: QosPolicy[];
  paths: QosPath[];
  /** Or why OVSDB could not say. */
  queues: QosPortQueues[] | Problem;
  switches: Switch[];
}

async function load(client: SluiceClient): Promise<QosData> {
  const [status, services, policies, paths, switches] = await Promise.all([
    client.qos.status(),
    client.qos.services(),
    client.qos.policies(),
    client.qos.paths(),
    client.switches(),
  ]);
  // OVSDB may be out of reach while the rest works: the queues then say so on their own.
  const queues = await client.qos.queues().catch((err: unknown) => problemOf(err));
  return { status, services, policies, paths, queues, switches };
}

/** What a policy does, by its action keys. */
type Kind = 'queue' | 'service' | 'rate-kbps';
const KINDS = [
  { value: 'rate-kbps', label: 'limit rate (meter, OpenFlow 1.3)' },
  { value: 'queue', label: 'enqueue' },
  { value: 'service', label: 'set ToS (service)' },
];
const MATCH_KEYS = [
  'eth-type',
  'protocol',
  'ingress-port',
  'ip-src',
  'ip-dst',
  'tos',
  'src-port',
  'dst-port',
];
const ACTION_KEYS: Record<Kind, string[]> = {
  queue: ['queue', 'enqueue-port'],
  service: ['service', 'out-port'],
  'rate-kbps': ['rate-kbps', 'burst-kb', 'out-port'],
};
const LABELS: Record<string, string> = {
  'eth-type': 'EtherType',
  protocol: 'IP protocol',
  'ingress-port': 'In port',
  'ip-src': 'Source IP',
  'ip-dst': 'Destination IP',
  tos: 'ToS byte',
  'src-port': 'Source port',
  'dst-port': 'Destination port',
  queue: 'Queue',
  'enqueue-port': 'Enqueue port',
  service: 'Service',
  'out-port': 'Out port',
  'rate-kbps': 'Rate (kbit/s)',
  'burst-kb': 'Burst (kbit)',
};
const NAME = { name: 'name', label: 'Name' };
const PRIORITY = { name: 'priority', label: 'Priority', placeholder: '32767' };
const SERVICE_INPUTS: readonly InputDef[] = [
  { ...NAME, placeholder: 'Expedited' },
  { name: 'tos', label: 'ToS byte', placeholder: '184 (DSCP 46)' },
];
const PATH_INPUTS: readonly InputDef[] = [
  NAME,
  { name: 'src-ip', label: 'From host IP', placeholder: '10.0.0.1' },
  { name: 'dst-ip', label: 'To host IP', placeholder: '10.0.0.2' },
  PRIORITY,
];
const QUEUE_INPUTS: readonly InputDef[] = [
  { name: 'port', label: 'Port (interface)', placeholder: 's1-eth2' },
  { name: 'max-rate', label: 'Max rate (bit/s)', placeholder: '1000000000' },
  { name: 'queues', label: 'Queues (id=max-rate, …)', placeholder: '0=1000000000, 1=2000000' },
];
const KEYS_SHOWN = new Set(['policy-id', 'name', 'sw', 'priority', 'placements']);

export function Qos() {
  const polled = usePoll(load);
  const { problem } = polled;
  if (problem?.kind === 'missing') return <ProblemNote problem={problem} />;
  return (
    <section className="qos">
      {problem ? <ProblemNote problem={problem} /> : null}
      <Loaded polled={polled}>
        {(data) => (
          <>
            <OnOff
              what="QoS"
              enabled={data.status.enabled}
              set={(c, on) => (on ? c.qos.enable() : c.qos.disable())}
              offNote="Disabled: policies and paths are kept but none is on a switch."
            />
            <Services services={data.services} />
            <Policies policies={data.policies} services={data.services} switches={data.switches} />
            <Paths paths={data.paths} services={data.services} />
            <Queues queues={data.queues} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function Services({ services }: { services: QosService[] }) {
  const add = useAction();
  const remove = useAction();
  const { values, setValues, set } = useValues(() => ({ name: '', tos: '' }));
  const submit = () =>
    void add
      .run(async (c) => {
        const s = await c.qos.addService(filled(values) as { name: string; tos: string });
        return `Added service ${s.name} (sid ${s.sid})`;
      })
      .then((ok) => ok && setValues({ name: '', tos: '' }));
  return (
    <>
      <h2>Services</h2>
      <Form label="QoS service" onSubmit={submit} action={add} submit="Add service" fields={['name', 'tos']}>
        <Inputs defs={SERVICE_INPUTS} values={values} set={set} action={add} />
      </Form>
      <ActionNote action={remove} />
      <ListTable
        testid="qos-services"
        headers={['Sid', 'Name', 'ToS', '']}
        items={services}
        row={(s) => (
          <tr key={s.sid}>
            <td>{s.sid}</td>
            <td>{s.name}</td>
            <td>
              {s.tos} (DSCP {s.tos >> 2})
            </td>
            <td>
              <RunButton
                action={remove}
                call={(c) => c.qos.deleteService(s.sid)}
                done={`Deleted service ${s.name}`}
              />
            </td>
          </tr>
        )}
      />
    </>
  );
}

/** A policy form's state (the policy and the path form): values, what the policy does, add and delete. */
function usePolicyForm(initial: () => Record<string, string>) {
  const add = useAction();
  const remove = useAction();
  const [kind, setKind] = useState<Kind>('rate-kbps');
  return { add, remove, kind, setKind, ...useValues(initial) };
}

/** The inputs of a policy's match and action (shared by the policy and the path form). */
function PolicyInputs({
  form: { values, set, kind, setKind, add: action },
  services,
  only,
}: {
  form: ReturnType<typeof usePolicyForm>;
  services: QosService[];
  /** The keys to offer (a path fills in some per hop). */
  only: (k: string) => boolean;
}) {
  return (
    <>
      <Inputs
        defs={MATCH_KEYS.filter(only).map((k) => ({ name: k, label: LABELS[k], placeholder: 'any' }))}
        values={values}
        set={set}
        action={action}
      />
      <label className="field">
        <span className="field-label">Does</span>
        <select aria-label="Does" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          {KINDS.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      <Inputs
        defs={ACTION_KEYS[kind].filter(only).map((k) =>
          k === 'service'
            ? {
                name: k,
                label: LABELS[k],
                options: [{ value: '', label: '…' }, ...services.map((s) => ({ value: s.name }))],
              }
            : { name: k, label: LABELS[k] },
        )}
        values={values}
        set={set}
        action={action}
      />
    </>
  );
}

/** The values a policy form sends: its match, its kind's action keys only, and the rest given. */
function policyBody(
  values: Record<string, string>,
  kind: Kind,
  keys: readonly string[],
): Record<string, string> {
  const wanted = new Set([...keys, ...MATCH_KEYS, ...ACTION_KEYS[kind]]);
  return filled(Object.fromEntries(Object.entries(values).filter(([k]) => wanted.has(k))));
}

function Policies({
  policies,
  services,
  switches,
}: {
  policies: QosPolicy[];
  services: QosService[];
  switches: Switch[];
}) {
  const form = usePolicyForm(() => ({ name: '', sw: 'all', priority: '' }));
  const { add, remove, values, setValues, set, kind } = form;
  const submit = () =>
    void add
      .run(async (c) => {
        const p = await c.qos.addPolicy(policyBody(values, kind, ['name', 'sw', 'priority']));
        return `Added policy ${p.name} (id ${p['policy-id']})`;
      })
      .then((ok) => ok && setValues({ name: '', sw: values.sw, priority: '' }));
  return (
    <>
      <h2>Policies</h2>
      <Form
        label="QoS policy"
        onSubmit={submit}
        action={add}
        submit="Add policy"
        fields={['name', 'sw', 'priority', ...MATCH_KEYS, ...ACTION_KEYS[kind]]}
      >
        <Inputs
          defs={[
            NAME,
            {
              name: 'sw',
              label: 'Switch',
              options: [{ value: 'all' }, { value: 'none' }, ...switches.map((s) => ({ value: s.dpid }))],
            },
            PRIORITY,
          ]}
          values={values}
          set={set}
          action={add}
        />
        <PolicyInputs form={form} services={services} only={() => true} />
      </Form>
      <ActionNote action={remove} />
      <ListTable
        testid="qos-policies"
        headers={['Id', 'Name', 'Switch', 'Priority', 'Match and action', 'Placed on', '']}
        items={policies}
        empty="No policies."
        row={(p) => (
          <tr key={p['policy-id']} data-name={p.name}>
            <td>{p['policy-id']}</td>
            <td>{p.name}</td>
            <td>{p.sw}</td>
            <td>{p.priority}</td>
            <td>
              {Object.entries(p)
                .filter(([k]) => !KEYS_SHOWN.has(k))
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(' ')}
            </td>
            <td>
              {p.placements.length === 0 ? (
                <span className="empty">nowhere</span>
              ) : (
                p.placements.map((pl, i) => (
                  <div key={i}>
                    {pl.switch}
                    {pl['out-port'] !== undefined ? ` → port ${pl['out-port']}` : ''}
                    {pl.problem ? (
                      <span className="field-error">
                        {' '}
                        {pl.problem.field}: {pl.problem.reason}
                      </span>
                    ) : null}
                  </div>
                ))
              )}
            </td>
            <td>
              <RunButton
                action={remove}
                call={(c) => c.qos.deletePolicy(p['policy-id'])}
                done={`Deleted policy ${p.name}`}
              />
            </td>
          </tr>
        )}
      />
    </>
  );
}

/** Keys a path fills in per hop (src/apps/qos/policy.ts PATH_FILLED_KEYS): not offered in its policy. */
const PATH_FILLED = new Set(['sw', 'ip-src', 'ip-dst', 'enqueue-port', 'out-port', 'name']);

function Paths({ paths, services }: { paths: QosPath[]; services: QosService[] }) {
  const form = usePolicyForm(() => ({ name: '', 'src-ip': '', 'dst-ip': '' }));
  const { add, remove, values, setValues, set, kind } = form;
  const only = (k: string) => !PATH_FILLED.has(k);
  const submit = () =>
    void add
      .run(async (c) => {
        const v = filled(values);
        const policy = policyBody(
          Object.fromEntries(
            Object.entries(values).filter(([k]) => only(k) && k !== 'src-ip' && k !== 'dst-ip'),
          ),
          kind,
          ['priority'],
        );
        const p = await c.qos.addPath({
          name: v.name ?? '',
          'src-ip': v['src-ip'] ?? '',
          'dst-ip': v['dst-ip'] ?? '',
          policy,
        });
        return `Added path ${p.path.name} (${p.state})`;
      })
      .then((ok) => ok && setValues({ name: '', 'src-ip': '', 'dst-ip': '' }));
  return (
    <>
      <h2>Paths</h2>
      <p className="note">
        A policy on every hop of the route between two hosts (the topology page draws routes).
      </p>
      <Form
        label="QoS path"
        onSubmit={submit}
        action={add}
        submit="Add path"
        fields={[
          'name',
          'src-ip',
          'dst-ip',
          'priority',
          ...MATCH_KEYS.filter(only),
          ...ACTION_KEYS[kind].filter(only),
        ]}
      >
        <Inputs defs={PATH_INPUTS} values={values} set={set} action={add} />
        <PolicyInputs form={form} services={services} only={only} />
      </Form>
      <ActionNote action={remove} />
      <ListTable
        testid="qos-paths"
        headers={['Name', 'From → to', 'State', 'Hops', '']}
        items={paths}
        empty="No QoS paths."
        row={(p) => (
          <tr key={p.path.name} data-name={p.path.name}>
            <td>{p.path.name}</td>
            <td>
              {p.path['src-ip']} → {p.path['dst-ip']}
            </td>
            <td>
              {p.state}
              {p.reason ? <span className="empty"> ({p.reason})</span> : null}
            </td>
            <td>
              {p.hops.length === 0 ? (
                <span className="empty">none yet</span>
              ) : (
                <ol className="hops">
                  {p.hops.map((h, i) => (
                    <li key={i}>
                      {h.switch}: port {h['in-port']} → {h['out-port']}
                    </li>
                  ))}
                </ol>
              )}
            </td>
            <td>
              <a href={`/ui/topology?path=${encodeURIComponent(p.path.name)}`} onClick={followLink}>
                Show on topology
              </a>{' '}
              <RunButton
                action={remove}
                call={(c) => c.qos.deletePath(p.path.name)}
                done={`Deleted path ${p.path.name}`}
              />
            </td>
          </tr>
        )}
      />
    </>
  );
}

/**
 * "ID=MAX-RATE" pairs, comma-separated, as the API's queues object; text that is not that goes as it is, so
 * the API names what is wrong with it.
 */
export function queuesOf(text: string): unknown {
  const pairs = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => /^(\d+)\s*=\s*(\S+)$/.exec(s));
  if (pairs.length === 0 || pairs.some((m) => !m)) return text;
  return Object.fromEntries(pairs.map((m) => [m![1], { 'max-rate': m![2] }]));
}

function Queues({ queues }: { queues: QosPortQueues[] | Problem }) {
  const set = useAction();
  const clear = useAction();
  const { values, setValues, set: change } = useValues(() => ({ port: '', 'max-rate': '', queues: '' }));
  const submit = () =>
    void set
      .run(async (c) => {
        const body = { ...filled(values), queues: queuesOf(values.queues) } as unknown as QosPortQueues;
        const r = await c.qos.setQueues(body);
        return `${r.changed ? 'Set' : 'Unchanged:'} queues of ${r.queues.port}`;
      })
      .then((ok) => ok && setValues({ port: '', 'max-rate': '', queues: '' }));
  return (
    <>
      <h2>Queues per port</h2>
      <Form
        label="Port queues"
        onSubmit={submit}
        action={set}
        submit="Set queues"
        fields={['port', 'max-rate', 'queues']}
      >
        <Inputs defs={QUEUE_INPUTS} values={values} set={change} action={set} />
      </Form>
      <ActionNote action={clear} />
      {!Array.isArray(queues) ? (
        <ProblemNote problem={queues} />
      ) : (
        <ListTable
          testid="qos-queues"
          headers={['Port', 'Type', 'Max rate (bit/s)', 'Queues', '']}
          items={queues}
          empty="No port has queues."
          row={(q) => (
            <tr key={q.port}>
              <td>{q.port}</td>
              <td>{q.type ?? ''}</td>
              <td>{q['max-rate']}</td>
              <td>
                {Object.entries(q.queues).map(([id, v]) => (
                  <div key={id}>
                    {id}:{' '}
                    {Object.entries(v)
                      .map(([k, n]) => `${k}=${n}`)
                      .join(' ')}
                  </div>
                ))}
              </td>
              <td>
                <RunButton
                  action={clear}
                  call={(c) => c.qos.clearQueues(q.port)}
                  done={`Cleared the queues of ${q.port}`}
                  label="Clear"
                />
              </td>
            </tr>
          )}
        />
      )}
    </>
  );
}
