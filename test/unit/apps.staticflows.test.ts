import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EntryError,
  GroupWriter,
  StaticFlowsApp,
  checkForSwitch,
  entryFlowSpec,
  entryInstructions,
  entryToJson,
  parseEntry,
} from '../../src/apps/staticflows/index.js';
import {
  DEFAULT_PIPELINE,
  Reconciler,
  diffFlows,
  type AppContext,
  type ReconcileRequest,
  type SwitchSession,
} from '../../src/controller/index.js';
import {
  OFPFC,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  type ErrorMsg,
  type FlowMod,
  type FlowStatsEntry,
  type OfVersion,
} from '../../src/openflow/index.js';
import { openEmbeddedStore, type Store } from '../../src/store/index.js';
import { ConflictError, NotFoundError } from '../../src/util/index.js';

const SW = '00:00:00:00:00:00:00:01';
const base = { switch: SW, name: 'f1' };

function fault(body: unknown): EntryError {
  try {
    parseEntry(body);
  } catch (err) {
    assert.ok(err instanceof EntryError, `expected EntryError, got ${String(err)}`);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(body)}`);
}

test('parses Floodlight entries: names, strings or numbers, defaults; empty actions means drop', () => {
  const e = parseEntry({ ...base, eth_type: '0x800', ipv4_dst: '10.0.0.2', actions: 'output=2' });
  assert.equal(e.dpid, 1n);
  assert.equal(e.priority, 32768);
  // No table given: the pipeline's forwarding stage (OpenFlow 1.3's last table), after firewall, ACL and QoS.
  assert.equal(e.tableId, undefined);
  assert.equal(
    entryFlowSpec(e, 0n).tableId,
    DEFAULT_PIPELINE.place('forwarding', 'paths', OFP_VERSION_1_3).tableId,
  );
  assert.equal(parseEntry({ ...base, table: 0, actions: 'output=2' }).tableId, 0);
  assert.equal(e.active, true);
  assert.equal(e.cookie, undefined);
  assert.deepEqual(e.match, { eth_type: 0x800, ipv4_dst: '10.0.0.2' });
  assert.deepEqual(entryInstructions(e), [
    { type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0xffff }] },
  ]);
  const n = parseEntry({ ...base, priority: 100, eth_type: 2048, ip_proto: 6, tcp_dst: 80, actions: '' });
  assert.deepEqual(n.match, { eth_type: 0x800, ip_proto: 6, tcp_dst: 80 });
  assert.deepEqual(entryInstructions(n), [], 'empty actions is a drop');
  assert.deepEqual(entryInstructions(parseEntry({ ...base })), [], 'no actions key is a drop too');
  assert.equal(parseEntry({ ...base, active: 'false' }).active, false);
  assert.equal(parseEntry({ ...base, switch: '0x1' }).dpid, 1n);
});

test('1.0-era keys and OpenFlow 1.0 names are aliases; listing emits canonical names', () => {
  const e = parseEntry({
    ...base,
    'ingress-port': '1',
    'src-mac': '00:00:00:00:00:01',
    'dst-mac': '00-00-00-00-00-02',
    'ether-type': '0x0800',
    'src-ip': '10.0.0.1',
    'dst-ip': '10.0.0.0/8',
    protocol: '17',
    'src-port': '1000',
    'dst-port': '53',
    'tos-bits': '40',
    actions: 'set-dst-ip=10.0.0.9,set-tos-bits=8,strip-vlan,output=flood',
  });
  const j = entryToJson(e);
  assert.equal(j.in_port, '1');
  assert.equal(j.eth_src, '00:00:00:00:00:01');
  assert.equal(j.eth_dst, '00:00:00:00:00:02');
  assert.equal(j.eth_type, '0x0800');
  assert.equal(j.ipv4_dst, '10.0.0.0/8');
  assert.equal(j.ip_proto, '17');
  assert.equal(j.udp_src, '1000', 'src-port resolves by ip_proto');
  assert.equal(j.udp_dst, '53');
  assert.equal(j.ip_dscp, '10', 'tos-bits is the ToS byte: DSCP 10');
  assert.equal(j.actions, 'set_field=ipv4_dst->10.0.0.9,set_field=ip_dscp->2,pop_vlan,output=flood');
  const o = parseEntry({ ...base, dl_type: '0x800', nw_proto: 6, tp_dst: 22, nw_src: '1.2.3.4' });
  assert.deepEqual(o.match, { eth_type: 0x800, ip_proto: 6, tcp_dst: 22, ipv4_src: '1.2.3.4' });
});

test('every supported field and action round-trips through the canonical form', () => {
  const bodies: Record<string, string | number>[] = [
    {
      ...base,
      cookie: '0x1234567890abcdef',
      table: 1,
      priority: '7',
      idle_timeout: 10,
      hard_timeout: '20',
      in_port: 1,
      metadata: '0x10/0xff',
      eth_src: '00:00:00:00:00:01/ff:ff:ff:00:00:00',
      eth_vlan_vid: 10,
      eth_vlan_pcp: 3,
      eth_type: '0x86dd',
      ip_proto: 58,
      ip_ecn: 1,
      ipv6_src: 'fe80::1/64',
      ipv6_label: '0x12345',
      icmpv6_type: 135,
      icmpv6_code: 0,
      ipv6_nd_target: 'fe80::2',
      ipv6_nd_sll: '00:00:00:00:00:09',
      tunnel_id: '0x42',
      actions:
        'set_queue=1,group=2,push_vlan=0x8100,set_field=eth_vlan_vid->5,pop_vlan,dec_nw_ttl,set_nw_ttl=9,copy_ttl_out,copy_ttl_in,output=controller,meter=3,goto_table=4',
      instruction_write_actions: 'output=2',
      instruction_clear_actions: 'true',
      instruction_write_metadata: '0x1/0xf',
    },
    {
      ...base,
      eth_type: '0x806',
      arp_opcode: 1,
      arp_spa: '10.0.0.1',
      arp_tpa: '10.0.0.0/24',
      arp_sha: '00:00:00:00:00:01',
      arp_tha: '00:00:00:00:00:02',
    },
    {
      ...base,
      eth_type: '0x800',
      ip_proto: 132,
      sctp_src: 1,
      sctp_dst: 2,
      ip_dscp: 46,
      ipv4_src: '10.1.2.3/255.255.0.255',
    },
    { ...base, eth_type: '0x800', ip_proto: 1, icmpv4_type: 8, icmpv4_code: 0, actions: 'enqueue=1:3' },
    {
      ...base,
      eth_type: '0x8847',
      mpls_label: 100,
      mpls_tc: 1,
      mpls_bos: 1,
      actions: 'pop_mpls=0x0800,set_mpls_ttl=3,dec_mpls_ttl',
    },
    {
      ...base,
      eth_type: '0x88e7',
      pbb_isid: '0x100/0xff00',
      actions: 'pop_pbb,push_pbb=0x88e7,push_mpls=0x8847',
    },
    {
      ...base,
      eth_type: '0x86dd',
      ipv6_exthdr: '4/4',
      ipv6_dst: '2001:DB8:0:0::1',
      actions: 'set_field=ipv6_dst->2001:db8::2',
    },
    {
      ...base,
      eth_vlan_vid: 'untagged',
      actions: 'set_vlan_vid=7,set_vlan_pcp=2,set_eth_src=00:00:00:00:00:05,output=in_port',
    },
    {
      ...base,
      in_phys_port: 2,
      eth_type: 0x800,
      ip_proto: 6,
      actions: 'set_tp_dst=8080,set_field=tcp_src->1,output=local',
    },
  ];
  for (const body of bodies) {
    const e = parseEntry(body);
    const j = entryToJson(e);
    assert.deepEqual(parseEntry(j), e, `round trip of ${body.actions ?? JSON.stringify(body)}`);
    assert.deepEqual(entryToJson(parseEntry(j)), j);
  }
  const e = parseEntry(bodies[0]);
  assert.equal(e.cookie, 0x1234567890abcdefn, "the user's cookie is kept exactly");
  assert.equal(entryFlowSpec(e, 10n << 48n).cookie, 0x1234567890abcdefn);
  assert.deepEqual(
    entryInstructions(e).map((i) => i.type),
    ['meter', 'apply_actions', 'clear_actions', 'write_actions', 'write_metadata', 'goto_table'],
    'OpenFlow 1.3 instruction order',
  );
  assert.equal(entryToJson(parseEntry(bodies[6])).ipv6_dst, '2001:db8::1', 'IPv6 in compressed form');
  assert.equal(entryToJson(parseEntry(bodies[0])).ipv6_src, 'fe80::/64', 'value normalised to the mask');
});

test('bad input names the field and the reason', () => {
  const cases: [unknown, string, RegExp][] = [
    [[], 'body', /JSON object/],
    [null, 'body', /JSON object/],
    [{ name: 'x' }, 'switch', /required/],
    [{ switch: 'nope', name: 'x' }, 'switch', /not a DPID/],
    [{ switch: SW }, 'name', /required/],
    [{ switch: SW, name: '' }, 'name', /non-empty/],
    [{ switch: SW, name: 'a/b' }, 'name', /must not contain/],
    [{ ...base, bogus: 1 }, 'bogus', /not a known field/],
    [{ ...base, ipv4_dst: '10.0.0.1' }, 'ipv4_dst', /needs eth_type 0x0800/],
    [{ ...base, eth_type: '0x806', ipv4_dst: '10.0.0.1' }, 'ipv4_dst', /the match has eth_type 0x0806/],
    [{ ...base, udp_dst: 53 }, 'udp_dst', /ip_proto 17 \(UDP\)/],
    [{ ...base, eth_type: '0x800', tcp_dst: 80 }, 'tcp_dst', /needs ip_proto 6 \(TCP\)/],
    [{ ...base, eth_type: '0x800', ip_proto: 17, tcp_dst: 80 }, 'tcp_dst', /the match has ip_proto 17/],
    [{ ...base, 'dst-port': 80 }, 'dst-port', /needs ip_proto/],
    [
      { ...base, eth_type: '0x86dd', ip_proto: 58, ipv6_nd_target: '::1' },
      'ipv6_nd_target',
      /icmpv6_type 135 or 136/,
    ],
    [{ ...base, eth_vlan_pcp: 1 }, 'eth_vlan_pcp', /VLAN tag/],
    [{ ...base, mpls_label: 1 }, 'mpls_label', /0x8847/],
    [{ ...base, eth_type: 'ipv4' }, 'eth_type', /not a number/],
    [{ ...base, eth_type: 0x10000 }, 'eth_type', /out of range/],
    [{ ...base, priority: 70000 }, 'priority', /out of range 0..65535/],
    [{ ...base, priority: -1 }, 'priority', /out of range/],
    [{ ...base, priority: 1.5 }, 'priority', /out of range/],
    [{ ...base, table: 255 }, 'table', /out of range/],
    [{ ...base, cookie: 2 ** 60 }, 'cookie', /as strings/],
    [{ ...base, cookie: '0x10000000000000000' }, 'cookie', /64 bits/],
    [{ ...base, active: 'maybe' }, 'active', /true or false/],
    [{ ...base, eth_src: 'zz:00:00:00:00:00' }, 'eth_src', /not a MAC/],
    [{ ...base, eth_type: '0x800', ipv4_src: '10.0.0.300' }, 'ipv4_src', /not an IPv4/],
    [{ ...base, eth_type: '0x800', ipv4_src: '10.0.0.1/33' }, 'ipv4_src', /prefix length/],
    [{ ...base, eth_type: '0x86dd', ipv6_src: '1::2::3' }, 'ipv6_src', /not an IPv6/],
    [{ ...base, eth_type: '0x800', ip_proto: '6/255' }, 'ip_proto', /cannot be masked/],
    [{ ...base, in_port: 0 }, 'in_port', /out of range/],
    [{ ...base, in_port: 'flood' }, 'in_port', /cannot be used here/],
    [{ ...base, eth_type: '0x800', ip_dscp: 64 }, 'ip_dscp', /out of range 0..63/],
    [{ ...base, eth_type: '0x800', ip_tos: 41 }, 'ip_tos', /ECN bits/],
    [{ ...base, eth_type: '0x800', ip_tos: 40, ip_dscp: 10 }, 'ip_dscp', /already sets|same field/],
    [
      { ...base, ipv4_src: '1.1.1.1', 'src-ip': '1.1.1.1', eth_type: '0x800' },
      'src-ip',
      /same field as ipv4_src/,
    ],
    [{ ...base, eth_type: { x: 1 } }, 'eth_type', /string or number/],
    [{ ...base, actions: 'output=' }, 'actions', /needs a value/],
    [{ ...base, actions: 'output=banana' }, 'actions', /not a port number/],
    [{ ...base, actions: 'output=table' }, 'actions', /not a port number/],
    [{ ...base, actions: 'fly=1' }, 'actions', /unknown action 'fly'/],
    [{ ...base, actions: 'output=1,,output=2' }, 'actions', /empty action/],
    [{ ...base, actions: 'set_field=eth_dst' }, 'actions', /FIELD->VALUE/],
    [{ ...base, actions: 'set_field=bogus->1' }, 'actions', /not a field that set_field can set/],
    [
      { ...base, actions: 'set_field=ipv4_dst->10.0.0.1' },
      'actions',
      /setting ipv4_dst needs eth_type 0x0800/,
    ],
    [{ ...base, actions: 'set_tp_dst=80' }, 'actions', /needs ip_proto/],
    [{ ...base, actions: 'enqueue=1' }, 'actions', /PORT:QUEUE/],
    [{ ...base, actions: 'dec_nw_ttl=3' }, 'actions', /takes no value/],
    [{ ...base, actions: 'goto_table=1,goto_table=2' }, 'actions', /given twice/],
    [{ ...base, table: 2, actions: 'goto_table=1' }, 'actions', /later table/],
    [
      { ...base, actions: 'meter=1', instruction_goto_meter: 2 },
      'instruction_goto_meter',
      /already in actions/,
    ],
    [
      { ...base, instruction_write_actions: 'goto_table=3' },
      'instruction_write_actions',
      /instruction, not an action/,
    ],
    [{ ...base, actions: 5 }, 'actions', /must be a string/],
    [
      { ...base, actions: 'output=1', instruction_apply_actions: 'output=2' },
      'instruction_apply_actions',
      /not both/,
    ],
    [{ ...base, entry_type: 'group' }, 'entry_type', /only 'flow'/],
  ];
  for (const [body, field, reason] of cases) {
    const err = fault(body);
    assert.equal(err.field, field, `field for ${JSON.stringify(body)}: ${err.message}`);
    assert.match(err.reason, reason, `reason for ${JSON.stringify(body)}`);
    assert.equal(err.code, 'SLU_STATICFLOW_INVALID');
  }
});

const ports = (...n: number[]) => new Map(n.map((p) => [p, {}]));

test('switch checks: the version must carry every field/action; ports must exist', () => {
  const on10 = { dpid: 1n, version: OFP_VERSION_1_0 as OfVersion, ports: ports(1, 2) };
  const on13 = { dpid: 1n, version: OFP_VERSION_1_3 as OfVersion, ports: ports(1, 2) };
  const check = (body: object, sw: typeof on10) => {
    try {
      checkForSwitch(parseEntry({ ...base, ...body }), sw, 10n << 48n);
      return undefined;
    } catch (err) {
      return err as EntryError;
    }
  };
  assert.equal(check({ eth_type: '0x800', ipv4_dst: '10.0.0.2', actions: 'output=2' }, on10), undefined);
  assert.equal(check({ actions: 'set_queue=1,output=2' }, on13), undefined);
  const cases: [object, typeof on10, string, RegExp][] = [
    [{ actions: 'set_queue=1,output=2' }, on10, 'actions', /set_queue=1: .*not in OpenFlow 1\.0/],
    [{ actions: 'enqueue=1:1' }, on13, 'actions', /enqueue=1:1: .*OpenFlow 1\.0 only/],
    [{ table: 0, actions: 'goto_table=1' }, on10, 'actions', /goto_table=1: /],
    [{ actions: 'meter=1,output=1' }, on10, 'actions', /meter=1: /],
    [{ eth_type: '0x86dd', ipv6_src: '::1' }, on10, 'ipv6_src', /not carried by OpenFlow 1\.0/],
    [{ eth_type: '0x800', ipv4_src: '10.0.0.0/255.0.255.0' }, on10, 'ipv4_src', /prefix/],
    [{ table: 3 }, on10, 'table', /single table/],
    [{ in_port: 9 }, on13, 'in_port', /has no port 9 \(it has 1, 2\)/],
    [{ actions: 'output=7' }, on13, 'actions', /output=7: .*no port 7/],
    [{ instruction_write_actions: 'output=7' }, on13, 'instruction_write_actions', /no port 7/],
    [{ actions: 'enqueue=5:1' }, on10, 'actions', /no port 5/],
  ];
  for (const [body, sw, field, reason] of cases) {
    const err = check(body, sw);
    assert.ok(err, `accepted ${JSON.stringify(body)}`);
    assert.equal(err.field, field, err.message);
    assert.match(err.reason, reason);
  }
  assert.equal(
    check({ in_port: 'local', actions: 'output=controller' }, on13),
    undefined,
    'reserved ports need no check',
  );
});

/** Switch flows as OVS keeps them: ADD replaces by (table, priority, match), DELETE_STRICT removes one. */
class FakeSession {
  readonly flows = new Map<string, FlowStatsEntry>();
  readonly sent: FlowMod[] = [];
  connected = true;
  private xid = 1;
  rejectNext?: ErrorMsg;
  constructor(
    readonly dpid: bigint,
    readonly version: OfVersion,
    readonly ports: Map<number, unknown>,
    private readonly emitError: (sw: FakeSession, msg: ErrorMsg) => void,
  ) {}
  private key(f: { tableId: number; priority: number; match: object }) {
    return `${f.tableId}|${f.priority}|${JSON.stringify(f.match)}`;
  }
  send(msg: Omit<FlowMod, 'version' | 'xid'>): number {
    const xid = this.xid++;
    const fm = { ...msg, version: this.version, xid } as FlowMod;
    this.sent.push(fm);
    if (this.rejectNext) {
      const e = { ...this.rejectNext, xid };
      this.rejectNext = undefined;
      // The switch answers later, as a real one does.
      queueMicrotask(() => this.emitError(this, e));
      return xid;
    }
    if (fm.command === OFPFC.ADD) {
      this.flows.set(this.key(fm), {
        tableId: fm.tableId,
        durationSec: 1,
        durationNsec: 0,
        priority: fm.priority,
        idleTimeout: fm.idleTimeout,
        hardTimeout: fm.hardTimeout,
        flags: fm.flags,
        cookie: fm.cookie,
        packetCount: 7n,
        byteCount: 700n,
        match: fm.match,
        instructions: fm.instructions,
      });
    } else if (fm.command === OFPFC.DELETE_STRICT) {
      const cur = this.flows.get(this.key(fm));
      if (cur && (fm.cookieMask === 0n || cur.cookie === fm.cookie)) this.flows.delete(this.key(fm));
    }
    return xid;
  }
  async barrier() {}
  async stats() {
    return { kind: 'flow', flows: [...this.flows.values()] };
  }
}

const asSession = (s: FakeSession) => s as unknown as SwitchSession;

async function harness(t: { after: (fn: () => Promise<void> | void) => void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-unit-'));
  let store: Store = openEmbeddedStore(dir);
  const switches = new Map<bigint, FakeSession>();
  let errorListener: ((sw: FakeSession, msg: ErrorMsg) => void) | undefined;
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const sessions = () => [...switches.values()].map(asSession);
  // The real reconciler over the fake sessions; the switch's OFPT_ERRORs go to it as the controller's do.
  const ctxOf = (s: Store, app: StaticFlowsApp) => {
    const reconciler = new Reconciler({
      apps: () => [app],
      switches: sessions,
      guard: (_a, _h, fn) => fn(),
      log: quiet,
    });
    errorListener = (sw, msg) => void reconciler.switchError(asSession(sw), msg);
    return {
      controller: { switches, on: () => () => {}, off() {}, requestReconcile() {}, metrics: {} },
      store: s,
      log: quiet,
      now: () => 0,
      requestReconcile() {},
      reconcile: (req: ReconcileRequest) => reconciler.reconcile(req),
      app: () => undefined,
    } as unknown as AppContext;
  };
  const app = new StaticFlowsApp();
  await app.start(ctxOf(store, app));
  t.after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const connect = (dpid: bigint, version: OfVersion, ...p: number[]) => {
    const s = new FakeSession(dpid, version, ports(...p), (sw, m) => errorListener?.(sw, m));
    switches.set(dpid, s);
    return s;
  };
  /** A controller restart: a new app over the same store. */
  const restart = async () => {
    await store.close();
    store = openEmbeddedStore(dir);
    const again = new StaticFlowsApp();
    await again.start(ctxOf(store, again));
    return again;
  };
  return {
    app,
    connect,
    restart,
    stored: async () => (await store.list('/apps/staticflows/entries/')).map((e) => e.key),
  };
}

test('add stores before answering and pushes with a barrier; delete removes exactly that flow', async (t) => {
  const h = await harness(t);
  const s1 = h.connect(1n, OFP_VERSION_1_3, 1, 2);
  const r = await h.app.add({ ...base, eth_type: '0x800', ipv4_dst: '10.0.0.2', actions: 'output=2' });
  assert.deepEqual(r, { name: 'f1', pushed: true, replaced: false });
  assert.deepEqual(await h.stored(), ['/apps/staticflows/entries/f1']);
  await h.app.add({
    ...base,
    name: 'user',
    cookie: '0xbeef',
    eth_type: '0x800',
    ipv4_dst: '10.0.0.3',
    actions: '',
  });
  assert.equal(s1.flows.size, 2);
  assert.ok(
    [...s1.flows.values()].some((f) => f.cookie === 0xbeefn),
    'user cookie on the switch',
  );
  const listed = await h.app.list('all');
  assert.deepEqual(
    listed.map((l) => [l.entry.name, l.state, l.flow?.packetCount]),
    [
      ['f1', 'installed', 7n],
      ['user', 'installed', 7n],
    ],
  );
  await h.app.delete('user');
  assert.equal(s1.flows.size, 1);
  assert.equal([...s1.flows.values()][0].match.ipv4_dst, '10.0.0.2', 'only the deleted entry’s flow went');
  const del = s1.sent.at(-1)!;
  assert.equal(del.command, OFPFC.DELETE_STRICT);
  assert.equal(del.cookie, 0xbeefn);
  await assert.rejects(h.app.delete('user'), (e) => e instanceof NotFoundError && e.field === 'name');
  assert.deepEqual(await h.stored(), ['/apps/staticflows/entries/f1']);
});

test('bad entries, unknown ports, clashes and switch rejections leave the store unchanged', async (t) => {
  const h = await harness(t);
  const s1 = h.connect(1n, OFP_VERSION_1_0, 1, 2);
  await h.app.add({ ...base, eth_type: '0x800', actions: 'output=1' });
  const before = await h.stored();
  await assert.rejects(
    h.app.add({ ...base, name: 'b', udp_dst: 53 }),
    (e: EntryError) => e.field === 'udp_dst',
  );
  await assert.rejects(
    h.app.add({ ...base, name: 'b', in_port: 9 }),
    (e: EntryError) => e.field === 'in_port',
  );
  await assert.rejects(
    h.app.add({ ...base, name: 'b', actions: 'set_queue=1' }),
    (e: EntryError) => e.field === 'actions',
  );
  await assert.rejects(
    h.app.add({ ...base, name: 'clash', eth_type: '0x800', actions: 'output=2' }),
    (e) => e instanceof ConflictError && /entry 'f1'/.test(e.reason),
  );
  s1.rejectNext = { type: 'error', version: 1, xid: 0, errType: 3, code: 0, data: Buffer.alloc(0) };
  await assert.rejects(h.app.add({ ...base, name: 'rej', eth_type: '0x806' }), /rejected the flow/);
  assert.deepEqual(await h.stored(), before);
  assert.equal(h.app.get('rej'), undefined);
  await assert.rejects(
    h.app.addMany([
      { ...base, name: 'ok1' },
      { ...base, name: 'bad', bogus: 1 },
    ]),
    (e: EntryError) => e.field === '[1].bogus',
  );
  assert.deepEqual(await h.stored(), before, 'a bad list stores nothing');
});

test('entries for absent switches are stored, pushed by desiredFlows on connect, and survive a restart', async (t) => {
  const h = await harness(t);
  const r = await h.app.add({
    switch: '2',
    name: 'later',
    cookie: 77,
    eth_type: '0x800',
    actions: 'output=1',
  });
  assert.equal(r.pushed, false);
  assert.equal((await h.app.list('2'))[0].state, 'switch_not_connected');
  const app2 = await h.restart();
  const s2 = h.connect(2n, OFP_VERSION_1_3, 1);
  const desired = app2.desiredFlows(asSession(s2));
  assert.equal(desired.length, 1);
  assert.equal(desired[0].cookie, 77n);
  // The reconciler's view: nothing on the switch yet -> one add; after it, nothing to do (no re-add).
  const own = (f: FlowStatsEntry) => app2.ownsFlow(asSession(s2), f);
  const first = diffFlows(desired, [...s2.flows.values()].filter(own), app2.cookie, OFP_VERSION_1_3);
  assert.equal(first.add.length, 1);
  for (const spec of first.add) {
    s2.send({
      type: 'flow_mod',
      cookie: spec.cookie!,
      cookieMask: 0n,
      tableId: spec.tableId,
      command: OFPFC.ADD,
      idleTimeout: 0,
      hardTimeout: 0,
      priority: spec.priority,
      bufferId: 0xffffffff,
      outPort: 0xffffffff,
      outGroup: 0xffffffff,
      flags: 0,
      match: spec.match,
      instructions: spec.instructions,
    });
  }
  const owned = [...s2.flows.values()].filter(own);
  assert.equal(owned.length, 1, 'a user-cookie flow is owned by its entry');
  const second = diffFlows(desired, owned, app2.cookie, OFP_VERSION_1_3);
  assert.deepEqual([second.add.length, second.remove.length, second.unchanged], [0, 0, 1]);
  // A flow of someone else with the same match but another cookie is not ours.
  assert.equal(own({ ...owned[0], cookie: 3n << 48n }), false);
});

test('on an OpenFlow 1.0 switch (one table) user-cookie entries are found, listed and left alone', async (t) => {
  // Entries default to the forwarding stage's OpenFlow 1.3 table; a 1.0 switch reports every flow in table 0.
  const h = await harness(t);
  const s1 = h.connect(1n, OFP_VERSION_1_0, 1, 2);
  await h.app.add({
    ...base,
    name: 'user',
    cookie: '0x5151',
    eth_type: 2048,
    ip_proto: 17,
    udp_dst: 9999,
    actions: 'output=2',
  });
  await h.app.add({ ...base, name: 'drop', priority: 40000, in_port: 1, eth_type: '0x0800', actions: '' });
  assert.deepEqual(
    [...s1.flows.values()].map((f) => f.tableId),
    [0, 0],
    'a 1.0 switch holds them in table 0',
  );
  const listed = await h.app.list('all');
  assert.deepEqual(
    listed.map((l) => [l.entry.name, l.state]),
    [
      ['drop', 'installed'],
      ['user', 'installed'],
    ],
  );
  const app2 = await h.restart();
  const own = (f: FlowStatsEntry) => app2.ownsFlow(asSession(s1), f);
  const owned = [...s1.flows.values()].filter(own);
  assert.equal(owned.length, 2, "the user's cookie flow is owned by its entry on 1.0 too");
  const diff = diffFlows(app2.desiredFlows(asSession(s1)), owned, app2.cookie, OFP_VERSION_1_0);
  assert.deepEqual(
    [diff.add.length, diff.remove.length, diff.unchanged],
    [0, 0, 2],
    'a restart re-adds nothing',
  );
});

test('clear removes one switch’s entries or all; inactive entries are stored but not pushed', async (t) => {
  const h = await harness(t);
  const s1 = h.connect(1n, OFP_VERSION_1_3, 1, 2);
  await h.app.add({ ...base, name: 'a', in_port: 1, actions: 'output=2' });
  await h.app.add({ ...base, name: 'b', in_port: 2, actions: 'output=1', active: false });
  await h.app.add({ switch: '2', name: 'c', actions: '' });
  assert.equal(s1.flows.size, 1, 'the inactive entry is not on the switch');
  assert.equal((await h.app.list('1')).find((l) => l.entry.name === 'b')?.state, 'inactive');
  assert.equal(await h.app.clear(SW), 2);
  assert.equal(s1.flows.size, 0);
  assert.deepEqual(await h.stored(), ['/apps/staticflows/entries/c']);
  assert.equal(await h.app.clear('all'), 1);
  assert.deepEqual(await h.stored(), []);
  await assert.rejects(h.app.clear('nope'), (e: EntryError) => e.field === 'dpid');
});

test('concurrent adds share store commits (group commit)', async (t) => {
  const h = await harness(t);
  h.connect(1n, OFP_VERSION_1_3, 1, 2);
  const n = 200;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      h.app.add({ ...base, name: `f${i}`, priority: i, actions: 'output=1' }),
    ),
  );
  assert.equal((await h.stored()).length, n);
  assert.ok(h.app.storeStats.commits < n / 10, `${h.app.storeStats.commits} commits for ${n} adds`);
});

test('GroupWriter falls back to single writes on stores without batch', async () => {
  const done: string[] = [];
  const store = {
    put: async (k: string) => void done.push(`put ${k}`),
    delete: async (k: string) => void done.push(`delete ${k}`),
  } as unknown as Store;
  const w = new GroupWriter(store);
  await Promise.all([w.put('/a', 1), w.delete('/b')]);
  assert.deepEqual(done, ['put /a', 'delete /b']);
  assert.deepEqual(w.stats, { commits: 1, ops: 2 });
});
