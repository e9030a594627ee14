/**
 * Wire bytes a scale-net switch sends on its own: PACKET_INs (OpenFlow 1.0 or 1.3) carrying a frame that
 * "arrived" on a port, and the ARP frames that announce hosts. Pure: no sockets.
 */
import { encode, OFP_NO_BUFFER, OFP_VERSION_1_0, type OfVersion } from '../../src/openflow/index.js';
import { buildArpRequest, ETH_TYPE, ipv4NumToText, LLDP_ETH_TYPE } from '../../src/packet/index.js';
import type { HostSpec } from './wiring.js';

export const OFPR_NO_MATCH = 0;
export const OFPR_ACTION = 1;

/** An unbuffered PACKET_IN of `frame` received on `inPort` (reason ACTION: a flow sent it, as LLDP's does). */
export function packetInBytes(
  version: OfVersion,
  inPort: number,
  frame: Buffer,
  opts: { reason?: number; xid?: number; cookie?: bigint; tableId?: number } = {},
): Buffer {
  const v10 = version === OFP_VERSION_1_0;
  return encode({
    type: 'packet_in',
    version,
    xid: opts.xid ?? 0,
    bufferId: OFP_NO_BUFFER,
    totalLen: frame.length,
    reason: opts.reason ?? OFPR_NO_MATCH,
    tableId: v10 ? 0 : (opts.tableId ?? 0),
    cookie: v10 ? 0n : (opts.cookie ?? 0n),
    match: { in_port: inPort },
    data: frame,
  });
}

/**
 * A gratuitous ARP request (sender and target IPv4 both the host's own), broadcast: it names the host's MAC
 * and IPv4 to whoever learns from it, and asks for no other host (so proxy ARP has nothing to answer).
 */
export function hostAnnouncement(h: HostSpec): Buffer {
  const ip = ipv4NumToText(h.ipv4);
  return buildArpRequest({ senderMac: h.mac, senderIp: ip, targetIp: ip });
}

/** Whether an Ethernet frame is a discovery probe (LLDP, or Floodlight's BDDP), read from its EtherType. */
export function isDiscoveryFrame(frame: Buffer): boolean {
  if (frame.length < 14) return false;
  const t = frame.readUInt16BE(12);
  return t === LLDP_ETH_TYPE || t === ETH_TYPE.BDDP;
}
