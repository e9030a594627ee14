/**
 * Resumable framer over a TCP byte stream: push() whatever the socket read, get back the complete frames
 * (zero-copy slices of the chunk when a frame sits inside one). A bad length is sticky: once the stream
 * is out of step nothing after it can be trusted, so every later push throws the same error.
 */
import { OpenFlowDecodeError, badLength } from './errors.js';

const HEADER_LEN = 8;

export class FrameReader {
  private readonly maxFrame: number;
  /** Bytes of an incomplete frame carried over from earlier pushes. */
  private pending: Buffer | undefined;
  private failed: OpenFlowDecodeError | undefined;

  constructor(opts: { maxFrame?: number } = {}) {
    this.maxFrame = opts.maxFrame ?? 0xffff;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw this.failed;
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const frames: Buffer[] = [];
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt16BE(off + 2);
      if (len < HEADER_LEN || len > this.maxFrame) {
        this.failed = badLength(`frame length ${len} outside ${HEADER_LEN}..${this.maxFrame}`);
        throw this.failed;
      }
      if (buf.length - off < len) break;
      frames.push(buf.subarray(off, off + len));
      off += len;
    }
    // Copy the tail so a small leftover does not pin the whole socket chunk.
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
    return frames;
  }
}
