import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalMatch, diffFlows, ownedBy, planReconcile } from '../../src/controller/reconcile.js';
import { flowDelete, flowModAdd, flowModDeleteStrict } from '../../src/controller/flowmod.js';
import { appCookie, type FlowSpec } from '../../src/controller/app.js';
import {
  OFPFC,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  type FlowStatsEntry,
  type GroupDescEntry,
} from '../../src/openflow/types.js';

const APP = appCookie(7);
const OTHER = appCookie(8);
const out = (port: number) => [
  { type: 'apply_actions' as const, actions: [{ type: 'output' as const, port, maxLen: 0 }] },
];

function spec(
  priority: number,
  match: FlowSpec['match'],
  port: number,
  extra: Partial<FlowSpec> = {},
): FlowSpec {
  return { tableId: 0, priority, match, instructions: out(port), ...extra };
}

function entry(s: FlowSpec, cookie = APP, extra: Partial<FlowStatsEntry> = {}): FlowStatsEntry {
  return {
    tableId: s.tableId,
    durationSec: 5,
    durationNsec: 0,
    priority: s.priority,
    idleTimeout: s.idleTimeout ?? 0,
    hardTimeout: s.hardTimeout ?? 0,
    flags: s.flags ?? 0,
    cookie,
    packetCount: 3n,
    byteCount: 300n,
    match: s.match,
    instructions: s.instructions,
    ...extra,
  };
}

test('nothing to do when the switch already has exactly the intent', () => {
  const want = [spec(100, { eth_type: 0x0800 }, 1), spec(200, { in_port: 2 }, 3)];
  const d = diffFlows(
    want,
    want.map((w) => entry(w)),
    APP,
    OFP_VERSION_1_3,
  );
  assert.deepEqual(d, { add: [], remove: [], unchanged: 2 });
});

test('missing flows are added, extras removed, changed ones re-added', () => {
  const keep = spec(100, { eth_type: 0x0800 }, 1);
  const changed = spec(200, { in_port: 2 }, 3);
  const missing = spec(300, { in_port: 9 }, 1);
  const extra = entry(spec(50, { eth_type: 0x0806 }, 1));
  const d = diffFlows(
    [keep, changed, missing],
    [entry(keep), entry({ ...changed, instructions: out(4) }), extra],
    APP,
    OFP_VERSION_1_3,
  );
  assert.deepEqual(d.add, [changed, missing]);
  assert.deepEqual(d.remove, [extra]);
  assert.equal(d.unchanged, 1);
});

test('match identity ignores key order, case and full masks', () => {
  const a = spec(10, { eth_dst: 'AA:BB:CC:DD:EE:FF', ipv4_src: '10.0.0.1', eth_type: 0x0800 }, 1);
  const reported = entry({
    ...a,
    match: {
      eth_type: 0x0800,
      ipv4_src: '10.0.0.1',
      ipv4_src_mask: '255.255.255.255',
      eth_dst: 'aa:bb:cc:dd:ee:ff',
    },
  });
  assert.deepEqual(diffFlows([a], [reported], APP, OFP_VERSION_1_3).unchanged, 1);
  assert.notEqual(
    canonicalMatch({ ipv4_src: '10.0.0.0', ipv4_src_mask: '255.0.0.0' }),
    canonicalMatch({ ipv4_src: '10.0.0.0' }),
  );
});

test('timeouts, cookie and (on 1.3) flags are part of the comparison', () => {
  const s = spec(10, { in_port: 1 }, 2, { idleTimeout: 0, flags: 1 });
  assert.equal(diffFlows([s], [entry(s, APP, { idleTimeout: 30 })], APP, OFP_VERSION_1_3).add.length, 1);
  assert.equal(diffFlows([s], [entry(s, APP | 5n)], APP, OFP_VERSION_1_3).add.length, 1);
  assert.equal(diffFlows([s], [entry(s, APP, { flags: 0 })], APP, OFP_VERSION_1_3).add.length, 1);
  // OF1.0 flow stats carry no flags, and any table id counts as table 0.
  assert.equal(diffFlows([s], [entry(s, APP, { flags: 0, tableId: 3 })], APP, OFP_VERSION_1_0).unchanged, 1);
});

test('a later duplicate of a desired key wins', () => {
  const first = spec(10, { in_port: 1 }, 2);
  const second = spec(10, { in_port: 1 }, 3);
  const d = diffFlows([first, second], [], APP, OFP_VERSION_1_3);
  assert.deepEqual(d.add, [second]);
});

test('ownership is decided by the high 16 cookie bits only', () => {
  assert.equal(ownedBy(APP | 0x1234n, APP), true);
  assert.equal(ownedBy(OTHER, APP), false);
  assert.equal(ownedBy(0n, APP), false);
});

test('flowModAdd fills defaults, keeps the cookie in the owner space', () => {
  const s = spec(10, { in_port: 1 }, 2, { tableId: 3 });
  const m13 = flowModAdd(s, APP, OFP_VERSION_1_3);
  assert.equal(m13.type, 'flow_mod');
  if (m13.type !== 'flow_mod') return;
  assert.equal(m13.command, OFPFC.ADD);
  assert.equal(m13.cookie, APP);
  assert.equal(m13.tableId, 3);
  assert.equal(m13.bufferId, 0xffffffff);
  const m10 = flowModAdd(s, APP, OFP_VERSION_1_0);
  assert.equal(m10.type === 'flow_mod' && m10.tableId, 0);
  assert.throws(() => flowModAdd({ ...s, cookie: OTHER }, APP, OFP_VERSION_1_3), /cookie/);
});

test('flowModDeleteStrict targets exactly one flow and its exact cookie on 1.3', () => {
  const e = entry(spec(10, { in_port: 1 }, 2), APP | 9n, { tableId: 2 });
  const m = flowModDeleteStrict(e, OFP_VERSION_1_3);
  assert.ok(m.type === 'flow_mod');
  if (m.type !== 'flow_mod') return;
  assert.equal(m.command, OFPFC.DELETE_STRICT);
  assert.equal(m.cookie, APP | 9n);
  assert.equal(m.cookieMask, 0xffffffffffffffffn);
  assert.equal(m.priority, 10);
  assert.equal(m.tableId, 2);
  assert.deepEqual(m.match, { in_port: 1 });
});

test('an empty apply_actions and no instructions are the same drop', () => {
  const drop = spec(10, { in_port: 1 }, 2, { instructions: [] });
  const reported = entry({ ...drop, instructions: [{ type: 'apply_actions', actions: [] }] });
  assert.equal(diffFlows([drop], [reported], APP, OFP_VERSION_1_0).unchanged, 1);
});

test('flowDelete: OpenFlow 1.3 filters by cookie in every table; 1.0 keeps only match, priority, out port', () => {
  const d13 = flowDelete(
    { match: { in_port: 1 }, strict: true, priority: 7, cookie: APP, cookieMask: APP, outPort: 3 },
    OFP_VERSION_1_3,
  ) as { command: number; cookie: bigint; cookieMask: bigint; tableId: number; outPort: number };
  assert.deepEqual(
    [d13.command, d13.cookie, d13.cookieMask, d13.tableId, d13.outPort],
    [OFPFC.DELETE_STRICT, APP, APP, 0xff, 3],
  );
  const d10 = flowDelete({ match: {}, cookie: APP, cookieMask: APP }, OFP_VERSION_1_0) as typeof d13;
  assert.deepEqual([d10.command, d10.cookie, d10.cookieMask, d10.tableId], [OFPFC.DELETE, 0n, 0n, 0]);
});

test('groups: owned ones are added, modified and deleted (after the flows), others left alone', () => {
  const group = (groupId: number, port: number): GroupDescEntry => ({
    groupType: 0,
    groupId,
    buckets: [
      {
        weight: 0,
        watchPort: 0xffffffff,
        watchGroup: 0xffffffff,
        actions: [{ type: 'output', port, maxLen: 0 }],
      },
    ],
  });
  const owner = { name: 'g', cookie: APP, ownsGroup: (id: number) => id < 100 };
  const plan = planReconcile(
    owner,
    OFP_VERSION_1_3,
    { flows: [], groups: [group(1, 1), group(2, 2)] },
    { flows: [], groups: [group(2, 3), group(3, 1), group(500, 1)] },
  );
  const ops = (mods: typeof plan.before) =>
    mods.map((m) => [m.outcome.op, (m.msg as { groupId: number }).groupId]);
  assert.deepEqual(ops(plan.before), [
    ['add', 1],
    ['modify', 2],
  ]);
  assert.deepEqual(ops(plan.after), [['delete', 3]], "group 500 is not the owner's");
  // Without the hook's intent (undefined), groups are not part of the run.
  assert.deepEqual(
    planReconcile(owner, OFP_VERSION_1_3, { flows: [] }, { flows: [], groups: [group(3, 1)] }).after,
    [],
  );
});
