/**
 * BENCHMARKS.md as a set of sections, each from its own run. Re-running one section (`--sections staticflows`)
 * replaces that section's block and keeps the others as they were, each still saying when and where it
 * ran. The targets summary at the top is rebuilt from every block's own target lines.
 */

export interface Target {
  name: string;
  met: boolean | undefined; // undefined: could not be measured
  detail: string;
}

export interface SectionResult {
  id: string;
  /** The section's markdown; its first line is its `## ` heading. */
  markdown: string;
  /** Where and when it ran (command, date, versions, load), one markdown bullet each. */
  runInfo: string[];
  targets: Target[];
  failures: string[];
}

export function targetLine(t: Target): string {
  return `- ${t.met === undefined ? 'NOT MEASURED' : t.met ? 'MET' : 'NOT MET'}: ${t.name} (${t.detail})`;
}

const TARGET_LINE = /^- (?:MET|NOT MET|NOT MEASURED): .+$/;
const BLOCK = /<!-- section: ([\w-]+) -->\n([\s\S]*?)<!-- \/section: \1 -->/g;

/** One section's block: heading, how it ran, its targets and failures, then the rest of its markdown. */
export function sectionBlock(r: SectionResult): string {
  const [heading, ...rest] = r.markdown.split('\n');
  const body = rest.slice(rest.findIndex((l) => l.trim() !== ''));
  const parts = [
    `<!-- section: ${r.id} -->`,
    heading,
    '',
    ...r.runInfo,
    '',
    ...(r.targets.length ? ['Targets:', '', ...r.targets.map(targetLine), ''] : []),
    ...(r.failures.length ? ['Failures:', '', ...r.failures.map((f) => `- ${f.split('\n')[0]}`), ''] : []),
    ...body,
    '',
    `<!-- /section: ${r.id} -->`,
  ];
  return parts.join('\n');
}

/** The blocks of an existing BENCHMARKS.md by section id, in file order (none if it has no markers). */
export function parseBlocks(existing: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of existing.matchAll(BLOCK)) blocks.set(m[1], m[0]);
  return blocks;
}

/**
 * The whole file: fresh blocks replace old ones with the same id; old blocks of sections not run now stay,
 * in `order` (sections unknown to this version of the bench go last, as they were).
 */
export function mergeReport(existing: string | undefined, fresh: SectionResult[], order: string[]): string {
  const blocks = existing ? parseBlocks(existing) : new Map<string, string>();
  for (const r of fresh) blocks.set(r.id, sectionBlock(r));
  const ids = [
    ...order.filter((id) => blocks.has(id)),
    ...[...blocks.keys()].filter((id) => !order.includes(id)),
  ];
  const body = ids.map((id) => blocks.get(id)!);
  const targets = body.flatMap((b) => b.split('\n').filter((l) => TARGET_LINE.test(l)));
  return [
    '# Benchmarks',
    '',
    '`make bench` runs every section below and rewrites this file; `node dist/bench/run.js --sections ID` re-runs',
    'one section and replaces only its block. Each section says when, where and against which versions it ran;',
    'numbers in one section come from one run.',
    '',
    '## Targets (from each section below)',
    '',
    ...(targets.length ? targets : ['- (no target measured)']),
    '',
    ...body.flatMap((b) => [b, '']),
  ].join('\n');
}
