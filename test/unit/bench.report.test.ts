import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeReport, parseBlocks, type SectionResult } from '../../bench/report.js';

function result(id: string, value: string, met: boolean | undefined): SectionResult {
  return {
    id,
    markdown: `## ${id} section\n\n| measure | value |\n|---|---|\n| x | ${value} |`,
    runInfo: [`- run: \`bench ${id}\``],
    targets: [{ name: `${id} target`, met, detail: value }],
    failures: [],
  };
}

const ORDER = ['cbench', 'memory', 'staticflows'];

test('a fresh file has one block per section run, in bench order, and the targets on top', () => {
  const md = mergeReport(undefined, [result('memory', '1 MB', true), result('cbench', '2/s', false)], ORDER);
  assert.deepEqual([...parseBlocks(md).keys()], ['cbench', 'memory']);
  const top = md.slice(0, md.indexOf('<!-- section'));
  assert.match(top, /- NOT MET: cbench target \(2\/s\)/);
  assert.match(top, /- MET: memory target \(1 MB\)/);
  assert.ok(top.indexOf('cbench target') < top.indexOf('memory target'));
});

test('re-running one section replaces its block and keeps the others untouched', () => {
  const first = mergeReport(
    undefined,
    [result('cbench', 'old-rate', false), result('staticflows', 'kept-value', true)],
    ORDER,
  );
  const second = mergeReport(first, [result('cbench', 'new-rate', true)], ORDER);
  const blocks = parseBlocks(second);
  assert.equal(blocks.get('staticflows'), parseBlocks(first).get('staticflows'));
  assert.match(blocks.get('cbench')!, /new-rate/);
  assert.doesNotMatch(second, /old-rate/);
  assert.match(second, /- MET: cbench target \(new-rate\)/);
  assert.match(second, /- MET: staticflows target \(kept-value\)/);
});

test('a section this bench no longer knows is kept at the end; a file without blocks is replaced', () => {
  const withUnknown = mergeReport(undefined, [result('retired', 'r', undefined)], ORDER);
  const merged = mergeReport(withUnknown, [result('memory', 'm', true)], ORDER);
  assert.deepEqual([...parseBlocks(merged).keys()], ['memory', 'retired']);
  assert.match(merged, /- NOT MEASURED: retired target/);
  const fromLegacy = mergeReport(
    '# Benchmarks\n\nold text without markers\n',
    [result('memory', 'm', true)],
    ORDER,
  );
  assert.doesNotMatch(fromLegacy, /old text/);
  assert.deepEqual([...parseBlocks(fromLegacy).keys()], ['memory']);
});

test('failures are listed in their section block', () => {
  const r = {
    ...result('cbench', 'x', undefined),
    failures: ['cbench sluice: switch 3 disconnected\nstack...'],
  };
  const block = parseBlocks(mergeReport(undefined, [r], ORDER)).get('cbench')!;
  assert.match(block, /Failures:\n\n- cbench sluice: switch 3 disconnected\n/);
  assert.doesNotMatch(block, /stack\.\.\./);
});
