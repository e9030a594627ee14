/**
 * Switches: the connected switches (/ui/switches) and one switch (/ui/switches/<dpid>): its ports with live
 * counters and rates, its flow table as `ovs-ofctl dump-flows` prints it, meters, queues, groups and
 * description. Everything polls every 2 s; only the open tab asks the switch.
 */
import { useState } from 'react';
import { ApiError, isFeatureMissing, type Problem, type SluiceClient } from '../api.js';
import { flowsText, type PortRate, type PortWithStats, type Switch } from '../../../src/client/index.js';
import { formatAgo, formatBitRate, formatCount, formatPerSec, formatShare } from '../format.js';
import { followLink, replaceSearch, searchParams } from '../nav.js';
import { Pager } from '../pager.js';
import { Figure, ProblemNote, usePoll } from '../ui.js';
import '../tables.css';

/** Rows per page of the switch list; flow counts are asked of the shown rows only. */
export const SWITCHES_PER_PAGE = 50;

/** DPIDs are hex and colons: fine in a path as they are. */
export const switchPath = (dpid: string) => `/ui/switches/${encodeURIComponent(dpid).replaceAll('%3A', ':')}`;

/** The DPID in /ui/switches/<dpid>, if any. */
function dpidOfPath(pathname: string): string | undefined {
  const rest = pathname.replace(/^\/ui\/switches\/?/, '').split('/')[0];
  return rest ? decodeURIComponent(rest) : undefined;
}

export function Switches() {
  const dpid = dpidOfPath(window.location.pathname);
  return dpid ? <SwitchDetail key={dpid} dpid={dpid} /> : <SwitchList />;
}

// ---- the list

interface ListData {
  switches: Switch[];
  /** Flow counts of the shown page's switches (undefined where the switch did not answer). */
  flows: Map<string, number | undefined>;
  now: number;
}

function SwitchList() {
  const [page, setPage] = useState(0);
  const { data, problem } = usePoll(async (client): Promise<ListData> => {
    const switches = await client.switches();
    const shown = switches.slice(page * SWITCHES_PER_PAGE, (page + 1) * SWITCHES_PER_PAGE);
    // A switch that leaves between the two calls costs its count, not the list.
    const counts = await Promise.allSettled(
      shown.map((s) => client.stats(s.dpid, 'aggregate') as Promise<{ flowCount?: number }>),
    );
    const flows = new Map(
      shown.map((s, i) => {
        const c = counts[i];
        return [s.dpid, c.status === 'fulfilled' ? c.value.flowCount : undefined] as const;
      }),
    );
    return { switches, flows, now: Date.now() };
  });

  const switches = data?.switches ?? [];
  const pages = Math.max(1, Math.ceil(switches.length / SWITCHES_PER_PAGE));
  const shown = switches.slice(page * SWITCHES_PER_PAGE, (page + 1) * SWITCHES_PER_PAGE);
  return (
    <section>
      {problem ? <ProblemNote problem={problem} /> : null}
      {!data ? (
        problem ? null : (
          <p className="loading">Loading…</p>
        )
      ) : switches.length === 0 ? (
        <p className="note" data-testid="no-switches">
          No switch is connected. Point a switch at this controller’s OpenFlow port (e.g.{' '}
          <code>ovs-vsctl set-controller br0 tcp:127.0.0.1:6653</code>).
        </p>
      ) : (
        <>
          <p className="count" data-testid="switch-count">
            {switches.length} switch{switches.length === 1 ? '' : 'es'} connected
          </p>
          <table className="grid" data-testid="switches">
            <thead>
              <tr>
                <th>DPID</th>
                <th>Address</th>
                <th>OpenFlow</th>
                <th>Connected</th>
                <th className="num">Ports</th>
                <th className="num">Flows</th>
                <th>Description</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((s) => (
                <tr key={s.dpid} data-dpid={s.dpid}>
                  <td className="mono">
                    <a href={switchPath(s.dpid)} onClick={followLink}>
                      {s.dpid}
                    </a>
                  </td>
                  <td className="mono">{s.address}</td>
                  <td>{s.openflowVersion}</td>
                  <td title={s.connectedSince}>{formatAgo(s.connectedSince, data.now)}</td>
                  <td className="num">{s.portCount}</td>
                  <td className="num">{formatCount(data.flows.get(s.dpid))}</td>
                  <td>{[s.description, s.hardware, s.software].filter(Boolean).join(' · ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {pages > 1 ? <Pager page={page} pages={pages} onPage={setPage} /> : null}
        </>
      )}
    </section>
  );
}

// ---- one switch

const TABS = [
  ['ports', 'Ports'],
  ['flows', 'Flows'],
  ['meters', 'Meters'],
  ['queues', 'Queues'],
  ['groups', 'Groups'],
  ['desc', 'Description'],
] as const;
type Tab = (typeof TABS)[number][0];

const tabOf = (s: string | null): Tab => TABS.find(([t]) => t === s)?.[0] ?? 'ports';

function SwitchDetail({ dpid }: { dpid: string }) {
  const [tab, setTab] = useState<Tab>(() => tabOf(searchParams().get('tab')));
  const { data: sw, problem } = usePoll((client) => client.switch(dpid));
  const choose = (t: Tab) => {
    setTab(t);
    replaceSearch({ tab: t === 'ports' ? undefined : t });
  };
  const of10 = sw?.openflowVersion === '1.0';

  return (
    <section className="switch-detail">
      <p>
        <a href="/ui/switches" onClick={followLink}>
          ‹ All switches
        </a>
      </p>
      <h2 className="mono" data-testid="switch-dpid">
        {dpid}
      </h2>
      {problem ? <ProblemNote problem={problem} /> : null}
      {sw ? (
        <>
          <div className="figures">
            <Figure id="sw-address" label="Address" value={sw.address} />
            <Figure id="sw-openflow" label="OpenFlow" value={sw.openflowVersion} />
            <Figure
              id="sw-connected"
              label="Connected since"
              value={new Date(sw.connectedSince).toLocaleString()}
            />
            <Figure id="sw-ports" label="Ports" value={sw.portCount} />
          </div>
          <div role="tablist" aria-label="Switch details" className="tabs">
            {TABS.map(([t, label]) => (
              <button
                key={t}
                type="button"
                role="tab"
                aria-selected={tab === t}
                data-testid={`tab-${t}`}
                onClick={() => choose(t)}
              >
                {label}
              </button>
            ))}
          </div>
          <div role="tabpanel" className="tabpanel">
            {tab === 'ports' ? <PortsTab dpid={dpid} /> : null}
            {tab === 'flows' ? <FlowsTab dpid={dpid} /> : null}
            {tab === 'meters' ? of10 ? <NotInOf10 what="Meters" /> : <MetersTab dpid={dpid} /> : null}
            {tab === 'queues' ? <QueuesTab dpid={dpid} /> : null}
            {tab === 'groups' ? of10 ? <NotInOf10 what="Groups" /> : <GroupsTab dpid={dpid} /> : null}
            {tab === 'desc' ? <DescTab dpid={dpid} /> : null}
          </div>
        </>
      ) : problem ? null : (
        <p className="loading">Loading…</p>
      )}
    </section>
  );
}

function NotInOf10({ what }: { what: string }) {
  return (
    <p className="note" data-testid="not-in-of10">
      {what} are not in OpenFlow 1.0: this switch speaks 1.0. Connect it with OpenFlow 1.3 (e.g.{' '}
      <code>ovs-vsctl set bridge BR protocols=OpenFlow13</code>) to use them.
    </p>
  );
}

/** A stats kind the switch's OpenFlow version lacks (the API's 400 unsupported_by_switch). */
const isUnsupported = (err: unknown): boolean =>
  err instanceof ApiError && err.error === 'unsupported_by_switch';

/** A stats reply, or none when the switch's OpenFlow version has no such kind. */
interface Answer<T> {
  body?: T;
}

async function statsOf<T>(
  client: SluiceClient,
  dpid: string,
  kind: Parameters<SluiceClient['stats']>[1],
): Promise<Answer<T>> {
  try {
    return { body: (await client.stats(dpid, kind)) as T };
  } catch (err) {
    if (isUnsupported(err)) return {};
    throw err;
  }
}

/** Two kinds asked together (stats and their config): both or neither. */
async function bothOf<A, B>(a: Promise<Answer<A>>, b: Promise<Answer<B>>): Promise<Answer<[A, B]>> {
  const [x, y] = await Promise.all([a, b]);
  return x.body && y.body ? { body: [x.body, y.body] } : {};
}

// ---- ports

interface PortsData {
  ports: PortWithStats[];
  /** Rates by port number; undefined when the statistics app is not running here. */
  rates?: Map<number, PortRate>;
}

async function loadPorts(client: SluiceClient, dpid: string): Promise<PortsData> {
  const [ports, rates] = await Promise.all([
    client.ports(dpid),
    client.portRates(dpid).catch((err: unknown) => {
      if (isFeatureMissing(err)) return undefined;
      throw err;
    }),
  ]);
  return { ports, rates: rates && new Map(rates.map((r) => [r.port, r])) };
}

function PortsTab({ dpid }: { dpid: string }) {
  const { data, problem } = usePoll((client) => loadPorts(client, dpid));
  return (
    <>
      {problem ? <ProblemNote problem={problem} /> : null}
      {data && !data.rates ? (
        <p className="note" data-testid="no-rates">
          Rates need the statistics app, which is not running on this controller: counters only.
        </p>
      ) : null}
      {data ? (
        <table className="grid" data-testid="ports">
          <thead>
            <tr>
              <th>Port</th>
              <th>Name</th>
              <th>State</th>
              <th className="num">Speed</th>
              <th className="num">RX packets</th>
              <th className="num">TX packets</th>
              <th className="num">RX bytes</th>
              <th className="num">TX bytes</th>
              <th className="num">Drops</th>
              <th className="num">Errors</th>
              <th className="num">RX rate</th>
              <th className="num">TX rate</th>
              <th className="num">RX pkt/s</th>
              <th className="num">TX pkt/s</th>
              <th className="num">Drops/s</th>
              <th className="num">Errors/s</th>
              <th className="num">Utilisation</th>
            </tr>
          </thead>
          <tbody>
            {data.ports.map((p) => {
              const s = p.stats;
              const r = data.rates?.get(p.port);
              return (
                <tr key={p.port} data-port={p.name}>
                  <td>{p.portName}</td>
                  <td className="mono">{p.name}</td>
                  <td>{!p.adminUp ? 'admin down' : p.linkUp ? 'up' : 'link down'}</td>
                  <td className="num">{p.currSpeedKbps ? formatBitRate(p.currSpeedKbps * 1000) : '–'}</td>
                  <td className="num" data-col="rxPackets">
                    {formatCount(s?.rxPackets)}
                  </td>
                  <td className="num" data-col="txPackets">
                    {formatCount(s?.txPackets)}
                  </td>
                  <td className="num">{formatCount(s?.rxBytes)}</td>
                  <td className="num">{formatCount(s?.txBytes)}</td>
                  <td className="num">{s ? formatCount(s.rxDropped + s.txDropped) : '–'}</td>
                  <td className="num">{s ? formatCount(s.rxErrors + s.txErrors) : '–'}</td>
                  <td className="num">{formatBitRate(r?.rxBitsPerSec)}</td>
                  <td className="num">{formatBitRate(r?.txBitsPerSec)}</td>
                  <td className="num">{formatPerSec(r?.rxPacketsPerSec)}</td>
                  <td className="num">{formatPerSec(r?.txPacketsPerSec)}</td>
                  <td className="num">{formatPerSec(r?.droppedPerSec)}</td>
                  <td className="num">{formatPerSec(r?.errorsPerSec)}</td>
                  <td className="num">{formatShare(r?.utilisation)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : problem ? null : (
        <p className="loading">Loading…</p>
      )}
    </>
  );
}

// ---- flows

function FlowsTab({ dpid }: { dpid: string }) {
  const { data, problem } = usePoll((client) => client.flows(dpid));
  return (
    <>
      {problem ? <ProblemNote problem={problem} /> : null}
      {data ? (
        <>
          <p className="count" data-testid="flow-count">
            {data.length} flow{data.length === 1 ? '' : 's'} (as <code>ovs-ofctl dump-flows</code> prints
            them)
          </p>
          <pre className="flows" data-testid="flows-text">
            {flowsText(data)}
          </pre>
        </>
      ) : problem ? null : (
        <p className="loading">Loading…</p>
      )}
    </>
  );
}

// ---- meters, queues, groups, description: the stats bodies as the API passes them on

type Counter = number | string;

interface MeterStats {
  meters: {
    meterId: number;
    flowCount: number;
    packetInCount: Counter;
    byteInCount: Counter;
    durationSec: number;
  }[];
}
interface MeterConfig {
  meters: { meterId: number; flags: number; bands: { type: string; rate: number; burstSize: number }[] }[];
}
interface QueueStats {
  queues: { portNo: number; queueId: number; txPackets: Counter; txBytes: Counter; txErrors: Counter }[];
}
interface GroupStats {
  groups: { groupId: number; refCount: number; packetCount: Counter; byteCount: Counter }[];
}
interface GroupDesc {
  groups: { groupId: number; groupType: number; buckets: unknown[] }[];
}
interface DescStats {
  desc: { mfrDesc: string; hwDesc: string; swDesc: string; serialNum: string; dpDesc: string };
}

const OFPMF_KBPS = 1;
const OFPMF_PKTPS = 2;
const GROUP_TYPES = ['all', 'select', 'indirect', 'fast failover'];

/** Shown where a 1.0 switch is asked for a 1.3 kind anyway (the version changed under the page). */
const UNSUPPORTED = 'not in OpenFlow 1.0';

interface Column<T> {
  head: string;
  cell(row: T): React.ReactNode;
  /** Right-aligned numbers. */
  num?: boolean;
}

/** A stats table, or a note when the switch has none of the kind. */
function RowsTable<T>(props: {
  id: string;
  rows: readonly T[];
  rowKey(row: T): string | number;
  columns: readonly Column<T>[];
  none: string;
}) {
  const { id, rows, rowKey, columns, none } = props;
  if (rows.length === 0) {
    return (
      <p className="note" data-testid="none">
        {none}
      </p>
    );
  }
  return (
    <table className="grid" data-testid={id}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.head} className={c.num ? 'num' : undefined}>
              {c.head}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={rowKey(r)}>
            {columns.map((c) => (
              <td key={c.head} className={c.num ? 'num' : undefined}>
                {c.cell(r)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const bandUnit = (flags: number) => (flags & OFPMF_PKTPS ? ' pktps' : flags & OFPMF_KBPS ? ' kbps' : '');

function MetersTab({ dpid }: { dpid: string }) {
  const { data, problem } = usePoll((client) =>
    bothOf(statsOf<MeterStats>(client, dpid, 'meter'), statsOf<MeterConfig>(client, dpid, 'meter-config')),
  );
  const [stats, config] = data?.body ?? [];
  type Meter = MeterConfig['meters'][number];
  const statsOfMeter = (m: Meter) => stats?.meters.find((x) => x.meterId === m.meterId);
  return (
    <StatsPanel problem={problem} answer={data} what="Meters">
      <RowsTable
        id="meters"
        none="No meters on this switch."
        rows={config?.meters ?? []}
        rowKey={(m) => m.meterId}
        columns={[
          { head: 'Meter', cell: (m) => m.meterId },
          {
            head: 'Bands',
            cell: (m) => m.bands.map((b) => `${b.type} rate=${b.rate}${bandUnit(m.flags)}`).join(', '),
          },
          { head: 'Flows', num: true, cell: (m) => formatCount(statsOfMeter(m)?.flowCount) },
          { head: 'Packets in', num: true, cell: (m) => formatCount(statsOfMeter(m)?.packetInCount) },
          { head: 'Bytes in', num: true, cell: (m) => formatCount(statsOfMeter(m)?.byteInCount) },
        ]}
      />
    </StatsPanel>
  );
}

function QueuesTab({ dpid }: { dpid: string }) {
  const { data, problem } = usePoll((client) => statsOf<QueueStats>(client, dpid, 'queue'));
  return (
    <StatsPanel problem={problem} answer={data} what="Queues">
      <RowsTable
        id="queues"
        none="No queues on this switch’s ports."
        rows={data?.body?.queues ?? []}
        rowKey={(q) => `${q.portNo}/${q.queueId}`}
        columns={[
          { head: 'Port', cell: (q) => q.portNo },
          { head: 'Queue', cell: (q) => q.queueId },
          { head: 'TX packets', num: true, cell: (q) => formatCount(q.txPackets) },
          { head: 'TX bytes', num: true, cell: (q) => formatCount(q.txBytes) },
          { head: 'TX errors', num: true, cell: (q) => formatCount(q.txErrors) },
        ]}
      />
    </StatsPanel>
  );
}

function GroupsTab({ dpid }: { dpid: string }) {
  const { data, problem } = usePoll((client) =>
    bothOf(statsOf<GroupStats>(client, dpid, 'group'), statsOf<GroupDesc>(client, dpid, 'group-desc')),
  );
  const [stats, desc] = data?.body ?? [];
  type Group = GroupDesc['groups'][number];
  const statsOfGroup = (g: Group) => stats?.groups.find((x) => x.groupId === g.groupId);
  return (
    <StatsPanel problem={problem} answer={data} what="Groups">
      <RowsTable
        id="groups"
        none="No groups on this switch."
        rows={desc?.groups ?? []}
        rowKey={(g) => g.groupId}
        columns={[
          { head: 'Group', cell: (g) => g.groupId },
          { head: 'Type', cell: (g) => GROUP_TYPES[g.groupType] ?? g.groupType },
          { head: 'Buckets', num: true, cell: (g) => g.buckets.length },
          { head: 'Flows', num: true, cell: (g) => formatCount(statsOfGroup(g)?.refCount) },
          { head: 'Packets', num: true, cell: (g) => formatCount(statsOfGroup(g)?.packetCount) },
          { head: 'Bytes', num: true, cell: (g) => formatCount(statsOfGroup(g)?.byteCount) },
        ]}
      />
    </StatsPanel>
  );
}

function DescTab({ dpid }: { dpid: string }) {
  const { data, problem } = usePoll((client) => statsOf<DescStats>(client, dpid, 'desc'));
  const d = data?.body?.desc;
  return (
    <StatsPanel problem={problem} answer={data} what="Descriptions">
      {d ? (
        <dl className="desc" data-testid="desc">
          <dt>Manufacturer</dt>
          <dd>{d.mfrDesc}</dd>
          <dt>Hardware</dt>
          <dd>{d.hwDesc}</dd>
          <dt>Software</dt>
          <dd>{d.swDesc}</dd>
          <dt>Serial number</dt>
          <dd>{d.serialNum}</dd>
          <dt>Datapath</dt>
          <dd>{d.dpDesc}</dd>
        </dl>
      ) : null}
    </StatsPanel>
  );
}

/** A stats tab's frame: the problem in place, loading, or the version's lack of the kind. */
function StatsPanel(props: {
  problem?: Problem;
  answer?: Answer<unknown>;
  what: string;
  children: React.ReactNode;
}) {
  const { problem, answer, what, children } = props;
  return (
    <>
      {problem ? <ProblemNote problem={problem} /> : null}
      {!answer ? (
        problem ? null : (
          <p className="loading">Loading…</p>
        )
      ) : answer.body ? (
        children
      ) : (
        <p className="note" data-testid="not-in-of10">
          {what} are {UNSUPPORTED}.
        </p>
      )}
    </>
  );
}
