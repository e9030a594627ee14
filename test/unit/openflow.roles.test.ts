/** Role requests and replies on both versions: OF1.3 ROLE_REQUEST and Open vSwitch's Nicira role on 1.0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decode,
  encodeMessage,
  NO_GENERATION,
  NX_VENDOR_ID,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  roleReplyOf,
  roleRequest,
} from '../../src/openflow/index.js';

test('OF1.3: master with a generation id on the wire; the reply reads back', () => {
  const frame = encodeMessage(roleRequest(OFP_VERSION_1_3, 'master', 42n), OFP_VERSION_1_3, 7);
  assert.equal(frame[1], 24, 'OFPT_ROLE_REQUEST');
  assert.equal(frame.readUInt32BE(8), 2, 'OFPCR_ROLE_MASTER');
  assert.equal(frame.readBigUInt64BE(16), 42n);
  const reply = Buffer.from(frame);
  reply[1] = 25;
  assert.deepEqual(roleReplyOf(decode(reply)), { role: 'master', generation: 42n });
  reply.writeUInt32BE(3, 8);
  reply.writeBigUInt64BE(NO_GENERATION, 16);
  assert.deepEqual(roleReplyOf(decode(reply)), { role: 'slave' }, 'no generation yet');
  assert.throws(() => roleRequest(OFP_VERSION_1_3, 'master', -1n), /generation/);
});

test('OF1.0: the Nicira vendor message, roles numbered one lower; no nochange', () => {
  const frame = encodeMessage(roleRequest(OFP_VERSION_1_0, 'slave'), OFP_VERSION_1_0, 9);
  assert.equal(frame[1], 4, 'OFPT_VENDOR');
  assert.equal(frame.readUInt32BE(8), NX_VENDOR_ID);
  assert.equal(frame.readUInt32BE(12), 10, 'NXT_ROLE_REQUEST');
  assert.equal(frame.readUInt32BE(16), 2, 'NX_ROLE_SLAVE');
  const reply = Buffer.from(frame);
  reply.writeUInt32BE(11, 12);
  assert.deepEqual(roleReplyOf(decode(reply)), { role: 'slave' });
  reply.writeUInt32BE(7, 16);
  assert.equal(roleReplyOf(decode(reply)), undefined, 'an unknown role');
  assert.throws(() => roleRequest(OFP_VERSION_1_0, 'nochange'), /nochange/);
});
