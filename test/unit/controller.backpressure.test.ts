import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { Controller, appCookie, type Logger } from '../../src/controller/index.js';
import { FrameReader, decode, encode, type OfMessage } from '../../src/openflow/index.js';
import type { Store } from '../../src/store/index.js';
import { port } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** An OF1.0 switch on an in-memory stream whose reading side can be stalled (it then holds write callbacks). */
class MemorySwitch extends Duplex {
  readonly received: OfMessage[] = [];
  stalled = false;
  private readonly held: (() => void)[] = [];
  private readonly reader = new FrameReader();

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    for (const f of this.reader.push(chunk)) this.answer(decode(f));
    if (this.stalled) this.held.push(() => done());
    else done();
  }

  unstall(): void {
    this.stalled = false;
    for (const done of this.held.splice(0)) done();
  }

  send(msg: OfMessage): void {
    this.push(encode(msg));
  }

  private answer(m: OfMessage): void {
    this.received.push(m);
    if (m.type === 'features_request') {
      this.send({
        type: 'features_reply',
        version: 1,
        xid: m.xid,
        datapathId: 0xbeefn,
        nBuffers: 0,
        nTables: 1,
        auxiliaryId: 0,
        capabilities: 0,
        actions: 0,
        ports: [port(1)],
      });
    } else if (m.type === 'stats_request' && m.body.kind === 'desc') {
      const desc = { mfrDesc: 'mem', hwDesc: '', swDesc: '', serialNum: '', dpDesc: '' };
      this.send({ type: 'stats_reply', version: 1, xid: m.xid, flags: 0, body: { kind: 'desc', desc } });
    }
  }
}

test('a switch that stops reading is not read from until its write buffer drains', async () => {
  const c = new Controller({
    listen: [{ host: '127.0.0.1', port: 0 }],
    log: quiet,
    store: {} as Store,
    maxWriteBuffer: 4096,
  });
  c.use({
    name: 'reflect',
    cookie: appCookie(1),
    packetIn: (sw, msg) => {
      sw.send({ type: 'packet_out', bufferId: 0xffffffff, inPort: 1, actions: [], data: msg.data });
      return 'stop';
    },
  });
  await c.start();
  try {
    const mem = new MemorySwitch();
    c.accept(mem, 'memory:1');
    mem.send({ type: 'hello', version: 1, xid: 1, versions: [] });
    await waitFor(() => c.switches.has(0xbeefn), { what: 'in-memory switch up', intervalMs: 5 });

    mem.stalled = true;
    const pin = (i: number): OfMessage => ({
      type: 'packet_in',
      version: 1,
      xid: 100 + i,
      bufferId: 0xffffffff,
      totalLen: 1500,
      reason: 0,
      tableId: 0,
      cookie: 0n,
      match: { in_port: 1 },
      data: Buffer.alloc(1500, i),
    });
    for (let i = 0; i < 20; i++) mem.send(pin(i));
    await waitFor(() => mem.isPaused(), { what: 'controller pauses reading', intervalMs: 5 });
    const handled = c.metrics.packetIn;
    assert.ok(handled >= 11 && handled <= 20, `handled ${handled} before pausing`);
    for (let i = 20; i < 30; i++) mem.send(pin(i));
    await new Promise((r) => setImmediate(r));
    assert.equal(c.metrics.packetIn, handled, 'nothing read while paused');

    mem.unstall();
    await waitFor(() => c.metrics.packetIn === 30, {
      what: 'all packet-ins handled after drain',
      intervalMs: 5,
    });
    await waitFor(() => mem.received.filter((m) => m.type === 'packet_out').length === 30, {
      what: 'all answers written',
      intervalMs: 5,
    });
  } finally {
    await c.stop();
  }
});
