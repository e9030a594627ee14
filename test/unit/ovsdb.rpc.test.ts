import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JsonStreamParser,
  OvsdbConnectionError,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbTimeoutError,
  RpcConnection,
  type RpcConnectionOptions,
} from '../../src/ovsdb/index.js';
import { waitFor } from '../support/wait.js';

type Handler = (msg: Record<string, any>, reply: (m: object) => void, raw: net.Socket) => void;

/** A scripted JSON-RPC peer on a Unix socket; returns our side of the connection. */
async function pair(
  handler: Handler,
  opts: RpcConnectionOptions = {},
): Promise<{
  conn: RpcConnection;
  peer: Promise<net.Socket>;
  closed: Promise<Error | undefined>;
  stop(): void;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsdb-rpc-'));
  const path = join(dir, 's');
  let peerResolve!: (s: net.Socket) => void;
  const peer = new Promise<net.Socket>((r) => (peerResolve = r));
  const server = net.createServer((s) => {
    peerResolve(s);
    // Our side closing while the peer still writes (an echo reply) resets the peer's socket: not an error here.
    s.on('error', () => undefined);
    const parser = new JsonStreamParser();
    s.on('data', (d) => {
      for (const m of parser.push(d)) handler(m as Record<string, any>, (r) => s.write(JSON.stringify(r)), s);
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  const socket = net.connect(path);
  await new Promise((r) => socket.once('connect', r));
  let closedResolve!: (e: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((r) => (closedResolve = r));
  const conn = new RpcConnection(socket, { ...opts, onClose: (e) => closedResolve(e) });
  return {
    conn,
    peer,
    closed,
    stop() {
      conn.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('replies are matched to requests by id, even out of order', async () => {
  const held: [Record<string, any>, (m: object) => void][] = [];
  const p = await pair((msg, reply) => {
    held.push([msg, reply]);
    if (held.length === 2)
      for (const [m, r] of held.reverse()) r({ id: m.id, result: [m.method], error: null });
  });
  try {
    const [a, b] = await Promise.all([
      p.conn.request('list_dbs', [], { timeoutMs: 2000 }),
      p.conn.request('get_schema', ['x'], { timeoutMs: 2000 }),
    ]);
    assert.deepEqual(a, ['list_dbs']);
    assert.deepEqual(b, ['get_schema']);
  } finally {
    p.stop();
  }
});

test("an error reply rejects with OvsdbRpcError; the server's echo is answered", async () => {
  const echoed = new Promise<unknown>((resolve) => {
    void pair((msg, reply, s) => {
      if (msg.method === 'get_schema') {
        reply({ id: msg.id, result: null, error: 'unknown database' });
        s.write(JSON.stringify({ id: 'echo', method: 'echo', params: [] }));
      } else if (msg.id === 'echo') resolve(msg);
    }).then(async (p) => {
      await assert.rejects(p.conn.request('get_schema', ['nope'], { timeoutMs: 2000 }), (err: unknown) => {
        return (
          err instanceof OvsdbRpcError && err.error === 'unknown database' && err.method === 'get_schema'
        );
      });
      setTimeout(() => p.stop(), 200);
    });
  });
  assert.deepEqual(await echoed, { id: 'echo', result: [], error: null });
});

test('notifications reach the handler; an unknown request gets an error reply', async () => {
  let notified: [string, unknown[]] | undefined;
  const reply = new Promise<Record<string, any>>((resolve) => {
    void pair(
      (msg) => {
        if (msg.id === 7) resolve(msg);
      },
      { onNotification: (m, params) => (notified = [m, params]) },
    ).then(async (p) => {
      const s = await p.peer;
      s.write('{"id":null,"method":"update","params":["m",{}]}{"id":7,"method":"steal","params":[]}');
      setTimeout(() => p.stop(), 200);
    });
  });
  assert.deepEqual(await reply, { id: 7, result: null, error: 'unknown method steal' });
  assert.deepEqual(notified, ['update', ['m', {}]]);
});

test('a request without reply times out and a late reply is ignored', async () => {
  let late: ((m: object) => void) | undefined;
  let lateId = 0;
  const p = await pair((msg, reply) => {
    if (msg.method === 'slow') [late, lateId] = [reply, msg.id];
    else reply({ id: msg.id, result: 'ok', error: null });
  });
  try {
    await assert.rejects(p.conn.request('slow', [], { timeoutMs: 50 }), OvsdbTimeoutError);
    late!({ id: lateId, result: 'late', error: null });
    assert.equal(await p.conn.request('fast', [], { timeoutMs: 2000 }), 'ok');
    assert.equal(p.conn.closed, false);
  } finally {
    p.stop();
  }
});

test('garbage from the peer drops the connection and fails pending requests', async () => {
  const p = await pair((_msg, _reply, s) => s.write('{"id":1,"result":[]}garbage'));
  try {
    await assert.rejects(p.conn.request('x', [], { timeoutMs: 2000 }), OvsdbProtocolError);
    assert.ok((await p.closed) instanceof OvsdbProtocolError);
    assert.equal(p.conn.closed, true);
    await assert.rejects(p.conn.request('y', [], { timeoutMs: 2000 }), OvsdbProtocolError);
  } finally {
    p.stop();
  }
});

test('a message that is not JSON-RPC drops the connection', async () => {
  const p = await pair((_m, _r, s) => s.write('{"hello":"world"}'));
  try {
    await assert.rejects(p.conn.request('x', [], { timeoutMs: 2000 }), /neither a request/);
  } finally {
    p.stop();
  }
});

test('keepalive: an unanswered echo after silence closes the connection', async () => {
  const echoes: number[] = [];
  const p = await pair((msg) => void (msg.method === 'echo' && echoes.push(Date.now())), {
    echoIntervalMs: 40,
    echoTimeoutMs: 60,
  });
  try {
    const err = await p.closed;
    assert.ok(err instanceof OvsdbConnectionError);
    assert.match(err.message, /keepalive echo/);
    assert.equal(echoes.length, 1);
  } finally {
    p.stop();
  }
});

test('keepalive: an answered echo keeps the connection up', async () => {
  let echoes = 0;
  const p = await pair(
    (msg, reply) => {
      if (msg.method === 'echo') echoes++;
      reply({ id: msg.id, result: msg.params, error: null });
    },
    { echoIntervalMs: 20, echoTimeoutMs: 500 },
  );
  try {
    await waitFor(() => echoes >= 3, { what: 'three keepalive echoes', timeoutMs: 3000, intervalMs: 10 });
    assert.equal(p.conn.closed, false);
  } finally {
    p.stop();
  }
});
