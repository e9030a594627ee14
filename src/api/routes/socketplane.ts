/**
 * Socketplane's REST API (/v0.1, its daemon/api.go) over AgentOps, with its JSON shapes, so its CLI's curl
 * calls keep working:
 *   network   {"id": name, "subnet", "gateway", "vlan": VNI}
 *   connection {"container_id", "container_name", "container_pid", "network", "ovs_port_id",
 *               "connection_details": {"name", "ip", "subnet": "/16", "mac", "gateway"}}
 * GET /connections is an object keyed by container id, as Socketplane's in-memory map marshalled; a
 * container on several networks shows its first endpoint there (/api/v1/endpoints has them all).
 * Departures: the agent does the whole attach (Socketplane's CLI moved the port into the container itself), so
 * container_pid is not needed; errors are the API's JSON shape; cluster bind/join/leave answer 501 saying
 * what replaces them (the store, not Consul's gossip).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Network } from '../../agent/network.js';
import type { AgentOps, Endpoint } from '../../agent/types.js';
import { ConflictError, NotFoundError } from '../../util/index.js';
import { HttpError } from '../errors.js';
import { replies } from '../responses.js';

const SpNetwork = Type.Object({
  id: Type.String({ description: 'the network name' }),
  subnet: Type.String(),
  gateway: Type.String(),
  vlan: Type.Integer({ description: 'Sluice carries the VNI here (Socketplane carried a VLAN id)' }),
});

const SpConnection = Type.Object({
  container_id: Type.String(),
  container_name: Type.String(),
  container_pid: Type.String({ description: 'always empty: the agent finds the container through dockerd' }),
  network: Type.String(),
  ovs_port_id: Type.String(),
  connection_details: Type.Object({
    name: Type.String({ description: 'interface name in the container' }),
    ip: Type.String(),
    subnet: Type.String({ description: 'the prefix length, e.g. /16' }),
    mac: Type.String(),
    gateway: Type.String(),
  }),
});

export type SocketplaneNetwork = Static<typeof SpNetwork>;
export type SocketplaneConnection = Static<typeof SpConnection>;

export const toSocketplaneNetwork = (n: Network): SocketplaneNetwork => ({
  id: n.name,
  subnet: n.subnet,
  gateway: n.gateway,
  vlan: n.vni,
});

export function toSocketplaneConnection(e: Endpoint): SocketplaneConnection {
  return {
    container_id: e.containerId,
    container_name: e.containerName === undefined ? '' : `/${e.containerName}`,
    container_pid: '',
    network: e.network,
    ovs_port_id: e.hostIface,
    connection_details: {
      name: e.ifname,
      ip: e.address,
      subnet: e.cidr.slice(e.cidr.indexOf('/')),
      mac: e.mac,
      gateway: e.gateway,
    },
  };
}

const NetworkCreate = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128, description: 'the network name' }),
    subnet: Type.Optional(Type.String({ description: 'CIDR; empty or absent: a default subnet' })),
    gateway: Type.Optional(Type.String()),
    vlan: Type.Optional(Type.Integer({ description: 'the VNI; default: the lowest free' })),
  },
  { additionalProperties: false },
);
type NetworkCreate = Static<typeof NetworkCreate>;

const ConnectionCreate = Type.Object(
  {
    container_id: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'a running container (id or name)',
    }),
    container_name: Type.Optional(Type.String()),
    container_pid: Type.Optional(Type.String({ description: 'ignored' })),
    network: Type.Optional(Type.String({ description: 'empty or absent: the network named default' })),
  },
  { additionalProperties: false },
);
type ConnectionCreate = Static<typeof ConnectionCreate>;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
type IdParams = Static<typeof IdParams>;

const notImplemented = (detail: string) => new HttpError(501, 'not_implemented', detail);

/** The first endpoint of each container on this host, keyed by container id. */
async function connections(ops: AgentOps): Promise<Record<string, SocketplaneConnection>> {
  const out: Record<string, SocketplaneConnection> = {};
  for (const e of await ops.listEndpoints({ host: ops.hostId })) {
    out[e.containerId] ??= toSocketplaneConnection(e);
  }
  return out;
}

export function socketplaneRoutes(ops: AgentOps) {
  return (app: FastifyInstance): void => {
    const tags = ['socketplane /v0.1'];
    /** A DELETE of one thing by id: 204 and no body, as Socketplane's empty 200 meant. */
    const deleteById = (url: string, summary: string, fn: (id: string) => Promise<unknown>) =>
      app.delete<{ Params: IdParams }>(
        url,
        { schema: { tags, summary, params: IdParams, response: replies(Type.Null(), 204) } },
        async (req, reply) => {
          await fn(req.params.id);
          return reply.status(204).send();
        },
      );

    app.get(
      '/v0.1/networks',
      { schema: { tags, summary: 'Networks', response: replies(Type.Array(SpNetwork)) } },
      async () => (await ops.listNetworks()).map(toSocketplaneNetwork),
    );
    app.post<{ Body: NetworkCreate }>(
      '/v0.1/networks',
      {
        schema: {
          tags,
          summary: 'Create a network; an existing one of that name is returned, as Socketplane did',
          body: NetworkCreate,
          response: replies(SpNetwork),
        },
      },
      async (req) => {
        const b = req.body;
        try {
          const net = await ops.createNetwork({
            name: b.id,
            ...(b.subnet ? { subnet: b.subnet } : {}),
            ...(b.gateway ? { gateway: b.gateway } : {}),
            ...(b.vlan === undefined ? {} : { vni: b.vlan }),
          });
          return toSocketplaneNetwork(net);
        } catch (err) {
          if (!(err instanceof ConflictError && err.field === 'name')) throw err;
          return toSocketplaneNetwork(await ops.getNetwork(b.id));
        }
      },
    );
    app.get<{ Params: IdParams }>(
      '/v0.1/networks/:id',
      {
        schema: { tags, summary: 'One network', params: IdParams, response: replies(SpNetwork) },
      },
      async (req) => toSocketplaneNetwork(await ops.getNetwork(req.params.id)),
    );
    deleteById('/v0.1/networks/:id', 'Delete a network (refused while it has endpoints)', (id) =>
      ops.deleteNetwork(id),
    );

    app.get(
      '/v0.1/connections',
      {
        schema: {
          tags,
          summary: 'Containers attached on this host, keyed by container id',
          response: replies(Type.Record(Type.String(), SpConnection)),
        },
      },
      async () => connections(ops),
    );
    app.get<{ Params: IdParams }>(
      '/v0.1/connections/:id',
      {
        schema: {
          tags,
          summary: 'One container’s connection',
          params: IdParams,
          response: replies(SpConnection),
        },
      },
      async (req) => {
        const [first] = await ops.listEndpoints({ host: ops.hostId, container: req.params.id });
        if (first === undefined) {
          throw new NotFoundError('id', `Connection for container ${req.params.id} not found`);
        }
        return toSocketplaneConnection(first);
      },
    );
    app.post<{ Body: ConnectionCreate }>(
      '/v0.1/connections',
      {
        schema: {
          tags,
          summary: 'Attach a running container to a network (default: the network named default)',
          body: ConnectionCreate,
          response: replies(SpConnection),
        },
      },
      async (req, reply) => {
        const b = req.body;
        const network = b.network ? b.network : (await ops.ensureDefaultNetwork()).name;
        const ep = await ops.attachContainer(b.container_id, { network });
        void reply.header('content-location', `/v0.1/connections/${encodeURIComponent(ep.containerId)}`);
        return toSocketplaneConnection(ep);
      },
    );
    deleteById('/v0.1/connections/:id', 'Detach a container from every network on this host', (id) =>
      ops.detachContainer(id),
    );

    // Always 501 with the API's error body.
    const never = replies(Type.Null());
    const Query = (name: string) =>
      Type.Object({ [name]: Type.Optional(Type.String()) }, { additionalProperties: false });
    app.post(
      '/v0.1/cluster/bind',
      {
        schema: { tags, summary: 'Not needed: see the reply', querystring: Query('iface'), response: never },
      },
      async () => {
        throw notImplemented(
          'the underlay is fixed when the agent starts: restart it with --underlay-iface or --underlay-ip',
        );
      },
    );
    app.post(
      '/v0.1/cluster/join',
      {
        schema: {
          tags,
          summary: 'Not needed: see the reply',
          querystring: Query('address'),
          response: never,
        },
      },
      async () => {
        throw notImplemented(
          'hosts find each other through the store, not Consul: start every agent with --store etcd and ' +
            'the same --etcd-endpoints; each one registers itself and meshes with the others',
        );
      },
    );
    app.post(
      '/v0.1/cluster/leave',
      { schema: { tags, summary: 'Not needed: see the reply', response: never } },
      async () => {
        throw notImplemented(
          'an agent leaves when it stops: its host record expires with its lease and the peers drop its tunnels',
        );
      },
    );
  };
}
