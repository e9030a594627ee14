/** `sluice agent` inside a simulated host (hosts.ts), and a client for its API over the underlay. */
import { AgentClient } from '../../../src/client/node.js';
import { waitFor } from '../../support/wait.js';
import type { HostProcess, SimHost } from './hosts.js';
import { SLUICE_CLI } from './paths.js';

export interface SimAgent {
  host: SimHost;
  proc: HostProcess;
  client: AgentClient;
  /** Waits until the agent's API answers (after a start or restart). */
  ready(timeoutMs?: number): Promise<void>;
}

export interface SimAgentOptions {
  /** The API token (the agent listens on the host's underlay address, so one is required). */
  token: string;
  /** etcd client URLs (multi-host); without them the agent uses the embedded store in `dataDir`. */
  etcdEndpoints?: string[];
  etcdPrefix?: string;
  dataDir?: string;
}

export function startSimAgent(h: SimHost, o: SimAgentOptions): SimAgent {
  const store = o.etcdEndpoints
    ? ['--store', 'etcd', '--etcd-endpoints', o.etcdEndpoints.join(','), ...(o.etcdPrefix ? ['--etcd-prefix', o.etcdPrefix] : [])]
    : ['--store', 'embedded', '--data-dir', o.dataDir ?? `${h.dir}/agent-data`]; // prettier-ignore
  const proc = h.spawn(
    process.execPath,
    [SLUICE_CLI, 'agent', ...store, '--host-id', h.name, '--underlay-iface', h.underlayIface,
      '--ovsdb', h.ovsdb, '--docker', h.dockerHost, '--listen', h.underlayIp, '--api-token', o.token,
      '--log-format', 'json'], // prettier-ignore
    { name: `agent-${h.name}` },
  );
  const client = new AgentClient({ baseUrl: `http://${h.underlayIp}:6675`, token: o.token });
  const ready = (timeoutMs = 30_000) =>
    waitFor(async () => (await client.health()).status === 'ok', {
      what: `the agent of ${h.name} to answer`,
      timeoutMs,
      detail: () => proc.output(30),
    }).then(() => undefined);
  return { host: h, proc, client, ready };
}
