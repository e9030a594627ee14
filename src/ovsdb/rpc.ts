import type { Duplex } from 'node:stream';
import { OvsdbConnectionError, OvsdbProtocolError, OvsdbRpcError, OvsdbTimeoutError } from './errors.js';
import { JsonStreamParser } from './stream.js';

export interface RpcConnectionOptions {
  maxMessage?: number;
  /** Send an echo when nothing was received for this long; 0 disables the keepalive. */
  echoIntervalMs?: number;
  /** How long that echo may stay unanswered before the connection counts as dead. */
  echoTimeoutMs?: number;
  onNotification?: (method: string, params: unknown[]) => void;
  /** Called once, when the connection ends for whatever reason (undefined when closed on purpose). */
  onClose?: (err: Error | undefined) => void;
}

export interface RequestOptions {
  timeoutMs: number;
  /**
   * Runs synchronously when the reply is read, before any later message on the stream is handled. Monitors
   * need this: the `update` notifications that follow a monitor reply must see the initial snapshot applied.
   */
  onResult?: (result: unknown) => void;
}

interface Pending {
  method: string;
  timer: NodeJS.Timeout;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  onResult?: (result: unknown) => void;
}

/**
 * One JSON-RPC 1.0 session (RFC 7047 section 4) over a connected byte stream: xid-matched requests with timeouts,
 * notifications, answers to the server's echo, and a keepalive echo of our own.
 */
export class RpcConnection {
  private readonly parser: JsonStreamParser;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedWith: { err: Error | undefined } | undefined;
  private lastReceived = Date.now();
  private keepalive: NodeJS.Timeout | undefined;
  private echoInFlight = false;

  constructor(
    private readonly socket: Duplex,
    private readonly opts: RpcConnectionOptions = {},
  ) {
    this.parser = new JsonStreamParser({ maxMessage: opts.maxMessage });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.close(new OvsdbConnectionError(`connection error: ${err.message}`)));
    socket.on('close', () => this.close(new OvsdbConnectionError('connection closed by peer')));
    const interval = opts.echoIntervalMs ?? 0;
    if (interval > 0) {
      this.keepalive = setInterval(() => this.probe(interval), interval);
      this.keepalive.unref();
    }
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  request(method: string, params: unknown[], opts: RequestOptions): Promise<unknown> {
    if (this.closedWith) {
      return Promise.reject(this.closedWith.err ?? new OvsdbConnectionError('connection closed'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OvsdbTimeoutError(method, opts.timeoutMs));
      }, opts.timeoutMs);
      this.pending.set(id, { method, timer, resolve, reject, onResult: opts.onResult });
      this.send({ method, params, id });
    });
  }

  notify(method: string, params: unknown[]): void {
    this.send({ method, params, id: null });
  }

  /** Ends the session: pending requests fail with `err` (or a plain "closed" error when closing on purpose). */
  close(err?: Error): void {
    if (this.closedWith) return;
    this.closedWith = { err };
    if (this.keepalive) clearInterval(this.keepalive);
    const failure = err ?? new OvsdbConnectionError('connection closed');
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(failure);
    }
    this.pending.clear();
    this.socket.destroy();
    this.opts.onClose?.(err);
  }

  private send(msg: object): void {
    if (this.closedWith) return;
    this.socket.write(JSON.stringify(msg));
  }

  private probe(interval: number): void {
    if (this.echoInFlight || Date.now() - this.lastReceived < interval) return;
    this.echoInFlight = true;
    const timeoutMs = this.opts.echoTimeoutMs ?? interval;
    this.request('echo', ['sluice-keepalive'], { timeoutMs }).then(
      () => {
        this.echoInFlight = false;
      },
      (err: Error) => {
        this.echoInFlight = false;
        if (err instanceof OvsdbTimeoutError) {
          this.close(
            new OvsdbConnectionError(`peer did not answer the keepalive echo within ${timeoutMs} ms`),
          );
        }
      },
    );
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    let messages: unknown[];
    try {
      messages = this.parser.push(chunk);
    } catch (err) {
      this.close(err as Error);
      return;
    }
    for (const msg of messages) {
      if (this.closedWith) return;
      try {
        this.dispatch(msg);
      } catch (err) {
        this.close(err instanceof OvsdbProtocolError ? err : new OvsdbProtocolError('message', String(err)));
        return;
      }
    }
  }

  private dispatch(msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      throw new OvsdbProtocolError('message', 'a JSON-RPC message must be an object');
    }
    const m = msg as Record<string, unknown>;
    if ('method' in m) {
      if (typeof m.method !== 'string') throw new OvsdbProtocolError('message.method', 'must be a string');
      if (!Array.isArray(m.params)) throw new OvsdbProtocolError('message.params', 'must be an array');
      if (m.id === null || m.id === undefined) {
        this.opts.onNotification?.(m.method, m.params);
      } else if (m.method === 'echo') {
        this.send({ id: m.id, result: m.params, error: null });
      } else {
        this.send({ id: m.id, result: null, error: `unknown method ${m.method}` });
      }
      return;
    }
    if (!('id' in m) || !('result' in m || 'error' in m)) {
      throw new OvsdbProtocolError('message', 'neither a request, a notification nor a response');
    }
    if (typeof m.id !== 'number') return; // not one of ours (we only send numeric ids)
    const p = this.pending.get(m.id);
    if (!p) return; // a late reply to a request that already timed out
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error !== null && m.error !== undefined) {
      p.reject(new OvsdbRpcError(p.method, m.error));
      return;
    }
    try {
      p.onResult?.(m.result);
    } catch (err) {
      p.reject(err as Error);
      return;
    }
    p.resolve(m.result);
  }
}
