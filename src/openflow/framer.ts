/**
 * Resumable framer over a TCP byte stream: push() whatever the socket read, get back the complete frames
 * (zero-copy slices of the chunk when a frame sits inside one). A partial frame is kept as a list of
 * chunks and joined once, when its last byte arrives, so a frame split into many small reads costs one
 * copy. A bad length is sticky: once the stream is out of step nothing after it can be trusted, so
 * every later push throws the same error.
 */
import { OpenFlowDecodeError, badLength } from './errors.js';

const HEADER_LEN = 8;

export class FrameReader {
  private readonly maxFrame: number;
  /** Chunks of an incomplete frame carried over from earlier pushes. */
  private parts: Buffer[] = [];
  private partsLen = 0;
  /** Length of the frame in `parts`, once its length field has arrived. */
  private partsNeed: number | undefined;
  private failed: OpenFlowDecodeError | undefined;

  constructor(opts: { maxFrame?: number } = {}) {
    this.maxFrame = opts.maxFrame ?? 0xffff;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.partsLen;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw this.failed;
    let buf = chunk;
    if (this.partsLen > 0) {
      this.parts.push(chunk);
      this.partsLen += chunk.length;
      this.partsNeed ??= this.pendingFrameLength();
      if (this.partsNeed === undefined || this.partsLen < this.partsNeed) return [];
      buf = Buffer.concat(this.parts, this.partsLen);
      this.parts = [];
      this.partsLen = 0;
      this.partsNeed = undefined;
    }
    const frames: Buffer[] = [];
    let off = 0;
    while (buf.length - off >= 4) {
      const len = this.checkLength(buf.readUInt16BE(off + 2));
      if (buf.length - off < len) break;
      frames.push(buf.subarray(off, off + len));
      off += len;
    }
    if (off < buf.length) {
      // Copy the tail so a small leftover does not pin the whole socket chunk.
      this.parts = [Buffer.from(buf.subarray(off))];
      this.partsLen = buf.length - off;
    }
    return frames;
  }

  /** Length of the frame being assembled, once its length field has arrived. */
  private pendingFrameLength(): number | undefined {
    if (this.partsLen < 4) return undefined;
    const first = this.parts[0];
    const head = first.length >= 4 ? first : Buffer.concat(this.parts, this.partsLen);
    return this.checkLength(head.readUInt16BE(2));
  }

  private checkLength(len: number): number {
    if (len < HEADER_LEN || len > this.maxFrame) {
      this.failed = badLength(`frame length ${len} outside ${HEADER_LEN}..${this.maxFrame}`);
      throw this.failed;
    }
    return len;
  }
}
