import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiServer } from '../../src/api/index.js';
import { IMMUTABLE, NOT_BUILT, REVALIDATE, uiFile } from '../../src/api/ui.js';
import { fakeDeps } from './api.fakes.js';

const TOKEN = 's3cret-token';
const INDEX =
  '<!doctype html><title>Sluice</title><script type="module" src="/ui/assets/index-AbC123.js"></script>';
const SCRIPT = 'console.log("dashboard");';

/** A built dashboard as Vite leaves it: index.html, hashed assets, an unhashed public file. */
function builtDashboard(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-'));
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), INDEX);
  fs.writeFileSync(path.join(root, 'assets', 'index-AbC123.js'), SCRIPT);
  fs.writeFileSync(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return root;
}

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

async function server(opts: { built?: boolean; token?: string } = {}) {
  const root =
    opts.built === false ? path.join(os.tmpdir(), `sluice-ui-none-${process.pid}`) : builtDashboard();
  roots.push(root);
  return createApiServer({
    ...fakeDeps(),
    ui: { root },
    ...(opts.token ? { auth: { token: opts.token } } : {}),
  });
}

test('index.html is revalidated, hashed assets are cached for a year', async () => {
  const app = await server();
  const index = await app.inject('/ui/');
  assert.equal(index.statusCode, 200);
  assert.equal(index.body, INDEX);
  assert.match(String(index.headers['content-type']), /^text\/html/);
  assert.equal(index.headers['cache-control'], REVALIDATE);

  const js = await app.inject('/ui/assets/index-AbC123.js');
  assert.equal(js.statusCode, 200);
  assert.equal(js.body, SCRIPT);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.equal(js.headers['cache-control'], IMMUTABLE);

  const svg = await app.inject('/ui/favicon.svg');
  assert.equal(svg.statusCode, 200);
  assert.equal(svg.headers['cache-control'], REVALIDATE);
});

test('deep links get index.html; a missing hashed asset is a 404', async () => {
  const app = await server();
  for (const url of ['/ui/switches', '/ui/hosts/00:00:00:00:00:00:00:01?x=1']) {
    const r = await app.inject(url);
    assert.equal(r.statusCode, 200, url);
    assert.equal(r.body, INDEX, url);
    assert.equal(r.headers['cache-control'], REVALIDATE, url);
  }
  const gone = await app.inject('/ui/assets/index-Old999.js');
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.json().error, 'not_found');
});

test('/ and /ui redirect to /ui/', async () => {
  const app = await server();
  for (const url of ['/', '/ui', '/ui?from=x']) {
    const r = await app.inject(url);
    assert.equal(r.statusCode, 302, url);
    assert.equal(r.headers.location, '/ui/', url);
  }
});

test('without a build, /ui/ says to run make setup (503)', async () => {
  const app = await server({ built: false });
  for (const url of ['/ui/', '/ui/overview', '/ui/assets/index-AbC123.js']) {
    const r = await app.inject(url);
    assert.equal(r.statusCode, 503, url);
    assert.equal(r.body, NOT_BUILT, url);
    assert.match(String(r.headers['content-type']), /^text\/plain/);
  }
  // The API itself is unaffected.
  assert.equal((await app.inject('/api/v1/health')).statusCode, 200);
});

test('with a token, /ui/ files are public and every API route still needs it', async () => {
  const app = await server({ token: TOKEN });
  for (const url of ['/', '/ui', '/ui/', '/ui/overview', '/ui/assets/index-AbC123.js']) {
    assert.ok([200, 302].includes((await app.inject(url)).statusCode), url);
  }
  for (const url of ['/api/v1/health', '/api/v1/switches', '/metrics', '/openapi.json', '/uix', '/ui-x/']) {
    const r = await app.inject(url);
    assert.equal(r.statusCode, 401, url);
    assert.equal(r.json().error, 'unauthorized', url);
  }
  const ok = await app.inject({ url: '/api/v1/health', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.statusCode, 200);
  // An absolute-form target that normalizes out of /ui/ is judged by where it lands.
  const sneaky = await app.inject({ url: 'http://127.0.0.1/ui/../api/v1/switches' });
  assert.equal(sneaky.statusCode, 401);
});

test('paths that leave the dashboard directory are refused', async () => {
  // No token: a refusal here is the file check's (or the router's), not the bearer check's.
  const app = await server();
  for (const url of [
    '/ui/../package.json',
    '/ui/..%2fpackage.json',
    '/ui/%2e%2e/%2e%2e/package.json',
    '/ui/assets/../../package.json',
  ]) {
    const r = await app.inject(url);
    assert.equal(r.statusCode, 404, url);
    assert.equal(r.json().error, 'not_found', url);
    assert.doesNotMatch(r.body, /"name":\s*"sluice"/, url);
  }
  const root = '/srv/web';
  assert.equal(uiFile(root, 'assets/a.js'), '/srv/web/assets/a.js');
  assert.equal(uiFile(root, '../etc/passwd'), undefined);
  assert.equal(uiFile(root, 'a/../../x'), undefined);
  assert.equal(uiFile(root, '/etc/passwd'), undefined);
  assert.equal(uiFile(root, 'a\0b'), undefined);
});

test('over a real socket, /ui redirects and /ui/ serves the page', async () => {
  const app = await server({ token: TOKEN });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const { port } = app.server.address() as AddressInfo;
    // A raw request: fetch would follow the redirect and normalize the path.
    const get = (p: string) =>
      new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: p }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const ui = await get('/ui');
    assert.equal(ui.status, 302);
    assert.equal(ui.location, '/ui/');
    const page = await get('/ui/');
    assert.equal(page.status, 200);
    assert.equal(page.body, INDEX);
    // Sent as is (inject would normalize the dots away): the router hands it to /ui/*, which refuses it.
    for (const p of ['/ui/../package.json', '/ui/assets/../../../package.json']) {
      const traversal = await get(p);
      assert.equal(traversal.status, 404, p);
      assert.doesNotMatch(traversal.body, /"name":\s*"sluice"/, p);
    }
  } finally {
    await app.close();
  }
});
