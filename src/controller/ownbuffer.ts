/**
 * Socket reads into one shared buffer instead of a fresh 64 KB allocation per read.
 *
 * Node reads every TCP chunk into a newly allocated 64 KB backing store and pushes it through the Readable
 * stream machinery; on a switch connection that answers packet-ins one at a time (cbench latency mode,
 * a quiet network) that per-read overhead costs more than handling the packet-in. `net.Socket`'s
 * documented `onread` option avoids it, but only for sockets the caller constructs, not for ones a
 * `net.Server` accepts. This installs the same mechanism on an accepted socket through the fields the
 * option sets (found by name on a probe socket, so nothing is guessed); where the running Node lacks them
 * it returns false and the caller keeps using 'data' events.
 */
import net from 'node:net';

interface OnreadFields {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

interface UserBufferHandle {
  useUserBuffer?: (buf: Uint8Array) => void;
}

let fields: OnreadFields | null | undefined;

function probeFields(): OnreadFields | null {
  // Every net.Socket carries the fields (null unless the onread option was given).
  const probe = new net.Socket();
  const symbols = Object.getOwnPropertySymbols(probe);
  const find = (name: string): symbol | undefined => symbols.find((s) => s.description === name);
  const buffer = find('kBuffer');
  const callback = find('kBufferCb');
  const generator = find('kBufferGen');
  probe.destroy();
  return buffer && callback && generator ? { buffer, callback, generator } : null;
}

/**
 * One buffer serves every socket: the callback runs synchronously on the event loop and must copy what it
 * keeps before returning, so reads on different sockets never overlap in it.
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * Delivers `socket`'s input to `onBytes` as a private copy of each read (the shared buffer is reused at
 * once). Returns false, changing nothing, when this Node cannot do it (TLS sockets, other stream types).
 */
export function readWithSharedBuffer(socket: unknown, onBytes: (chunk: Buffer) => void): boolean {
  if (!(socket instanceof net.Socket) || socket.constructor !== net.Socket) return false;
  fields ??= probeFields();
  const handle = (socket as unknown as { _handle?: UserBufferHandle })._handle;
  if (!fields || typeof handle?.useUserBuffer !== 'function') return false;
  const target = socket as unknown as Record<symbol, unknown>;
  target[fields.buffer] = SHARED_READ_BUFFER;
  target[fields.generator] = null;
  target[fields.callback] = (nread: number, buf: Buffer): boolean => {
    const chunk = Buffer.allocUnsafe(nread);
    buf.copy(chunk, 0, 0, nread);
    onBytes(chunk);
    return true;
  };
  handle.useUserBuffer(SHARED_READ_BUFFER);
  return true;
}
