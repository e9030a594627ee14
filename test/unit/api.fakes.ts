/** Fake views for API tests: two switches (OF1.3 and OF1.0), one link, two hosts. */
import { createServer, type AddressInfo } from 'node:net';
import {
  emptyStatsReply,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  type OfVersion,
  type PortDesc,
  type PortStatsEntry,
  type StatsReplyBody,
  type StatsRequestBody,
  zeroPortStats,
} from '../../src/openflow/index.js';
import type { ApiDeps } from '../../src/api/index.js';
import type { HostFilter, HostInfo, LinkInfo, PortRef, SwitchView } from '../../src/api/views.js';

/** A port as the handshake reports it (10 Gb/s, up). */
export function port(portNo: number, name: string): PortDesc {
  const hwAddr = `02:00:00:00:00:${portNo.toString(16).padStart(2, '0')}`;
  const none = { config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0 };
  return { portNo, hwAddr, name, ...none, currSpeed: 10_000_000, maxSpeed: 0 };
}

/** A port's counters: `packets` each way, `bytes` each way, no drops or errors. */
export function portCounters(
  portNo: number,
  packets: bigint,
  bytes: bigint,
  over: Partial<PortStatsEntry> = {},
) {
  const counts = { rxPackets: packets, txPackets: packets, rxBytes: bytes, txBytes: bytes };
  return { ...zeroPortStats(portNo), ...counts, ...over };
}

export class FakeSwitch implements SwitchView {
  readonly connectedSince = new Date('2026-11-28T10:00:00Z');
  readonly features = { nBuffers: 256, nTables: 254, capabilities: 0x4f, actions: 0, auxiliaryId: 0 };
  readonly desc = {
    mfrDesc: 'Nicira, Inc.',
    hwDesc: 'Open vSwitch',
    swDesc: '3.1.0',
    serialNum: 'None',
    dpDesc: 's1',
  };
  readonly ports: Map<number, PortDesc>;
  readonly requests: StatsRequestBody[] = [];
  /** Makes the next stats call reject with this error. */
  failWith?: Error;

  constructor(
    readonly dpid: bigint,
    readonly version: OfVersion,
    readonly remoteAddress = '127.0.0.1:40000',
  ) {
    this.ports = new Map([
      [1, port(1, `s${dpid}-eth1`)],
      [2, port(2, `s${dpid}-eth2`)],
    ]);
  }

  async stats(body: StatsRequestBody): Promise<StatsReplyBody> {
    this.requests.push(body);
    if (this.failWith) throw this.failWith;
    switch (body.kind) {
      case 'flow':
        return {
          kind: 'flow',
          flows: [
            {
              tableId: 0,
              durationSec: 5,
              durationNsec: 500_000_000,
              priority: 100,
              idleTimeout: 0,
              hardTimeout: 0,
              flags: 0,
              cookie: 0x2000000000000001n,
              packetCount: 12n,
              byteCount: 1200n,
              match: { in_port: 1, eth_type: 0x800, ipv4_dst: '10.0.0.2' },
              instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
            },
          ],
        };
      case 'port':
        return {
          kind: 'port',
          ports: [1, 2].map((portNo) => ({
            ...portCounters(portNo, 0n, 0n),
            rxPackets: 10n,
            txPackets: 20n,
            rxBytes: 1000n,
            txBytes: 2000n,
            durationSec: 60,
          })),
        };
      case 'desc':
        return { kind: 'desc', desc: this.desc };
      case 'aggregate':
        return { kind: 'aggregate', packetCount: 12n, byteCount: 1200n, flowCount: 1 };
      case 'port_desc':
        return { kind: 'port_desc', ports: [...this.ports.values()] };
      case 'table':
        return {
          kind: 'table',
          tables: [
            {
              tableId: 0,
              name: '',
              wildcards: 0,
              maxEntries: 1000,
              activeCount: 1,
              lookupCount: 5n,
              matchedCount: 4n,
            },
          ],
        };
      case 'queue':
      case 'group':
      case 'group_desc':
      case 'meter':
        return emptyStatsReply(body.kind);
      case 'meter_config':
        return {
          kind: 'meter_config',
          meters: [{ flags: 1, meterId: 1, bands: [{ type: 'drop', rate: 2000, burstSize: 0 }] }],
        };
      case 'experimenter':
      case 'raw':
        return body;
    }
  }
}

export const S1 = 1n;
export const S2 = 2n;

export function fakeDeps(over: Partial<ApiDeps> = {}): ApiDeps & { s1: FakeSwitch; s2: FakeSwitch } {
  const s1 = new FakeSwitch(S1, OFP_VERSION_1_3);
  const s2 = new FakeSwitch(S2, OFP_VERSION_1_0, '127.0.0.1:40001');
  const links: LinkInfo[] = [
    {
      src: { dpid: S1, port: 2 },
      dst: { dpid: S2, port: 2 },
      type: 'internal',
      direction: 'bidirectional',
      latencyMs: 1,
    },
  ];
  const hosts: HostInfo[] = [
    {
      mac: '00:00:00:00:00:01',
      ipv4: ['10.0.0.1'],
      ipv6: [],
      vlan: [0],
      attachmentPoints: [{ dpid: S1, port: 1 }],
      lastSeen: 1_700_000_000_000,
    },
    {
      mac: '00:00:00:00:00:02',
      ipv4: ['10.0.0.2'],
      ipv6: [],
      vlan: [0],
      attachmentPoints: [{ dpid: S2, port: 1 }],
      lastSeen: 1_700_000_000_000,
    },
  ];
  const matches = (h: HostInfo, f: HostFilter) =>
    (f.mac === undefined || h.mac === f.mac) &&
    (f.ipv4 === undefined || h.ipv4.includes(f.ipv4)) &&
    (f.vlan === undefined || h.vlan.includes(f.vlan)) &&
    (f.dpid === undefined || h.attachmentPoints.some((a) => a.dpid === f.dpid)) &&
    (f.port === undefined || h.attachmentPoints.some((a) => a.port === f.port));
  return {
    s1,
    s2,
    version: '0.1.0-test',
    now: () => 1_700_000_100_000,
    startedAt: 1_700_000_000_000,
    switches: {
      switches: new Map<bigint, SwitchView>([
        [S1, s1],
        [S2, s2],
      ]),
    },
    topology: {
      links: () => links,
      externalLinks: () => [],
      clusters: () => [[S2, S1]],
      route: (src: PortRef, dst: PortRef) =>
        src.dpid === S1 && dst.dpid === S2
          ? [src, { dpid: S1, port: 2 }, { dpid: S2, port: 2 }, dst]
          : src.dpid === dst.dpid
            ? [src, dst]
            : undefined,
    },
    hosts: { find: (f) => hosts.filter((h) => matches(h, f)) },
    counters: {
      packetIn: 7,
      packetOut: 3,
      flowMods: 5,
      switchErrors: 0,
      decodeErrors: 0,
      appErrors: 0,
      requestTimeouts: 0,
    },
    modules: () => [
      { name: 'topology', after: [] },
      { name: 'hosts', after: ['topology'] },
      { name: 'forwarding', after: ['hosts'] },
    ],
    ...over,
  };
}

/** A loopback port that was just free: bound, then closed (connecting to it is refused). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}
