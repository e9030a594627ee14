/** Adapters from the real apps to the API's narrow views. */
import type { HostInfo, HostsView, LinkInfo, PortRef, TopologyView } from '../api/index.js';
import { hostView, type HostsApp } from '../apps/hosts/index.js';
import type { Hop, TopologyApp } from '../apps/topology/index.js';

/** Hops (one per switch) -> the (in, out) pairs Floodlight's route lists. */
export function hopsToPortPairs(hops: readonly Hop[]): PortRef[] {
  return hops.flatMap((h) => [
    { dpid: h.dpid, port: h.inPort },
    { dpid: h.dpid, port: h.outPort },
  ]);
}

export function topologyView(app: TopologyApp): TopologyView {
  return {
    links: (): LinkInfo[] =>
      app.links().map((l) => ({
        src: { dpid: l.srcDpid, port: l.srcPort },
        dst: { dpid: l.dstDpid, port: l.dstPort },
        type: l.type,
        direction: l.direction,
        // Whole ms as Floodlight reports it; 0 while not measured (Floodlight's value for unknown too).
        latencyMs: Math.round(l.latencyMs ?? 0),
      })),
    externalLinks: () => [],
    clusters: () => app.clusters(),
    route: (src, dst) => {
      const hops = app.route(src.dpid, src.port, dst.dpid, dst.port);
      return hops ? hopsToPortPairs(hops) : undefined;
    },
  };
}

export function hostsView(app: HostsApp): HostsView {
  return {
    find: (filter) =>
      app.find(filter).map((h): HostInfo => {
        const v = hostView(h);
        return {
          mac: v.mac,
          ipv4: v.ipv4,
          ipv6: [],
          vlan: [v.vlan ?? 0],
          attachmentPoints: [{ dpid: v.dpid, port: v.port }],
          lastSeen: v.lastSeen,
        };
      }),
  };
}
