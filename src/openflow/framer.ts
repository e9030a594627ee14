/**
 * Resumable framer over a TCP byte stream: push() whatever the socket read, get back the complete frames
 * (zero-copy slices of the chunk when a frame sits inside one). A partial frame is kept as a list of
 * chunks and joined once, when its last byte arrives, so a frame split into many small reads costs one
 * copy. A bad length is sticky: once the stream is out of step nothing after it can be trusted, so
 * every later push fails with the same error.
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
    const { frames, error } = this.pushUntilError(chunk);
    if (error) throw error;
    return frames;
  }

  /**
   * push() that keeps the whole frames ahead of a bad length and returns the error beside them (they
   * arrived intact; whether they share a read with the bad length is up to TCP), with `badBytes`, the
   * stream from the bad header on (what an OFPT_ERROR quotes). Later calls return the same error alone.
   */
  pushUntilError(chunk: Buffer): FramedChunk {
    const frames: Buffer[] = [];
    if (this.failed) return { frames, error: this.failed };
    const badBytes = this.frameInto(chunk, frames);
    if (!badBytes) return { frames };
    this.failed = badLength(
      `frame length ${badBytes.readUInt16BE(2)} outside ${HEADER_LEN}..${this.maxFrame}`,
    );
    this.parts = [];
    this.partsLen = 0;
    return { frames, error: this.failed, badBytes };
  }

  /** Appends the whole frames to `frames`; returns the bytes from a bad length's header on, if any. */
  private frameInto(chunk: Buffer, frames: Buffer[]): Buffer | undefined {
    let buf = chunk;
    if (this.partsLen > 0) {
      this.parts.push(chunk);
      this.partsLen += chunk.length;
      if (this.partsNeed === undefined && this.partsLen >= 4) {
        const first = this.parts[0];
        const head = first.length >= 4 ? first : Buffer.concat(this.parts, this.partsLen);
        const len = head.readUInt16BE(2);
        if (!this.lengthOk(len)) return Buffer.concat(this.parts, this.partsLen);
        this.partsNeed = len;
      }
      if (this.partsNeed === undefined || this.partsLen < this.partsNeed) return undefined;
      buf = Buffer.concat(this.parts, this.partsLen);
      this.parts = [];
      this.partsLen = 0;
      this.partsNeed = undefined;
    }
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt16BE(off + 2);
      if (!this.lengthOk(len)) return buf.subarray(off);
      if (buf.length - off < len) break;
      frames.push(buf.subarray(off, off + len));
      off += len;
    }
    if (off < buf.length) {
      // Copy the tail so a small leftover does not pin the whole socket chunk.
      this.parts = [Buffer.from(buf.subarray(off))];
      this.partsLen = buf.length - off;
    }
    return undefined;
  }

  private lengthOk(len: number): boolean {
    return len >= HEADER_LEN && len <= this.maxFrame;
  }
}

export interface FramedChunk {
  frames: Buffer[];
  error?: OpenFlowDecodeError;
  /** The stream from the bad header on, when this push found the bad length. */
  badBytes?: Buffer;
}
