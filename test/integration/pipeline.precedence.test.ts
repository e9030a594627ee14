/**
 * The pipeline's precedence on real OVS (userspace datapath) with a real `sluice controller`, one switch and
 * three Mininet hosts, over OpenFlow 1.3 and 1.0: a firewall deny rule and an ACL deny rule each stop h1 -> h2
 * traffic that a QoS policy (h1 -> h2 and h2 -> h1) also matches; removing the deny brings the traffic back,
 * still rate-limited by the policies' meters on 1.3 (iperf3) and still ToS-marked on 1.0 (rate policies need
 * 1.3, and this datapath ignores queues), as the switch's flow counters and a capture on h2 show.
 * Each test adds its own policies and rules and removes them at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dumpFlows,
  ensureOvs,
  MininetNet,
  ofctl,
  sluiceCli,
  sluiceCliJson,
  startController,
  waitFor,
  type RunningController,
} from './harness/index.js';
import { apiRequest, pingOk as pingNet, pingsSeenWithTos, startOneSwitch } from './helpers/mininet.js';

const S1 = '00:00:00:00:00:00:00:01';
const EF = 184; // ToS byte of DSCP 46

for (const protocols of ['OpenFlow13', 'OpenFlow10'] as const) {
  const of13 = protocols === 'OpenFlow13';

  describe(`deny before QoS over ${protocols}`, () => {
    let ctl: RunningController;
    let net: MininetNet;
    const sluice = (args: string[]) => sluiceCli(ctl, args);
    const sluiceJson = <T>(args: string[]) => sluiceCliJson<T>(ctl, args);

    const http = (method: string, path: string, body?: unknown) => apiRequest(ctl, method, path, body);
    const pingOk = (src: string, dst: string) => pingNet(net, src, dst);

    /** The QoS flows on s1 (cookie 0x6...), with their counters, as ovs-ofctl prints them. */
    const qosFlows = async () =>
      (await ofctl(['dump-flows', 's1'], protocols))
        .split('\n')
        .filter((l) => /cookie=0x6[0-9a-f]{12}\b/.test(l));

    /**
     * A QoS policy each way between h1 and h2 (a 2000 kbps meter on 1.3, EF marking on 1.0), on the switch
     * before `body` runs; removed afterwards.
     */
    async function withQos(body: () => Promise<void>): Promise<void> {
      const ids: number[] = [];
      let sid: number | undefined;
      try {
        if (!of13) {
          const svc = await http('POST', '/api/v1/qos/services', { name: 'Expedited', tos: EF });
          assert.equal(svc.status, 201, JSON.stringify(svc.json));
          sid = (svc.json as { sid: number }).sid;
        }
        for (const [src, dst] of [
          ['10.0.0.1', '10.0.0.2'],
          ['10.0.0.2', '10.0.0.1'],
        ]) {
          const action = of13 ? { 'rate-kbps': 2000 } : { service: 'Expedited' };
          const pol = await http('POST', '/api/v1/qos/policies', {
            name: `qos-${src}-${dst}`,
            sw: S1,
            'eth-type': '0x0800',
            'ip-src': src,
            'ip-dst': dst,
            ...action,
          });
          assert.equal(pol.status, 201, JSON.stringify(pol.json));
          ids.push((pol.json as { 'policy-id': number })['policy-id']);
        }
        await waitFor(async () => (await qosFlows()).length === 2, {
          what: 'both QoS flows on s1',
          timeoutMs: 10_000,
          detail: async () => (await dumpFlows('s1', protocols)).join('\n'),
        });
        await body();
      } finally {
        for (const id of ids) await http('DELETE', `/api/v1/qos/policies/${id}`);
        if (sid !== undefined) await http('DELETE', `/api/v1/qos/services/${sid}`);
      }
    }

    /** h1 -> h2 works again, and the QoS policy still applies: rate-limited (1.3), EF-marked (1.0). */
    async function restoredWithQos(): Promise<void> {
      await waitFor(() => pingOk('h1', 'h2'), { what: 'h1 pings h2 again', timeoutMs: 20_000 });
      if (of13) {
        const server = await net.bg('h2', ['iperf3', '-s']);
        try {
          await waitFor(
            async () => (await net.exec('h2', ['sh', '-c', 'ss -ltn | grep -q :5201'])).code === 0,
            {
              what: 'iperf3 server on h2',
            },
          );
          const r = await net.exec('h1', ['iperf3', '-c', '10.0.0.2', '-t', '3', '-J'], {
            timeoutMs: 20_000,
          });
          assert.equal(r.code, 0, `iperf3: ${r.stderr}${r.stdout.slice(0, 400)}`);
          const bps = (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end
            .sum_received.bits_per_second;
          assert.ok(bps > 0 && bps <= 3_000_000, `h1 -> h2 at ${bps} bit/s, expected at most 3 Mbit/s`);
        } finally {
          await server.kill();
        }
        assert.ok((await qosFlows()).every((l) => /meter:\d+/.test(l) && /goto_table:2/.test(l)));
        return;
      }
      // 1.0: the marking flow counts the packets, and h2 receives them with tos 0xb8.
      const seen = await pingsSeenWithTos(
        net,
        { host: 'h1', ip: '10.0.0.1' },
        { host: 'h2', ip: '10.0.0.2' },
        'tos 0xb8',
      );
      assert.match(seen, /tos 0xb8/);
      const marking = async () =>
        (await qosFlows()).find((l) => l.includes('nw_src=10.0.0.1') && l.includes('mod_nw_tos:184'));
      assert.ok(await marking(), (await qosFlows()).join('\n'));
      // OVS moves datapath counters to OpenFlow flows periodically (revalidators), not per packet.
      await waitFor(async () => Number(/n_packets=(\d+)/.exec((await marking()) ?? '')?.[1] ?? 0) > 0, {
        what: 'the marking flow to count the marked pings',
        timeoutMs: 10_000,
        detail: async () => (await qosFlows()).join('\n'),
      });
    }

    before(async () => {
      await ensureOvs();
      ctl = await startController();
      net = await startOneSwitch(ctl, protocols, 20_000);
      // QoS on 1.0 outputs toward the destination host: hosts are learned from their traffic.
      await net.pingallUntil(0, 30_000);
      assert.equal((await http('GET', '/wm/qos/tool/enable/json')).status, 200);
    });

    after(async () => {
      await net?.stop();
      await ctl?.stop();
    });

    test('a firewall deny rule stops h1 -> h2 that QoS also matches; deleting it restores QoS-treated traffic', async () => {
      await withQos(async () => {
        const rules: string[] = [];
        const add = async (args: string[]) =>
          rules.push((await sluiceJson<{ ruleid: string }>(['firewall', 'add', ...args])).ruleid);
        try {
          assert.equal((await sluice(['firewall', 'enable'])).code, 0);
          await add(['--src-ip', '10.0.0.1', '--dst-ip', '10.0.0.2', '--action', 'deny', '--priority', '0']);
          await add(['--action', 'allow', '--priority', '1']);
          await waitFor(async () => !(await pingOk('h1', 'h2')), {
            what: 'h1 -> h2 denied',
            timeoutMs: 20_000,
          });
          assert.equal(await pingOk('h1', 'h3'), true, 'h1 -> h3 is allowed');
          assert.equal(await pingOk('h1', 'h2'), false, 'h1 -> h2 stays denied');
          assert.equal((await sluice(['firewall', 'delete', rules.shift()!])).code, 0);
          await restoredWithQos();
        } finally {
          for (const id of rules) await sluice(['firewall', 'delete', id]);
          await sluice(['firewall', 'disable']);
        }
      });
    });

    test('an ACL deny rule stops h1 -> h2 that QoS also matches; deleting it restores QoS-treated traffic', async () => {
      await withQos(async () => {
        const rule = await sluiceJson<{ ruleid: string }>([
          'acl',
          'add',
          '--src-ip',
          '10.0.0.1/32',
          '--dst-ip',
          '10.0.0.2/32',
          '--action',
          'deny',
        ]);
        let deleted = false;
        try {
          await waitFor(async () => !(await pingOk('h1', 'h2')), {
            what: 'h1 -> h2 denied',
            timeoutMs: 20_000,
          });
          assert.equal(await pingOk('h1', 'h3'), true, 'h1 -> h3 is allowed');
          assert.equal((await sluice(['acl', 'delete', rule.ruleid])).code, 0);
          deleted = true;
          await restoredWithQos();
        } finally {
          if (!deleted) await sluice(['acl', 'delete', rule.ruleid]);
        }
      });
    });
  });
}
