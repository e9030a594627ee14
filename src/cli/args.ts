/** Command-line value parsers: each returns the typed value or throws naming what is wrong. */
import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { FieldError, formatDpid, parseDpid, parseIntIn, parseMac, parsePrefix } from '../util/index.js';

/** Runs a shared value parser on an option's text; a FieldError's reason becomes the command line's error. */
function viaField<T>(parse: () => T, message?: string): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof FieldError) throw new InvalidArgumentError(message ?? `${e.reason}.`);
    throw e;
  }
}

/** An integer min..max, decimal or 0x-hex; `what` names it in the error (`a rule id`). */
export function intArg(what: string, min: number, max: number) {
  return (text: string): number =>
    viaField(() => parseIntIn(what, text, min, max), `'${text}' is not ${what} (an integer ${min}..${max}).`);
}

/** A.B.C.D or A.B.C.D/M, returned as given. */
export function cidrArg(text: string): string {
  viaField(() => parsePrefix('ip', text.trim()));
  return text.trim();
}

/** A DPID in any accepted form -> colon form. */
export function dpidArg(text: string): string {
  const dpid = parseDpid(text);
  if (dpid === undefined) {
    throw new InvalidArgumentError(
      `'${text}' is not a DPID (expected 00:00:00:00:00:00:00:01 or hex like 0x1).`,
    );
  }
  return formatDpid(dpid);
}

/** The API base URL: http(s) only, no query or fragment. */
export function apiUrlArg(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InvalidArgumentError(`'${text}' is not a URL (expected e.g. http://127.0.0.1:8080).`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InvalidArgumentError(`'${text}' must use http or https.`);
  }
  if (u.search || u.hash) throw new InvalidArgumentError(`'${text}' must not have a query or fragment.`);
  return u.origin + u.pathname.replace(/\/+$/, '');
}

/** A TCP port 0..65535 (0 = pick a free one). */
export function tcpPortArg(text: string): number {
  const n = /^\d{1,5}$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`'${text}' is not a TCP port (0..65535).`);
  }
  return n;
}

/** Repeatable and comma-separated: `--openflow-port 6653,6633 --openflow-port 6634`. */
export function tcpPortListArg(text: string, previous: number[] | undefined): number[] {
  const ports = text.split(',').map((p) => tcpPortArg(p));
  return [...(previous ?? []), ...ports];
}

/** A listen address: an IP literal or a host name. */
export function hostArg(text: string): string {
  const t = text.trim();
  if (isIP(t.replace(/^\[|\]$/g, ''))) return t.replace(/^\[|\]$/g, '');
  if (/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(t)) return t;
  throw new InvalidArgumentError(`'${text}' is not an IP address or host name.`);
}

export function macArg(text: string): string {
  return viaField(() => parseMac('mac', text));
}

export function ipv4Arg(text: string): string {
  if (isIP(text) !== 4) throw new InvalidArgumentError(`'${text}' is not an IPv4 address.`);
  return text;
}

export function vlanArg(text: string): number {
  const n = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 4095))
    throw new InvalidArgumentError(`'${text}' is not a VLAN id (0..4095, 0 = untagged).`);
  return n;
}

/** A file's text; the error names the file and why it cannot be read. */
export function readFileArg(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
}

/** One JSON object from `text`; `where` prefixes the error (a file name), `example` shows the expected shape. */
export function jsonObjectArg(text: string, where: string, example: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`${where}not valid JSON (${(e as Error).message}).`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new InvalidArgumentError(`${where}must be a JSON object, e.g. '${example}'.`);
  }
  return v as Record<string, unknown>;
}

/** A JSON object file (`--file x.json`). */
export function jsonFileArg(example: string) {
  return (path: string): Record<string, unknown> => jsonObjectArg(readFileArg(path), `${path}: `, example);
}
