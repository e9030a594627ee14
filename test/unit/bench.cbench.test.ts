import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  answeredId,
  buildArpFrame,
  buildPacketIn,
  buildSwitchPacketIns,
  buildUdpFrame,
  classifyReply,
  FRAME_LEN,
  FRAME_SEQ_OFFSET,
  hostIpv4,
  hostMac,
  NO_BUFFER,
  OFPT10,
  PACKET_IN_LEN,
  stampPacketIn,
} from '../../bench/cbench/frames.js';
import { loopStats, percentile } from '../../bench/cbench.js';
import { FrameReader } from '../../src/openflow/index.js';
import { countHosts, parseHostGauge } from '../../bench/memory.js';

function header(type: number, len: number, xid = 7): Buffer {
  const b = Buffer.alloc(len);
  b[0] = 1;
  b[1] = type;
  b.writeUInt16BE(len, 2);
  b.writeUInt32BE(xid, 4);
  return b;
}

/** OF1.0 FLOW_MOD with one output action (72 + 8 bytes). */
function flowMod(command: number, bufferId: number): Buffer {
  const b = header(OFPT10.FLOW_MOD, 80);
  b.writeUInt16BE(command, 56);
  b.writeUInt32BE(bufferId, 64);
  b.writeUInt16BE(0, 72); // OFPAT_OUTPUT
  b.writeUInt16BE(8, 74);
  b.writeUInt16BE(2, 76);
  return b;
}

/** OF1.0 PACKET_OUT with one output action and `data`. */
function packetOut(bufferId: number, data: Buffer): Buffer {
  const b = header(OFPT10.PACKET_OUT, 16 + 8 + data.length);
  b.writeUInt32BE(bufferId, 8);
  b.writeUInt16BE(1, 12);
  b.writeUInt16BE(8, 14);
  b.writeUInt16BE(0, 16);
  b.writeUInt16BE(8, 18);
  b.writeUInt16BE(0xfffb, 20); // FLOOD
  data.copy(b, 24);
  return b;
}

test('UDP frame: 60 bytes, IPv4 ethertype, valid header checksum, addresses in place', () => {
  const src = hostMac(3, 5);
  const dst = hostMac(3, 6);
  const f = buildUdpFrame({ src, dst, srcIp: hostIpv4(3, 5), dstIp: hostIpv4(3, 6) });
  assert.equal(f.length, FRAME_LEN);
  assert.deepEqual(f.subarray(0, 6), dst);
  assert.deepEqual(f.subarray(6, 12), src);
  assert.equal(f.readUInt16BE(12), 0x0800);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += f.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  assert.equal(sum, 0xffff, 'IPv4 header checksum verifies');
  assert.equal(f[23], 17, 'UDP');
});

test('host addresses: unicast MACs and distinct IPv4s for 1,000 switches x 100 hosts', () => {
  const ips = new Set<number>();
  const macs = new Set<string>();
  for (let s = 1; s <= 1000; s++)
    for (let i = 0; i < 100; i++) {
      const ip = hostIpv4(s, i);
      assert.ok((ip & 0xff) !== 0 && (ip & 0xff) !== 255, 'never .0 or .255');
      assert.equal(ip >>> 24, 10);
      ips.add(ip);
      const mac = hostMac(s, i);
      assert.equal(mac[0] & 1, 0, 'unicast');
      macs.add(mac.toString('hex'));
    }
  assert.equal(ips.size, 100_000);
  assert.equal(macs.size, 100_000);
});

test('packet-in: OF1.0 header, in_port, total_len; stamping patches xid, buffer id and frame sequence', () => {
  const frame = buildArpFrame(hostMac(1, 0), hostIpv4(1, 0), hostIpv4(1, 1));
  const pi = buildPacketIn(frame, 3);
  assert.equal(pi.length, PACKET_IN_LEN);
  assert.equal(pi[0], 1);
  assert.equal(pi[1], OFPT10.PACKET_IN);
  assert.equal(pi.readUInt16BE(2), PACKET_IN_LEN);
  assert.equal(pi.readUInt16BE(12), FRAME_LEN);
  assert.equal(pi.readUInt16BE(14), 3);
  const batch = Buffer.alloc(PACKET_IN_LEN * 2);
  pi.copy(batch, PACKET_IN_LEN);
  stampPacketIn(batch, PACKET_IN_LEN, 0xdeadbeef, 42);
  assert.equal(batch.readUInt32BE(PACKET_IN_LEN + 4), 0xdeadbeef);
  assert.equal(batch.readUInt32BE(PACKET_IN_LEN + 8), 42);
  assert.equal(batch.readUInt32BE(PACKET_IN_LEN + 18 + FRAME_SEQ_OFFSET), 42);
  assert.deepEqual(batch.subarray(PACKET_IN_LEN + 18, PACKET_IN_LEN + 18 + 12), frame.subarray(0, 12));
});

test('switch pattern: each destination is the next source, on a different port', () => {
  const pis = buildSwitchPacketIns(2, 5, 4);
  assert.equal(pis.length, 5);
  for (let i = 0; i < pis.length; i++) {
    const next: Buffer = pis[(i + 1) % pis.length];
    assert.deepEqual(pis[i].subarray(18, 24), next.subarray(24, 30), 'dst(i) = src(i+1)');
    assert.notEqual(pis[i].readUInt16BE(14), next.readUInt16BE(14), 'different in_port');
  }
  assert.throws(() => buildSwitchPacketIns(1, 1, 4), /macs/);
  assert.throws(() => buildSwitchPacketIns(1, 4, 1), /ports/);
});

test('replies: FLOW_MOD ADD/MODIFY_STRICT and non-LLDP PACKET_OUT are responses, by the packet they release', () => {
  assert.deepEqual(classifyReply(flowMod(0, 9)), { kind: 'response', answers: 9 });
  assert.deepEqual(classifyReply(flowMod(2, 10)), { kind: 'response', answers: 10 });
  // An unbuffered FLOW_MOD is a response that releases nothing: the PACKET_OUT after it does.
  assert.deepEqual(classifyReply(flowMod(0, NO_BUFFER)), { kind: 'response', answers: undefined });
  assert.deepEqual(classifyReply(flowMod(1, 9)), { kind: 'other', type: OFPT10.FLOW_MOD }, 'MODIFY');
  assert.deepEqual(classifyReply(flowMod(3, 9)), { kind: 'other', type: OFPT10.FLOW_MOD }, 'DELETE');

  const frame = buildUdpFrame({ src: hostMac(1, 0), dst: hostMac(1, 1), srcIp: 1, dstIp: 2 });
  frame.writeUInt32BE(1234, FRAME_SEQ_OFFSET);
  assert.deepEqual(classifyReply(packetOut(77, Buffer.alloc(0))), { kind: 'response', answers: 77 });
  assert.deepEqual(classifyReply(packetOut(NO_BUFFER, frame)), { kind: 'response', answers: 1234 });
  const lldp = Buffer.alloc(60);
  lldp.writeUInt16BE(0x88cc, 12);
  assert.deepEqual(classifyReply(packetOut(NO_BUFFER, lldp)), { kind: 'discovery' });
  const bddp = Buffer.alloc(60);
  bddp.writeUInt16BE(0x8942, 12);
  assert.deepEqual(classifyReply(packetOut(NO_BUFFER, bddp)), { kind: 'discovery' });

  assert.deepEqual(classifyReply(header(OFPT10.ECHO_REQUEST, 8)), {
    kind: 'other',
    type: OFPT10.ECHO_REQUEST,
  });
  assert.deepEqual(
    classifyReply(header(OFPT10.FLOW_MOD, 8)),
    { kind: 'other', type: OFPT10.FLOW_MOD },
    'short',
  );
});

test("framing: the switches' FrameReader hands answeredId whole messages; the partial tail waits", () => {
  const a = flowMod(0, 1);
  const b = header(OFPT10.BARRIER_REQUEST, 8);
  const c = packetOut(5, Buffer.alloc(0));
  const reader = new FrameReader();
  const frames = reader.push(Buffer.concat([a, b, c.subarray(0, 10)]));
  assert.deepEqual(
    frames.map((f) => [f[1], answeredId(f, 0, f.length)]),
    [
      [OFPT10.FLOW_MOD, 1],
      [OFPT10.BARRIER_REQUEST, -1],
    ],
  );
  assert.equal(reader.buffered, 10);
  const broken = header(OFPT10.HELLO, 8);
  broken.writeUInt16BE(4, 2);
  assert.throws(() => new FrameReader().push(broken), /frame length 4/);
});

test('statistics: loop min/max/avg and percentiles', () => {
  assert.deepEqual(loopStats([10, 30, 20]), { loops: [10, 30, 20], min: 10, max: 30, avg: 20, median: 20 });
  assert.equal(loopStats([10, 1000, 20, 30]).median, 25, 'one burst loop does not move the median');
  assert.deepEqual(loopStats([]), { loops: [], min: 0, max: 0, avg: 0, median: 0 });
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 51);
  assert.equal(percentile(sorted, 0.99), 100);
  assert.ok(Number.isNaN(percentile(new Float64Array(0), 0.5)));
});

test('host count: bare arrays, wrapped lists and total fields are understood', () => {
  assert.equal(countHosts([1, 2, 3]), 3);
  assert.equal(countHosts({ hosts: [1, 2] }), 2);
  assert.equal(countHosts({ devices: [1] }), 1);
  assert.equal(countHosts({ total: 100000, items: [] }), 100000);
  assert.equal(countHosts({ nothing: true }), undefined);
  assert.equal(countHosts('x'), undefined);
  const metrics =
    '# HELP sluice_hosts Known hosts\n# TYPE sluice_hosts gauge\nsluice_hosts 100000\nsluice_hosts_x 3\n';
  assert.equal(parseHostGauge(metrics), 100000);
  assert.equal(parseHostGauge('sluice_hosts_total 5\n'), undefined);
});
