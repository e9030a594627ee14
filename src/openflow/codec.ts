/**
 * encode/decode entry points: header handling, version negotiation for HELLO, and the registry of all
 * message codecs. Encoding computes the length first and allocates the frame once.
 */
import type { Hello, OfMessage, OfVersion } from './types.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3 } from './types.js';
import {
  OFPBRC_ALL,
  OFPET13,
  OFPHFC_INCOMPATIBLE,
  OpenFlowDecodeError,
  OpenFlowEncodeError,
  badField,
  badLength,
  truncated,
  unsupported,
} from './errors.js';
import { CodecRegistry } from './registry.js';
import { MESSAGE_CODECS, readHelloElements } from './messages.js';
import { statsReplyCodec, statsRequestCodec } from './stats.js';
import { Reader, Writer } from './wire.js';
import { CODEC_VERSIONS, negotiateVersion } from './negotiate.js';

export const OFP_HEADER_LEN = 8;
export const OFPT_HELLO = 0;

export const REGISTRY = new CodecRegistry();
for (const c of MESSAGE_CODECS) REGISTRY.register(c);
REGISTRY.register(statsRequestCodec).register(statsReplyCodec);

const VERSION_NAME: Record<OfVersion, string> = { [OFP_VERSION_1_0]: '1.0', [OFP_VERSION_1_3]: '1.3' };

type WithoutHeader<M> = M extends OfMessage ? Omit<M, 'version' | 'xid'> : never;
/** A message without its header fields: what a session fills in with its version and next xid. */
export type OfMessageBody = WithoutHeader<OfMessage>;

export function encode(msg: OfMessage): Buffer {
  return encodeMessage(msg, msg.version, msg.xid);
}

/**
 * Encodes `msg` with the given header fields (any `version`/`xid` on `msg` itself are ignored), so a sender
 * does not copy the message to stamp them.
 */
export function encodeMessage(msg: OfMessageBody, version: OfVersion, xid: number): Buffer {
  const v = version;
  if (v !== OFP_VERSION_1_0 && v !== OFP_VERSION_1_3)
    throw badField('version', `must be 1 or 4, got ${String(v)}`);
  const codec = REGISTRY.forType(v, msg.type);
  if (!codec) {
    if (REGISTRY.forType(v === OFP_VERSION_1_0 ? OFP_VERSION_1_3 : OFP_VERSION_1_0, msg.type)) {
      throw unsupported('type', `${msg.type} is not in OpenFlow ${VERSION_NAME[v]}`);
    }
    throw badField('type', `unknown message type ${String(msg.type)}`);
  }
  const total = OFP_HEADER_LEN + codec.size(msg as never, v);
  if (total > 0xffff) {
    throw new OpenFlowEncodeError(
      'OF_BAD_LENGTH',
      'length',
      `${total} bytes exceed OpenFlow's 65535-byte frame`,
    );
  }
  const buf = Buffer.allocUnsafe(total);
  const w = new Writer(buf, 0);
  w.u8(v, 'version');
  w.u8(codec.wire[v]!, 'type');
  w.u16(total, 'length');
  w.u32(xid, 'xid');
  codec.write(w, msg as never, v);
  if (w.off !== total) throw new Error(`openflow codec bug: ${msg.type} wrote ${w.off} of ${total} bytes`);
  return buf;
}

function badVersion(version: number): OpenFlowDecodeError {
  return new OpenFlowDecodeError(
    'OF_BAD_VERSION',
    OFPET13.BAD_REQUEST,
    OFPBRC_ALL.BAD_VERSION,
    `unsupported OpenFlow version 0x${version.toString(16)}`,
  );
}

/**
 * A HELLO of any version. One of a version this codec speaks keeps it; any other gets the version we
 * would negotiate with it (negotiateVersion), with the header's in `wireVersion`.
 */
function decodeHello(r: Reader, wireVersion: number, xid: number): Hello {
  const versions = wireVersion >= OFP_VERSION_1_3 ? readHelloElements(r) : [];
  r.off = r.end; // OF1.0-1.2 hello bodies carry nothing we read
  const version =
    wireVersion === OFP_VERSION_1_0 || wireVersion === OFP_VERSION_1_3
      ? wireVersion
      : negotiateVersion(CODEC_VERSIONS, wireVersion, versions);
  if (version === undefined) {
    throw new OpenFlowDecodeError(
      'OF_BAD_VERSION',
      OFPET13.HELLO_FAILED,
      OFPHFC_INCOMPATIBLE,
      `no common OpenFlow version with a hello of version 0x${wireVersion.toString(16)}`,
    );
  }
  const hello: Hello = { type: 'hello', version, xid, versions };
  if (version !== wireVersion) hello.wireVersion = wireVersion;
  return hello;
}

/** Decodes exactly one whole frame (header included). Throws only OpenFlowDecodeError. */
export function decode(frame: Buffer): OfMessage {
  if (!Buffer.isBuffer(frame)) throw badLength('frame is not a Buffer');
  if (frame.length < OFP_HEADER_LEN) throw truncated('ofp_header');
  const wireVersion = frame[0];
  const type = frame[1];
  const length = frame.readUInt16BE(2);
  const xid = frame.readUInt32BE(4);
  try {
    if (length < OFP_HEADER_LEN || length !== frame.length) {
      throw badLength(`header length ${length} but frame has ${frame.length} bytes`);
    }
    const r = new Reader(frame, OFP_HEADER_LEN, length);
    if (type === OFPT_HELLO) return decodeHello(r, wireVersion, xid);
    if (wireVersion !== OFP_VERSION_1_0 && wireVersion !== OFP_VERSION_1_3) throw badVersion(wireVersion);
    const codec = REGISTRY.forWire(wireVersion, type);
    if (!codec) {
      throw new OpenFlowDecodeError(
        'OF_BAD_TYPE',
        OFPET13.BAD_REQUEST,
        OFPBRC_ALL.BAD_TYPE,
        `unsupported message type ${type} in OpenFlow ${VERSION_NAME[wireVersion]}`,
      );
    }
    const msg = codec.read(r, wireVersion, xid);
    if (r.off !== length) throw badLength(`${msg.type} has ${length - r.off} trailing bytes`);
    return msg;
  } catch (e) {
    if (e instanceof OpenFlowDecodeError) {
      e.xid = xid;
      e.version = wireVersion;
    }
    throw e;
  }
}
