/** /wm/core/switch/{dpid|all}/{kind}/json: live statistics in Floodlight 1.2 shapes. */
import type { FastifyInstance, FastifyBaseLogger } from 'fastify';
import { Type } from '@sinclair/typebox';
import { formatDpid } from '../../util/index.js';
import type { ApiContext } from '../context.js';
import { featuresToFloodlight, statsToFloodlight } from '../format/floodlight.js';
import { FloodlightFeatures, replies } from '../responses.js';
import { DPID_DESCRIPTION, StringEnum } from '../schemas.js';
import { STATS_KINDS, fetchStats, type StatsKind } from '../switchstats.js';
import type { SwitchView } from '../views.js';

const tags = ['floodlight: core'];
const DpidOrAll = Type.String({ description: `${DPID_DESCRIPTION}, or all` });

type OneSwitch = (sw: SwitchView) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** One switch's answer, or with dpid `all` every switch's keyed by DPID. */
async function answer(ctx: ApiContext, log: FastifyBaseLogger, dpid: string, kind: string, one: OneSwitch) {
  if (dpid.toLowerCase() !== 'all') return one(ctx.switchOf(dpid));
  // A switch that fails (disconnects, times out) is left out rather than failing the whole answer.
  const entries = await Promise.all(
    [...ctx.switches.switches.values()].map(async (sw) => {
      try {
        return [formatDpid(sw.dpid), await one(sw)] as const;
      } catch (err) {
        log.warn({ err, dpid: formatDpid(sw.dpid), kind }, 'stats request failed');
        return undefined;
      }
    }),
  );
  return Object.fromEntries(entries.filter((e) => e !== undefined));
}

export function statsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { dpid: string; kind: StatsKind } }>(
    '/wm/core/switch/:dpid/:kind/json',
    {
      schema: {
        tags,
        summary: 'Live statistics of one switch, or of every switch keyed by DPID (dpid = all)',
        params: Type.Object({ dpid: DpidOrAll, kind: StringEnum(STATS_KINDS) }),
      },
    },
    async (req) => {
      const { dpid, kind } = req.params;
      return answer(ctx, req.log, dpid, kind, async (sw) =>
        statsToFloodlight(sw.version, await fetchStats(sw, kind)),
      );
    },
  );

  // Its own route (a static segment wins over :kind) so its reply, which carries 0.9's ports, is documented.
  app.get<{ Params: { dpid: string } }>(
    '/wm/core/switch/:dpid/features/json',
    {
      schema: {
        tags,
        summary:
          "A switch's features (1.2 keys, and 0.9 ports), or every switch's keyed by DPID (dpid = all)",
        params: Type.Object({ dpid: DpidOrAll }),
        response: replies(FloodlightFeatures),
      },
    },
    async (req) => answer(ctx, req.log, req.params.dpid, 'features', featuresToFloodlight),
  );
}
