/** The one set of IPv4/MAC/EtherType helpers (src/packet): conversions both ways, and junk refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BROADCAST_MAC,
  BROADCAST_MAC_NUM,
  ETH_TYPE,
  ipv4NumToText,
  ipv4TextToNum,
  macNumToText,
  macTextToNum,
} from '../../src/packet/index.js';

test('IPv4 text <-> unsigned 32-bit number', () => {
  assert.equal(ipv4TextToNum('1.2.3.4'), 0x01020304);
  assert.equal(ipv4TextToNum('0.0.0.0'), 0);
  assert.equal(ipv4TextToNum('255.255.255.255'), 0xffffffff, 'unsigned, not -1');
  assert.equal(ipv4TextToNum('10.0.0.255'), 0x0a0000ff);
  assert.equal(ipv4NumToText(0x0a0000ff), '10.0.0.255');
  assert.equal(ipv4NumToText(0), '0.0.0.0');
  // A signed 32-bit number (Java's int, `x | 0`) is the same address.
  assert.equal(ipv4NumToText(0xc0a80001 | 0), '192.168.0.1');
  for (const text of ['192.168.1.254', '127.0.0.1', '224.0.0.251']) {
    assert.equal(ipv4NumToText(ipv4TextToNum(text)!), text);
  }
});

test('IPv4 text that is not exactly a dotted quad of 0..255 is refused', () => {
  const bad = [
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.256',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4/24',
    '1..3.4',
    '-1.2.3.4',
    '+1.2.3.4',
    '1.2.3.a',
    '0x1.2.3.4',
    '1234.1.1.1',
    '::1',
    '',
  ];
  for (const text of bad) assert.equal(ipv4TextToNum(text), undefined, JSON.stringify(text));
});

test('MAC text <-> 48-bit number: either case in, lower case out', () => {
  const n = macTextToNum('aa:bb:cc:dd:ee:0f');
  assert.equal(n, 0xaabbccddee0f);
  assert.equal(macTextToNum('AA:bb:Cc:dD:EE:0F'), n, 'mixed case is the same address');
  assert.equal(macNumToText(n!), 'aa:bb:cc:dd:ee:0f');
  assert.equal(macNumToText(1), '00:00:00:00:00:01');
  assert.equal(macTextToNum(BROADCAST_MAC), BROADCAST_MAC_NUM);
  assert.equal(macNumToText(BROADCAST_MAC_NUM), BROADCAST_MAC);
});

test('MAC text that is not six colon-separated hex pairs is refused', () => {
  const bad = [
    'aa:bb:cc:dd:ee',
    'aa:bb:cc:dd:ee:ff:00',
    'aa-bb-cc-dd-ee-ff',
    'aabb.ccdd.eeff',
    'aabbccddeeff',
    ' aa:bb:cc:dd:ee:ff',
    'aa:bb:cc:dd:ee:ff ',
    'a:bb:cc:dd:ee:ff',
    'aa:bb:cc:dd:ee:fff',
    'gg:bb:cc:dd:ee:ff',
    '',
  ];
  for (const text of bad) assert.equal(macTextToNum(text), undefined, JSON.stringify(text));
});

test('EtherTypes are the IEEE numbers', () => {
  assert.equal(ETH_TYPE.IPV4, 0x0800);
  assert.equal(ETH_TYPE.ARP, 0x0806);
  assert.equal(ETH_TYPE.IPV6, 0x86dd);
  assert.equal(ETH_TYPE.VLAN, 0x8100);
  assert.equal(ETH_TYPE.LLDP, 0x88cc);
});
