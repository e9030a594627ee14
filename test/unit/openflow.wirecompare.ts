/**
 * Compares a frame another encoder wrote (ovs-ofctl, OVS) with our re-encoding of it. OpenFlow leaves the
 * order of OXM TLVs in a match free, and OVS writes them in its own order (eth_src before eth_dst, ipv4
 * before ip_proto) while we write OXM code order: so outside the OF1.3 matches the bytes must be equal, and
 * inside each match the same TLVs (byte for byte) must appear, in any order.
 */
const OFPT13 = { PACKET_IN: 10, FLOW_REMOVED: 11, FLOW_MOD: 14, MULTIPART_REQUEST: 18, MULTIPART_REPLY: 19 };
const OFPMP_FLOW = 1;
const OFPMP_AGGREGATE = 2;
const FLOW_STATS_FIXED = 48;

/** [start, end) of the OXM TLVs of the ofp_match at `at` (after its type/length header, before padding). */
function matchTlvs(frame: Buffer, at: number): [number, number] {
  return [at + 4, at + frame.readUInt16BE(at + 2)];
}

/** Where the OF1.3 matches of a frame keep their OXM TLVs; none for other versions and types. */
export function oxmSpans(frame: Buffer): [number, number][] {
  if (frame[0] !== 4) return [];
  const type = frame[1];
  if (type === OFPT13.FLOW_MOD || type === OFPT13.FLOW_REMOVED) return [matchTlvs(frame, 48)];
  if (type === OFPT13.PACKET_IN) return [matchTlvs(frame, 24)];
  const mp = frame.readUInt16BE(8);
  if (type === OFPT13.MULTIPART_REQUEST && (mp === OFPMP_FLOW || mp === OFPMP_AGGREGATE))
    return [matchTlvs(frame, 48)];
  if (type === OFPT13.MULTIPART_REPLY && mp === OFPMP_FLOW) {
    const spans: [number, number][] = [];
    for (let off = 16; off < frame.length; off += frame.readUInt16BE(off)) {
      spans.push(matchTlvs(frame, off + FLOW_STATS_FIXED));
    }
    return spans;
  }
  return [];
}

/** The TLVs in [start, end) as hex strings, sorted. */
function tlvSet(frame: Buffer, [start, end]: [number, number]): string[] {
  const out: string[] = [];
  for (let off = start; off < end;) {
    const len = 4 + (frame.readUInt32BE(off) & 0xff);
    out.push(frame.subarray(off, off + len).toString('hex'));
    off += len;
  }
  return out.sort();
}

/**
 * 'exact' when `ours` equals `theirs`, 'reordered' when they differ only in the order of OXM TLVs within
 * matches; otherwise throws, saying where they differ.
 */
export function compareWire(theirs: Buffer, ours: Buffer): 'exact' | 'reordered' {
  if (theirs.equals(ours)) return 'exact';
  const hex = (b: Buffer) => b.toString('hex');
  if (theirs.length !== ours.length)
    throw new Error(`length ${ours.length} != ${theirs.length}: ${hex(ours)} vs ${hex(theirs)}`);
  const a = oxmSpans(theirs);
  const b = oxmSpans(ours);
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`matches at ${a} vs ${b}: ${hex(ours)}`);
  let prev = 0;
  for (const span of [...a, [theirs.length, theirs.length] as [number, number]]) {
    if (!theirs.subarray(prev, span[0]).equals(ours.subarray(prev, span[0])))
      throw new Error(`bytes ${prev}..${span[0]} differ outside the matches: ${hex(ours)} vs ${hex(theirs)}`);
    if (span[0] < theirs.length && tlvSet(theirs, span).join() !== tlvSet(ours, span).join())
      throw new Error(`the match at ${span[0]} has other OXM TLVs: ${hex(ours)} vs ${hex(theirs)}`);
    prev = span[1];
  }
  return 'reordered';
}
