import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HandError,
  fromFlHand,
  parseHostSelector,
  parseRule,
  ruleJson,
  selectorMatches,
  toFlHand,
  type HandRule,
} from '../../src/apps/hostaware/index.js';
import { FieldError } from '../../src/util/index.js';

const base = {
  name: 'r1',
  host: 'h1',
  conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
  action: { type: 'report' },
};

/** parseRule(body) must throw a HandError naming `field`. */
function refuses(body: unknown, field: string, parse: (b: unknown) => unknown = parseRule): void {
  assert.throws(
    () => parse(body),
    (e: unknown) => {
      assert.ok(e instanceof HandError, `expected HandError, got ${String(e)}`);
      assert.ok(e instanceof FieldError);
      assert.equal(e.field, field, e.message);
      return true;
    },
  );
}

test('parseRule fills the defaults', () => {
  const r = parseRule(base);
  assert.deepEqual(r, {
    name: 'r1',
    host: 'h1',
    conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
    join: 'all',
    pollingTime: 1,
    priority: 0,
    checkLimit: 1,
    clearPolls: 1,
    coolDown: 0,
    active: true,
    undoOnClear: true,
    action: { type: 'report', params: {} },
  });
});

test('parseRule takes numbers and booleans as strings, comparators in any case', () => {
  const r = parseRule({
    ...base,
    conditions: [
      {
        metric: 'load_one',
        comparator: 'GTE',
        value: '5.5',
        window: { agg: 'avg', seconds: '30' },
        clear: '4',
      },
      { metric: 'mem_free', comparator: 'lt', value: '-1e3' },
    ],
    join: 'any',
    pollingTime: '2.5',
    priority: '-7',
    checkLimit: '3',
    clearPolls: 2,
    coolDown: '10',
    active: 'false',
    undoOnClear: 'FALSE',
  });
  assert.deepEqual(r.conditions, [
    { metric: 'load_one', comparator: 'gte', value: 5.5, window: { agg: 'avg', seconds: 30 }, clear: 4 },
    { metric: 'mem_free', comparator: 'lt', value: -1000 },
  ]);
  assert.equal(r.join, 'any');
  assert.equal(r.pollingTime, 2.5);
  assert.equal(r.priority, -7);
  assert.equal(r.checkLimit, 3);
  assert.equal(r.clearPolls, 2);
  assert.equal(r.coolDown, 10);
  assert.equal(r.active, false);
  assert.equal(r.undoOnClear, false);
});

test('parseRule refuses bad rules naming the field', () => {
  refuses(null, 'body');
  refuses([], 'body');
  refuses({ ...base, colour: 'red' }, 'colour');
  refuses({ ...base, name: undefined }, 'name');
  refuses({ ...base, name: 'has space' }, 'name');
  refuses({ ...base, host: undefined }, 'host');
  refuses({ ...base, host: 'cluster:' }, 'host');
  refuses({ ...base, host: 'a/b' }, 'host');
  refuses({ ...base, host: 7 }, 'host');
  refuses({ ...base, conditions: [] }, 'conditions');
  refuses({ ...base, conditions: {} }, 'conditions');
  refuses(
    { ...base, conditions: [base.conditions[0], { metric: 'x', comparator: 'gtx', value: 1 }] },
    'conditions[1].comparator',
  );
  refuses({ ...base, conditions: [{ metric: 'x', comparator: 'gt' }] }, 'conditions[0].value');
  refuses({ ...base, conditions: [{ metric: 'x', comparator: 'gt', value: 'lots' }] }, 'conditions[0].value');
  refuses(
    { ...base, conditions: [{ metric: 'x', comparator: 'gt', value: Infinity }] },
    'conditions[0].value',
  );
  refuses({ ...base, conditions: [{ metric: '', comparator: 'gt', value: 1 }] }, 'conditions[0].metric');
  refuses({ ...base, conditions: [{ metric: 'a b', comparator: 'gt', value: 1 }] }, 'conditions[0].metric');
  refuses(
    { ...base, conditions: [{ metric: 'x', comparator: 'gt', value: 1, extra: 1 }] },
    'conditions[0].extra',
  );
  refuses(
    {
      ...base,
      conditions: [{ metric: 'x', comparator: 'gt', value: 1, window: { agg: 'median', seconds: 5 } }],
    },
    'conditions[0].window.agg',
  );
  refuses(
    { ...base, conditions: [{ metric: 'x', comparator: 'gt', value: 1, window: { agg: 'avg' } }] },
    'conditions[0].window.seconds',
  );
  refuses(
    {
      ...base,
      conditions: [{ metric: 'x', comparator: 'gt', value: 1, window: { agg: 'avg', seconds: 0 } }],
    },
    'conditions[0].window.seconds',
  );
  // A clear threshold on the met side could never clear; on et/ne it means nothing.
  refuses(
    { ...base, conditions: [{ metric: 'x', comparator: 'gt', value: 1, clear: 2 }] },
    'conditions[0].clear',
  );
  refuses(
    { ...base, conditions: [{ metric: 'x', comparator: 'lte', value: 1, clear: 0 }] },
    'conditions[0].clear',
  );
  refuses(
    { ...base, conditions: [{ metric: 'x', comparator: 'et', value: 1, clear: 1 }] },
    'conditions[0].clear',
  );
  refuses({ ...base, join: 'some' }, 'join');
  refuses({ ...base, pollingTime: 0 }, 'pollingTime');
  refuses({ ...base, pollingTime: 'soon' }, 'pollingTime');
  refuses({ ...base, priority: 1.5 }, 'priority');
  refuses({ ...base, checkLimit: 0 }, 'checkLimit');
  refuses({ ...base, checkLimit: true }, 'checkLimit');
  refuses({ ...base, clearPolls: 0 }, 'clearPolls');
  refuses({ ...base, coolDown: -1 }, 'coolDown');
  refuses({ ...base, active: 'yes' }, 'active');
  refuses({ ...base, undoOnClear: 1 }, 'undoOnClear');
  refuses({ ...base, action: undefined }, 'action');
  refuses({ ...base, action: { params: {} } }, 'action.type');
  refuses({ ...base, action: { type: 'explode' } }, 'action.type');
  refuses({ ...base, action: { type: 'report', extra: 1 } }, 'action.extra');
});

test('action params are checked per type', () => {
  const act = (action: unknown) => parseRule({ ...base, action }).action;
  assert.deepEqual(act({ type: 'drop' }), { type: 'drop', params: {} });
  assert.deepEqual(act({ type: 'drop', params: {} }), { type: 'drop', params: {} });
  refuses({ ...base, action: { type: 'drop', params: { src: 1 } } }, 'action.params.src');
  // firewall/acl/staticflow/qos: any object (the target app validates it), never a non-object.
  const qos = { name: 'lim', 'ip-src': '10.0.0.1', queue: 2 };
  assert.deepEqual(act({ type: 'qos', params: qos }), { type: 'qos', params: qos });
  for (const type of ['firewall', 'acl', 'staticflow', 'qos']) {
    refuses({ ...base, action: { type } }, 'action.params');
    refuses({ ...base, action: { type, params: 'x' } }, 'action.params');
    refuses({ ...base, action: { type, params: [1] } }, 'action.params');
  }
  // reroute: exactly one of a switch or a link to avoid.
  assert.deepEqual(act({ type: 'reroute', params: { avoid: { switch: '00:00:00:00:00:00:00:02' } } }), {
    type: 'reroute',
    params: { avoid: { switch: 2n } },
  });
  assert.deepEqual(
    act({ type: 'reroute', params: { avoid: { link: { src: '0x1', srcPort: 2, dst: 3, dstPort: '4' } } } }),
    { type: 'reroute', params: { avoid: { link: { src: 1n, srcPort: 2, dst: 3n, dstPort: 4 } } } },
  );
  refuses({ ...base, action: { type: 'reroute' } }, 'action.params');
  refuses({ ...base, action: { type: 'reroute', params: {} } }, 'action.params.avoid');
  refuses({ ...base, action: { type: 'reroute', params: { avoid: {} } } }, 'action.params.avoid');
  refuses(
    { ...base, action: { type: 'reroute', params: { avoid: { switch: 1, link: {} } } } },
    'action.params.avoid',
  );
  refuses(
    { ...base, action: { type: 'reroute', params: { avoid: { switch: 'zz' } } } },
    'action.params.avoid.switch',
  );
  refuses(
    { ...base, action: { type: 'reroute', params: { avoid: { link: { src: 1, srcPort: 2, dst: 3 } } } } },
    'action.params.avoid.link.dstPort',
  );
  refuses(
    {
      ...base,
      action: { type: 'reroute', params: { avoid: { link: { src: 1, srcPort: 0, dst: 3, dstPort: 1 } } } },
    },
    'action.params.avoid.link.srcPort',
  );
  // loadbalance: service ip[:port], a pool, a metric; pick defaults to least.
  const lb = { service: '10.0.0.100:80', pool: ['h2', '10.0.0.3'], metric: 'load_one' };
  assert.deepEqual(act({ type: 'loadbalance', params: lb }), {
    type: 'loadbalance',
    params: { ...lb, pick: 'least' },
  });
  refuses(
    { ...base, action: { type: 'loadbalance', params: { ...lb, service: '10.0.0.300' } } },
    'action.params.service',
  );
  refuses(
    { ...base, action: { type: 'loadbalance', params: { ...lb, service: '10.0.0.1:70000' } } },
    'action.params.service',
  );
  refuses({ ...base, action: { type: 'loadbalance', params: { ...lb, pool: [] } } }, 'action.params.pool');
  refuses(
    { ...base, action: { type: 'loadbalance', params: { ...lb, pool: ['h2', 'h2'] } } },
    'action.params.pool',
  );
  refuses(
    { ...base, action: { type: 'loadbalance', params: { ...lb, pool: ['h2', 'web-*'] } } },
    'action.params.pool[1]',
  );
  refuses(
    { ...base, action: { type: 'loadbalance', params: { ...lb, metric: undefined } } },
    'action.params.metric',
  );
  refuses(
    { ...base, action: { type: 'loadbalance', params: { ...lb, pick: 'random' } } },
    'action.params.pick',
  );
});

test('ruleJson is canonical and parses back to the same rule', () => {
  const rules: HandRule[] = [
    parseRule(base),
    parseRule({
      ...base,
      conditions: [
        { metric: 'load_one', comparator: 'gt', value: 5, window: { agg: 'max', seconds: 10 }, clear: 3 },
      ],
      action: {
        type: 'reroute',
        params: { avoid: { link: { src: 1, srcPort: 2, dst: '0x3', dstPort: 4 } } },
      },
    }),
    parseRule({ ...base, action: { type: 'reroute', params: { avoid: { switch: 10 } } } }),
  ];
  for (const r of rules) {
    const json = JSON.parse(JSON.stringify(ruleJson(r))) as unknown;
    assert.deepEqual(parseRule(json), r);
  }
  assert.deepEqual(ruleJson(rules[2]!).action, {
    type: 'reroute',
    params: { avoid: { switch: '00:00:00:00:00:00:00:0a' } },
  });
});

test('host selectors: *, cluster:, glob, exact name or IP', () => {
  const h1 = { name: 'web-1', ip: '10.0.0.1', cluster: 'grid' };
  const m = (text: string) => selectorMatches(parseHostSelector('host', text), h1);
  assert.ok(m('*'));
  assert.ok(m('cluster:grid'));
  assert.ok(!m('cluster:other'));
  assert.ok(m('web-*'));
  assert.ok(m('WEB-?'));
  assert.ok(!m('web-1?'));
  assert.ok(!m('w.b-1'), 'a dot in a glob is literal');
  assert.ok(m('web-1'));
  assert.ok(m('Web-1'));
  assert.ok(m('10.0.0.1'));
  assert.ok(!m('10.0.0.10'));
  assert.ok(!selectorMatches(parseHostSelector('host', 'cluster:grid'), { name: 'x' }));
});

const flRule = {
  rule_name: 'limit-h1',
  priority: '10',
  polling_time: '1',
  active: 'true',
  check_limit: '3',
  attached_to: 'h1',
  metrics: { bytes_out: 'gt-1000000', load_one: 'gte-5' },
  action_type: 'qos',
  action_string: '{"name":"h1-limit","ip-src":"10.0.0.1","queue":"2"}',
};

test('fromFlHand reads FL_HAND rule JSON, strings for numbers', () => {
  const r = fromFlHand(flRule);
  assert.equal(r.name, 'limit-h1');
  assert.equal(r.priority, 10);
  assert.equal(r.pollingTime, 1);
  assert.equal(r.active, true);
  assert.equal(r.checkLimit, 3);
  assert.equal(r.host, 'h1');
  assert.equal(r.join, 'all');
  assert.deepEqual(r.conditions, [
    { metric: 'bytes_out', comparator: 'gt', value: 1e6 },
    { metric: 'load_one', comparator: 'gte', value: 5 },
  ]);
  assert.deepEqual(r.action, { type: 'qos', params: { name: 'h1-limit', 'ip-src': '10.0.0.1', queue: '2' } });
  // Only the required keys: FL_HAND's defaults.
  const min = fromFlHand({
    rule_name: 'r',
    attached_to: 'h2',
    metrics: { mem_free: 'lt--1.5' },
    action_type: 'report',
  });
  assert.deepEqual(min.conditions, [{ metric: 'mem_free', comparator: 'lt', value: -1.5 }]);
  assert.equal(min.pollingTime, 1);
  assert.equal(min.checkLimit, 1);
  // An action_string given as the object itself means the same.
  const obj = fromFlHand({ ...flRule, action_string: { name: 'x' } });
  assert.deepEqual(obj.action.params, { name: 'x' });
});

test('fromFlHand refuses bad rules naming the FL_HAND key', () => {
  const flRefuses = (body: unknown, field: string) => refuses(body, field, fromFlHand);
  flRefuses({ ...flRule, extra: 1 }, 'extra');
  flRefuses({ ...flRule, rule_name: undefined }, 'rule_name');
  flRefuses({ ...flRule, rule_name: 'a b' }, 'rule_name');
  flRefuses({ ...flRule, attached_to: undefined }, 'attached_to');
  flRefuses({ ...flRule, polling_time: 'x' }, 'polling_time');
  flRefuses({ ...flRule, check_limit: '0' }, 'check_limit');
  flRefuses({ ...flRule, active: 'maybe' }, 'active');
  flRefuses({ ...flRule, metrics: [] }, 'metrics');
  flRefuses({ ...flRule, metrics: {} }, 'metrics');
  flRefuses({ ...flRule, metrics: { load_one: 'above-5' } }, 'metrics.load_one');
  flRefuses({ ...flRule, metrics: { load_one: 'gt-five' } }, 'metrics.load_one');
  flRefuses({ ...flRule, metrics: { load_one: 5 } }, 'metrics.load_one');
  flRefuses({ ...flRule, metrics: { load_one: 'gt-5;median=3' } }, 'metrics.load_one');
  flRefuses({ ...flRule, metrics: { load_one: 'gt-5;clear=9' } }, 'metrics.load_one');
  flRefuses({ ...flRule, action_type: 'nuke' }, 'action_type');
  flRefuses({ ...flRule, action_string: '{not json' }, 'action_string');
  flRefuses({ ...flRule, action_string: '' }, 'action_string');
  flRefuses(
    { ...flRule, action_type: 'reroute', action_string: '{"avoid":{"switch":"nope"}}' },
    'action_string.avoid.switch',
  );
});

test('FL_HAND round trips: fromFlHand(toFlHand(r)) is r, extensions included', () => {
  const rules = [
    fromFlHand(flRule),
    parseRule({
      name: 'lb',
      host: 'cluster:grid',
      conditions: [
        { metric: 'load_one', comparator: 'gt', value: 4, window: { agg: 'avg', seconds: 30 }, clear: 2 },
        { metric: 'cpu_idle', comparator: 'lte', value: 10 },
      ],
      join: 'any',
      pollingTime: 5,
      priority: 3,
      checkLimit: 2,
      clearPolls: 4,
      coolDown: 60,
      active: false,
      undoOnClear: false,
      action: {
        type: 'loadbalance',
        params: { service: '10.0.0.100', pool: ['h2', 'h3'], metric: 'load_one' },
      },
    }),
    parseRule({ ...base, action: { type: 'reroute', params: { avoid: { switch: 2 } } } }),
    parseRule({ ...base, action: { type: 'drop' } }),
  ];
  for (const r of rules) {
    const fl = JSON.parse(JSON.stringify(toFlHand(r))) as unknown;
    assert.deepEqual(fromFlHand(fl), r);
  }
  const fl = toFlHand(rules[1]!);
  assert.deepEqual(fl.metrics, { load_one: 'gt-4;avg=30;clear=2', cpu_idle: 'lte-10' });
  assert.equal(toFlHand(rules[3]!).action_string, '');
  assert.equal(toFlHand(rules[0]!).action_string, flRule.action_string);
});

test('toFlHand refuses two conditions on one metric (FL_HAND keys metrics by name)', () => {
  const r = parseRule({
    ...base,
    conditions: [
      { metric: 'x', comparator: 'gt', value: 1 },
      { metric: 'x', comparator: 'lt', value: 5 },
    ],
  });
  assert.throws(
    () => toFlHand(r),
    (e: unknown) => e instanceof HandError && e.field === 'conditions[1].metric',
  );
});
