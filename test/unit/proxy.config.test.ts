import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  configSummary,
  emptyConfig,
  globToRegExp,
  hooksFor,
  matchPath,
  parseAdaptersConfig,
  parseAdapterUrl,
  parseEndpointKey,
  type ProxyConfig,
} from '../../src/proxy/config.js';
import { POWERSTRIP_README } from './proxy.fixtures.js';

const parse = (text: string, builtins?: string[]) =>
  parseAdaptersConfig(text, 'adapters.yml', builtins ? { builtins } : {});

/** The ConfigError a text raises, as `line: field: reason` strings (file name checked once). */
function problems(text: string, builtins?: string[]): string[] {
  try {
    parse(text, builtins);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(e.problems.every((p) => p.file === 'adapters.yml'));
    return e.problems.map((p) => `${p.line}: ${p.field}: ${p.reason}`);
  }
  assert.fail('expected a ConfigError');
}

/** Adapter names of hooksFor, `pre | post`. */
function hooks(c: ProxyConfig, method: string, path: string): string {
  const h = hooksFor(c, method, path);
  return `${h.pre.map((a) => a.name).join(',')} | ${h.post.map((a) => a.name).join(',')}`;
}

describe('parseAdaptersConfig', () => {
  test("Powerstrip's README example", () => {
    const c = parse(POWERSTRIP_README);
    assert.equal(c.file, 'adapters.yml');
    assert.equal(c.version, 1);
    assert.deepEqual(c.adapters, [
      { name: 'weave', url: 'http://weave/extension' },
      { name: 'flocker', url: 'http://flocker/flocker-adapter' },
    ]);
    assert.deepEqual(
      c.endpoints.map((e) => ({
        key: e.key,
        method: e.method,
        glob: e.glob,
        line: e.line,
        pre: e.pre.map((a) => a.name),
        post: e.post.map((a) => a.name),
      })),
      [
        {
          key: 'POST /*/containers/create',
          method: 'POST',
          glob: '/*/containers/create',
          line: 3,
          pre: ['flocker', 'weave'],
          post: [],
        },
        {
          key: 'POST /*/containers/*/start',
          method: 'POST',
          glob: '/*/containers/*/start',
          line: 5,
          pre: [],
          post: ['weave'],
        },
      ],
    );
    // Endpoints share the adapter records (hooksFor deduplicates by identity).
    assert.equal(c.endpoints[0].pre[1], c.endpoints[1].post[0]);
    assert.equal(configSummary(c), '2 endpoints, 2 adapters');
    assert.equal(configSummary(emptyConfig('x')), '0 endpoints, 0 adapters');
  });

  test('endpoints and adapters may be absent or empty; adapters may come first', () => {
    assert.deepEqual(parse('version: 1\n'), emptyConfig('adapters.yml'));
    assert.deepEqual(parse('version: 1\nendpoints:\nadapters:\n'), emptyConfig('adapters.yml'));
    assert.deepEqual(parse('version: 1\nendpoints: {}\nadapters: {}\n'), emptyConfig('adapters.yml'));
    const c = parse('adapters:\n  a: builtin:network\nversion: 1\nendpoints:\n  "* /*": {pre: [a]}\n');
    assert.equal(c.endpoints[0].pre[0].url, 'builtin:network');
    assert.equal(c.endpoints[0].line, 5);
  });

  test('an adapter defined but never used is fine', () => {
    const c = parse('version: 1\nadapters:\n  a: http://127.0.0.1:9000/\n');
    assert.deepEqual(c.adapters, [{ name: 'a', url: 'http://127.0.0.1:9000/' }]);
  });

  test('YAML anchors and aliases are followed', () => {
    const c = parse(
      'version: 1\nendpoints:\n  "POST /*/containers/create": &both {pre: [a], post: [a]}\n  "POST /*/containers/*/start": *both\nadapters: {a: "http://a/"}\n',
    );
    assert.deepEqual(
      c.endpoints.map((e) => [e.pre.length, e.post.length]),
      [
        [1, 1],
        [1, 1],
      ],
    );
  });

  test('a duplicate endpoint key is an error naming both lines (Powerstrip issue 68)', () => {
    const text = `version: 1
endpoints:
  "POST /*/containers/create":
    pre: [weave]
  "POST /*/containers/create":
    post: [weave]
adapters:
  weave: http://weave/extension
`;
    assert.deepEqual(problems(text), [
      '5: endpoints."POST /*/containers/create": duplicate key (first at line 3); put pre and post under one key (Powerstrip’s issue 68: of two keys it silently kept one)',
    ]);
    try {
      parse(text);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.file, 'adapters.yml');
      assert.equal(e.line, 5);
      assert.equal(e.field, 'endpoints."POST /*/containers/create"');
      assert.equal(e.code, 'SLU_PROXY_CONFIG_INVALID');
      assert.match(e.message, /^adapters\.yml:5: endpoints\."POST \/\*\/containers\/create": duplicate key/);
    }
  });

  test('duplicate keys at every level', () => {
    assert.deepEqual(problems('version: 1\nversion: 1\n'), [
      '2: version: duplicate key (first at line 1); keep one',
    ]);
    assert.deepEqual(problems('version: 1\nadapters:\n  a: http://a/\n  a: http://b/\n'), [
      '4: adapters.a: duplicate key (first at line 3); define it once',
    ]);
    assert.deepEqual(
      problems(
        'version: 1\nendpoints:\n  "GET /x":\n    pre: [a]\n    pre: [a]\nadapters: {a: "http://a/"}\n',
      ),
      ['5: endpoints."GET /x".pre: duplicate key (first at line 4); keep one'],
    );
    assert.deepEqual(
      problems('version: 1\nendpoints:\n  "GET /x": {pre: [a, a]}\nadapters: {a: "http://a/"}\n'),
      ['3: endpoints."GET /x".pre[1]: "a" is listed twice'],
    );
  });

  test('version', () => {
    assert.deepEqual(problems('version: 2\n'), ['1: version: must be 1, got the number 2']);
    assert.deepEqual(problems('version: "1"\n'), ['1: version: must be 1, got the string "1"']);
    assert.deepEqual(problems('version:\n'), ['1: version: must be 1, got null']);
    assert.deepEqual(problems('endpoints: {}\n'), [
      '1: version: is missing: the file starts with `version: 1`',
    ]);
  });

  test('the whole file', () => {
    assert.deepEqual(problems(''), ['1: : the file is empty; it needs at least `version: 1`']);
    assert.deepEqual(problems('# only a comment\n'), [
      '1: : the file is empty; it needs at least `version: 1`',
    ]);
    assert.deepEqual(problems('- a\n'), [
      '1: : must be a mapping with version, endpoints and adapters, got a list',
    ]);
    assert.deepEqual(problems('version: 1\nendpoints: [a]\n'), [
      '2: endpoints: must be a mapping of "METHOD /path-glob" strings, got a list',
    ]);
    assert.deepEqual(problems('version: 1\nadapters: weave\n'), [
      '2: adapters: must be a mapping of adapter names, got the string "weave"',
    ]);
  });

  test('YAML syntax errors carry their line', () => {
    const p = problems('version: 1\nendpoints:\n  "GET /x": {pre: [a\n');
    assert.ok(p.length >= 1);
    assert.ok(
      p.every((x) => /^[34]: : /.test(x)),
      p.join('\n'),
    );
    assert.match(problems('version: 1\n---\nversion: 1\n')[0], /^2: : .*multiple documents/i);
  });

  test('unknown keys are refused', () => {
    assert.deepEqual(problems('version: 1\nadapter: {}\n'), [
      '2: adapter: is not a known key (known: version, endpoints, adapters)',
    ]);
    assert.deepEqual(
      problems('version: 1\nendpoints:\n  "GET /x": {pre: [a], posts: [a]}\nadapters: {a: "http://a/"}\n'),
      ['3: endpoints."GET /x".posts: is not a known key (known: pre, post)'],
    );
  });

  test('an endpoint needs pre and/or post naming defined adapters', () => {
    assert.deepEqual(problems('version: 1\nendpoints:\n  "GET /x":\n'), [
      '3: endpoints."GET /x": needs pre and/or post: lists of adapter names, e.g. pre: [weave]',
    ]);
    assert.deepEqual(problems('version: 1\nendpoints:\n  "GET /x": {}\n'), [
      '3: endpoints."GET /x": needs pre and/or post: lists of adapter names, e.g. pre: [weave]',
    ]);
    assert.deepEqual(problems('version: 1\nendpoints:\n  "GET /x": {pre: [], post: []}\n'), [
      '3: endpoints."GET /x": names no adapter: give pre and/or post at least one adapter name',
    ]);
    assert.deepEqual(
      problems('version: 1\nendpoints:\n  "GET /x":\n    pre: weave\nadapters: {weave: "http://w/"}\n'),
      ['4: endpoints."GET /x".pre: must be a list of adapter names, e.g. [weave]; got the string "weave"'],
    );
    assert.deepEqual(problems('version: 1\nendpoints:\n  "GET /x": [weave]\n'), [
      '3: endpoints."GET /x": must be a mapping of hook lists (pre, post), got a list',
    ]);
    assert.deepEqual(
      problems('version: 1\nendpoints:\n  "GET /x":\n    pre: [a, 7, b]\nadapters: {a: "http://a/"}\n'),
      [
        '4: endpoints."GET /x".pre[1]: must be an adapter name, got the number 7',
        '4: endpoints."GET /x".pre[2]: adapter "b" is not defined under adapters (defined: a)',
      ],
    );
    assert.deepEqual(problems('version: 1\nendpoints:\n  "GET /x":\n    post:\n      - nope\n'), [
      '5: endpoints."GET /x".post[0]: adapter "nope" is not defined under adapters (defined: none)',
    ]);
  });

  test('an adapter with a bad URL is reported once, not again where it is used', () => {
    assert.deepEqual(problems('version: 1\nendpoints:\n  "GET /x": {pre: [a]}\nadapters:\n  a: ftp://a/\n'), [
      '5: adapters.a: "ftp://a/": scheme ftp is not supported; expected http://host:port/path, https://..., unix:///path/to.sock[:/url-path] or builtin:NAME',
    ]);
  });

  test('endpoint keys: method and glob', () => {
    const bad = (key: string) =>
      problems(`version: 1\nendpoints:\n  ${JSON.stringify(key)}: {pre: [a]}\nadapters: {a: "http://a/"}\n`);
    assert.deepEqual(bad('post /x'), ['3: endpoints."post /x": method post must be upper-case: POST']);
    assert.deepEqual(bad('POTS /x'), [
      '3: endpoints."POTS /x": "POTS" is not an HTTP method (GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, CONNECT, TRACE, or * for any)',
    ]);
    const oneSpace = 'must be "METHOD /path-glob" with one space, e.g. "POST /*/containers/create"';
    assert.deepEqual(bad('/containers/create'), [`3: endpoints."/containers/create": ${oneSpace}`]);
    assert.deepEqual(bad('POST  /x'), [`3: endpoints."POST  /x": ${oneSpace}`]);
    assert.deepEqual(bad('POST /x '), [`3: endpoints."POST /x ": ${oneSpace}`]);
    assert.deepEqual(bad('POST /a b'), [`3: endpoints."POST /a b": ${oneSpace}`]);
    assert.deepEqual(bad('POST containers/create'), [
      '3: endpoints."POST containers/create": the path glob "containers/create" must start with "/"',
    ]);
    assert.deepEqual(bad('POST /x[abc'), [
      `3: endpoints."POST /x[abc": bad glob "/x[abc": '[' at column 3 is not closed by ']' (for a literal '[' write '[[]')`,
    ]);
    assert.deepEqual(bad('GET /[z-a]'), [
      `3: endpoints."GET /[z-a]": bad glob "/[z-a]": range 'z-a' in the set at column 2 is reversed`,
    ]);
    assert.equal(parseEndpointKey('* /*').method, '*');
    assert.equal(parseEndpointKey('DELETE /*/containers/*').method, 'DELETE');
  });

  test('every problem of a file at once, ordered by line', () => {
    const p = problems(`version: 3
endpoints:
  "GET /a[": {pre: [x]}
  "GET /b": {pre: [y]}
adapters:
  y: unix://relative.sock
extra: true
`);
    assert.deepEqual(
      p.map((x) => x.split(':')[0]),
      ['1', '3', '3', '6', '7'],
    );
    try {
      parse('version: 3\nfoo: 1\n');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message.split('\n').length, 2);
      assert.equal(e.line, 1);
    }
  });

  test('adapter names and builtins', () => {
    assert.deepEqual(problems('version: 1\nadapters:\n  "a b": http://a/\n'), [
      '3: adapters."a b": an adapter name is 1..63 letters, digits, _ . - starting with a letter or digit',
    ]);
    assert.deepEqual(problems('version: 1\nadapters:\n  a:\n'), [
      "3: adapters.a: must be the adapter's URL (http://host:port/path, unix:///path.sock or builtin:NAME), got null",
    ]);
    assert.deepEqual(problems('version: 1\nadapters:\n  a: builtin:netwrk\n', ['network']), [
      '3: adapters.a: no built-in adapter "netwrk" (built-in: network)',
    ]);
    assert.equal(parse('version: 1\nadapters:\n  a: builtin:netwrk\n').adapters.length, 1);
  });
});

describe('parseAdapterUrl', () => {
  test('accepted forms', () => {
    assert.deepEqual(parseAdapterUrl('unix:///run/a.sock'), {
      kind: 'unix',
      socketPath: '/run/a.sock',
      path: '/',
    });
    assert.deepEqual(parseAdapterUrl('unix:///run/a.sock:/hooks/pre'), {
      kind: 'unix',
      socketPath: '/run/a.sock',
      path: '/hooks/pre',
    });
    assert.deepEqual(parseAdapterUrl('builtin:network', new Set(['network'])), {
      kind: 'builtin',
      name: 'network',
    });
    const h = parseAdapterUrl('https://adapter.example:8443/x?y=1');
    assert.equal(h.kind, 'http');
    assert.equal(h.kind === 'http' && h.url.port, '8443');
    assert.equal(parseAdapterUrl('http://[::1]:80/').kind, 'http');
  });

  test('refused forms', () => {
    const no = (url: string, re: RegExp) => assert.throws(() => parseAdapterUrl(url), re, url);
    no('weave', /is not a URL/);
    no('ftp://a/', /scheme ftp is not supported/);
    no('http://a/#x', /fragment/);
    no('http://a b/', /white space/);
    no('unix://run/a.sock', /absolute path/);
    no('unix:/run/a.sock', /absolute path/);
    no('unix:///run/a.sock:x', /URL path starting with '\/'/);
    no('unix:///run/', /directory/);
    no(`unix:///${'x'.repeat(120)}.sock`, /the limit is 107/);
    no('builtin:', /built-in adapter's name/);
    no('builtin:Net', /built-in adapter's name/);
    assert.throws(
      () => parseAdapterUrl('builtin:x', new Set()),
      /no built-in adapter "x" \(built-in: none\)/,
    );
  });
});

describe('globs', () => {
  const matches = (glob: string, s: string) => globToRegExp(glob).test(s);

  test('fnmatch semantics', () => {
    assert.ok(matches('/a/*', '/a/b/c'), '* crosses /');
    assert.ok(matches('/a*', '/a'), '* matches nothing');
    assert.ok(matches('/a?c', '/abc'));
    assert.ok(!matches('/a?c', '/ac'));
    assert.ok(!matches('/a?c', '/abbc'));
    assert.ok(matches('/[abc]x', '/bx'));
    assert.ok(!matches('/[abc]x', '/dx'));
    assert.ok(matches('/[!abc]x', '/dx'));
    assert.ok(!matches('/[!abc]x', '/ax'));
    assert.ok(matches('/v[0-9]', '/v7'));
    assert.ok(matches('/[]]', '/]'), '] first in a set is literal');
    assert.ok(matches('/[!]]', '/a'));
    assert.ok(!matches('/[!]]', '/]'));
    assert.ok(matches('/[a-]', '/-'), 'a trailing - is literal');
    assert.ok(matches('/[[]', '/['));
    assert.ok(matches('/[\\]', '/\\'));
    assert.ok(matches('/[^a]', '/^'), '^ in a set is literal, not negation');
    assert.ok(!matches('/[^a]', '/b'));
    assert.ok(matches('/a]', '/a]'), 'a lone ] is literal');
    assert.ok(matches('/a.b+c(d){2}|$^', '/a.b+c(d){2}|$^'), 'RegExp specials are literal');
    assert.ok(!matches('/a.b', '/axb'));
    assert.ok(!matches('/a', '/ab'), 'anchored at the end');
    assert.ok(!matches('/a', 'x/a'), 'anchored at the start');
    assert.ok(matches('/a/***', '/a/b'));
    assert.ok(matches('/x', '/x'), 'case-sensitive');
    assert.ok(!matches('/x', '/X'), 'case-sensitive');
  });

  test('bad globs', () => {
    assert.throws(() => globToRegExp(''), /empty/);
    assert.throws(() => globToRegExp('/['), /not closed/);
    assert.throws(() => globToRegExp('/[]'), /not closed/);
    assert.throws(() => globToRegExp('/[!]'), /not closed/);
    assert.throws(() => globToRegExp('/[b-a]'), /reversed/);
  });

  test('matchPath strips the query, the fragment and the version', () => {
    assert.equal(matchPath('/v1.41/containers/create?name=x'), '/containers/create');
    assert.equal(matchPath('/containers/create?name=/v1.41/x'), '/containers/create');
    assert.equal(matchPath('/v1.41'), '/');
    assert.equal(matchPath('/v2/x'), '/x');
    assert.equal(matchPath('/v1.41?x=1'), '/');
    assert.equal(matchPath('/version'), '/version', 'the /version endpoint is no version segment');
    assert.equal(matchPath('/v1.41abc/x'), '/v1.41abc/x');
    assert.equal(matchPath('/v1.41.2/x'), '/v1.41.2/x');
    assert.equal(matchPath('/x#frag'), '/x');
  });
});

describe('hooksFor', () => {
  const c = parse(POWERSTRIP_README);

  test('versioned and unversioned paths both match (Powerstrip issue 65)', () => {
    assert.equal(hooks(c, 'POST', '/v1.41/containers/create'), 'flocker,weave | ');
    assert.equal(hooks(c, 'POST', '/containers/create'), 'flocker,weave | ');
    assert.equal(hooks(c, 'POST', '/v1.24/containers/create'), 'flocker,weave | ');
    assert.equal(hooks(c, 'POST', '/v2/containers/create'), 'flocker,weave | ');
    assert.equal(hooks(c, 'POST', '/v1.41/containers/abc/start'), ' | weave');
    assert.equal(hooks(c, 'POST', '/containers/abc/start'), ' | weave');
  });

  test('unversioned and literal-version globs match every version', () => {
    const u = parse(
      'version: 1\nendpoints:\n  "POST /containers/create": {pre: [a]}\n  "POST /v1.24/containers/*/start": {pre: [b]}\n  "GET /v*/info": {pre: [a]}\nadapters: {a: "http://a/", b: "http://b/"}\n',
    );
    assert.equal(hooks(u, 'POST', '/v1.41/containers/create'), 'a | ');
    assert.equal(hooks(u, 'POST', '/containers/create'), 'a | ');
    assert.equal(hooks(u, 'POST', '/v1.41/containers/x/start'), 'b | ');
    assert.equal(hooks(u, 'POST', '/containers/x/start'), 'b | ');
    assert.equal(hooks(u, 'GET', '/info'), 'a | ');
    assert.equal(hooks(u, 'GET', '/v1.41/info'), 'a | ');
  });

  test('no false matches', () => {
    assert.equal(hooks(c, 'POST', '/v1.41/containers/json'), ' | ');
    assert.equal(hooks(c, 'GET', '/containers/json'), ' | ');
    assert.equal(hooks(c, 'GET', '/v1.41/containers/create'), ' | ', 'method differs');
    assert.equal(hooks(c, 'POST', '/v1.41/containers/create/x'), ' | ');
    assert.equal(hooks(c, 'POST', '/v1.41/containers/createx'), ' | ');
    assert.equal(hooks(c, 'POST', '/v1.41/containers/abc/stop'), ' | ');
    assert.equal(hooks(c, 'POST', '/v1.41/containers/abc/start/x'), ' | ');
    assert.equal(hooks(c, 'POST', '/foo/containers/create'), ' | ', '/foo is not a version');
  });

  test('the query string is ignored; a glob ? is one character, not a query', () => {
    assert.equal(hooks(c, 'POST', '/v1.41/containers/create?name=web'), 'flocker,weave | ');
    assert.equal(hooks(c, 'POST', '/containers/create?name=web&platform=linux/amd64'), 'flocker,weave | ');
    assert.equal(hooks(c, 'POST', '/v1.41/containers/abc/start?detachKeys=ctrl-p'), ' | weave');
    const q = parse('version: 1\nendpoints:\n  "GET /x?": {pre: [a]}\nadapters: {a: "http://a/"}\n');
    assert.equal(hooks(q, 'GET', '/xy'), 'a | ');
    assert.equal(hooks(q, 'GET', '/x?'), ' | ');
  });

  test('the request method is compared case-insensitively; * is any method', () => {
    assert.equal(hooks(c, 'post', '/containers/create'), 'flocker,weave | ');
    assert.equal(hooks(c, 'Post', '/containers/create'), 'flocker,weave | ');
    const any = parse(
      'version: 1\nendpoints:\n  "* /*/containers/*": {post: [a]}\nadapters: {a: "http://a/"}\n',
    );
    for (const m of ['GET', 'POST', 'DELETE', 'head']) {
      assert.equal(hooks(any, m, '/v1.41/containers/x/json'), ' | a', m);
    }
    assert.equal(hooks(any, 'GET', '/containers/json'), ' | a');
    assert.equal(hooks(any, 'GET', '/images/json'), ' | ');
  });

  test('several matching endpoints: their adapters in file order, each once', () => {
    const m = parse(`version: 1
endpoints:
  "POST /*/containers/create": {pre: [b, a], post: [c]}
  "* /*": {pre: [c, a], post: [a, c]}
  "POST /containers/*": {pre: [d, b]}
adapters:
  a: http://a/
  b: http://b/
  c: http://c/
  d: http://d/
`);
    assert.equal(hooks(m, 'POST', '/v1.41/containers/create'), 'b,a,c,d | c,a');
    assert.equal(hooks(m, 'GET', '/v1.41/containers/json'), 'c,a | a,c');
    assert.equal(hooks(m, 'POST', '/containers/abc/start'), 'c,a,d,b | a,c');
    assert.equal(hooks(m, 'GET', '/_ping'), 'c,a | a,c');
  });

  test('/* matches every path, versioned or not', () => {
    const all = parse('version: 1\nendpoints:\n  "GET /*": {pre: [a]}\nadapters: {a: "http://a/"}\n');
    for (const p of ['/', '/_ping', '/v1.41/_ping', '/v1.41', '/containers/x/json?all=1']) {
      assert.equal(hooks(all, 'GET', p), 'a | ', p);
    }
  });

  test('no endpoints: the shared empty result cannot be modified', () => {
    const h = hooksFor(emptyConfig('x'), 'GET', '/x');
    assert.deepEqual(h, { pre: [], post: [] });
    assert.throws(() => (h.pre as unknown[]).push({ name: 'x', url: 'http://x/' }));
    assert.equal(hooksFor(c, 'GET', '/nothing').pre.length, 0);
  });
});
