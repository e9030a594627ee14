import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { Controller, type Logger } from '../../src/controller/index.js';
import { checkSharedRead, readWithSharedBuffer, sharedReadSupport } from '../../src/controller/ownbuffer.js';
import type { Store } from '../../src/store/index.js';
import { FakeSwitch } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';

/** A loopback server whose accepted sockets read through the shared buffer; resolves with their chunks. */
async function withServer(
  fn: (
    port: number,
    accepted: Promise<{ socket: net.Socket; chunks: Buffer[]; installed: boolean }>,
  ) => Promise<void>,
): Promise<void> {
  let resolveAccepted!: (v: { socket: net.Socket; chunks: Buffer[]; installed: boolean }) => void;
  const accepted = new Promise<{ socket: net.Socket; chunks: Buffer[]; installed: boolean }>(
    (r) => (resolveAccepted = r),
  );
  const server = net.createServer((socket) => {
    const chunks: Buffer[] = [];
    const installed = readWithSharedBuffer(socket, (c) => chunks.push(c));
    resolveAccepted({ socket, chunks, installed });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await fn((server.address() as net.AddressInfo).port, accepted);
  } finally {
    server.close();
  }
}

test('accepted TCP sockets deliver every byte, in order, as private copies', async () => {
  await withServer(async (port, accepted) => {
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const { socket, chunks, installed } = await accepted;
    assert.equal(installed, true, 'this Node supports the shared read buffer');
    const sent: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const b = Buffer.alloc(1 + (i % 97), i & 0xff);
      sent.push(b);
      client.write(b);
      // Let some writes land as separate reads so the shared buffer is reused under earlier chunks.
      if (i % 10 === 0) await waitFor(() => chunks.length > 0, { what: 'a read', intervalMs: 5 });
    }
    const total = sent.reduce((n, b) => n + b.length, 0);
    await waitFor(() => chunks.reduce((n, c) => n + c.length, 0) === total, {
      what: `${total} bytes`,
      intervalMs: 5,
    });
    assert.ok(chunks.length > 1, 'input arrived over several reads');
    // Earlier chunks still hold their own bytes after later reads overwrote the shared buffer.
    assert.deepEqual(Buffer.concat(chunks), Buffer.concat(sent));
    client.end();
    await once(socket, 'end');
    socket.destroy();
  });
});

test('pause and resume keep working (backpressure on a switch that does not read)', async () => {
  await withServer(async (port, accepted) => {
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const { socket, chunks } = await accepted;
    client.write('a');
    await waitFor(() => chunks.length === 1, { what: 'the first read', intervalMs: 5 });
    socket.pause();
    assert.equal(socket.isPaused(), true);
    client.write('bcd');
    socket.resume();
    await waitFor(() => Buffer.concat(chunks).toString() === 'abcd', {
      what: 'the bytes sent around the pause',
      intervalMs: 5,
    });
    client.destroy();
    socket.destroy();
  });
});

test('a peer that closes ends the socket as with data events', async () => {
  await withServer(async (port, accepted) => {
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const { socket } = await accepted;
    const closed = once(socket, 'close');
    client.end('bye');
    await closed;
    assert.equal(socket.destroyed, true);
  });
});

test('streams that are not plain TCP sockets are left alone', () => {
  const stream = new PassThrough();
  assert.equal(
    readWithSharedBuffer(stream, () => {}),
    false,
  );
  const unconnected = new net.Socket();
  assert.equal(
    readWithSharedBuffer(unconnected, () => {}),
    false,
    'no handle yet',
  );
  unconnected.destroy();
});

test("the check of Node's private socket fields passes on this Node (a Node that changes them fails here)", () => {
  const support = sharedReadSupport();
  assert.equal(support.ok, true, support.ok ? '' : support.reason);
});

test('the check fails, naming why, for fields that are gone or no longer what onread sets', () => {
  assert.deepEqual(
    checkSharedRead(() => ({})),
    { ok: false, reason: 'net.Socket has no kBuffer, kBufferCb, kBufferGen field' },
  );
  // The fields exist, but the option no longer fills them (a socket that ignores `onread`).
  const ignoresOnread = checkSharedRead(() => new net.Socket());
  assert.equal(ignoresOnread.ok, false);
  assert.match(ignoresOnread.ok ? '' : ignoresOnread.reason, /onread option/);
});

test('after a failed check, switch sockets read with data events and the controller says why', async () => {
  const warnings: { obj: object; msg?: string }[] = [];
  const log: Logger = {
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => warnings.push({ obj, msg }),
    error: () => {},
  };
  const failed = { ok: false, reason: 'test: fields renamed' } as const;
  await withServer(async (port, accepted) => {
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const { socket } = await accepted;
    assert.equal(
      readWithSharedBuffer(socket, () => {}, failed),
      false,
      'left alone',
    );
    client.destroy();
    socket.destroy();
  });
  const c = new Controller({
    listen: [{ host: '127.0.0.1', port: 0 }],
    log,
    store: {} as Store,
    sharedRead: failed,
  });
  await c.start();
  const f = new FakeSwitch({ dpid: 0x0bn });
  try {
    assert.ok(
      warnings.some(
        (w) => (w.obj as { reason?: string }).reason === failed.reason && /data' events/.test(w.msg ?? ''),
      ),
      JSON.stringify(warnings),
    );
    await f.connect(c.addresses[0].port);
    await waitFor(() => c.switches.has(0x0bn), { what: 'the switch up over data events', intervalMs: 5 });
  } finally {
    f.close();
    await c.stop();
  }
});
