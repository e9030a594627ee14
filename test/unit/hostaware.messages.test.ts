/** The host-aware message log: bounded, paged without gaps or repeats, filtered, and followed live. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageLog, type HandMessage } from '../../src/apps/hostaware/index.js';

const fill = (log: MessageLog, n: number) => {
  for (let i = 1; i <= n; i++) {
    log.add({ type: i % 2 ? 'INFO' : 'WARN', at: i, message: `m${i}`, rule: i % 3 ? 'a' : 'b' });
  }
};

test('paging after a seq reads every kept message once, in order, and counts what fell out', () => {
  const log = new MessageLog(100);
  fill(log, 1000);
  let after = 0;
  const seen: number[] = [];
  let dropped = -1;
  for (;;) {
    const page = log.page({ after, limit: 30 });
    if (dropped < 0) dropped = page.dropped;
    if (page.messages.length === 0) break;
    seen.push(...page.messages.map((m) => m.seq));
    after = page.next;
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 100 }, (_, i) => 901 + i),
  );
  assert.equal(dropped, 900);
  assert.equal(log.page({ after: 1000 }).next, 1000);
});

test('without after: the newest `limit`, filtered by type and rule', () => {
  const log = new MessageLog(50);
  fill(log, 200);
  const tail = log.page({ limit: 5 });
  assert.deepEqual(
    tail.messages.map((m) => m.seq),
    [196, 197, 198, 199, 200],
  );
  const warnsB = log.page({ type: 'WARN', rule: 'b', limit: 100 }).messages;
  assert.ok(warnsB.length > 0);
  assert.ok(warnsB.every((m) => m.type === 'WARN' && m.rule === 'b' && m.seq > 150));
});

test('subscribers see each message once as it is added, until they unsubscribe', () => {
  const log = new MessageLog(10);
  const got: HandMessage[] = [];
  const off = log.subscribe((m) => got.push(m));
  fill(log, 3);
  off();
  fill(log, 2);
  assert.deepEqual(
    got.map((m) => m.seq),
    [1, 2, 3],
  );
});
