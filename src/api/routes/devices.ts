/** /wm/device/: hosts in the Floodlight 1.2 shape (a bare list). */
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import { hostToFloodlight } from '../format/floodlight.js';
import { HostQuery } from '../schemas.js';
import type { HostFilter } from '../views.js';

export type HostQuery = Static<typeof HostQuery>;

export function hostFilterOf(ctx: ApiContext, q: HostQuery): HostFilter {
  const f: HostFilter = {};
  if (q.mac !== undefined) f.mac = q.mac.toLowerCase();
  if (q.ipv4 !== undefined) f.ipv4 = q.ipv4;
  if (q.dpid !== undefined) f.dpid = ctx.parseDpidArg(q.dpid, 'dpid');
  if (q.port !== undefined) f.port = q.port;
  if (q.vlan !== undefined) f.vlan = q.vlan;
  return f;
}

export function deviceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const hosts = ctx.hosts;
  if (!hosts) return;
  app.get<{ Querystring: HostQuery }>(
    '/wm/device/',
    {
      schema: {
        tags: ['floodlight: devices'],
        summary: 'Known hosts, filtered by mac, ipv4, dpid, port, vlan',
        querystring: HostQuery,
      },
    },
    async (req) => hosts.find(hostFilterOf(ctx, req.query)).map(hostToFloodlight),
  );
}
