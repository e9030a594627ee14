/** Flow tables as text: what `sluice flows DPID` prints and the dashboard shows (pure; browser-safe). */
import type { Flow } from './types.js';

/** A flow table in `ovs-ofctl dump-flows` syntax: one line per flow, by table, highest priority first. */
export function flowsText(flows: readonly Flow[]): string {
  const sorted = [...flows].sort((a, b) => a.tableId - b.tableId || b.priority - a.priority);
  return sorted.map((f) => `${f.text}\n`).join('');
}
