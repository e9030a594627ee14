/**
 * Nodes (issue 12, NVP's control services): node and cluster descriptions with their history, transport node
 * registrations, transport zones, interface statistics, and the control cluster. Bodies and paths are checked
 * against src/schema/nodes.ts (naming the field); the registry adds what needs the store; these routes
 * translate shapes and errors.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext, RouteArea } from '../context.js';
import { callApp, HttpError, notFound } from '../errors.js';
import { schemaChecked } from '../checked.js';
import { replies } from '../responses.js';
import {
  ClusterApplied,
  ClusterDescriptionRecord,
  ClusterRevision,
  ControlCluster,
  ControlClusterView,
  ClusterRebalanced,
  IFNAME_PATTERN,
  InterfaceStatistics,
  NODE_NAME_PATTERN,
  NodeApplied,
  NodeDescription,
  NodeRecord,
  NodeRevision,
  NodeSummary,
  TransportNode,
  TransportNodeRegistration,
  TransportZone,
} from '../../schema/index.js';
import { describePattern } from '../../schema/check.js';
import {
  clusterViewOf,
  transportNodeOf,
  zonesOf,
  type ClusterMembership,
  type ControllerIdentity,
  type NodeRegistry,
  type TransportRuntime,
} from '../../apps/nodes/index.js';

/** When this module was loaded: the start time of a view that does not say. */
const STARTED = new Date().toISOString();

export interface NodesView {
  registry: Pick<
    NodeRegistry,
    | 'list'
    | 'get'
    | 'revisions'
    | 'apply'
    | 'delete'
    | 'clusterDescription'
    | 'clusterRevisions'
    | 'applyCluster'
    | 'registrations'
    | 'registration'
    | 'register'
    | 'unregister'
  >;
  runtime: TransportRuntime;
  /** This controller: its id, name, version and listen addresses (read at each request). */
  identity: () => ControllerIdentity;
  /** When this controller started (ISO): a controller alone leads since then. */
  started?: string;
  /** A clustered controller's members and leader, read from the store at each request. */
  cluster?: () => Promise<ClusterMembership>;
  /** A clustered controller: asks the members to even out switch mastership; the moves asked for. */
  rebalance?: () => Promise<ClusterRebalanced['moves']>;
}

const NameParams = Type.Object({
  name: Type.String({ pattern: NODE_NAME_PATTERN, description: 'node name' }),
});
const ZoneParams = Type.Object({
  name: Type.String({ pattern: NODE_NAME_PATTERN, description: 'transport zone name' }),
});
const IfaceParams = Type.Object({
  name: Type.String({ pattern: NODE_NAME_PATTERN, description: 'node name' }),
  iface: Type.String({ pattern: IFNAME_PATTERN, description: "an interface in the node's OVSDB" }),
});
const DryRunQuery = Type.Object(
  {
    dry_run: Type.Optional(
      Type.String({
        pattern: describePattern('^(true|false)$', 'true or false'),
        description: 'true: answer what the apply would do, store nothing',
      }),
    ),
  },
  { additionalProperties: false },
);

type Name = { Params: { name: string } };
type DryRun = { Querystring: { dry_run?: 'true' | 'false' } };

export function nodesRoutes(view: NodesView): RouteArea {
  const { registry, runtime } = view;
  return (app: FastifyInstance, _ctx: ApiContext) => {
    const tags = ['nodes'];
    const checked = { validatorCompiler: schemaChecked };

    const describedNode = async (name: string) => {
      const node = await registry.get(name);
      if (!node) throw notFound(`node ${name} has no description (sluice node apply FILE)`, 'name');
      return node;
    };
    const registeredNode = async (name: string) => {
      const stored = await registry.registration(name);
      if (!stored) {
        throw notFound(`transport node ${name} is not registered (sluice node provision ${name})`, 'name');
      }
      return stored;
    };

    // ---- descriptions

    app.get(
      '/api/v1/nodes',
      { schema: { tags, summary: 'Node descriptions, by name', response: replies(Type.Array(NodeSummary)) } },
      async () =>
        (await callApp(() => registry.list())).map((r) => ({
          name: r.name,
          type: r.description.type,
          transport_zone: r.description.transport_zone,
          management_address: r.description.management_address,
          revision: r.revision,
          updated: r.updated,
        })),
    );
    app.get<Name>(
      '/api/v1/nodes/:name',
      {
        ...checked,
        schema: { tags, summary: "A node's description", params: NameParams, response: replies(NodeRecord) },
      },
      async (req) => describedNode(req.params.name),
    );
    app.put<Name & DryRun & { Body: NodeDescription }>(
      '/api/v1/nodes/:name',
      {
        ...checked,
        schema: {
          tags,
          summary: 'Create or update a node description (the same description again changes nothing)',
          params: NameParams,
          querystring: DryRunQuery,
          body: NodeDescription,
          response: replies(NodeApplied),
        },
      },
      async (req) => {
        const { name } = req.params;
        const applied = await callApp(() => registry.apply(name, req.body, req.query.dry_run === 'true'));
        return { name, ...applied };
      },
    );
    app.delete<Name>(
      '/api/v1/nodes/:name',
      {
        ...checked,
        schema: {
          tags,
          summary: 'Delete a node description (its history stays, ending with this deletion)',
          params: NameParams,
          response: replies(NodeRevision),
        },
      },
      async (req) => callApp(() => registry.delete(req.params.name)),
    );
    app.get<Name>(
      '/api/v1/nodes/:name/history',
      {
        ...checked,
        schema: {
          tags,
          summary: "A node's description revisions, oldest first (deletions included)",
          params: NameParams,
          response: replies(Type.Array(NodeRevision)),
        },
      },
      async (req) => {
        const revisions = await callApp(() => registry.revisions(req.params.name));
        if (!revisions.length) throw notFound(`node ${req.params.name} was never applied`, 'name');
        return revisions;
      },
    );

    // ---- the control cluster

    app.get(
      '/api/v1/cluster',
      {
        schema: {
          tags,
          summary:
            'The control cluster: its members, their roles and listen addresses, and who leads since when',
          response: replies(ControlClusterView),
        },
      },
      async () =>
        clusterViewOf(
          view.identity(),
          view.started ?? STARTED,
          view.cluster ? await callApp(() => view.cluster!()) : undefined,
        ),
    );
    app.post(
      '/api/v1/cluster/rebalance',
      {
        schema: {
          tags,
          summary:
            "Even out switch mastership across the cluster's members (masters never move back by themselves)",
          response: replies(ClusterRebalanced),
        },
      },
      async () => {
        if (!view.rebalance) {
          throw new HttpError(
            409,
            'conflict',
            'this controller runs alone: rebalancing needs members started with --store etcd --cluster-id',
          );
        }
        return { moves: await callApp(() => view.rebalance!()) };
      },
    );
    app.get(
      '/api/v1/cluster/description',
      {
        schema: {
          tags,
          summary: 'The control cluster description the nodes are provisioned with',
          response: replies(ClusterDescriptionRecord),
        },
      },
      async () => {
        const record = await callApp(() => registry.clusterDescription());
        if (!record) throw notFound('no cluster description yet (sluice node apply FILE with "cluster")');
        return record;
      },
    );
    app.put<DryRun & { Body: ControlCluster }>(
      '/api/v1/cluster/description',
      {
        ...checked,
        schema: {
          tags,
          summary: 'Create or update the cluster description (the same description again changes nothing)',
          querystring: DryRunQuery,
          body: ControlCluster,
          response: replies(ClusterApplied),
        },
      },
      async (req) => callApp(() => registry.applyCluster(req.body, req.query.dry_run === 'true')),
    );
    app.get(
      '/api/v1/cluster/description/history',
      {
        schema: {
          tags,
          summary: 'The cluster description revisions, oldest first',
          response: replies(Type.Array(ClusterRevision)),
        },
      },
      async () => callApp(() => registry.clusterRevisions()),
    );

    // ---- transport nodes and zones

    app.get(
      '/api/v1/transport-nodes',
      {
        schema: {
          tags,
          summary: 'Registered transport nodes with their connections and tunnels',
          response: replies(Type.Array(TransportNode)),
        },
      },
      async () =>
        (await callApp(() => registry.registrations())).map((r) =>
          transportNodeOf(r.name, r.stored, runtime),
        ),
    );
    app.get<Name>(
      '/api/v1/transport-nodes/:name',
      {
        ...checked,
        schema: {
          tags,
          summary: 'One transport node',
          params: NameParams,
          response: replies(TransportNode),
        },
      },
      async (req) => transportNodeOf(req.params.name, await registeredNode(req.params.name), runtime),
    );
    app.put<Name & { Body: TransportNodeRegistration }>(
      '/api/v1/transport-nodes/:name',
      {
        ...checked,
        schema: {
          tags,
          summary: 'Register a provisioned node (its description must be applied and agree)',
          params: NameParams,
          body: TransportNodeRegistration,
          response: replies(TransportNode),
        },
      },
      async (req) => {
        const stored = await callApp(() => registry.register(req.params.name, req.body));
        return transportNodeOf(req.params.name, stored, runtime);
      },
    );
    app.delete<Name>(
      '/api/v1/transport-nodes/:name',
      {
        ...checked,
        schema: {
          tags,
          summary: 'Forget a transport node (its description stays)',
          params: NameParams,
          response: replies(TransportNode),
        },
      },
      async (req) => {
        const stored = await callApp(() => registry.unregister(req.params.name));
        return transportNodeOf(req.params.name, stored, runtime);
      },
    );
    app.get<Name>(
      '/api/v1/transport-nodes/:name/interfaces',
      {
        ...checked,
        schema: {
          tags,
          summary: "Interface names the node's OVSDB reports, sorted",
          params: NameParams,
          response: replies(Type.Array(Type.String())),
        },
      },
      async (req) => {
        await registeredNode(req.params.name);
        return runtime.interfaces(req.params.name);
      },
    );
    app.get<{ Params: { name: string; iface: string } }>(
      '/api/v1/transport-nodes/:name/interfaces/:iface/stats',
      {
        ...checked,
        schema: {
          tags,
          summary: "An interface's latest OVSDB statistics (rx/tx packets, bytes, drops, errors)",
          params: IfaceParams,
          response: replies(InterfaceStatistics),
        },
      },
      async (req) => {
        const { name, iface } = req.params;
        await registeredNode(name);
        const stats = runtime.interfaceStatistics(name, iface);
        if (!stats) {
          const why = runtime.ovsdb(name).connected ? 'reports no such interface' : 'is not connected';
          throw notFound(`interface ${iface}: transport node ${name} ${why}`, 'iface');
        }
        return stats;
      },
    );

    const zones = async () => {
      const [descriptions, registrations] = await callApp(() =>
        Promise.all([registry.list(), registry.registrations()]),
      );
      return zonesOf(
        descriptions.map((d) => d.description),
        registrations.map((r) => ({
          name: r.name,
          transport_zone: r.stored.registration.transport_zone,
          system_id: r.stored.registration.system_id,
        })),
        runtime,
      );
    };
    app.get(
      '/api/v1/transport-zones',
      {
        schema: {
          tags,
          summary: 'Transport zones: the nodes described or registered in each, and how many are connected',
          response: replies(Type.Array(TransportZone)),
        },
      },
      zones,
    );
    app.get<Name>(
      '/api/v1/transport-zones/:name',
      {
        ...checked,
        schema: { tags, summary: 'One transport zone', params: ZoneParams, response: replies(TransportZone) },
      },
      async (req) => {
        const zone = (await zones()).find((z) => z.name === req.params.name);
        if (!zone) throw notFound(`transport zone ${req.params.name} has no nodes`, 'name');
        return zone;
      },
    );
  };
}
