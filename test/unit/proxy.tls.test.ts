/**
 * The proxy on TCP with TLS (client certificates, or a token) in front of a dockerd reached over TCP+TLS with
 * a client certificate: requests and an upgraded exchange with half-close pass both TLS hops; /metrics counts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { NO_ADAPTERS } from '../../src/proxy/server.js';
import { startProxy, type RunningProxy } from '../../src/proxy/start.js';
import { makeTestPki, type TestPki } from '../support/pki.js';
import { waitFor } from '../support/wait.js';

let pki: TestPki;
let dockerd: https.Server;
let dockerPort: number;
const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

before(async () => {
  pki = await makeTestPki();
  // A TLS dockerd that verifies its clients, as dockerd --tlsverify.
  dockerd = https.createServer(
    {
      cert: fs.readFileSync(pki.serverCert),
      key: fs.readFileSync(pki.serverKey),
      ca: fs.readFileSync(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
      allowHalfOpen: true,
    } as https.ServerOptions,
    (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    },
  );
  dockerd.on('upgrade', (_req, socket: net.Socket) => {
    socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
    socket.on('end', () => socket.end('bye\n'));
  });
  await new Promise<void>((r) => dockerd.listen(0, '127.0.0.1', r));
  dockerPort = (dockerd.address() as net.AddressInfo).port;
});

after(async () => {
  dockerd?.closeAllConnections();
  await new Promise((r) => dockerd?.close(r));
  pki?.remove();
});

async function proxyWith(o: { ca?: boolean; token?: string; metrics?: boolean }): Promise<RunningProxy> {
  return startProxy({
    listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    tls: { cert: pki.serverCert, key: pki.serverKey, ...(o.ca ? { ca: pki.caCert } : {}) },
    token: o.token,
    docker: {
      kind: 'tcp',
      host: '127.0.0.1',
      port: dockerPort,
      tls: { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey },
    },
    chain: () => NO_ADAPTERS,
    log,
    metricsListen: o.metrics ? { host: '127.0.0.1', port: 0 } : undefined,
  });
}

function portOf(p: RunningProxy): number {
  return Number(/:(\d+)$/.exec(p.url)![1]);
}

function get(
  port: number,
  o: { cert?: boolean; token?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1.41/info',
        ca: fs.readFileSync(pki.caCert),
        ...(o.cert ? { cert: fs.readFileSync(pki.clientCert), key: fs.readFileSync(pki.clientKey) } : {}),
        headers: o.token ? { Authorization: `Bearer ${o.token}` } : {},
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('TLS with client certificates: a client without one is refused; with one it reaches dockerd over TLS', async () => {
  const p = await proxyWith({ ca: true, metrics: true });
  try {
    await assert.rejects(get(portOf(p)));
    const ok = await get(portOf(p), { cert: true });
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { path: '/v1.41/info' });
    const text = await (await fetch(p.metricsUrl!)).text();
    assert.match(text, /sluice_proxy_requests_total\{method="GET",status="200"\} 1/);
    assert.match(text, /sluice_proxy_requests_in_flight 0/);
  } finally {
    await p.stop(100);
  }
});

test('TLS with a token: upgraded exchange spliced over both TLS hops with half-close', async () => {
  const p = await proxyWith({ token: 'tok' });
  try {
    assert.equal((await get(portOf(p))).status, 401);
    assert.equal((await get(portOf(p), { token: 'tok' })).status, 200);
    const s = tls.connect({
      host: '127.0.0.1',
      port: portOf(p),
      ca: fs.readFileSync(pki.caCert),
      allowHalfOpen: true,
    } as tls.ConnectionOptions);
    await new Promise((r) => s.once('secureConnect', r));
    let out = '';
    s.on('data', (c: Buffer) => (out += c.toString()));
    s.write(
      'POST /v1.41/exec/x/start HTTP/1.1\r\nHost: d\r\nAuthorization: Bearer tok\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    );
    await waitFor(() => out.includes('101 UPGRADED'), {
      what: 'the 101 through two TLS hops',
      intervalMs: 5,
    });
    s.write('hi\n');
    await waitFor(() => out.includes('HI\n'), { what: 'the echo', intervalMs: 5 });
    s.end();
    await new Promise((r) => s.once('end', r));
    assert.match(out, /HI\nbye\n$/);
  } finally {
    await p.stop(100);
  }
});
