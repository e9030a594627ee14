/**
 * The pure parts of provisioning: ovs-vsctl's answers (get-ssl, maps and strings in its quoting, targets) and
 * the quoting of argv for a remote shell, which a real `sh` must read back word for word whatever a word holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import {
  parseGetSsl,
  parseOvsMap,
  parseOvsString,
  parseTargets,
  shellLine,
  shellQuote,
} from '../../src/provision/index.js';
import { ovsAtom } from './provision.fakenode.js';

test('parseGetSsl: no SSL row is undefined; the four fields otherwise', () => {
  assert.equal(parseGetSsl(''), undefined);
  assert.equal(parseGetSsl('\n'), undefined);
  assert.deepEqual(
    parseGetSsl(
      'Private key: /etc/openvswitch/k.pem\nCertificate: /etc/openvswitch/c.pem\n' +
        'CA Certificate: /etc/openvswitch/ca.pem\nBootstrap: true\n',
    ),
    {
      privateKey: '/etc/openvswitch/k.pem',
      certificate: '/etc/openvswitch/c.pem',
      caCertificate: '/etc/openvswitch/ca.pem',
      bootstrap: true,
    },
  );
  // "CA Certificate:" must not be read as "Certificate:".
  const onlyCa = parseGetSsl('CA Certificate: /x/ca.pem\nBootstrap: false\n')!;
  assert.equal(onlyCa.certificate, '');
  assert.equal(onlyCa.caCertificate, '/x/ca.pem');
  assert.equal(onlyCa.bootstrap, false);
});

test('parseOvsMap: empty, bare and quoted keys and values, escapes, commas and = inside quotes', () => {
  assert.deepEqual([...parseOvsMap('{}')], []);
  assert.deepEqual([...parseOvsMap(' {}\n')], []);
  assert.deepEqual(
    [
      ...parseOvsMap(
        '{hostname=ubuntu, rundir="/var/run/openvswitch", system-id="4caa4f75-f7b5-4c23-8275-9e2aa5b43221"}',
      ),
    ],
    [
      ['hostname', 'ubuntu'],
      ['rundir', '/var/run/openvswitch'],
      ['system-id', '4caa4f75-f7b5-4c23-8275-9e2aa5b43221'],
    ],
  );
  assert.deepEqual(
    [...parseOvsMap('{"a b"="c, d", "k=1"="v=2", q="say \\"hi\\"", "x\\\\y"=""}')],
    [
      ['a b', 'c, d'],
      ['k=1', 'v=2'],
      ['q', 'say "hi"'],
      ['x\\y', ''],
    ],
  );
  for (const bad of ['', 'ubuntu', '{a}', '{a=b', '{=b}', '["a","b"]'])
    assert.throws(() => parseOvsMap(bad), /not an OVSDB map/, bad);
});

test('parseOvsMap reads back any map as ovs-vsctl prints it', () => {
  const text = fc.string({ unit: 'binary', maxLength: 12 });
  fc.assert(
    fc.property(fc.dictionary(text, text, { maxKeys: 5 }), (m) => {
      const printed = `{${Object.entries(m)
        .map(([k, v]) => `${ovsAtom(k)}=${ovsAtom(v)}`)
        .join(', ')}}`;
      assert.deepEqual(Object.fromEntries(parseOvsMap(printed)), { ...m });
    }),
    { numRuns: 300 },
  );
});

test('parseOvsString: bare or quoted; parseTargets: one a line, blanks dropped', () => {
  assert.equal(parseOvsString('secure\n'), 'secure');
  assert.equal(parseOvsString('""'), '');
  assert.equal(parseOvsString('"netdev"'), 'netdev');
  assert.equal(parseOvsString('"a\\"b"'), 'a"b');
  assert.deepEqual(parseTargets(''), []);
  assert.deepEqual(parseTargets('ssl:10.0.0.1:6640\n\n  ptcp:6640:127.0.0.1 \n'), [
    'ssl:10.0.0.1:6640',
    'ptcp:6640:127.0.0.1',
  ]);
});

/** What `sh` makes of a line: its words, NUL-separated (printf runs once per word). */
const shWords = (line: string): string[] => {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
};

test('shellQuote: hostile words reach the remote shell as one word each, unexpanded', () => {
  const hostile = [
    '',
    ' ',
    "it's",
    "''",
    '$(touch /tmp/sluice-pwned)',
    '`id`',
    '$HOME',
    '${IFS}',
    'a;b',
    'a && b',
    'a|b',
    '>/etc/passwd',
    '*',
    '~root',
    'line1\nline2',
    'tab\there',
    '\\',
    '"',
    '!',
    '#comment',
    '-n',
    'é ü',
  ];
  assert.deepEqual(shWords(shellLine(hostile)), hostile);
  // Safe words stay readable in the transcript.
  assert.equal(shellQuote('ovs-vsctl'), 'ovs-vsctl');
  assert.equal(
    shellQuote('--db=unix:/var/run/openvswitch/db.sock'),
    '--db=unix:/var/run/openvswitch/db.sock',
  );
  assert.equal(shellQuote('external_ids:bridge-id=br-int'), 'external_ids:bridge-id=br-int');
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

test('shellLine round-trips any argv through sh', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.string({ unit: 'binary', maxLength: 10 }).filter((s) => !s.includes('\0')),
        { minLength: 1, maxLength: 6 },
      ),
      (argv) => {
        assert.deepEqual(shWords(shellLine(argv)), argv);
      },
    ),
    { numRuns: 60 },
  );
});
