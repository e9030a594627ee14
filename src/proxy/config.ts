/**
 * adapters.yml, Powerstrip's format, validated where it is read (pure: no I/O here, the watcher is watch.ts):
 *
 *   version: 1
 *   endpoints:
 *     "POST /*\/containers/create":
 *       pre: [flocker, weave]
 *       post: [weave]
 *   adapters:
 *     weave: http://weave/extension
 *     flocker: unix:///run/flocker.sock:/adapter
 *
 * Every problem is reported with the file and the line (`adapters.yml:7: endpoints."POST /x": ...`), all of
 * them at once: duplicate keys at any level (Powerstrip kept one of two keys silently, its issue 68), unknown
 * keys, unknown adapters, bad globs, bad URLs.
 *
 * Matching (hooksFor): the key's method is an upper-case HTTP method or `*` (any); its glob has fnmatch's
 * syntax (`*` any characters including `/`, `?` one character, `[abc]`, `[a-z]`, `[!abc]`) and is compared
 * with the request path without its query string. The Docker API version is ignored on both sides, so a
 * glob matches versioned and unversioned paths alike (Powerstrip's issue 65: `docker` clients that send
 * `/containers/create` met no hook written `/*\/containers/create`):
 * - in the path, a first segment `v<digits>[.<digits>]` (`/v1.41`) is the version and is removed;
 * - in the glob, a first segment `*` or `v` followed by digits, dots, `*` or `?` (`/*\/`, `/v*\/`, `/v1.41/`)
 *   is the version and is removed. A literal version does not select that version: adapters.yml names
 *   operations, and an unversioned request means the daemon's own version.
 * So `/*\/containers/create`, `/v*\/containers/create` and `/containers/create` are the same glob, matching
 * `/v1.41/containers/create` and `/containers/create`, never `/containers/json`. A request meeting several
 * endpoints meets the union of their adapters, in file order, each once.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
  type Pair,
} from 'yaml';
import { SluiceError } from '../util/errors.js';
import type { AdapterRef, EndpointHooks } from './types.js';

/** One `"METHOD /glob": {pre, post}` entry, its adapters resolved. */
export interface EndpointRule {
  /** The key as written: `POST /*\/containers/create`. */
  key: string;
  /** Upper-case HTTP method, or `*` for any. */
  method: string;
  glob: string;
  /** The glob compiled, tested against the request path without query and version (see the header). */
  pattern: RegExp;
  pre: AdapterRef[];
  post: AdapterRef[];
  /** Where the key is in the file (1-based). */
  line: number;
}

export interface ProxyConfig {
  /** The file it was read from, as given (it prefixes every error). */
  file: string;
  version: 1;
  /** In file order. */
  endpoints: EndpointRule[];
  /** Every adapter defined, in file order (some may be named by no endpoint). */
  adapters: AdapterRef[];
}

export interface ParseOptions {
  /**
   * The `builtin:NAME` adapters the proxy provides (e.g. `network`); with it, an unknown NAME is an error.
   * Without it any well-formed NAME passes (the proxy checks when it registers them).
   */
  builtins?: Iterable<string>;
}

/** One problem in a file; `line` is 1-based, 0 when it is about the whole file (cannot be read). */
export interface ConfigProblem {
  file: string;
  line: number;
  /** The key at fault as a path: `endpoints."POST /*\/containers/create".pre[1]`, `adapters.weave`, `version`. */
  field: string;
  reason: string;
}

/** `adapters.yml:7: endpoints."POST /x": reason` (no line when 0, no field when empty). */
export function problemText(p: ConfigProblem): string {
  return `${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.field ? `${p.field}: ` : ''}${p.reason}`;
}

/**
 * An invalid adapters.yml. `file`, `line`, `field` and `reason` are those of the first problem (by line);
 * `problems` holds all of them, and the message has one line per problem.
 */
export class ConfigError extends SluiceError implements ConfigProblem {
  readonly code = 'SLU_PROXY_CONFIG_INVALID';
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly reason: string;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: ConfigProblem | readonly ConfigProblem[], options?: { cause?: unknown }) {
    const list = (Array.isArray(problems) ? [...problems] : [problems as ConfigProblem]).sort(
      (a, b) => a.line - b.line,
    );
    if (list.length === 0) throw new TypeError('ConfigError needs at least one problem');
    super(list.map(problemText).join('\n'), options);
    ({ file: this.file, line: this.line, field: this.field, reason: this.reason } = list[0]);
    this.problems = list;
  }
}

export const HTTP_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'CONNECT',
  'TRACE',
] as const;
const TOP_KEYS = ['version', 'endpoints', 'adapters'] as const;
const ENDPOINT_KEYS = ['pre', 'post'] as const;
const ADAPTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const BUILTIN_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** sun_path is 108 bytes with the terminating NUL. */
const UNIX_PATH_MAX = 107;
/** A version segment at the start of a request path: `/v1.41`, `/v2`. */
const PATH_VERSION = /^\/v\d+(?:\.\d+)?(?=\/|$)/;
/** A version segment at the start of a glob: `/*\/`, `/v*\/`, `/v1.41/`, `/v1.?/`. */
const GLOB_VERSION = /^\/(?:\*|v[0-9.*?]+)(?=\/)/;

// ---- adapter URLs

/** Where an adapter is reached. */
export type AdapterTarget =
  | { kind: 'http'; url: URL }
  | { kind: 'unix'; socketPath: string; path: string }
  | { kind: 'builtin'; name: string };

/**
 * An adapter's URL: `http://host[:port]/path`, `https://...`, `unix:///abs/path.sock` (POSTs go to `/`),
 * `unix:///abs/path.sock:/url-path`, or `builtin:NAME`. Throws an Error whose message says what is wrong.
 * The socket path ends at the first `:` (socket paths with a colon are not supported).
 */
export function parseAdapterUrl(text: string, builtins?: ReadonlySet<string>): AdapterTarget {
  const example =
    'expected http://host:port/path, https://..., unix:///path/to.sock[:/url-path] or builtin:NAME';
  if (/\s/.test(text)) throw new Error(`${JSON.stringify(text)} contains white space; ${example}`);
  if (text.startsWith('builtin:')) {
    const name = text.slice('builtin:'.length);
    if (!BUILTIN_NAME.test(name)) {
      throw new Error(
        `${JSON.stringify(text)}: a built-in adapter's name is lower-case letters, digits and '-'`,
      );
    }
    if (builtins && !builtins.has(name)) {
      const known = [...builtins].sort().join(', ') || 'none';
      throw new Error(`no built-in adapter ${JSON.stringify(name)} (built-in: ${known})`);
    }
    return { kind: 'builtin', name };
  }
  if (text.startsWith('unix:')) {
    if (!text.startsWith('unix:///')) {
      throw new Error(
        `${JSON.stringify(text)}: a socket URL is unix:// then an absolute path, e.g. unix:///run/a.sock`,
      );
    }
    const rest = text.slice('unix://'.length);
    const colon = rest.indexOf(':');
    const socketPath = colon < 0 ? rest : rest.slice(0, colon);
    const path = colon < 0 ? '/' : rest.slice(colon + 1);
    if (!path.startsWith('/')) {
      throw new Error(
        `${JSON.stringify(text)}: after the socket path comes ':' and a URL path starting with '/'`,
      );
    }
    if (socketPath.endsWith('/'))
      throw new Error(`${JSON.stringify(text)}: the socket path names a directory`);
    if (Buffer.byteLength(socketPath) > UNIX_PATH_MAX) {
      throw new Error(
        `socket path ${socketPath} is ${Buffer.byteLength(socketPath)} bytes, the limit is ${UNIX_PATH_MAX}`,
      );
    }
    return { kind: 'unix', socketPath, path };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${JSON.stringify(text)} is not a URL; ${example}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `${JSON.stringify(text)}: scheme ${url.protocol.slice(0, -1)} is not supported; ${example}`,
    );
  }
  if (!url.hostname) throw new Error(`${JSON.stringify(text)} has no host`);
  if (url.hash) throw new Error(`${JSON.stringify(text)}: a #fragment is never sent; remove it`);
  return { kind: 'http', url };
}

// ---- globs

/**
 * fnmatch's glob as an anchored RegExp: `*` any characters (`/` included), `?` one, `[seq]`, `[!seq]`, ranges
 * `a-z`; `]` first in a set is literal. Unlike Python's fnmatch, an unclosed `[` and a reversed range are
 * errors (thrown as Error), not literals: they are mistakes in a config file.
 */
export function globToRegExp(glob: string): RegExp {
  if (glob === '') throw new Error('the glob is empty');
  let re = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i++];
    if (c === '*') {
      while (glob[i] === '*') i++;
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      let j = i;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        throw new Error(`'[' at column ${i} is not closed by ']' (for a literal '[' write '[[]')`);
      }
      re += setToRegExp(glob.slice(i, j), i);
      i = j + 1;
    } else {
      re += c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`, 's');
}

/** The inside of `[...]` (without the brackets) as a RegExp class. */
function setToRegExp(inside: string, column: number): string {
  const negate = inside.startsWith('!');
  const chars = [...(negate ? inside.slice(1) : inside)];
  let out = '';
  for (let k = 0; k < chars.length; k++) {
    const lo = chars[k];
    if (chars[k + 1] === '-' && k + 2 < chars.length) {
      const hi = chars[k + 2];
      if (lo > hi) throw new Error(`range '${lo}-${hi}' in the set at column ${column} is reversed`);
      out += `${escapeInSet(lo)}-${escapeInSet(hi)}`;
      k += 2;
    } else {
      out += escapeInSet(lo);
    }
  }
  return `[${negate ? '^' : ''}${out}]`;
}

const escapeInSet = (c: string) => (/[\\\]^[-]/.test(c) ? `\\${c}` : c);

/** The request path as globs see it: no query string or fragment, no leading version segment. */
export function matchPath(requestPath: string): string {
  const end = requestPath.search(/[?#]/);
  const path = end < 0 ? requestPath : requestPath.slice(0, end);
  return path.replace(PATH_VERSION, '') || '/';
}

/** The glob as matched: its leading version segment (`/*`, `/v*`, `/v1.41`) removed. */
export function matchGlob(glob: string): string {
  return glob.replace(GLOB_VERSION, '');
}

// ---- matching

/** What most requests meet; frozen, lists included, since it is shared. */
const NO_HOOKS = Object.freeze({
  pre: Object.freeze([]),
  post: Object.freeze([]),
}) as unknown as EndpointHooks;

/**
 * The adapters a request meets: every endpoint whose method and glob match, their pre and post lists joined
 * in file order, each adapter once per list. `requestPath` may carry a query string (it is ignored).
 */
export function hooksFor(config: ProxyConfig, method: string, requestPath: string): EndpointHooks {
  if (config.endpoints.length === 0) return NO_HOOKS;
  const m = method.toUpperCase();
  const path = matchPath(requestPath);
  let hooks: EndpointHooks | undefined;
  for (const e of config.endpoints) {
    if ((e.method !== '*' && e.method !== m) || !e.pattern.test(path)) continue;
    hooks ??= { pre: [], post: [] };
    for (const a of e.pre) if (!hooks.pre.includes(a)) hooks.pre.push(a);
    for (const a of e.post) if (!hooks.post.includes(a)) hooks.post.push(a);
  }
  return hooks ?? NO_HOOKS;
}

/** A config with no endpoints and no adapters (the proxy only forwards). */
export function emptyConfig(file: string): ProxyConfig {
  return { file, version: 1, endpoints: [], adapters: [] };
}

/** `3 endpoints, 2 adapters`. */
export function configSummary(config: ProxyConfig): string {
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  return `${n(config.endpoints.length, 'endpoint')}, ${n(config.adapters.length, 'adapter')}`;
}

// ---- parsing

/** `version`, `endpoints."POST /x"`, `adapters.weave`. */
function fieldOf(parent: string, key: string): string {
  const k = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return parent ? `${parent}.${k}` : k;
}

/** Describes a YAML value for an error: `the number 2`, `a list`, `nothing`. */
function describe(node: unknown): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `the ${typeof v} ${String(v)}`;
  }
  return 'something else';
}

interface Entry {
  key: string;
  keyNode: unknown;
  value: unknown;
}

/** Walks the YAML tree, collecting problems with their lines. */
class Walker {
  readonly problems: ConfigProblem[] = [];
  private readonly lines = new LineCounter();
  readonly doc: Document.Parsed;

  constructor(
    readonly file: string,
    text: string,
  ) {
    // Duplicate keys are found in entries(), where the message can say which key and where the first one is.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
    for (const e of this.doc.errors) this.problems.push(this.at(e.pos[0], '', e.message));
  }

  private at(offset: number, field: string, reason: string): ConfigProblem {
    return { file: this.file, line: this.lines.linePos(offset).line, field, reason };
  }

  lineOf(node: unknown): number {
    const range = (node as YamlNode | null)?.range;
    return range ? this.lines.linePos(range[0]).line : 1;
  }

  problem(node: unknown, field: string, reason: string): void {
    this.problems.push({ file: this.file, line: this.lineOf(node), field, reason });
  }

  resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  /**
   * The pairs of a mapping with string keys, each key once; problems for the others. Nothing (`endpoints:`
   * with nothing under it) is an empty mapping. `what` says what the keys are, `hint` how to fix a duplicate.
   */
  entries(node: unknown, field: string, what: string, hint: string): Entry[] {
    node = this.resolve(node);
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return [];
    if (!isMap(node)) {
      this.problem(node, field, `must be a mapping of ${what}, got ${describe(node)}`);
      return [];
    }
    const seen = new Map<string, number>();
    const out: Entry[] = [];
    for (const pair of node.items as Pair<unknown, unknown>[]) {
      const keyNode = this.resolve(pair.key);
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
        this.problem(pair.key, field, `keys are ${what}, got ${describe(keyNode)}`);
        continue;
      }
      const key = keyNode.value;
      const first = seen.get(key);
      if (first !== undefined) {
        this.problem(keyNode, fieldOf(field, key), `duplicate key (first at line ${first}); ${hint}`);
        continue;
      }
      seen.set(key, this.lineOf(keyNode));
      out.push({ key, keyNode, value: pair.value });
    }
    return out;
  }

  /** A list of adapter names: each a string, each once. */
  names(node: unknown, field: string): { name: string; node: unknown; field: string }[] {
    node = this.resolve(node);
    if (!isSeq(node)) {
      const eg = isScalar(node) && typeof node.value === 'string' ? `[${node.value}]` : '[weave, flocker]';
      this.problem(node, field, `must be a list of adapter names, e.g. ${eg}; got ${describe(node)}`);
      return [];
    }
    const out: { name: string; node: unknown; field: string }[] = [];
    node.items.forEach((raw, i) => {
      const item = this.resolve(raw);
      const itemField = `${field}[${i}]`;
      if (!isScalar(item) || typeof item.value !== 'string') {
        this.problem(item ?? node, itemField, `must be an adapter name, got ${describe(item)}`);
      } else if (out.some((o) => o.name === item.value)) {
        this.problem(item, itemField, `${JSON.stringify(item.value)} is listed twice`);
      } else {
        out.push({ name: item.value, node: item, field: itemField });
      }
    });
    return out;
  }
}

/** The method and glob of an endpoint key (`POST /*\/containers/create`); throws Error saying what is wrong. */
export function parseEndpointKey(key: string): { method: string; glob: string; pattern: RegExp } {
  const m = /^(\S+) (\S+)$/.exec(key);
  if (!m) {
    throw new Error('must be "METHOD /path-glob" with one space, e.g. "POST /*/containers/create"');
  }
  const [, method, glob] = m;
  if (method !== '*' && !(HTTP_METHODS as readonly string[]).includes(method)) {
    const upper = method.toUpperCase();
    throw new Error(
      (HTTP_METHODS as readonly string[]).includes(upper)
        ? `method ${method} must be upper-case: ${upper}`
        : `${JSON.stringify(method)} is not an HTTP method (${HTTP_METHODS.join(', ')}, or * for any)`,
    );
  }
  if (!glob.startsWith('/')) throw new Error(`the path glob ${JSON.stringify(glob)} must start with "/"`);
  try {
    return { method, glob, pattern: globToRegExp(matchGlob(glob)) };
  } catch (e) {
    throw new Error(`bad glob ${JSON.stringify(glob)}: ${(e as Error).message}`);
  }
}

const isNothing = (node: unknown) =>
  node === null || node === undefined || (isScalar(node) && node.value === null);

/**
 * Reads adapters.yml text; `file` names it in errors. Throws ConfigError listing every problem with its line.
 */
export function parseAdaptersConfig(text: string, file: string, opts: ParseOptions = {}): ProxyConfig {
  const builtins = opts.builtins === undefined ? undefined : new Set(opts.builtins);
  const w = new Walker(file, text);
  if (w.problems.length > 0) throw new ConfigError(w.problems);
  const root = w.resolve(w.doc.contents);
  if (isNothing(root)) {
    throw new ConfigError({
      file,
      line: 1,
      field: '',
      reason: 'the file is empty; it needs at least `version: 1`',
    });
  }
  if (!isMap(root)) {
    const reason = `must be a mapping with version, endpoints and adapters, got ${describe(root)}`;
    throw new ConfigError({ file, line: w.lineOf(root), field: '', reason });
  }

  const top = new Map<string, Entry>();
  for (const e of w.entries(root, '', 'names', 'keep one')) {
    if ((TOP_KEYS as readonly string[]).includes(e.key)) top.set(e.key, e);
    else w.problem(e.keyNode, fieldOf('', e.key), `is not a known key (known: ${TOP_KEYS.join(', ')})`);
  }

  const version = top.get('version');
  const versionNode = w.resolve(version?.value);
  if (!version) {
    w.problem(root, 'version', 'is missing: the file starts with `version: 1`');
  } else if (!isScalar(versionNode) || versionNode.value !== 1) {
    const got = describe(versionNode);
    w.problem(isNothing(versionNode) ? version.keyNode : versionNode, 'version', `must be 1, got ${got}`);
  }

  // Adapters first: endpoints may come before them in the file.
  const adapters: AdapterRef[] = [];
  const defined = new Set<string>();
  const adapterEntries = w.entries(top.get('adapters')?.value, 'adapters', 'adapter names', 'define it once');
  for (const e of adapterEntries) {
    const field = fieldOf('adapters', e.key);
    defined.add(e.key);
    if (!ADAPTER_NAME.test(e.key)) {
      const reason = 'an adapter name is 1..63 letters, digits, _ . - starting with a letter or digit';
      w.problem(e.keyNode, field, reason);
      continue;
    }
    const node = w.resolve(e.value);
    if (!isScalar(node) || typeof node.value !== 'string') {
      const reason = `must be the adapter's URL (http://host:port/path, unix:///path.sock or builtin:NAME), got ${describe(node)}`;
      w.problem(isNothing(node) ? e.keyNode : node, field, reason);
      continue;
    }
    try {
      parseAdapterUrl(node.value, builtins);
      adapters.push({ name: e.key, url: node.value });
    } catch (err) {
      w.problem(node, field, (err as Error).message);
    }
  }
  const definedText = [...defined].join(', ') || 'none';

  const endpoints: EndpointRule[] = [];
  const endpointEntries = w.entries(
    top.get('endpoints')?.value,
    'endpoints',
    '"METHOD /path-glob" strings',
    'put pre and post under one key (Powerstrip’s issue 68: of two keys it silently kept one)',
  );
  for (const e of endpointEntries) {
    const field = fieldOf('endpoints', e.key);
    let key: ReturnType<typeof parseEndpointKey> | undefined;
    try {
      key = parseEndpointKey(e.key);
    } catch (err) {
      w.problem(e.keyNode, field, (err as Error).message);
    }
    // Past the key: only one problem about the body (a list where a mapping is due is not also "no pre").
    const problemsBefore = w.problems.length;
    const lists: Record<'pre' | 'post', AdapterRef[]> = { pre: [], post: [] };
    let given = 0;
    let named = 0;
    for (const h of w.entries(e.value, field, 'hook lists (pre, post)', 'keep one')) {
      const hookField = fieldOf(field, h.key);
      if (h.key !== 'pre' && h.key !== 'post') {
        w.problem(h.keyNode, hookField, `is not a known key (known: ${ENDPOINT_KEYS.join(', ')})`);
        continue;
      }
      given++;
      for (const n of w.names(h.value, hookField)) {
        named++;
        const ref = adapters.find((a) => a.name === n.name);
        if (ref) lists[h.key].push(ref);
        else if (!defined.has(n.name)) {
          w.problem(
            n.node,
            n.field,
            `adapter ${JSON.stringify(n.name)} is not defined under adapters (defined: ${definedText})`,
          );
        }
      }
    }
    const bodyOk = w.problems.length === problemsBefore;
    if (bodyOk && given === 0) {
      w.problem(e.keyNode, field, 'needs pre and/or post: lists of adapter names, e.g. pre: [weave]');
    } else if (bodyOk && named === 0) {
      w.problem(e.keyNode, field, 'names no adapter: give pre and/or post at least one adapter name');
    }
    if (key)
      endpoints.push({ key: e.key, ...key, pre: lists.pre, post: lists.post, line: w.lineOf(e.keyNode) });
  }

  if (w.problems.length > 0) throw new ConfigError(w.problems);
  return { file, version: 1, endpoints, adapters };
}
