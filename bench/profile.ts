#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time and the
 * most inclusive time, as shares of all samples, with file:line relative to the repo.
 *
 * Standalone: node dist/bench/profile.js FILE.cpuprofile [--top 25]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { intFlag } from './harness.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  share: number;
}

function label(n: ProfileNode): string {
  const cf = n.callFrame;
  const where = cf.url ? ` ${cf.url.replace(/^.*\/(dist\/|node_modules\/)/, '$1')}:${cf.lineNumber + 1}` : '';
  return `${cf.functionName || '(anonymous)'}${where}`;
}

/** Self and inclusive time per function label, each sorted by share, highest first. */
export function hotSpots(profile: CpuProfile): { self: HotSpot[]; inclusive: HotSpot[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    time.set(id, (time.get(id) ?? 0) + dt);
    total += dt;
  });
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, t] of time) {
    const node = byId.get(id);
    if (!node) continue;
    self.set(label(node), (self.get(label(node)) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue; // recursion: count a frame once per sample
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + t);
    }
  }
  const sorted = (m: Map<string, number>): HotSpot[] =>
    [...m].map(([name, t]) => ({ name, share: total > 0 ? t / total : 0 })).sort((a, b) => b.share - a.share);
  return { self: sorted(self), inclusive: sorted(incl) };
}

export function formatHotSpots(spots: HotSpot[], top: number): string {
  return spots
    .slice(0, top)
    .map((s) => `${(s.share * 100).toFixed(1).padStart(5)}%  ${s.name}`)
    .join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string' } }, allowPositionals: true });
  const file = positionals[0];
  if (!file) throw new Error('usage: profile.js FILE.cpuprofile [--top N]');
  const top = intFlag(values, 'top', 25);
  const spots = hotSpots(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile);
  console.log(
    `self time:\n${formatHotSpots(spots.self, top)}\n\ninclusive time:\n${formatHotSpots(spots.inclusive, top)}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (err) {
    console.error(`profile: ${(err as Error).message}`);
    process.exit(1);
  }
}
