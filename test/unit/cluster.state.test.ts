/** The member's decisions (src/cluster/state.ts) and the key layout, without a store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clusterKeys,
  clusterNameProblem,
  INITIAL_STATE,
  leaseDeadline,
  step,
  type MemberInput,
  type MemberState,
} from '../../src/cluster/index.js';

const cfg = { self: 'a', ttlMs: 5000 };
const since = '2026-12-06T17:00:00.000Z';

function run(inputs: MemberInput[], from: MemberState = INITIAL_STATE) {
  let state = from;
  const effects: string[] = [];
  for (const i of inputs) {
    const r = step(state, i, cfg);
    state = r.state;
    effects.push(...r.effects.map((e) => e.type));
  }
  return { state, effects };
}

const leading = run([
  { type: 'registered', lease: 'L1', sentAt: 0 },
  { type: 'won', lease: 'L1', leader: { id: 'a', since } },
]).state;

test('keys: members and leader of a cluster under /clusters/<id>/', () => {
  const k = clusterKeys('prod');
  assert.equal(k.member('m1'), '/clusters/prod/members/m1');
  assert.ok(k.member('m1').startsWith(k.members));
  assert.equal(k.leader, '/clusters/prod/leader');
});

test('names: letters, digits, . _ - up to 63; the reason says what is wrong', () => {
  for (const ok of ['prod', 'a.b_c-1', 'x'.repeat(63), '0b6b5a4e-1f2a-4c3d-8e9f-001122334455'])
    assert.equal(clusterNameProblem(ok), undefined, ok);
  assert.match(clusterNameProblem('')!, /empty/);
  assert.match(clusterNameProblem('x'.repeat(64))!, /64 characters, the limit is 63/);
  assert.match(clusterNameProblem('a/b')!, /only letters, digits/);
  assert.match(clusterNameProblem('a b')!, /only letters, digits/);
  assert.match(clusterNameProblem('..')!, /dots/);
});

test('registering campaigns; winning makes the leader; the lease deadline keeps a margin', () => {
  const r = step(INITIAL_STATE, { type: 'registered', lease: 'L1', sentAt: 1000 }, cfg);
  assert.equal(r.state.role, 'member');
  assert.deepEqual(r.effects, [
    { type: 'registered', lease: 'L1' },
    { type: 'campaign', lease: 'L1' },
  ]);
  assert.equal(r.state.deadline, leaseDeadline(1000, 5000));
  assert.ok(r.state.deadline! < 6000, 'out before the store can expire the lease');
  assert.equal(leading.role, 'leader');
  assert.deepEqual(leading.leader, { id: 'a', since });
});

test('a lost lease is said first, ends leadership, clears every leader belief, revokes and rejoins', () => {
  const r = run([{ type: 'keepFailed', lease: 'L1', leaseGone: true }], leading);
  assert.deepEqual(r.effects, ['leaseLost', 'leadershipLost', 'leaderChanged', 'revoke', 'rejoin']);
  assert.deepEqual(r.state, { role: 'out', stopped: false });
});

test('an unreachable store: nothing until the deadline, then out at once', () => {
  const waiting = run([{ type: 'keepFailed', lease: 'L1', leaseGone: false }], leading);
  assert.equal(waiting.state.role, 'leader');
  assert.deepEqual(waiting.effects, []);
  assert.deepEqual(run([{ type: 'time', now: leading.deadline! - 1 }], leading).effects, []);
  const out = run([{ type: 'time', now: leading.deadline! }], leading);
  assert.deepEqual(out.effects.slice(0, 2), ['leaseLost', 'leadershipLost']);
  assert.equal(out.state.role, 'out');
});

test('a kept lease moves the deadline; replies about an older lease change nothing', () => {
  const kept = run([{ type: 'kept', lease: 'L1', sentAt: 3000 }], leading).state;
  assert.equal(kept.deadline, leaseDeadline(3000, 5000));
  assert.equal(run([{ type: 'kept', lease: 'L0', sentAt: 9000 }], leading).state.deadline, leading.deadline);
  assert.deepEqual(run([{ type: 'keepFailed', lease: 'L0', leaseGone: true }], leading).state, leading);
  // A win reported after the lease was given up does not make a leader.
  const out = run([{ type: 'keepFailed', lease: 'L1', leaseGone: true }], leading).state;
  assert.equal(run([{ type: 'won', lease: 'L1', leader: { id: 'a', since } }], out).state.role, 'out');
});

test('a member campaigns when the leader key goes; a leader whose key goes steps down first', () => {
  const member = run([
    { type: 'registered', lease: 'L1', sentAt: 0 },
    { type: 'leaderSeen', leader: { id: 'b', since } },
  ]);
  assert.equal(member.state.leader?.id, 'b');
  assert.deepEqual(run([{ type: 'leaderSeen', leader: undefined }], member.state).effects, [
    'leaderChanged',
    'campaign',
  ]);
  const removed = run([{ type: 'leaderSeen', leader: undefined }], leading);
  assert.deepEqual(removed.effects, ['leadershipLost', 'leaderChanged', 'campaign']);
  assert.equal(removed.state.role, 'member');
  assert.deepEqual(run([{ type: 'leaderSeen', leader: { id: 'a', since } }], leading).effects, []);
});

test('stop: lease and leadership lost, lease revoked, and a registration finishing later is undone', () => {
  const stopped = run([{ type: 'stop' }], leading);
  assert.deepEqual(stopped.effects, ['leaseLost', 'leadershipLost', 'revoke']);
  assert.deepEqual(run([{ type: 'registered', lease: 'L2', sentAt: 0 }], stopped.state).effects, ['revoke']);
  assert.deepEqual(run([{ type: 'time', now: 1e12 }], stopped.state).effects, []);
});
