/**
 * Nodes (issue 12): the transport nodes with their OVSDB and OpenFlow connections and tunnels, the transport
 * zones, the control cluster and the stored node descriptions (/ui/nodes); one transport node's interfaces
 * with live counters and rates (/ui/nodes/<name>); one description's revisions (/ui/nodes/<name>/history).
 * Each part polls on its own, so one failing says so in its place while the others stay.
 */
import { useRef, type ReactNode } from 'react';
import type {
  ControlClusterMember,
  InterfaceStatistics,
  NodeRevision,
  NodeSummary,
  SluiceClient,
  TransportNode,
  TransportZone,
} from '../../../src/client/index.js';
import { problemOf } from '../api.js';
import { formatAgo, formatBitRate, formatCount, formatPerSec } from '../format.js';
import { nextTrack, type IfaceTrack } from '../ifacerates.js';
import { followLink } from '../nav.js';
import { ListTable, Loaded, ProblemNote, usePoll, type Polled } from '../ui.js';
import '../tables.css';
import './panels.css';

export const nodePath = (name: string) => `/ui/nodes/${encodeURIComponent(name)}`;
const historyPath = (name: string) => `${nodePath(name)}/history`;

/** /ui/nodes/<name>[/history] as its parts. */
function routeOf(pathname: string): { name?: string; history: boolean } {
  const [name, sub] = pathname.replace(/^\/ui\/nodes\/?/, '').split('/');
  return name ? { name: decodeURIComponent(name), history: sub === 'history' } : { history: false };
}

export function Nodes() {
  const { name, history } = routeOf(window.location.pathname);
  if (name === undefined) return <NodesOverview />;
  return history ? (
    <DescriptionHistory key={name} name={name} />
  ) : (
    <TransportNodeDetail key={name} name={name} />
  );
}

/** A poll's problem in place, then its data. */
function Part<T>({ polled, children }: { polled: Polled<T>; children(data: T): ReactNode }) {
  return (
    <>
      {polled.problem ? <ProblemNote problem={polled.problem} /> : null}
      <Loaded polled={polled}>{children}</Loaded>
    </>
  );
}

const withNow = async <T,>(p: Promise<T>) => ({ items: await p, now: Date.now() });

// ---- the overview

const NODE_HEADERS = ['Name', 'Type', 'Zone', 'Management address', 'OVSDB', 'OpenFlow', 'DPID', 'Tunnels'];
const IFACE_HEADERS = [
  'Interface',
  'RX bytes',
  'RX packets',
  'RX errors',
  'RX rate',
  'TX bytes',
  'TX packets',
  'TX errors',
  'TX rate',
];

function NodesOverview() {
  const cluster = usePoll((c) => c.nodes.controlCluster());
  const nodes = usePoll((c) => withNow(c.nodes.transportNodes()));
  const zones = usePoll((c) => c.nodes.transportZones());
  const descriptions = usePoll((c) => withNow(c.nodes.list()));
  // Without --nodes-listen no member manages nodes: no node can connect, the stored descriptions still show.
  const listenersOff = cluster.data?.every((m) => !m.roles.some((r) => r.role === 'ovsdb-manager'));
  return (
    <section className="nodes">
      {listenersOff ? (
        <p className="note" data-testid="listeners-off">
          The node listeners are off on this controller: no transport node can connect its OVSDB or OpenFlow.
          Start it with <code>sluice controller --nodes-listen ADDR</code> to manage nodes; the stored
          descriptions are below.
        </p>
      ) : null}
      <h2>Transport nodes</h2>
      <Part polled={nodes}>
        {({ items, now }) => (
          <ListTable
            testid="transport-nodes"
            headers={NODE_HEADERS}
            items={items}
            empty="No transport node is registered: `sluice node provision NAME` registers one."
            row={(n) => <TransportNodeRow key={n.name} node={n} now={now} />}
          />
        )}
      </Part>
      <h2>Transport zones</h2>
      <Part polled={zones}>
        {(items) => (
          <ListTable
            testid="transport-zones"
            headers={['Zone', 'Nodes', 'Connected']}
            items={items}
            empty="No transport zone yet: a zone is named by the nodes' descriptions."
            row={(z) => <ZoneRow key={z.name} zone={z} />}
          />
        )}
      </Part>
      <h2>Control cluster</h2>
      <p>
        <a href="/ui/cluster" onClick={followLink} data-testid="cluster-page-link">
          The cluster page
        </a>{' '}
        shows who leads since when and which member masters each switch.
      </p>
      <Part polled={cluster}>
        {(members) => (
          <ListTable
            testid="cluster"
            headers={['Member', 'Name', 'Version', 'Roles']}
            items={members}
            row={(m) => <MemberRow key={m.id} member={m} />}
          />
        )}
      </Part>
      <h2>Node descriptions</h2>
      <Part polled={descriptions}>
        {({ items, now }) => (
          <ListTable
            testid="descriptions"
            headers={['Name', 'Type', 'Zone', 'Management address', 'Revision', 'Updated']}
            items={items}
            empty="No node description is stored: `sluice node apply FILE` stores them."
            row={(d) => <DescriptionRow key={d.name} node={d} now={now} />}
          />
        )}
      </Part>
    </section>
  );
}

function Connection({ state, now }: { state: TransportNode['ovsdb']; now: number }) {
  return (
    <>
      <span className={`badge ${state.connected ? 'state-up' : 'state-down'}`}>
        {state.connected ? 'connected' : 'disconnected'}
      </span>
      {state.since ? <span className="small">{formatAgo(state.since, now)}</span> : null}
      {state.remote ? <div className="small mono">{state.remote}</div> : null}
    </>
  );
}

function TransportNodeRow({ node: n, now }: { node: TransportNode; now: number }) {
  return (
    <tr data-node={n.name}>
      <td>
        <a href={nodePath(n.name)} onClick={followLink}>
          {n.name}
        </a>
        {n.faults?.length ? (
          <span
            className="badge state-down"
            data-testid="node-fault"
            title={n.faults.map((f) => f.reason).join('\n')}
          >
            {n.faults.map((f) => f.field).join(', ')} mismatch
          </span>
        ) : null}
      </td>
      <td>{n.type}</td>
      <td>{n.transport_zone}</td>
      <td className="mono">{n.management_address}</td>
      <td data-testid="ovsdb-state">
        <Connection state={n.ovsdb} now={now} />
      </td>
      <td data-testid="openflow-state">
        <Connection state={n.openflow} now={now} />
      </td>
      <td className="mono" data-testid="dpid">
        {n.openflow.dpid ?? '–'}
      </td>
      <td>
        {n.tunnels.length === 0
          ? 'none'
          : n.tunnels.map((t) => (
              <div key={t.name} className="mono">
                {t.name} {t.type} → {t.remote_ip} <span className={`badge state-${t.state}`}>{t.state}</span>
              </div>
            ))}
      </td>
    </tr>
  );
}

function ZoneRow({ zone: z }: { zone: TransportZone }) {
  return (
    <tr data-zone={z.name}>
      <td>{z.name}</td>
      <td>
        {z.nodes.map((n, i) => (
          <span key={n}>
            {i > 0 ? ', ' : ''}
            <a href={nodePath(n)} onClick={followLink}>
              {n}
            </a>
          </span>
        ))}
      </td>
      <td>
        {z.connected} of {z.nodes.length}
      </td>
    </tr>
  );
}

function MemberRow({ member: m }: { member: ControlClusterMember }) {
  return (
    <tr data-member={m.id}>
      <td className="mono">{m.id}</td>
      <td>{m.display_name}</td>
      <td>{m.version}</td>
      <td>
        {m.roles.map((r) => (
          <div key={`${r.role} ${r.listen_addr}`}>
            {r.role} <span className="mono">{r.listen_addr}</span>
          </div>
        ))}
      </td>
    </tr>
  );
}

function DescriptionRow({ node: d, now }: { node: NodeSummary; now: number }) {
  return (
    <tr data-description={d.name}>
      <td>
        <a href={historyPath(d.name)} onClick={followLink}>
          {d.name}
        </a>
      </td>
      <td>{d.type}</td>
      <td>{d.transport_zone}</td>
      <td className="mono">{d.management_address}</td>
      <td>{d.revision}</td>
      <td title={d.updated}>{formatAgo(d.updated, now)}</td>
    </tr>
  );
}

// ---- one transport node: its interfaces, live

interface IfaceRow {
  name: string;
  track?: IfaceTrack;
  /** Why its statistics did not come (the node may report none for it yet). */
  missing?: string;
}

async function loadInterfaces(
  client: SluiceClient,
  name: string,
  tracks: Map<string, IfaceTrack>,
): Promise<IfaceRow[]> {
  const names = await client.nodes.interfaces(name);
  const stats = await Promise.allSettled(names.map((i) => client.nodes.interfaceStatistics(name, i)));
  return names.map((iface, k) => {
    const s = stats[k];
    if (s.status === 'rejected') {
      tracks.delete(iface);
      return { name: iface, missing: problemOf(s.reason).detail };
    }
    const track = nextTrack(tracks.get(iface), s.value as InterfaceStatistics);
    tracks.set(iface, track);
    return { name: iface, track };
  });
}

function TransportNodeDetail({ name }: { name: string }) {
  const node = usePoll((c) => withNow(c.nodes.transportNode(name)));
  return (
    <section className="node-detail">
      <p>
        <a href="/ui/nodes" onClick={followLink}>
          ← All nodes
        </a>{' '}
        ·{' '}
        <a href={historyPath(name)} onClick={followLink}>
          Description history
        </a>
      </p>
      <h2 data-testid="node-name">{name}</h2>
      <Part polled={node}>
        {({ items: n, now }) => (
          <>
            <ListTable
              testid="transport-nodes"
              headers={NODE_HEADERS}
              items={[n]}
              row={(x) => <TransportNodeRow key={x.name} node={x} now={now} />}
            />
            {n.faults?.length ? (
              <div className="warn" role="alert" data-testid="node-faults">
                {n.faults.map((f) => (
                  <p key={f.field}>
                    <strong>{f.field}</strong>: {f.reason}
                  </p>
                ))}
              </div>
            ) : null}
            <Interfaces name={name} />
          </>
        )}
      </Part>
    </section>
  );
}

/** Asked for only once the node is known (an unknown one is the node's error, said once). */
function Interfaces({ name }: { name: string }) {
  const tracks = useRef(new Map<string, IfaceTrack>());
  const ifaces = usePoll((c) => loadInterfaces(c, name, tracks.current));
  return (
    <>
      <h2>Interfaces</h2>
      <Part polled={ifaces}>
        {(rows) => (
          <ListTable
            testid="interfaces"
            headers={IFACE_HEADERS}
            items={rows}
            empty="The node's OVSDB reports no interface (is it connected?)."
            row={(r) => <InterfaceRow key={r.name} row={r} />}
          />
        )}
      </Part>
    </>
  );
}

function InterfaceRow({ row: r }: { row: IfaceRow }) {
  const s = r.track?.sample.statistics;
  const rates = r.track?.rates ?? {};
  const count = (key: string) => <td className="num">{formatCount(s?.[key])}</td>;
  const rate = (bps: number | undefined, pps: number | undefined) => (
    <td className="num">
      {formatBitRate(bps)}
      <div className="small">{formatPerSec(pps)} pkt/s</div>
    </td>
  );
  return (
    <tr data-iface={r.name}>
      <td className="mono">{r.name}</td>
      {r.missing !== undefined ? (
        <td colSpan={8} className="small">
          {r.missing}
        </td>
      ) : (
        <>
          {count('rx_bytes')}
          {count('rx_packets')}
          {count('rx_errors')}
          {rate(rates.rxBps, rates.rxPps)}
          {count('tx_bytes')}
          {count('tx_packets')}
          {count('tx_errors')}
          {rate(rates.txBps, rates.txPps)}
        </>
      )}
    </tr>
  );
}

// ---- one description's revisions

function DescriptionHistory({ name }: { name: string }) {
  const revisions = usePoll((c) => c.nodes.history(name));
  return (
    <section className="node-history">
      <p>
        <a href="/ui/nodes" onClick={followLink}>
          ← All nodes
        </a>
      </p>
      <h2 data-testid="node-name">Description history of {name}</h2>
      <Part polled={revisions}>
        {(items) => (
          <ListTable
            testid="history"
            headers={['Revision', 'Applied', 'Change', 'Description']}
            items={[...items].reverse()}
            row={(r) => <RevisionRow key={r.revision} revision={r} />}
          />
        )}
      </Part>
    </section>
  );
}

function RevisionRow({ revision: r }: { revision: NodeRevision }) {
  return (
    <tr data-revision={r.revision}>
      <td>{r.revision}</td>
      <td className="mono">{r.applied}</td>
      <td>{r.change}</td>
      <td>{r.description ? <pre className="mono">{JSON.stringify(r.description, null, 2)}</pre> : '–'}</td>
    </tr>
  );
}
