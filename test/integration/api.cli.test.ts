/**
 * `sluice controller` with a two-switch Mininet (OpenFlow 1.3, then 1.0; userspace OVS): the CLI verbs and the key
 * Floodlight/Sluice API shapes against real switches.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ensureOvs,
  MininetNet,
  sluiceCli,
  sluiceCliJson,
  startController,
  waitFor,
  waitForLinks,
  type RunningController,
} from './harness/index.js';
import { STATS_KINDS } from '../../src/api/index.js';
import { validatorOf, type OpenApi } from '../unit/api.openapi.js';

const S1 = '00:00:00:00:00:00:00:01';
const S2 = '00:00:00:00:00:00:00:02';
let ctl: RunningController;
let net: MininetNet;

const sluice = (args: string[]) => sluiceCli(ctl, args);
const sluiceJson = <T>(args: string[]) => sluiceCliJson<T>(ctl, args);

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${ctl.apiUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `GET ${path}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

for (const protocols of ['OpenFlow13', 'OpenFlow10'] as const) {
  const cliVersion = protocols === 'OpenFlow13' ? '1.3' : '1.0';
  const floodlightVersion = protocols === 'OpenFlow13' ? 'OF_13' : 'OF_10';

  describe(`sluice controller with Mininet over ${protocols}`, () => {
    before(async () => {
      await ensureOvs();
      ctl = await startController();
      net = await MininetNet.start({
        topo: 'linear,2',
        protocols,
        controllerPort: ctl.openflowPort,
      });
      await waitFor(
        async () =>
          (await sluiceJson<unknown[]>(['switches'])).length === 2 &&
          (await sluiceJson<unknown[]>(['links'])).length === 1,
        { what: 'two switches and one link in the CLI output', timeoutMs: 30_000 },
      ).catch((e: Error) => {
        throw new Error(`${e.message}\ncontroller log:\n${ctl.logTail(30)}`);
      });
      // The route test below needs the link both ways, not only listed.
      await waitForLinks(ctl, 1);
      assert.equal((await net.pingallUntil(0, 30_000)).lossPct, 0);
    });

    after(async () => {
      await net?.stop();
      await ctl?.stop();
    });

    test('sluice switches, links and hosts show the network', async () => {
      const table = await sluice(['switches']);
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^DPID +ADDRESS +OPENFLOW +CONNECTED/);
      assert.deepEqual(
        lines
          .slice(1)
          .map((l) => l.split(/\s+/)[0])
          .sort(),
        [S1, S2],
      );
      assert.ok(
        lines.slice(1).every((l) => l.includes(` ${cliVersion} `)),
        table.stdout,
      );

      const links = await sluiceJson<{ src: { dpid: string }; dst: { dpid: string } }[]>(['links']);
      assert.deepEqual([links[0].src.dpid, links[0].dst.dpid].sort(), [S1, S2]);

      const h1 = net.host('h1');
      const hosts = await sluiceJson<{ mac: string; ipv4: string[]; attachmentPoints: { dpid: string }[] }[]>(
        ['hosts', '--mac', h1.mac],
      );
      assert.equal(hosts.length, 1);
      assert.deepEqual(hosts[0].ipv4, [h1.ip]);
      assert.equal(hosts[0].attachmentPoints[0].dpid, S1);
      const hostTable = await sluice(['hosts']);
      assert.match(hostTable.stdout, new RegExp(`${h1.mac} +${h1.ip.replace(/\./g, '\\.')} `));
    });

    test('sluice ports and flows read the switch live', async () => {
      const ports = await sluice(['ports', '0x1']);
      assert.equal(ports.code, 0, ports.stderr);
      assert.match(ports.stdout, /^PORT +NAME +MAC +STATE/);
      assert.match(ports.stdout, /\n1 +s1-eth1 +\S+ +up /);
      assert.match(ports.stdout, /\n2 +s1-eth2 +\S+ +up /);

      const flows = await sluice(['flows', S1]);
      assert.equal(flows.code, 0, flows.stderr);
      const lines = flows.stdout.trimEnd().split('\n');
      assert.ok(
        lines.every((l) => l.startsWith(' cookie=0x')),
        flows.stdout,
      );
      assert.ok(
        protocols === 'OpenFlow10' || lines.some((l) => /priority=0 actions=CONTROLLER:65535/.test(l)),
        `table-miss entry in:\n${flows.stdout}`,
      );
    });

    test('CLI errors: unknown switch exits 1 with the API error, bad DPID exits 2', async () => {
      const unknown = await sluice(['flows', '0x99']);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /not_found: switch 00:00:00:00:00:00:00:99 is not connected/);
      const bad = await sluice(['flows', 's1']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /argument 'dpid'/);
    });

    test('Floodlight shapes from the real network', async () => {
      const switches = await getJson<{ switchDPID: string; openFlowVersion: string }[]>(
        '/wm/core/controller/switches/json',
      );
      assert.deepEqual(switches.map((s) => s.switchDPID).sort(), [S1, S2]);
      assert.ok(switches.every((s) => s.openFlowVersion === floodlightVersion));

      const flows = await getJson<Record<string, { flows: { priority: string }[] }>>(
        '/wm/core/switch/all/flow/json',
      );
      assert.deepEqual(Object.keys(flows).sort(), [S1, S2]);
      assert.ok(Array.isArray(flows[S1].flows) && Array.isArray(flows[S2].flows));

      const ports = await getJson<{ port_reply: { port: { port_number: string }[] }[] }>(
        `/wm/core/switch/${S1}/port/json`,
      );
      assert.ok(ports.port_reply[0].port.some((p) => p.port_number === '1'));
      const desc = await getJson<{ desc: { manufacturer_description: string } }>(
        `/wm/core/switch/${S2}/desc/json`,
      );
      assert.match(desc.desc.manufacturer_description, /Nicira/);

      const links = await getJson<{ 'src-port': unknown }[]>('/wm/topology/links/json');
      assert.equal(typeof links[0]['src-port'], 'number');

      const h1 = net.host('h1');
      const devices = await getJson<{ attachmentPoint: { switchDPID: string; port: number }[] }[]>(
        `/wm/device/?ipv4=${h1.ip}`,
      );
      assert.equal(devices.length, 1);
      assert.deepEqual(devices[0].attachmentPoint[0], { switchDPID: S1, port: 1, errorStatus: null });

      // h1 on s1 port 1 to h2 on s2 port 1: (s1 in 1, out 2), (s2 in 2, out 1) in linear,2.
      const route = await getJson<{ switch: string; port: { shortPortNumber: number } }[]>(
        `/wm/topology/route/${S1}/1/${S2}/1/json`,
      );
      assert.deepEqual(
        route.map((h) => [h.switch, h.port.shortPortNumber]),
        [
          [S1, 1],
          [S1, 2],
          [S2, 2],
          [S2, 1],
        ],
      );
      const metrics = await fetch(`${ctl.apiUrl}/metrics`).then((r) => r.text());
      assert.match(metrics, /\nsluice_switches_connected 2\n/);
      assert.match(metrics, /\nsluice_links 1\n/);
    });

    test("port statistics: rates from the switches' real counters, in both API shapes", async () => {
      type PortRate = {
        port: number;
        rxPackets: number;
        rxBitsPerSec: number | null;
        utilisation: number | null;
      };
      // Rates need two port-stats rounds (one at connect, then every 5 s); the pings in before() moved counters.
      const rates = await waitFor(
        async () => {
          const ports = await getJson<PortRate[]>(`/api/v1/statistics/ports?dpid=${S1}`);
          const p1 = ports.find((p) => p.port === 1);
          return p1 && p1.rxPackets > 0 && p1.rxBitsPerSec !== null ? ports : undefined;
        },
        { what: `rates for ${S1} port 1 in /api/v1/statistics/ports`, timeoutMs: 30_000 },
      );
      assert.deepEqual(
        rates.map((p) => p.port).filter((p) => p < 0xff00),
        [1, 2],
      );
      const fl = await getJson<Record<string, string>[]>(`/wm/statistics/bandwidth/${S1}/1/json`);
      assert.equal(fl.length, 1);
      assert.match(fl[0]['bits-per-second-rx'], /^\d+$/);
      const loads =
        await getJson<{ src: { dpid: string }; utilisation: number | null }[]>('/api/v1/statistics/links');
      assert.equal(loads.length, 1);
      assert.deepEqual((await getJson<{ enabled: boolean }>('/api/v1/statistics')).enabled, true);
    });

    test('Floodlight 0.9 keys (dpid, ports) from real switches, valid against /openapi.json', async () => {
      type Port09 = { portNumber: number; hardwareAddress: string; name: string } & Record<string, unknown>;
      const validate = validatorOf(await getJson<OpenApi>('/openapi.json'));
      const check = async (url: string) => {
        const res = await fetch(`${ctl.apiUrl}${url}`, { signal: AbortSignal.timeout(10_000) });
        const reply = { status: res.status, body: await res.text() };
        assert.equal(reply.status, 200, `GET ${url}: ${reply.body}`);
        validate('GET', url, reply);
        return JSON.parse(reply.body) as unknown;
      };
      const switches = (await check('/wm/core/controller/switches/json')) as {
        dpid: string;
        switchDPID: string;
        ports: Port09[];
      }[];
      const s1 = switches.find((s) => s.dpid === S1);
      assert.ok(s1 && s1.switchDPID === S1, JSON.stringify(switches));
      // linear,2: s1-eth1 to h1, s1-eth2 to s2, and the bridge's LOCAL port (a Java short: -2).
      const byName = (ports: Port09[]) => ports.map((p) => [p.name, p.portNumber]).sort();
      assert.deepEqual(byName(s1.ports), [
        ['s1', -2],
        ['s1-eth1', 1],
        ['s1-eth2', 2],
      ]);
      const eth1 = s1.ports.find((p) => p.name === 's1-eth1')!;
      assert.match(eth1.hardwareAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      for (const key of ['config', 'state', 'currentFeatures', 'advertisedFeatures', 'supportedFeatures']) {
        assert.ok(Number.isInteger(eth1[key]), `${key}: ${String(eth1[key])}`);
      }
      // Link up: OFPPS_LINK_DOWN (bit 0) is clear on a port Mininet wired.
      assert.equal((eth1.state as number) & 1, 0);

      const features = (await check(`/wm/core/switch/${S1}/features/json`)) as {
        dpid: string;
        ports: Port09[];
      };
      assert.equal(features.dpid, S1);
      assert.deepEqual(byName(features.ports), byName(s1.ports));
      const all = (await check('/wm/core/switch/all/features/json')) as Record<string, { ports: Port09[] }>;
      assert.deepEqual(Object.keys(all).sort(), [S1, S2]);
      assert.equal(all[S2].ports.length, 3);
    });

    test('every /api/v1 GET reply from real switches validates against /openapi.json', async () => {
      const doc = await getJson<OpenApi>('/openapi.json');
      const validate = validatorOf(doc);
      // Path parameters: both switches, every stats kind, and names/ids nothing has (their 404 bodies).
      const fill: Record<string, string[]> = {
        dpid: [S1, S2, '0x99'],
        kind: [...STATS_KINDS],
        name: ['none'],
        iface: ['none'],
        ruleid: ['4242'],
        id: ['4242'],
      };
      const query: Record<string, string> = {
        '/api/v1/routes': `?src_dpid=${S1}&src_port=1&dst_dpid=${S2}&dst_port=1`,
        '/api/v1/hosts': `?ipv4=${net.host('h1').ip}`,
      };
      const expand = (path: string): string[] => {
        const m = /\{([^}]+)\}/.exec(path);
        if (!m) return [path + (query[path] ?? '')];
        const values = fill[m[1]];
        assert.ok(values, `${path}: add path parameter {${m[1]}} to this test's fill table`);
        return values.flatMap((v) => expand(path.replace(m[0], encodeURIComponent(v))));
      };
      const gets = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/') && doc.paths[p].get);
      const statuses = new Map<number, number>();
      for (const url of gets.flatMap(expand)) {
        const res = await fetch(`${ctl.apiUrl}${url}`, { signal: AbortSignal.timeout(10_000) });
        if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
          // A live stream never ends: its open (200, the SSE type) is the reply to check.
          assert.equal(res.status, 200, `GET ${url}`);
          await res.body?.cancel();
          continue;
        }
        const reply = { status: res.status, body: await res.text() };
        assert.ok(reply.status !== 500, `GET ${url}: ${reply.body}`);
        validate('GET', url, reply);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      }
      // Mostly successes (two switches, eleven stats kinds; on OpenFlow 1.0 group/meter kinds are 400s).
      assert.ok((statuses.get(200) ?? 0) >= gets.length, JSON.stringify([...statuses]));
      assert.ok((statuses.get(404) ?? 0) > 0, JSON.stringify([...statuses]));
    });
  });
}
