import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ListenConfigError } from '../../src/api/index.js';
import {
  CONTROLLER_CONFIG_KEY,
  createLogger,
  parseStoredControllerConfig,
  prettyLine,
  startDaemon,
  type DaemonConfig,
} from '../../src/daemon/index.js';
import { openEmbeddedStore } from '../../src/store/index.js';
import { HOST_PREFIX, NetworkStore } from '../../src/agent/index.js';
import { closedPort } from './api.fakes.js';

function config(dataDir: string, over: Partial<DaemonConfig['api']> = {}): DaemonConfig {
  return {
    openflow: { listen: '127.0.0.1', ports: [0] },
    api: { listen: '127.0.0.1', port: 0, ...over },
    store: { backend: 'embedded', dataDir },
    log: { level: 'silent', format: 'json' },
    version: '9.9.9',
  };
}

function tmpDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-daemon-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('startDaemon serves the API over the real controller and stops cleanly', async (t) => {
  const d = await startDaemon(config(tmpDir(t)));
  try {
    assert.match(d.apiUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(d.openflowAddresses[0].port > 0);
    const health = (await (await fetch(`${d.apiUrl}/api/v1/health`)).json()) as {
      version: string;
      switches: number;
    };
    assert.deepEqual([health.version, health.switches], ['9.9.9', 0]);
    const modules = (await (await fetch(`${d.apiUrl}/wm/core/module/loaded/json`)).json()) as object;
    // The core apps in pipeline order (apps added later may come between or after them).
    const names = Object.keys(modules);
    const at = ['topology', 'hosts', 'forwarding'].map((n) => names.indexOf(`sluice.apps.${n}`));
    assert.ok(at[0] >= 0 && at[0] < at[1] && at[1] < at[2], names.join(', '));
    assert.equal((await fetch(`${d.apiUrl}/wm/topology/links/json`)).status, 200);
  } finally {
    await d.stop();
  }
  await assert.rejects(fetch(`${d.apiUrl}/api/v1/health`), 'API closed after stop');
  await d.stop(); // idempotent
});

test('the controller shows the agents’ networks, endpoints and hosts from the shared store', async (t) => {
  const d = await startDaemon(config(tmpDir(t)));
  try {
    await new NetworkStore(d.store).create({ name: 'red', subnet: '10.5.0.0/24' });
    const host = { id: 'h1', hostname: 'n1', underlayIp: '10.0.0.1', version: '1', bridge: 'sluice0' };
    await d.store.put(`${HOST_PREFIX}h1`, { ...host, startedAt: '2026-12-04T00:00:00.000Z' });
    const get = async (p: string) => (await fetch(`${d.apiUrl}${p}`)).json() as Promise<unknown>;
    const nets = (await get('/api/v1/networks')) as { name: string; subnet: string }[];
    assert.deepEqual(
      nets.map((n) => [n.name, n.subnet]),
      [['red', '10.5.0.0/24']],
    );
    assert.deepEqual(await get('/api/v1/endpoints?network=red'), []);
    assert.deepEqual(
      ((await get('/api/v1/agents')) as { id: string }[]).map((h) => h.id),
      ['h1'],
    );
    const missing = (await get('/api/v1/endpoints?network=blue')) as { error: string; field: string };
    assert.deepEqual([missing.error, missing.field], ['not_found', 'network']);
  } finally {
    await d.stop();
  }
});

test('a token kept in the store guards the API; refusing a bare non-loopback API releases the store', async (t) => {
  const dir = tmpDir(t);
  const store = openEmbeddedStore(dir);
  await store.put(CONTROLLER_CONFIG_KEY, { apiToken: 'stored-token-1' });
  await store.close();

  const d = await startDaemon(config(dir));
  try {
    assert.equal((await fetch(`${d.apiUrl}/api/v1/switches`)).status, 401);
    const ok = await fetch(`${d.apiUrl}/api/v1/switches`, {
      headers: { authorization: 'Bearer stored-token-1' },
    });
    assert.equal(ok.status, 200);
  } finally {
    await d.stop();
  }

  const bare = tmpDir(t);
  await assert.rejects(startDaemon(config(bare, { listen: '0.0.0.0' })), ListenConfigError);
  // The failed start closed its store: a second daemon can open the same data dir.
  const again = await startDaemon(config(bare));
  await again.stop();
});

test('an etcd store that cannot be reached fails the start at once, naming the endpoint and what to do', async () => {
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  const started = Date.now();
  await assert.rejects(
    startDaemon({ ...config(''), store: { backend: 'etcd', endpoints: [endpoint] } }),
    (err: Error) => {
      assert.ok(err.message.startsWith(`--etcd-endpoints: cannot reach etcd at ${endpoint} (`), err.message);
      assert.match(err.message, /ECONNREFUSED/);
      assert.match(err.message, /Start etcd there, or point --etcd-endpoints/);
      return true;
    },
  );
  // A refused connection is reported without waiting out the store's 5 s request deadline.
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

test('stored controller config is validated where it is read', () => {
  assert.deepEqual(parseStoredControllerConfig(undefined), { config: {}, unknownKeys: [] });
  assert.deepEqual(parseStoredControllerConfig({ apiToken: '12345678', theme: 'x' }), {
    config: { apiToken: '12345678' },
    unknownKeys: ['theme'],
  });
  assert.throws(() => parseStoredControllerConfig([]), /must be a JSON object/);
  assert.throws(
    () => parseStoredControllerConfig({ apiToken: 'short' }),
    /apiToken: must be a string of at least 8/,
  );
});

test('log lines: JSON by default, one human line in pretty format, bigints as hex', () => {
  assert.equal(
    prettyLine({
      level: 30,
      time: Date.parse('2026-11-28T12:00:01.234Z'),
      msg: 'switch connected',
      dpid: '0x1',
      n: 2,
    }),
    '12:00:01.234 INFO  switch connected dpid=0x1 n=2',
  );
  assert.equal(prettyLine({ level: 40, msg: 'x', reason: 'two words' }), 'WARN  x reason="two words"');

  const chunks: string[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, done) {
      chunks.push(c.toString());
      done();
    },
  });
  createLogger({ level: 'info', format: 'json' }, sink).info({ dpid: 0x2an }, 'hello');
  const rec = JSON.parse(chunks.join('')) as Record<string, unknown>;
  assert.equal(rec.msg, 'hello');
  assert.equal(rec.dpid, '0x2a');
});
