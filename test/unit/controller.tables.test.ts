import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_PIPELINE,
  Pipeline,
  PipelineError,
  SLUICE_PIPELINE,
  rankIn,
  type PipelineDecl,
} from '../../src/controller/index.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3, type OfVersion } from '../../src/openflow/index.js';

const APPS = [...new Set(SLUICE_PIPELINE.bands.map((b) => b.app))];
const p = (app: string, role: string, v: OfVersion) => DEFAULT_PIPELINE.place(app, role, v);

test("Sluice's pipeline: no app's band overlaps another's", () => {
  for (const app of APPS) assert.doesNotThrow(() => DEFAULT_PIPELINE.checkOverlap(app, APPS), app);
});

test('OpenFlow 1.3: filter, then QoS, then forwarding, each in its own table; misses go on, the last up', () => {
  const [acl, fw, qos, fwd] = [
    p('acl', 'rules', OFP_VERSION_1_3),
    p('firewall', 'deny', OFP_VERSION_1_3),
    p('qos', 'policies', OFP_VERSION_1_3),
    p('forwarding', 'paths', OFP_VERSION_1_3),
  ];
  assert.equal(acl.tableId, fw.tableId);
  assert.ok(acl.tableId < qos.tableId && qos.tableId < fwd.tableId);
  assert.equal(acl.next, qos.tableId);
  assert.equal(qos.next, fwd.tableId);
  assert.equal(fwd.next, undefined);
  assert.equal(p('staticflows', 'entries', OFP_VERSION_1_3).tableId, fwd.tableId);
  const misses = DEFAULT_PIPELINE.missFlows();
  assert.deepEqual(
    misses.map((f) => [f.tableId, f.priority, f.instructions[0].type]),
    [
      [acl.tableId, 0, 'goto_table'],
      [qos.tableId, 0, 'goto_table'],
      [fwd.tableId, 0, 'apply_actions'],
    ],
  );
});

test('OpenFlow 1.0: one table; bands give the same order (LLDP > ACL > firewall > QoS > static > paths)', () => {
  const order = [
    p('topology', 'lldp', OFP_VERSION_1_0),
    p('acl', 'rules', OFP_VERSION_1_0),
    p('firewall', 'deny', OFP_VERSION_1_0),
    p('forwarding', 'verdict', OFP_VERSION_1_0),
    p('qos', 'policies', OFP_VERSION_1_0),
    p('staticflows', 'entries', OFP_VERSION_1_0),
    p('forwarding', 'paths', OFP_VERSION_1_0),
  ];
  for (const place of order) {
    assert.equal(place.tableId, 0);
    assert.equal(place.next, undefined);
  }
  for (let i = 1; i < order.length; i++) assert.ok(order[i - 1].low > order[i].high, `band ${i}`);
  // Floodlight's default static priority lands in the forwarding stage, below every decision.
  const st = p('staticflows', 'entries', OFP_VERSION_1_0);
  assert.ok(32768 >= st.low && 32768 <= st.high);
});

test('rankIn: as given in a full table, scaled and order-keeping in a narrow band', () => {
  const qos13 = p('qos', 'policies', OFP_VERSION_1_3);
  assert.equal(rankIn(qos13, 100), 100);
  assert.equal(rankIn(qos13, 0), 1, 'never the table-miss priority');
  const qos10 = p('qos', 'policies', OFP_VERSION_1_0);
  const ranks = [0, 1, 32767, 65535].map((x) => rankIn(qos10, x));
  assert.deepEqual(
    ranks,
    [...ranks].sort((a, b) => a - b),
  );
  assert.ok(ranks.every((r) => r >= qos10.low && r <= qos10.high));
});

test('refusal: outside every band of the app (table or priority) says why; user-placed apps go anywhere', () => {
  const acl = p('acl', 'rules', OFP_VERSION_1_3);
  assert.equal(
    DEFAULT_PIPELINE.refusal('acl', { tableId: acl.tableId, priority: acl.high }, OFP_VERSION_1_3),
    undefined,
  );
  assert.match(
    DEFAULT_PIPELINE.refusal('acl', { tableId: acl.tableId, priority: 10 }, OFP_VERSION_1_3)!,
    /priority 10 is outside app 'acl''s bands \(rules: table 0 /,
  );
  assert.match(DEFAULT_PIPELINE.refusal('qos', { tableId: 0, priority: 100 }, OFP_VERSION_1_3)!, /table 0/);
  assert.equal(
    DEFAULT_PIPELINE.refusal('staticflows', { tableId: 0, priority: 65535 }, OFP_VERSION_1_3),
    undefined,
  );
});

test("overlap: an app whose band meets another app's band is named together with it", () => {
  const decl: PipelineDecl = {
    ...SLUICE_PIPELINE,
    bands: [
      ...SLUICE_PIPELINE.bands,
      {
        app: 'hostaware',
        role: 'drops',
        stage: 'qos',
        of13: [0x10, 0x20],
        of10: [0x7000, 0x7000],
        intent: true,
      },
    ],
  };
  const pl = new Pipeline(decl);
  // On 1.3 it shares the QoS table's range; on 1.0 it sits inside static's user-placed band only.
  assert.throws(
    () => pl.checkOverlap('hostaware', APPS),
    /app 'hostaware' \(drops 0x10\.\.0x20\) overlaps app 'qos'/,
  );
  assert.doesNotThrow(() => pl.checkOverlap('hostaware', ['acl', 'staticflows']));
});

test('bad declarations are refused naming the band or stage', () => {
  const bad = (decl: Partial<PipelineDecl>) => () => new Pipeline({ ...SLUICE_PIPELINE, ...decl });
  assert.throws(
    bad({ stages: [...SLUICE_PIPELINE.stages, { name: 'qos', of13Table: 9 }] }),
    /'qos' declared twice/,
  );
  assert.throws(
    bad({
      stages: [
        { name: 'a', of13Table: 3 },
        { name: 'b', of13Table: 2 },
      ],
      bands: [],
    }),
    (err: Error) => err instanceof PipelineError && /'b' must use a later table/.test(err.message),
  );
  assert.throws(
    bad({ bands: [{ app: 'x', role: 'r', stage: 'nowhere', of13: [1, 2], of10: [1, 2], intent: true }] }),
    /unknown stage 'nowhere'/,
  );
  assert.throws(
    bad({ bands: [{ app: 'x', role: 'r', stage: 'qos', of13: [5, 2], of10: [1, 2], intent: true }] }),
    /x\/r has a bad priority range 0x5\.\.0x2/,
  );
  assert.throws(() => DEFAULT_PIPELINE.place('acl', 'nope', OFP_VERSION_1_3), /no band 'nope' for app 'acl'/);
});

test('intent apps: the registered apps with permanent flows (what a wipe must re-push)', () => {
  assert.deepEqual(
    DEFAULT_PIPELINE.intentApps([
      'core',
      'topology',
      'hosts',
      'forwarding',
      'firewall',
      'acl',
      'staticflows',
      'qos',
    ]),
    ['topology', 'firewall', 'acl', 'staticflows', 'qos'],
  );
});
