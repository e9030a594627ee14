/** The cluster page's view logic (web/src/clusterview.ts): mastership per member, addresses, times, moves. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSwitch, ControlClusterMember } from '../../src/client/index.js';
import {
  addressesOf,
  colonDpid,
  formatUtc,
  mastershipOf,
  memberLabels,
  rebalanceSummary,
} from '../../web/src/clusterview.js';

const member = (id: string, extra: Partial<ControlClusterMember> = {}): ControlClusterMember => ({
  id,
  display_name: `ctl-${id}`,
  version: '0.1.0',
  roles: [{ role: 'api', listen_addr: `http:127.0.0.1:80${id}` }],
  leader: false,
  ...extra,
});
const sw = (dpid: string, master: string | null): ClusterSwitch => ({
  dpid,
  master,
  members: ['a', 'b', 'c'],
});
const MEMBERS = [member('a'), member('b'), member('c')];

test('mastershipOf: a count per member, 0 for one that masters none, in the members order', () => {
  const m = mastershipOf(MEMBERS, [sw('01', 'b'), sw('02', 'b'), sw('03', 'a'), sw('04', 'b')]);
  assert.deepEqual(m.counts, [
    { id: 'a', name: 'ctl-a', masters: 1 },
    { id: 'b', name: 'ctl-b', masters: 3 },
    { id: 'c', name: 'ctl-c', masters: 0 },
  ]);
  assert.equal(m.unmastered, 0);
  assert.equal(m.balanced, false, '3 against 0 is not spread');
});

test('mastershipOf: balanced when the members differ by at most one and every switch has a master', () => {
  const spread = [sw('01', 'a'), sw('02', 'b'), sw('03', 'c'), sw('04', 'a')];
  assert.equal(mastershipOf(MEMBERS, spread).balanced, true);
  assert.equal(mastershipOf(MEMBERS, []).balanced, true, 'no switch: nothing to spread');
  assert.equal(mastershipOf([], []).balanced, true);
  const open = mastershipOf(MEMBERS, [sw('01', 'a'), sw('02', 'b'), sw('03', null)]);
  assert.equal(open.unmastered, 1);
  assert.equal(open.balanced, false, 'a switch without a master is not balanced');
});

test('mastershipOf: a master that is no member (it left) is counted after the members, unnamed', () => {
  const m = mastershipOf([member('a')], [sw('01', 'gone'), sw('02', 'a'), sw('03', 'gone')]);
  assert.deepEqual(m.counts, [
    { id: 'a', name: 'ctl-a', masters: 1 },
    { id: 'gone', masters: 2 },
  ]);
  assert.equal(m.balanced, true, 'among the members');
});

test('addressesOf: every listen address of a role, none for a role the member lacks', () => {
  const m = member('a', {
    roles: [
      { role: 'api', listen_addr: 'http:127.0.0.1:8080' },
      { role: 'openflow', listen_addr: 'tcp:0.0.0.0:6653' },
      { role: 'openflow', listen_addr: 'tcp:0.0.0.0:6633' },
    ],
  });
  assert.deepEqual(addressesOf(m, 'openflow'), ['tcp:0.0.0.0:6653', 'tcp:0.0.0.0:6633']);
  assert.deepEqual(addressesOf(m, 'api'), ['http:127.0.0.1:8080']);
  assert.deepEqual(addressesOf(m, 'ovsdb-manager'), []);
});

test('formatUtc: the absolute time in UTC to the second; a time that does not parse as it came', () => {
  assert.equal(formatUtc('2026-12-06T10:00:00Z'), '2026-12-06 10:00:00 UTC');
  assert.equal(formatUtc('2026-01-02T03:04:05.678+02:00'), '2026-01-02 01:04:05 UTC');
  assert.equal(formatUtc('soon'), 'soon');
  assert.equal(formatUtc(''), '');
});

test('rebalanceSummary: already balanced, one switch, several', () => {
  assert.match(rebalanceSummary([]), /^Already balanced/);
  assert.match(rebalanceSummary([{}]), /^1 switch asked to move/);
  assert.match(rebalanceSummary([{}, {}]), /^2 switches asked to move/);
});

test('colonDpid: 16 hex digits in colon form; anything else as it came', () => {
  assert.equal(colonDpid('000000000000000A'), '00:00:00:00:00:00:00:0a');
  assert.equal(colonDpid('00:00:00:00:00:00:00:01'), '00:00:00:00:00:00:00:01');
  assert.equal(colonDpid('1'), '1');
});

test('memberLabels: the display name, with the start of its id when two share it; a stranger by id', () => {
  const label = memberLabels([
    member('a'),
    member('0123456789ab', { display_name: 'vm' }),
    member('fedcba987654', { display_name: 'vm' }),
  ]);
  assert.equal(label('a'), 'ctl-a');
  assert.equal(label('0123456789ab'), 'vm (01234567)');
  assert.equal(label('fedcba987654'), 'vm (fedcba98)');
  assert.equal(label('gone'), 'gone');
});
