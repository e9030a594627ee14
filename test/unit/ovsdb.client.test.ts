import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JsonStreamParser,
  OvsdbClient,
  OvsdbProtocolError,
  type TableUpdates,
} from '../../src/ovsdb/index.js';
import { waitFor } from '../support/wait.js';

interface FakeServer {
  remote: string;
  connections: net.Socket[];
  /** Echo requests answered, per connection. */
  echoes: number[];
  /** What a monitor request returns now (the initial snapshot). */
  snapshot: Record<string, Record<string, { new: Record<string, unknown> }>>;
  /** Whether the Nth connection (0-based) answers echo requests. */
  answersEcho: (connIndex: number) => boolean;
  close(): void;
}

async function fakeOvsdb(): Promise<FakeServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsdb-fake-'));
  const path = join(dir, 'db.sock');
  const fake: FakeServer = {
    remote: `unix:${path}`,
    connections: [],
    echoes: [],
    snapshot: {},
    answersEcho: () => true,
    close() {
      for (const c of fake.connections) c.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const server = net.createServer((s) => {
    const index = fake.connections.push(s) - 1;
    fake.echoes[index] = 0;
    const parser = new JsonStreamParser();
    s.on('error', () => undefined);
    s.on('data', (d) => {
      for (const m of parser.push(d) as Record<string, any>[]) {
        const reply = (result: unknown) => s.write(JSON.stringify({ id: m.id, result, error: null }));
        if (m.method === 'echo' && fake.answersEcho(index)) {
          fake.echoes[index]++;
          reply(m.params);
        }
        if (m.method === 'list_dbs') reply(['Open_vSwitch']);
        if (m.method === 'monitor') reply(fake.snapshot);
        if (m.method === 'monitor_cancel') reply({});
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return fake;
}

test('a peer that stops answering the keepalive echo is dropped; the client reconnects and resyncs monitors', async () => {
  const fake = await fakeOvsdb();
  fake.answersEcho = (i) => i > 0; // the first connection goes silent
  fake.snapshot = { Bridge: { 'u-1': { new: { name: 'br0' } } } };
  const client = new OvsdbClient({
    remote: fake.remote,
    echoIntervalMs: 30,
    // Generous: a loaded machine must not make the healthy connection miss its replies.
    echoTimeoutMs: 300,
    reconnect: { initialDelayMs: 10, maxDelayMs: 40 },
  });
  const events: string[] = [];
  const errors: unknown[] = [];
  client.on('connected', () => events.push('connected'));
  client.on('disconnected', (err) => {
    events.push('disconnected');
    errors.push(err);
  });
  try {
    await client.connect();
    const seen: TableUpdates[] = [];
    const mon = await client.monitor('Open_vSwitch', { Bridge: {} }, (u) => seen.push(u));
    assert.deepEqual(seen, [{ Bridge: { 'u-1': { new: { name: 'br0' } } } }]);
    // What the server holds changes while the client is cut off.
    fake.snapshot = { Bridge: { 'u-2': { new: { name: 'br1' } } } };
    await waitFor(() => events.length === 3, { what: 'the reconnect', intervalMs: 5 });
    await waitFor(() => seen.length === 2, { what: 'the resync update', intervalMs: 5 });
    assert.deepEqual(events, ['connected', 'disconnected', 'connected']);
    assert.match(String(errors[0]), /keepalive echo/);
    assert.deepEqual(seen[1], {
      Bridge: { 'u-1': { old: { name: 'br0' } }, 'u-2': { new: { name: 'br1' } } },
    });
    assert.deepEqual([...mon.tables.get('Bridge')!.keys()], ['u-2']);
    assert.equal(fake.connections.length, 2);
    // The healthy connection stays up through several keepalive rounds.
    await waitFor(() => fake.echoes[1] >= 3, { what: 'three keepalive rounds', intervalMs: 5 });
    assert.equal(fake.connections.length, 2);
    assert.deepEqual(await client.listDbs(), ['Open_vSwitch']);
  } finally {
    await client.close();
    fake.close();
  }
});

test('garbage from the server drops the connection with a protocol error, then the client reconnects', async () => {
  const fake = await fakeOvsdb();
  const client = new OvsdbClient({ remote: fake.remote, reconnect: { initialDelayMs: 10 } });
  const errors: unknown[] = [];
  client.on('disconnected', (err) => errors.push(err));
  try {
    await client.connect();
    await waitFor(() => fake.connections.length === 1, {
      what: 'the server to see the connection',
      intervalMs: 5,
    });
    fake.connections[0].write('{"id":null,"method":"update","params":[]}not json');
    await waitFor(() => errors.length === 1, { what: 'the drop', intervalMs: 5 });
    assert.ok(errors[0] instanceof OvsdbProtocolError);
    assert.deepEqual(await client.listDbs(), ['Open_vSwitch']);
    assert.equal(fake.connections.length, 2);
  } finally {
    await client.close();
    fake.close();
  }
});

/**
 * Connects to the fake server and waits for its answer to list_dbs. The server accepts connections in the order
 * they were made, so once this returns, every connection made before the probe is in `fake.connections`.
 */
async function probe(fake: FakeServer): Promise<void> {
  const socket = net.connect({ path: fake.remote.slice('unix:'.length) });
  try {
    await new Promise<void>((resolve, reject) => {
      const parser = new JsonStreamParser();
      socket.on('error', reject);
      socket.on('data', (d) => {
        if ((parser.push(d) as { id?: unknown }[]).some((m) => m.id === 'probe')) resolve();
      });
      socket.write(JSON.stringify({ id: 'probe', method: 'list_dbs', params: [] }));
    });
  } finally {
    socket.destroy();
  }
}

test('after close() requests fail at once and nothing reconnects', async (t) => {
  const fake = await fakeOvsdb();
  // Mocked so that whatever the client leaves scheduled can be run on demand: a reconnect would be a timer.
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const client = new OvsdbClient({ remote: fake.remote, reconnect: { initialDelayMs: 10 } });
  const events: string[] = [];
  client.on('connected', () => events.push('connected'));
  client.on('disconnected', () => events.push('disconnected'));
  try {
    await client.connect();
    await client.close();
    await assert.rejects(client.listDbs(), /client closed/);
    // A reconnect timer, had close() left one, fires here and starts its connection before the probe's.
    t.mock.timers.runAll();
    t.mock.timers.reset();
    await probe(fake);
    assert.equal(fake.connections.length, 2, 'the client’s one connection and the probe: no reconnect');
    assert.deepEqual(events, ['connected']);
  } finally {
    t.mock.timers.reset();
    fake.close();
  }
});
