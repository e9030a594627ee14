/** `sluice cluster` and `sluice cluster rebalance`: the tables people read. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterTableText, rebalanceText } from '../../src/cli/node.js';

const member = (id: string, leader: boolean) => ({
  id,
  display_name: id,
  version: '1.0.0',
  roles: [
    { role: 'api' as const, listen_addr: `http:127.0.0.1:80${id.at(-1)}` },
    { role: 'openflow' as const, listen_addr: `tcp:127.0.0.1:66${id.at(-1)}` },
  ],
  leader,
  ...(leader ? { since: '2026-12-06T20:00:00.000Z' } : {}),
});

test('members with how many switches each masters, then a row per switch', () => {
  const text = clusterTableText({
    cluster_id: 'prod',
    leader: { id: 'm1', since: '2026-12-06T20:00:00.000Z' },
    members: [member('m1', true), member('m2', false)],
    switches: [
      { dpid: '0000000000000001', master: 'm1', since: 't1', generation: '17', members: ['m1', 'm2'] },
      { dpid: '0000000000000002', master: null, members: ['m2'] },
    ],
  });
  assert.match(text, /^cluster prod: leader m1$/m);
  assert.match(text, /MEMBER\s+API\s+OPENFLOW\s+VERSION\s+LEADER\s+SINCE\s+SWITCHES/);
  assert.match(text, /^m1\s+http:127\.0\.0\.1:801\s+tcp:127\.0\.0\.1:661\s+1\.0\.0\s+yes\s+\S+\s+1$/m);
  assert.match(text, /^m2\s.*\s0$/m);
  assert.match(text, /DPID\s+MASTER\s+SINCE\s+GENERATION\s+CONNECTED/);
  assert.match(text, /^0000000000000001\s+m1\s+t1\s+17\s+m1,m2$/m);
  assert.match(text, /^0000000000000002\s+\(none\)\s+m2$/m);
});

test('a controller alone: no switches column; rebalance says what moves or that nothing does', () => {
  const alone = clusterTableText({ leader: { id: 'm1', since: 's' }, members: [member('m1', true)] });
  assert.doesNotMatch(alone, /SWITCHES|DPID/);
  assert.equal(rebalanceText([]), 'already balanced: no switch moves\n');
  const moves = rebalanceText([{ dpid: '0000000000000003', from: 'm1', to: 'm2' }]);
  assert.match(moves, /DPID\s+FROM\s+TO\n0000000000000003\s+m1\s+m2\n1 switch moving/);
});
