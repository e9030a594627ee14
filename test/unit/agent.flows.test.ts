import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { OFPP, OFP_VERSION_1_3, type Match } from '../../src/openflow/index.js';
import { Pipeline, type FlowSpec, type SwitchSession } from '../../src/controller/index.js';
import { ARP_OP, ETH_TYPE } from '../../src/packet/index.js';
import { FieldError } from '../../src/util/index.js';
import {
  AGENT_PIPELINE,
  OVERLAY_APP,
  OverlayApp,
  networkPorts,
  overlayFlows,
  validateView,
  type BridgeView,
} from '../../src/agent/index.js';
import { NXM } from '../../src/agent/flows.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';

// A packet as the tables see it (the fields the overlay's flows match or rewrite).
interface Pkt {
  in_port: number;
  eth_src: string;
  eth_dst: string;
  eth_type: number;
  ipv4_src?: string;
  arp_op?: number;
  arp_spa?: string;
  arp_tpa?: string;
  arp_sha?: string;
  arp_tha?: string;
}

const NX_FIELD: Record<number, keyof Pkt> = {
  [NXM.ETH_SRC]: 'eth_src',
  [NXM.ETH_DST]: 'eth_dst',
  [NXM.ARP_SPA]: 'arp_spa',
  [NXM.ARP_TPA]: 'arp_tpa',
  [NXM.ARP_SHA]: 'arp_sha',
  [NXM.ARP_THA]: 'arp_tha',
};

function matches(m: Match, p: Pkt, metadata: bigint): boolean {
  return Object.entries(m).every(([k, v]) => {
    if (k === 'metadata') return v === metadata;
    if (!(k in p) && k !== 'ipv4_src' && !k.startsWith('arp_')) throw new Error(`sim: field ${k}`);
    return (p as unknown as Record<string, unknown>)[k] === v;
  });
}

/** OVS's lookup: the highest-priority match of each table; never two equal matches at one priority. */
function run(flows: FlowSpec[], packet: Pkt): { out: number[]; pkt: Pkt } {
  const p = { ...packet };
  let metadata = 0n;
  let table = 0;
  const out: number[] = [];
  for (;;) {
    const hits = flows.filter((f) => f.tableId === table && matches(f.match, p, metadata));
    assert.ok(hits.length > 0, `table ${table} has a catch-all`);
    const top = Math.max(...hits.map((f) => f.priority));
    const best = hits.filter((f) => f.priority === top);
    if (best.length !== 1) assert.fail(`table ${table}: ${best.length} flows tie: ${inspect(best)}`);
    let next: number | undefined;
    for (const ins of best[0].instructions) {
      if (ins.type === 'write_metadata') metadata = ins.metadata;
      else if (ins.type === 'goto_table') next = ins.tableId;
      else if (ins.type === 'apply_actions') {
        for (const a of ins.actions) {
          if (a.type === 'output') {
            const port = a.port === OFPP.IN_PORT ? p.in_port : a.port;
            // OVS never sends a packet back out its in_port unless told IN_PORT.
            if (a.port === OFPP.IN_PORT || port !== p.in_port) out.push(port);
          } else if (a.type === 'set_field') {
            (p as unknown as Record<string, unknown>)[a.field] = a.value;
          } else if (a.type === 'experimenter') {
            const src = NX_FIELD[a.data.readUInt32BE(8)];
            const dst = NX_FIELD[a.data.readUInt32BE(12)];
            (p as unknown as Record<string, unknown>)[dst] = p[src];
          } else throw new Error(`sim: action ${a.type}`);
        }
      } else throw new Error(`sim: instruction ${ins.type}`);
    }
    if (next === undefined) return { out: out.sort((a, b) => a - b), pkt: p };
    assert.ok(next > table, 'goto goes forward');
    table = next;
  }
}

const A = 100;
const B = 200;
const C = 300;
const VIEW: BridgeView = {
  networks: [
    { vni: A, tunnelOfport: 20, gateway: { ofport: 10, mac: '0a:58:0a:01:00:01', ip: '10.1.0.1' } },
    { vni: B, tunnelOfport: 21 },
    { vni: C },
  ],
  local: [
    { ofport: 1, mac: '0a:58:0a:01:00:02', ip: '10.1.0.2', vni: A },
    { ofport: 2, mac: '0a:58:0a:01:00:03', ip: '10.1.0.3', vni: A },
    { ofport: 3, mac: '0a:58:0a:02:00:02', ip: '10.2.0.2', vni: B },
    // Same address as a1 but another network: overlapping subnets are the networks' business, not the bridge's.
    { ofport: 4, mac: '0a:58:0a:01:00:02', ip: '10.1.0.2', vni: C },
  ],
  remote: [
    { mac: '0a:58:0a:01:00:09', ip: '10.1.0.9', vni: A, host: 'h2' },
    { mac: '0a:58:0a:02:00:09', ip: '10.2.0.9', vni: B, host: 'h2' },
    { mac: '0a:58:0a:03:00:09', ip: '10.3.0.9', vni: C, host: 'h2' }, // C has no tunnel here
    { mac: '0a:58:0a:07:00:09', ip: '10.7.0.9', vni: 700, host: 'h3' }, // no such network here
  ],
};
const FLOWS = overlayFlows(VIEW);
const BCAST = 'ff:ff:ff:ff:ff:ff';

/** The network a port belongs to, and each network's ports. */
const portNet = new Map<number, number>();
for (const n of VIEW.networks) for (const p of networkPorts(VIEW, n)) portNet.set(p, n.vni);
const portsOf = (vni: number) => [...portNet].filter(([, v]) => v === vni).map(([p]) => p);

/** What a port legitimately sends from (sources that pass classify). */
function legitSource(port: number): { mac: string; ip: string } {
  const e = VIEW.local.find((x) => x.ofport === port);
  if (e) return e;
  const g = VIEW.networks.find((n) => n.gateway?.ofport === port)?.gateway;
  if (g) return g;
  return { mac: '0a:58:0a:01:00:09', ip: '10.1.0.9' }; // a tunnel: whatever the peer host let through
}

function ipPkt(port: number, eth_dst: string, src = legitSource(port)): Pkt {
  return { in_port: port, eth_src: src.mac, eth_dst, eth_type: ETH_TYPE.IPV4, ipv4_src: src.ip };
}

function arpRequest(port: number, tpa: string, src = legitSource(port)): Pkt {
  return {
    in_port: port,
    eth_src: src.mac,
    eth_dst: BCAST,
    eth_type: ETH_TYPE.ARP,
    arp_op: ARP_OP.REQUEST,
    arp_spa: src.ip,
    arp_sha: src.mac,
    arp_tpa: tpa,
    arp_tha: '00:00:00:00:00:00',
  };
}

const allMacs = [
  BCAST,
  '01:00:5e:00:00:01',
  '33:33:00:00:00:01',
  '0a:58:0a:ff:00:01',
  ...VIEW.local.map((e) => e.mac),
  ...VIEW.remote.map((e) => e.mac),
  VIEW.networks[0].gateway!.mac,
];
const allIps = [...VIEW.local.map((e) => e.ip), ...VIEW.remote.map((e) => e.ip), '10.1.0.1', '10.9.9.9'];

test('property: no packet from a port of one network leaves by a port of another', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...portNet.keys()),
      fc.constantFrom(...allMacs),
      fc.constantFrom(...allIps),
      fc.boolean(),
      (port, dst, tpa, arp) => {
        const pkt = arp ? arpRequest(port, tpa) : ipPkt(port, dst);
        const { out } = run(FLOWS, pkt);
        const mine = portNet.get(port)!;
        for (const o of out)
          assert.equal(portNet.get(o), mine, `port ${port} (VNI ${mine}) reached port ${o}`);
      },
    ),
    { numRuns: 500 },
  );
});

test('property: a port sending from a MAC or address not its own gets nothing through', () => {
  const containerPorts = VIEW.local.map((e) => e.ofport);
  fc.assert(
    fc.property(
      fc.constantFrom(...containerPorts),
      fc.constantFrom(...allMacs.filter((m) => !(parseInt(m.slice(0, 2), 16) & 1))),
      fc.constantFrom(...allIps),
      fc.constantFrom(...allMacs),
      fc.boolean(),
      (port, mac, ip, dst, arp) => {
        const own = legitSource(port);
        fc.pre(mac !== own.mac || ip !== own.ip);
        const pkt = arp
          ? { ...arpRequest(port, '10.1.0.3', { mac, ip }), eth_dst: dst }
          : ipPkt(port, dst, { mac, ip });
        assert.deepEqual(run(FLOWS, pkt).out, []);
      },
    ),
    { numRuns: 500 },
  );
});

test('ARP whose sender hardware address is not the port MAC is dropped', () => {
  const pkt = { ...arpRequest(1, '10.1.0.3'), arp_sha: '0a:58:0a:01:00:03' };
  assert.deepEqual(run(FLOWS, pkt).out, []);
});

test('other EtherTypes, and packets from unknown ports, are dropped', () => {
  assert.deepEqual(run(FLOWS, { ...ipPkt(1, BCAST), eth_type: ETH_TYPE.IPV6, ipv4_src: undefined }).out, []);
  assert.deepEqual(run(FLOWS, ipPkt(99, BCAST, { mac: '0a:58:0a:01:00:02', ip: '10.1.0.2' })).out, []);
});

test('broadcast reaches exactly the network ports, the sender excepted', () => {
  for (const [port, vni] of portNet) {
    const expected = portsOf(vni).filter((p) => p !== port);
    assert.deepEqual(run(FLOWS, ipPkt(port, BCAST)).out, expected, `broadcast from port ${port}`);
  }
  assert.deepEqual(run(FLOWS, ipPkt(1, BCAST)).out, [2, 10, 20]);
  // From the tunnel only to local ports: never back to the other hosts (they got it from the sender).
  assert.deepEqual(run(FLOWS, ipPkt(20, BCAST)).out, [1, 2, 10]);
  assert.deepEqual(run(FLOWS, ipPkt(3, BCAST)).out, [21]);
  assert.deepEqual(run(FLOWS, ipPkt(4, BCAST)).out, []);
});

test('unicast goes to the one port of the MAC within the network', () => {
  assert.deepEqual(run(FLOWS, ipPkt(1, '0a:58:0a:01:00:03')).out, [2]);
  assert.deepEqual(run(FLOWS, ipPkt(1, '0a:58:0a:01:00:09')).out, [20], 'remote endpoint: the tunnel');
  assert.deepEqual(run(FLOWS, ipPkt(1, '0a:58:0a:01:00:01')).out, [10], 'gateway');
  assert.deepEqual(run(FLOWS, ipPkt(20, '0a:58:0a:01:00:02')).out, [1], 'from the tunnel to a local port');
  assert.deepEqual(
    run(FLOWS, ipPkt(10, '0a:58:0a:01:00:03', { mac: '0a:58:0a:01:00:01', ip: '8.8.8.8' })).out,
    [2],
    'the gateway routes: any source address',
  );
  // b1's MAC seen from network A is an unknown MAC there: flooded in A, never to b1.
  assert.deepEqual(run(FLOWS, ipPkt(1, '0a:58:0a:02:00:02')).out, [2, 10, 20]);
  // The same MAC in networks A and C: each network's own port.
  assert.deepEqual(run(FLOWS, ipPkt(2, '0a:58:0a:01:00:02')).out, [1]);
});

test('ARP requests for known addresses are answered back to the asker by flows', () => {
  for (const [tpa, mac] of [
    ['10.1.0.3', '0a:58:0a:01:00:03'],
    ['10.1.0.9', '0a:58:0a:01:00:09'],
    ['10.1.0.1', '0a:58:0a:01:00:01'],
  ]) {
    const { out, pkt } = run(FLOWS, arpRequest(1, tpa));
    assert.deepEqual(out, [1], `answered to port 1 for ${tpa}`);
    assert.deepEqual(
      [pkt.eth_src, pkt.eth_dst, pkt.arp_op, pkt.arp_sha, pkt.arp_spa, pkt.arp_tha, pkt.arp_tpa],
      [mac, '0a:58:0a:01:00:02', ARP_OP.REPLY, mac, tpa, '0a:58:0a:01:00:02', '10.1.0.2'],
    );
  }
  // Addresses of other networks are not answered, and the request stays in its network.
  assert.deepEqual(run(FLOWS, arpRequest(1, '10.2.0.2')).out, [2, 10, 20]);
  // Network C has no tunnel: its remote endpoint is neither answered nor reachable.
  assert.deepEqual(run(FLOWS, arpRequest(4, '10.3.0.9')).out, []);
});

test('a remote endpoint claiming a local MAC or address is ignored: the local one is the truth', () => {
  const view: BridgeView = {
    ...VIEW,
    remote: [{ mac: '0a:58:0a:01:00:03', ip: '10.1.0.77', vni: A, host: 'h2' }],
  };
  const flows = overlayFlows(view);
  assert.deepEqual(run(flows, ipPkt(1, '0a:58:0a:01:00:03')).out, [2]);
  assert.deepEqual(run(flows, arpRequest(1, '10.1.0.77')).out, [2, 10, 20], 'not answered: flooded in A');
});

test('every flow lies in the overlay bands of AGENT_PIPELINE, which the controller accepts', () => {
  const pipeline = new Pipeline(AGENT_PIPELINE);
  pipeline.checkOverlap(OVERLAY_APP, ['core']);
  for (const f of FLOWS) {
    assert.equal(pipeline.refusal(OVERLAY_APP, f, OFP_VERSION_1_3), undefined);
  }
  // The controller's miss entries sit below the overlay's drops: nothing goes to the controller.
  assert.deepEqual(
    pipeline.missFlows().map((f) => f.priority),
    [0, 0],
  );
  assert.ok(FLOWS.filter((f) => Object.keys(f.match).length === 0).every((f) => f.instructions.length === 0));
});

test('an empty view drops everything', () => {
  const flows = overlayFlows({ networks: [], local: [], remote: [] });
  assert.equal(flows.length, 2);
  assert.deepEqual(run(flows, ipPkt(1, BCAST)).out, []);
});

test('bad views are refused with the entry at fault named', () => {
  const bad: [unknown, string][] = [
    [{ ...VIEW, local: [{ ...VIEW.local[0], ofport: 20 }] }, 'local[0].ofport'],
    [{ ...VIEW, local: [{ ...VIEW.local[0], vni: 999 }] }, 'local[0].vni'],
    [{ ...VIEW, local: [{ ...VIEW.local[0], mac: '01:00:5e:00:00:01' }] }, 'local[0].mac'],
    [{ ...VIEW, local: [VIEW.local[0], { ...VIEW.local[1], ip: '10.1.0.2' }] }, 'local[1].ip'],
    [{ ...VIEW, local: [{ ...VIEW.local[0], ip: '10.1.0.300' }] }, 'local[0].ip'],
    [{ ...VIEW, networks: [...VIEW.networks, { vni: A }] }, 'networks[3].vni'],
    [{ ...VIEW, networks: [{ vni: 0 }] }, 'networks[0].vni'],
    [{ ...VIEW, remote: [{ ...VIEW.remote[0], host: '' }] }, 'remote[0].host'],
    [{ networks: [], local: [] }, 'remote'],
    [null, 'view'],
  ];
  for (const [view, field] of bad) {
    assert.throws(
      () => validateView(view),
      (err: unknown) => err instanceof FieldError && err.field === field,
      `expected a FieldError on ${field}`,
    );
  }
});

test('OverlayApp: flows for its bridge only; setView reconciles; a bad view keeps the old one', async () => {
  const app = new OverlayApp({ dpid: 7n, view: VIEW });
  const { ctx, reconciles } = fakeAppContext(tempStore());
  app.start(ctx);
  const sw = (dpid: bigint) => ({ dpid, version: OFP_VERSION_1_3 }) as SwitchSession;
  assert.deepEqual(app.desiredFlows(sw(7n)), FLOWS);
  assert.deepEqual(app.desiredFlows(sw(8n)), []);

  const smaller: BridgeView = { networks: [VIEW.networks[1]], local: [VIEW.local[2]], remote: [] };
  assert.deepEqual(await app.setView(smaller), []);
  assert.deepEqual(reconciles, [OVERLAY_APP]);
  assert.deepEqual(app.desiredFlows(sw(7n)), overlayFlows(smaller));

  await assert.rejects(app.setView({ ...smaller, local: [{ ...VIEW.local[2], vni: 5 }] }), FieldError);
  assert.deepEqual(app.view, smaller);
  assert.equal(reconciles.length, 1);
});
