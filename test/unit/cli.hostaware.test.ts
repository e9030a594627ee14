/**
 * `sluice hostaware ...`: the command line's own checks (a bad value or a misplaced option is exit 2 naming the
 * option), the human tables, and the verbs end to end against a real API server with the host-aware app,
 * including `messages --follow` over Server-Sent Events.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandHost, HandRuleView, HandSource } from '../../src/client/index.js';
import {
  hostsText,
  messageLine,
  metricsText,
  ruleText,
  rulesText,
  sourceFromOptions,
  sourcesText,
} from '../../src/cli/hostaware.js';
import { runCli } from '../../src/cli/run.js';
import { tempDir } from './apps.testctx.js';
import { recordingIo } from './cli.io.js';
import { handServer, textSink, type HandServer } from './hostaware.apiserver.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');
let srv: HandServer;
const dir = tempDir('sluice-handcli-');
const file = (name: string, body: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
};

before(async () => {
  srv = await handServer();
});
after(() => srv.close());

async function run(argv: string[], extra: Parameters<typeof recordingIo>[1] = {}) {
  const r = recordingIo({}, { now: () => NOW, ...extra });
  const code = await runCli(argv, r.cli);
  return { code, out: r.out(), err: r.err() };
}
const api = () => ['--api', srv.url];

test('sources add: the options a type takes, each checked where it enters (exit 2 naming the option)', async () => {
  const base = { api: 'http://x' };
  assert.deepEqual(
    sourceFromOptions({ ...base, type: 'gmond', address: '127.0.0.1:8649', name: 'g', interval: 1 }),
    { type: 'gmond', name: 'g', interval: 1, address: '127.0.0.1:8649' },
  );
  assert.deepEqual(sourceFromOptions({ ...base, type: 'gmetad', address: 'm:8652', query: ['/web'] }), {
    type: 'gmetad',
    address: 'm:8652',
    query: '/web',
  });
  assert.deepEqual(
    sourceFromOptions({
      ...base,
      type: 'prometheus-query',
      url: 'http://p:9090',
      query: ['up', 'node_load1'],
    }),
    { type: 'prometheus-query', url: 'http://p:9090', queries: ['up', 'node_load1'] },
  );
  assert.deepEqual(sourceFromOptions({ ...base, type: 'rrd', directory: '/r', cf: 'MAX', window: 120 }), {
    type: 'rrd',
    directory: '/r',
    cf: 'MAX',
    window: 120,
  });
  assert.deepEqual(sourceFromOptions({ ...base, type: 'alertmanager', path: 'am' }), {
    type: 'alertmanager',
    path: 'am',
  });
  assert.throws(() => sourceFromOptions(base), /--type is required/);
  assert.throws(
    () => sourceFromOptions({ ...base, type: 'gmond' }),
    /--address is required for a gmond source/,
  );
  assert.throws(
    () => sourceFromOptions({ ...base, type: 'gmond', address: 'a', directory: '/r' }),
    /--directory is not an option of a gmond source \(it is for rrd\)/,
  );
  assert.throws(
    () => sourceFromOptions({ ...base, type: 'gmetad', address: 'a', query: ['/a', '/b'] }),
    /--query: a gmetad source takes one query path/,
  );
  assert.throws(
    () => sourceFromOptions({ ...base, type: 'gmond', file: { type: 'gmond' } }),
    /either --file or --type/,
  );
  assert.throws(
    () => sourceFromOptions({ ...base, file: { address: 'x' } }),
    /--file: the source has no "type"/,
  );

  for (const [argv, re] of [
    [
      ['--type', 'nagios'],
      /option '--type <type>' argument 'nagios' is invalid\. 'nagios' is not one of gmond/,
    ],
    [
      ['--type', 'gmond', '--address', 'a b'],
      /'--address <host:port>' argument 'a b' is invalid.*HOST\[:PORT\]/,
    ],
    [['--type', 'gmond', '--address', 'h:70000'], /'--address <host:port>' argument 'h:70000' is invalid/],
    [['--type', 'gmond', '--address', 'h', '--interval', '0'], /'--interval <s>' argument '0' is invalid/],
    [
      ['--type', 'rrd', '--directory', 'rrds'],
      /'--directory <dir>' argument 'rrds' is invalid.*absolute path/,
    ],
    [['--type', 'rrd', '--directory', '/r', '--cf', 'LAST'], /'--cf <cf>' argument 'LAST' is invalid/],
    [['--type', 'prometheus', '--url', 'ftp://x'], /'--url <url>' argument 'ftp:\/\/x' is invalid/],
    [['--type', 'prometheus', '--url', 'http://x', '--host-label', '1x'], /'--host-label <label>'/],
    [['--type', 'alertmanager', '--path', 'a/b'], /'--path <segment>' argument 'a\/b' is invalid/],
    [['--type', 'gmond', '--name', 'has space', '--address', 'h'], /'--name <name>' argument 'has space'/],
    [['--type', 'gmond'], /--address is required for a gmond source/],
    [['--file', join(dir, 'missing.json')], /'--file <source.json>' argument .* cannot read .*ENOENT/],
    [['--file', file('bad.json', '{"type": ')], /'--file <source.json>' argument .* not valid JSON/],
    [['--file', file('list.json', [1])], /must be a JSON object, e\.g\. '\{"type": "gmond"/],
  ] as const) {
    const r = await run(['hostaware', 'sources', 'add', ...argv, ...api()]);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, re, argv.join(' '));
    assert.equal(r.out, '');
  }
});

test('other verbs: bad arguments are exit 2 naming the option; --help everywhere', async () => {
  for (const [argv, re] of [
    [['messages', '--type', 'LOUD'], /'--type <type>' argument 'LOUD' is invalid.*INFO, WARN, THRESHOLD_MET/],
    [['messages', '--limit', '0'], /'--limit <n>' argument '0' is invalid.*1\.\.1000/],
    [['messages', '--rule', 'a b'], /'--rule <name>' argument 'a b' is invalid/],
    [['rules', 'add'], /required option '--file <rule.json>' not specified/],
    [
      ['rules', 'add', '--file', file('fl.json', { rule_name: 'x' })],
      /FL_HAND's form \("rule_name"\); add --floodlight/,
    ],
    [['rules', 'add', '--floodlight', '--file', file('v1.json', { name: 'x' })], /drop --floodlight/],
    [['rules', 'show'], /missing required argument 'name'/],
    [
      ['rules', 'delete', 'bad name'],
      /'bad name' is invalid for argument 'name'\. 'bad name' is not a rule name/,
    ],
    [['sources', 'show', '/x'], /not a source name/],
    [['metrics'], /missing required argument 'host'/],
    [['status', 'extra'], /too many arguments/],
  ] as const) {
    const r = await run(['hostaware', ...argv, ...api()]);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, re, argv.join(' '));
  }
  for (const argv of [
    [],
    ['status'],
    ['enable'],
    ['disable'],
    ['sources'],
    ['sources', 'list'],
    ['sources', 'add'],
    ['sources', 'show'],
    ['sources', 'delete'],
    ['hosts'],
    ['metrics'],
    ['rules'],
    ['rules', 'add'],
    ['rules', 'show'],
    ['rules', 'delete'],
    ['rules', 'activate'],
    ['rules', 'deactivate'],
    ['messages'],
  ]) {
    const r = await run(['hostaware', ...argv, '--help']);
    assert.equal(r.code, 0, argv.join(' '));
    assert.match(r.out, /^Usage: sluice hostaware/, argv.join(' '));
  }
  const add = await run(['hostaware', 'rules', 'add', '--help']);
  assert.match(add.out, /\{\{ip\}\} \{\{mac\}\} \{\{host\}\} \{\{dpid\}\} \{\{port\}\}/);
});

const source = (over: Partial<HandSource> = {}): HandSource => ({
  name: 'g1',
  type: 'gmond',
  config: { type: 'gmond', name: 'g1', address: '127.0.0.1:8649', interval: 5, timeout: 2 },
  description: 'gmond 127.0.0.1:8649',
  state: 'ok',
  pollEvery: 5,
  lastPoll: NOW - 3000,
  failures: 0,
  hosts: 2,
  samples: 40,
  ...over,
});

test('tables: sources, hosts, metrics, rules; messages as lines', () => {
  assert.equal(
    sourcesText(
      [
        source(),
        source({
          name: 'am',
          type: 'alertmanager',
          config: { path: 'am' },
          state: 'unknown',
          lastPoll: undefined,
          hosts: 0,
        }),
        source({
          name: 'prom',
          type: 'prometheus',
          config: { url: 'http://10.0.0.1:9100/metrics' },
          state: 'down',
          lastPoll: NOW - 120_000,
          hosts: 0,
          error: { code: 'SOURCE_UNREACHABLE', message: 'ECONNREFUSED' },
        }),
      ],
      NOW,
    ),
    [
      'NAME   TYPE           ADDRESS                        STATE     LAST-POLL       HOSTS   ERROR',
      'g1     gmond          127.0.0.1:8649                 ok        3 seconds ago   2       -',
      'am     alertmanager   /api/v1/hostaware/alerts/am    unknown   -               0       -',
      'prom   prometheus     http://10.0.0.1:9100/metrics   down      2 minutes ago   0       SOURCE_UNREACHABLE: ECONNREFUSED',
      '',
    ].join('\n'),
  );
  assert.match(sourcesText([], NOW), /^no sources/);

  const host = (over: Partial<HandHost>): HandHost => ({
    name: 'h1',
    ip: '10.0.0.1',
    cluster: 'lab',
    source: 'g1',
    reported: NOW,
    state: 'up',
    attached: true,
    mac: '00:00:00:00:00:01',
    switch: '00:00:00:00:00:00:00:01',
    port: 1,
    metrics: 3,
    ...over,
  });
  assert.equal(
    hostsText([
      host({}),
      host({
        name: 'h9',
        ip: undefined,
        cluster: undefined,
        state: 'stale',
        attached: false,
        mac: undefined,
        switch: undefined,
        port: undefined,
      }),
    ]),
    [
      'NAME   IP         CLUSTER   SOURCE   STATE             MAC                 SWITCH                    PORT',
      'h1     10.0.0.1   lab       g1       up                00:00:00:00:00:01   00:00:00:00:00:00:00:01   1',
      'h9     -          -         g1       stale, not seen   -                   -                         -',
      '',
    ].join('\n'),
  );

  assert.equal(
    metricsText(
      {
        host: host({}),
        metrics: {
          bytes_out: { value: 1234567, at: NOW - 5000, units: 'bytes/sec', stale: false },
          load_one: { value: 0.123456789, at: NOW - 65_000, stale: true },
        },
      },
      NOW,
    ),
    [
      'METRIC      VALUE      UNITS       AGE             STALE',
      'bytes_out   1234567    bytes/sec   5 seconds ago   no',
      'load_one    0.123457   -           1 minute ago    yes',
      '',
    ].join('\n'),
  );

  const view = (over: Partial<HandRuleView['rule']>, hosts: HandRuleView['hosts'], issues: string[] = []) =>
    ({
      rule: {
        name: 'hot',
        host: 'h1',
        conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
        join: 'all',
        pollingTime: 1,
        priority: 10,
        checkLimit: 3,
        clearPolls: 1,
        coolDown: 0,
        active: true,
        undoOnClear: true,
        action: { type: 'drop', params: {} },
        ...over,
      },
      issues,
      hosts,
    }) as HandRuleView;
  const hs = (host: string, state: HandRuleView['hosts'][number]['state'], metCount: number) => ({
    rule: 'hot',
    host,
    state,
    metCount,
    lastValues: [],
    lastMet: null,
  });
  assert.equal(
    rulesText([
      view({}, [hs('h1', 'active', 3), hs('h2', 'pending', 2)]),
      view(
        { name: 'limit', host: 'web-*', active: false, action: { type: 'qos', params: {} } },
        [],
        ['QoS is disabled'],
      ),
    ]),
    [
      'NAME    HOST    ACTION   PRIORITY   CHECK   STATE(S)                    ISSUES',
      'hot     h1      drop     10         3       h1:active,h2:pending(2/3)   -',
      'limit   web-*   qos      10         3       inactive                    QoS is disabled',
      '',
    ].join('\n'),
  );

  assert.equal(
    messageLine({
      seq: 4,
      type: 'THRESHOLD_MET',
      at: NOW,
      rule: 'hot',
      host: 'h1',
      message: 'bytes_out 2e6 gt 1e6',
    }),
    '2026-12-05T12:00:00.000Z THRESHOLD_MET hot h1 bytes_out 2e6 gt 1e6\n',
  );
  assert.equal(
    messageLine({ seq: 5, type: 'INFO', at: NOW, message: 'module started' }),
    '2026-12-05T12:00:00.000Z INFO - - module started\n',
  );
});

test('the verbs end to end: sources, hosts, metrics, rules (both forms), status, messages; --json', async () => {
  srv.values.set('h1', { bytes_out: 2e6 });
  let r = await run([
    'hostaware',
    'sources',
    'add',
    '--type',
    'gmond',
    '--address',
    '127.0.0.1:8649',
    '--name',
    'g1',
    '--interval',
    '3600',
    ...api(),
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^added source g1 \(gmond 127\.0\.0\.1:8649\): ok\nNAME +TYPE/);
  r = await run(['hostaware', 'sources', '--json', ...api()]);
  assert.deepEqual(
    (JSON.parse(r.out) as HandSource[]).map((s) => s.name),
    ['g1'],
    'the default subcommand takes --json',
  );
  r = await run(['hostaware', 'sources', 'show', 'g1', ...api()]);
  assert.match(r.out, /^Name: +g1\nType: +gmond\nReads: +gmond 127\.0\.0\.1:8649\n/);
  r = await run(['hostaware', 'sources', 'add', '--file', file('src.json', { type: 'gmond' }), ...api()]);
  assert.equal(r.code, 1);
  assert.match(r.err, /address: is required for a gmond source \(field: address\)/);

  r = await run(['hostaware', 'hosts', ...api()]);
  assert.match(
    r.out,
    /^NAME +IP +CLUSTER +SOURCE +STATE +MAC +SWITCH +PORT\nh1 +10\.0\.0\.1 +lab +g1 +up, not seen +- +- +-\n$/,
  );
  r = await run(['hostaware', 'metrics', 'h1', ...api()]);
  assert.match(r.out, /^METRIC +VALUE +UNITS +AGE +STALE\nbytes_out +2000000 +bytes\/sec /);
  r = await run(['hostaware', 'metrics', 'h7', ...api()]);
  assert.equal(r.code, 1);
  assert.match(r.err, /no monitored host 'h7' \(field: host\)/);

  const v1 = file('rule.json', {
    name: 'hot',
    host: 'h1',
    checkLimit: 3,
    conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
    action: { type: 'report' },
  });
  r = await run(['hostaware', 'rules', 'add', '--file', v1, ...api()]);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /^added rule hot\nNAME +HOST +ACTION +PRIORITY +CHECK +STATE\(S\) +ISSUES\nhot +h1 +report +0 +3 /,
  );
  const fl = file('fl-rule.json', {
    rule_name: 'limit-h1',
    attached_to: 'h1',
    metrics: { bytes_out: 'gt-1000000' },
    action_type: 'acl',
    action_string: '{"src-ip": "{{ip}}/32", "action": "deny"}',
    priority: '5',
  });
  r = await run(['hostaware', 'rules', 'add', '--floodlight', '--file', fl, '--json', ...api()]);
  assert.equal(r.code, 0, r.err);
  const added = JSON.parse(r.out) as HandRuleView;
  assert.equal(added.rule.name, 'limit-h1');
  assert.equal(added.rule.priority, 5);
  assert.deepEqual(added.rule.action, { type: 'acl', params: { 'src-ip': '{{ip}}/32', action: 'deny' } });
  r = await run([
    'hostaware',
    'rules',
    'add',
    '--file',
    file('bad-rule.json', { name: 'b', host: 'h1' }),
    ...api(),
  ]);
  assert.equal(r.code, 1);
  assert.match(r.err, /conditions: is required \(field: conditions\)/);

  r = await run(['hostaware', 'rules', 'add', '--file', v1, ...api()]);
  assert.equal(r.code, 1, 'a second add of one name');
  assert.match(r.err, /rule 'hot' exists/);
  const v1b = file('rule-b.json', { ...(JSON.parse(readFileSync(v1, 'utf8')) as object), priority: 9 });
  r = await run(['hostaware', 'rules', 'add', '--replace', '--file', v1b, ...api()]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^replaced rule hot\n.*\nhot +h1 +report +9 +3 /);
  r = await run(['hostaware', 'rules', 'add', '--replace', '--floodlight', '--file', fl, ...api()]);
  assert.equal(r.code, 2);
  assert.match(r.err, /--replace takes the \/api\/v1 form only/);

  r = await run(['hostaware', 'rules', ...api()]);
  assert.match(r.out, /^NAME .*\nhot .*\nlimit-h1 +h1 +acl +5 +1 /);
  r = await run(['hostaware', 'rules', 'deactivate', 'hot', ...api()]);
  assert.equal(r.out, 'deactivated rule hot\n');
  r = await run(['hostaware', 'rules', 'show', 'hot', ...api()]);
  assert.match(r.out, /^Name: +hot\nHost: +h1\nConditions: +bytes_out gt 1000000\nAction: +report\n/);
  assert.match(r.out, /Active: +no\n/);
  r = await run(['hostaware', 'rules', 'activate', 'hot', ...api()]);
  assert.equal(r.out, 'activated rule hot\n');
  r = await run(['hostaware', 'rules', 'delete', 'limit-h1', ...api()]);
  assert.equal(r.out, 'deleted rule limit-h1\n');
  r = await run(['hostaware', 'rules', 'show', 'limit-h1', ...api()]);
  assert.equal(r.code, 1);
  assert.match(r.err, /no rule 'limit-h1'/);

  r = await run(['hostaware', 'disable', ...api()]);
  assert.match(r.out, /^host-aware networking disabled: 1 source\(s\), 1 host\(s\), 1 rule\(s\)/);
  r = await run(['hostaware', 'enable', ...api()]);
  assert.match(r.out, /^host-aware networking enabled/);
  r = await run(['hostaware', 'status', '--json', ...api()]);
  assert.equal((JSON.parse(r.out) as { enabled: boolean }).enabled, true);

  r = await run(['hostaware', 'messages', '--rule', 'hot', ...api()]);
  const lines = r.out.trimEnd().split('\n');
  assert.ok(lines.length >= 3, r.out);
  for (const l of lines)
    assert.match(l, /^\d{4}-\d\d-\d\dT[\d:.]+Z (INFO|WARN|THRESHOLD_MET|ACTION|ERROR) hot /);
  assert.ok(
    lines.some((l) => / rule deactivated/.test(l)),
    r.out,
  );
  r = await run(['hostaware', 'messages', '--limit', '1', '--json', ...api()]);
  assert.equal((JSON.parse(r.out) as { messages: unknown[] }).messages.length, 1);

  r = await run(['hostaware', 'sources', 'delete', 'g1', ...api()]);
  assert.equal(r.out, 'deleted source g1\n');
});

test('messages --follow: prints the newest, then each message as it comes, until stopped', async () => {
  const ac = new AbortController();
  const out = textSink();
  srv.app.messages.add({ type: 'WARN', at: NOW, rule: 'f', host: 'h3', message: 'already there' });
  const done = runCli(['hostaware', 'messages', '--rule', 'f', '--follow', ...api()], {
    ...recordingIo().cli,
    stdout: out.write,
    signal: ac.signal,
  });
  await out.until(/already there\n/);
  srv.app.messages.add({ type: 'INFO', at: NOW, rule: 'other', message: 'filtered out' });
  srv.app.messages.add({ type: 'ACTION', at: NOW + 1000, rule: 'f', host: 'h3', message: 'ACL deny added' });
  await out.until(/ACL deny added\n/);
  ac.abort();
  assert.equal(await done, 0);
  assert.equal(
    out.text(),
    '2026-12-05T12:00:00.000Z WARN f h3 already there\n2026-12-05T12:00:01.000Z ACTION f h3 ACL deny added\n',
  );

  // --json: one object a line.
  const ac2 = new AbortController();
  const out2 = textSink();
  const done2 = runCli(['hostaware', 'messages', '--rule', 'f', '--limit', '1', '-f', '--json', ...api()], {
    ...recordingIo().cli,
    stdout: out2.write,
    signal: ac2.signal,
  });
  await out2.until(/ACL deny added/);
  const m = srv.app.messages.add({ type: 'INFO', at: NOW, rule: 'f', message: 'json line' });
  await out2.until(/json line/);
  ac2.abort();
  assert.equal(await done2, 0);
  const objs = out2
    .text()
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { seq: number; message: string });
  assert.deepEqual(
    objs.map((o) => o.message),
    ['ACL deny added', 'json line'],
  );
  assert.equal(objs[1]!.seq, m.seq);
});

test('rules show: the rule, then its state per host with what the action created', () => {
  const text = ruleText(
    {
      rule: {
        name: 'hot',
        host: 'cluster:web',
        conditions: [
          { metric: 'bytes_out', comparator: 'gt', value: 1e6, clear: 5e5 },
          { metric: 'load_one', comparator: 'gte', value: 4, window: { agg: 'avg', seconds: 60 } },
        ],
        join: 'any',
        pollingTime: 2,
        priority: 5,
        checkLimit: 3,
        clearPolls: 2,
        coolDown: 30,
        active: true,
        undoOnClear: false,
        action: { type: 'acl', params: { 'src-ip': '{{ip}}/32', action: 'deny' } },
      },
      issues: [],
      hosts: [
        {
          rule: 'hot',
          host: 'h1',
          state: 'active',
          metCount: 4,
          lastValues: [2e6, null],
          lastMet: true,
          lastEval: NOW - 2000,
          applied: { kind: 'acl', id: 7 },
        },
      ],
    },
    NOW,
  );
  assert.equal(
    text,
    [
      'Name:          hot',
      'Host:          cluster:web',
      'Conditions:    bytes_out gt 1000000 clear 500000 any avg(load_one,60s) gte 4',
      'Action:        acl {"src-ip":"{{ip}}/32","action":"deny"}',
      'Priority:      5',
      'Polling:       every 2s',
      'Check limit:   3 poll(s) met before acting, 2 not met to clear',
      'Cool-down:     30s',
      'Active:        yes',
      'Undo on clear: no',
      'Issues:        -',
      '',
      'HOST   STATE    MET POLLS   LAST VALUES   LAST EVAL       APPLIED',
      'h1     active   4           2000000,?     2 seconds ago   acl 7',
      '',
    ].join('\n'),
  );
});
