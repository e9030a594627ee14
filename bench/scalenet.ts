#!/usr/bin/env node
/**
 * A scale net: N fake switches cabled in a shape (linear, ring, tree, mesh) that answer the controller's LLDP
 * probes at the cabled peer, and H hosts announced by ARP on the switches' edge ports. What the dashboard's
 * scale test and bench stand on: the controller sees a network of this size without OVS or Mininet.
 *
 * Library: startScaleNet (used by test/integration/scale.api.test.ts and the bench).
 * Standalone: node dist/bench/scalenet.js --port 6653 [--switches 500] [--hosts 10000] [--shape tree] ...
 *             (--help lists the flags); runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  type OfVersion,
  type PortStatsEntry,
} from '../src/openflow/index.js';
import { withTimeout } from './cbench.js';
import { intFlag } from './harness.js';
import { hostAnnouncement } from './scalenet/frames.js';
import { NetSwitch } from './scalenet/switch.js';
import { portCounters } from './scalenet/traffic.js';
import {
  peerTable,
  placeHosts,
  SHAPES,
  wiring,
  type HostSpec,
  type PortRef,
  type Shape,
  type Wiring,
  type WiringOptions,
} from './scalenet/wiring.js';

export interface ScaleNetOptions extends WiringOptions {
  /** Controller address (default 127.0.0.1) and OpenFlow port. */
  host?: string;
  port: number;
  /** Hosts to announce after the switches are up (default 0). */
  hosts?: number;
  /** Edge ports per switch (default 4). */
  hostPorts?: number;
  /** OpenFlow version every switch speaks (default 1.3). */
  version?: OfVersion;
  /** Switches connecting at once (default 50): a controller's accept backlog and handshakes are finite. */
  connectConcurrency?: number;
  /** Per batch of connecting switches (default 30 s). */
  readyTimeoutMs?: number;
  /** Called after each batch of switches and of hosts, for a long start's progress line. */
  progress?: (p: ScaleNetProgress) => void;
}

export interface ScaleNetProgress {
  phase: 'switches' | 'hosts';
  done: number;
  total: number;
  elapsedMs: number;
}

export interface ScaleNetTimes {
  /** From the first connect to every switch past its handshake. */
  connectMs: number;
  /** Writing every host announcement (not the controller's learning them). */
  hostsMs: number;
}

/** Host announcements per write batch: one write per switch per batch, then a turn of the event loop. */
const HOST_BATCH_SWITCHES = 50;

export class ScaleNet {
  readonly switches = new Map<bigint, NetSwitch>();
  /** Discovery frames delivered to a cabled peer / dropped (edge port, or peer not up yet). */
  delivered = 0;
  dropped = 0;
  readonly times: ScaleNetTimes = { connectMs: 0, hostsMs: 0 };
  private readonly peers: Map<bigint, Map<number, PortRef>>;

  constructor(
    readonly wiring: Wiring,
    readonly hosts: HostSpec[],
  ) {
    this.peers = peerTable(wiring.links);
  }

  /** The controller sent a discovery frame out of (from, outPort): it arrives at the other end of the cable. */
  readonly deliver = (from: NetSwitch, outPort: number, frame: Buffer): void => {
    const peer = this.peers.get(from.dpid)?.get(outPort);
    const target = peer && this.switches.get(peer.dpid);
    if (!peer || !target?.isReady) {
      this.dropped++;
      return;
    }
    this.delivered++;
    target.receiveDiscovery(peer.port, frame);
  };

  /** Steady synthetic traffic on every port (bench/scalenet/traffic.ts), consistent across each cable. */
  readonly portCounters = (dpid: bigint, port: number, seconds: number): PortStatsEntry =>
    portCounters(dpid, port, this.peers.get(dpid)?.get(port), seconds);

  /** Throws when a switch lost its connection: a net with fewer switches than asked is not a result. */
  assertConnected(): void {
    for (const s of this.switches.values()) {
      if (s.closed) throw new Error(`scale net switch ${s.dpid} disconnected: ${s.closeReason}`);
    }
  }

  /** Every host announces itself once (a gratuitous ARP packet-in at its edge port). */
  async announceHosts(progress?: (p: ScaleNetProgress) => void): Promise<void> {
    const t0 = performance.now();
    const bySwitch = new Map<bigint, Array<{ inPort: number; frame: Buffer }>>();
    for (const h of this.hosts) {
      let list = bySwitch.get(h.dpid);
      if (!list) bySwitch.set(h.dpid, (list = []));
      list.push({ inPort: h.port, frame: hostAnnouncement(h) });
    }
    const entries = [...bySwitch];
    let done = 0;
    for (let i = 0; i < entries.length; i += HOST_BATCH_SWITCHES) {
      for (const [dpid, frames] of entries.slice(i, i + HOST_BATCH_SWITCHES)) {
        this.switches.get(dpid)!.receiveMany(frames);
        done += frames.length;
      }
      progress?.({ phase: 'hosts', done, total: this.hosts.length, elapsedMs: performance.now() - t0 });
      await yieldToLoop();
    }
    this.times.hostsMs = performance.now() - t0;
  }

  close(): void {
    for (const s of this.switches.values()) s.close();
  }
}

/**
 * Connects the switches in batches (each waits for its handshakes), then announces the hosts. Resolves with
 * the connected net; on failure closes what it opened and rejects naming the batch.
 */
export async function startScaleNet(opts: ScaleNetOptions): Promise<ScaleNet> {
  const w = wiring(opts);
  const hostPorts = opts.hostPorts ?? 4;
  const net = new ScaleNet(w, placeHosts(w, { hosts: opts.hosts ?? 0, hostPorts }));
  const version = opts.version ?? OFP_VERSION_1_3;
  const concurrency = opts.connectConcurrency ?? 50;
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  const t0 = performance.now();
  try {
    for (let start = 0; start < w.dpids.length; start += concurrency) {
      const batch = w.dpids.slice(start, start + concurrency).map((dpid) => {
        const sw = new NetSwitch({
          host: opts.host ?? '127.0.0.1',
          port: opts.port,
          dpid,
          version,
          ports: w.linkPorts.get(dpid)! + hostPorts,
          onDiscovery: net.deliver,
          portCounters: net.portCounters,
        });
        net.switches.set(dpid, sw);
        return sw;
      });
      await withTimeout(
        Promise.all(batch.map((s) => s.ready())),
        timeoutMs,
        `switches ${start + 1}..${start + batch.length}: handshake not done within ${timeoutMs} ms`,
      );
      opts.progress?.({
        phase: 'switches',
        done: start + batch.length,
        total: w.dpids.length,
        elapsedMs: performance.now() - t0,
      });
    }
    net.times.connectMs = performance.now() - t0;
    await net.announceHosts(opts.progress);
  } catch (err) {
    net.close();
    throw err;
  }
  return net;
}

// ---------------------------------------------------------------------------------------------------------
// Standalone command line

const HELP = `Usage: node dist/bench/scalenet.js --port PORT [options]

Connects fake OpenFlow switches cabled in a shape to a controller; they answer its LLDP probes at the cabled
peer, so the controller learns the links, and announce hosts by ARP on their edge ports. Runs until Ctrl-C.

  --port N         controller OpenFlow port (required)
  --host ADDR      controller address (default 127.0.0.1)
  --switches N     switches (default 500)
  --hosts N        hosts, spread round-robin over the switches (default 10000)
  --shape S        ${SHAPES.join(' | ')} (default tree)
  --fanout N       tree: children per switch (default 2)
  --degree N       mesh: average links per switch (default 3)
  --seed N         mesh: random seed (default 1)
  --host-ports N   edge ports per switch (default 4)
  --of V           OpenFlow version 1.0 or 1.3 (default 1.3)
  --json           one JSON line with the figures once connected, instead of progress text
  -h, --help       this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      switches: { type: 'string' },
      hosts: { type: 'string' },
      shape: { type: 'string' },
      fanout: { type: 'string' },
      degree: { type: 'string' },
      seed: { type: 'string' },
      'host-ports': { type: 'string' },
      of: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.port === undefined) throw new Error('--port: required (the controller OpenFlow port)');
  const port = intFlag(values, 'port', 6653);
  if (port > 65535) throw new Error(`--port: expected 1..65535, got ${port}`);
  const shape = (values.shape ?? 'tree') as Shape;
  if (!SHAPES.includes(shape))
    throw new Error(`--shape: expected one of ${SHAPES.join(', ')}, got "${shape}"`);
  const of = values.of ?? '1.3';
  if (of !== '1.0' && of !== '1.3') throw new Error(`--of: expected 1.0 or 1.3, got "${of}"`);
  const json = values.json === true;
  const log = (line: string): void => {
    if (!json) console.log(line);
  };
  const net = await startScaleNet({
    host: values.host ?? '127.0.0.1',
    port,
    shape,
    switches: intFlag(values, 'switches', 500),
    hosts: intFlag(values, 'hosts', 10_000, 0),
    fanout: intFlag(values, 'fanout', 2),
    degree: intFlag(values, 'degree', 3, 2),
    seed: intFlag(values, 'seed', 1, 0),
    hostPorts: intFlag(values, 'host-ports', 4),
    version: of === '1.0' ? OFP_VERSION_1_0 : OFP_VERSION_1_3,
    progress: (p) => log(`  ${p.phase}: ${p.done}/${p.total} (${Math.round(p.elapsedMs)} ms)`),
  });
  const figures = {
    switches: net.switches.size,
    links: net.wiring.links.length,
    hosts: net.hosts.length,
    connectMs: Math.round(net.times.connectMs),
    hostsMs: Math.round(net.times.hostsMs),
  };
  if (json) console.log(JSON.stringify(figures));
  else
    log(
      `scale net up: ${figures.switches} switches, ${figures.links} links, ${figures.hosts} hosts ` +
        `(connect ${figures.connectMs} ms, hosts ${figures.hostsMs} ms); Ctrl-C to stop`,
    );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  net.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    console.error(`scalenet: ${err.message}`);
    process.exit(1);
  });
}
