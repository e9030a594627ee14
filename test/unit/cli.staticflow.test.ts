import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/api/index.js';
import { staticFlowRoutes, type StaticFlowsView } from '../../src/api/routes/staticflows.js';
import { EntryError } from '../../src/apps/staticflows/index.js';
import { entriesFromOptions, matchArg, staticFlowsText } from '../../src/cli/staticflow.js';
import { runCli, type CliIo } from '../../src/cli/run.js';
import { fakeDeps } from './api.fakes.js';

const D1 = '00:00:00:00:00:00:00:01';
let app: FastifyInstance;
let api: string;
const added: unknown[] = [];

before(async () => {
  const view: StaticFlowsView = {
    add: async (b) => {
      added.push(b);
      const body = b as Record<string, unknown>;
      if (body.udp_dst !== undefined && body.ip_proto === undefined) {
        throw new EntryError('udp_dst', 'needs ip_proto 17 (UDP)');
      }
      return { name: String(body.name), pushed: true, replaced: false };
    },
    addMany: async (bs) =>
      bs.map((b) => ({ name: String((b as { name: string }).name), pushed: false, replaced: false })),
    delete: async () => undefined,
    clear: async () => 2,
    list: async () => [],
  };
  app = await createApiServer({ ...fakeDeps(), routes: [staticFlowRoutes(view)] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
after(() => app.close());

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: {},
    now: () => 0,
    stderrIsTty: false,
    runController: async () => {},
    runAgent: async () => {},
  };
  return { cli, out: () => out.join(''), err: () => err.join('') };
}

test('--match parsing and the entry an add command line describes', () => {
  assert.deepEqual(matchArg('eth_type=0x800, ipv4_dst=10.0.0.0/24'), {
    eth_type: '0x800',
    ipv4_dst: '10.0.0.0/24',
  });
  assert.deepEqual(matchArg(''), {});
  assert.throws(() => matchArg('eth_type'), /not FIELD=VALUE/);
  assert.throws(() => matchArg('a=1,a=2'), /given twice/);
  assert.deepEqual(
    entriesFromOptions({
      api: '',
      switch: D1,
      name: 'w',
      priority: 5,
      cookie: '0x9',
      match: { in_port: '1' },
      inactive: true,
    }),
    { switch: D1, name: 'w', in_port: '1', priority: 5, cookie: '0x9', active: 'false', actions: '' },
  );
  assert.throws(() => entriesFromOptions({ api: '', name: 'x' }), /--switch is required/);
  assert.throws(() => entriesFromOptions({ api: '', switch: D1 }), /--name is required/);
  assert.throws(() => entriesFromOptions({ api: '', switch: D1, name: 'x', entry: { a: 1 } }), /either/);
});

test('list text: ovs-ofctl lines with the entry name, grouped by switch', () => {
  const text = staticFlowsText([
    {
      name: 'b',
      switch: D1,
      state: 'missing',
      entry: {},
      packetCount: 0,
      byteCount: 0,
      durationSec: 0,
      text: ' priority=5 actions=drop',
    },
    {
      name: 'a',
      switch: D1,
      state: 'installed',
      entry: {},
      packetCount: 1,
      byteCount: 2,
      durationSec: 3,
      text: ' cookie=0x1, n_packets=1 actions=output:2',
    },
  ]);
  assert.equal(
    text,
    `${D1}:\n name=b (missing) priority=5 actions=drop\n name=a cookie=0x1, n_packets=1 actions=output:2\n`,
  );
});

test('sluice staticflow: add/delete/clear through the API; usage errors exit 2, API errors exit 1', async () => {
  let r = io();
  assert.equal(
    await runCli(
      [
        'staticflow',
        'add',
        '--api',
        api,
        '--switch',
        '1',
        '--name',
        'w',
        '--match',
        'eth_type=0x800',
        '--actions',
        'output=2',
      ],
      r.cli,
    ),
    0,
  );
  assert.equal(r.out(), 'added w\n');
  assert.deepEqual(added.at(-1), { switch: D1, name: 'w', eth_type: '0x800', actions: 'output=2' });
  r = io();
  assert.equal(
    await runCli(['staticflow', 'add', '--api', api, '--json', '{"switch":"1","name":"j"}'], r.cli),
    0,
  );
  assert.match(r.out(), /"name": "j"/, '--json prints JSON');
  r = io();
  assert.equal(
    await runCli(
      ['staticflow', 'add', '--api', api, '--switch', '1', '--name', 'u', '--match', 'udp_dst=53'],
      r.cli,
    ),
    1,
  );
  assert.match(r.err(), /validation: udp_dst: needs ip_proto 17 \(UDP\) \(field: udp_dst\)/);
  for (const argv of [
    ['staticflow', 'add', '--api', api, '--name', 'x'],
    ['staticflow', 'add', '--api', api, '--json', '[]'],
    ['staticflow', 'add', '--api', api, 'stray'],
    ['staticflow', 'list', 'nope', '--api', api],
    ['staticflow', 'clear', 'nope', '--api', api],
    ['staticflow', 'delete', '--api', api],
  ]) {
    r = io();
    assert.equal(await runCli(argv, r.cli), 2, argv.join(' '));
    assert.match(r.err(), /error/, argv.join(' '));
  }
  r = io();
  assert.equal(await runCli(['staticflow', 'delete', 'w', '--api', api], r.cli), 0);
  assert.equal(r.out(), 'deleted w\n');
  r = io();
  assert.equal(await runCli(['staticflow', 'clear', 'all', '--api', api], r.cli), 0);
  assert.equal(r.out(), 'deleted 2 entries\n');
  r = io();
  assert.equal(await runCli(['staticflow', 'add', '--help'], r.cli), 0);
  assert.match(r.out(), /--match <fields>/);
});
