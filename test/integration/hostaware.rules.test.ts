/**
 * Host-aware rules acting on a real network: a real `sluice controller` (driven over its HTTP API), Mininet
 * linear,2 over OpenFlow 1.3 on userspace OVS, and a real gmond on loopback per test whose values for h1 are
 * injected with `gmetric --spoof 10.0.0.1:h1`. A drop rule stops h1's pings while met and restores them after;
 * two conflicting rules on h1 are decided by priority (and hand over on deactivation and deletion); a gmond
 * killed mid-run gives WARN messages and no action, and rules resume when it is back; bad input is refused naming
 * the field while the daemon keeps serving.
 *
 * Each test starts its own gmond and source and deletes its rules when it ends (the rule's action undone), so
 * any one runs alone (--test-name-pattern) or in any order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, waitFor, type MininetNet } from './harness/index.js';
import { pingOk } from './helpers/mininet.js';
import {
  bytesOutRule,
  gmondSource,
  isApplied,
  isUndone,
  metCount,
  pings,
  startHandNet,
  type HandApi,
  type HandNet,
  type RuleOut,
} from './helpers/hostaware.js';

let hn: HandNet;
let net: MininetNet;
let hand: HandApi;

const SPOOF = '10.0.0.1:h1';

type AclJson = { ruleid: string; 'src-ip'?: string; action: string };
const acl = () => hand.ok<AclJson[]>('GET', '/api/v1/acl/rules');
/** The ACL entries on h1's address, as "action src-ip". */
const aclOnH1 = async () =>
  (await acl()).filter((r) => r['src-ip'] === '10.0.0.1/32').map((r) => `${r.action} ${r['src-ip']}`);

/** Waits until h1 -> h2 pings answer (`answers`) or get no answer at all. */
const pingsH1H2 = (answers: boolean, what: string) => pings(net, 'h1', 'h2', answers, what);

const ruleState = async (rule: string) => (await hand.ruleHost(rule, 'h1'))?.state;

before(async () => {
  hn = await startHandNet('linear,2', 2);
  ({ net, hand } = hn);
});

after(() => hn?.stop());

test('a drop rule stops h1 -> h2 pings while bytes_out is over the threshold and restores them after', async (t) => {
  const { set } = await bytesOutRule(hand, t, {
    source: 'g-drop',
    rule: { name: 'h1-drop', checkLimit: 2, action: { type: 'drop' } },
  });
  await pingsH1H2(true, 'h1 -> h2 to answer before the rule acts');
  // The monitored host is joined to host tracking: the drop lands on h1's switch and port.
  type HostView = {
    name: string;
    source: string;
    attached: boolean;
    mac?: string;
    switch?: string;
    port?: number;
  };
  const h1 = await waitFor(
    async () =>
      (await hand.ok<HostView[]>('GET', '/api/v1/hostaware/hosts')).find(
        (h) => h.name === 'h1' && h.attached,
      ),
    { what: 'h1 monitored and attached', timeoutMs: 10_000 },
  );
  assert.deepEqual(
    [h1.source, h1.mac, h1.switch, h1.port],
    ['g-drop', '00:00:00:00:00:01', '00:00:00:00:00:00:00:01', 1],
  );
  const start = await hand.lastSeq();

  await set(5e6);
  const applied = await hand.waitMessage('h1-drop', start, isApplied, 'the drop applied');
  assert.match(applied.message, /^applied drop: ACL rule \d+$/);
  assert.deepEqual(await aclOnH1(), ['deny 10.0.0.1/32']);
  assert.equal(await ruleState('h1-drop'), 'active');
  await pingsH1H2(false, 'h1 -> h2 to stop answering');

  const met = await hand.lastSeq();
  await set(1000);
  await hand.waitMessage('h1-drop', met, isUndone, 'the drop undone');
  assert.deepEqual(await aclOnH1(), []);
  await pingsH1H2(true, 'h1 -> h2 to answer again after the value dropped');
  assert.equal(await ruleState('h1-drop'), 'idle');
});

test('two conflicting rules on h1: the higher priority acts; deactivating or deleting it hands over', async (t) => {
  const g = await gmondSource(hand, t, 'g-prio');
  await g.gmetric('load_one', 9, { spoof: SPOOF });
  const cond = [{ metric: 'load_one', comparator: 'gt', value: 5 }];
  await pingsH1H2(true, 'h1 -> h2 to answer before the rules act');
  await hand.rule(t, {
    name: 'p-allow',
    host: 'h1',
    conditions: cond,
    priority: 1,
    action: { type: 'acl', params: { 'src-ip': '{{ip}}/32', action: 'allow' } },
  });
  await hand.rule(t, { name: 'p-drop', host: 'h1', conditions: cond, priority: 5, action: { type: 'drop' } });
  /** Waits until `winner` holds h1 (states, the one ACL entry, and pings that answer only under the allow). */
  const decided = async (winner: 'p-drop' | 'p-allow', what: string) => {
    const view = async () => ({
      drop: await ruleState('p-drop'),
      allow: await ruleState('p-allow'),
      acl: await aclOnH1(),
    });
    await waitFor(
      async () => {
        const v = await view();
        return winner === 'p-drop'
          ? v.drop === 'active' && v.allow === 'suppressed' && v.acl.join() === 'deny 10.0.0.1/32'
          : v.allow === 'active' && v.drop !== 'active' && v.acl.join() === 'allow 10.0.0.1/32';
      },
      {
        what,
        timeoutMs: 15_000,
        detail: async () => `${JSON.stringify(await view())}\n${await hand.transcript(undefined)}`,
      },
    );
    await pingsH1H2(winner === 'p-allow', `${what}: h1 -> h2 pings`);
  };

  await decided('p-drop', 'p-drop (priority 5) active, p-allow suppressed');
  assert.equal((await hand.ruleHost('p-allow', 'h1'))?.applied, undefined, 'the loser acted');

  // Deactivated, the drop hands over to the allow without it counting again.
  const off = await hand.ok<RuleOut>('PATCH', '/api/v1/hostaware/rules/p-drop', { active: false });
  assert.equal(off.rule.active, false);
  await decided('p-allow', 'p-allow active once p-drop is off');

  // Active again, the drop wins again; deleted, it hands over for good.
  await hand.ok('PATCH', '/api/v1/hostaware/rules/p-drop', { active: true });
  await decided('p-drop', 'p-drop to win again once active');
  await hand.ok('DELETE', '/api/v1/hostaware/rules/p-drop');
  await decided('p-allow', 'p-allow active once p-drop is deleted');
});

test('a gmond killed mid-run: WARN, stale, count reset, no action; restarted, the rule resumes and acts', async (t) => {
  const { gmond: g, set } = await bytesOutRule(hand, t, {
    source: 'g-kill',
    rule: { name: 'h1-kill', checkLimit: 4, action: { type: 'drop' } },
  });
  await pingsH1H2(true, 'h1 -> h2 to answer before the kill');
  const start = await hand.lastSeq();

  // Over the threshold, counted once, then gmond dies before the check limit is reached.
  await set(5e6);
  await hand.waitMessage('h1-kill', start, (m) => metCount(m) === 1, 'met 1/4');
  await g.kill();
  const killedAt = await hand.lastSeq();
  // More polls than the check limit while down.
  const { warn, source } = await hand.sourceDown('g-kill', killedAt, 5);
  assert.match(warn.message, /^source failed/);
  assert.match(warn.message, new RegExp(`127\\.0\\.0\\.1:${g.xmlPort}`));
  assert.equal(source.state, 'down');
  assert.equal(source.error?.code, 'SOURCE_UNREACHABLE');
  const down = await hand.messages({ rule: 'h1-kill', after: start });
  assert.deepEqual(
    down.filter((m) => m.type === 'ACTION'),
    [],
    'an action while the source was down',
  );
  assert.deepEqual(
    down.filter((m) => m.type === 'THRESHOLD_MET' && m.seq > killedAt),
    [],
    'counted while the source was down',
  );
  const h = await hand.ruleHost('h1-kill', 'h1');
  assert.deepEqual([h?.state, h?.metCount], ['stale', 0]);
  const hosts = await hand.ok<{ name: string; state: string }[]>('GET', '/api/v1/hostaware/hosts');
  assert.equal(hosts.find((x) => x.name === 'h1')?.state, 'stale');
  assert.deepEqual(await aclOnH1(), []);
  assert.ok(await pingOk(net, 'h1', 'h2'), 'h1 dropped while gmond was down');

  // Back (empty, as a restarted gmond is): the value is reported again and counted from 1.
  const back = await hand.lastSeq();
  await g.restart();
  await set(5e6);
  const applied = await hand.waitMessage('h1-kill', back, isApplied, 'the drop after gmond is back');
  const counts = (await hand.messages({ rule: 'h1-kill', after: back }))
    .filter((m) => m.seq < applied.seq)
    .map(metCount)
    .filter((c) => c !== undefined);
  assert.deepEqual(counts, [1, 2, 3, 4], 'counted again from 1 after the outage');
  const info = await hand.messages({ type: 'INFO', after: back });
  assert.ok(
    info.some((m) => m.source === 'g-kill' && /source is back/.test(m.message)),
    info.map((m) => m.message).join('\n'),
  );
  await pingsH1H2(false, 'h1 -> h2 to stop answering once the rule acts');
});

test('bad input is refused naming the field; nothing changes and the daemon keeps serving', async (t) => {
  const snapshot = async () =>
    JSON.stringify([
      (await hand.ok<{ name: string }[]>('GET', '/api/v1/hostaware/sources')).map((s) => s.name),
      (await hand.ok<{ rule: { name: string } }[]>('GET', '/api/v1/hostaware/rules')).map((r) => r.rule.name),
    ]);
  const before = await snapshot();
  const rule = {
    name: 'bad',
    host: 'h1',
    conditions: [{ metric: 'load_one', comparator: 'gt', value: 5 }],
    action: { type: 'drop' },
  };
  const bad: [string, string, unknown, number, string][] = [
    ['POST', '/api/v1/hostaware/rules', { ...rule, conditions: [{ metric: 'load_one', comparator: 'bigger', value: 5 }] }, 400, 'conditions[0].comparator'], // prettier-ignore
    ['POST', '/api/v1/hostaware/rules', { ...rule, conditions: [{ metric: 'load_one', comparator: 'gt', value: 'high' }] }, 400, 'conditions[0].value'], // prettier-ignore
    ['POST', '/api/v1/hostaware/rules', { ...rule, action: { type: 'explode' } }, 400, 'action.type'],
    ['POST', '/api/v1/hostaware/rules', { ...rule, action: { type: 'qos', params: { 'ip-src': '{{ip}}', 'rate-kbps': 'lots' } } }, 400, 'action.params.rate-kbps'], // prettier-ignore
    ['POST', '/api/v1/hostaware/rules', { ...rule, checkLimit: 0 }, 400, 'checkLimit'],
    ['POST', '/wm/hand/rules/json', { rule_name: 'bad', attached_to: 'h1', metrics: { load_one: 'gt-x' }, action_type: 'report' }, 400, 'metrics.load_one'], // prettier-ignore
    ['POST', '/api/v1/hostaware/sources', { type: 'gmond', address: 'not a host:1' }, 400, 'address'],
    ['POST', '/api/v1/hostaware/sources', { type: 'gmond', address: '127.0.0.1:99999' }, 400, 'address'],
    ['POST', '/api/v1/hostaware/sources', { type: 'snmp', address: '127.0.0.1' }, 400, 'type'],
    ['POST', '/api/v1/hostaware/sources', { type: 'rrd', directory: 'relative/rrds' }, 400, 'directory'],
    ['PATCH', '/api/v1/hostaware/rules/nope', { active: false }, 404, 'name'],
    ['DELETE', '/api/v1/hostaware/sources/nope', undefined, 404, 'name'],
    ['GET', '/api/v1/hostaware/hosts/nope/metrics', undefined, 404, 'host'],
    ['GET', '/api/v1/hostaware/messages?type=LOUD', undefined, 400, 'type'],
  ];
  for (const [method, path, body, status, field] of bad) {
    const r = await hand.http(method, path, body);
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
    assert.equal((r.json as { field?: string }).field, field, `${method} ${path}: ${JSON.stringify(r.json)}`);
  }
  assert.equal(await snapshot(), before, 'bad input changed the sources or rules');

  // A source that is down when added is kept (it may come up later) and says so.
  const port = await freePort();
  const down = await hand.source(t, { type: 'gmond', name: 'g-nobody', address: `127.0.0.1:${port}` });
  assert.equal(down.state, 'down');
  const health = await hand.http('GET', '/wm/core/health/json');
  assert.equal(health.status, 200);
  assert.equal((await hand.http('GET', '/api/v1/hostaware')).status, 200);
});
