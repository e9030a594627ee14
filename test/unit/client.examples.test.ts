/**
 * examples/sdk run as a user runs them (node, importing `sluice/client/node` by name) against a stand-in
 * controller answering the nodes routes they call, and print what it holds; a missing node is reported by code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const REPLIES: Record<string, unknown> = {
  '/api/v1/cluster': {
    members: [
      {
        id: 'c1',
        display_name: 'ctl1',
        version: '0.1.0',
        roles: [{ role: 'ovsdb-manager', listen_addr: 'ssl:10.0.0.254:6640' }],
      },
    ],
  },
  '/api/v1/transport-zones': [{ name: 'tz1', nodes: ['hv1'], connected: 1 }],
  '/api/v1/transport-zones/tz1': { name: 'tz1', nodes: ['hv1'], connected: 1 },
  '/api/v1/transport-nodes/hv1': {
    name: 'hv1',
    type: 'hypervisor',
    ovsdb: { connected: true },
    openflow: { connected: false },
  },
  '/api/v1/transport-nodes/hv1/interfaces': ['eth1'],
  '/api/v1/transport-nodes/hv1/interfaces/eth1/stats': {
    node: 'hv1',
    interface: 'eth1',
    sampled: '2026-12-06T10:00:00.000Z',
    statistics: { rx_bytes: 1200, tx_bytes: 3400 },
  },
};

/** The stand-in controller: the replies above for the right token, the API's 404 body otherwise. */
async function controller(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const reply = REPLIES[req.url ?? ''];
    const authorized = req.headers.authorization === 'Bearer tok';
    res.writeHead(authorized && reply !== undefined ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply ?? { error: 'not_found', detail: `no ${req.url}` }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function run(
  script: string,
  args: string[],
  api: string,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`examples/sdk/${script}`, ...args],
      { cwd: root, env: { ...process.env, SLUICE_API: api, SLUICE_TOKEN: 'tok' }, timeout: 20_000 },
      (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
    );
  });
}

test('examples/sdk/nodes.mjs lists the control cluster, the zones and their nodes', async (t) => {
  const { server, url } = await controller();
  t.after(() => server.close());
  const r = await run('nodes.mjs', [], url);
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    'controller ctl1 (0.1.0): ovsdb-manager ssl:10.0.0.254:6640\n' +
      'zone tz1: 1/1 nodes connected\n' +
      '  hv1 hypervisor ovsdb up openflow down\n',
  );
  const missing = await run('nodes.mjs', ['tz9'], url);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'no transport zone tz9\n');
});

test('examples/sdk/interface-stats.mjs prints the counters, and a missing node by its code', async (t) => {
  const { server, url } = await controller();
  t.after(() => server.close());
  const r = await run('interface-stats.mjs', ['hv1'], url);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'hv1 eth1 (2026-12-06T10:00:00.000Z): rx_bytes=1200 tx_bytes=3400\n');
  const missing = await run('interface-stats.mjs', ['hv9'], url);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'not found: no /api/v1/transport-nodes/hv9/interfaces\n');
});
