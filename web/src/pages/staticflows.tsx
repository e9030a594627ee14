/**
 * Static flows (/api/v1/staticflows): the entries with their state and live counters, and a form to add,
 * edit (add again under the same name: the API replaces it) and delete them. The form offers the match
 * fields and actions of the chosen switch's OpenFlow version and its ports; the staticflows app judges the
 * entry against the switch, and its error shows next to the field it names.
 */
import { useEffect, useState } from 'react';
import type { SluiceClient, StaticFlow, Switch, SwitchDetail } from '../../../src/client/index.js';
import {
  ActionNote,
  filled,
  Form,
  Inputs,
  RunButton,
  SelectInput,
  TextInput,
  useAction,
  useValues,
  type InputDef,
} from '../forms.js';
import { useSession } from '../session.js';
import { ListTable, Loaded, ProblemNote, usePoll } from '../ui.js';

/** Match fields OpenFlow 1.0 can carry (the app's names; tp_src/tp_dst resolve by ip_proto). */
const OF10_MATCH: readonly InputDef[] = [
  { name: 'eth_src', label: 'eth_src', placeholder: '00:00:00:00:00:01' },
  { name: 'eth_dst', label: 'eth_dst', placeholder: '00:00:00:00:00:02' },
  { name: 'eth_vlan_vid', label: 'eth_vlan_vid', placeholder: '0-4095' },
  { name: 'eth_vlan_pcp', label: 'eth_vlan_pcp', placeholder: '0-7' },
  { name: 'eth_type', label: 'eth_type', placeholder: '0x0800' },
  { name: 'ip_proto', label: 'ip_proto', placeholder: '1, 6, 17' },
  { name: 'ipv4_src', label: 'ipv4_src', placeholder: '10.0.0.1[/32]' },
  { name: 'ipv4_dst', label: 'ipv4_dst', placeholder: '10.0.0.2[/32]' },
  { name: 'ip_tos', label: 'ip_tos', placeholder: 'ToS byte' },
  { name: 'tp_src', label: 'tp_src', placeholder: 'TCP/UDP port' },
  { name: 'tp_dst', label: 'tp_dst', placeholder: 'TCP/UDP port' },
];

/** OpenFlow 1.3 adds these (OXM), besides the table and instructions. */
const OF13_MATCH: readonly InputDef[] = [
  ...OF10_MATCH.filter((f) => f.name !== 'ip_tos'),
  { name: 'ip_dscp', label: 'ip_dscp', placeholder: '0-63' },
  { name: 'ip_ecn', label: 'ip_ecn', placeholder: '0-3' },
  { name: 'icmpv4_type', label: 'icmpv4_type', placeholder: '0-255' },
  { name: 'icmpv4_code', label: 'icmpv4_code', placeholder: '0-255' },
  { name: 'arp_opcode', label: 'arp_opcode', placeholder: '1 request, 2 reply' },
  { name: 'arp_spa', label: 'arp_spa', placeholder: '10.0.0.1' },
  { name: 'arp_tpa', label: 'arp_tpa', placeholder: '10.0.0.2' },
  { name: 'ipv6_src', label: 'ipv6_src', placeholder: 'fe80::1[/64]' },
  { name: 'ipv6_dst', label: 'ipv6_dst', placeholder: 'fe80::2[/64]' },
  { name: 'mpls_label', label: 'mpls_label' },
  { name: 'metadata', label: 'metadata', placeholder: '0x1[/0xff]' },
  { name: 'tunnel_id', label: 'tunnel_id' },
];

const ACTION_HINT: Record<string, string> = {
  '1.0':
    'OpenFlow 1.0: output=PORT, enqueue=PORT:QUEUE, set_vlan_vid=, set_vlan_pcp=, strip_vlan, set_eth_src=, ' +
    'set_eth_dst=, set_ipv4_src=, set_ipv4_dst=, set_ip_tos=, set_tp_src=, set_tp_dst=; empty: drop',
  '1.3':
    'OpenFlow 1.3: output=PORT, set_queue=Q, set_field=FIELD->VALUE, push_vlan=0x8100, pop_vlan, ' +
    'group=G, meter=M, goto_table=T, and the 1.0 setters; empty: drop',
};

/** Entry keys the form always has, besides the match fields. */
const BASE_KEYS = ['switch', 'name', 'priority', 'in_port', 'actions', 'idle_timeout', 'hard_timeout'];

interface Loaded {
  switches: Switch[];
  entries: StaticFlow[];
}

async function load(client: SluiceClient): Promise<Loaded> {
  const [switches, entries] = await Promise.all([client.switches(), client.staticflows.list()]);
  return { switches, entries };
}

/** The chosen switch's ports (re-read when the choice changes), for in_port and output. */
function usePorts(dpid: string): SwitchDetail | undefined {
  const { client } = useSession();
  const [detail, setDetail] = useState<SwitchDetail>();
  useEffect(() => {
    let live = true;
    setDetail(undefined);
    if (!dpid) return;
    // A failure leaves the lists empty: the entry's own check still names a port the switch lacks.
    client.switch(dpid).then(
      (d) => live && setDetail(d),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, dpid]);
  return detail;
}

const EMPTY: Record<string, string> = { switch: '', name: '', priority: '', in_port: '', actions: '' };

export function StaticFlows() {
  const polled = usePoll(load);
  const { data, problem } = polled;
  const { values, setValues, set } = useValues(() => EMPTY);
  const [editing, setEditing] = useState<string>();
  const save = useAction();
  const remove = useAction();

  const switches = data?.switches ?? [];
  // The first switch until the user picks one.
  const dpid = values.switch || switches[0]?.dpid || '';
  const sw = switches.find((s) => s.dpid === dpid);
  const version = sw?.openflowVersion ?? '1.3';
  const detail = usePorts(dpid);
  const ports = (detail?.ports ?? []).filter((p) => p.port < 0xffffff00);

  if (problem?.kind === 'missing') return <ProblemNote problem={problem} />;

  const offered = version === '1.0' ? OF10_MATCH : OF13_MATCH;
  // Keys of an entry being edited that this version's list lacks still show (and are sent).
  const extra = Object.keys(values).filter(
    (k) => !BASE_KEYS.includes(k) && k !== 'table' && !offered.some((f) => f.name === k),
  );

  const pick = (d: string) => {
    // Fields the new switch's version cannot take would be sent unseen: keep only what it offers.
    const next = switches.find((s) => s.dpid === d)?.openflowVersion === '1.0' ? OF10_MATCH : OF13_MATCH;
    setValues((s) =>
      Object.fromEntries(
        Object.entries({ ...s, switch: d }).filter(
          ([k]) =>
            BASE_KEYS.includes(k) || (k === 'table' && next === OF13_MATCH) || next.some((f) => f.name === k),
        ),
      ),
    );
  };

  const submit = () =>
    void save
      .run(async (c) => {
        const r = await c.staticflows.add({ ...filled(values), switch: dpid });
        const a = r.added[0];
        return `${a.replaced ? 'Replaced' : 'Added'} ${a.name}${a.pushed ? '' : ' (stored; the switch has not acknowledged it yet)'}`;
      })
      .then((ok) => {
        if (ok) {
          setValues({ ...EMPTY, switch: dpid });
          setEditing(undefined);
        }
      });

  const edit = (e: StaticFlow) => {
    setEditing(e.name);
    setValues({ ...EMPTY, ...e.entry, switch: e.switch });
  };

  const addOutput = (port: string) => {
    if (!port) return;
    const now = values.actions?.trim() ?? '';
    set('actions')(now ? `${now},output=${port}` : `output=${port}`);
  };

  return (
    <section className="staticflows">
      {problem ? <ProblemNote problem={problem} /> : null}
      <h2>{editing ? `Edit ${editing}` : 'Add a static flow'}</h2>
      <Form
        label="Static flow"
        onSubmit={submit}
        action={save}
        submit={editing ? 'Save' : 'Add flow'}
        fields={[...BASE_KEYS, 'table', ...offered.map((f) => f.name), ...extra]}
      >
        <SelectInput
          name="switch"
          label={`Switch${sw ? ` (OpenFlow ${version})` : ''}`}
          value={dpid}
          onChange={pick}
          action={save}
          options={
            switches.length
              ? switches.map((s) => ({ value: s.dpid }))
              : [{ value: '', label: 'no switch connected' }]
          }
        />
        <Inputs
          defs={[
            { name: 'name', label: 'Name' },
            { name: 'priority', label: 'Priority', placeholder: '32768' },
            ...(version === '1.3' ? [{ name: 'table', label: 'Table', placeholder: '0' }] : []),
            {
              name: 'in_port',
              label: 'in_port',
              suggest: ports.map((p) => ({ value: String(p.port), label: p.name })),
              placeholder: ports.length ? ports.map((p) => p.port).join(', ') : 'any',
            },
            ...offered,
            ...extra.map((k) => ({ name: k, label: k })),
            { name: 'idle_timeout', label: 'Idle timeout (s)', placeholder: '0: none' },
            { name: 'hard_timeout', label: 'Hard timeout (s)', placeholder: '0: none' },
          ]}
          values={values}
          set={set}
          action={save}
        />
        <div className="actions-field">
          <TextInput
            name="actions"
            label="Actions"
            value={values.actions ?? ''}
            onChange={set('actions')}
            action={save}
            placeholder="output=2"
            hint={ACTION_HINT[version]}
          />
          <label className="field">
            <span className="field-label">Add output to port</span>
            <select aria-label="Add output to port" value="" onChange={(e) => addOutput(e.target.value)}>
              <option value="">…</option>
              {ports.map((p) => (
                <option key={p.port} value={p.port}>
                  {p.port} ({p.name})
                </option>
              ))}
              {['flood', 'controller', 'normal', 'in_port'].map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
        </div>
        {editing ? (
          <button
            type="button"
            onClick={() => {
              setEditing(undefined);
              setValues({ ...EMPTY, switch: dpid });
            }}
          >
            Cancel
          </button>
        ) : null}
      </Form>

      <h2>Entries</h2>
      <ActionNote action={remove} />
      <Loaded polled={polled}>
        {(d) => (
          <ListTable
            testid="staticflows"
            headers={['Name', 'Switch', 'State', 'Packets', 'Bytes', 'Flow', '']}
            items={d.entries}
            empty="No static flows."
            row={(e) => (
              <tr key={e.name} data-name={e.name}>
                <td>{e.name}</td>
                <td>{e.switch}</td>
                <td>{e.state}</td>
                <td>{e.packetCount}</td>
                <td>{e.byteCount}</td>
                <td>
                  <code>{e.text}</code>
                </td>
                <td>
                  <button type="button" onClick={() => edit(e)}>
                    Edit
                  </button>{' '}
                  <RunButton
                    action={remove}
                    call={(c) => c.staticflows.delete(e.name)}
                    done={`Deleted ${e.name}`}
                  />
                </td>
              </tr>
            )}
          />
        )}
      </Loaded>
    </section>
  );
}
