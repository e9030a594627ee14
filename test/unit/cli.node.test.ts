/**
 * `sluice node|transport-node|transport-zone|cluster` end to end against a real API server (the nodes routes
 * over an embedded store), and the client's node methods with the seed's calls: files checked before anything
 * is sent (exit 2 naming the file and the field), apply's created/updated/unchanged, diff's exit status, and
 * the human tables.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, SluiceClient } from '../../src/client/index.js';
import { describedSet, descriptionDiff, transportNodeText, transportNodesText } from '../../src/cli/node.js';
import { faultsOf } from '../../src/apps/nodes/index.js';
import { diffLines } from '../../src/cli/textdiff.js';
import { runCli } from '../../src/cli/run.js';
import { tempDir } from './apps.testctx.js';
import { recordingIo } from './cli.io.js';
import { gw1, hv1, hv1Registration, hv1Stats, nodesApi } from './nodes.fixtures.js';

const NOW = Date.parse('2026-12-06T06:00:00Z');
let srv: Awaited<ReturnType<typeof nodesApi>>;
let url: string;
const dir = tempDir('sluice-nodecli-');
const file = (name: string, body: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
};

before(async () => {
  srv = await nodesApi();
  url = await srv.listen();
});
after(() => srv.close());

async function run(argv: string[]) {
  const r = recordingIo({}, { now: () => NOW });
  const code = await runCli([...argv, '--api', url], r.cli);
  return { code, out: r.out(), err: r.err() };
}

test('diffLines: removals before additions, common lines kept', () => {
  assert.deepEqual(diffLines(['a', 'b', 'c'], ['a', 'x', 'c', 'd']), [' a', '-b', '+x', ' c', '+d']);
  assert.deepEqual(diffLines([], ['a']), ['+a']);
  assert.deepEqual(diffLines(['a'], []), ['-a']);
});

test('description files: a document or one node; faults name the file and the field', () => {
  const set = describedSet([
    { file: 'a.json', value: { cluster: { controllers: [{ address: '10.0.0.254' }] }, nodes: [hv1] } },
    { file: 'b.json', value: { ...gw1 } },
  ]);
  assert.equal(set.cluster?.file, 'a.json');
  assert.deepEqual(
    set.nodes.map((n) => `${n.file}:${n.description.name}`),
    ['a.json:hv1', 'b.json:gw1'],
  );
  const bad: Array<[unknown[], RegExp]> = [
    [[{ nodes: [{ ...hv1, data_interfce: 'x' }] }], /a\.json: nodes\[0\]\.data_interfce: unknown key/],
    [[{ ...hv1, transport_zone: 5 }], /a\.json: transport_zone: expected string/],
    [[{ name: 'x' }], /a\.json: type: is required/],
    [
      [{ nodes: [hv1] }, { nodes: [hv1] }],
      /b\.json: nodes\[0\]\.name: node hv1 is also described in a\.json/,
    ],
    [
      [{ cluster: { controllers: [{ address: 'c' }] } }, { cluster: { controllers: [{ address: 'c' }] } }],
      /b\.json: cluster: already described in a\.json/,
    ],
  ];
  for (const [values, message] of bad) {
    assert.throws(
      () =>
        describedSet(
          values.map((value, i) => ({ file: `${'ab'[i]}.json`, value: value as Record<string, unknown> })),
        ),
      message,
    );
  }
});

test('descriptionDiff: empty when equal whatever the key order; labelled unified lines otherwise', () => {
  const reversed = Object.fromEntries(Object.entries(hv1).reverse());
  assert.equal(
    descriptionDiff('hv1', { revision: 2, description: hv1 }, { file: 'f', description: reversed }),
    '',
  );
  const d = descriptionDiff(
    'hv1',
    { revision: 2, description: hv1 },
    { file: 'f.json', description: { ...hv1, data_interface: 'eth2' } },
  );
  assert.match(d, /^--- hv1 \(stored, revision 2\)\n\+\+\+ hv1 \(f\.json\)\n/);
  assert.match(d, /\n- {2}"data_interface": "eth1",\n\+ {2}"data_interface": "eth2",\n/);
  assert.match(
    descriptionDiff('gw1', undefined, { file: 'f', description: gw1 }),
    /--- gw1 \(not stored\)\n/,
  );
});

test('node apply, diff, history, list, show, delete through the CLI', async () => {
  const nodesDir = join(dir, 'nodes');
  mkdirSync(nodesDir);
  writeFileSync(
    join(nodesDir, 'a.json'),
    JSON.stringify({ cluster: { controllers: [{ address: '10.0.0.254' }] }, nodes: [hv1] }),
  );
  writeFileSync(join(nodesDir, 'b.json'), JSON.stringify(gw1));
  writeFileSync(join(nodesDir, 'notes.txt'), 'not a description');

  const dry = await run(['node', 'apply', nodesDir, '--dry-run']);
  assert.equal(dry.code, 0, dry.err);
  assert.equal(
    dry.out,
    'cluster: would be created (revision 1)\nhv1: would be created (revision 1)\ngw1: would be created (revision 1)\n',
  );
  assert.equal((await run(['node', 'list', '--json'])).out.trim(), '[]', 'a dry run stores nothing');

  const before = await run(['node', 'diff', nodesDir]);
  assert.equal(before.code, 1);
  assert.match(before.out, /--- hv1 \(not stored\)/);

  const applied = await run(['node', 'apply', nodesDir]);
  assert.equal(applied.code, 0, applied.err);
  assert.equal(
    applied.out,
    'cluster: created (revision 1)\nhv1: created (revision 1)\ngw1: created (revision 1)\n',
  );
  const again = await run(['node', 'apply', nodesDir, '--json']);
  const json = JSON.parse(again.out) as { nodes: { change: string }[]; cluster: { change: string } };
  assert.deepEqual(
    [json.cluster.change, ...json.nodes.map((n) => n.change)],
    ['unchanged', 'unchanged', 'unchanged'],
  );

  const same = await run(['node', 'diff', nodesDir]);
  assert.equal(same.code, 0, same.out + same.err);
  assert.equal(same.out, 'cluster: same as stored\nhv1: same as stored\ngw1: same as stored\n');

  const changed = file('hv1-eth2.json', { ...hv1, data_interface: 'eth2' });
  const diff = await run(['node', 'diff', changed]);
  assert.equal(diff.code, 1);
  assert.match(diff.out, /-\s+"data_interface": "eth1",\n\+\s+"data_interface": "eth2",/);
  assert.equal((await run(['node', 'apply', changed])).out, 'hv1: updated (revision 2)\n');

  const list = await run(['node', 'list']);
  assert.match(list.out, /^NAME\s+TYPE\s+TRANSPORT ZONE\s+MANAGEMENT ADDRESS\s+REVISION\s+UPDATED\n/);
  assert.match(list.out, /\ngw1\s+gateway\s+tz2\s+10\.0\.0\.2\s+1\s+/);
  assert.match(list.out, /\nhv1\s+hypervisor\s+tz1\s+10\.0\.0\.1\s+2\s+/);
  const show = await run(['node', 'show', 'hv1']);
  assert.match(show.out, /^Name:\s+hv1\nRevision:\s+2\n/);
  assert.match(show.out, /\ndata_interface:\s+eth2\n/);

  const deleted = await run(['node', 'delete', 'hv1']);
  assert.equal(deleted.out, 'deleted node hv1 (revision 3; see `sluice node history hv1`)\n');
  const history = await run(['node', 'history', 'hv1']);
  assert.match(history.out, /\n1\s+created\s+\S+\s+hypervisor\s+tz1\s+10\.0\.0\.1\n/);
  assert.match(history.out, /\n2\s+updated\s/);
  assert.match(history.out, /\n3\s+deleted\s+\S+\s+-\s+-\s+-\n$/);
  const historyJson = JSON.parse((await run(['node', 'history', 'hv1', '--json'])).out) as unknown[];
  assert.equal(historyJson.length, 3);

  const missing = await run(['node', 'show', 'hv1']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /error: not_found: node hv1 has no description .*\(field: name\)/);
});

test('bad command lines and files exit 2 naming what is wrong, sending nothing', async () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ['node', 'apply', file('bad.json', { nodes: [{ ...hv1, name: 'x y' }] })],
      /bad\.json: nodes\[0\]\.name: "x y" is not a name/,
    ],
    [['node', 'apply', file('broken.json', '{"nodes": [')], /broken\.json: not valid JSON/],
    [['node', 'apply', join(dir, 'absent.json')], /cannot read .*absent\.json: ENOENT/],
    [['node', 'apply', tempDir('sluice-nodecli-empty-')], /no \*\.json description files/],
    [['node', 'diff', file('bad2.json', { ...hv1, extra: 1 })], /bad2\.json: extra: unknown key/],
    [['node', 'show', '-x'], /'-x' is not a node name|unknown option/],
    [['node', 'history', 'a/b'], /'a\/b' is not a node name/],
  ];
  for (const [argv, message] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, message, argv.join(' '));
  }
  assert.equal((await run(['node', 'list', '--json'])).out.includes('"x y"'), false);
});

test('transport-node, transport-zone, cluster verbs and the client’s seed calls', async () => {
  const client = new SluiceClient({ baseUrl: url });
  await client.nodes.apply(hv1);
  await client.nodes.apply(gw1);
  assert.equal((await client.nodes.register('hv1', hv1Registration)).name, 'hv1');

  assert.equal(await client.nodes.nodeExists('hv1'), true);
  assert.equal(await client.nodes.nodeExists('nope'), false);
  assert.equal(await client.nodes.transportNodeExists('hv1'), true);
  assert.equal(await client.nodes.transportNodeExists('gw1'), false);
  assert.deepEqual(
    (await client.nodes.transportZones()).map((z) => z.name),
    ['tz1', 'tz2'],
  );
  assert.equal(await client.nodes.transportZoneExists('tz1'), true);
  assert.equal(await client.nodes.transportZoneExists('tz9'), false);
  const members = await client.nodes.controlCluster();
  assert.equal(members[0].display_name, 'ctl1');
  assert.deepEqual(await client.nodes.interfaceStatistics('hv1', 'eth1'), hv1Stats);
  assert.deepEqual(await client.nodes.interfaces('hv1'), ['br-int', 'eth1']);
  await assert.rejects(
    client.nodes.interfaceStatistics('hv1', 'eth9'),
    (e: unknown) => e instanceof ApiError && e.status === 404 && e.field === 'iface',
  );
  await assert.rejects(
    client.nodes.register('zz', hv1Registration),
    (e: unknown) => e instanceof ApiError && e.status === 409 && e.field === 'name',
  );

  const tnodes = await run(['transport-node', 'list']);
  assert.match(tnodes.out, /\nhv1\s+hypervisor\s+tz1\s+10\.0\.0\.1\s+connected\s+connected\s+0\s+/);
  const tnode = await run(['transport-node', 'show', 'hv1']);
  assert.match(tnode.out, /OpenFlow:\s+connected dpid 00:00:00:00:00:00:00:01\n/);
  assert.match(tnode.out, /no tunnels\n$/);
  assert.equal((await run(['transport-node', 'show', 'gw1'])).code, 1);
  const zones = await run(['transport-zone', 'list']);
  assert.match(zones.out, /\ntz1\s+1\/1\s+hv1\ntz2\s+0\/1\s+gw1\n$/);
  const cluster = await run(['cluster']);
  assert.match(cluster.out, /^MEMBER\s+API\s+OPENFLOW\s+VERSION\s+LEADER\s+SINCE\n/);
  assert.match(cluster.out, /\n\S+\s+http:127\.0\.0\.1:8080\s+tcp:0\.0\.0\.0:6653\s+\S+\s+yes\s+\d{4}-/);
  const roles = await run(['cluster', '--roles']);
  assert.match(roles.out, /^Member:\s+ctl1\n/);
  assert.match(roles.out, /\napi\s+http:127\.0\.0\.1:8080\nopenflow\s+tcp:0\.0\.0\.0:6653\n$/);
  const clusterJson = JSON.parse((await run(['cluster', '--json'])).out) as {
    leader: { id: string };
    members: { id: string; roles: unknown[] }[];
  };
  assert.equal(clusterJson.members[0].roles.length, 2);
  assert.equal(clusterJson.leader.id, clusterJson.members[0].id, 'alone, it leads');

  assert.equal((await client.nodes.unregister('hv1')).name, 'hv1');
  const help = await run(['node', '--help']);
  assert.match(help.out, /apply .*\n.*diff .*\n.*history/s);
});

test('a node presenting another system-id: flagged in the list row and spelled out by show', () => {
  const faults = faultsOf(hv1Registration.system_id, 'another-machine');
  const node = {
    name: 'hv1',
    ...hv1Registration,
    registered: '2026-12-06T05:00:00Z',
    ovsdb: { connected: true },
    openflow: { connected: true, dpid: '00:00:00:00:00:00:00:01' },
    faults,
    tunnels: [],
  };
  const row = transportNodesText([node], NOW).split('\n')[1];
  assert.match(row, /connected +connected \(system_id mismatch\)/);
  const shown = transportNodeText(node);
  assert.match(
    shown,
    /^FAULT system_id: the node's OVSDB reports system-id another-machine, registered c0ffee00/m,
  );
  assert.doesNotMatch(transportNodeText({ ...node, faults: undefined }), /FAULT/);
});
