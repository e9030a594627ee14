/**
 * An independent decoder checks our bytes: every sample message of both versions (plus generated flow
 * mods) goes into a pcap as TCP payload on port 6653, and Wireshark's OpenFlow dissectors must read the
 * same type, xid, length and key fields, with no malformed-packet or error-level expert flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import {
  OFP_VERSION_1_0,
  OXM_FIELDS,
  encode,
  type Action,
  type FlowMod,
  type Match,
  type OfMessage,
  type OfVersion,
} from '../../src/openflow/index.js';
import { VERSIONS, flowMod, sampleMessages } from '../unit/openflow.helpers.js';
import { matchAndInstructions } from '../unit/openflow.arbitraries.js';

const run = promisify(execFile);
const OPENFLOW_PORT = 6653;

// ---------------------------------------------------------------------------------------------------------
// pcap writing (libpcap format, LINKTYPE_ETHERNET) around one TCP stream from 10.0.0.1:40000 to :6653

function ipv4Checksum(h: Buffer): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += h.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function pcapGlobalHeader(): Buffer {
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0); // magic, microsecond timestamps
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(262144, 16); // snaplen
  g.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  return g;
}

function tcpPacket(payload: Buffer, seq: number, index: number): Buffer {
  const eth = Buffer.from('020000000002020000000001' + '0800', 'hex');
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + payload.length, 2);
  ip.writeUInt16BE(index & 0xffff, 4);
  ip.writeUInt16BE(0x4000, 6); // don't fragment
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(ip, 12);
  ip.writeUInt16BE(ipv4Checksum(ip), 10);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(OPENFLOW_PORT, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(1, 8);
  tcp[12] = 5 << 4; // data offset: 5 words
  tcp[13] = 0x18; // PSH|ACK
  tcp.writeUInt16BE(0xffff, 14);
  const frame = Buffer.concat([eth, ip, tcp, payload]);
  const rec = Buffer.alloc(16);
  rec.writeUInt32LE(1_700_000_000 + index, 0);
  rec.writeUInt32LE(frame.length, 8);
  rec.writeUInt32LE(frame.length, 12);
  return Buffer.concat([rec, frame]);
}

export function writePcap(path: string, payloads: Buffer[]): void {
  const parts = [pcapGlobalHeader()];
  let seq = 1;
  payloads.forEach((p, i) => {
    parts.push(tcpPacket(p, seq, i));
    seq += p.length;
  });
  writeFileSync(path, Buffer.concat(parts));
}

// ---------------------------------------------------------------------------------------------------------
// Messages: the unit fixtures, adjusted where Wireshark dissects payloads further than we encode them

/** A well-formed ARP request, so the dissector's Ethernet pass over packet data finds nothing to flag. */
const ARP_FRAME = Buffer.from(
  'ffffffffffff' +
    '000000000001' +
    '0806' +
    '0001080006040001' +
    '000000000001' +
    '0a000001' +
    '000000000000' +
    '0a000002',
  'hex',
);

function forTshark(m: OfMessage): OfMessage {
  switch (m.type) {
    case 'error': // Wireshark dissects error data as the offending message of the same version
      return { ...m, data: Buffer.from([m.version, 5, 0, 8, 0, 0, 0, 1]) };
    case 'packet_in':
      return { ...m, totalLen: ARP_FRAME.length, data: ARP_FRAME };
    case 'packet_out':
      return { ...m, data: ARP_FRAME };
    case 'meter_mod': // Wireshark 4.0 reads past a 16-byte experimenter band (spec size); keep it out
      return { ...m, bands: m.bands.filter((b) => b.type !== 'experimenter') };
    default:
      return m;
  }
}

function generatedFlowMods(v: OfVersion, n: number): FlowMod[] {
  return (
    fc
      .sample(matchAndInstructions(v), { numRuns: n, seed: 42 + v })
      // Wireshark 4.0's OF1.0 dissector reads an action header past the end of an action-less (drop) flow_mod.
      .filter(({ instructions }) => v !== OFP_VERSION_1_0 || instructions.length > 0)
      .map(({ match, instructions }, i) =>
        flowMod(v, { xid: 0x9000 + i, cookie: BigInt(i), priority: 1000 + i, match, instructions }),
      )
  );
}

// ---------------------------------------------------------------------------------------------------------
// Reading tshark's JSON

type Json = Record<string, unknown>;

/** All values of `key` anywhere below `o`, in document order. */
function collect(o: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(o)) for (const x of o) collect(x, key, out);
  else if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o)) {
      if (k === key) {
        if (Array.isArray(v)) out.push(...v);
        else out.push(v);
      } else collect(v, key, out);
    }
  }
  return out;
}

const one = (o: unknown, key: string) => {
  const all = collect(o, key);
  return all.length ? String(all[0]) : undefined;
};

const OFPAT13: Record<Action['type'], number> = {
  output: 0,
  copy_ttl_out: 11,
  copy_ttl_in: 12,
  set_mpls_ttl: 15,
  dec_mpls_ttl: 16,
  push_vlan: 17,
  pop_vlan: 18,
  push_mpls: 19,
  pop_mpls: 20,
  set_queue: 21,
  group: 22,
  set_nw_ttl: 23,
  dec_nw_ttl: 24,
  set_field: 25,
  push_pbb: 26,
  pop_pbb: 27,
  experimenter: 0xffff,
  enqueue: -1,
  raw: -1,
};

/** The OXM entries tshark shows, as [field code, has-mask] in wire order. */
function oxmCodes(match: Json | undefined): [number, number][] {
  const entries = match ? collect(match, 'OXM field') : [];
  return entries.map((e) => [Number(one(e, 'openflow_v4.oxm.field')), Number(one(e, 'openflow_v4.oxm.hm'))]);
}

/** Basic fields in code order, then the opaque ones (other classes) as the codec writes them. */
function expectedOxm(m: Match): [number, number][] {
  const r = m as Record<string, unknown>;
  return [
    ...OXM_FIELDS.filter((f) => r[f.name] !== undefined).map((f): [number, number] => [
      f.code,
      r[`${f.name}_mask`] === undefined ? 0 : 1,
    ]),
    ...(m.opaque ?? []).map((o): [number, number] => [o.field, o.mask ? 1 : 0]),
  ];
}

/** OXM classes tshark shows, in wire order. */
const oxmClasses = (match: Json | undefined) =>
  (match ? collect(match, 'OXM field') : []).map((e) => Number(one(e, 'openflow_v4.oxm.class')));
const expectedClasses = (m: Match) => [
  ...OXM_FIELDS.filter((f) => (m as Record<string, unknown>)[f.name] !== undefined).map(() => 0x8000),
  ...(m.opaque ?? []).map((o) => o.oxmClass),
];

function checkFlowMod13(of: Json, m: FlowMod): void {
  assert.equal(one(of, 'openflow_v4.flowmod.cookie'), `0x${m.cookie.toString(16).padStart(16, '0')}`);
  assert.equal(one(of, 'openflow_v4.flowmod.priority'), String(m.priority));
  assert.equal(one(of, 'openflow_v4.flowmod.table_id'), String(m.tableId));
  assert.equal(one(of, 'openflow_v4.flowmod.idle_timeout'), String(m.idleTimeout));
  assert.deepEqual(oxmCodes(of.Match as Json), expectedOxm(m.match), 'OXM fields');
  assert.deepEqual(oxmClasses(of.Match as Json), expectedClasses(m.match), 'OXM classes');
  const insTypes = collect(of, 'openflow_v4.instruction.type').map(Number);
  const want = {
    goto_table: 1,
    write_metadata: 2,
    write_actions: 3,
    apply_actions: 4,
    clear_actions: 5,
    meter: 6,
    experimenter: 0xffff,
  };
  assert.deepEqual(
    insTypes,
    m.instructions.map((i) => want[i.type]),
    'instruction types',
  );
  const actions = m.instructions.flatMap((i) => ('actions' in i ? i.actions : []));
  assert.deepEqual(
    collect(of, 'openflow_v4.action.type').map(Number),
    actions.map((a) => (a.type === 'raw' ? a.data.readUInt16BE(0) : OFPAT13[a.type])),
    'action types',
  );
  const outputs = actions.flatMap((a) => (a.type === 'output' ? [String(a.port)] : []));
  assert.deepEqual(collect(of, 'openflow_v4.action.output.port').map(String), outputs, 'output ports');
}

function checkFlowMod10(of: Json, m: FlowMod): void {
  assert.equal(one(of, 'openflow.cookie'), `0x${m.cookie.toString(16).padStart(16, '0')}`);
  assert.equal(one(of, 'openflow.priority'), String(m.priority));
  assert.equal(one(of, 'openflow.idle_timeout'), String(m.idleTimeout));
  const mt = m.match;
  if (mt.in_port !== undefined) assert.equal(one(of, 'openflow.in_port'), String(mt.in_port & 0xffff));
  if (mt.eth_type !== undefined) assert.equal(one(of, 'openflow.ofp_match.dl_type'), String(mt.eth_type));
  if (mt.ip_proto !== undefined) assert.equal(one(of, 'openflow.ofp_match.nw_proto'), String(mt.ip_proto));
  if (mt.ipv4_src !== undefined) assert.equal(one(of, 'openflow.ofp_match.source_addr'), mt.ipv4_src);
  if (mt.ipv4_dst !== undefined) assert.equal(one(of, 'openflow.ofp_match.dest_addr'), mt.ipv4_dst);
  const tpDst = mt.tcp_dst ?? mt.udp_dst ?? mt.sctp_dst;
  if (tpDst !== undefined) assert.equal(one(of, 'openflow.ofp_match.dest_port'), String(tpDst));
  if (mt.eth_src !== undefined) assert.equal(one(of, 'openflow.eth_src'), mt.eth_src);
}

/** Key fields per message type, as Wireshark 4.0 names them. */
function checkFields(of: Json, m: OfMessage): void {
  const v4 = m.version === 4;
  switch (m.type) {
    case 'flow_mod':
      return v4 ? checkFlowMod13(of, m) : checkFlowMod10(of, m);
    case 'packet_in':
      if (v4) {
        assert.equal(one(of, 'openflow_v4.packet_in.total_len'), String(m.totalLen));
        assert.equal(one(of, 'openflow_v4.oxm.value_uint32'), String(m.match.in_port));
      } else {
        assert.equal(one(of, 'openflow.total_len'), String(m.totalLen));
        assert.equal(one(of, 'openflow.in_port'), String(m.match.in_port));
      }
      assert.equal(one(of, 'arp.dst.proto_ipv4'), '10.0.0.2', 'packet data dissected as ARP');
      return;
    case 'packet_out': {
      const out = m.actions[0];
      assert.ok(out.type === 'output');
      if (v4) assert.equal(one(of, 'openflow_v4.action.output.port'), String(out.port));
      else assert.equal(one(of, 'openflow.output_port'), String(out.port & 0xffff));
      return;
    }
    case 'features_reply':
      assert.equal(
        one(of, v4 ? 'openflow_v4.switch_features.datapath_id' : 'openflow.datapath_id'),
        `0x${m.datapathId.toString(16).padStart(16, '0')}`,
      );
      return;
    case 'port_status':
      if (v4) {
        assert.equal(one(of, 'openflow_v4.port.port_no'), String(m.desc.portNo));
        assert.equal(one(of, 'openflow_v4.port.hw_addr'), m.desc.hwAddr);
        assert.equal(one(of, 'openflow_v4.port.name'), m.desc.name);
      }
      return;
    case 'flow_removed':
      if (v4) {
        assert.equal(
          one(of, 'openflow_v4.flow_removed.cookie'),
          `0x${m.cookie.toString(16).padStart(16, '0')}`,
        );
        assert.equal(one(of, 'openflow_v4.flow_removed.packet_count'), String(m.packetCount));
        assert.deepEqual(oxmCodes(of.Match as Json), expectedOxm(m.match));
      }
      return;
    case 'stats_request':
    case 'stats_reply': {
      const key = v4
        ? `openflow_v4.multipart_${m.type === 'stats_request' ? 'request' : 'reply'}.type`
        : 'openflow.stats.type';
      assert.ok(one(of, key) !== undefined, key);
      return;
    }
    case 'group_mod':
      assert.equal(one(of, 'openflow_v4.groupmod.group_id'), String(m.groupId));
      assert.deepEqual(
        collect(of, 'openflow_v4.bucket.weight').map(Number),
        m.buckets.map((b) => b.weight),
      );
      return;
    case 'role_request':
    case 'role_reply': {
      const pre = `openflow_v4.${m.type}`;
      assert.equal(one(of, `${pre}.role`), `0x${m.role.toString(16).padStart(8, '0')}`);
      assert.equal(one(of, `${pre}.generation_id`), `0x${m.generationId.toString(16).padStart(16, '0')}`);
      return;
    }
    default:
      return;
  }
}

const STATS_TYPE: Record<string, number> = {
  desc: 0,
  flow: 1,
  aggregate: 2,
  table: 3,
  port: 4,
  queue: 5,
  group: 6,
  group_desc: 7,
  meter: 9,
  meter_config: 10,
  port_desc: 13,
  experimenter: 0xffff,
};

test('tshark decodes every encoded message of both versions to the same fields, none malformed', async () => {
  const msgs = VERSIONS.flatMap((v) => [
    // Wireshark 4.0 flags every OF1.3 experimenter multipart reply malformed, even one with an empty body.
    ...sampleMessages(v)
      .filter((m) => !(m.type === 'stats_reply' && v === 4 && m.body.kind === 'experimenter'))
      .map(forTshark),
    ...generatedFlowMods(v, 40),
  ]);
  const frames = msgs.map(encode);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tshark-'));
  try {
    const file = join(dir, 'openflow.pcap');
    writePcap(file, frames);
    const { stdout } = await run(
      'tshark',
      ['-r', file, '-T', 'json', '--no-duplicate-keys', '-d', `tcp.port==${OPENFLOW_PORT},openflow`],
      { maxBuffer: 256 * 1024 * 1024 },
    );
    const packets = JSON.parse(stdout) as { _source: { layers: Json } }[];
    assert.equal(packets.length, msgs.length, 'one packet per message');
    packets.forEach((p, i) => {
      const m = msgs[i];
      const layers = p._source.layers;
      const what = `packet ${i + 1} (${m.type} v${m.version})`;
      assert.equal(collect(layers, '_ws.malformed').length, 0, `${what} malformed`);
      const severities = collect(layers, '_ws.expert.severity').map(Number);
      assert.ok(
        severities.every((s) => s < 8388608),
        `${what} has an error-level expert item`,
      );
      const of = (m.version === 4 ? layers.openflow_v4 : layers.openflow_v1) as Json;
      assert.ok(of, `${what} not dissected as OpenFlow`);
      const pre = m.version === 4 ? 'openflow_v4' : 'openflow';
      assert.equal(one(of, `${pre}.xid`), String(m.xid), `${what} xid`);
      assert.equal(one(of, `${pre}.length`), String(frames[i].length), `${what} length`);
      assert.equal(
        one(of, m.version === 4 ? 'openflow_v4.type' : 'openflow_1_0.type'),
        String(frames[i][1]),
        `${what} type`,
      );
      if (m.type === 'stats_request' || m.type === 'stats_reply') {
        const key =
          m.version === 4
            ? `openflow_v4.multipart_${m.type === 'stats_request' ? 'request' : 'reply'}.type`
            : 'openflow.stats.type';
        const type = m.body.kind === 'raw' ? m.body.statsType : STATS_TYPE[m.body.kind];
        assert.equal(one(of, key), String(type), `${what} stats type`);
      }
      try {
        checkFields(of, m);
      } catch (e) {
        throw new Error(`${what}: ${(e as Error).message}`);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
