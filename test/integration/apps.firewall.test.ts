/**
 * Firewall and ACL on real OVS: `sluice controller` with one switch and three Mininet hosts, over OpenFlow 1.3
 * and 1.0. Floodlight issue 854 (a denied TCP port reachable after a ping), exact deletion of a rule's flows
 * (by cookie in `ovs-ofctl dump-flows`), an ACL deny between one host pair, a controller restart that loses
 * no rule and wipes no ACL flow, and bad input through the CLI and the API.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ensureOvs,
  MininetNet,
  ofctl,
  sluiceCli,
  sluiceCliJson,
  startController,
  waitFor,
  type BackgroundProcess,
  type RunningController,
} from './harness/index.js';
import { pingOk as pingNet, startOneSwitch } from './helpers/mininet.js';

let ctl: RunningController;
let net: MininetNet;

const sluice = (args: string[]) => sluiceCli(ctl, args);
const sluiceJson = <T>(args: string[]) => sluiceCliJson<T>(ctl, args);

interface RuleOut {
  ruleid: string;
  cookieTag: string;
}

const TAG_MASK = (1n << 33n) - 1n;

/** Cookies of the flows on s1 (with durations when `stats`). */
async function flows(protocols: string): Promise<{ cookie: bigint; line: string }[]> {
  const out = await ofctl(['dump-flows', 's1'], protocols);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('cookie='))
    .map((line) => ({ cookie: BigInt(/cookie=(0x[0-9a-f]+)/.exec(line)![1]), line }));
}

async function tcpWorks(port: number): Promise<boolean> {
  const r = await net.exec(
    'h1',
    ['iperf3', '-c', '10.0.0.2', '-p', String(port), '-n', '20K', '--connect-timeout', '2000'],
    {
      timeoutMs: 15_000,
    },
  );
  return r.code === 0;
}

const pingOk = (src: string, dst: string) => pingNet(net, src, dst);

for (const protocols of ['OpenFlow13', 'OpenFlow10'] as const) {
  describe(`firewall and ACL with Mininet over ${protocols}`, () => {
    const servers: BackgroundProcess[] = [];

    before(async () => {
      await ensureOvs();
      ctl = await startController();
      net = await startOneSwitch(ctl, protocols, 30_000);
      for (const port of [5201, 5202]) servers.push(await net.bg('h2', ['iperf3', '-s', '-p', String(port)]));
    });

    after(async () => {
      for (const s of servers) await s.kill().catch(() => undefined);
      await net?.stop();
      await ctl?.stop();
    });

    const rules: Record<string, RuleOut> = {};

    test('enabled firewall: ping allowed, denied TCP port stays denied after the ping (issue 854)', async () => {
      assert.equal((await sluiceJson<{ enabled: boolean }>(['firewall', 'status'])).enabled, false);
      assert.equal((await sluice(['firewall', 'enable'])).code, 0);
      const add = (name: string, args: string[]) =>
        sluiceJson<RuleOut>(['firewall', 'add', ...args]).then((r) => (rules[name] = r));
      await add('icmp12', [
        '--src-ip',
        '10.0.0.1',
        '--dst-ip',
        '10.0.0.2',
        '--proto',
        'ICMP',
        '--action',
        'allow',
      ]);
      await add('icmp21', [
        '--src-ip',
        '10.0.0.2',
        '--dst-ip',
        '10.0.0.1',
        '--proto',
        'ICMP',
        '--action',
        'allow',
      ]);
      await add('arp', ['--dl-type', 'ARP', '--action', 'allow']);
      await add('deny5201', ['--proto', 'TCP', '--tp-dst', '5201', '--action', 'deny']);
      await add('to5202', ['--proto', 'TCP', '--tp-dst', '5202', '--action', 'allow']);
      await add('from5202', ['--proto', 'TCP', '--tp-src', '5202', '--action', 'allow']);
      await waitFor(() => pingOk('h1', 'h2'), {
        what: 'h1 pings h2 through the firewall',
        timeoutMs: 20_000,
      });
      // h3 has no allow rule: denied by default.
      assert.equal(await pingOk('h1', 'h3'), false);
      assert.equal(await tcpWorks(5201), false, 'TCP 5201 must stay denied after the ping');
      assert.equal(
        await waitFor(() => tcpWorks(5202), { what: 'TCP 5202 allowed', timeoutMs: 20_000 }),
        true,
      );
      assert.equal(await tcpWorks(5201), false, 'TCP 5201 must stay denied after allowed TCP traffic');
      const tags = (await flows(protocols)).map((f) => f.cookie & TAG_MASK);
      assert.ok(tags.includes(BigInt(rules.to5202.cookieTag)), 'flows of the 5202 rule carry its cookie tag');
    });

    test('deleting a rule removes exactly its flows and changes the behaviour', async () => {
      const tag = BigInt(rules.to5202.cookieTag);
      const icmpTag = BigInt(rules.icmp12.cookieTag);
      assert.equal((await sluice(['firewall', 'delete', rules.to5202.ruleid])).code, 0);
      await waitFor(async () => !(await flows(protocols)).some((f) => (f.cookie & TAG_MASK) === tag), {
        what: `no flow with cookie tag ${rules.to5202.cookieTag}`,
        timeoutMs: 10_000,
      });
      assert.equal(await tcpWorks(5202), false, 'TCP 5202 is denied once its allow rule is gone');
      assert.equal(await pingOk('h1', 'h2'), true);
      assert.ok(
        (await flows(protocols)).some((f) => (f.cookie & TAG_MASK) === icmpTag),
        'the ICMP rule keeps its flows',
      );
    });

    let aclFlowLine = '';
    let aclCookie = 0n;
    test('ACL deny of one host pair: h1->h2 blocked, h1->h3 works (firewall off)', async () => {
      assert.equal((await sluice(['firewall', 'disable'])).code, 0);
      const rule = await sluiceJson<{ ruleid: string }>([
        'acl',
        'add',
        '--src-ip',
        '10.0.0.1/32',
        '--dst-ip',
        '10.0.0.2/32',
      ]);
      aclCookie = (5n << 48n) | BigInt(rule.ruleid);
      aclFlowLine = await waitFor(
        async () => (await flows(protocols)).find((f) => f.cookie === aclCookie)?.line,
        {
          what: 'the ACL flow on s1',
          timeoutMs: 10_000,
        },
      );
      assert.match(aclFlowLine, /actions=drop/);
      await waitFor(() => pingOk('h1', 'h3'), { what: 'h1 pings h3', timeoutMs: 20_000 });
      assert.equal(await pingOk('h1', 'h2'), false);
    });

    test('controller restart: no rule lost, the ACL flow is not wiped (its duration keeps counting)', async () => {
      const fwBefore = await sluiceJson<RuleOut[]>(['firewall', 'rules']);
      const aclBefore = await sluiceJson<unknown[]>(['acl', 'list']);
      const durationOf = (line: string) => Number(/duration=([\d.]+)s/.exec(line)![1]);
      const before = durationOf(aclFlowLine);
      await ctl.restart();
      await waitFor(async () => (await sluiceJson<unknown[]>(['switches'])).length === 1, {
        what: 's1 reconnected',
        timeoutMs: 30_000,
      });
      assert.deepEqual(await sluiceJson<RuleOut[]>(['firewall', 'rules']), fwBefore);
      assert.deepEqual(await sluiceJson<unknown[]>(['acl', 'list']), aclBefore);
      await waitFor(() => pingOk('h1', 'h3'), { what: 'h1 pings h3 after the restart', timeoutMs: 20_000 });
      const acl = (await flows(protocols)).find((f) => f.cookie === aclCookie);
      assert.ok(acl, 'the ACL flow is still there');
      assert.ok(
        durationOf(acl.line) >= before,
        `duration ${durationOf(acl.line)} >= ${before}: not re-added`,
      );
      assert.equal(await pingOk('h1', 'h2'), false);
    });

    test('bad input: nonzero exit / 4xx naming the field, rules unchanged', async () => {
      const fwBefore = await sluiceJson<RuleOut[]>(['firewall', 'rules']);
      const aclBefore = await sluiceJson<unknown[]>(['acl', 'list']);
      const cli: [string[], number, RegExp][] = [
        [['firewall', 'add', '--src-ip', '10.0.0.999'], 2, /not an IPv4/],
        [['firewall', 'add', '--rule-json', '{"tp-dst": 80}'], 1, /tp-dst/],
        [['firewall', 'add', '--rule-json', '{"colour": "red"}'], 1, /colour/],
        [['firewall', 'delete', '424242'], 1, /ruleid/],
        [['firewall', 'delete', 'x'], 2, /rule id/],
        [['acl', 'add', '--proto', 'TCP'], 1, /src-ip/],
        [['acl', 'add', '--src-ip', '10.0.0.1', '--tp-dst', '22'], 1, /tp-dst/],
        [['acl', 'delete', '999'], 1, /ruleid/],
      ];
      for (const [args, code, msg] of cli) {
        const r = await sluice(args);
        assert.equal(r.code, code, `sluice ${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, msg);
      }
      const api: [string, string, unknown, string][] = [
        ['POST', '/wm/firewall/rules/json', { 'src-ip': '1.2.3' }, 'src-ip'],
        ['POST', '/wm/firewall/rules/json', { 'nw-proto': 'ICMP', 'tp-src': 1 }, 'tp-src'],
        ['DELETE', '/wm/firewall/rules/json', { ruleid: 'nope' }, 'ruleid'],
        ['POST', '/wm/acl/rules/json', { 'dst-ip': '10.0.0.0/99' }, 'dst-ip'],
        ['DELETE', '/wm/acl/rules/json', { ruleid: 31337 }, 'ruleid'],
      ];
      for (const [method, path, body, field] of api) {
        const res = await fetch(`${ctl.apiUrl}${path}`, { method, body: JSON.stringify(body) });
        assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status}`);
        assert.equal(((await res.json()) as { field?: string }).field, field);
      }
      assert.deepEqual(await sluiceJson<RuleOut[]>(['firewall', 'rules']), fwBefore);
      assert.deepEqual(await sluiceJson<unknown[]>(['acl', 'list']), aclBefore);
    });
  });
}
