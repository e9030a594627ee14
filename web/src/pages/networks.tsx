/**
 * Container networks, live (polled every 2 s): the networks, their endpoints grouped by host, and the agents
 * with the VXLAN tunnels between them (every agent tunnels to every other's underlay address). The controller
 * answers these from the store it shares with the agents; an empty store gets an explanation, not an error.
 */
import type { AgentEndpoint, AgentHost, AgentNetwork } from '../../../src/client/index.js';
import type { SluiceClient } from '../api.js';
import { Figure, ProblemNote, usePoll } from '../ui.js';
import './panels.css';

interface NetworksData {
  networks: AgentNetwork[];
  endpoints: AgentEndpoint[];
  agents: AgentHost[];
}

async function loadNetworks(client: SluiceClient): Promise<NetworksData> {
  const [networks, endpoints, agents] = await Promise.all([
    client.networks(),
    client.endpoints(),
    client.agents(),
  ]);
  return { networks, endpoints, agents };
}

/** Endpoints by the host that plumbs them, hosts in name order. */
export function endpointsByHost(endpoints: readonly AgentEndpoint[]): [string, AgentEndpoint[]][] {
  const out = new Map<string, AgentEndpoint[]>();
  for (const e of endpoints) out.set(e.host, [...(out.get(e.host) ?? []), e]);
  return [...out].sort(([a], [b]) => a.localeCompare(b));
}

export function Networks() {
  const { data, problem } = usePoll(loadNetworks);
  const missing = problem?.kind === 'missing';
  const empty = data && data.networks.length === 0 && data.endpoints.length === 0 && data.agents.length === 0;
  return (
    <section className="networks">
      {problem ? (
        <ProblemNote
          problem={
            missing
              ? {
                  ...problem,
                  detail: `${problem.detail}. The controller serves container networks when it shares its store with the agents (e.g. the same etcd).`,
                }
              : problem
          }
        />
      ) : null}
      {data && !missing ? (
        empty ? (
          <Empty />
        ) : (
          <>
            <div className="figures">
              <Figure id="net-networks" label="Networks" value={data.networks.length} />
              <Figure id="net-endpoints" label="Endpoints" value={data.endpoints.length} />
              <Figure id="net-agents" label="Agents" value={data.agents.length} />
            </div>
            <NetworkTable networks={data.networks} endpoints={data.endpoints} />
            <Endpoints endpoints={data.endpoints} />
            <Agents agents={data.agents} />
          </>
        )
      ) : problem ? null : (
        <p className="loading">Loading…</p>
      )}
    </section>
  );
}

function Empty() {
  return (
    <div className="note" data-testid="networks-empty">
      <p>
        <strong>No container network yet.</strong> Networks, their endpoints and the hosts carrying them show
        here once agents share this controller’s store.
      </p>
      <ol>
        <li>
          On each container host, run an agent against the same store as this controller, e.g.{' '}
          <code>sluice agent --store etcd --etcd-endpoints http://ETCD:2379</code>.
        </li>
        <li>
          Create a network through any agent: <code>sluice network create web 10.2.0.0/16</code>.
        </li>
        <li>
          Attach containers: <code>sluice run -n web IMAGE</code>, <code>sluice attach CONTAINER web</code>,
          or Docker’s <code>--network</code> with the Sluice plugin.
        </li>
      </ol>
    </div>
  );
}

function NetworkTable({ networks, endpoints }: { networks: AgentNetwork[]; endpoints: AgentEndpoint[] }) {
  return (
    <>
      <h2>Networks</h2>
      {networks.length === 0 ? (
        <p className="note" data-testid="no-networks">
          No network yet: <code>sluice network create NAME [CIDR]</code> makes one.
        </p>
      ) : (
        <table className="grid" data-testid="networks">
          <thead>
            <tr>
              <th>Name</th>
              <th>Subnet</th>
              <th>Gateway</th>
              <th>VNI</th>
              <th>MTU</th>
              <th>NAT</th>
              <th>Endpoints</th>
              <th>Labels</th>
            </tr>
          </thead>
          <tbody>
            {networks.map((n) => (
              <tr key={n.id} data-testid={`network-${n.name}`}>
                <td>{n.name}</td>
                <td>{n.subnet}</td>
                <td>{n.gateway}</td>
                <td>{n.vni}</td>
                <td>{n.mtu}</td>
                <td>{n.nat ? 'yes' : 'no'}</td>
                <td>{endpoints.filter((e) => e.networkId === n.id).length}</td>
                <td className="small">
                  {Object.entries(n.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Endpoints({ endpoints }: { endpoints: AgentEndpoint[] }) {
  return (
    <>
      <h2>Endpoints per host</h2>
      {endpoints.length === 0 ? (
        <p className="note" data-testid="no-endpoints">
          No container attached yet: <code>sluice attach CONTAINER NETWORK</code> or{' '}
          <code>sluice run -n</code>.
        </p>
      ) : (
        endpointsByHost(endpoints).map(([host, eps]) => (
          <div key={host} data-testid={`endpoints-${host}`}>
            <h3>{host}</h3>
            <table className="grid">
              <thead>
                <tr>
                  <th>Container</th>
                  <th>Network</th>
                  <th>Address</th>
                  <th>MAC</th>
                  <th>Interface</th>
                  <th>Host port</th>
                  <th>Kind</th>
                </tr>
              </thead>
              <tbody>
                {eps.map((e) => (
                  <tr key={e.id} data-testid="endpoint">
                    <td>{e.containerName ?? e.containerId.slice(0, 12)}</td>
                    <td>{e.network}</td>
                    <td>{e.cidr}</td>
                    <td>{e.mac}</td>
                    <td>{e.ifname}</td>
                    <td>{e.hostIface}</td>
                    <td>{e.kind}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))
      )}
    </>
  );
}

function Agents({ agents }: { agents: AgentHost[] }) {
  return (
    <>
      <h2>Agents and tunnels</h2>
      {agents.length === 0 ? (
        <p className="note" data-testid="no-agents">
          No live agent: <code>sluice agent</code> on each container host registers it here.
        </p>
      ) : (
        <table className="grid" data-testid="agents">
          <thead>
            <tr>
              <th>Host</th>
              <th>Hostname</th>
              <th>Underlay (VTEP)</th>
              <th>Bridge</th>
              <th>Version</th>
              <th>Since</th>
              <th>VXLAN tunnels to</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => {
              const peers = agents.filter((p) => p.id !== a.id);
              return (
                <tr key={a.id} data-testid={`agent-${a.id}`}>
                  <td>{a.id}</td>
                  <td>{a.hostname}</td>
                  <td>{a.underlayIp}</td>
                  <td>{a.bridge}</td>
                  <td>{a.version}</td>
                  <td>{new Date(a.startedAt).toLocaleString()}</td>
                  <td>
                    {peers.length
                      ? peers.map((p) => `${p.id} (${p.underlayIp})`).join(', ')
                      : 'none (one host)'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
