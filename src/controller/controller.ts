/** Listener, session registry, app registry, event bus and reconciler scheduling. */
import type { OfVersion } from '../openflow/index.js';
import type { Store } from '../store/index.js';
import type {
  App,
  ControllerApi,
  ControllerEvents,
  ControllerMetrics,
  Logger,
  SwitchSession,
} from './app.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface TlsOptions {
  /** PEM file paths. `ca` verifies switch client certificates (ovs-pki's switchca/cacert.pem). */
  keyFile: string;
  certFile: string;
  caFile: string;
  /** Default true: reject switches without a certificate signed by `ca`. */
  requireClientCert?: boolean;
}

export interface ControllerOptions {
  /** Default [{host:'127.0.0.1', port: 6653}, {host:'127.0.0.1', port: 6633}]; port 0 picks a free port. */
  listen?: ListenAddress[];
  tls?: TlsOptions;
  /** Versions offered in HELLO; default [1.0, 1.3] (the highest common one wins). */
  versions?: OfVersion[];
  /** Default 5000: how often an idle switch is sent ECHO_REQUEST. */
  echoIntervalMs?: number;
  /** Default 15000: no ECHO_REPLY (or any message) within this -> connection closed as dead. */
  echoTimeoutMs?: number;
  /** Default 10000: per-request timeout for request()/stats()/barrier(). */
  requestTimeoutMs?: number;
  /** Default 10000: HELLO..FEATURES must finish within this. */
  handshakeTimeoutMs?: number;
  /** Default 0xffff (whole packets); 128 sends only headers (with buffer ids). */
  missSendLen?: number;
  /** Default 200 ms: requestReconcile calls within this window are coalesced. */
  reconcileDebounceMs?: number;
  /** Stop reading from a switch whose socket has this many bytes queued (default 4 MiB). */
  maxWriteBuffer?: number;
  log: Logger;
  store: Store;
  /** Injected clock (ms); default Date.now. */
  now?: () => number;
}

/** Placeholder until the implementation lands (same public shape). */
export class Controller implements ControllerApi {
  readonly addresses: ListenAddress[] = [];
  readonly switches: ReadonlyMap<bigint, SwitchSession> = new Map();
  readonly metrics: Readonly<ControllerMetrics> = {} as ControllerMetrics;
  constructor(readonly opts: ControllerOptions) {}
  use(_app: App): void {}
  async start(): Promise<void> {
    throw new Error('not implemented yet');
  }
  async stop(): Promise<void> {}
  on<E extends keyof ControllerEvents>(_event: E, _listener: ControllerEvents[E]): () => void {
    return () => {};
  }
  off<E extends keyof ControllerEvents>(_event: E, _listener: ControllerEvents[E]): void {}
  requestReconcile(_appName: string, _dpid?: bigint): void {}
}
