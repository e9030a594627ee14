/**
 * A radial tree layout for large networks, in O(nodes + edges): each connected component is spanned
 * breadth-first from its best-connected node, the root sits in the middle, depth d on ring d, and each subtree
 * gets a wedge in proportion to its leaves, so branches do not cross. Rings are spaced so that the nodes on a
 * ring have `spacing` between them. Components sit side by side, in the order of their best-connected switches.
 * Pure: ids and edges in, positions out; an edge to an id not in `ids` (a switch that just left) is ignored.
 */
export interface Point {
  x: number;
  y: number;
}

export function radialTree(
  ids: readonly string[],
  edges: ReadonlyArray<readonly [string, string]>,
  spacing = 40,
): Map<string, Point> {
  const adj = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [a, b] of edges) {
    const [na, nb] = [adj.get(a), adj.get(b)];
    if (a === b || !na || !nb) continue;
    na.push(b);
    nb.push(a);
  }
  const order = [...ids].sort((a, b) => adj.get(b)!.length - adj.get(a)!.length || (a < b ? -1 : 1));
  const pos = new Map<string, Point>();
  const seen = new Set<string>();
  let left = 0;
  for (const root of order) {
    if (seen.has(root)) continue;
    const bfs = [root];
    const depth = new Map([[root, 0]]);
    const children = new Map<string, string[]>();
    seen.add(root);
    for (let i = 0; i < bfs.length; i++) {
      const u = bfs[i];
      const kids: string[] = [];
      for (const v of adj.get(u)!) {
        if (seen.has(v)) continue;
        seen.add(v);
        depth.set(v, depth.get(u)! + 1);
        kids.push(v);
        bfs.push(v);
      }
      children.set(u, kids);
    }
    const leaves = new Map<string, number>();
    for (let i = bfs.length - 1; i >= 0; i--) {
      const kids = children.get(bfs[i])!;
      leaves.set(bfs[i], kids.length ? kids.reduce((s, k) => s + leaves.get(k)!, 0) : 1);
    }
    const perDepth: number[] = [];
    for (const u of bfs) perDepth[depth.get(u)!] = (perDepth[depth.get(u)!] ?? 0) + 1;
    const radius = [0];
    for (let d = 1; d < perDepth.length; d++) {
      radius[d] = Math.max(radius[d - 1] + spacing * 1.5, (perDepth[d] * spacing) / (2 * Math.PI));
    }
    const outer = radius[radius.length - 1];
    const cx = left + outer;
    const stack: Array<[string, number, number]> = [[root, 0, 2 * Math.PI]];
    while (stack.length) {
      const [u, a0, a1] = stack.pop()!;
      const r = radius[depth.get(u)!];
      const a = (a0 + a1) / 2;
      pos.set(u, { x: cx + r * Math.cos(a), y: r * Math.sin(a) });
      let start = a0;
      for (const k of children.get(u)!) {
        const w = ((a1 - a0) * leaves.get(k)!) / leaves.get(u)!;
        stack.push([k, start, start + w]);
        start += w;
      }
    }
    left = cx + outer + spacing * 2;
  }
  return pos;
}
