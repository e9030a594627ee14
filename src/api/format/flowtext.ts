/** One flow in `ovs-ofctl dump-flows` syntax. */
import type { FlowStatsEntry, OfVersion } from '../../openflow/index.js';
import { instructionsToOfctl, matchValueText } from './actions.js';

export function flowText(f: FlowStatsEntry, _version: OfVersion): string {
  const head = [
    `cookie=0x${f.cookie.toString(16)}`,
    `duration=${(f.durationSec + f.durationNsec / 1e9).toFixed(3)}s`,
    `table=${f.tableId}`,
    `n_packets=${f.packetCount}`,
    `n_bytes=${f.byteCount}`,
  ];
  if (f.idleTimeout) head.push(`idle_timeout=${f.idleTimeout}`);
  if (f.hardTimeout) head.push(`hard_timeout=${f.hardTimeout}`);
  const m = f.match as Record<string, unknown>;
  const match = Object.entries(m)
    .filter(([k, v]) => v !== undefined && !k.endsWith('_mask'))
    .map(([k, v]) => {
      const mask = m[`${k}_mask`];
      return `${k}=${matchValueText(k, v)}${mask === undefined ? '' : '/' + matchValueText(k, mask)}`;
    });
  const prio = [`priority=${f.priority}`, ...match].join(',');
  return `${head.join(', ')}, ${prio} actions=${instructionsToOfctl(f.instructions)}`;
}
