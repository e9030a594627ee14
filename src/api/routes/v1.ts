/** /api/v1: Sluice's own paths. Collections are bare JSON lists; DPIDs colon strings; counters numbers. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { formatDpid } from '../../util/index.js';
import type { ApiContext } from '../context.js';
import { HttpError } from '../errors.js';
import {
  flowToV1,
  hostToV1,
  linkToV1,
  portDescToV1,
  portsToV1,
  routeToV1,
  statsToV1,
  switchToV1,
} from '../format/v1.js';
import {
  Flow,
  Health,
  Host,
  HostsPerSwitch,
  Link,
  PortWithStats,
  Route,
  StatsBody,
  Switch,
  SwitchDetail,
  replies,
} from '../responses.js';
import { DpidText, HostQuery, PortNumber, StringEnum } from '../schemas.js';
import { STATS_KINDS, fetchStats, type StatsKind } from '../switchstats.js';
import { hostFilterOf, type HostQuery as HostQueryT } from './devices.js';
import {
  HOST_PAGE_MAX,
  HOST_SORT_KEYS,
  hostsPerSwitch,
  pageHosts,
  SORT_ORDERS,
  type HostPageOptions,
} from '../hostpage.js';
import { routeEnds } from './topology.js';

const DpidParams = Type.Object({ dpid: DpidText });

const HostsPageQuery = Type.Object(
  {
    ...HostQuery.properties,
    q: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'case-insensitive substring of the MAC, an IP address or the DPID (colon form)',
      }),
    ),
    sort: Type.Optional(StringEnum(HOST_SORT_KEYS, 'order by this field (default mac)')),
    order: Type.Optional(StringEnum(SORT_ORDERS, 'asc (default) or desc')),
    offset: Type.Optional(
      Type.Integer({ minimum: 0, description: 'skip this many hosts after sorting (default 0)' }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: HOST_PAGE_MAX,
        description: `at most this many hosts (1..${HOST_PAGE_MAX}; default all)`,
      }),
    ),
  },
  { additionalProperties: false },
);
type HostsPageQueryT = HostQueryT & HostPageOptions;

/** Documents the header paged lists carry (OpenAPI response headers). */
const TOTAL_COUNT_HEADER = {
  'X-Total-Count': {
    type: 'integer',
    description: 'hosts matching the filter and search, before offset and limit',
  },
};
type DpidParams = Static<typeof DpidParams>;

const RouteQuery = Type.Object(
  { src_dpid: DpidText, src_port: PortNumber, dst_dpid: DpidText, dst_port: PortNumber },
  { additionalProperties: false },
);
type RouteQuery = Static<typeof RouteQuery>;

export function v1Routes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['sluice'];

  app.get(
    '/api/v1/health',
    { schema: { tags, summary: 'Liveness and basic counts', response: replies(Health) } },
    async () => ({
      status: 'ok',
      version: ctx.version,
      uptimeSec: Math.floor((ctx.now() - ctx.startedAt) / 1000),
      switches: ctx.switches.switches.size,
    }),
  );

  app.get(
    '/api/v1/switches',
    { schema: { tags, summary: 'Connected switches', response: replies(Type.Array(Switch)) } },
    async () =>
      [...ctx.switches.switches.values()]
        .sort((a, b) => (a.dpid < b.dpid ? -1 : a.dpid > b.dpid ? 1 : 0))
        .map(switchToV1),
  );

  app.get<{ Params: DpidParams }>(
    '/api/v1/switches/:dpid',
    {
      schema: {
        tags,
        summary: 'One switch with its ports',
        params: DpidParams,
        response: replies(SwitchDetail),
      },
    },
    async (req) => {
      const sw = ctx.switchOf(req.params.dpid);
      const ports = [...sw.ports.values()].sort((a, b) => a.portNo - b.portNo).map(portDescToV1);
      return { ...switchToV1(sw), ports };
    },
  );

  app.get<{ Params: DpidParams }>(
    '/api/v1/switches/:dpid/flows',
    {
      schema: {
        tags,
        summary: 'Flow entries, live from the switch',
        params: DpidParams,
        response: replies(Type.Array(Flow)),
      },
    },
    async (req) => {
      const sw = ctx.switchOf(req.params.dpid);
      const reply = await fetchStats(sw, 'flow');
      if (reply.kind !== 'flow')
        throw new HttpError(502, 'switch_error', `switch answered ${reply.kind} stats`);
      return reply.flows.map((f) => flowToV1(sw.version, f));
    },
  );

  app.get<{ Params: DpidParams }>(
    '/api/v1/switches/:dpid/ports',
    {
      schema: {
        tags,
        summary: 'Ports with live counters',
        params: DpidParams,
        response: replies(Type.Array(PortWithStats)),
      },
    },
    async (req) => {
      const sw = ctx.switchOf(req.params.dpid);
      const reply = await fetchStats(sw, 'port');
      return portsToV1(sw.ports.values(), reply.kind === 'port' ? reply.ports : []);
    },
  );

  const StatsParams = Type.Object({ dpid: DpidText, kind: StringEnum(STATS_KINDS) });
  app.get<{ Params: { dpid: string; kind: StatsKind } }>(
    '/api/v1/switches/:dpid/stats/:kind',
    {
      schema: {
        tags,
        summary: 'Any statistics kind, live from the switch',
        params: StatsParams,
        response: replies(StatsBody),
      },
    },
    async (req) => {
      const sw = ctx.switchOf(req.params.dpid);
      return statsToV1(sw.version, await fetchStats(sw, req.params.kind));
    },
  );

  const topo = ctx.topology;
  if (topo) {
    app.get(
      '/api/v1/links',
      { schema: { tags, summary: 'Links between switches', response: replies(Type.Array(Link)) } },
      async () => topo.links().map(linkToV1),
    );
    app.get<{ Querystring: RouteQuery }>(
      '/api/v1/routes',
      {
        schema: {
          tags,
          summary: 'Shortest path between two switch ports',
          querystring: RouteQuery,
          response: replies(Route),
        },
      },
      async (req) => {
        const q = req.query;
        const { src, dst } = routeEnds(
          ctx,
          { srcDpid: q.src_dpid, srcPort: q.src_port, dstDpid: q.dst_dpid, dstPort: q.dst_port },
          { srcDpid: 'src_dpid', dstDpid: 'dst_dpid' },
        );
        const hops = topo.route(src, dst);
        if (!hops) {
          throw new HttpError(
            404,
            'no_route',
            `no path from ${formatDpid(src.dpid)} port ${src.port} to ${formatDpid(dst.dpid)} port ${dst.port}`,
          );
        }
        return {
          src: { dpid: formatDpid(src.dpid), port: src.port },
          dst: { dpid: formatDpid(dst.dpid), port: dst.port },
          hops: routeToV1(hops),
        };
      },
    );
  }

  const hosts = ctx.hosts;
  if (hosts) {
    app.get<{ Querystring: HostsPageQueryT }>(
      '/api/v1/hosts',
      {
        schema: {
          tags,
          summary: 'Known hosts: filtered by mac, ipv4, dpid, port, vlan; searched, sorted and paged',
          description:
            'Without offset and limit, every matching host. X-Total-Count always gives the number of hosts ' +
            'matching the filter and search before offset and limit, so a table can page server-side.',
          querystring: HostsPageQuery,
          response: replies(Type.Array(Host, { headers: TOTAL_COUNT_HEADER })),
        },
      },
      async (req, reply) => {
        const { q, sort, order, offset, limit, ...filter } = req.query;
        const page = pageHosts(hosts.find(hostFilterOf(ctx, filter)), { q, sort, order, offset, limit });
        void reply.header('x-total-count', String(page.total));
        return page.hosts.map(hostToV1);
      },
    );
    app.get(
      '/api/v1/hosts/per-switch',
      {
        schema: {
          tags,
          summary: 'How many hosts each switch has attached (switches with none are left out)',
          querystring: Type.Object({}, { additionalProperties: false }),
          response: replies(HostsPerSwitch),
        },
      },
      async () => hostsPerSwitch(hosts.find({})).map((c) => ({ dpid: formatDpid(c.dpid), hosts: c.hosts })),
    );
  }
}
