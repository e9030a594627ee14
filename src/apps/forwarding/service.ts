/**
 * Service addresses (virtual IPs) of the forwarding app: the shapes its callers give, their validation, and
 * the per-connection matches the app installs. The stateful part (ARP answers, flows, bookkeeping) is in
 * app.ts; this file is pure so it can be read and tested on its own.
 *
 * A connection is what one set of flows carries: TCP and UDP by their 5-tuple, every other protocol by
 * client and protocol (ICMP has no ports, and an echo id is not a field OpenFlow 1.0 can match).
 */
import type { Match } from '../../openflow/index.js';
import {
  ETH_TYPE,
  IP_PROTO,
  ipv4NumToText,
  ipv4TextToNum,
  macTextToNum,
  type EthernetFrame,
} from '../../packet/index.js';
import { FieldError, parseIntIn, parseIpv4, parseMac } from '../../util/index.js';

/** A pool member: where connections to the service go. */
export interface ServiceMember {
  ip: string;
  /** When absent, the member's MAC (and attachment) comes from host tracking by its IP, at packet time. */
  mac?: string;
}

/** A service address as its owner sets it. */
export interface ServiceAddress {
  /** The owner's id, e.g. "hand:RULE". */
  id: string;
  /** The virtual IPv4 address. */
  ip: string;
  /** TCP/UDP port: when given, only that port is translated and other traffic to the address is dropped. */
  port?: number;
  /** The virtual MAC ARP answers with; default serviceMac(ip). */
  mac?: string;
  /** Where new connections go. */
  member: ServiceMember;
}

/** A service as the API shows it. */
export interface ServiceView {
  id: string;
  ip: string;
  port?: number;
  mac: string;
  member: ServiceMember;
  /** Connections with flows installed now. */
  connections: number;
}

/** A validated service, with the numbers the packet path compares. */
export interface ParsedService {
  id: string;
  ip: string;
  ipNum: number;
  port: number | undefined;
  mac: string;
  macNum: number;
  member: ParsedMember;
}

export interface ParsedMember {
  ip: string;
  ipNum: number;
  mac: string | undefined;
  macNum: number | undefined;
}

/**
 * The default virtual MAC of an address: 02:5c and the address's four bytes. Locally administered (bit 1 of
 * the first byte) and unicast, so it cannot clash with a vendor-assigned NIC; derived, so it is the same after
 * a restart and clients' ARP caches stay right.
 */
export function serviceMac(ip: string): string {
  const n = ipv4TextToNum(ip);
  if (n === undefined) throw new FieldError('ip', `'${ip}' is not an IPv4 address`);
  const b = [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return ['02', '5c', ...b.map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

function unicastIp(field: string, raw: unknown): { ip: string; ipNum: number } {
  if (typeof raw !== 'string') throw new FieldError(field, 'must be an IPv4 address string');
  const ip = parseIpv4(field, raw);
  const ipNum = ipv4TextToNum(ip)!;
  // 0.0.0.0/8, multicast, class E and broadcast: no host answers or owns them.
  if (ipNum >>> 24 === 0 || ipNum >>> 28 >= 0xe) {
    throw new FieldError(field, `${ip} is not a unicast host address`);
  }
  return { ip, ipNum };
}

function unicastMac(field: string, raw: unknown): { mac: string; macNum: number } {
  if (typeof raw !== 'string') throw new FieldError(field, 'must be a MAC address string');
  const mac = parseMac(field, raw);
  const macNum = macTextToNum(mac)!;
  if (macNum === 0 || parseInt(mac.slice(0, 2), 16) & 1) {
    throw new FieldError(field, `${mac} is not a unicast MAC address`);
  }
  return { mac, macNum };
}

export function parseMember(raw: unknown, field = 'member'): ParsedMember {
  if (typeof raw !== 'object' || raw === null) throw new FieldError(field, 'must be an object {ip, mac?}');
  const m = raw as Record<string, unknown>;
  for (const k of Object.keys(m)) {
    if (k !== 'ip' && k !== 'mac') throw new FieldError(`${field}.${k}`, 'is not a member field (ip, mac)');
  }
  const { ip, ipNum } = unicastIp(`${field}.ip`, m.ip);
  if (m.mac === undefined) return { ip, ipNum, mac: undefined, macNum: undefined };
  return { ip, ipNum, ...unicastMac(`${field}.mac`, m.mac) };
}

/** Checks a service as given; FieldError names the field at fault (`port`, `member.ip`...). */
export function parseService(raw: unknown): ParsedService {
  if (typeof raw !== 'object' || raw === null) throw new FieldError('service', 'must be an object');
  const s = raw as Record<string, unknown>;
  const known = ['id', 'ip', 'port', 'mac', 'member'];
  for (const k of Object.keys(s)) {
    if (!known.includes(k)) throw new FieldError(k, `is not a service field (${known.join(', ')})`);
  }
  if (typeof s.id !== 'string' || s.id === '') throw new FieldError('id', 'must be a non-empty string');
  const { ip, ipNum } = unicastIp('ip', s.ip);
  let port: number | undefined;
  if (s.port !== undefined) {
    if (typeof s.port !== 'number') throw new FieldError('port', 'must be a number 1..65535');
    port = parseIntIn('port', s.port, 1, 65535);
  }
  const { mac, macNum } = s.mac === undefined ? unicastMac('ip', serviceMac(ip)) : unicastMac('mac', s.mac);
  const member = parseMember(s.member);
  if (member.ipNum === ipNum) throw new FieldError('member.ip', `is the service address ${ip} itself`);
  if (member.macNum === macNum) throw new FieldError('member.mac', `is the service's own MAC ${mac}`);
  return { id: s.id, ip, ipNum, port, mac, macNum, member };
}

export function memberView(m: ParsedMember): ServiceMember {
  return m.mac === undefined ? { ip: m.ip } : { ip: m.ip, mac: m.mac };
}

/** The transport fields of one connection: protocol, and for TCP/UDP the field names and ports. */
export interface ConnTuple {
  proto: number;
  client: number;
  clientPort: number | undefined;
  servicePort: number | undefined;
}

/**
 * The connection an IPv4 frame to the service opens, or undefined when it is not service traffic: a port
 * service takes only TCP/UDP to its port (the first fragment: later ones carry no ports).
 */
export function connOf(frame: EthernetFrame, port: number | undefined): ConnTuple | undefined {
  const ip = frame.ipv4!;
  const l4 = ip.proto === IP_PROTO.TCP ? frame.tcp : ip.proto === IP_PROTO.UDP ? frame.udp : undefined;
  if (l4 === undefined) {
    if (port !== undefined || ip.proto === IP_PROTO.TCP || ip.proto === IP_PROTO.UDP) return undefined;
    return { proto: ip.proto, client: ip.srcNum, clientPort: undefined, servicePort: undefined };
  }
  if (port !== undefined && l4.dstPort !== port) return undefined;
  return { proto: ip.proto, client: ip.srcNum, clientPort: l4.srcPort, servicePort: l4.dstPort };
}

export function connKey(c: ConnTuple): string {
  return `${c.proto}|${c.client}|${c.clientPort ?? ''}|${c.servicePort ?? ''}`;
}

/**
 * The match of one direction: packets from `src` to `dst` (numeric IPv4) of the connection, entering on
 * `inPort`. `toService` is the client-to-service direction (client port is the source port).
 */
export function connMatch(
  c: ConnTuple,
  inPort: number,
  src: number,
  dst: number,
  toService: boolean,
  vlanVid: number | undefined,
): Match {
  const m: Match = {
    in_port: inPort,
    eth_type: ETH_TYPE.IPV4,
    ip_proto: c.proto,
    ipv4_src: ipv4NumToText(src),
    ipv4_dst: ipv4NumToText(dst),
  };
  if (vlanVid !== undefined) m.vlan_vid = vlanVid;
  if (c.clientPort === undefined || c.servicePort === undefined) return m;
  const [sp, dp] = toService ? [c.clientPort, c.servicePort] : [c.servicePort, c.clientPort];
  if (c.proto === IP_PROTO.TCP) {
    m.tcp_src = sp;
    m.tcp_dst = dp;
  } else {
    m.udp_src = sp;
    m.udp_dst = dp;
  }
  return m;
}
