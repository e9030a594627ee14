import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Controller, type Logger } from '../../src/controller/index.js';
import { FrameReader, decode, encode, type OfMessage } from '../../src/openflow/index.js';
import type { Store } from '../../src/store/index.js';
import { FakeSwitch, port } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';
// Seeded so that a failing fuzz run can be replayed.
import { mulberry32 as rng } from '../../bench/scalenet/wiring.js';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let c: Controller;
let good: FakeSwitch;
const fakes: FakeSwitch[] = [];

before(async () => {
  c = new Controller({
    listen: [{ host: '127.0.0.1', port: 0 }],
    log: quiet,
    store: {} as Store,
    requestTimeoutMs: 1000,
    handshakeTimeoutMs: 1000,
    maxFrame: 4096,
  });
  await c.start();
  good = new FakeSwitch({ dpid: 1n });
  await good.connect(c.addresses[0].port);
  await waitFor(() => c.switches.has(1n), { what: 'good switch up', intervalMs: 5 });
});

after(async () => {
  for (const f of [good, ...fakes]) f.close();
  await c.stop();
});

/** The reference switch still answers a round trip through the controller. */
async function goodSwitchStillWorks(): Promise<void> {
  const sw = c.switches.get(1n);
  assert.ok(sw, 'good switch still registered');
  await sw.barrier({ timeoutMs: 2000 });
}

async function handshaken(dpid: bigint, versions = [1, 4]): Promise<FakeSwitch> {
  const f = new FakeSwitch({ dpid, versions });
  fakes.push(f);
  await f.connect(c.addresses[0].port);
  await waitFor(() => c.switches.has(dpid), { what: `switch ${dpid} up`, intervalMs: 5 });
  return f;
}

function header(version: number, type: number, length: number, xid: number, total = length): Buffer {
  const b = Buffer.alloc(Math.max(total, 8));
  b.writeUInt8(version, 0);
  b.writeUInt8(type, 1);
  b.writeUInt16BE(length, 2);
  b.writeUInt32BE(xid, 4);
  return b;
}

test('a message with a truncated body gets BAD_REQUEST back; the connection stays', async () => {
  const f = await handshaken(0x100n);
  // OF1.3 FEATURES_REPLY (type 6) needs 32 bytes; this one is only the header.
  f.writeRaw(header(4, 6, 8, 0xabc));
  await waitFor(() => f.of('error').length === 1, { what: 'error reply', intervalMs: 5 });
  const e = f.of('error')[0];
  assert.equal(e.errType, 1);
  assert.equal(e.xid, 0xabc);
  assert.equal(f.closed, false);
  await c.switches.get(0x100n)!.barrier();
  await goodSwitchStillWorks();
});

test('an unknown message type gets BAD_REQUEST/BAD_TYPE; the connection stays', async () => {
  const f = await handshaken(0x101n);
  f.writeRaw(header(4, 99, 8, 77));
  await waitFor(() => f.of('error').length === 1, { what: 'error reply', intervalMs: 5 });
  assert.deepEqual([f.of('error')[0].errType, f.of('error')[0].code, f.of('error')[0].xid], [1, 1, 77]);
  await c.switches.get(0x101n)!.barrier();
});

test('a length below the header size is a framing error: error sent, only that connection closed', async () => {
  const f = await handshaken(0x102n);
  f.writeRaw(header(4, 2, 4, 5, 8));
  await waitFor(() => f.closed, { what: 'connection closed', intervalMs: 5 });
  assert.ok(f.of('error').length >= 1);
  assert.equal(c.switches.has(0x102n), false);
  await goodSwitchStillWorks();
});

test('frames ahead of a bad length in the same read are handled; the error quotes the bad frame', async () => {
  const f = await handshaken(0x105n);
  const echo = encode({ type: 'echo_request', version: 4, xid: 0x51, data: Buffer.from('before') });
  f.writeRaw(Buffer.concat([echo, header(4, 2, 4, 0x52, 8)]));
  await waitFor(() => f.closed, { what: 'connection closed', intervalMs: 5 });
  assert.deepEqual(
    f.received.filter((m) => m.type === 'echo_reply' || m.type === 'error').map((m) => [m.type, m.xid]),
    [
      ['echo_reply', 0x51],
      ['error', 0x52],
    ],
  );
});

test('a length above the maximum frame size is a framing error: error sent, connection closed', async () => {
  const f = await handshaken(0x104n);
  f.writeRaw(header(4, 10, 5000, 6, 5000));
  await waitFor(() => f.closed, { what: 'connection closed', intervalMs: 5 });
  assert.ok(f.of('error').length >= 1);
  assert.equal(c.switches.has(0x104n), false);
  await goodSwitchStillWorks();
});

test('the wrong wire version after negotiation closes the connection', async () => {
  const f = await handshaken(0x103n, [1]);
  f.writeRaw(header(4, 2, 8, 9));
  await waitFor(() => f.closed, { what: 'connection closed', intervalMs: 5 });
  const err = f.of('error')[0];
  assert.equal(err.errType, 1);
  assert.equal(err.code, 0); // BAD_VERSION
  await goodSwitchStillWorks();
});

test('garbage instead of HELLO closes at once; garbage right after HELLO closes too', async () => {
  const closedBefore = await rawExchange(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.ok(closedBefore.errors.some((m) => m.type === 'error' && m.errType === 0));
  const hello = encode({ type: 'hello', version: 4, xid: 1, versions: [1, 4] });
  const garbage = Buffer.from('ffff0003deadbeef', 'hex');
  const closedAfter = await rawExchange(Buffer.concat([hello, garbage]));
  assert.ok(closedAfter.errors.length >= 1);
  await goodSwitchStillWorks();
});

/** Writes `bytes` on a fresh connection and collects what comes back until the controller closes it. */
function rawExchange(bytes: Buffer): Promise<{ errors: OfMessage[] }> {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    const got: OfMessage[] = [];
    const s = net.connect(c.addresses[0].port, '127.0.0.1', () => s.write(bytes));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('controller did not close the connection'));
    }, 3000);
    s.on('data', (d: Buffer) => {
      for (const f of reader.push(d)) got.push(decode(f));
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ errors: got.filter((m) => m.type === 'error') });
    });
  });
}

/** What one fuzzed connection was sent and what came back: the fuzz test's failure message. */
interface FuzzedConnection {
  frames: number;
  bytes: number;
  /** OFPT_ERRORs the controller sent back. */
  errors: number;
  /** Zero bytes sent to finish a frame whose mutated length the stream left unfinished. */
  padded: boolean;
  end: 'open' | 'echo answered' | 'closed by the controller';
}

test('a fuzzed stream of mutated frames never takes the controller down', async () => {
  const seeds: OfMessage[] = [
    { type: 'echo_request', version: 4, xid: 1, data: Buffer.from('ping') },
    {
      type: 'packet_in',
      version: 4,
      xid: 2,
      bufferId: 0xffffffff,
      totalLen: 64,
      reason: 0,
      tableId: 0,
      cookie: 0n,
      match: { in_port: 1 },
      data: Buffer.alloc(64, 1),
    },
    { type: 'port_status', version: 4, xid: 3, reason: 2, desc: port(3) },
    {
      type: 'stats_reply',
      version: 4,
      xid: 4,
      flags: 0,
      body: { kind: 'port_desc', ports: [port(1), port(2)] },
    },
    { type: 'error', version: 4, xid: 5, errType: 1, code: 1, data: Buffer.alloc(12) },
    {
      type: 'flow_removed',
      version: 4,
      xid: 6,
      cookie: 1n,
      priority: 1,
      reason: 0,
      tableId: 0,
      durationSec: 0,
      durationNsec: 0,
      idleTimeout: 0,
      hardTimeout: 0,
      packetCount: 0n,
      byteCount: 0n,
      match: { eth_type: 0x800, ipv4_src: '10.0.0.1' },
    },
  ];
  const frames = seeds.map((m) => encode(m));
  const random = rng(0x5eed);
  const before = { ...c.metrics };
  const seen: FuzzedConnection[] = [];
  const report = () =>
    JSON.stringify({
      messagesIn: c.metrics.messagesIn - before.messagesIn,
      decodeErrors: c.metrics.decodeErrors - before.decodeErrors,
      connections: seen,
    });
  // The controller's framer and version check, mirrored: they say which whole frames reach the decoder and
  // whether the controller must close the connection (a bad length, or a frame of another version once
  // a mutated length has put the stream out of step), so each connection's outcome can be checked.
  let f!: FakeSwitch;
  let mirror!: FrameReader;
  let closing = false;
  let conn!: FuzzedConnection;
  let handled = 0;
  let rejected = 0;
  let framingErrors = 0;
  const deliver = (bytes: Buffer): void => {
    f.writeRaw(bytes);
    conn.bytes += bytes.length;
    if (closing) return;
    const { frames: whole, error } = mirror.pushUntilError(bytes);
    for (const frame of whole) {
      handled++;
      if (frame[0] !== 4) {
        rejected++;
        closing = true;
        return;
      }
      try {
        decode(frame);
      } catch {
        rejected++;
      }
    }
    if (error) {
      closing = true;
      framingErrors++;
    }
  };
  /** Waits until the controller has read all we sent: TCP may hold bytes for tens of ms on a busy machine. */
  const settle = async (echoXid: number): Promise<void> => {
    if (!closing && mirror.buffered > 0) {
      // A mutated length left a frame unfinished: zeros finish it, then a zero length breaks the framing.
      conn.padded = true;
      deliver(Buffer.alloc(4096 + 8));
    }
    if (!closing) deliver(encode({ type: 'echo_request', version: 4, xid: echoXid, data: Buffer.alloc(0) }));
    const answered = () => f.of('echo_reply').some((m) => m.xid === echoXid);
    await waitFor(() => f.closed || answered(), {
      what: 'the fuzzed connection to answer or close',
      intervalMs: 5,
      detail: report,
    });
    conn.errors = f.of('error').length;
    conn.end = f.closed ? 'closed by the controller' : 'echo answered';
    assert.equal(f.closed, closing, `closed exactly when the stream broke: ${report()}`);
  };
  let sent = 0;
  for (let round = 0; sent < 400; round++) {
    f = await handshaken(0x200n);
    mirror = new FrameReader({ maxFrame: 4096 });
    closing = false;
    conn = { frames: 0, bytes: 0, errors: 0, padded: false, end: 'open' };
    seen.push(conn);
    // Up to 20 frames a connection; one that breaks the stream ends it early (nothing after it is read).
    while (conn.frames < 20 && sent < 400 && !closing) {
      const frame = Buffer.from(frames[Math.floor(random() * frames.length)]);
      const flips = 1 + Math.floor(random() * 4);
      // Mostly body mutations; now and then the header (type, length) too.
      for (let k = 0; k < flips; k++) {
        const at =
          random() < 0.8 ? 8 + Math.floor(random() * (frame.length - 8)) : 1 + Math.floor(random() * 3);
        frame[at] = Math.floor(random() * 256);
      }
      conn.frames++;
      sent++;
      deliver(frame);
    }
    await settle(0xec00_0000 + round);
    f.close();
    await waitFor(() => !c.switches.has(0x200n), { what: 'fuzzed switch gone', intervalMs: 5 });
  }
  await goodSwitchStillWorks();
  assert.ok(rejected > 0 && framingErrors > 0, `the fuzz exercised both kinds of rejection: ${report()}`);
  assert.ok(
    c.metrics.messagesIn - before.messagesIn >= handled,
    `every whole frame reached the controller (${handled}): ${report()}`,
  );
  assert.equal(
    c.metrics.decodeErrors - before.decodeErrors,
    rejected + framingErrors,
    `every rejection counted (${rejected} undecodable frames, ${framingErrors} framing errors): ${report()}`,
  );
});
