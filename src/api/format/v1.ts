/**
 * Sluice's own /api/v1 shapes: DPIDs as colon strings, counters as numbers, cookies as hex strings (64-bit
 * values that must stay exact), times as ISO strings.
 */
import { formatDpid } from '../../util/index.js';
import {
  OFP_VERSION_1_0,
  formatFlow,
  OFPPC_PORT_DOWN,
  OFPPS_LINK_DOWN,
  type FlowStatsEntry,
  type Match,
  type OfVersion,
  type PortDesc,
  type PortStatsEntry,
  type StatsReplyBody,
} from '../../openflow/index.js';
import type { HostInfo, LinkInfo, PortRef, SwitchView } from '../views.js';
import { matchValueText, opaqueMatchEntries, portName } from './actions.js';

export function ofVersionText(v: OfVersion): '1.0' | '1.3' {
  return v === OFP_VERSION_1_0 ? '1.0' : '1.3';
}

export function switchToV1(sw: SwitchView) {
  return {
    dpid: formatDpid(sw.dpid),
    address: sw.remoteAddress,
    connectedSince: sw.connectedSince.toISOString(),
    openflowVersion: ofVersionText(sw.version),
    manufacturer: sw.desc?.mfrDesc ?? '',
    hardware: sw.desc?.hwDesc ?? '',
    software: sw.desc?.swDesc ?? '',
    serialNumber: sw.desc?.serialNum ?? '',
    description: sw.desc?.dpDesc ?? '',
    tables: sw.features.nTables,
    buffers: sw.features.nBuffers,
    capabilities: sw.features.capabilities,
    portCount: sw.ports.size,
  };
}

export function portDescToV1(p: PortDesc) {
  return {
    port: p.portNo,
    portName: portName(p.portNo),
    name: p.name,
    hwAddr: p.hwAddr,
    adminUp: (p.config & OFPPC_PORT_DOWN) === 0,
    linkUp: (p.state & OFPPS_LINK_DOWN) === 0,
    config: p.config,
    state: p.state,
    currSpeedKbps: p.currSpeed,
    maxSpeedKbps: p.maxSpeed,
  };
}

export function portStatsToV1(s: PortStatsEntry) {
  return {
    rxPackets: Number(s.rxPackets),
    txPackets: Number(s.txPackets),
    rxBytes: Number(s.rxBytes),
    txBytes: Number(s.txBytes),
    rxDropped: Number(s.rxDropped),
    txDropped: Number(s.txDropped),
    rxErrors: Number(s.rxErrors),
    txErrors: Number(s.txErrors),
    durationSec: s.durationSec,
  };
}

/** Port descriptions joined with live counters (ports the switch reported no stats for get `stats: null`). */
export function portsToV1(ports: Iterable<PortDesc>, stats: readonly PortStatsEntry[]) {
  const byPort = new Map(stats.map((s) => [s.portNo, s]));
  return [...ports]
    .sort((a, b) => a.portNo - b.portNo)
    .map((p) => {
      const s = byPort.get(p.portNo);
      return { ...portDescToV1(p), stats: s ? portStatsToV1(s) : null };
    });
}

export function matchToV1(match: Match): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(match)) {
    if (v === undefined || k === 'opaque') continue;
    out[k] = typeof v === 'number' ? v : matchValueText(k, v);
  }
  for (const [k, v] of opaqueMatchEntries(match)) out[k] = v;
  return out;
}

export function flowToV1(version: OfVersion, f: FlowStatsEntry) {
  return {
    tableId: f.tableId,
    priority: f.priority,
    cookie: '0x' + f.cookie.toString(16),
    packetCount: Number(f.packetCount),
    byteCount: Number(f.byteCount),
    durationSec: f.durationSec + f.durationNsec / 1e9,
    idleTimeout: f.idleTimeout,
    hardTimeout: f.hardTimeout,
    flags: f.flags,
    match: matchToV1(f.match),
    instructions: toJsonSafe(f.instructions) as unknown[],
    text: formatFlow(f, version),
  };
}

/** Any decoded value as plain JSON: bigints as numbers when exact, else decimal strings; Buffers as hex. */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v);
    return out;
  }
  return value;
}

export function statsToV1(version: OfVersion, reply: StatsReplyBody): unknown {
  if (reply.kind === 'flow') return { kind: 'flow', flows: reply.flows.map((f) => flowToV1(version, f)) };
  return toJsonSafe(reply);
}

const portRef = (p: PortRef) => ({ dpid: formatDpid(p.dpid), port: p.port });

export function linkToV1(l: LinkInfo) {
  return {
    src: portRef(l.src),
    dst: portRef(l.dst),
    type: l.type,
    direction: l.direction,
    latencyMs: l.latencyMs,
  };
}

export function hostToV1(h: HostInfo) {
  return {
    mac: h.mac,
    ipv4: h.ipv4,
    ipv6: h.ipv6,
    vlan: h.vlan,
    attachmentPoints: h.attachmentPoints.map(portRef),
    lastSeen: new Date(h.lastSeen).toISOString(),
  };
}

/** Hops in (in, out) pairs -> one entry per switch. */
export function routeToV1(hops: readonly PortRef[]) {
  const out: { dpid: string; inPort: number; outPort: number }[] = [];
  for (let i = 0; i + 1 < hops.length; i += 2) {
    out.push({ dpid: formatDpid(hops[i].dpid), inPort: hops[i].port, outPort: hops[i + 1].port });
  }
  return out;
}
