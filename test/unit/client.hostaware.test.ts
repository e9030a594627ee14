/**
 * The typed host-aware client against a real API server and app in-process: every /api/v1/hostaware route
 * and FL_HAND's rule form, errors as ApiError naming the field, paged messages, and the Server-Sent Events
 * stream (a message added after subscribing arrives; a dropped connection resumes from the last id, repeating
 * nothing; a wrong token is an error, not a reconnect loop).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fetch as undiciFetch } from 'undici';
import { ApiError, SluiceClient, SseParser, type HandMessage } from '../../src/client/node.js';
import { handServer, type HandServer } from './hostaware.apiserver.js';

const TOKEN = 's3cret';
const servers: HandServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function setup() {
  const srv = await handServer({ token: TOKEN });
  servers.push(srv);
  /** The Last-Event-ID each stream request carried. */
  const streamIds: (string | undefined)[] = [];
  const fetchFn = ((url: string, init: RequestInit & { headers: Record<string, string> }) => {
    if (String(url).includes('/messages/stream')) streamIds.push(init.headers['last-event-id']);
    return undiciFetch(url, init as never);
  }) as unknown as typeof fetch;
  const client = new SluiceClient({ baseUrl: srv.url, token: TOKEN, fetch: fetchFn });
  const note = (message: string, extra: Partial<HandMessage> = {}) =>
    srv.app.messages.add({ type: 'INFO', at: Date.now(), message, ...extra });
  return { srv, client, hand: client.hostaware, streamIds, note };
}

/** Rejects with the ApiError the call throws. */
async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  assert.fail('expected an ApiError');
}

const hotRule = {
  name: 'hot',
  host: 'h1',
  checkLimit: 3,
  conditions: [{ metric: 'bytes_out', comparator: 'gt' as const, value: 1e6 }],
  action: { type: 'drop' as const },
};

test('status, enable/disable, sources, hosts and metrics over HTTP', async () => {
  const { srv, hand } = await setup();
  srv.values.set('h1', { bytes_out: 5, load_one: 0.25 });
  assert.deepEqual(await hand.status(), {
    enabled: true,
    sources: 0,
    hosts: 0,
    rules: 0,
    activeActions: 0,
    messages: 1,
  });
  assert.equal((await hand.disable()).enabled, false);
  assert.equal((await hand.enable()).enabled, true);

  const s = await hand.addSource({ type: 'gmond', address: '127.0.0.1:8649', name: 'g1', interval: 3600 });
  assert.equal(s.name, 'g1');
  assert.equal(s.state, 'ok', 'polled once on add');
  assert.equal(s.hosts, 1);
  assert.equal(s.config.address, '127.0.0.1:8649');
  assert.deepEqual(
    (await hand.sources()).map((x) => [x.name, x.type, x.state]),
    [['g1', 'gmond', 'ok']],
  );
  assert.equal((await hand.source('g1')).description, 'gmond 127.0.0.1:8649');

  const hosts = await hand.hosts();
  assert.deepEqual(
    hosts.map((h) => [h.name, h.ip, h.cluster, h.source, h.state, h.attached]),
    [['h1', '10.0.0.1', 'lab', 'g1', 'up', false]],
  );
  const m = await hand.metrics('h1');
  assert.equal(m.host.name, 'h1');
  assert.deepEqual(Object.keys(m.metrics), ['bytes_out', 'load_one']);
  assert.equal(m.metrics.load_one?.value, 0.25);
  assert.equal(m.metrics.load_one?.stale, false);

  const bad = await apiError(hand.addSource({ type: 'gmond' }));
  assert.equal(bad.status, 400);
  assert.equal(bad.field, 'address');
  const dup = await apiError(hand.addSource({ type: 'gmond', address: '127.0.0.1', name: 'g1' }));
  assert.equal(dup.status, 409);
  assert.equal((await apiError(hand.source('nope'))).status, 404);
  assert.equal((await apiError(hand.metrics('h9'))).field, 'host');

  assert.equal((await hand.deleteSource('g1')).name, 'g1');
  assert.deepEqual(await hand.sources(), []);
});

test('Alertmanager webhook: a firing alert becomes alert:NAME on its host', async () => {
  const { hand } = await setup();
  await hand.addSource({ type: 'alertmanager', name: 'am' });
  const res = await hand.postAlerts('am', {
    version: '4',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighLoad', instance: '10.0.0.7:9100' },
        startsAt: new Date().toISOString(),
      },
    ],
  });
  assert.equal(res.accepted, 1);
  const host = (await hand.hosts())[0]!;
  assert.equal((await hand.metrics(host.name)).metrics['alert:HighLoad']?.value, 1);
  assert.equal((await apiError(hand.postAlerts('nope', {}))).status, 404);
});

test('rules: add (/api/v1 and FL_HAND), get, put, activate/deactivate, delete; bad rules name the field', async () => {
  const { hand } = await setup();
  const added = await hand.addRule(hotRule);
  assert.equal(added.rule.name, 'hot');
  assert.equal(added.rule.checkLimit, 3);
  assert.equal(added.rule.priority, 0, 'defaults filled in');
  assert.deepEqual(added.issues, []);

  const fl = await hand.addFloodlightRule({
    rule_name: 'big-out',
    attached_to: 'h2',
    metrics: { bytes_out: 'gt-1000000' },
    action_type: 'report',
    action_string: '',
    check_limit: '2',
  });
  assert.equal(fl.rule_name, 'big-out');
  const bigOut = await hand.rule('big-out');
  assert.deepEqual(bigOut.rule.conditions, [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }]);
  assert.equal(bigOut.rule.checkLimit, 2);
  assert.deepEqual(
    (await hand.rules()).map((r) => r.rule.name),
    ['big-out', 'hot'],
  );

  const replaced = await hand.putRule({ ...hotRule, priority: 7 });
  assert.equal(replaced.rule.priority, 7);
  assert.equal((await hand.setRuleActive('hot', false)).rule.active, false);
  assert.equal((await hand.setRuleActive('hot', true)).rule.active, true);

  const bad = await apiError(
    hand.addRule({ ...hotRule, name: 'b', conditions: [{ metric: 'x', comparator: 'gt', value: 'lots' }] }),
  );
  assert.equal(bad.status, 400);
  assert.equal(bad.field, 'conditions[0].value');
  const badFl = await apiError(
    hand.addFloodlightRule({
      rule_name: 'c',
      attached_to: 'h1',
      metrics: { x: 'over-5' },
      action_type: 'report',
    }),
  );
  assert.equal(badFl.field, 'metrics.x');
  assert.equal((await apiError(hand.addRule(hotRule))).status, 409);

  assert.equal((await hand.deleteRule('hot')).rule.name, 'hot');
  assert.equal((await apiError(hand.rule('hot'))).status, 404);
});

test('messages: newest page, filters, and paging with next', async () => {
  const { hand, note } = await setup();
  note('a', { rule: 'r1', host: 'h1' });
  note('b', { type: 'WARN', rule: 'r2' });
  const c = note('c', { rule: 'r1' });
  const all = await hand.messages();
  assert.deepEqual(all.messages.map((m) => m.message).slice(-3), ['a', 'b', 'c']);
  assert.equal(all.next, c.seq);
  assert.deepEqual(
    (await hand.messages({ rule: 'r1' })).messages.map((m) => m.message),
    ['a', 'c'],
  );
  assert.deepEqual(
    (await hand.messages({ type: 'WARN' })).messages.map((m) => m.message),
    ['b'],
  );
  const firstTwo = await hand.messages({ after: 0, limit: 2 });
  assert.equal(firstTwo.messages.length, 2);
  const rest = await hand.messages({ after: firstTwo.next });
  assert.deepEqual(
    [...firstTwo.messages, ...rest.messages].map((m) => m.seq),
    all.messages.map((m) => m.seq),
  );
  assert.equal((await apiError(hand.messages({ limit: 0 }))).field, 'limit');
});

test('stream: a message added after subscribing arrives; filters apply; abort ends the iterator', async () => {
  const { hand, note } = await setup();
  const ac = new AbortController();
  let opened!: () => void;
  const open = new Promise<void>((r) => (opened = r));
  const it = hand.stream({ rule: 'r1', signal: ac.signal, onOpen: () => opened() })[Symbol.asyncIterator]();
  note('before subscribing', { rule: 'r1' });
  const next = it.next();
  await open;
  note('other rule', { rule: 'r2' });
  const m = note('after subscribing', { rule: 'r1' });
  const got = await next;
  assert.equal(got.done, false);
  assert.deepEqual(got.value, m);
  ac.abort();
  assert.deepEqual(await it.next(), { done: true, value: undefined });
});

test('stream: a dropped connection resumes from the last id, repeating nothing', async () => {
  const { srv, hand, note, streamIds } = await setup();
  const ac = new AbortController();
  const opens: (() => void)[] = [];
  const opened = [0, 1].map((i) => new Promise<void>((r) => (opens[i] = r)));
  let count = 0;
  const reconnects: string[] = [];
  const stream = hand.stream({
    signal: ac.signal,
    retryMs: 10,
    onOpen: () => opens[count++]?.(),
    onReconnect: (err) => reconnects.push((err as Error).message),
  });
  const it = stream[Symbol.asyncIterator]();
  const start = srv.app.messages.lastSeq;
  const first = it.next();
  await opened[0];
  const m1 = note('one');
  const m2 = note('two');
  assert.equal((await first).value?.seq, m1.seq);
  assert.equal((await it.next()).value?.seq, m2.seq);

  // The server drops every connection; a message comes while the client is away.
  srv.api.server.closeAllConnections();
  const m3 = note('three');
  assert.deepEqual((await it.next()).value, m3);
  await opened[1];
  const m4 = note('four');
  assert.deepEqual((await it.next()).value, m4);
  assert.deepEqual(streamIds, [String(start), String(m2.seq)], 'the reconnect sent the last id');
  assert.equal(reconnects.length, 1);
  ac.abort();
  assert.equal((await it.next()).done, true);
});

test('stream: a wrong token is thrown (401), not retried', async () => {
  const { srv } = await setup();
  const client = new SluiceClient({ baseUrl: srv.url, token: 'wrong' });
  const it = client.hostaware.stream({ after: 0, retryMs: 10 })[Symbol.asyncIterator]();
  const err = await apiError(it.next());
  assert.equal(err.status, 401);
  const callback = new SluiceClient({ baseUrl: srv.url }).hostaware.follow(() => assert.fail('no message'), {
    after: 0,
  });
  assert.equal((await apiError(callback)).status, 401);
});

test('SseParser: events split across chunks, CRLF, comments, multi-line data, retry', () => {
  const p = new SseParser();
  assert.deepEqual(p.push(': connected\n\nid: 1\nevent: mess'), []);
  assert.deepEqual(p.push('age\ndata: {"a":\r'), []);
  assert.deepEqual(p.push('\ndata: 1}\r\n\r\n'), [{ id: '1', event: 'message', data: '{"a":\n1}' }]);
  assert.deepEqual(p.push('retry: 500\ndata:x\n\n'), [{ id: '1', event: 'message', data: 'x', retry: 500 }]);
  assert.deepEqual(p.push('event: ping\n\n'), [], 'no data, no event');
});

test('bad input over HTTP: garbage Alertmanager bodies and stream queries are 400s naming the field', async () => {
  const { srv, hand } = await setup();
  await hand.addSource({ type: 'alertmanager', name: 'am' });
  const post = (body: string, type = 'application/json') =>
    undiciFetch(`${srv.url}/api/v1/hostaware/alerts/am`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type },
      body,
    });
  const cases: [string, RegExp][] = [
    ['{"version": "4", "alerts": [', /JSON|body/i],
    ['[1, 2, 3]', /body|object/i],
    ['{"version": "4", "alerts": "all of them"}', /alerts/],
    ['{"version": "4", "alerts": [{"status": "maybe", "labels": {}}]}', /alerts\[0\]\.status/],
    [
      '{"version": "4", "alerts": [{"status": "firing", "labels": {"alertname": "X", "instance": "h9"}}]}',
      /startsAt/,
    ],
  ];
  for (const [body, field] of cases) {
    const res = await post(body);
    const text = await res.text();
    assert.equal(res.status, 400, `${body}: ${text}`);
    assert.match(text, field, body);
  }
  // Nothing half-applied: no host, no alert metric; and the source still takes a good alert.
  assert.deepEqual(await hand.hosts(), []);
  const good = await post(
    JSON.stringify({
      version: '4',
      alerts: [
        { status: 'firing', labels: { alertname: 'Up', instance: 'h9' }, startsAt: new Date().toISOString() },
      ],
    }),
  );
  assert.equal(good.status, 200, await good.text());

  for (const q of ['type=LOUD', 'after=-1', 'after=abc', 'limit=0']) {
    const res = await undiciFetch(`${srv.url}/api/v1/hostaware/messages/stream?${q}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const text = await res.text();
    assert.equal(res.status, 400, `${q}: ${text}`);
    assert.match(text, new RegExp(q.split('=')[0]!), q);
  }
});
