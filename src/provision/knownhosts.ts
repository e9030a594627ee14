/**
 * OpenSSH's known_hosts, read as ssh reads it, for the SSH executor's host-key check: plain and hashed
 * (`|1|salt|hash`) host names, `[host]:port` for other ports, patterns (`*`, `?`, `!negated`), and the
 * `@revoked` marker. Pure functions of the file's text; the executor reads and appends the file.
 */
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  /** 1-based line number, for the messages. */
  line: number;
  marker?: '@revoked' | '@cert-authority';
  hosts: string;
  keyType: string;
  key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const words = l.split(/\s+/);
    const marker = words[0] === '@revoked' || words[0] === '@cert-authority' ? words.shift() : undefined;
    const [hosts, keyType, keyText] = words;
    if (!hosts || !keyType || !keyText || !/^[A-Za-z0-9+/]+=*$/.test(keyText)) continue;
    out.push({
      line: i + 1,
      marker: marker as KnownHostEntry['marker'],
      hosts,
      keyType,
      key: Buffer.from(keyText, 'base64'),
    });
  }
  return out;
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** Whether an entry's host field names `host:port` (a negated pattern that matches rules it out). */
export function entryMatches(hosts: string, host: string, port: number): boolean {
  const name = hostKeyName(host, port);
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (globMatches(pattern, name)) matched = true;
  }
  return matched;
}

/** `SHA256:...` as ssh-keygen -l prints it (base64 without padding). */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  return n > 0 && n < 64 && key.length >= 4 + n ? key.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; entries: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry };

/** ssh's decision for the key a host presented: known, never seen, changed (a different key of that type) or revoked. */
export function checkHostKey(
  entries: KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === undefined && entryMatches(e.hosts, host, port));
  const same = forHost.find((e) => e.key.equals(key));
  if (same) return { status: 'known', entry: same };
  const type = keyTypeOf(key);
  const sameType = forHost.filter((e) => e.keyType === type);
  return sameType.length ? { status: 'changed', entries: sameType } : { status: 'unknown' };
}

/** The key types known for a host, so the handshake asks for one of those first (as ssh does). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  return [
    ...new Set(
      entries
        .filter((e) => e.marker === undefined && entryMatches(e.hosts, host, port))
        .map((e) => e.keyType),
    ),
  ];
}

/** A known_hosts line for an accepted key. */
export function knownHostsLine(host: string, port: number, key: Buffer): string {
  return `${hostKeyName(host, port)} ${keyTypeOf(key)} ${key.toString('base64')}`;
}
