/** /wm/core/switch/{dpid|all}/{kind}/json: live statistics in Floodlight 1.2 shapes. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { formatDpid } from '../../util/index.js';
import type { ApiContext } from '../context.js';
import { featuresToFloodlight, statsToFloodlight } from '../format/floodlight.js';
import { DPID_DESCRIPTION, StringEnum } from '../schemas.js';
import { STATS_KINDS, fetchStats, type StatsKind } from '../switchstats.js';
import type { SwitchView } from '../views.js';

const FLOODLIGHT_KINDS = [...STATS_KINDS, 'features'] as const;
type FloodlightKind = (typeof FLOODLIGHT_KINDS)[number];

async function oneSwitch(sw: SwitchView, kind: FloodlightKind): Promise<Record<string, unknown>> {
  if (kind === 'features') return featuresToFloodlight(sw);
  return statsToFloodlight(sw.version, await fetchStats(sw, kind as StatsKind));
}

export function statsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { dpid: string; kind: FloodlightKind } }>(
    '/wm/core/switch/:dpid/:kind/json',
    {
      schema: {
        tags: ['floodlight: core'],
        summary: 'Live statistics of one switch, or of every switch keyed by DPID (dpid = all)',
        params: Type.Object({
          dpid: Type.String({ description: `${DPID_DESCRIPTION}, or all` }),
          kind: StringEnum(FLOODLIGHT_KINDS),
        }),
      },
    },
    async (req) => {
      const { dpid, kind } = req.params;
      if (dpid.toLowerCase() !== 'all') return oneSwitch(ctx.switchOf(dpid), kind);
      // A switch that fails (disconnects, times out) is left out rather than failing the whole answer.
      const entries = await Promise.all(
        [...ctx.switches.switches.values()].map(async (sw) => {
          try {
            return [formatDpid(sw.dpid), await oneSwitch(sw, kind)] as const;
          } catch (err) {
            req.log.warn({ err, dpid: formatDpid(sw.dpid), kind }, 'stats request failed');
            return undefined;
          }
        }),
      );
      return Object.fromEntries(entries.filter((e) => e !== undefined));
    },
  );
}
