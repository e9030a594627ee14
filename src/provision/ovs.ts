/**
 * ovs-vsctl on a node: the argv builder and pure parsers of its answers (get-ssl, get-manager, get-controller,
 * maps and strings in its output syntax), so each step's decision is a pure function tested without a node.
 */
import type { Command } from './command.js';

/** `ovs-vsctl --db=DB --timeout=10 ARGS...`: a stopped ovsdb-server fails in seconds, not forever. */
export function vsctl(db: string, ...args: string[]): Command {
  return { argv: ['ovs-vsctl', `--db=${db}`, '--timeout=10', ...args] };
}

export function vsctlProbe(db: string, ...args: string[]): Command {
  return { ...vsctl(db, ...args), probe: true };
}

export interface SslConfig {
  privateKey: string;
  certificate: string;
  caCertificate: string;
  bootstrap: boolean;
}

/**
 * `ovs-vsctl get-ssl`: empty when no SSL row, else lines `Private key: P`, `Certificate: C`,
 * `CA Certificate: A`, `Bootstrap: false`.
 */
export function parseGetSsl(text: string): SslConfig | undefined {
  if (text.trim() === '') return undefined;
  const field = (label: string) => {
    const m = new RegExp(`^${label}: (.*)$`, 'm').exec(text);
    return m ? m[1].trim() : '';
  };
  return {
    privateKey: field('Private key'),
    certificate: field('Certificate'),
    caCertificate: field('CA Certificate'),
    bootstrap: field('Bootstrap') === 'true',
  };
}

/** `get-manager` / `get-controller BR`: one target per line. */
export function parseTargets(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** An ovs-vsctl string as printed: bare, or double-quoted with backslash escapes. */
export function parseOvsString(text: string): string {
  const t = text.trim();
  if (!t.startsWith('"')) return t;
  return JSON.parse(t) as string;
}

/** An optional string column as `get` prints it: `[]` when empty (''), else the string. */
export function parseOvsOptionalString(text: string): string {
  return text.trim() === '[]' ? '' : parseOvsString(text);
}

/** An ovs-vsctl map as printed by `get`: `{}` or `{a=b, "c"="d e"}`. */
export function parseOvsMap(text: string): Map<string, string> {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) throw new Error(`not an OVSDB map: ${t.slice(0, 80)}`);
  const out = new Map<string, string>();
  const re = /\s*("(?:[^"\\]|\\.)*"|[^=,{}\s]+)=("(?:[^"\\]|\\.)*"|[^,{}]*?)\s*(?:,|$)/gy;
  const body = t.slice(1, -1);
  re.lastIndex = 0;
  while (re.lastIndex < body.length) {
    const m = re.exec(body);
    if (!m) throw new Error(`not an OVSDB map: ${t.slice(0, 80)}`);
    out.set(parseOvsString(m[1]), parseOvsString(m[2]));
  }
  return out;
}

/** The same set of targets, whatever the order. */
export function sameTargets(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
