#!/usr/bin/env node
/**
 * The floor for any controller written for Node.js: an OpenFlow 1.0 responder with no logic at all. It
 * does the handshake and answers every PACKET_IN with one pre-built FLOW_MOD that releases the packet's
 * buffer, through the same socket path Sluice's controller uses (shared read buffer, one write burst per
 * event-loop turn). Whatever it costs per packet-in is what the runtime and the kernel cost; whatever
 * Sluice costs beyond it is Sluice's own work. A reference row in the cbench table, not a controller.
 *
 * Standalone: node dist/bench/peers/node_floor.js --port 6653 [--host 127.0.0.1]
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { readWithSharedBuffer } from '../../src/controller/ownbuffer.js';
import { encodeMessage, OFP_VERSION_1_0, type OfMessageBody } from '../../src/openflow/index.js';
import { intFlag } from '../harness.js';

const OFPT_HELLO = 0;
const OFPT_ECHO_REQUEST = 2;
const OFPT_ECHO_REPLY = 3;
const OFPT_PACKET_IN = 10;
const HEADER_LEN = 8;
/** OF1.0 PACKET_IN: buffer_id at 8, in_port at 14. FLOW_MOD: buffer_id at 64 (after the 40-byte match). */
const PI_BUFFER_ID = 8;
const PI_IN_PORT = 14;
const FM_BUFFER_ID = 64;
const FM_MATCH_IN_PORT = 12;

const FLOW_MOD_TEMPLATE: OfMessageBody = {
  type: 'flow_mod',
  cookie: 0n,
  cookieMask: 0n,
  tableId: 0,
  command: 0, // OFPFC_ADD
  idleTimeout: 5,
  hardTimeout: 0,
  priority: 10,
  bufferId: 0,
  outPort: 0xffffffff, // OFPP_ANY (ports are modelled with OF1.3 numbers)
  outGroup: 0xffffffff,
  flags: 0,
  match: { in_port: 1 },
  instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffb, maxLen: 0 }] }],
};

const template = encodeMessage(FLOW_MOD_TEMPLATE, OFP_VERSION_1_0, 0);

let burst: Array<() => void> = [];
function flushBurst(): void {
  const flushes = burst;
  burst = [];
  for (const f of flushes) f();
}

function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  let queue: Buffer[] = [];
  let pending: Buffer | undefined;
  const flush = (): void => {
    const q = queue;
    queue = [];
    if (q.length && !socket.destroyed) socket.write(q.length === 1 ? q[0] : Buffer.concat(q));
  };
  const onBytes = (chunk: Buffer): void => {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= HEADER_LEN) {
      const len = buf.readUInt16BE(off + 2);
      if (len < HEADER_LEN) {
        socket.destroy();
        return;
      }
      if (buf.length - off < len) break;
      const type = buf[off + 1];
      if (type === OFPT_PACKET_IN) {
        const out = Buffer.from(template);
        out.writeUInt32BE(buf.readUInt32BE(off + 4), 4);
        out.writeUInt16BE(buf.readUInt16BE(off + PI_IN_PORT), FM_MATCH_IN_PORT);
        out.writeUInt32BE(buf.readUInt32BE(off + PI_BUFFER_ID), FM_BUFFER_ID);
        queue.push(out);
      } else if (type === OFPT_ECHO_REQUEST) {
        const reply = Buffer.from(buf.subarray(off, off + len));
        reply[1] = OFPT_ECHO_REPLY;
        queue.push(reply);
      }
      off += len;
    }
    pending = off < buf.length ? Buffer.from(buf.subarray(off)) : undefined;
    if (queue.length && burst.push(flush) === 1) setImmediate(flushBurst);
  };
  if (!readWithSharedBuffer(socket, onBytes)) socket.on('data', onBytes);
  // HELLO, then FEATURES_REQUEST: the fake switches count as connected once asked for their features.
  const hello = Buffer.from([OFP_VERSION_1_0, OFPT_HELLO, 0, HEADER_LEN, 0, 0, 0, 1]);
  const features = Buffer.from([OFP_VERSION_1_0, 5, 0, HEADER_LEN, 0, 0, 0, 2]);
  socket.write(Buffer.concat([hello, features]));
}

function main(): void {
  const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = intFlag(values, 'port', 6653);
  const host = values.host ?? '127.0.0.1';
  const server = net.createServer({ noDelay: true }, serve);
  server.on('error', (err) => {
    console.error(`node-floor: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => console.log(`node-floor: listening on ${host}:${port}`));
  const stop = (): void => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
