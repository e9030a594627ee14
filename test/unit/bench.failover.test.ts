import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePing,
  pingOutage,
  RestTally,
  singleMasters,
  viewHasLiveMasters,
} from '../../bench/failoverstats.js';

const A = 'tcp:127.0.0.1:6001';
const B = 'tcp:127.0.0.1:6002';

test('singleMasters needs exactly one connected master among the live targets on every switch', () => {
  const roles = new Map([
    [
      's1',
      [
        { target: A, role: 'master', connected: true },
        { target: B, role: 'slave', connected: true },
      ],
    ],
    ['s2', [{ target: B, role: 'master', connected: true }]],
  ]);
  assert.deepEqual(
    singleMasters(roles, ['s1', 's2'], new Set([A, B])),
    new Map([
      ['s1', A],
      ['s2', B],
    ]),
  );
  // A dead member's row still saying master does not count; none left on s1.
  assert.equal(singleMasters(roles, ['s1', 's2'], new Set([B])), undefined);
  // Two masters, or a switch OVS does not list, are not "exactly one".
  roles.get('s1')![1].role = 'master';
  assert.equal(singleMasters(roles, ['s1'], new Set([A, B])), undefined);
  assert.equal(singleMasters(roles, ['s9'], new Set([A, B])), undefined);
  // Not connected: not a master yet.
  roles.get('s1')![1].connected = false;
  assert.deepEqual(singleMasters(roles, ['s1'], new Set([A, B])), new Map([['s1', A]]));
});

test('viewHasLiveMasters needs every switch listed with a master among the live members', () => {
  const live = new Set(['m1', 'm2']);
  const view = { switches: [{ master: 'm1' }, { master: 'm2' }] as { master: string | null }[] };
  assert.equal(viewHasLiveMasters(view, 2, live), true);
  assert.equal(viewHasLiveMasters(view, 3, live), false, 'a switch missing');
  assert.equal(viewHasLiveMasters({}, 2, live), false, 'no switches at all');
  view.switches[1].master = 'm3';
  assert.equal(viewHasLiveMasters(view, 2, live), false, 'the dead member still named');
  view.switches[1].master = null;
  assert.equal(viewHasLiveMasters(view, 2, live), false, 'vacant');
});

/** ping -D -O output from t0 (s): seqs 1..n every 50 ms, answered after 1 ms unless in `lost`. */
function pingOutput(t0: number, n: number, lost: Set<number>): string {
  const lines = ['PING 10.0.0.3 (10.0.0.3) 56(84) bytes of data.'];
  for (let s = 1; s <= n; s++) {
    const sent = t0 + (s - 1) * 0.05;
    lines.push(
      lost.has(s)
        ? `[${(sent + 0.05).toFixed(6)}] no answer yet for icmp_seq=${s}`
        : `[${(sent + 0.001).toFixed(6)}] 64 bytes from 10.0.0.3: icmp_seq=${s} ttl=64 time=1.00 ms`,
    );
  }
  return lines.join('\n');
}

test('pingOutage: from the kill to the first answer after the last lost request, and how many were lost', () => {
  const t0 = 1_700_000_000; // s
  const kill = t0 * 1000 + 1000; // seq 21 is sent at the kill
  // Seqs 25..64 (sent 1.2 s .. 3.15 s after t0) lost; 65 answered at 3.2 s + 1 ms.
  const lost = new Set(Array.from({ length: 40 }, (_, i) => 25 + i));
  const seqs = parsePing(pingOutput(t0, 120, lost));
  const r = pingOutage(seqs, kill, t0 * 1000 + 4000, 50);
  assert.equal(r?.lost, 40);
  assert.ok(Math.abs(r!.outageMs - 2201) < 1, String(r?.outageMs));
  // Not yet: nothing sent at or after the window's end has been answered.
  assert.equal(pingOutage(parsePing(pingOutput(t0, 70, lost)), kill, t0 * 1000 + 4000, 50), undefined);
  // Nothing lost: 0. Losses before the kill (or before the first answer) are not the failover's.
  const early = new Set([1, 2, 10]);
  assert.deepEqual(pingOutage(parsePing(pingOutput(t0, 120, early)), kill, t0 * 1000 + 4000, 50), {
    outageMs: 0,
    lost: 0,
  });
  // A lost request in flight at the kill (sent within one interval before it) counts.
  const r2 = pingOutage(parsePing(pingOutput(t0, 120, new Set([20]))), kill, t0 * 1000 + 4000, 50);
  assert.equal(r2?.lost, 1);
  assert.ok(Math.abs(r2!.outageMs - 1) < 1, String(r2?.outageMs)); // seq 21 answered 1 ms after the kill
});

test('RestTally counts answers and failures, keeps the slowest answer and the first five failures', () => {
  const t = new RestTally();
  t.record(true, 12, 'a');
  t.record(true, 30, 'b');
  for (let i = 0; i < 7; i++) t.record(false, 5000, `fail ${i}`);
  assert.equal(t.answered, 2);
  assert.equal(t.failed, 7);
  assert.equal(t.slowestMs, 30);
  assert.deepEqual(t.failures, ['fail 0', 'fail 1', 'fail 2', 'fail 3', 'fail 4']);
  const sum = new RestTally();
  sum.record(true, 50, 'c');
  sum.add(t);
  assert.deepEqual([sum.answered, sum.failed, sum.slowestMs, sum.failures.length], [3, 7, 50, 5]);
});
