/**
 * Firewall & ACL: the firewall's switch (enabled or not), its rules in evaluation order with the flows each
 * caused (a rule's `cookieTag` is the low bits of its flows' cookies), and the ACL's rules. Both forms send
 * what was typed; the apps judge it and their error shows next to the field it names.
 */
import type {
  AclRule,
  FirewallRule,
  FirewallStatus,
  Flow,
  SluiceClient,
  Switch,
} from '../../../src/client/index.js';
import { FIREWALL_RULE_KEYS } from '../../../src/client/index.js';
import {
  ActionNote,
  filled,
  Form,
  Inputs,
  OnOff,
  RunButton,
  SelectInput,
  useAction,
  useValues,
  type Action,
  type InputDef,
} from '../forms.js';
import type { Problem } from '../api.js';
import { ListTable, Loaded, ProblemNote, usePoll } from '../ui.js';

/** Rules' flows are looked for on this many switches at most (each is one flow-stats request per poll). */
export const FLOW_SWITCHES = 32;
/** A rule's tag sits in the cookie's low 33 bits (decided bit + rule id; src/apps/firewall/flows.ts). */
const TAG_MASK = (1n << 33n) - 1n;

interface FirewallData {
  status: FirewallStatus;
  rules: FirewallRule[];
  switches: Switch[];
  /** Flows per rule id, from the first FLOW_SWITCHES switches. */
  flows: Map<string, { dpid: string; flow: Flow }[]>;
}

async function loadFirewall(client: SluiceClient): Promise<FirewallData> {
  const [status, rules, switches] = await Promise.all([
    client.firewall.status(),
    client.firewall.rules(),
    client.switches(),
  ]);
  const flows = new Map<string, { dpid: string; flow: Flow }[]>();
  if (rules.length > 0) {
    const byTag = new Map(rules.map((r) => [BigInt(r.cookieTag), r.ruleid]));
    const asked = switches.slice(0, FLOW_SWITCHES);
    const tables = await Promise.all(asked.map((s) => client.flows(s.dpid)));
    tables.forEach((table, i) => {
      for (const flow of table) {
        const id = byTag.get(BigInt(flow.cookie) & TAG_MASK);
        if (id === undefined) continue;
        const list = flows.get(id) ?? [];
        list.push({ dpid: asked[i].dpid, flow });
        flows.set(id, list);
      }
    });
  }
  return { status, rules, switches, flows };
}

const loadAcl = (client: SluiceClient): Promise<AclRule[]> => client.acl.list();

const PROTOS = [{ value: '', label: 'any' }, { value: 'ICMP' }, { value: 'TCP' }, { value: 'UDP' }];

const ANY = { placeholder: 'any' };
const SRC_IP = { name: 'src-ip', label: 'Source IP', placeholder: '10.0.0.1/32' };
const DST_IP = { name: 'dst-ip', label: 'Destination IP', placeholder: '10.0.0.2/32' };
const PROTO = { name: 'nw-proto', label: 'Protocol', options: PROTOS };
const TP_DST = { name: 'tp-dst', label: 'Destination port', ...ANY };

/** The firewall rule form's inputs after the switch (Floodlight's keys). */
const RULE_INPUTS: readonly InputDef[] = [
  { name: 'src-inport', label: 'In port', ...ANY },
  { name: 'src-mac', label: 'Source MAC', ...ANY },
  { name: 'dst-mac', label: 'Destination MAC', ...ANY },
  { name: 'dl-type', label: 'EtherType', ...ANY, suggest: [{ value: 'ARP' }, { value: 'IPv4' }] },
  SRC_IP,
  DST_IP,
  PROTO,
  { name: 'tp-src', label: 'Source port', ...ANY },
  TP_DST,
  { name: 'priority', label: 'Priority', placeholder: '0: evaluated first' },
  { name: 'action', label: 'Action', options: [{ value: 'allow' }, { value: 'deny' }] },
];

const ACL_INPUTS: readonly InputDef[] = [
  SRC_IP,
  DST_IP,
  PROTO,
  TP_DST,
  { name: 'action', label: 'Action', options: [{ value: 'deny' }, { value: 'allow' }] },
];

/** The rule's keys as the form offers them: every key but the id the controller assigns. */
const RULE_KEYS = FIREWALL_RULE_KEYS.filter((k) => k !== 'ruleid');
const ACL_KEYS = ['src-ip', 'dst-ip', 'nw-proto', 'tp-dst', 'action'] as const;

const blank = (keys: readonly string[], action: string) =>
  Object.fromEntries(keys.map((k) => [k, k === 'action' ? action : '']));

/** A rule's match as "key=value ..." (absent keys match anything). */
function matchText(rule: Record<string, string | undefined>, keys: readonly string[]): string {
  const parts = keys
    .filter((k) => k !== 'action' && k !== 'priority' && rule[k] !== undefined)
    .map((k) => `${k}=${rule[k]}`);
  return parts.length ? parts.join(' ') : 'everything';
}

/** A part whose app is not running: its heading and why. */
function Missing({ title, problem }: { title: string; problem: Problem }) {
  return (
    <>
      <h2>{title}</h2>
      <ProblemNote problem={problem} />
    </>
  );
}

export function Firewall() {
  return (
    <section className="firewall">
      <FirewallPart />
      <AclPart />
    </section>
  );
}

function FirewallPart() {
  const polled = usePoll(loadFirewall);
  const { data, problem } = polled;
  const add = useAction();
  const remove = useAction();
  const { values, setValues, set } = useValues(() => blank(RULE_KEYS, 'allow'));

  if (problem?.kind === 'missing') return <Missing title="Firewall" problem={problem} />;

  const submit = () =>
    void add
      .run(async (c) => {
        const r = await c.firewall.add(filled(values));
        return `Added rule ${r.ruleid}`;
      })
      .then((ok) => ok && setValues(blank(RULE_KEYS, values.action)));

  return (
    <>
      <h2>Firewall</h2>
      {problem ? <ProblemNote problem={problem} /> : null}
      <Loaded polled={polled}>
        {(d) => (
          <OnOff
            what="Firewall"
            enabled={d.status.enabled}
            set={(c, on) => (on ? c.firewall.enable() : c.firewall.disable())}
            offNote="Disabled: the rules are kept but not applied. Enabled, what no rule allows is denied."
          />
        )}
      </Loaded>
      <h3>Add a rule</h3>
      <Form label="Firewall rule" onSubmit={submit} action={add} submit="Add rule" fields={RULE_KEYS}>
        <SelectInput
          name="switchid"
          label="Switch"
          value={values.switchid}
          onChange={set('switchid')}
          action={add}
          options={[{ value: '', label: 'any' }, ...(data?.switches ?? []).map((s) => ({ value: s.dpid }))]}
        />
        <Inputs defs={RULE_INPUTS} values={values} set={set} action={add} />
      </Form>
      <h3>Rules (in evaluation order)</h3>
      <ActionNote action={remove} />
      {data ? (
        <ListTable
          testid="firewall-rules"
          headers={['Id', 'Priority', 'Match', 'Action', 'Flows', '']}
          items={data.rules}
          empty="No firewall rules."
          row={(r) => (
            <RuleRow
              key={r.ruleid}
              rule={r}
              flows={data.flows.get(r.ruleid) ?? []}
              partial={data.switches.length > FLOW_SWITCHES}
              remove={remove}
            />
          )}
        />
      ) : null}
    </>
  );
}

function RuleRow({
  rule,
  flows,
  partial,
  remove,
}: {
  rule: FirewallRule;
  flows: { dpid: string; flow: Flow }[];
  partial: boolean;
  remove: Action;
}) {
  return (
    <tr data-ruleid={rule.ruleid}>
      <td>{rule.ruleid}</td>
      <td>{rule.priority}</td>
      <td>{matchText(rule, RULE_KEYS)}</td>
      <td>{rule.action}</td>
      <td data-testid={`rule-flows-${rule.ruleid}`}>
        {flows.length === 0 ? (
          <span className="empty">none{partial ? ` (first ${FLOW_SWITCHES} switches)` : ''}</span>
        ) : (
          <details>
            <summary>
              {flows.length} flow{flows.length === 1 ? '' : 's'}
              {partial ? ` (first ${FLOW_SWITCHES} switches)` : ''}
            </summary>
            {flows.map(({ dpid, flow }, i) => (
              <div key={i}>
                <code>
                  {dpid}: {flow.text}
                </code>
              </div>
            ))}
          </details>
        )}
      </td>
      <td>
        <RunButton
          action={remove}
          call={(c) => c.firewall.delete(rule.ruleid)}
          done={`Deleted rule ${rule.ruleid}`}
        />
      </td>
    </tr>
  );
}

function AclPart() {
  const polled = usePoll(loadAcl);
  const { problem } = polled;
  const add = useAction();
  const remove = useAction();
  const { values, setValues, set } = useValues(() => blank(ACL_KEYS, 'deny'));

  if (problem?.kind === 'missing') return <Missing title="ACL" problem={problem} />;

  const submit = () =>
    void add
      .run(async (c) => {
        const r = await c.acl.add(filled(values));
        return `Added ACL rule ${r.ruleid}`;
      })
      .then((ok) => ok && setValues(blank(ACL_KEYS, values.action)));

  return (
    <>
      <h2>ACL</h2>
      <p className="note">Pushed to every switch as it is added; earlier rules take precedence.</p>
      {problem ? <ProblemNote problem={problem} /> : null}
      <Form label="ACL rule" onSubmit={submit} action={add} submit="Add ACL rule" fields={ACL_KEYS}>
        <Inputs defs={ACL_INPUTS} values={values} set={set} action={add} />
      </Form>
      <ActionNote action={remove} />
      <Loaded polled={polled}>
        {(rules) => (
          <ListTable
            testid="acl-rules"
            headers={['Id', 'Match', 'Action', '']}
            items={rules}
            empty="No ACL rules."
            row={(r) => (
              <tr key={r.ruleid} data-ruleid={r.ruleid}>
                <td>{r.ruleid}</td>
                <td>{matchText(r, ACL_KEYS)}</td>
                <td>{r.action}</td>
                <td>
                  <RunButton
                    action={remove}
                    call={(c) => c.acl.delete(r.ruleid)}
                    done={`Deleted ACL rule ${r.ruleid}`}
                  />
                </td>
              </tr>
            )}
          />
        )}
      </Loaded>
    </>
  );
}
