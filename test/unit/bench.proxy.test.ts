import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tarHeader, tarPadding, tarStream } from '../../bench/proxystats.js';

test('tarStream makes an archive GNU tar lists, with the big file at its size', () => {
  const archive = Buffer.concat([...tarStream({ Dockerfile: 'FROM x\n' }, 'blob', 5000, 1024)]);
  assert.equal(archive.length % 512, 0);
  const listing = execFileSync('tar', ['-tvf', '-'], { input: archive }).toString();
  assert.match(listing, /\s7 \S+ \S+ Dockerfile\n/);
  assert.match(listing, /\s5000 \S+ \S+ blob\n/);
  assert.equal(execFileSync('tar', ['-xOf', '-', 'Dockerfile'], { input: archive }).toString(), 'FROM x\n');
});

test('tar headers carry a valid checksum, padding fills the last block, long names are refused', () => {
  const h = tarHeader('a', 1);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  assert.equal(parseInt(h.subarray(148, 154).toString(), 8), sum);
  assert.equal(tarPadding(1).length, 511);
  assert.equal(tarPadding(512).length, 0);
  assert.throws(() => tarHeader('x'.repeat(101), 1), /longer than 100/);
});
