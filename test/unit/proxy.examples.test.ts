import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labelAdapter, parseLabel } from '../../examples/adapters/label.js';
import { imageOf, registryAllowlist, registryOf } from '../../examples/adapters/registry-allowlist.js';
import { makeHookCaller } from '../../src/proxy/caller.js';
import { dockerStyleError, runPreHooks } from '../../src/proxy/chain.js';
import type { ClientRequest } from '../../src/proxy/protocol.js';
import type { Listening } from '../../src/proxy/sdk.js';
import { AdapterFailure } from '../../src/proxy/types.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-examples-'));
const caller = makeHookCaller({ timeoutMs: 2000 });
const open: Listening[] = [];
const children: ChildProcess[] = [];
after(async () => {
  await caller.close();
  for (const l of open) await l.close();
  for (const c of children) if (c.exitCode === null) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

const create = (body: unknown, request = '/v1.41/containers/create'): ClientRequest => ({
  Method: 'POST',
  Request: request,
  Body: JSON.stringify(body),
});
const pull = (query: string): ClientRequest => ({
  Method: 'POST',
  Request: `/images/create?${query}`,
  Body: null,
});

test('label: a create gets the label, the client’s labels kept; other requests untouched', async () => {
  const l = await labelAdapter().listen({ path: join(dir, 'label.sock') });
  open.push(l);
  const refs = [{ name: 'label', url: l.url }];
  const { value } = await runPreHooks(refs, create({ Image: 'busybox', Labels: { mine: 'yes' } }), caller);
  assert.deepEqual(JSON.parse(value.Body!), {
    Image: 'busybox',
    Labels: { mine: 'yes', 'sluice.example': 'labelled' },
  });
  const unversioned = await runPreHooks(
    refs,
    create({ Image: 'busybox' }, '/containers/create?name=x'),
    caller,
  );
  assert.deepEqual(JSON.parse(unversioned.value.Body!).Labels, { 'sluice.example': 'labelled' });
  for (const other of [
    { Method: 'GET', Request: '/v1.41/containers/json', Body: null },
    { Method: 'POST', Request: '/v1.41/containers/abc/start', Body: null },
    create('not an object'),
  ]) {
    assert.deepEqual((await runPreHooks(refs, other, caller)).value, other);
  }
  assert.deepEqual(parseLabel('team=net=1'), { key: 'team', value: 'net=1' });
  assert.throws(() => parseLabel('=x'), /expected key=value/);
});

test('label: runs as a program with --listen and --label', async () => {
  const sock = join(dir, 'label-cli.sock');
  const script = fileURLToPath(new URL('../../examples/adapters/label.js', import.meta.url));
  const child = spawn(process.execPath, [script, '--listen', `unix://${sock}`, '--label', 'team=net']);
  children.push(child);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(() => out.includes(`label adapter listening on unix://${sock}`), {
    what: 'the label adapter to listen',
    intervalMs: 10,
    detail: () => out,
  });
  const { value } = await runPreHooks(
    [{ name: 'label', url: `unix://${sock}` }],
    create({ Image: 'x' }),
    caller,
  );
  assert.deepEqual(JSON.parse(value.Body!).Labels, { team: 'net' });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, 'SIGTERM closes the adapter and exits 0');
});

test('registryOf follows Docker’s reference rule', () => {
  const cases: [string, string | undefined][] = [
    ['busybox', 'docker.io'],
    ['busybox:1.36', 'docker.io'],
    ['library/busybox', 'docker.io'],
    ['docker.io/library/busybox', 'docker.io'],
    ['index.docker.io/x/y', 'docker.io'],
    ['ghcr.io/org/app:1', 'ghcr.io'],
    ['GHCR.io/org/app', 'ghcr.io'],
    ['localhost/app', 'localhost'],
    ['registry:5000/app', 'registry:5000'],
    ['evil.example.com/x@sha256:' + 'a'.repeat(64), 'evil.example.com'],
    ['sha256:' + 'b'.repeat(64), undefined],
  ];
  for (const [image, registry] of cases) assert.equal(registryOf(image), registry, image);
  assert.equal(imageOf(pull('fromImage=ghcr.io%2Fa%2Fb&tag=1')), 'ghcr.io/a/b:1');
  assert.equal(imageOf(pull('fromImage=x&tag=sha256:' + 'c'.repeat(64))), 'x@sha256:' + 'c'.repeat(64));
  assert.equal(imageOf(pull('fromSrc=-&repo=imported')), undefined);
  assert.equal(imageOf(create({ Cmd: ['sh'] })), undefined);
});

test('registry-allowlist: allowed images pass; others are refused with 403 and the reason', async () => {
  const l = await registryAllowlist(['docker.io', 'ghcr.io']).listen();
  open.push(l);
  const refs = [{ name: 'registry-allowlist', url: l.url }];
  for (const ok of [
    create({ Image: 'busybox' }),
    create({ Image: 'ghcr.io/org/app:1' }),
    pull('fromImage=busybox&tag=latest'),
    pull('fromSrc=-&repo=x'),
    { Method: 'GET', Request: '/v1.41/images/json', Body: null },
  ]) {
    assert.deepEqual((await runPreHooks(refs, ok, caller)).value, ok);
  }
  for (const [req, image] of [
    [create({ Image: 'evil.example.com/x:1' }), 'evil.example.com/x:1'],
    [pull('fromImage=evil.example.com%2Fx&tag=2'), 'evil.example.com/x:2'],
  ] as const) {
    const failure = await runPreHooks(refs, req, caller).then(
      () => assert.fail(`${image} was not refused`),
      (e: AdapterFailure) => e,
    );
    assert.ok(failure instanceof AdapterFailure);
    assert.deepEqual(dockerStyleError(failure), {
      status: 403,
      contentType: 'application/json',
      body: JSON.stringify({
        message:
          `sluice proxy: adapter "registry-allowlist" refused the request: image "${image}" is from registry ` +
          'evil.example.com, which is not allowed (allowed: docker.io, ghcr.io)',
      }),
    });
  }
});
