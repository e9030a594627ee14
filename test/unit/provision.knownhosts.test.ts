/**
 * known_hosts as ssh reads it, for the SSH executor: host names plain, hashed and with ports, patterns and
 * negations, a changed or revoked key, fingerprints as ssh-keygen prints them, and the host key algorithms
 * offered (the known types first, as ssh orders them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkHostKey,
  entryMatches,
  fingerprintOf,
  hostKeyName,
  keyTypeOf,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
} from '../../src/provision/knownhosts.js';
import { hostKeyAlgorithms } from '../../src/provision/ssh.js';
import { tempDir } from './apps.testctx.js';

const dir = tempDir('sluice-knownhosts-');
function sshKey(name: string, type: 'ed25519' | 'ecdsa' = 'ed25519') {
  const f = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', f]);
  const [kind, b64] = readFileSync(`${f}.pub`, 'utf8').split(' ');
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${f}.pub`], { encoding: 'utf8' }).split(
    ' ',
  )[1];
  return { kind, blob: Buffer.from(b64, 'base64'), b64, fp };
}
const a = sshKey('a');
const b = sshKey('b');
const e = sshKey('e', 'ecdsa');

const hashed = (name: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
};

test('fingerprints and key types read from the blob match ssh-keygen', () => {
  assert.equal(fingerprintOf(a.blob), a.fp);
  assert.equal(fingerprintOf(e.blob), e.fp);
  assert.equal(keyTypeOf(a.blob), 'ssh-ed25519');
  assert.equal(keyTypeOf(e.blob), e.kind);
  assert.equal(keyTypeOf(Buffer.alloc(2)), 'unknown');
});

test('host names: plain, lists, [host]:port, hashed, patterns and negations', () => {
  assert.equal(hostKeyName('10.0.0.2', 22), '10.0.0.2');
  assert.equal(hostKeyName('10.0.0.2', 2222), '[10.0.0.2]:2222');
  assert.equal(entryMatches('10.0.0.2', '10.0.0.2', 22), true);
  assert.equal(entryMatches('10.0.0.2', '10.0.0.2', 2222), false, 'another port is another host');
  assert.equal(entryMatches('hv1,10.0.0.2', '10.0.0.2', 22), true);
  assert.equal(entryMatches('[10.0.0.2]:2222', '10.0.0.2', 2222), true);
  assert.equal(entryMatches(hashed('10.0.0.2'), '10.0.0.2', 22), true);
  assert.equal(entryMatches(hashed('[10.0.0.2]:2222'), '10.0.0.2', 2222), true);
  assert.equal(entryMatches(hashed('10.0.0.3'), '10.0.0.2', 22), false);
  assert.equal(entryMatches('10.0.0.*', '10.0.0.2', 22), true);
  assert.equal(entryMatches('10.0.0.?', '10.0.0.25', 22), false);
  assert.equal(entryMatches('10.0.0.*,!10.0.0.2', '10.0.0.2', 22), false);
  assert.equal(entryMatches('HV1.lab', 'hv1.LAB', 22), true, 'host names are not case-sensitive');
  assert.equal(entryMatches('10.0.0.2+', '10.0.0.22', 22), false, 'regex characters are literal');
});

test('checkHostKey: known, unknown, changed (same type, other key), revoked; comments and junk skipped', () => {
  const text = [
    '# comment',
    '',
    `10.0.0.2 ${a.kind} ${a.b64}`,
    `[10.0.0.2]:2222 ${e.kind} ${e.b64} root@node`,
    'garbage line',
    `@revoked * ${b.kind} ${b.b64}`,
  ].join('\n');
  const entries = parseKnownHosts(text);
  assert.deepEqual(
    entries.map((x) => [x.line, x.marker, x.hosts, x.keyType]),
    [
      [3, undefined, '10.0.0.2', 'ssh-ed25519'],
      [4, undefined, '[10.0.0.2]:2222', e.kind],
      [6, '@revoked', '*', 'ssh-ed25519'],
    ],
  );
  assert.equal(checkHostKey(entries, '10.0.0.2', 22, a.blob).status, 'known');
  assert.equal(checkHostKey(entries, '10.0.0.2', 2222, e.blob).status, 'known');
  assert.equal(checkHostKey(entries, '10.0.0.9', 22, a.blob).status, 'unknown');
  const changed = checkHostKey(entries, '10.0.0.2', 2222, sshKey('e2', 'ecdsa').blob);
  assert.equal(changed.status, 'changed');
  assert.deepEqual(changed.status === 'changed' ? changed.entries.map((x) => x.line) : [], [4]);
  // A key of a type not known for the host is unknown, not changed (the host may have several).
  assert.equal(checkHostKey(entries, '10.0.0.2', 2222, a.blob).status, 'unknown');
  assert.equal(checkHostKey(entries, '10.0.0.2', 22, b.blob).status, 'revoked');
});

test('an accepted key is written as ssh writes it, and read back as known', () => {
  const line = knownHostsLine('10.0.0.2', 2222, a.blob);
  assert.equal(line, `[10.0.0.2]:2222 ssh-ed25519 ${a.b64}`);
  assert.equal(checkHostKey(parseKnownHosts(line), '10.0.0.2', 2222, a.blob).status, 'known');
});

test('host key algorithms: the known types first (RSA as its three signatures), then the rest', () => {
  const entries = parseKnownHosts(`h ssh-rsa AAAA\nh ${e.kind} ${e.b64}\nother ssh-ed25519 ${a.b64}`);
  assert.deepEqual(knownKeyTypes(entries, 'h', 22), ['ssh-rsa', e.kind]);
  assert.deepEqual(hostKeyAlgorithms(knownKeyTypes(entries, 'h', 22)), [
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
    'ecdsa-sha2-nistp256',
    'ssh-ed25519',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
  ]);
  assert.deepEqual(hostKeyAlgorithms([])[0], 'ssh-ed25519');
});
