/**
 * Socket reads into one shared buffer instead of a fresh 64 KB allocation per read.
 *
 * Node reads every TCP chunk into a newly allocated 64 KB backing store and pushes it through the Readable
 * stream machinery; on a switch connection that answers packet-ins one at a time (cbench latency mode,
 * a quiet network) that per-read overhead costs more than handling the packet-in. `net.Socket`'s
 * documented `onread` option avoids it, but only for sockets the caller constructs, not for ones a
 * `net.Server` accepts. This installs the same mechanism on an accepted socket through the fields the
 * option sets, after checkSharedRead has confirmed they are what the option sets; where they are not,
 * the controller says so once at start and reads with 'data' events.
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

/** Whether this Node's private socket fields are the ones the shared buffer relies on, and why not. */
export type SharedReadSupport = { ok: true; fields: OnreadFields } | { ok: false; reason: string };

/**
 * Checks Node's private fields against the documented `onread` option they implement: each must exist
 * on a socket by name, and a socket constructed with the option must carry its buffer and callback in
 * exactly those fields. A Node that renamed or repurposed them fails here, with the reason, instead of
 * the shared buffer silently writing fields nothing reads. `makeSocket` is for the tests.
 */
export function checkSharedRead(
  // net.connect() hands its options, `onread` among them, to this constructor.
  makeSocket: (opts?: { onread: net.OnReadOpts }) => object = (opts) =>
    new net.Socket(opts as net.SocketConstructorOpts),
): SharedReadSupport {
  const buf = Buffer.alloc(1);
  const callback = (): boolean => true;
  const plain = makeSocket();
  const withOnread = makeSocket({ onread: { buffer: buf, callback } });
  try {
    const symbols = Object.getOwnPropertySymbols(plain);
    const find = (name: string): symbol | undefined => symbols.find((s) => s.description === name);
    const fields = { buffer: find('kBuffer'), callback: find('kBufferCb'), generator: find('kBufferGen') };
    const missing = ['kBuffer', 'kBufferCb', 'kBufferGen'].filter((name) => !find(name));
    if (missing.length) return { ok: false, reason: `net.Socket has no ${missing.join(', ')} field` };
    const f = fields as OnreadFields;
    const got = withOnread as Record<symbol, unknown>;
    if (got[f.buffer] !== buf || got[f.callback] !== callback || got[f.generator] !== null) {
      return {
        ok: false,
        reason: 'the onread option no longer sets kBuffer/kBufferCb/kBufferGen as expected',
      };
    }
    return { ok: true, fields: f };
  } finally {
    for (const s of [plain, withOnread]) (s as { destroy?: () => void }).destroy?.();
  }
}

let support: SharedReadSupport | undefined;

/** checkSharedRead() for the running Node, done once. */
export function sharedReadSupport(): SharedReadSupport {
  support ??= checkSharedRead();
  return support;
}

/**
 * One buffer serves every socket: the callback runs synchronously on the event loop and must copy what it
 * keeps before returning, so reads on different sockets never overlap in it.
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * Delivers `socket`'s input to `onBytes` as a private copy of each read (the shared buffer is reused at
 * once). Returns false, changing nothing, when it cannot: the check failed (the caller has announced
 * that), or the stream is not a plain TCP socket with a handle (TLS sockets, other stream types).
 */
export function readWithSharedBuffer(
  socket: unknown,
  onBytes: (chunk: Buffer) => void,
  check: SharedReadSupport = sharedReadSupport(),
): boolean {
  if (!check.ok) return false;
  if (!(socket instanceof net.Socket) || socket.constructor !== net.Socket) return false;
  const handle = (socket as unknown as { _handle?: UserBufferHandle })._handle;
  if (typeof handle?.useUserBuffer !== 'function') return false;
  const { fields } = check;
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
