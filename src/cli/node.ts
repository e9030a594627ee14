/**
 * `sluice node ...`, `sluice transport-node ...`, `sluice transport-zone list`, `sluice cluster`: the NVP/NSX
 * toolkit's node descriptions kept in the controller's store with their history, and what the controller knows
 * of the provisioned nodes. Description files are checked here before anything is sent (the error names the
 * file and the field); the controller checks again and keeps the revisions.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  ApiError,
  type ClusterApplied,
  type ControlClusterMember,
  type ControlClusterView,
  type NodeApplied,
  type NodeRecord,
  type NodeRevision,
  type NodeSummary,
  type TransportNode,
  type TransportZone,
} from '../client/index.js';
import {
  ControlCluster,
  firstFault,
  NODE_NAME_PATTERN,
  NodeDescription,
  NodeDocument,
} from '../schema/index.js';
import { sortedKeys } from '../util/index.js';
import { jsonObjectArg, readFileArg } from './args.js';
import { ExitCode } from './network.js';
import type { QueryOptions, VerbContext, VerbGroup } from './run.js';
import { ago, formatTable, keyValueText } from './table.js';
import { diffLines } from './textdiff.js';

// ---- arguments and description files

const NAME_RE = new RegExp(NODE_NAME_PATTERN);

export function nodeNameArg(text: string): string {
  if (!NAME_RE.test(text)) {
    throw new InvalidArgumentError(
      `'${text}' is not a node name (up to 63 letters, digits, ".", "_" or "-", starting with a letter or digit).`,
    );
  }
  return text;
}

const DOCUMENT_EXAMPLE =
  '{"cluster": {"controllers": [{"address": "10.0.0.254"}]}, "nodes": [{"type": "hypervisor", "name": "hv1", ...}]}';

/** What a set of description files describes, each part with the file it came from. */
export interface DescribedSet {
  cluster?: { file: string; description: ControlCluster };
  nodes: { file: string; description: NodeDescription }[];
}

/**
 * Checks parsed description files and merges them: each is a document ({cluster, nodes}) or one node
 * description (neither "cluster" nor "nodes"). A fault names the file and the field; a node described twice, or two
 * clusters, name both files.
 */
export function describedSet(
  files: readonly { file: string; value: Record<string, unknown> }[],
): DescribedSet {
  const set: DescribedSet = { nodes: [] };
  const seen = new Map<string, string>();
  for (const { file, value } of files) {
    const single = !('cluster' in value) && !('nodes' in value);
    const fault = firstFault(single ? NodeDescription : NodeDocument, value);
    if (fault) {
      throw new InvalidArgumentError(`${file}: ${fault.field || 'the file'}: ${fault.reason}.`);
    }
    const doc = (single ? { nodes: [value] } : value) as NodeDocument;
    if (doc.cluster) {
      if (set.cluster) {
        throw new InvalidArgumentError(
          `${file}: cluster: already described in ${set.cluster.file}; keep one cluster description.`,
        );
      }
      set.cluster = { file, description: doc.cluster };
    }
    (doc.nodes ?? []).forEach((description, i) => {
      const other = seen.get(description.name);
      if (other !== undefined) {
        throw new InvalidArgumentError(
          `${file}: ${single ? 'name' : `nodes[${i}].name`}: node ${description.name} is also described in ${other}.`,
        );
      }
      seen.set(description.name, file);
      set.nodes.push({ file, description });
    });
  }
  return set;
}

/** FILE, or every *.json in DIR (sorted by name), parsed; unreadable or non-JSON files name themselves. */
export function readDescriptionFiles(path: string): { file: string; value: Record<string, unknown> }[] {
  let files = [path];
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // readFileArg names the file and why it cannot be read.
  }
  if (isDir) {
    files = readdirSync(path)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(path, f));
    if (!files.length) throw new InvalidArgumentError(`${path}: no *.json description files in it.`);
  }
  return files.map((file) => ({
    file,
    value: jsonObjectArg(readFileArg(file), `${file}: `, DOCUMENT_EXAMPLE),
  }));
}

// ---- human output

const prettyLines = (value: unknown) => JSON.stringify(sortedKeys(value), null, 2).split('\n');

/**
 * The stored description against the file's, as a unified-style diff with both labels; '' when they are the
 * same (key order does not count).
 */
export function descriptionDiff(
  what: string,
  stored: { revision: number; description: unknown } | undefined,
  file: { file: string; description: unknown },
): string {
  const before = stored ? prettyLines(stored.description) : [];
  const after = prettyLines(file.description);
  if (stored && before.join('\n') === after.join('\n')) return '';
  const from = stored ? `${what} (stored, revision ${stored.revision})` : `${what} (not stored)`;
  return [`--- ${from}`, `+++ ${what} (${file.file})`, ...diffLines(before, after)].join('\n') + '\n';
}

export function appliedLine(what: string, a: NodeApplied | ClusterApplied, dryRun: boolean): string {
  const verb = a.change === 'unchanged' ? 'unchanged' : dryRun ? `would be ${a.change}` : a.change;
  return `${what}: ${verb} (revision ${a.revision})\n`;
}

export function nodesText(nodes: readonly NodeSummary[], nowMs: number): string {
  if (!nodes.length) return 'no node descriptions (add some with `sluice node apply FILE`)\n';
  return formatTable(
    ['name', 'type', 'transport zone', 'management address', 'revision', 'updated'],
    nodes.map((n) => [
      n.name,
      n.type,
      n.transport_zone,
      n.management_address,
      String(n.revision),
      ago(Date.parse(n.updated), nowMs),
    ]),
  );
}

const valueText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function nodeText(r: NodeRecord): string {
  return keyValueText([
    ['Name', r.name],
    ['Revision', String(r.revision)],
    ['Updated', r.updated],
    ...Object.entries(r.description)
      .filter(([k]) => k !== 'name')
      .map(([k, v]): [string, string] => [k, valueText(v)]),
  ]);
}

export function historyText(revisions: readonly NodeRevision[]): string {
  return formatTable(
    ['revision', 'change', 'applied', 'type', 'transport zone', 'management address'],
    revisions.map((r) => [
      String(r.revision),
      r.change,
      r.applied,
      r.description?.type ?? '-',
      r.description?.transport_zone ?? '-',
      r.description?.management_address ?? '-',
    ]),
  );
}

const connectionText = (c: { connected: boolean }) => (c.connected ? 'connected' : 'down');

export function transportNodesText(nodes: readonly TransportNode[], nowMs: number): string {
  if (!nodes.length)
    return 'no transport nodes registered (provision one with `sluice node provision NAME`)\n';
  return formatTable(
    ['name', 'type', 'transport zone', 'management address', 'ovsdb', 'openflow', 'tunnels', 'registered'],
    nodes.map((n) => [
      n.name,
      n.type,
      n.transport_zone,
      n.management_address,
      connectionText(n.ovsdb),
      // A node presenting another system-id is connected but not the registered machine: said in the row.
      n.faults?.length
        ? `${connectionText(n.openflow)} (${n.faults.map((f) => f.field).join(', ')} mismatch)`
        : connectionText(n.openflow),
      String(n.tunnels.length),
      ago(Date.parse(n.registered), nowMs),
    ]),
  );
}

export function transportNodeText(n: TransportNode): string {
  const since = (c: { connected: boolean; since?: string; remote?: string }) =>
    [connectionText(c), c.since && `since ${c.since}`, c.remote && `from ${c.remote}`]
      .filter(Boolean)
      .join(' ');
  const head = keyValueText([
    ['Name', n.name],
    ['Type', n.type],
    ['Transport zone', n.transport_zone],
    ['Management address', n.management_address],
    ['System id', n.system_id],
    ['Integration bridge', n.integration_bridge],
    ...(n.data_interface ? [['Data interface', n.data_interface] as [string, string]] : []),
    ...(n.data_bridge ? [['Data bridge', n.data_bridge] as [string, string]] : []),
    ['Certificate', n.certificate_fingerprint],
    ['Registered', n.registered],
    ['OVSDB', since(n.ovsdb)],
    ['OpenFlow', [since(n.openflow), n.openflow.dpid && `dpid ${n.openflow.dpid}`].filter(Boolean).join(' ')],
  ]);
  const tunnels = n.tunnels.length
    ? formatTable(
        ['tunnel', 'type', 'remote ip', 'state'],
        n.tunnels.map((t) => [t.name, t.type, t.remote_ip, t.state]),
      )
    : 'no tunnels\n';
  const faults = (n.faults ?? []).map((f) => `FAULT ${f.field}: ${f.reason}\n`).join('');
  return `${head}\n${tunnels}${faults ? `\n${faults}` : ''}`;
}

export function zonesText(zones: readonly TransportZone[]): string {
  if (!zones.length) return 'no transport zones (they come from node descriptions)\n';
  return formatTable(
    ['transport zone', 'connected', 'nodes'],
    zones.map((z) => [z.name, `${z.connected}/${z.nodes.length}`, z.nodes.join(',')]),
  );
}

/** As the seed's get_control_cluster loop printed it: each member, then its roles and listen addresses. */
export function clusterText(members: readonly ControlClusterMember[]): string {
  return members
    .map(
      (m) =>
        keyValueText([
          ['Member', m.display_name],
          ['Id', m.id],
          ['Version', m.version],
        ]) +
        formatTable(
          ['role', 'listen address'],
          m.roles.map((r) => [r.role, r.listen_addr]),
        ),
    )
    .join('\n');
}

/** `sluice cluster`: a row per member with its addresses, and who leads since when. */
export function clusterTableText(view: ControlClusterView): string {
  const addrs = (m: ControlClusterMember, role: string) =>
    m.roles
      .filter((r) => r.role === role)
      .map((r) => r.listen_addr)
      .join(',') || '-';
  const head = view.cluster_id
    ? `cluster ${view.cluster_id}: ${view.leader ? `leader ${view.leader.id}` : 'no leader (election open)'}\n`
    : '';
  if (!view.members.length) return `${head}no members registered\n`;
  const switches = view.switches;
  const mastered = (id: string) => String(switches?.filter((s) => s.master === id).length ?? 0);
  const members = formatTable(
    ['member', 'api', 'openflow', 'version', 'leader', 'since', ...(switches ? ['switches'] : [])],
    view.members.map((m) => [
      m.id,
      addrs(m, 'api'),
      addrs(m, 'openflow'),
      m.version,
      m.leader ? 'yes' : '',
      m.since ?? '',
      ...(switches ? [mastered(m.id)] : []),
    ]),
  );
  if (!switches?.length) return head + members;
  return (
    head +
    members +
    '\n' +
    formatTable(
      ['dpid', 'master', 'since', 'generation', 'connected'],
      switches.map((s) => [
        s.dpid,
        s.master ?? '(none)',
        s.since ?? '',
        s.generation ?? '',
        s.members.join(','),
      ]),
    )
  );
}

/** `sluice cluster rebalance`: the moves asked for. */
export function rebalanceText(moves: readonly { dpid: string; from: string; to: string }[]): string {
  if (!moves.length) return 'already balanced: no switch moves\n';
  return (
    formatTable(
      ['dpid', 'from', 'to'],
      moves.map((m) => [m.dpid, m.from, m.to]),
    ) + `${moves.length} switch${moves.length === 1 ? '' : 'es'} moving (within seconds)\n`
  );
}

// ---- the verbs

interface ApplyOptions extends QueryOptions {
  dryRun?: boolean;
}

/** Adds one verb to the `node` command. */
export type NodeVerb = (node: Command, v: VerbContext) => void;

const applyVerb: NodeVerb = (node, v) =>
  v
    .api(node.command('apply').description('store node (and cluster) descriptions from FILE or DIR/*.json'))
    .argument('<path>', 'a description file, or a directory of them')
    .option('--dry-run', 'say what would be created or updated; store nothing')
    .addHelpText(
      'after',
      '\nA file holds {"cluster": {...}, "nodes": [...]} (either part optional) or one node description.\n' +
        'Applying the same description again changes nothing; `sluice node history NAME` lists revisions.\n' +
        'Example:\n' +
        '  {"cluster": {"controllers": [{"address": "10.0.0.254"}]},\n' +
        '   "nodes": [{"type": "hypervisor", "name": "hv1", "management_address": "10.0.0.1",\n' +
        '              "transport_zone": "tz1", "data_interface": "eth1"}]}\n',
    )
    .action(async (path: string, o: ApplyOptions) => {
      const set = describedSet(readDescriptionFiles(path));
      const client = v.client(o).nodes;
      const dryRun = o.dryRun === true;
      const cluster =
        set.cluster && (await client.applyClusterDescription(set.cluster.description, { dryRun }));
      const nodes: NodeApplied[] = [];
      for (const n of set.nodes) nodes.push(await client.apply(n.description, { dryRun }));
      v.print(
        o,
        { dryRun, ...(cluster && { cluster }), nodes },
        () =>
          [
            ...(cluster ? [appliedLine('cluster', cluster, dryRun)] : []),
            ...nodes.map((a) => appliedLine(a.name, a, dryRun)),
          ].join('') || `${path}: describes nothing\n`,
      );
    });

const diffVerb: NodeVerb = (node, v) =>
  v
    .api(node.command('diff').description('compare FILE or DIR/*.json with the stored descriptions'))
    .argument('<path>', 'a description file, or a directory of them')
    .addHelpText('after', '\nExit status: 0 when the files and the store agree, 1 when they differ.\n')
    .action(async (path: string, o: QueryOptions) => {
      const set = describedSet(readDescriptionFiles(path));
      const client = v.client(o).nodes;
      const orMissing = <T>(p: Promise<T>) =>
        p.catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 404) return undefined;
          throw err;
        });
      const diffs: { name: string; diff: string }[] = [];
      if (set.cluster) {
        const stored = await orMissing(client.clusterDescription());
        diffs.push({ name: 'cluster', diff: descriptionDiff('cluster', stored, set.cluster) });
      }
      for (const n of set.nodes) {
        const stored = await orMissing(client.get(n.description.name));
        diffs.push({ name: n.description.name, diff: descriptionDiff(n.description.name, stored, n) });
      }
      const differ = diffs.filter((d) => d.diff !== '');
      v.print(
        o,
        diffs.map((d) => ({ name: d.name, same: d.diff === '', diff: d.diff })),
        () => diffs.map((d) => d.diff || `${d.name}: same as stored\n`).join(''),
      );
      if (differ.length) throw new ExitCode(1);
    });

const historyVerb: NodeVerb = (node, v) =>
  v
    .api(node.command('history').description("a node's description revisions, oldest first"))
    .argument('<name>', 'node name', nodeNameArg)
    .action(async (name: string, o: QueryOptions) => {
      const list = await v.client(o).nodes.history(name);
      v.print(o, list, () => historyText(list));
    });

const listVerb: NodeVerb = (node, v) =>
  v
    .api(node.command('list', { isDefault: true }).description('stored node descriptions'))
    .action(async (o: QueryOptions) => {
      const list = await v.client(o).nodes.list();
      v.print(o, list, () => nodesText(list, v.io.now()));
    });

const showVerb: NodeVerb = (node, v) =>
  v
    .api(node.command('show').description("a node's stored description"))
    .argument('<name>', 'node name', nodeNameArg)
    .action(async (name: string, o: QueryOptions) => {
      const r = await v.client(o).nodes.get(name);
      v.print(o, r, () => nodeText(r));
    });

const deleteVerb: NodeVerb = (node, v) =>
  v
    .api(node.command('delete').description("delete a node's description (its history stays)"))
    .argument('<name>', 'node name', nodeNameArg)
    .action(async (name: string, o: QueryOptions) => {
      const r = await v.client(o).nodes.delete(name);
      v.print(
        o,
        r,
        () => `deleted node ${name} (revision ${r.revision}; see \`sluice node history ${name}\`)\n`,
      );
    });

/** The verbs of `sluice node`, in help order: one line adds a verb (provisioning adds its own). */
export const NODE_VERBS: NodeVerb[] = [applyVerb, diffVerb, historyVerb, listVerb, showVerb, deleteVerb];

/** `sluice node`, `sluice transport-node`, `sluice transport-zone`, `sluice cluster`. */
export const nodeVerbs: VerbGroup = (program, v) => {
  const node = program
    .command('node')
    .description(
      'node descriptions (hypervisor, gateway, service) kept by the controller with their history',
    );
  for (const add of NODE_VERBS) add(node, v);

  const tnode = program
    .command('transport-node')
    .description('provisioned nodes the controller knows: connections, tunnels');
  v.api(tnode.command('list', { isDefault: true }).description('registered transport nodes')).action(
    async (o: QueryOptions) => {
      const list = await v.client(o).nodes.transportNodes();
      v.print(o, list, () => transportNodesText(list, v.io.now()));
    },
  );
  v.api(tnode.command('show').description('one transport node in detail'))
    .argument('<name>', 'node name', nodeNameArg)
    .action(async (name: string, o: QueryOptions) => {
      const n = await v.client(o).nodes.transportNode(name);
      v.print(o, n, () => transportNodeText(n));
    });

  const zone = program.command('transport-zone').description('transport zones and their nodes');
  v.api(
    zone.command('list', { isDefault: true }).description('zones, their nodes and how many are connected'),
  ).action(async (o: QueryOptions) => {
    const list = await v.client(o).nodes.transportZones();
    v.print(o, list, () => zonesText(list));
  });

  const cluster = program
    .command('cluster')
    .description('the control cluster: members, who leads, who masters each switch; rebalance');
  v.api(
    cluster
      .command('show', { isDefault: true })
      .description('members and their addresses, who leads since when, and who masters each switch')
      .option(
        '--roles',
        'each member with all its roles (api, openflow, ovsdb-manager) and listen addresses',
      ),
  ).action(async (o: QueryOptions & { roles?: boolean }) => {
    const view = await v.client(o).nodes.cluster();
    v.print(o, view, () => (o.roles ? clusterText(view.members) : clusterTableText(view)));
  });
  v.api(
    cluster
      .command('rebalance')
      .description(
        'even out switch mastership across the members (a returning member gets none back by itself)',
      ),
  ).action(async (o: QueryOptions) => {
    const r = await v.client(o).nodes.rebalance();
    v.print(o, r, () => rebalanceText(r.moves));
  });
};
