/**
 * The control cluster (issue 13, /ui/cluster): its id, who leads since when, the members with their listen
 * addresses, and, clustered, which member masters each switch with a count per member and a Rebalance button
 * (POST /api/v1/cluster/rebalance) that shows the moves it asked for. A controller alone shows itself as the
 * one leading member. Polls every few seconds; a failed poll says so in place while the last answer stays.
 */
import { useState } from 'react';
import type {
  ClusterRebalanced,
  ClusterSwitch,
  ControlClusterMember,
  ControlClusterView,
} from '../../../src/client/index.js';
import {
  addressesOf,
  colonDpid,
  formatUtc,
  mastershipOf,
  memberLabels,
  rebalanceSummary,
} from '../clusterview.js';
import { formatAgo } from '../format.js';
import { ActionNote, useAction } from '../forms.js';
import { followLink } from '../nav.js';
import { ListTable, Loaded, ProblemNote, usePoll } from '../ui.js';
import { switchPath } from './switches.js';
import '../tables.css';
import './panels.css';

const MEMBER_HEADERS = ['Member', 'Name', 'API', 'OpenFlow', 'OVSDB manager', 'Version', 'Leader', 'Started'];
const SWITCH_HEADERS = ['DPID', 'Master', 'Since', 'Generation', 'Connected to'];

export function Cluster() {
  const view = usePoll(async (c) => ({ view: await c.nodes.cluster(), now: Date.now() }));
  return (
    <section className="cluster">
      <p>
        <a href="/ui/nodes" onClick={followLink}>
          Nodes
        </a>{' '}
        lists the transport nodes that connect to these members.
      </p>
      {view.problem ? <ProblemNote problem={view.problem} /> : null}
      <Loaded polled={view}>{({ view: v, now }) => <ClusterView view={v} now={now} />}</Loaded>
    </section>
  );
}

/** `3m 2s ago`, with the absolute time beside it. */
function When({ iso, now, testid }: { iso: string | undefined; now: number; testid?: string }) {
  if (iso === undefined) return <span data-testid={testid}>–</span>;
  return (
    <span data-testid={testid} title={iso}>
      {formatAgo(iso, now)} <span className="small">({formatUtc(iso)})</span>
    </span>
  );
}

function ClusterView({ view: v, now }: { view: ControlClusterView; now: number }) {
  const nameOf = memberLabels(v.members);
  const leader = v.leader;
  const clustered = v.cluster_id !== undefined;
  return (
    <>
      <dl className="desc">
        <dt>Cluster</dt>
        <dd data-testid="cluster-id">
          {clustered ? (
            <span className="mono">{v.cluster_id}</span>
          ) : (
            'none: this controller runs alone (start members with --cluster-id to form a cluster)'
          )}
        </dd>
        <dt>Leader</dt>
        <dd data-testid="cluster-leader">
          {leader ? (
            <>
              <strong>{nameOf(leader.id)}</strong> <span className="mono small">{leader.id}</span>
            </>
          ) : (
            <span className="warn">none at the moment: an election is open</span>
          )}
        </dd>
        <dt>Leads since</dt>
        <dd>
          <When iso={leader?.since} now={now} testid="cluster-leader-since" />
        </dd>
      </dl>
      <h2>Members</h2>
      <ListTable
        testid="cluster-members"
        headers={MEMBER_HEADERS}
        items={v.members}
        empty="The store lists no member (is this controller's lease still alive?)."
        row={(m) => <MemberRow key={m.id} member={m} now={now} />}
      />
      <h2>Switches</h2>
      {!clustered ? (
        <p className="note" data-testid="switches-standalone">
          Switch mastership applies only to clusters: this controller runs alone and is master of every switch
          that connects to it.
        </p>
      ) : v.switches === undefined ? (
        <p className="note" data-testid="switches-unreported">
          This controller does not report switch mastership.
        </p>
      ) : (
        <Switches members={v.members} switches={v.switches} nameOf={nameOf} now={now} />
      )}
    </>
  );
}

function MemberRow({ member: m, now }: { member: ControlClusterMember; now: number }) {
  const addrs = (role: ControlClusterMember['roles'][number]['role']) => {
    const list = addressesOf(m, role);
    return list.length === 0
      ? '–'
      : list.map((a) => (
          <div key={a} className="mono">
            {a}
          </div>
        ));
  };
  return (
    <tr data-member={m.id} data-leader={m.leader ? 'yes' : 'no'}>
      <td className="mono">{m.id}</td>
      <td>{m.display_name}</td>
      <td>{addrs('api')}</td>
      <td>{addrs('openflow')}</td>
      <td>{addrs('ovsdb-manager')}</td>
      <td>{m.version}</td>
      <td data-testid="member-leader">{m.leader ? <span className="badge state-up">leader</span> : ''}</td>
      <td>
        <When iso={m.started} now={now} />
      </td>
    </tr>
  );
}

function Switches({
  members,
  switches,
  nameOf,
  now,
}: {
  members: readonly ControlClusterMember[];
  switches: readonly ClusterSwitch[];
  nameOf(id: string): string;
  now: number;
}) {
  const spread = mastershipOf(members, switches);
  const sorted = [...switches].sort((a, b) => (a.dpid < b.dpid ? -1 : a.dpid > b.dpid ? 1 : 0));
  return (
    <>
      <ListTable
        testid="mastership"
        headers={['Member', 'Name', 'Masters']}
        items={spread.counts}
        row={(c) => (
          <tr key={c.id} data-member={c.id}>
            <td className="mono">{c.id}</td>
            <td>{c.name ?? <span className="warn">not a member</span>}</td>
            <td className="num" data-testid="masters">
              {c.masters}
            </td>
          </tr>
        )}
      />
      <p data-testid="mastership-summary">
        {switches.length} switch{switches.length === 1 ? '' : 'es'}
        {spread.unmastered > 0 ? `, ${spread.unmastered} without a master` : ''}:{' '}
        {spread.balanced ? (
          <span className="badge state-up">balanced</span>
        ) : (
          <span className="badge state-down">unbalanced</span>
        )}
      </p>
      <Rebalance nameOf={nameOf} />
      <ListTable
        testid="cluster-switches"
        headers={SWITCH_HEADERS}
        items={sorted}
        empty="No switch is connected to this cluster."
        row={(s) => (
          <tr key={s.dpid} data-dpid={s.dpid} data-master={s.master ?? ''}>
            <td className="mono">
              <a href={switchPath(colonDpid(s.dpid))} onClick={followLink}>
                {colonDpid(s.dpid)}
              </a>
            </td>
            <td data-testid="switch-master">
              {s.master === null ? <span className="warn">none</span> : nameOf(s.master)}
            </td>
            <td>
              <When iso={s.since} now={now} />
            </td>
            <td className="mono">{s.generation ?? '–'}</td>
            <td>{s.members.map(nameOf).join(', ') || '–'}</td>
          </tr>
        )}
      />
    </>
  );
}

/** The Rebalance button and what the last press answered: the moves, "already balanced", or the error. */
function Rebalance({ nameOf }: { nameOf(id: string): string }) {
  const action = useAction();
  const [moves, setMoves] = useState<ClusterRebalanced['moves']>();
  const press = () =>
    void action.run(async (client) => {
      setMoves(undefined);
      const r = await client.nodes.rebalance();
      setMoves(r.moves);
      return rebalanceSummary(r.moves);
    });
  return (
    <div className="rebalance" data-testid="rebalance">
      <button type="button" onClick={press} disabled={action.busy}>
        {action.busy ? 'Rebalancing…' : 'Rebalance'}
      </button>
      <ActionNote action={action} />
      {moves && moves.length > 0 && !action.problem ? (
        <ListTable
          testid="rebalance-moves"
          headers={['DPID', 'From', 'To']}
          items={moves}
          row={(m) => (
            <tr key={m.dpid}>
              <td className="mono">{colonDpid(m.dpid)}</td>
              <td title={m.from}>{nameOf(m.from)}</td>
              <td title={m.to}>{nameOf(m.to)}</td>
            </tr>
          )}
        />
      ) : null}
    </div>
  );
}
