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
import { routeEnds } from './topology.js';

const DpidParams = Type.Object({ dpid: DpidText });
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
    app.get<{ Querystring: HostQueryT }>(
      '/api/v1/hosts',
      {
        schema: {
          tags,
          summary: 'Known hosts, filtered by mac, ipv4, dpid, port, vlan',
          querystring: HostQuery,
          response: replies(Type.Array(Host)),
        },
      },
      async (req) => hosts.find(hostFilterOf(ctx, req.query)).map(hostToV1),
    );
  }
}
