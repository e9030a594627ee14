import { OvsdbProtocolError } from './errors.js';

/** 32 MiB: a full Open_vSwitch monitor snapshot of a big host stays far below this. */
export const DEFAULT_MAX_MESSAGE = 32 * 1024 * 1024;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/**
 * Splits an OVSDB byte stream (JSON values concatenated with no delimiter, RFC 7047 section 3) into parsed
 * values, whatever way the values are split or joined across reads. Only the structural bytes are tracked
 * (string and escape state, nesting depth), so each value is parsed once with JSON.parse when it is complete.
 * Multi-byte UTF-8 is safe: none of the bytes tracked can occur inside a multi-byte sequence.
 *
 * Errors are sticky: after garbage or an oversized value the stream cannot be resynchronised, so every later
 * push throws the same error and the owner must drop the connection.
 */
export class JsonStreamParser {
  private readonly maxMessage: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private failure: OvsdbProtocolError | undefined;

  constructor(opts: { maxMessage?: number } = {}) {
    this.maxMessage = opts.maxMessage ?? DEFAULT_MAX_MESSAGE;
  }

  /** Bytes of an unfinished value held back for the next push. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): unknown[] {
    if (this.failure) throw this.failure;
    const values: unknown[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.depth === 0) {
        if (isJsonWhitespace(byte)) {
          start = i + 1;
          continue;
        }
        if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) {
          this.fail('stream', `expected '{' to start a JSON-RPC message, got byte 0x${byte.toString(16)}`);
        }
        start = i;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          values.push(this.complete(chunk.subarray(start, i + 1)));
          start = i + 1;
        }
      }
    }
    if (this.depth > 0) {
      const rest = chunk.subarray(start);
      this.checkSize(rest.length);
      // Copy: the caller may reuse its read buffer.
      this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.length;
    }
    return values;
  }

  private complete(tail: Buffer): unknown {
    this.checkSize(tail.length);
    const whole = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    try {
      return JSON.parse(whole.toString('utf8'));
    } catch (err) {
      return this.fail('stream', `invalid JSON: ${(err as Error).message}`);
    }
  }

  private checkSize(extra: number): void {
    if (this.pendingBytes + extra > this.maxMessage) {
      this.fail('stream', `message exceeds the maximum size of ${this.maxMessage} bytes`);
    }
  }

  private fail(field: string, reason: string): never {
    this.failure = new OvsdbProtocolError(field, reason);
    this.pending = [];
    this.pendingBytes = 0;
    throw this.failure;
  }
}
