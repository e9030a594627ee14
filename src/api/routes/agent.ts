/**
 * Container networks under /api/v1 (the routes src/agent/types.ts lists), over the agent's AgentOps. The
 * agent serves them all; the controller serves the GET routes read-only from the store it shares with the
 * agents (`agentReadRoutes`). AgentOps validates what it is given and names the field at fault; these routes
 * check the shape of requests, pick the operation and translate replies.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AgentOps, AttachRequest, Endpoint } from '../../agent/types.js';
import { HttpError, badRequest } from '../errors.js';
import { AgentEndpoint, AgentHost, AgentNetwork, replies } from '../responses.js';
import { StringEnum } from '../schemas.js';

/** What the controller can answer from the store alone. */
export type AgentReadView = Pick<AgentOps, 'listNetworks' | 'getNetwork' | 'listEndpoints' | 'listHosts'>;

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });

const NetworkParams = Type.Object({ name: Name('network name') });
type NetworkParams = Static<typeof NetworkParams>;

const EndpointQuery = Type.Object(
  {
    network: Type.Optional(Name('only endpoints of this network')),
    host: Type.Optional(Name('only endpoints plumbed by this agent host id')),
    container: Type.Optional(Name('only this container (id, id prefix or name)')),
  },
  { additionalProperties: false },
);
type EndpointQuery = Static<typeof EndpointQuery>;

const NetworkCreate = Type.Object(
  {
    name: Name('1..63 letters, digits, _ . - (starting with a letter or digit)'),
    subnet: Type.Optional(
      Type.String({ description: 'CIDR, e.g. 10.2.0.0/16; absent: a /16 that avoids the host routes' }),
    ),
    gateway: Type.Optional(Type.String({ description: 'default: the first address of the subnet' })),
    vni: Type.Optional(
      Type.Union([Type.Integer(), Type.String()], { description: '1..16777215; default: the lowest free' }),
    ),
    mtu: Type.Optional(
      Type.Union([Type.Integer(), Type.String()], { description: '576..9000; default 1450 (VXLAN)' }),
    ),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    nat: Type.Optional(
      Type.Boolean({ description: 'outbound NAT through the gateway on each host; default false' }),
    ),
  },
  { additionalProperties: false },
);

const EndpointCreate = Type.Object(
  {
    network: Name('the network to attach to'),
    container: Type.Optional(Name('a running Docker container: id, id prefix or name')),
    netns: Type.Optional(Name('a network namespace path (CNI ADD), with containerId')),
    containerId: Type.Optional(Name('the runtime’s container id, with netns')),
    address: Type.Optional(Type.String({ description: 'a static address in the subnet' })),
    ifname: Type.Optional(Type.String({ description: 'interface name in the container; default eth0' })),
    kind: Type.Optional(
      StringEnum(['cni', 'plugin', 'docker'] as const, 'with netns: who asks; default cni'),
    ),
  },
  { additionalProperties: false },
);
type EndpointCreate = Static<typeof EndpointCreate> & { kind?: 'cni' | 'plugin' | 'docker' };

const EndpointDeleteQuery = Type.Object(
  {
    container: Type.Optional(Name('a Docker container (id or name): detach it')),
    containerId: Type.Optional(Name('CNI DEL: the runtime’s container id, with network')),
    network: Type.Optional(Name('only from this network (required with containerId)')),
    ifname: Type.Optional(Type.String({ description: 'CNI DEL: the interface; default eth0' })),
  },
  { additionalProperties: false },
);
type EndpointDeleteQuery = Static<typeof EndpointDeleteQuery>;

const Removed = Type.Object({ removed: Type.Array(AgentEndpoint) });
const DockerNetwork = Type.Object({
  name: Type.String({ description: 'the Docker network name' }),
  id: Type.String({ description: 'the Docker network id' }),
});

/** The read routes (both servers). */
function readRoutes(app: FastifyInstance, view: AgentReadView, tags: string[]): void {
  app.get(
    '/api/v1/networks',
    { schema: { tags, summary: 'Container networks', response: replies(Type.Array(AgentNetwork)) } },
    async () => view.listNetworks(),
  );
  app.get<{ Params: NetworkParams }>(
    '/api/v1/networks/:name',
    {
      schema: { tags, summary: 'One network', params: NetworkParams, response: replies(AgentNetwork) },
    },
    async (req) => view.getNetwork(req.params.name),
  );
  app.get<{ Querystring: EndpointQuery }>(
    '/api/v1/endpoints',
    {
      schema: {
        tags,
        summary: 'Endpoints of every host, filtered by network, host, container',
        querystring: EndpointQuery,
        response: replies(Type.Array(AgentEndpoint)),
      },
    },
    async (req) => view.listEndpoints({ ...req.query }),
  );
  app.get(
    '/api/v1/agents',
    { schema: { tags, summary: 'Live agents (hosts)', response: replies(Type.Array(AgentHost)) } },
    async () => view.listHosts(),
  );
}

/** The controller's read-only view of the agents' store: GET networks, endpoints and agents. */
export function agentReadRoutes(view: AgentReadView) {
  return (app: FastifyInstance): void => readRoutes(app, view, ['container networks (read-only)']);
}

/** Body of POST /api/v1/endpoints -> the AgentOps call, checking the fields that go together. */
function attachOf(ops: AgentOps, b: EndpointCreate): Promise<Endpoint> {
  const req: AttachRequest = {
    network: b.network,
    ...(b.address === undefined ? {} : { address: b.address }),
    ...(b.ifname === undefined ? {} : { ifname: b.ifname }),
  };
  if (b.container !== undefined) {
    for (const k of ['netns', 'containerId', 'kind'] as const) {
      if (b[k] !== undefined) throw badRequest(`${k}: goes with netns, not with container`, k);
    }
    return ops.attachContainer(b.container, req);
  }
  if (b.netns === undefined) {
    throw badRequest('container: give a container, or a netns with its containerId (CNI)', 'container');
  }
  if (b.containerId === undefined) throw badRequest('containerId: is required with netns', 'containerId');
  return ops.attachNetns(b.netns, b.containerId, { ...req, kind: b.kind ?? 'cni' });
}

async function detachOf(ops: AgentOps, q: EndpointDeleteQuery): Promise<{ removed: Endpoint[] }> {
  if (q.container !== undefined) {
    for (const k of ['containerId', 'ifname'] as const) {
      if (q[k] !== undefined) throw badRequest(`${k}: goes with containerId, not with container`, k);
    }
    return { removed: await ops.detachContainer(q.container, q.network) };
  }
  if (q.containerId === undefined) {
    throw badRequest('container: give ?container=, or ?containerId=&network= (CNI DEL)', 'container');
  }
  if (q.network === undefined) throw badRequest('network: is required with containerId', 'network');
  const gone = await ops.detachNetns(q.containerId, q.network, q.ifname);
  return { removed: gone ? [gone] : [] };
}

const created =
  <T>(fn: () => Promise<T>) =>
  async (reply: FastifyReply): Promise<T> => {
    const out = await fn();
    void reply.status(201);
    return out;
  };

/** Every /api/v1 route of the agent. */
export function agentRoutes(ops: AgentOps, version: string) {
  return (app: FastifyInstance): void => {
    const tags = ['container networks'];
    app.get(
      '/api/v1/health',
      {
        schema: {
          tags,
          summary: 'Liveness (no token needed)',
          response: replies(
            Type.Object({ status: Type.Literal('ok'), hostId: Type.String(), version: Type.String() }),
          ),
        },
      },
      async () => ({ status: 'ok', hostId: ops.hostId, version }),
    );
    readRoutes(app, ops, tags);
    app.post(
      '/api/v1/networks',
      {
        schema: {
          tags,
          summary: 'Create a network (without subnet: a default that avoids the host routes)',
          body: NetworkCreate,
          response: replies(AgentNetwork, 201),
        },
      },
      async (req, reply) => created(() => ops.createNetwork(req.body))(reply),
    );
    app.delete<{ Params: NetworkParams; Querystring: { force?: boolean } }>(
      '/api/v1/networks/:name',
      {
        schema: {
          tags,
          summary: 'Delete a network (refused while it has endpoints, unless force)',
          params: NetworkParams,
          querystring: Type.Object(
            { force: Type.Optional(Type.Boolean({ description: 'delete even with endpoints' })) },
            { additionalProperties: false },
          ),
          response: replies(Type.Null(), 204),
        },
      },
      async (req, reply) => {
        await ops.deleteNetwork(req.params.name, { force: req.query.force === true });
        return reply.status(204).send();
      },
    );
    app.post<{ Body: EndpointCreate }>(
      '/api/v1/endpoints',
      {
        schema: {
          tags,
          summary: 'Attach a container ({container, network}) or a netns ({netns, containerId, network})',
          body: EndpointCreate,
          response: replies(AgentEndpoint, 201),
        },
      },
      async (req, reply) => created(() => attachOf(ops, req.body))(reply),
    );
    app.delete<{ Querystring: EndpointDeleteQuery }>(
      '/api/v1/endpoints',
      {
        schema: {
          tags,
          summary: 'Detach a container (?container=[&network=]) or a netns (?containerId=&network=)',
          querystring: EndpointDeleteQuery,
          response: replies(Removed),
        },
      },
      async (req) => detachOf(ops, req.query),
    );
    app.put<{ Params: { network: string } }>(
      '/api/v1/docker-networks/:network',
      {
        schema: {
          tags,
          summary: 'The Docker network backed by a Sluice network on this host (created if missing)',
          params: Type.Object({ network: Name('Sluice network name') }),
          response: replies(DockerNetwork),
        },
      },
      async (req) => ops.ensureDockerNetwork(req.params.network),
    );
    app.get(
      '/api/v1/agent',
      { schema: { tags, summary: 'This agent', response: replies(AgentHost) } },
      async () => selfOf(ops),
    );
  };
}

/** This agent's own host record. */
async function selfOf(ops: AgentOps) {
  const self = (await ops.listHosts()).find((h) => h.id === ops.hostId);
  if (self === undefined) {
    throw new HttpError(503, 'store_unavailable', `host ${ops.hostId} is not registered in the store yet`);
  }
  return self;
}
