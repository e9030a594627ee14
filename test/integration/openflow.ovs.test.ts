/**
 * The codec against a real Open vSwitch, without the controller: over the bridge's management socket we
 * send FLOW_MODs of many shapes (both versions), expect no error, read the flows back with a flow stats
 * request, and check that (a) OVS's flows decode to what we sent and (b) formatFlow prints the same line
 * as `ovs-ofctl dump-flows`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import {
  FrameReader,
  OFPP,
  decode,
  encode,
  formatFlow,
  type Action,
  type FlowMod,
  type FlowStatsEntry,
  type OfMessage,
  type OfVersion,
} from '../../src/openflow/index.js';
import { flowMod } from '../unit/openflow.helpers.js';
import { addTestBridge, deleteBridge, ensureOvs, ofctl, waitFor } from './harness/index.js';

const BRIDGE = 'ofcodec0';
const RUN_DIRS = ['/var/run/openvswitch', '/usr/local/var/run/openvswitch'];

/** A minimal OpenFlow client over the bridge's mgmt socket: request/collect by xid. */
class MgmtClient {
  private readonly reader = new FrameReader();
  private readonly received: OfMessage[] = [];
  private xid = 1;
  private constructor(
    private readonly sock: Socket,
    readonly version: OfVersion,
  ) {
    sock.on('data', (chunk) => {
      for (const f of this.reader.push(chunk)) this.received.push(decode(f));
    });
  }

  static async open(path: string, version: OfVersion): Promise<MgmtClient> {
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    const c = new MgmtClient(sock, version);
    c.send({ type: 'hello', version, xid: 0, versions: version === 4 ? [4] : [] });
    await c.waitFor((m) => m.type === 'hello', 'hello from OVS');
    return c;
  }

  send(msg: OfMessage): number {
    this.sock.write(encode(msg));
    return msg.xid;
  }

  nextXid(): number {
    return this.xid++;
  }

  async waitFor(pred: (m: OfMessage) => boolean, what: string): Promise<OfMessage> {
    return waitFor(() => this.received.find(pred), { what, timeoutMs: 10_000, intervalMs: 20 });
  }

  errors(): OfMessage[] {
    return this.received.filter((m) => m.type === 'error');
  }

  /** All flow stats entries, joined across multipart replies. */
  async flows(): Promise<FlowStatsEntry[]> {
    const xid = this.nextXid();
    this.send({
      type: 'stats_request',
      version: this.version,
      xid,
      flags: 0,
      body: {
        kind: 'flow',
        tableId: 0xff,
        outPort: OFPP.ANY,
        outGroup: 0xffffffff,
        cookie: 0n,
        cookieMask: 0n,
        match: {},
      },
    });
    await this.waitFor(
      (m) => m.type === 'stats_reply' && m.xid === xid && (m.flags & 1) === 0,
      'last flow stats reply',
    );
    return this.received.flatMap((m) =>
      m.type === 'stats_reply' && m.xid === xid && m.body.kind === 'flow' ? m.body.flows : [],
    );
  }

  close(): void {
    this.sock.destroy();
  }
}

/** A TCP flow with the given rewrites then output:2, and an ARP-to-controller flow. */
function commonFlows(v: OfVersion, rewrites: Action[]): FlowMod[] {
  return [
    flowMod(v, {
      priority: 100,
      cookie: BigInt(v) << 48n,
      idleTimeout: 60,
      match: {
        in_port: 1,
        eth_type: 0x0800,
        ip_proto: 6,
        ipv4_src: '10.0.0.0',
        ipv4_src_mask: '255.255.255.0',
        tcp_dst: 80,
      },
      instructions: [
        { type: 'apply_actions', actions: [...rewrites, { type: 'output', port: 2, maxLen: 0 }] },
      ],
    }),
    flowMod(v, {
      priority: 101,
      match: { eth_type: 0x0806, arp_op: 1, arp_tpa: '10.0.0.1' },
      instructions: [
        { type: 'apply_actions', actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: 0xffff }] },
      ],
    }),
  ];
}

function flows13(): FlowMod[] {
  const v = 4;
  return [
    ...commonFlows(v, [{ type: 'set_field', field: 'ipv4_dst', value: '10.0.0.9' }]),
    flowMod(v, {
      priority: 102,
      hardTimeout: 300,
      flags: 1,
      match: { eth_dst: '00:00:00:00:00:01', vlan_vid: 0x1000 | 10 },
      instructions: [
        {
          type: 'apply_actions',
          actions: [{ type: 'pop_vlan' }, { type: 'output', port: 3, maxLen: 0 }],
        },
      ],
    }),
    flowMod(v, {
      priority: 103,
      match: {
        eth_type: 0x86dd,
        ipv6_src: '2001:db8::',
        ipv6_src_mask: 'ffff:ffff::',
        ip_proto: 58,
        icmpv6_type: 135,
        ipv6_nd_target: '2001:db8::1',
      },
      instructions: [
        { type: 'write_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] },
        { type: 'goto_table', tableId: 1 },
      ],
    }),
    flowMod(v, {
      priority: 104,
      tableId: 1,
      match: { metadata: 5n, metadata_mask: 0xffn },
      instructions: [
        { type: 'write_metadata', metadata: 1n, mask: 0xffn },
        { type: 'goto_table', tableId: 2 },
      ],
    }),
    flowMod(v, {
      priority: 105,
      match: { eth_type: 0x0800, ip_proto: 17, udp_src: 68, ip_dscp: 46 },
      instructions: [
        {
          type: 'apply_actions',
          actions: [
            { type: 'push_vlan', ethertype: 0x8100 },
            { type: 'set_field', field: 'vlan_vid', value: 0x1000 | 5 },
            { type: 'set_queue', queueId: 1 },
            { type: 'output', port: OFPP.IN_PORT, maxLen: 0 },
          ],
        },
      ],
    }),
    flowMod(v, { priority: 106, match: { in_port: 5 }, instructions: [] }),
  ];
}

function flows10(): FlowMod[] {
  const v = 1;
  return [
    ...commonFlows(v, [
      { type: 'set_field', field: 'ipv4_dst', value: '10.0.0.9' },
      { type: 'set_field', field: 'tcp_dst', value: 8080 },
    ]),
    flowMod(v, {
      priority: 102,
      match: { eth_src: '00:00:00:00:00:02', vlan_vid: 0x1000 | 10, vlan_pcp: 3 },
      instructions: [
        {
          type: 'apply_actions',
          actions: [{ type: 'pop_vlan' }, { type: 'enqueue', port: 1, queueId: 2 }],
        },
      ],
    }),
    // Untagged: OVS also pins the PCP bits of the (absent) tag, so it reports vlan_pcp 0 too.
    flowMod(v, { priority: 103, match: { vlan_vid: 0, vlan_pcp: 0 }, instructions: [] }),
    flowMod(v, {
      priority: 104,
      match: { eth_type: 0x0800, ip_proto: 17, udp_dst: 53, ip_dscp: 46 },
      instructions: [
        {
          type: 'apply_actions',
          actions: [
            { type: 'set_field', field: 'udp_src', value: 5353 },
            { type: 'set_field', field: 'eth_dst', value: '00:00:00:00:00:09' },
            { type: 'output', port: OFPP.FLOOD, maxLen: 0 },
          ],
        },
      ],
    }),
  ];
}

/** ovs-ofctl's line without the parts that change between two reads. */
function stable(line: string): string {
  return line
    .replace(/duration=[\d.]+s, /, '')
    .replace(/idle_age=\d+, /, '')
    .replace(/hard_age=\d+, /, '')
    .trim();
}

let mgmtPath = '';

before(async () => {
  await ensureOvs();
  await addTestBridge(BRIDGE, { protocols: 'OpenFlow10,OpenFlow13', failMode: 'secure' });
  mgmtPath = await waitFor(() => RUN_DIRS.map((d) => `${d}/${BRIDGE}.mgmt`).find((p) => existsSync(p)), {
    what: `${BRIDGE}.mgmt socket`,
  });
});

after(async () => {
  await deleteBridge(BRIDGE);
});

for (const [v, make, protocols] of [
  [4, flows13, 'OpenFlow13'],
  [1, flows10, 'OpenFlow10'],
] as const) {
  test(`OF 0x0${v}: OVS accepts our flow mods, returns them as sent, and dump-flows matches formatFlow`, async () => {
    await ofctl(['del-flows', BRIDGE], protocols);
    const c = await MgmtClient.open(mgmtPath, v);
    try {
      const sent = make().map((fm) => ({ ...fm, xid: c.nextXid() }));
      for (const fm of sent) c.send(fm);
      const barrier = c.nextXid();
      c.send({ type: 'barrier_request', version: v, xid: barrier });
      await c.waitFor((m) => m.type === 'barrier_reply' && m.xid === barrier, 'barrier reply');
      assert.deepEqual(c.errors(), [], 'OVS rejected a flow mod');

      const got = await c.flows();
      assert.equal(got.length, sent.length);
      for (const fm of sent) {
        const entry = got.find((e) => e.priority === fm.priority);
        assert.ok(entry, `flow with priority ${fm.priority} is missing`);
        const what = `priority ${fm.priority}`;
        assert.deepStrictEqual(entry.match, fm.match, `${what} match`);
        assert.deepStrictEqual(entry.instructions, fm.instructions, `${what} instructions`);
        assert.equal(entry.cookie, fm.cookie, `${what} cookie`);
        assert.equal(entry.tableId, fm.tableId, `${what} table`);
        assert.equal(entry.idleTimeout, fm.idleTimeout, `${what} idle_timeout`);
        assert.equal(entry.hardTimeout, fm.hardTimeout, `${what} hard_timeout`);
      }

      const ours = got.map((e) => stable(formatFlow(e, v))).sort();
      const theirs = (await ofctl(['dump-flows', BRIDGE], protocols))
        .split('\n')
        .filter((l) => l.startsWith(' cookie='))
        .map(stable)
        .sort();
      assert.deepEqual(ours, theirs);
    } finally {
      c.close();
    }
  });
}

test('OF 0x04: a flow written by ovs-ofctl with register actions decodes (as raw) and can be sent back', async () => {
  await ofctl(['del-flows', BRIDGE], 'OpenFlow13');
  await ofctl(
    ['add-flow', BRIDGE, 'priority=7,ip,actions=load:1->NXM_NX_REG1[],set_field:2->reg2,output:1'],
    'OpenFlow13',
  );
  const c = await MgmtClient.open(mgmtPath, 4);
  try {
    const [entry] = await c.flows();
    assert.ok(entry, 'the flow is read back');
    const actions = entry.instructions.flatMap((i) => ('actions' in i ? i.actions : []));
    // OVS sends load: as a Nicira experimenter action and set_field:->reg2 as a non-basic OXM set_field.
    assert.deepEqual(
      actions.map((a) => a.type),
      ['experimenter', 'raw', 'output'],
    );
    // The raw actions re-encode byte for byte: OVS accepts the copy and prints it the same way.
    const xid = c.nextXid();
    c.send(flowMod(4, { xid, priority: 8, match: entry.match, instructions: entry.instructions }));
    const barrier = c.nextXid();
    c.send({ type: 'barrier_request', version: 4, xid: barrier });
    await c.waitFor((m) => m.type === 'barrier_reply' && m.xid === barrier, 'barrier reply');
    assert.deepEqual(c.errors(), []);
    const lines = (await ofctl(['dump-flows', BRIDGE], 'OpenFlow13'))
      .split('\n')
      .filter((l) => l.includes('priority='));
    const acts = lines.map((l) => l.slice(l.indexOf('actions=')));
    assert.equal(acts.length, 2);
    assert.equal(acts[0], acts[1]);
  } finally {
    c.close();
  }
});
