/**
 * The passive side (`pssl:`/`ptcp:`): a listener that OVS's own `ovs-vsctl set-manager ssl:HOST:PORT` dials. On
 * such a manager connection the node's ovsdb-server is still the JSON-RPC server, so each accepted socket runs an
 * ordinary OvsdbClient (list_dbs, transact, monitor) that was handed the socket instead of dialing.
 */
import net from 'node:net';
import tls from 'node:tls';
import { OvsdbClient, type OvsdbClientOptions, type OvsdbLogger } from './client.js';
import { OvsdbConnectionError } from './errors.js';

export interface OvsdbListenerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /**
   * pssl: the server's key and certificate, and the CA peer certificates must be signed by (PEM). A peer without
   * such a certificate is refused in the handshake. Left out: plain TCP (ptcp:), for tests on loopback only.
   */
  tls?: { key: string | Buffer; cert: string | Buffer; ca: string | Buffer };
  /** Options of the per-connection clients (timeouts, keepalive). */
  client?: Pick<OvsdbClientOptions, 'requestTimeoutMs' | 'echoIntervalMs' | 'echoTimeoutMs' | 'maxMessage'>;
  /** Each accepted, authenticated connection, its client already connected. */
  onSession: (session: OvsdbPeer) => void;
  log?: OvsdbLogger;
}

export interface OvsdbPeer {
  client: OvsdbClient;
  /** HOST:PORT the peer connected from. */
  remote: string;
  /** The peer certificate's subject CN (pssl: only): who the peer is. */
  commonName?: string;
}

const noopLog: OvsdbLogger = { debug() {}, warn() {} };

/** `[::1]:6640` for IPv6, `10.0.0.1:6640` otherwise. */
const hostPort = (host: string | undefined, port: number | undefined) =>
  `${host && net.isIPv6(host) ? `[${host}]` : (host ?? '?')}:${port ?? '?'}`;

export class OvsdbListener {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly log: OvsdbLogger;
  /** Handshakes refused (no certificate, or one of another CA), for diagnosis and tests. */
  refused = 0;

  constructor(private readonly opts: OvsdbListenerOptions) {
    this.log = opts.log ?? noopLog;
  }

  /** Listens; resolves with the bound address (the real port when 0 was asked for). */
  start(): Promise<{ host: string; port: number }> {
    if (this.server) throw new OvsdbConnectionError('listener already started');
    const t = this.opts.tls;
    const server = t
      ? tls.createServer(
          // OVS authenticates by the CA's signature alone, both ways: no host names are checked.
          { key: t.key, cert: t.cert, ca: t.ca, requestCert: true, rejectUnauthorized: true },
          (s) => this.accept(s, (s.getPeerCertificate().subject?.CN as string | undefined) ?? undefined),
        )
      : net.createServer((s) => this.accept(s, undefined));
    if (t) {
      server.on('tlsClientError', (err: Error, s: tls.TLSSocket) => {
        this.refused++;
        this.log.warn(
          { remote: hostPort(s.remoteAddress, s.remotePort), err: err.message },
          'OVSDB manager connection refused in the TLS handshake',
        );
      });
    }
    this.server = server;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) =>
        reject(
          new OvsdbConnectionError(
            `cannot listen for OVSDB manager connections on ${hostPort(this.opts.host, this.opts.port)}: ${err.message}`,
          ),
        );
      server.once('error', onError);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.log.warn({ err: err.message }, 'OVSDB listener error'));
        const a = server.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** Stops listening and drops every accepted connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(socket: net.Socket, commonName: string | undefined): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const remote = hostPort(socket.remoteAddress, socket.remotePort);
    const client = new OvsdbClient({
      ...this.opts.client,
      remote: `${this.opts.tls ? 'ssl' : 'tcp'}:${remote}`,
      stream: socket,
      log: this.log,
    });
    client.connect().then(
      () => this.opts.onSession({ client, remote, ...(commonName ? { commonName } : {}) }),
      (err: Error) => {
        this.log.warn({ remote, err: err.message }, 'OVSDB manager connection could not start');
        socket.destroy();
      },
    );
  }
}
