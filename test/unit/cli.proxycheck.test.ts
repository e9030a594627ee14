import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run.js';
import { parseAdaptersConfig } from '../../src/proxy/config.js';
import { recordingIo } from './cli.io.js';
import { POWERSTRIP_README } from './proxy.fixtures.js';

const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/adapters.yml');

async function sluice(args: string[]) {
  const io = recordingIo();
  const code = await runCli(args, io.cli);
  return { code, out: io.out(), err: io.err() };
}

function tempFile(t: { after(fn: () => void): void }, name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const GOOD = POWERSTRIP_README;

test('proxy check: a good file prints its endpoints and adapters', async (t) => {
  const file = tempFile(t, 'adapters.yml', GOOD);
  const r = await sluice(['proxy', 'check', file]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.equal(
    r.out,
    `${file}: OK (2 endpoints, 2 adapters)

ENDPOINT                     PRE              POST
POST /*/containers/create    flocker, weave   -
POST /*/containers/*/start   -                weave

ADAPTER   URL
weave     http://weave/extension
flocker   http://flocker/flocker-adapter
`,
  );
});

test('proxy check --json: a good file', async (t) => {
  const file = tempFile(t, 'adapters.yml', GOOD);
  const r = await sluice(['proxy', 'check', '--json', file]);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out), {
    file,
    ok: true,
    endpoints: [
      {
        endpoint: 'POST /*/containers/create',
        method: 'POST',
        glob: '/*/containers/create',
        line: 3,
        pre: ['flocker', 'weave'],
        post: [],
      },
      {
        endpoint: 'POST /*/containers/*/start',
        method: 'POST',
        glob: '/*/containers/*/start',
        line: 5,
        pre: [],
        post: ['weave'],
      },
    ],
    adapters: [
      { name: 'weave', url: 'http://weave/extension' },
      { name: 'flocker', url: 'http://flocker/flocker-adapter' },
    ],
  });
});

test('proxy check: an empty config is OK', async (t) => {
  const file = tempFile(t, 'adapters.yml', 'version: 1\n');
  const r = await sluice(['proxy', 'check', file]);
  assert.equal(r.code, 0);
  assert.equal(r.out, `${file}: OK (0 endpoints, 0 adapters)\n`);
});

const BAD = `version: 1
endpoints:
  "POST /*/containers/create":
    pre: [weave]
  "POST /*/containers/create":
    post: [wave]
adapters:
  weave: http://weave/extension
`;

test('proxy check: a bad file prints every problem with its line and exits 1', async (t) => {
  const file = tempFile(t, 'adapters.yml', BAD);
  const r = await sluice(['proxy', 'check', file]);
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.equal(
    r.err,
    `${file}:5: endpoints."POST /*/containers/create": duplicate key (first at line 3); put pre and post under one key (Powerstrip’s issue 68: of two keys it silently kept one)\n` +
      `${file}: invalid (1 problem)\n`,
  );
  const two = tempFile(t, 'two.yml', 'version: 2\nfoo: 1\n');
  const r2 = await sluice(['proxy', 'check', two]);
  assert.equal(r2.code, 1);
  assert.match(
    r2.err,
    /two\.yml:1: version: must be 1, got the number 2\n.*two\.yml:2: foo: is not a known key/s,
  );
  assert.match(r2.err, /two\.yml: invalid \(2 problems\)\n$/);
});

test('proxy check --json: a bad file', async (t) => {
  const file = tempFile(t, 'adapters.yml', 'version: 1\nendpoints:\n  "GET /x": {pre: [nope]}\n');
  const r = await sluice(['proxy', 'check', file, '--json']);
  assert.equal(r.code, 1);
  assert.equal(r.err, '');
  assert.deepEqual(JSON.parse(r.out), {
    file,
    ok: false,
    errors: [
      {
        file,
        line: 3,
        field: 'endpoints."GET /x".pre[0]',
        reason: 'adapter "nope" is not defined under adapters (defined: none)',
      },
    ],
  });
});

test('proxy check: a missing file, and a missing argument', async () => {
  const r = await sluice(['proxy', 'check', '/nonexistent/adapters.yml']);
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    '/nonexistent/adapters.yml: no such file\n/nonexistent/adapters.yml: invalid (1 problem)\n',
  );
  const usage = await sluice(['proxy', 'check']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /missing required argument 'file'/);
});

test('examples/adapters.yml is valid, its built-in included', async () => {
  const r = await sluice(['proxy', 'check', EXAMPLE]);
  assert.equal(r.code, 0, r.err);
  const c = parseAdaptersConfig(readFileSync(EXAMPLE, 'utf8'), 'adapters.yml', { builtins: ['network'] });
  const summary = `: OK (${c.endpoints.length} endpoints, ${c.adapters.length} adapters)\n`;
  assert.ok(r.out.includes(summary), r.out);
  assert.ok(c.endpoints[0].pre.some((a) => a.url === 'builtin:network'));
});
