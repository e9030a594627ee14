/**
 * The client's wire types are written separately from the API's formatters (the client depends on nothing of
 * ours); these assignments fail to compile when the two drift apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Flow, Host, Link, PortWithStats, Switch, SwitchDetail } from '../../src/client/index.js';
import {
  flowToV1,
  hostToV1,
  linkToV1,
  portDescToV1,
  portsToV1,
  switchToV1,
} from '../../src/api/format/v1.js';
import { fakeDeps } from './api.fakes.js';

test('API /api/v1 formatters produce the client wire types', async () => {
  const deps = fakeDeps();
  const sw = deps.s1;
  const flows = await sw.stats({
    kind: 'flow',
    tableId: 0xff,
    outPort: 0,
    outGroup: 0,
    cookie: 0n,
    cookieMask: 0n,
    match: {},
  });
  assert.equal(flows.kind, 'flow');
  if (flows.kind !== 'flow') return;
  const s: Switch = switchToV1(sw);
  const d: SwitchDetail = { ...switchToV1(sw), ports: [...sw.ports.values()].map(portDescToV1) };
  const f: Flow = flowToV1(sw.version, flows.flows[0]);
  const p: PortWithStats[] = portsToV1(sw.ports.values(), []);
  const l: Link = linkToV1(deps.topology!.links()[0]);
  const h: Host = hostToV1(deps.hosts!.find({})[0]);
  assert.deepEqual(
    Object.keys(s).sort(),
    Object.keys(d)
      .filter((k) => k !== 'ports')
      .sort(),
  );
  assert.equal(typeof f.text, 'string');
  assert.equal(p[0].stats, null);
  assert.equal(typeof l.src.dpid, 'string');
  assert.equal(typeof h.lastSeen, 'string');
});
