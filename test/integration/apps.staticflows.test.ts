/**
 * Static entries on real OVS and Mininet (linear,2 under `sluice controller`), OpenFlow 1.0 and 1.3: a drop
 * entry stops h1->h2 ping and its deletion restores it; entries come back after the bridge is re-created and
 * survive a controller restart without being wiped (counters and durations keep running); a user's cookie is
 * kept; bad input on every endpoint and CLI verb is refused with a 4xx / non-zero exit and the store is
 * unchanged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dumpFlows,
  ensureOvs,
  MininetNet,
  run,
  SLUICE_CLI,
  startController,
  waitFor,
  type RunningController,
} from './harness/index.js';

const S1 = '00:00:00:00:00:00:00:01';

async function api(ctl: RunningController, method: string, path: string, body?: unknown) {
  const res = await fetch(`${apiOf(ctl)}${path}`, {
    method,
    // Floodlight-era curl scripts send JSON as form data; the API reads JSON whatever the type.
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

type Listing = Record<string, Record<string, Record<string, string>>[]>;

async function listed(ctl: RunningController): Promise<Record<string, Record<string, string>>> {
  const r = await api(ctl, 'GET', '/wm/staticentrypusher/list/all/json');
  assert.equal(r.status, 200);
  const out: Record<string, Record<string, string>> = {};
  for (const items of Object.values(r.json as unknown as Listing))
    for (const item of items) Object.assign(out, item);
  return out;
}

function apiOf(ctl: RunningController): string {
  assert.ok(ctl.apiUrl, 'the controller serves the API');
  return ctl.apiUrl;
}

function cli(ctl: RunningController, ...args: string[]) {
  return run(process.execPath, [SLUICE_CLI, 'staticflow', ...args, '--api', apiOf(ctl)], {
    timeoutMs: 20_000,
  });
}

/** The s1 flow line of the entry with this cookie, from ovs-ofctl (with stats). */
async function s1Flow(
  protocols: string,
  cookie: string,
): Promise<{ packets: number; duration: number } | undefined> {
  const r = await run('ovs-ofctl', ['-O', protocols, 'dump-flows', 's1', `cookie=${cookie}/-1`]);
  const line = r.stdout.split('\n').find((l) => l.includes('cookie='));
  if (!line) return undefined;
  return {
    packets: Number(/n_packets=(\d+)/.exec(line)![1]),
    duration: Number(/duration=([\d.]+)s/.exec(line)![1]),
  };
}

const DROP = {
  switch: S1,
  name: 'drop-h1',
  priority: '40000',
  in_port: '1',
  eth_type: '0x0800',
  actions: '',
};
const USER = {
  switch: S1,
  name: 'user-cookie',
  cookie: '0x5151',
  priority: 100,
  eth_type: 2048,
  ip_proto: 17,
  udp_dst: 9999,
  actions: 'output=2',
};

for (const protocols of ['OpenFlow10', 'OpenFlow13'] as const) {
  describe(`static entries over ${protocols}`, () => {
    let ctl: RunningController;
    let net: MininetNet;

    before(async () => {
      await ensureOvs();
      ctl = await startController();
      net = await MininetNet.start({ topo: 'linear,2', protocols, controllerPort: ctl.openflowPort });
      await net.pingallUntil(0, 30_000);
    });
    after(async () => {
      await net?.stop();
      await ctl?.stop();
    });

    test('a drop entry stops h1->h2 ping; deleting it restores the ping', async () => {
      const r = await api(ctl, 'POST', '/wm/staticflowpusher/json', DROP);
      assert.deepEqual([r.status, r.json], [200, { status: 'Entry pushed' }]);
      // The POST answers after the switch's barrier: the drop is in force now.
      assert.equal((await net.ping('h1', 'h2', { count: 2, timeoutSec: 1 })).received, 0);
      const entry = (await listed(ctl))['drop-h1'];
      assert.equal(entry.state, 'installed');
      // OVS moves datapath counters to OpenFlow flows periodically (revalidators), not per packet.
      await waitFor(async () => Number((await listed(ctl))['drop-h1'].packet_count) >= 2, {
        what: 'the listed entry to count the 2 dropped pings',
        timeoutMs: 10_000,
      });
      assert.deepEqual(entry.match, { in_port: '1', eth_type: '0x0800' });

      const d = await api(ctl, 'DELETE', '/wm/staticentrypusher/json', { name: 'drop-h1' });
      assert.deepEqual([d.status, d.json], [200, { status: 'Entry drop-h1 deleted' }]);
      await waitFor(async () => (await net.ping('h1', 'h2', { count: 1 })).received === 1, {
        what: 'h1->h2 ping after the drop entry was deleted',
        timeoutMs: 15_000,
      });
      assert.equal((await listed(ctl))['drop-h1'], undefined);
    });

    test('entries come back when the bridge is re-created, and a restart of Sluice wipes nothing', async () => {
      assert.equal((await api(ctl, 'POST', '/wm/staticentrypusher/json', DROP)).status, 200);
      assert.equal((await api(ctl, 'POST', '/wm/staticflowentrypusher/json', USER)).status, 200);
      assert.ok(await s1Flow(protocols, '0x5151'), "the user's cookie is on the switch as given");

      await net.stopSwitch('s1');
      await net.startSwitch('s1');
      await waitFor(async () => (await s1Flow(protocols, '0x5151')) !== undefined, {
        what: 'static entries re-pushed to the re-created s1',
        timeoutMs: 20_000,
        detail: async () => (await dumpFlows('s1', protocols)).join('\n'),
      });
      assert.equal((await net.ping('h1', 'h2', { count: 1, timeoutSec: 1 })).received, 0, 'the drop is back');

      const dropCookie = (await listed(ctl))['drop-h1'].cookie;
      const before = await waitFor(
        async () => {
          const f = await s1Flow(protocols, `0x${BigInt(dropCookie).toString(16)}`);
          return f && f.packets >= 1 ? f : undefined;
        },
        { what: 'the re-pushed drop flow to count the dropped ping', timeoutMs: 10_000 },
      );
      await ctl.restart();
      await waitFor(
        async () => {
          const e = (await listed(ctl))['drop-h1'];
          return e?.state === 'installed' && (await listed(ctl))['user-cookie']?.state === 'installed';
        },
        { what: 'entries listed as installed after the restart', timeoutMs: 20_000 },
      );
      const afterRestart = await s1Flow(protocols, `0x${BigInt(dropCookie).toString(16)}`);
      assert.ok(afterRestart, 'drop flow still there');
      assert.ok(afterRestart.packets >= before.packets, 'counters not reset (flow not re-added)');
      assert.ok(afterRestart.duration >= before.duration, 'duration kept running (flow not re-added)');
      const user = await s1Flow(protocols, '0x5151');
      assert.ok(user, 'the user-cookie entry survives, cookie unchanged');
    });

    test('bad input on every endpoint and CLI verb is refused, the store unchanged', async () => {
      const snapshot = JSON.stringify(Object.keys(await listed(ctl)).sort());
      const cases: [string, string, unknown, number, string | undefined][] = [
        ['POST', '/wm/staticentrypusher/json', '{"switch": "1", "name": ', 400, 'body'],
        ['POST', '/wm/staticentrypusher/json', { ...DROP, name: 'x', colour: 'red' }, 400, 'colour'],
        [
          'POST',
          '/wm/staticentrypusher/json',
          { switch: S1, name: 'x', ipv4_dst: '10.0.0.2' },
          400,
          'ipv4_dst',
        ],
        ['POST', '/wm/staticentrypusher/json', { switch: S1, name: 'x', udp_dst: '53' }, 400, 'udp_dst'],
        ['POST', '/wm/staticentrypusher/json', { switch: S1, name: 'x', in_port: 99 }, 400, 'in_port'],
        [
          'POST',
          '/wm/staticentrypusher/json',
          { switch: S1, name: 'x', actions: 'output=99' },
          400,
          'actions',
        ],
        [
          'POST',
          '/wm/staticentrypusher/json',
          {
            switch: S1,
            name: 'x',
            actions: protocols === 'OpenFlow10' ? 'set_queue=1,output=2' : 'enqueue=2:1',
          },
          400,
          'actions',
        ],
        ['POST', '/wm/staticentrypusher/json', { name: 'x', actions: '' }, 400, 'switch'],
        ['POST', '/wm/staticentrypusher/json', { switch: S1, actions: '' }, 400, 'name'],
        ['POST', '/wm/staticentrypusher/json', { ...DROP, name: 'clash' }, 409, 'name'],
        [
          'POST',
          '/api/v1/staticflows',
          [
            { switch: S1, name: 'ok' },
            { switch: S1, name: 'y', bad: 1 },
          ],
          400,
          '[1].bad',
        ],
        ['DELETE', '/wm/staticentrypusher/json', {}, 400, 'name'],
        ['DELETE', '/wm/staticentrypusher/json', { name: 'no-such-entry' }, 404, 'name'],
        ['DELETE', '/api/v1/staticflows/no-such-entry', undefined, 404, 'name'],
        ['GET', '/wm/staticentrypusher/list/not-a-dpid/json', undefined, 400, 'dpid'],
        ['GET', '/wm/staticentrypusher/clear/not-a-dpid/json', undefined, 400, 'dpid'],
      ];
      for (const [method, path, body, status, field] of cases) {
        const r = await api(ctl, method, path, body);
        assert.equal(
          r.status,
          status,
          `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`,
        );
        assert.equal(r.json?.field, field, `${method} ${path}: ${JSON.stringify(r.json)}`);
      }
      const bad: [string[], number, RegExp][] = [
        [['add', '--switch', S1, '--name', 'x', '--match', 'eth_type'], 2, /not FIELD=VALUE/],
        [['add', '--switch', 'nope', '--name', 'x'], 2, /not a DPID/],
        [['add', '--name', 'x'], 2, /--switch is required/],
        [['add', '--json', '{bad'], 2, /not valid JSON/],
        [['add', '--file', '/nonexistent/entries.json'], 2, /cannot read/],
        [['add', '--switch', S1, '--name', 'x', '--match', 'udp_dst=53'], 1, /udp_dst/],
        [['add', '--switch', S1, '--name', 'x', '--actions', 'output=99'], 1, /no port 99/],
        [['delete', 'no-such-entry'], 1, /no static entry named/],
        [['list', 'nope'], 2, /not a DPID/],
        [['clear', 'nope'], 2, /not a DPID/],
      ];
      for (const [args, code, message] of bad) {
        const r = await cli(ctl, ...args);
        assert.equal(r.code, code, `sluice staticflow ${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
      }
      assert.equal(JSON.stringify(Object.keys(await listed(ctl)).sort()), snapshot, 'store unchanged');
    });

    test('the CLI adds, lists (ovs-ofctl syntax with names), deletes and clears', async () => {
      const add = await cli(
        ctl,
        'add',
        '--switch',
        S1,
        '--name',
        'cli-web',
        '--priority',
        '200',
        '--match',
        'eth_type=0x800,ipv4_dst=10.0.0.2,ip_proto=6,tcp_dst=80',
        '--actions',
        'output=2',
      );
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stdout, /added cli-web/);
      const list = await cli(ctl, 'list', S1);
      assert.equal(list.code, 0, list.stderr);
      assert.match(
        list.stdout,
        /name=cli-web .*priority=200,tcp,nw_dst=10\.0\.0\.2,tp_dst=80 actions=output:2/,
      );
      const del = await cli(ctl, 'delete', 'cli-web');
      assert.equal(del.code, 0, del.stderr);
      const clear = await cli(ctl, 'clear', S1);
      assert.equal(clear.code, 0, clear.stderr);
      assert.deepEqual(await listed(ctl), {});
      await waitFor(async () => (await net.ping('h1', 'h2', { count: 1 })).received === 1, {
        what: 'ping after clear',
        timeoutMs: 15_000,
      });
    });
  });
}
