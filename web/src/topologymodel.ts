/**
 * The topology graph's element ids, its links' colours, and which of them a QoS path runs over. Pure (data in,
 * data out), so the topology page and unit tests share it.
 */

export interface PortRef {
  dpid: string;
  port: number;
}

/** One key per physical link, whichever end the answer starts from. */
export function linkKey(a: PortRef, b: PortRef): string {
  const x = `${a.dpid}/${a.port}`;
  const y = `${b.dpid}/${b.port}`;
  return x < y ? `${x}-${y}` : `${y}-${x}`;
}

/** A link's colour: grey while unmeasured; green (idle) through amber to red (full, or over). */
export function utilisationColour(u: number | null | undefined): string {
  if (u === null || u === undefined || Number.isNaN(u)) return '#8c959f';
  const t = Math.max(0, Math.min(1, u));
  const hue = 120 * (1 - t);
  return `hsl(${hue.toFixed(0)}, 75%, 42%)`;
}

/** The graph's edge id for a link. */
export const linkEdgeId = (a: PortRef, b: PortRef): string => `link:${linkKey(a, b)}`;

/** A hop of a QoS path as the API lists it (src/schema QosPath). */
export interface PathHop {
  switch: string;
  'in-port': number;
  'out-port': number;
}

export interface PathHighlight {
  /** The switches on the path that are in the graph, in path order. */
  nodes: string[];
  /** The links between consecutive hops that are in the graph; `forward` when the path runs src to dst. */
  edges: { id: string; forward: boolean }[];
  /** What of the path the graph lacks, in words (a switch or link not discovered, or gone). */
  missing: string[];
}

/**
 * Hop i leaves its switch by its out-port and hop i+1 enters by its in-port: that pair of ports is the link
 * between them. `links` are the graph's links (src, dst as the topology lists them).
 */
export function pathHighlight(
  hops: readonly PathHop[],
  switches: ReadonlySet<string>,
  links: readonly { src: PortRef; dst: PortRef }[],
): PathHighlight {
  const byKey = new Map(links.map((l) => [linkKey(l.src, l.dst), l]));
  const nodes: string[] = [];
  const edges: PathHighlight['edges'] = [];
  const missing: string[] = [];
  hops.forEach((hop, i) => {
    if (switches.has(hop.switch)) {
      if (!nodes.includes(hop.switch)) nodes.push(hop.switch);
    } else {
      missing.push(`switch ${hop.switch} is not in the topology`);
    }
    const next = hops[i + 1];
    if (!next) return;
    const from = { dpid: hop.switch, port: hop['out-port'] };
    const to = { dpid: next.switch, port: next['in-port'] };
    const link = byKey.get(linkKey(from, to));
    if (link) {
      edges.push({
        id: linkEdgeId(from, to),
        forward: link.src.dpid === from.dpid && link.src.port === from.port,
      });
    } else {
      missing.push(`no link from ${from.dpid} port ${from.port} to ${to.dpid} port ${to.port}`);
    }
  });
  return { nodes, edges, missing };
}
