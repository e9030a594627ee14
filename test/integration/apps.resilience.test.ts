/**
 * Sluice's apps on real OVS (userspace datapath) and Mininet when things go wrong around them: a controller
 * killed with -9 and restarted does not interrupt traffic or wipe the flows it left (Mininet's switches are
 * fail-mode secure), a stopped and restarted switch is rediscovered with its links, and malformed OpenFlow
 * from raw TCP clients is refused connection by connection while the real switches stay connected.
 * One OpenFlow version per scenario to keep the run short: the restarts on 1.3, the bad input on 1.0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import {
  canConnect,
  dumpFlows,
  ensureOvs,
  MininetNet,
  ofctl,
  pingSummary,
  startController,
  waitFor,
  waitForLinks,
  type OpenFlowVersionName,
  type RunningController,
} from './harness/index.js';
import { encode, OFP_VERSION_1_0, OFP_VERSION_1_3, type OfVersion } from '../../src/openflow/index.js';
import { FORWARDING_APP_ID } from '../../src/apps/forwarding/index.js';
import { sampleMessages } from '../unit/openflow.helpers.js';

const S1 = '00:00:00:00:00:00:00:01';
const S2 = '00:00:00:00:00:00:00:02';
const OFPT_HELLO = 0;
const OFPT_ERROR = 1;
const OFPT_FEATURES_REPLY = 6;
/** The controller's handshake timeout (controller.ts default) bounds how long a stalled connection lives. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Forwarding's flows carry its app number in the cookie's high 16 bits. */
const FORWARDING_COOKIE_PREFIX = `cookie=0x${FORWARDING_APP_ID.toString(16)}${'0'.repeat(12)}`;

interface SwitchEntry {
  switchDPID: string;
  connectedSince: number;
}

async function getJson<T>(ctl: RunningController, path: string): Promise<T> {
  const res = await fetch(`${ctl.apiUrl}${path}`, { signal: AbortSignal.timeout(3000) });
  assert.equal(res.status, 200, `GET ${path}`);
  return (await res.json()) as T;
}

const switchesOf = (ctl: RunningController) =>
  getJson<SwitchEntry[]>(ctl, '/wm/core/controller/switches/json');

/** Switch DPIDs (sorted) with when each connected: a reconnect changes connectedSince. */
async function switchTable(ctl: RunningController): Promise<string[]> {
  return (await switchesOf(ctl)).map((s) => `${s.switchDPID}@${s.connectedSince}`).sort();
}

async function waitForNetwork(ctl: RunningController, dpids: string[], links: number): Promise<void> {
  await waitFor(
    async () =>
      JSON.stringify((await switchesOf(ctl)).map((s) => s.switchDPID).sort()) === JSON.stringify(dpids),
    {
      what: `switches ${dpids.join(' ')} in the API`,
      timeoutMs: 30_000,
      detail: async () => {
        const sw = await switchesOf(ctl).catch((e: Error) => e.message);
        return `switches: ${JSON.stringify(sw)}\ncontroller log:\n${ctl.logTail(30)}`;
      },
    },
  );
  await waitForLinks(ctl, links);
}

async function metric(ctl: RunningController, name: string): Promise<number> {
  const text = await (await fetch(`${ctl.apiUrl}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

interface FlowStat {
  /** The flow without its counters and ages: equal for the same flow entry. */
  key: string;
  durationSec: number;
  packets: number;
}

/** `ovs-ofctl dump-flows` with stats, split into identity and counters. */
async function flowStats(bridge: string, protocols: OpenFlowVersionName): Promise<FlowStat[]> {
  const out = await ofctl(['dump-flows', bridge], protocols);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('cookie='))
    .map((l) => ({
      key: l
        .replace(/\b(duration|n_packets|n_bytes|idle_age|hard_age)=[^,\s]+,?\s*/g, '')
        .replace(/,\s*$/, ''),
      durationSec: Number(/duration=([\d.]+)s/.exec(l)?.[1] ?? NaN),
      packets: Number(/n_packets=(\d+)/.exec(l)?.[1] ?? NaN),
    }));
}

/** Packets matched so far by forwarding's flows on a bridge (grows while traffic crosses it). */
async function forwardedPackets(bridge: string, protocols: OpenFlowVersionName): Promise<number> {
  return (await flowStats(bridge, protocols))
    .filter((f) => f.key.startsWith(FORWARDING_COOKIE_PREFIX))
    .reduce((sum, f) => sum + f.packets, 0);
}

async function waitForForwarded(bridge: string, protocols: OpenFlowVersionName, more: number, what: string) {
  const start = await forwardedPackets(bridge, protocols);
  await waitFor(async () => (await forwardedPackets(bridge, protocols)) >= start + more, {
    what: `${more} more packets through forwarding's flows on ${bridge} ${what}`,
    timeoutMs: 15_000,
    intervalMs: 200,
    detail: async () => `flows on ${bridge}:\n${(await ofctl(['dump-flows', bridge], protocols)).trim()}`,
  });
}

// ------------------------------------------------------------------------------------------ raw wire

interface WireOutcome {
  /** The controller closed (or reset) the connection before we gave up. */
  closed: boolean;
  /** Message types of the frames the controller sent (0 HELLO, 1 ERROR, 5 FEATURES_REQUEST...). */
  types: number[];
  ms: number;
}

/** Connects to the OpenFlow port, writes `chunks`, and waits up to `waitMs` for the controller to hang up. */
function probeWire(port: number, chunks: Buffer[], waitMs: number): Promise<WireOutcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const received: Buffer[] = [];
    const sock = net.connect(port, '127.0.0.1');
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ closed, types: frameTypes(Buffer.concat(received)), ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    sock.on('data', (d: Buffer) => received.push(d));
    // A reset while we still write (EPIPE/ECONNRESET) is the controller hanging up too.
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('connect', () => {
      for (const c of chunks) sock.write(c);
    });
  });
}

function frameTypes(buf: Buffer): number[] {
  const types: number[] = [];
  for (let off = 0; off + 8 <= buf.length;) {
    const len = buf.readUInt16BE(off + 2);
    types.push(buf[off + 1]);
    if (len < 8) break;
    off += len;
  }
  return types;
}

function hello(v: OfVersion): Buffer {
  return encode(sampleMessages(v).find((m) => m.type === 'hello')!);
}

/** Counter-mode SHA-256: the fuzz frames are the same on every run, so a failure can be replayed. */
function prng(seed: string): () => number {
  let n = 0;
  return () => createHash('sha256').update(`${seed}:${n++}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * A well-formed message of the version, then broken one of several ways. FEATURES_REPLY is never a template
 * nor a mutated type: one that matched the controller's request would register a fake switch (the samples
 * use dpid 1, a real switch's).
 */
function mutatedFrame(v: OfVersion, rnd: () => number): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  const templates = sampleMessages(v)
    .filter((m) => m.type !== 'hello' && m.type !== 'features_reply')
    .map(encode);
  const f = Buffer.from(templates[int(templates.length)]);
  const randomType = () => {
    const t = int(30);
    return t === OFPT_FEATURES_REPLY ? OFPT_ERROR : t;
  };
  switch (int(6)) {
    case 0: // a few bytes of the body flipped
      for (let i = 1 + int(4); i > 0 && f.length > 8; i--) f[8 + int(f.length - 8)] ^= 1 + int(255);
      return f;
    case 1: // another type's header on this body
      f[1] = randomType();
      return f;
    case 2: {
      // cut short, with a length that says so
      const cut = f.subarray(0, 8 + int(Math.max(1, f.length - 8)));
      cut.writeUInt16BE(cut.length, 2);
      return cut;
    }
    case 3: {
      // trailing junk counted in the length
      const junk = Buffer.from(Array.from({ length: 1 + int(40) }, () => int(256)));
      const long = Buffer.concat([f, junk]);
      long.writeUInt16BE(long.length, 2);
      return long;
    }
    case 4: // a length that disagrees with the bytes (the stream goes out of step)
      f.writeUInt16BE(int(f.length + 16), 2);
      return f;
    default: {
      // noise behind a plausible header
      const noise = Buffer.from(Array.from({ length: 8 + int(56) }, () => int(256)));
      noise[0] = v;
      noise[1] = randomType();
      noise.writeUInt16BE(noise.length, 2);
      return noise;
    }
  }
}

// ------------------------------------------------------------------------------------------ restarts

/**
 * Registers the enclosing suite's hooks: a controller and a linear,2 network that pings 0% before the first
 * test, both stopped after the last. Returns their getter.
 */
function liveNetwork(protocols: OpenFlowVersionName): () => { ctl: RunningController; mn: MininetNet } {
  let ctl: RunningController | undefined;
  let mn: MininetNet | undefined;
  before(async () => {
    await ensureOvs();
    ctl = await startController();
    mn = await MininetNet.start({ topo: 'linear,2', protocols, controllerPort: ctl.openflowPort });
    await waitForNetwork(ctl, [S1, S2], 1);
    assert.equal((await mn.pingallUntil(0, 30_000)).lossPct, 0);
  });
  after(async () => {
    await mn?.stop();
    await ctl?.stop();
  });
  return () => {
    assert.ok(ctl && mn, 'the suite set up its network');
    return { ctl, mn };
  };
}

describe('restarts over OpenFlow13 (linear,2)', () => {
  const protocols: OpenFlowVersionName = 'OpenFlow13';
  const live = liveNetwork(protocols);

  test('kill -9 and restart of the controller: pings keep flowing and no flow is wiped', async (t) => {
    const { ctl: c, mn: n } = live();
    const ping = await n.bg('h1', ['ping', '-i', '0.2', '-c', '1000', n.host('h2').ip]);
    let pingKilled = false;
    // However this test ends, the suite's next test finds the controller up and no ping running.
    t.after(async () => {
      if (!pingKilled) await ping.kill().catch(() => undefined);
      if (!c.proc.running) {
        await c.restart();
        await waitForNetwork(c, [S1, S2], 1);
      }
    });
    await waitForForwarded('s1', protocols, 5, 'from the background ping');
    // Both directions routed on both switches: until the topology knows the link both ways, forwarding
    // floods through the controller, and those packets would (rightly) stop with it.
    const routed = async () => {
      const h1 = n.host('h1').mac;
      const h2 = n.host('h2').mac;
      for (const sw of ['s1', 's2']) {
        const fwd = (await dumpFlows(sw, protocols)).filter((l) => l.startsWith(FORWARDING_COOKIE_PREFIX));
        if (!fwd.some((l) => l.includes(`dl_dst=${h1}`)) || !fwd.some((l) => l.includes(`dl_dst=${h2}`)))
          return false;
      }
      return true;
    };
    await waitFor(routed, {
      what: "forwarding's flows both ways on s1 and s2",
      timeoutMs: 20_000,
      detail: async () =>
        `links: ${JSON.stringify(await getJson(c, '/wm/topology/links/json'))}\n` +
        `s1:\n${(await dumpFlows('s1', protocols)).join('\n')}\ns2:\n${(await dumpFlows('s2', protocols)).join('\n')}\n` +
        `controller log:\n${c.logTail(30)}`,
    });
    const before = { s1: await dumpFlows('s1', protocols), s2: await dumpFlows('s2', protocols) };
    const statsBefore = [...(await flowStats('s1', protocols)), ...(await flowStats('s2', protocols))];
    assert.ok(
      before.s1.some((l) => l.startsWith(FORWARDING_COOKIE_PREFIX)),
      `forwarding's flows on s1:\n${before.s1.join('\n')}`,
    );
    const tBefore = Date.now();

    await c.kill();
    await waitFor(async () => !(await canConnect(c.openflowPort)), {
      what: `OpenFlow port ${c.openflowPort} to close after kill -9`,
    });
    // Traffic crosses the switches while no controller is there: fail-mode secure keeps the flows. 25
    // packets (requests and replies both cross s1) are about 2.5 s of pings at 0.2 s.
    await waitForForwarded('s1', protocols, 25, 'with the controller down');
    assert.equal(c.proc.running, false, 'the controller is still down while those packets pass');

    await c.restart();
    await waitForNetwork(c, [S1, S2], 1);
    await waitForForwarded('s1', protocols, 5, 'after the switches reconnected');
    const after = { s1: await dumpFlows('s1', protocols), s2: await dumpFlows('s2', protocols) };
    const statsAfter = [...(await flowStats('s1', protocols)), ...(await flowStats('s2', protocols))];
    pingKilled = true;
    const summary = pingSummary((await ping.kill()).stdout);

    t.diagnostic(
      `background ping ${JSON.stringify(summary)}; flows kept: s1 ${before.s1.length}, s2 ${before.s2.length}`,
    );
    assert.ok(summary.sent >= 15, `the background ping ran across the restart: ${JSON.stringify(summary)}`);
    assert.ok(summary.lossPct <= 10, `background ping loss ${summary.lossPct.toFixed(1)}% (<= 10%)`);
    for (const sw of ['s1', 's2'] as const) {
      const missing = before[sw].filter((l) => !after[sw].includes(l));
      assert.deepEqual(missing, [], `${sw} flows gone after the restart; now:\n${after[sw].join('\n')}`);
    }
    // Same flow text could be a delete and a re-add: a re-added flow's age restarts from 0.
    const elapsedSec = (Date.now() - tBefore) / 1000;
    for (const f of statsBefore) {
      const now = statsAfter.find((a) => a.key === f.key);
      assert.ok(now, `flow still there: ${f.key}`);
      assert.ok(
        now.durationSec >= f.durationSec + elapsedSec - 2,
        `flow kept its age (${f.durationSec}s before, ${now.durationSec}s after ${elapsedSec.toFixed(1)}s): ${f.key}`,
      );
    }
  });

  test('a stopped and restarted switch is rediscovered with its link', async () => {
    const { ctl: c, mn: n } = live();
    const s1Before = (await switchesOf(c)).find((s) => s.switchDPID === S1);
    assert.ok(s1Before, 's1 connected before the stop');

    await n.stopSwitch('s1');
    await waitForNetwork(c, [S2], 0);
    await n.startSwitch('s1');
    await waitForNetwork(c, [S1, S2], 1);

    const s1After = (await switchesOf(c)).find((s) => s.switchDPID === S1);
    assert.ok(s1After && s1After.connectedSince > s1Before.connectedSince, 's1 is a new connection');
    assert.equal((await n.pingallUntil(0, 30_000)).lossPct, 0);
  });
});

// ------------------------------------------------------------------------------------------ bad input

describe('bad wire input beside a live OpenFlow10 network (linear,2)', () => {
  const protocols: OpenFlowVersionName = 'OpenFlow10';
  const live = liveNetwork(protocols);

  test('malformed connections are cut off one by one; switches and traffic are untouched', async (t) => {
    const { ctl: c, mn: n } = live();
    const switchesBefore = await switchTable(c);
    const decodeErrorsBefore = await metric(c, 'sluice_decode_errors_total');
    const ping = await n.bg('h1', ['ping', '-i', '0.2', '-c', '1000', n.host('h2').ip]);
    await waitForForwarded('s1', protocols, 5, 'from the background ping');

    const v10 = OFP_VERSION_1_0;
    const v13 = OFP_VERSION_1_3;
    const waitMs = HANDSHAKE_TIMEOUT_MS + 5000;
    const rnd = prng('sluice-resilience');
    const fuzzStreams = Array.from({ length: 20 }, (_, i) => {
      const v = i % 2 ? v13 : v10;
      return [hello(v), ...Array.from({ length: 20 }, () => mutatedFrame(v, rnd))];
    });
    const [truncated, hugeLength, helloBadLength, helloText, notHello, ...fuzz] = await Promise.all([
      // (a) three bytes of a HELLO header: nothing to parse, the handshake timeout ends it
      probeWire(c.openflowPort, [hello(v10).subarray(0, 3)], waitMs),
      // (b) a HELLO claiming 65535 bytes, with four
      probeWire(c.openflowPort, [Buffer.from([v13, OFPT_HELLO, 0xff, 0xff, 0, 0, 0, 1, 1, 2, 3, 4])], waitMs),
      // (c) a valid HELLO, then garbage whose length field is below the 8-byte header
      probeWire(c.openflowPort, [hello(v13), Buffer.from('0400000312345678deadbeef', 'hex')], waitMs),
      // (c') a valid HELLO, then text (its "length" asks for 21536 bytes that never come)
      probeWire(c.openflowPort, [hello(v10), Buffer.from('GET / HTTP/1.1\r\nHost: sluice\r\n\r\n')], waitMs),
      // not OpenFlow at all
      probeWire(c.openflowPort, [Buffer.from('SSH-2.0-OpenSSH_9.2\r\n')], waitMs),
      // (d) 400 mutated frames over 20 connections
      ...fuzzStreams.map((s) => probeWire(c.openflowPort, s, waitMs)),
    ]);

    const show = (o: WireOutcome) => JSON.stringify(o);
    for (const [name, o] of Object.entries({ truncated, hugeLength, helloText })) {
      assert.ok(o.closed, `${name}: closed by the controller: ${show(o)}`);
      assert.ok(o.ms >= HANDSHAKE_TIMEOUT_MS - 1000, `${name}: waited for the handshake timeout: ${show(o)}`);
      assert.equal(o.types[0], OFPT_HELLO, `${name}: the controller said HELLO first: ${show(o)}`);
    }
    for (const [name, o] of Object.entries({ helloBadLength, notHello })) {
      assert.ok(o.closed && o.ms < 3000, `${name}: closed at once: ${show(o)}`);
      assert.ok(o.types.includes(OFPT_ERROR), `${name}: an OFPT_ERROR before the close: ${show(o)}`);
    }
    const open = fuzz.filter((o) => !o.closed);
    assert.deepEqual(open, [], 'every fuzzed connection closed by the controller');
    const refused = fuzz.filter((o) => o.types.includes(OFPT_ERROR)).length;
    const slowest = Math.max(...fuzz.map((o) => o.ms));
    t.diagnostic(
      `fuzzed streams: ${refused}/${fuzz.length} drew an OFPT_ERROR; the last closed after ${slowest} ms`,
    );
    assert.ok(
      refused >= fuzz.length / 2,
      `most fuzzed streams drew an OFPT_ERROR: ${refused}/${fuzz.length}`,
    );
    assert.ok((await metric(c, 'sluice_decode_errors_total')) > decodeErrorsBefore, 'decode errors counted');

    assert.equal(c.proc.running, true, 'controller process alive');
    await getJson(c, '/wm/core/health/json');
    assert.deepEqual(await switchTable(c), switchesBefore, 'the real switches never reconnected');
    assert.doesNotMatch(
      c.logTail(10_000),
      /internal error handling switch input|decoder failed unexpectedly/,
      'no input reached a code path the codec does not guard',
    );
    const summary = pingSummary((await ping.kill()).stdout);
    assert.ok(summary.lossPct <= 5, `background ping during the attack: ${JSON.stringify(summary)}`);
    const all = await n.pingall();
    assert.equal(all.lossPct, 0, `pingall after the attack: ${JSON.stringify(all.pairs)}`);
  });
});
