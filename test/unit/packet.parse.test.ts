import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseEthernet,
  parseLldp,
  buildLldp,
  buildArpReply,
  buildArpRequest,
  buildEthernet,
  buildIpv4,
  buildTcp,
  buildUdpFrame,
  buildIcmpEcho,
  checksum,
  ETH_TYPE,
  IP_PROTO,
  ARP_OP,
  macTextToNum,
  macNumToText,
  ipv4TextToNum,
  ipv4NumToText,
} from '../../src/packet/index.js';

const A = '00:00:00:00:00:0a';
const B = '00:00:00:00:00:0b';

function allFields(buf: Buffer): unknown {
  // Touch every lazy field so a throw anywhere would surface.
  const f = parseEthernet(buf);
  return [
    f.dst,
    f.src,
    f.isBroadcast,
    f.isMulticast,
    f.l3Payload.length,
    f.vlan,
    f.arp,
    f.ipv4?.src,
    f.ipv4?.dst,
    f.ipv4?.options.length,
    f.ipv6,
    f.tcp,
    f.udp,
    f.icmp,
    f.icmpv6,
    f.lldp,
    f.truncated,
  ];
}

test('IPv4/UDP frame in a VLAN tag parses to addresses, ports and tag', () => {
  const buf = buildUdpFrame({
    ethSrc: A,
    ethDst: B,
    ipSrc: '10.0.0.1',
    ipDst: '10.0.0.2',
    srcPort: 5353,
    dstPort: 53,
    vlan: { vid: 100, pcp: 5 },
  });
  const f = parseEthernet(buf);
  assert.equal(f.src, A);
  assert.equal(f.dst, B);
  assert.equal(f.srcNum, 0x0a);
  assert.deepEqual(f.vlan, { vid: 100, pcp: 5, tpid: ETH_TYPE.VLAN });
  assert.equal(f.ethType, ETH_TYPE.IPV4);
  assert.equal(f.ipv4?.src, '10.0.0.1');
  assert.equal(f.ipv4?.dst, '10.0.0.2');
  assert.equal(f.ipv4?.proto, IP_PROTO.UDP);
  assert.deepEqual(f.udp, { srcPort: 5353, dstPort: 53, length: 8 });
  assert.equal(f.truncated, false);
  assert.equal(f.isMulticast, false);
});

test('IPv4 with options still reaches the TCP header', () => {
  const options = Buffer.from([0x94, 0x04, 0x00, 0x00]); // router alert
  const ip = buildIpv4({
    src: '192.168.1.1',
    dst: '192.168.1.2',
    proto: IP_PROTO.TCP,
    dscp: 46,
    options,
    payload: buildTcp(40000, 80, 0x12),
  });
  const f = parseEthernet(buildEthernet({ dst: B, src: A, ethType: ETH_TYPE.IPV4, payload: ip }));
  assert.equal(f.ipv4?.headerLength, 24);
  assert.deepEqual([...(f.ipv4?.options ?? [])], [...options]);
  assert.equal(f.ipv4?.dscp, 46);
  assert.deepEqual(f.tcp, { srcPort: 40000, dstPort: 80, flags: 0x12 });
  assert.equal(checksum(ip.subarray(0, 24)), 0, 'header checksum verifies');
});

test('non-first IPv4 fragments carry no L4 header', () => {
  const ip = buildIpv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: IP_PROTO.UDP, payload: Buffer.alloc(16) });
  ip.writeUInt16BE(0x0010, 6); // fragment offset 16*8
  const f = parseEthernet(buildEthernet({ dst: B, src: A, ethType: ETH_TYPE.IPV4, payload: ip }));
  assert.equal(f.ipv4?.fragmentOffset, 0x10);
  assert.equal(f.udp, undefined);
});

test('ICMP echo is recognised', () => {
  const ip = buildIpv4({
    src: '1.1.1.1',
    dst: '2.2.2.2',
    proto: IP_PROTO.ICMP,
    payload: buildIcmpEcho(8, 1, 2),
  });
  const f = parseEthernet(buildEthernet({ dst: B, src: A, ethType: ETH_TYPE.IPV4, payload: ip }));
  assert.deepEqual(f.icmp, { type: 8, code: 0 });
});

test('IPv6 fixed header and ICMPv6 parse, addresses in RFC 5952 form', () => {
  const p = Buffer.alloc(40 + 4);
  p.writeUInt32BE((6 << 28) | (0x12 << 20) | 0xabcde, 0);
  p.writeUInt16BE(4, 4);
  p[6] = IP_PROTO.ICMPV6;
  p[7] = 255;
  Buffer.from('fe800000000000000000000000000001', 'hex').copy(p, 8);
  Buffer.from('20010db8000000010000000000000000', 'hex').copy(p, 24);
  p[40] = 135; // neighbour solicitation
  const f = parseEthernet(
    buildEthernet({ dst: '33:33:00:00:00:01', src: A, ethType: ETH_TYPE.IPV6, payload: p }),
  );
  assert.equal(f.ipv6?.src, 'fe80::1');
  assert.equal(f.ipv6?.dst, '2001:db8:0:1::');
  assert.equal(f.ipv6?.flowLabel, 0xabcde);
  assert.equal(f.ipv6?.trafficClass, 0x12);
  assert.equal(f.ipv6?.hopLimit, 255);
  assert.deepEqual(f.icmpv6, { type: 135, code: 0 });
  assert.equal(f.isMulticast, true);
});

test('ARP request and the proxy reply built for it', () => {
  const req = parseEthernet(buildArpRequest({ senderMac: A, senderIp: '10.0.0.1', targetIp: '10.0.0.2' }));
  assert.equal(req.isBroadcast, true);
  assert.equal(req.arp?.op, ARP_OP.REQUEST);
  assert.equal(req.arp?.spa, '10.0.0.1');
  assert.equal(req.arp?.tpa, '10.0.0.2');
  const reply = parseEthernet(
    buildArpReply({ answerMac: B, answerIp: '10.0.0.2', requesterMac: A, requesterIp: '10.0.0.1' }),
  );
  assert.equal(reply.dst, A);
  assert.equal(reply.src, B);
  assert.deepEqual(
    { op: reply.arp?.op, sha: reply.arp?.sha, spa: reply.arp?.spa, tha: reply.arp?.tha, tpa: reply.arp?.tpa },
    { op: ARP_OP.REPLY, sha: B, spa: '10.0.0.2', tha: A, tpa: '10.0.0.1' },
  );
});

test("Sluice's LLDP round-trips dpid and a 32-bit port number", () => {
  const buf = buildLldp({ chassisDpid: 0x00000000000000abn, portNo: 0xfffffff0, ttl: 60, srcMac: A });
  const f = parseEthernet(buf);
  assert.equal(f.dst, '01:80:c2:00:00:0e');
  assert.equal(f.src, A);
  assert.equal(f.ethType, ETH_TYPE.LLDP);
  assert.equal(f.lldp?.dpid, 0xabn);
  assert.equal(f.lldp?.portNo, 0xfffffff0);
  assert.equal(f.lldp?.ttl, 60);
  assert.equal(f.lldp?.chassisId.toString(), 'dpid:00000000000000ab');
  assert.deepEqual(parseLldp(f.l3Payload), { dpid: 0xabn, portNo: 0xfffffff0 });
});

test("Floodlight's LLDP (MAC chassis, 2-byte port, OpenFlow OUI dpid TLV) is recognised", () => {
  const dpid = 0x0102030405060708n;
  const tlvs = Buffer.concat([
    Buffer.from([0x02, 0x07, 4, 3, 4, 5, 6, 7, 8]), // chassis id: MAC subtype, low 6 bytes of dpid
    Buffer.from([0x04, 0x03, 2, 0x00, 0x07]), // port id: port component, port 7
    Buffer.from([0x06, 0x02, 0x00, 0x78]), // TTL 120
    Buffer.from([0xfe, 0x0c, 0x00, 0x26, 0xe1, 0x00, 1, 2, 3, 4, 5, 6, 7, 8]), // org TLV: dpid
    Buffer.from([0x00, 0x00]),
  ]);
  assert.deepEqual(parseLldp(tlvs), { dpid, portNo: 7 });
  // Floodlight's broadcast flavour (BDDP) carries the same TLVs.
  const f = parseEthernet(
    buildEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: A, ethType: ETH_TYPE.BDDP, payload: tlvs }),
  );
  assert.equal(f.lldp?.dpid, dpid);
});

test('LLDP from a plain host (no OpenFlow dpid) is not a discovery frame', () => {
  const tlvs = Buffer.concat([
    Buffer.from([0x02, 0x07, 4, 0, 0, 0, 0, 0, 0x0a]),
    Buffer.from([0x04, 0x05, 5, 0x65, 0x74, 0x68, 0x30]), // interface name "eth0"
    Buffer.from([0x06, 0x02, 0x00, 0x78, 0x00, 0x00]),
  ]);
  const f = parseEthernet(
    buildEthernet({ dst: '01:80:c2:00:00:0e', src: A, ethType: ETH_TYPE.LLDP, payload: tlvs }),
  );
  assert.ok(f.lldp, 'TLVs parse');
  assert.equal(f.lldp.dpid, undefined);
  assert.equal(parseLldp(tlvs), undefined);
});

test('every prefix of valid frames parses without throwing and marks truncation', () => {
  const frames = [
    buildUdpFrame({
      ethSrc: A,
      ethDst: B,
      ipSrc: '1.2.3.4',
      ipDst: '5.6.7.8',
      srcPort: 1,
      dstPort: 2,
      vlan: { vid: 7 },
    }),
    buildArpRequest({ senderMac: A, senderIp: '10.0.0.1', targetIp: '10.0.0.2' }),
    buildLldp({ chassisDpid: 1n, portNo: 1 }),
  ];
  for (const full of frames) {
    for (let n = 0; n < full.length; n++) {
      const f = parseEthernet(full.subarray(0, n));
      allFields(full.subarray(0, n));
      if (n < 14) assert.equal(f.truncated, true, `length ${n}`);
    }
    assert.equal(parseEthernet(full).truncated, false);
  }
  // A frame cut inside the UDP header is flagged, not silently partial.
  const udp = frames[0];
  assert.equal(parseEthernet(udp.subarray(0, udp.length - 2)).truncated, true);
});

test('fuzz: random bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (bytes) => {
      allFields(Buffer.from(bytes));
    }),
    { numRuns: 5000 },
  );
});

test('fuzz: random bytes behind interesting EtherTypes never throw', () => {
  const types = [0x0800, 0x0806, 0x86dd, 0x88cc, 0x8942, 0x8100, 0x88a8];
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 120 }), (t, body) => {
      const head = Buffer.alloc(14);
      head.writeUInt16BE(t, 12);
      const b = Buffer.concat([head, Buffer.from(body)]);
      if (t === 0x0800 && b.length > 14) b[14] = 0x40 | (b[14] & 0x0f); // make it look like IPv4
      allFields(b);
      parseLldp(Buffer.from(body));
    }),
    { numRuns: 5000 },
  );
});

test('address text and numbers convert both ways and reject junk', () => {
  assert.equal(macNumToText(macTextToNum('AA:bb:cc:dd:ee:ff')!), 'aa:bb:cc:dd:ee:ff');
  assert.equal(macTextToNum('aa:bb:cc:dd:ee'), undefined);
  assert.equal(ipv4NumToText(ipv4TextToNum('255.1.0.9')!), '255.1.0.9');
  assert.equal(ipv4TextToNum('256.1.1.1'), undefined);
  assert.throws(() => buildArpRequest({ senderMac: 'x', senderIp: '1.1.1.1', targetIp: '1.1.1.2' }), /mac/);
});
