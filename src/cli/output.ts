/** Human output of the query verbs (pure: data and `now` in, text out). */
import {
  formatBitRate,
  type Host,
  type Link,
  type PortRate,
  type PortWithStats,
  type Switch,
} from '../client/index.js';
import { ago, bytes, formatTable, speed } from './table.js';

/** `sluice flows` prints what the dashboard shows: the client's one formatter. */
export { flowsText } from '../client/index.js';

export function switchesText(switches: readonly Switch[], nowMs: number): string {
  return formatTable(
    ['dpid', 'address', 'openflow', 'connected', 'ports', 'software', 'description'],
    switches.map((s) => [
      s.dpid,
      s.address,
      s.openflowVersion,
      ago(Date.parse(s.connectedSince), nowMs),
      String(s.portCount),
      [s.hardware, s.software].filter(Boolean).join(' '),
      s.description,
    ]),
  );
}

export function linksText(links: readonly Link[]): string {
  return formatTable(
    ['src dpid', 'src port', 'dst dpid', 'dst port', 'type', 'direction', 'latency'],
    links.map((l) => [
      l.src.dpid,
      String(l.src.port),
      l.dst.dpid,
      String(l.dst.port),
      l.type,
      l.direction,
      `${l.latencyMs}ms`,
    ]),
  );
}

export function hostsText(hosts: readonly Host[], nowMs: number): string {
  return formatTable(
    ['mac', 'ipv4', 'vlan', 'switch', 'port', 'last seen'],
    hosts.map((h) => [
      h.mac,
      h.ipv4.join(',') || '-',
      h.vlan.map(String).join(',') || '-',
      h.attachmentPoints.map((a) => a.dpid).join(',') || '-',
      h.attachmentPoints.map((a) => String(a.port)).join(',') || '-',
      ago(Date.parse(h.lastSeen), nowMs),
    ]),
  );
}

export function portsText(ports: readonly PortWithStats[]): string {
  const dash = '-';
  return formatTable(
    [
      'port',
      'name',
      'mac',
      'state',
      'speed',
      'rx pkts',
      'tx pkts',
      'rx bytes',
      'tx bytes',
      'drops',
      'errors',
    ],
    ports.map((p) => {
      const s = p.stats;
      return [
        p.portName,
        p.name,
        p.hwAddr,
        !p.adminUp ? 'disabled' : p.linkUp ? 'up' : 'down',
        speed(p.currSpeedKbps),
        s ? String(s.rxPackets) : dash,
        s ? String(s.txPackets) : dash,
        s ? bytes(s.rxBytes) : dash,
        s ? bytes(s.txBytes) : dash,
        s ? String(s.rxDropped + s.txDropped) : dash,
        s ? String(s.rxErrors + s.txErrors) : dash,
      ];
    }),
  );
}

/** Port rates from the statistics app, a row per port (rates `-` until two samples were taken). */
export function portRatesText(rates: readonly PortRate[], nowMs: number): string {
  const num = (v: number | null, digits = 0) => (v === null ? '-' : v.toFixed(digits));
  return formatTable(
    ['dpid', 'port', 'rx rate', 'tx rate', 'rx pkt/s', 'tx pkt/s', 'drops/s', 'errors/s', 'util', 'updated'],
    rates.map((r) => [
      r.dpid,
      r.portName,
      formatBitRate(r.rxBitsPerSec, 'compact'),
      formatBitRate(r.txBitsPerSec, 'compact'),
      num(r.rxPacketsPerSec, 1),
      num(r.txPacketsPerSec, 1),
      num(r.droppedPerSec, 1),
      num(r.errorsPerSec, 1),
      r.utilisation === null ? '-' : `${(r.utilisation * 100).toFixed(2)}%`,
      ago(Date.parse(r.updatedAt), nowMs),
    ]),
  );
}
