/** Live statistics from a switch, by the kind names used in URLs (`flow`, `port-desc`, `meter-config`...). */
import {
  OFP_VERSION_1_0,
  OFPG_ALL,
  OFPM_ALL,
  OFPP,
  OFPQ_ALL,
  type StatsReplyBody,
  type StatsRequestBody,
} from '../openflow/index.js';
import { allFlowsRequest } from '../controller/index.js';
import { formatDpid } from '../util/index.js';
import { HttpError } from './errors.js';
import type { SwitchView } from './views.js';

export const STATS_KINDS = [
  'aggregate',
  'desc',
  'flow',
  'port',
  'port-desc',
  'queue',
  'table',
  'group',
  'group-desc',
  'meter',
  'meter-config',
] as const;
export type StatsKind = (typeof STATS_KINDS)[number];

const OF13_ONLY: ReadonlySet<StatsKind> = new Set(['group', 'group-desc', 'meter', 'meter-config']);

export function isStatsKind(s: string): s is StatsKind {
  return (STATS_KINDS as readonly string[]).includes(s);
}

/** The request that fetches everything of one kind (all tables, ports, queues, groups, meters). */
export function statsRequestFor(kind: StatsKind): StatsRequestBody {
  switch (kind) {
    case 'flow':
    case 'aggregate':
      return allFlowsRequest(kind);
    case 'desc':
    case 'table':
      return { kind };
    case 'port':
      return { kind, portNo: OFPP.ANY };
    case 'port-desc':
      return { kind: 'port_desc' };
    case 'queue':
      return { kind, portNo: OFPP.ANY, queueId: OFPQ_ALL };
    case 'group':
      return { kind, groupId: OFPG_ALL };
    case 'group-desc':
      return { kind: 'group_desc' };
    case 'meter':
      return { kind, meterId: OFPM_ALL };
    case 'meter-config':
      return { kind: 'meter_config', meterId: OFPM_ALL };
  }
}

/**
 * Asks the switch. OF1.0 has no group/meter statistics (a 400 naming the switch's version) and no port-desc
 * request (answered from the ports the handshake reported, kept current by PORT_STATUS).
 */
export async function fetchStats(sw: SwitchView, kind: StatsKind): Promise<StatsReplyBody> {
  if (sw.version === OFP_VERSION_1_0) {
    if (OF13_ONLY.has(kind)) {
      throw new HttpError(
        400,
        'unsupported_by_switch',
        `switch ${formatDpid(sw.dpid)} speaks OpenFlow 1.0, which has no ${kind} statistics`,
        'kind',
      );
    }
    if (kind === 'port-desc') return { kind: 'port_desc', ports: [...sw.ports.values()] };
  }
  return sw.stats(statsRequestFor(kind));
}
