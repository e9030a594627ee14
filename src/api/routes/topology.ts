/** /wm/topology/... and /wm/routing/...: links, clusters and routes in Floodlight shapes. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import {
  clustersToFloodlight,
  linkToFloodlight,
  routeToFloodlight,
  routeToFloodlightResults,
} from '../format/floodlight.js';
import { DpidText, PortNumber } from '../schemas.js';
import type { PortRef, TopologyView } from '../views.js';

const tags = ['floodlight: topology'];

const RouteParams = Type.Object({
  srcDpid: DpidText,
  srcPort: PortNumber,
  dstDpid: DpidText,
  dstPort: PortNumber,
});
type RouteParams = Static<typeof RouteParams>;

/** Route endpoints from path/query values (DPIDs validated here, ports by the schema). */
export function routeEnds(
  ctx: ApiContext,
  p: { srcDpid: string; srcPort: number; dstDpid: string; dstPort: number },
  names = { srcDpid: 'srcDpid', dstDpid: 'dstDpid' },
): { src: PortRef; dst: PortRef } {
  return {
    src: { dpid: ctx.parseDpidArg(p.srcDpid, names.srcDpid), port: p.srcPort },
    dst: { dpid: ctx.parseDpidArg(p.dstDpid, names.dstDpid), port: p.dstPort },
  };
}

export function topologyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const topo: TopologyView | undefined = ctx.topology;
  if (!topo) return;

  app.get('/wm/topology/links/json', { schema: { tags, summary: 'Links between switches' } }, async () =>
    topo.links().map(linkToFloodlight),
  );
  app.get(
    '/wm/topology/external-links/json',
    { schema: { tags, summary: 'Links via other domains' } },
    async () => topo.externalLinks().map(linkToFloodlight),
  );
  app.get('/wm/topology/switchclusters/json', { schema: { tags, summary: 'Switch clusters' } }, async () =>
    clustersToFloodlight(topo.clusters()),
  );

  const route = (p: RouteParams) => {
    const { src, dst } = routeEnds(ctx, p);
    return topo.route(src, dst) ?? [];
  };
  app.get<{ Params: RouteParams }>(
    '/wm/topology/route/:srcDpid/:srcPort/:dstDpid/:dstPort/json',
    {
      schema: {
        tags,
        summary: 'Route as (in, out) hop pairs (Floodlight 1.2; [] when none)',
        params: RouteParams,
      },
    },
    async (req) => routeToFloodlight(route(req.params)),
  );
  app.get<{ Params: RouteParams }>(
    '/wm/routing/path/:srcDpid/:srcPort/:dstDpid/:dstPort/json',
    {
      schema: {
        tags: ['floodlight: routing'],
        summary: 'Route as {"results": hops} (the shape of the Floodlight release that added this path)',
        params: RouteParams,
      },
    },
    async (req) => routeToFloodlightResults(route(req.params)),
  );
}
