/**
 * The client the web UI bundles (src/client/index.ts) must run in a browser: no module reachable from it may
 * import a Node builtin, undici or any package but the few browser-safe ones allowed here, nor use Node's
 * globals. The walk reads the TypeScript sources (type-only imports included: a browser build typechecks them
 * too). The same client, on the platform's fetch, is then driven against a real API server.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ApiError, ConnectionError, SluiceClient, type HandMessage } from '../../src/client/index.js';
import { closedPort } from './api.fakes.js';
import { handServer, type HandServer } from './hostaware.apiserver.js';

/** The repository root (this file runs as dist/test/unit/client.browser.test.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Packages a browser build can take as they are. */
const BROWSER_PACKAGES = ['@sinclair/typebox'];
/** Node's globals (a browser has none of them). */
const NODE_GLOBALS = new Set(['Buffer', 'process', 'require', 'module', '__dirname', '__filename', 'global']);

interface Finding {
  file: string;
  what: string;
}

function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Why `spec` may not be imported by browser code, or undefined when it may. */
function importProblem(spec: string): string | undefined {
  if (spec.startsWith('.')) return undefined;
  if (spec.startsWith('node:') || builtinModules.includes(packageOf(spec))) return 'a Node builtin';
  if (packageOf(spec) === 'undici') return 'undici (Node-only HTTP)';
  if (!BROWSER_PACKAGES.includes(packageOf(spec))) return `a package not known to be browser-safe`;
  return undefined;
}

/** Identifiers naming a Node global in an expression (not a property name or a declaration of our own). */
function nodeGlobalsIn(sf: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text)) {
      const p = node.parent;
      const isName =
        (ts.isPropertyAccessExpression(p) && p.name === node) ||
        ((ts.isPropertyAssignment(p) ||
          ts.isPropertySignature(p) ||
          ts.isPropertyDeclaration(p) ||
          ts.isMethodDeclaration(p) ||
          ts.isParameter(p) ||
          ts.isVariableDeclaration(p)) &&
          p.name === node);
      if (!isName)
        found.push(`${node.text} (line ${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Walks every module reachable from `entry` (a .ts file under ROOT); what browser code may not have. */
function browserProblems(entry: string): { files: string[]; findings: Finding[] } {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  const todo = [resolve(ROOT, entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const rel = relative(ROOT, file);
    for (const { fileName: spec } of ts.preProcessFile(text, true, true).importedFiles) {
      const problem = importProblem(spec);
      if (problem) findings.push({ file: rel, what: `imports '${spec}': ${problem}` });
      else if (spec.startsWith('.')) todo.push(join(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    for (const g of nodeGlobalsIn(sf)) findings.push({ file: rel, what: `uses Node's global ${g}` });
  }
  return { files: [...seen].map((f) => relative(ROOT, f)), findings };
}

const report = (f: Finding[]) => f.map((x) => `${x.file} ${x.what}`).join('\n');

test('src/client/index.ts and everything it imports are browser-safe', () => {
  const { files, findings } = browserProblems('src/client/index.ts');
  assert.deepEqual(report(findings), '', 'Node-only imports reachable from the browser client');
  for (const f of [
    'src/client/client.ts',
    'src/client/hostaware.ts',
    'src/client/errors.ts',
    'src/schema/index.ts',
  ]) {
    assert.ok(files.includes(f), `the walk reached ${f} (reached: ${files.join(', ')})`);
  }
  assert.ok(!files.includes('src/client/tls.ts'), 'tls.ts (node:crypto, undici) is for node.ts only');
});

test('src/schema (the wire schemas the client types come from) is browser-safe', () => {
  const { files, findings } = browserProblems('src/schema/index.ts');
  assert.deepEqual(report(findings), '', 'Node-only imports reachable from the schemas');
  assert.ok(
    files.every((f) => f.startsWith('src/schema/')),
    `src/schema imports only itself: ${files.join(', ')}`,
  );
});

test('the walk finds what node.ts imports for TLS (it would catch a regression)', () => {
  const found = report(browserProblems('src/client/node.ts').findings);
  assert.match(found, /^src\/client\/tls\.ts imports 'node:crypto': a Node builtin$/m);
  assert.match(found, /^src\/client\/node\.ts imports 'undici': undici/m);
  assert.match(found, /^src\/client\/tls\.ts uses Node's global Buffer/m);
});

test('import rules: builtins, undici and unknown packages refused; typebox and relative paths allowed', () => {
  assert.equal(importProblem('node:fs'), 'a Node builtin');
  assert.equal(importProblem('fs/promises'), 'a Node builtin');
  assert.equal(importProblem('undici'), 'undici (Node-only HTTP)');
  assert.match(importProblem('fastify') ?? '', /not known to be browser-safe/);
  assert.equal(importProblem('@sinclair/typebox'), undefined);
  assert.equal(importProblem('@sinclair/typebox/value'), undefined);
  assert.equal(importProblem('./client.js'), undefined);
});

const servers: HandServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

test('the browser client works on the platform fetch: JSON, errors, and the SSE stream', async () => {
  const srv = await handServer({ token: 'tok' });
  servers.push(srv);
  const client = new SluiceClient({ baseUrl: srv.url, token: 'tok' });
  assert.equal((await client.health()).status, 'ok');
  assert.equal((await client.hostaware.status()).enabled, true);

  const wrong = new SluiceClient({ baseUrl: srv.url, token: 'nope' });
  await assert.rejects(wrong.health(), (e: unknown) => e instanceof ApiError && e.status === 401);

  const port = await closedPort();
  const nobody = new SluiceClient({ baseUrl: `http://127.0.0.1:${port}` });
  await assert.rejects(
    nobody.health(),
    (e: unknown) => e instanceof ConnectionError && e.socketCode === 'ECONNREFUSED' && e.tls === undefined,
  );

  // The stream's body is the platform fetch's web ReadableStream.
  const ac = new AbortController();
  let opened!: () => void;
  const open = new Promise<void>((r) => (opened = r));
  const it = client.hostaware.stream({ signal: ac.signal, onOpen: () => opened() })[Symbol.asyncIterator]();
  const next = it.next();
  await open;
  const m: HandMessage = srv.app.messages.add({ type: 'INFO', at: Date.now(), message: 'from the browser' });
  const got = await next;
  assert.deepEqual(got, { done: false, value: m });
  ac.abort();
  assert.deepEqual(await it.next(), { done: true, value: undefined });
});
