/**
 * Floodlight 1.2 REST shapes (the ones existing scripts and GUIs parse). Pure functions from the view model
 * to plain JSON. Floodlight writes 64-bit counters as strings in stats replies; so do we, which also keeps
 * them exact. A few Floodlight 0.9 keys ride alongside (see portTo09) for the GUIs of that era.
 */
import { formatDpid } from '../../util/index.js';
import type {
  FlowStatsEntry,
  MeterBand,
  OfVersion,
  PortDesc,
  PortStatsEntry,
  StatsReplyBody,
} from '../../openflow/index.js';
import { OFP_VERSION_1_0 } from '../../openflow/index.js';
import type { HostInfo, LinkInfo, PortRef, SwitchView } from '../views.js';
import {
  actionsText,
  applyActionsOf,
  instructionsToFloodlight,
  matchToFloodlight,
  portName,
} from './actions.js';

export function ofVersionName(v: OfVersion): string {
  return v === OFP_VERSION_1_0 ? 'OF_10' : 'OF_13';
}

const str = (n: bigint | number) => n.toString();

/**
 * Floodlight 0.9's port JSON (its OFPhysicalPort serializer): Java numbers, so the 16-bit port number is a
 * signed short (LOCAL, 0xfffe, is -2, which GUIs of that era expect) and the bit fields are signed ints.
 * OpenFlow 1.3's reserved ports (0xffffff00 and up) become their 1.0 equals (same low 16 bits); a 1.3
 * port number above 0xffff that is not reserved has no short and is written as it is.
 */
export function portTo09(p: PortDesc) {
  const port = p.portNo >= 0xffffff00 ? p.portNo & 0xffff : p.portNo;
  return {
    portNumber: port > 0xffff ? port : (port << 16) >> 16,
    hardwareAddress: p.hwAddr,
    name: p.name,
    config: p.config | 0,
    state: p.state | 0,
    currentFeatures: p.curr | 0,
    advertisedFeatures: p.advertised | 0,
    supportedFeatures: p.supported | 0,
    peerFeatures: p.peer | 0,
  };
}

const portsTo09 = (sw: SwitchView) => [...sw.ports.values()].map(portTo09);

/** 1.2's keys, then 0.9's `dpid` and `ports` (Avior and the 0.9 web UI read those). */
export function switchToFloodlight(sw: SwitchView) {
  return {
    inetAddress: '/' + sw.remoteAddress,
    connectedSince: sw.connectedSince.getTime(),
    switchDPID: formatDpid(sw.dpid),
    openFlowVersion: ofVersionName(sw.version),
    dpid: formatDpid(sw.dpid),
    ports: portsTo09(sw),
  };
}

function flowEntry(version: OfVersion, f: FlowStatsEntry) {
  const base = {
    version: ofVersionName(version),
    cookie: str(f.cookie),
    table_id: str(f.tableId),
    packet_count: str(f.packetCount),
    byte_count: str(f.byteCount),
    duration_sec: str(f.durationSec),
    duration_nsec: str(f.durationNsec),
    priority: str(f.priority),
    idle_timeout_s: str(f.idleTimeout),
    hard_timeout_s: str(f.hardTimeout),
    flags: str(f.flags),
    match: matchToFloodlight(f.match),
  };
  return version === OFP_VERSION_1_0
    ? { ...base, actions: { actions: actionsText(applyActionsOf(f.instructions)) } }
    : { ...base, instructions: instructionsToFloodlight(f.instructions) };
}

function portStatsEntry(version: OfVersion, p: PortStatsEntry) {
  const out: Record<string, string> = {
    port_number: portName(p.portNo),
    receive_packets: str(p.rxPackets),
    transmit_packets: str(p.txPackets),
    receive_bytes: str(p.rxBytes),
    transmit_bytes: str(p.txBytes),
    receive_dropped: str(p.rxDropped),
    transmit_dropped: str(p.txDropped),
    receive_errors: str(p.rxErrors),
    transmit_errors: str(p.txErrors),
    receive_frame_errors: str(p.rxFrameErr),
    receive_overrun_errors: str(p.rxOverErr),
    receive_CRC_errors: str(p.rxCrcErr),
    collisions: str(p.collisions),
  };
  if (version !== OFP_VERSION_1_0) {
    out.duration_sec = str(p.durationSec);
    out.duration_nsec = str(p.durationNsec);
  }
  return out;
}

export function portDescToFloodlight(version: OfVersion, p: PortDesc) {
  const out: Record<string, string> = {
    port_number: portName(p.portNo),
    hardware_address: p.hwAddr,
    name: p.name,
    config: str(p.config),
    state: str(p.state),
    current_features: str(p.curr),
    advertised_features: str(p.advertised),
    supported_features: str(p.supported),
    peer_features: str(p.peer),
  };
  if (version !== OFP_VERSION_1_0) {
    out.curr_speed = str(p.currSpeed);
    out.max_speed = str(p.maxSpeed);
  }
  return out;
}

function meterBand(b: MeterBand) {
  const base = { band_type: b.type, rate: str(b.rate), burst_size: str(b.burstSize) };
  if (b.type === 'dscp_remark') return { ...base, prec_level: str(b.precLevel) };
  if (b.type === 'experimenter') return { ...base, experimenter: str(b.experimenter) };
  return base;
}

/** One switch's reply to /wm/core/switch/{dpid}/{kind}/json. */
export function statsToFloodlight(version: OfVersion, reply: StatsReplyBody): Record<string, unknown> {
  const v = ofVersionName(version);
  switch (reply.kind) {
    case 'flow':
      return { flows: reply.flows.map((f) => flowEntry(version, f)) };
    case 'aggregate':
      return {
        aggregate: {
          version: v,
          flow_count: str(reply.flowCount),
          packet_count: str(reply.packetCount),
          byte_count: str(reply.byteCount),
          flags: '0',
        },
      };
    case 'desc':
      return {
        desc: {
          version: v,
          manufacturer_description: reply.desc.mfrDesc,
          hardware_description: reply.desc.hwDesc,
          software_description: reply.desc.swDesc,
          serial_number: reply.desc.serialNum,
          datapath_description: reply.desc.dpDesc,
        },
      };
    case 'port':
      return { port_reply: [{ version: v, port: reply.ports.map((p) => portStatsEntry(version, p)) }] };
    case 'port_desc':
      return { port_desc: reply.ports.map((p) => portDescToFloodlight(version, p)), version: v };
    case 'table':
      return {
        version: v,
        table: reply.tables.map((t) => ({
          table_id: str(t.tableId),
          name: t.name,
          wildcards: str(t.wildcards),
          max_entries: str(t.maxEntries),
          active_count: str(t.activeCount),
          lookup_count: str(t.lookupCount),
          matched_count: str(t.matchedCount),
        })),
      };
    case 'queue':
      return {
        queue_reply: [
          {
            version: v,
            queue: reply.queues.map((q) => ({
              port_number: portName(q.portNo),
              queue_id: str(q.queueId),
              transmit_bytes: str(q.txBytes),
              transmit_packets: str(q.txPackets),
              transmit_errors: str(q.txErrors),
              duration_sec: str(q.durationSec),
              duration_nsec: str(q.durationNsec),
            })),
          },
        ],
      };
    case 'group':
      return {
        version: v,
        group: reply.groups.map((g) => ({
          group_number: str(g.groupId),
          reference_count: str(g.refCount),
          packet_count: str(g.packetCount),
          byte_count: str(g.byteCount),
          duration_sec: str(g.durationSec),
          duration_nsec: str(g.durationNsec),
          bucket_counters: g.buckets.map((b) => ({
            packet_count: str(b.packetCount),
            byte_count: str(b.byteCount),
          })),
        })),
      };
    case 'group_desc':
      return {
        version: v,
        group_desc: reply.groups.map((g) => ({
          group_type: str(g.groupType),
          group_number: str(g.groupId),
          buckets: g.buckets.map((b) => ({
            weight: str(b.weight),
            watch_port: portName(b.watchPort),
            watch_group: str(b.watchGroup),
            actions: actionsText(b.actions),
          })),
        })),
      };
    case 'meter':
      return {
        version: v,
        meter: reply.meters.map((m) => ({
          meter_id: str(m.meterId),
          flow_count: str(m.flowCount),
          packet_in_count: str(m.packetInCount),
          byte_in_count: str(m.byteInCount),
          duration_sec: str(m.durationSec),
          duration_nsec: str(m.durationNsec),
          meter_band_stats: m.bands.map((b) => ({
            packet_band_count: str(b.packetBandCount),
            byte_band_count: str(b.byteBandCount),
          })),
        })),
      };
    case 'meter_config':
      return {
        version: v,
        meter_config: reply.meters.map((m) => ({
          meter_id: str(m.meterId),
          flags: str(m.flags),
          meter_bands: m.bands.map(meterBand),
        })),
      };
    case 'experimenter': // no URL asks for these two; kept printable rather than a crash
      return {
        version: v,
        experimenter: {
          experimenter: str(reply.experimenter),
          exp_type: str(reply.expType),
          data: reply.data.toString('hex'),
        },
      };
    case 'raw':
      return { version: v, raw: { stats_type: str(reply.statsType), data: reply.data.toString('hex') } };
  }
}

/**
 * /wm/core/switch/{dpid}/features/json, from the handshake's FEATURES_REPLY (and the port map, which OF1.3
 * fills from port-desc): 1.2's keys plus 0.9's `ports`.
 */
export function featuresToFloodlight(sw: SwitchView): Record<string, unknown> {
  const out: Record<string, unknown> = {
    capabilities: str(sw.features.capabilities),
    dpid: formatDpid(sw.dpid),
    buffers: str(sw.features.nBuffers),
    tables: str(sw.features.nTables),
    version: ofVersionName(sw.version),
    ports: portsTo09(sw),
  };
  if (sw.version === OFP_VERSION_1_0) {
    out.port_desc = [...sw.ports.values()].map((p) => portDescToFloodlight(sw.version, p));
    out.actions = str(sw.features.actions);
  }
  return out;
}

export function linkToFloodlight(l: LinkInfo) {
  return {
    'src-switch': formatDpid(l.src.dpid),
    'src-port': l.src.port,
    'dst-switch': formatDpid(l.dst.dpid),
    'dst-port': l.dst.port,
    type: l.type,
    direction: l.direction,
    latency: l.latencyMs,
  };
}

/** Floodlight 1.2's device: lists of addresses, attachmentPoint [{switchDPID, port}], lastSeen in ms. */
export function hostToFloodlight(h: HostInfo) {
  return {
    entityClass: 'DefaultEntityClass',
    mac: [h.mac],
    ipv4: h.ipv4,
    ipv6: h.ipv6,
    vlan: h.vlan.map((v) => '0x' + v.toString(16)),
    attachmentPoint: h.attachmentPoints.map((ap) => ({
      switchDPID: formatDpid(ap.dpid),
      port: ap.port,
      errorStatus: null,
    })),
    lastSeen: h.lastSeen,
  };
}

/** 1.2's /wm/topology/route hop list. */
export function routeToFloodlight(hops: readonly PortRef[]) {
  return hops.map((h) => ({
    switch: formatDpid(h.dpid),
    port: { portNumber: h.port, shortPortNumber: h.port },
  }));
}

/** master's /wm/routing/path shape. */
export function routeToFloodlightResults(hops: readonly PortRef[]) {
  return { results: hops.map((h) => ({ switch: formatDpid(h.dpid), port: String(h.port) })) };
}

/** /wm/topology/switchclusters/json: cluster id (its lowest DPID) -> member DPIDs. */
export function clustersToFloodlight(clusters: readonly bigint[][]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of clusters) {
    if (c.length === 0) continue;
    const sorted = [...c].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    out[formatDpid(sorted[0])] = sorted.map(formatDpid);
  }
  return out;
}
