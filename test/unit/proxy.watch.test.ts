import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ProxyConfig } from '../../src/proxy/config.js';
import { loadAdaptersConfig, watchAdaptersConfig, type ConfigWatcher } from '../../src/proxy/watch.js';
import { waitFor } from '../support/wait.js';

/** A valid adapters.yml whose endpoints are the given keys, each with pre: [a]. */
const yml = (...keys: string[]) =>
  `version: 1\nendpoints:\n${keys.map((k) => `  "${k}": {pre: [a]}\n`).join('')}adapters:\n  a: http://127.0.0.1:1/\n`;

const keys = (c: ProxyConfig) => c.endpoints.map((e) => e.key).join(',');

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-adapters-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A watcher on `file` with a recording log and onChange; closed after the test. */
async function watched(t: TestContext, file: string, required = false) {
  const warns: string[] = [];
  const infos: string[] = [];
  const changes: [string, string][] = [];
  const w = await watchAdaptersConfig(file, {
    required,
    debounceMs: 20,
    pollMs: 50,
    log: { info: (_o, m) => infos.push(m ?? ''), warn: (_o, m) => warns.push(m ?? '') },
    onChange: (c, prev) => changes.push([keys(prev), keys(c)]),
  });
  t.after(() => w.close());
  return { w, warns, infos, changes };
}

const until = (w: ConfigWatcher, want: string) =>
  waitFor(() => keys(w.current()) === want, {
    what: `config with endpoints ${want}`,
    timeoutMs: 5000,
    intervalMs: 10,
  });

describe('watchAdaptersConfig', () => {
  test('reads the file at start and again when it is rewritten in place', async (t) => {
    const file = join(tempDir(t), 'adapters.yml');
    writeFileSync(file, yml('GET /a'));
    const { w, changes, infos } = await watched(t, file);
    assert.equal(keys(w.current()), 'GET /a');
    assert.match(infos[0], /adapters\.yml: 1 endpoint, 1 adapter$/);
    writeFileSync(file, yml('GET /b', 'GET /c'));
    await until(w, 'GET /b,GET /c');
    assert.deepEqual(changes, [['GET /a', 'GET /b,GET /c']]);
    assert.match(infos.at(-1) ?? '', /reloaded: 2 endpoints, 1 adapter$/);
  });

  test("an editor's write-then-rename is seen", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'adapters.yml');
    writeFileSync(file, yml('GET /a'));
    const { w } = await watched(t, file);
    writeFileSync(join(dir, '.adapters.yml.swp'), yml('GET /renamed'));
    renameSync(join(dir, '.adapters.yml.swp'), file);
    await until(w, 'GET /renamed');
    // And again: the watch is on the directory, not on the replaced inode.
    writeFileSync(join(dir, 'tmp'), yml('GET /again'));
    renameSync(join(dir, 'tmp'), file);
    await until(w, 'GET /again');
  });

  test('a bad new file keeps the old config and says why; a fixed file is read', async (t) => {
    const file = join(tempDir(t), 'adapters.yml');
    writeFileSync(file, yml('GET /a'));
    const { w, warns, changes } = await watched(t, file);
    writeFileSync(file, 'version: 1\nendpoints:\n  "GET /x": {pre: [nope]}\n');
    const warn = await waitFor(() => warns.find((m) => m.includes('invalid')), {
      what: 'a WARN about the bad file',
      timeoutMs: 5000,
      intervalMs: 10,
    });
    assert.match(
      warn,
      /adapters\.yml changed but is invalid, keeping the config read last \(1 endpoint, 1 adapter\):/,
    );
    assert.match(warn, /adapters\.yml:3: endpoints\."GET \/x"\.pre\[0\]: adapter "nope" is not defined/);
    assert.equal(keys(w.current()), 'GET /a');
    // The same bad text again is not reported again.
    assert.equal(await w.reload(), false);
    assert.equal(warns.filter((m) => m.includes('invalid')).length, 1);
    writeFileSync(file, yml('GET /fixed'));
    await until(w, 'GET /fixed');
    assert.deepEqual(changes, [['GET /a', 'GET /fixed']]);
  });

  test('a deleted file keeps the config until it is created again', async (t) => {
    const file = join(tempDir(t), 'adapters.yml');
    writeFileSync(file, yml('GET /a'));
    const { w, warns } = await watched(t, file);
    unlinkSync(file);
    await waitFor(() => warns.some((m) => m.includes('no such file')), {
      what: 'a WARN that the file is gone',
      timeoutMs: 5000,
      intervalMs: 10,
    });
    assert.match(
      warns[0],
      /adapters\.yml: no such file: keeping the config read last \(1 endpoint, 1 adapter\)$/,
    );
    assert.equal(keys(w.current()), 'GET /a');
    writeFileSync(file, yml('GET /back'));
    await until(w, 'GET /back');
    assert.equal(warns.length, 1);
  });

  test('the same text again (touch, an unrelated file in the directory) changes nothing', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'adapters.yml');
    writeFileSync(file, yml('GET /a'));
    const { w, changes } = await watched(t, file);
    writeFileSync(file, yml('GET /a'));
    writeFileSync(join(dir, 'other.txt'), 'x');
    assert.equal(await w.reload(), false);
    assert.deepEqual(changes, []);
  });

  test('a missing default file: no adapters and a WARN, then the file when it appears', async (t) => {
    const file = join(tempDir(t), 'adapters.yml');
    const { w, warns } = await watched(t, file);
    assert.equal(w.current().endpoints.length, 0);
    assert.equal(w.current().file, file);
    assert.deepEqual(warns, [`${file} does not exist: proxying without adapters until it does`]);
    writeFileSync(file, yml('GET /new'));
    await until(w, 'GET /new');
  });

  test('a missing directory is polled until the file appears', async (t) => {
    const dir = join(tempDir(t), 'etc', 'sluice');
    const file = join(dir, 'adapters.yml');
    const { w, warns } = await watched(t, file);
    assert.match(warns[1], /cannot watch .*\/etc\/sluice \(ENOENT\): polling .*adapters\.yml instead/);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, yml('GET /polled'));
    await until(w, 'GET /polled');
  });

  test('a missing file given explicitly, or a bad one at start, is an error', async (t) => {
    const dir = tempDir(t);
    const missing = join(dir, 'nope.yml');
    await assert.rejects(watchAdaptersConfig(missing, { required: true }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.line, 0);
      assert.equal(e.message, `${missing}: no such file`);
      return true;
    });
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'version: 2\n');
    await assert.rejects(watchAdaptersConfig(bad), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message, `${bad}:1: version: must be 1, got the number 2`);
      return true;
    });
    await assert.rejects(loadAdaptersConfig(dir), /is a directory, not a file/);
  });

  test('after close() nothing is read', async (t) => {
    const file = join(tempDir(t), 'adapters.yml');
    writeFileSync(file, yml('GET /a'));
    const { w } = await watched(t, file);
    w.close();
    writeFileSync(file, yml('GET /b'));
    assert.equal(await w.reload(), false);
    assert.equal(keys(w.current()), 'GET /a');
  });

  test('a throwing onChange does not stop later reloads', async (t) => {
    const file = join(tempDir(t), 'adapters.yml');
    writeFileSync(file, yml('GET /a'));
    let calls = 0;
    // Reloads by hand only: the debounce outlasts the test.
    const w = await watchAdaptersConfig(file, {
      debounceMs: 600_000,
      log: { info: () => undefined, warn: () => undefined },
      onChange: () => {
        calls++;
        throw new Error('listener bug');
      },
    });
    t.after(() => w.close());
    writeFileSync(file, yml('GET /b'));
    await assert.rejects(w.reload(), /listener bug/);
    assert.equal(keys(w.current()), 'GET /b');
    writeFileSync(file, yml('GET /c'));
    await assert.rejects(w.reload(), /listener bug/);
    assert.equal(keys(w.current()), 'GET /c');
    assert.equal(calls, 2);
  });
});
