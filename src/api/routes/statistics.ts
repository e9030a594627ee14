/**
 * Port statistics: Floodlight's /wm/statistics paths (bandwidth per port, collection on/off) and
 * /api/v1/statistics (rates per port and utilisation per link, for the dashboard's port tables and topology).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { PortStatistics } from '../../apps/statistics/index.js';
import { OFPP, formatPort } from '../../openflow/index.js';
import { formatDpid } from '../../util/index.js';
import type { ApiContext, RouteArea } from '../context.js';
import { HttpError, badRequest, objectBody } from '../errors.js';
import { replies } from '../responses.js';
import { DpidText } from '../schemas.js';
import { LinkLoad, PortRateEntry, StatisticsEnable, StatisticsStatus } from '../../schema/index.js';

/** What the routes need of the statistics app. */
export interface StatisticsView {
  readonly enabled: boolean;
  readonly intervalMs: number;
  setEnabled(on: boolean): void;
  ports(dpid?: bigint, portNo?: number): PortStatistics[];
  port(dpid: bigint, portNo: number): PortStatistics | undefined;
}

const tags = ['statistics'];
const flTags = ['floodlight: statistics'];

const PortsQuery = Type.Object({ dpid: Type.Optional(DpidText) });

function rate(v: number | undefined): number | null {
  return v === undefined ? null : Math.round(v * 1000) / 1000;
}

/** A share of a link's speed: six decimals keep a 1 kb/s trickle on a 10 Gb/s port visible. */
function share(v: number | undefined): number | null {
  return v === undefined ? null : Math.round(v * 1e6) / 1e6;
}

export function portRateToV1(p: PortStatistics): Static<typeof PortRateEntry> {
  return {
    dpid: formatDpid(p.dpid),
    port: p.portNo,
    portName: formatPort(p.portNo),
    updatedAt: new Date(p.updatedAt).toISOString(),
    speedKbps: p.speedKbps,
    rxBytes: Number(p.counters.rxBytes),
    txBytes: Number(p.counters.txBytes),
    rxPackets: Number(p.counters.rxPackets),
    txPackets: Number(p.counters.txPackets),
    rxBitsPerSec: rate(p.rates?.rxBitsPerSec),
    txBitsPerSec: rate(p.rates?.txBitsPerSec),
    rxPacketsPerSec: rate(p.rates?.rxPacketsPerSec),
    txPacketsPerSec: rate(p.rates?.txPacketsPerSec),
    droppedPerSec: rate(p.rates?.droppedPerSec),
    errorsPerSec: rate(p.rates?.errorsPerSec),
    utilisation: share(p.utilisation),
  };
}

/** Floodlight 1.2's SwitchPortBandwidth serialisation (every value a string; the LOCAL port is "local"). */
export function portRateToFloodlight(p: PortStatistics): Record<string, string> {
  return {
    dpid: formatDpid(p.dpid),
    port: p.portNo === OFPP.LOCAL ? 'local' : String(p.portNo),
    updated: new Date(p.updatedAt).toString(),
    'link-speed-bits-per-second': String(p.speedKbps * 1000),
    'bits-per-second-rx': String(Math.round(p.rates?.rxBitsPerSec ?? 0)),
    'bits-per-second-tx': String(Math.round(p.rates?.txBitsPerSec ?? 0)),
  };
}

/** A port path value: a number (1..0xffffff00), `local`, or `all` (undefined). */
function portArg(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'all') return undefined;
  if (t === 'local') return OFPP.LOCAL;
  const n = /^\d{1,10}$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > OFPP.MAX) {
    throw badRequest(`port '${text}' is not a port number (1..${OFPP.MAX}), local or all`, 'port');
  }
  return n;
}

export function statisticsRoutes(view: StatisticsView): RouteArea {
  return (app: FastifyInstance, ctx: ApiContext) => {
    app.get<{ Params: { dpid: string; port: string } }>(
      '/wm/statistics/bandwidth/:dpid/:port/json',
      {
        schema: {
          tags: flTags,
          summary: 'Bandwidth per port (bits per second) from the last two port-stats rounds',
          params: Type.Object({
            dpid: Type.String({ description: 'a DPID or all' }),
            port: Type.String({ description: 'a port number, local, or all' }),
          }),
        },
      },
      async (req) => {
        const all = req.params.dpid.trim().toLowerCase() === 'all';
        const dpid = all ? undefined : ctx.parseDpidArg(req.params.dpid, 'dpid');
        const port = portArg(req.params.port);
        if (dpid !== undefined && !ctx.switches.switches.has(dpid)) {
          throw new HttpError(404, 'not_found', `switch ${formatDpid(dpid)} is not connected`, 'dpid');
        }
        return view.ports(dpid, port).map(portRateToFloodlight);
      },
    );

    for (const op of ['enable', 'disable'] as const) {
      const handler = async () => {
        view.setEnabled(op === 'enable');
        return { 'statistics-collection': op === 'enable' ? 'enabled' : 'disabled' };
      };
      const schema = { tags: flTags, summary: `Port statistics collection ${op}d` };
      app.post(`/wm/statistics/config/${op}/json`, { schema }, handler);
      app.put(`/wm/statistics/config/${op}/json`, { schema }, handler);
    }

    app.get(
      '/api/v1/statistics',
      {
        schema: {
          tags,
          summary: 'Whether port statistics are collected, and how often',
          response: replies(StatisticsStatus),
        },
      },
      async () => ({ enabled: view.enabled, intervalMs: view.intervalMs }),
    );

    app.put<{ Body: unknown }>(
      '/api/v1/statistics',
      {
        schema: {
          tags,
          summary: 'Switch port statistics collection on or off ({"enabled": true|false})',
          body: StatisticsEnable,
          response: replies(StatisticsStatus),
        },
      },
      async (req) => {
        const body = objectBody(req.body, '{"enabled": true|false}');
        if (typeof body.enabled !== 'boolean') throw badRequest('enabled: must be true or false', 'enabled');
        view.setEnabled(body.enabled);
        return { enabled: view.enabled, intervalMs: view.intervalMs };
      },
    );

    app.get<{ Querystring: Static<typeof PortsQuery> }>(
      '/api/v1/statistics/ports',
      {
        schema: {
          tags,
          summary: 'Counters and rates of every port (or of one switch`s ports with ?dpid=)',
          querystring: PortsQuery,
          response: replies(Type.Array(PortRateEntry)),
        },
      },
      async (req) => {
        const dpid = req.query.dpid === undefined ? undefined : ctx.parseDpidArg(req.query.dpid, 'dpid');
        return view.ports(dpid).map(portRateToV1);
      },
    );

    app.get(
      '/api/v1/statistics/links',
      {
        schema: {
          tags,
          summary: 'Load of each link: the transmit rate at each end, and the busier direction / port speed',
          response: replies(Type.Array(LinkLoad)),
        },
      },
      async () => {
        const links = ctx.topology?.links() ?? [];
        return links.map((l) => {
          const src = view.port(l.src.dpid, l.src.port);
          const dst = view.port(l.dst.dpid, l.dst.port);
          const shares = [src?.utilisation, dst?.utilisation].filter((u): u is number => u !== undefined);
          return {
            src: { dpid: formatDpid(l.src.dpid), port: l.src.port },
            dst: { dpid: formatDpid(l.dst.dpid), port: l.dst.port },
            srcTxBitsPerSec: rate(src?.rates?.txBitsPerSec),
            dstTxBitsPerSec: rate(dst?.rates?.txBitsPerSec),
            utilisation: shares.length ? share(Math.max(...shares)) : null,
          };
        });
      },
    );
  };
}
