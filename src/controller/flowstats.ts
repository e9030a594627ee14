import { OFPG_ANY, OFPP, OFPTT_ALL } from '../openflow/index.js';
import type { StatsRequestOf } from './app.js';

/**
 * The stats request that matches every flow in every table, whatever its out port, group or cookie;
 * `kind` 'aggregate' asks for the totals of those flows instead of the flows themselves.
 */
export function allFlowsRequest<K extends 'flow' | 'aggregate' = 'flow'>(kind?: K): StatsRequestOf<K> {
  return {
    kind: kind ?? 'flow',
    tableId: OFPTT_ALL,
    outPort: OFPP.ANY,
    outGroup: OFPG_ANY,
    cookie: 0n,
    cookieMask: 0n,
    match: {},
  } as StatsRequestOf<K>;
}
