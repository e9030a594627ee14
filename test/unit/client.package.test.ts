/**
 * The SDK is published through package.json `exports`: `sluice/client` (browser-safe) and `sluice/client/node`
 * (TLS options) resolve, by the package's self-reference, to the same built modules the repository imports;
 * each export's types are what tsconfig.client.json declares; the bins stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { SluiceClient } from '../../src/client/index.js';
import { SluiceClient as NodeSluiceClient } from '../../src/client/node.js';

const root = new URL('../../../', import.meta.url);
/** A JSON file (tsconfig's `//` comment lines dropped). */
const json = (file: string): unknown =>
  JSON.parse(readFileSync(new URL(file, root), 'utf8').replace(/^\s*\/\/.*$/gm, ''));
const pkg = json('package.json') as {
  name: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; default: string } | string>;
};

// A variable specifier: resolved by Node at run time, as a user's import would be, not by tsc.
const load = (spec: string) => import(spec) as Promise<Record<string, unknown>>;

test('sluice/client resolves to the browser-safe client, SluiceClient included', async () => {
  const sdk = await load('sluice/client');
  assert.equal(sdk.SluiceClient, SluiceClient, 'the same module as src/client/index.ts built');
  for (const name of [
    'AgentClient',
    'ApiError',
    'ConnectionError',
    'SLUICE_ERROR_CODES',
    'SLUICE_CLIENT_ROUTES',
  ]) {
    assert.ok(sdk[name], name);
  }
  assert.equal(sdk.nodeTransport, undefined, 'nothing Node-only');
});

test('sluice/client/node resolves to the Node client with TLS options', async () => {
  const sdk = await load('sluice/client/node');
  assert.equal(sdk.SluiceClient, NodeSluiceClient);
  assert.equal(typeof sdk.nodeTransport, 'function');
  assert.equal(typeof sdk.validateTls, 'function');
});

test('exports: built targets exist, types come from tsconfig.client.json, deep paths are closed', async () => {
  assert.equal(pkg.name, 'sluice');
  const declared = (json('tsconfig.client.json') as { files: string[] }).files;
  const withTypes = Object.entries(pkg.exports).filter(([, t]) => typeof t === 'object');
  assert.deepEqual(
    withTypes.map(([k]) => k),
    ['./client', './client/node'],
  );
  for (const [key, target] of withTypes) {
    if (typeof target !== 'object') continue;
    assert.ok(existsSync(new URL(target.default, root)), `${key}: ${target.default} is built`);
    const source = target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts');
    assert.ok(declared.includes(source), `${key}: ${source} is in tsconfig.client.json`);
    assert.equal(target.default, `./dist/${source.replace(/\.ts$/, '.js')}`, key);
  }
  for (const [bin, file] of Object.entries(pkg.bin)) {
    assert.ok(existsSync(new URL(file, root)), `bin ${bin}: ${file}`);
  }
  await assert.rejects(load('sluice/dist/src/api/index.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});
