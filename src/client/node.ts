/**
 * The API client for Node programs (CLI, daemon, tests, bench): index.ts's clients, plus TLS options (CA,
 * client certificate and key as PEM) sent over undici, whose connections also tell a TLS failure apart.
 */
import { fetch as undiciFetch } from 'undici';
import { AgentClient as BaseAgentClient, DEFAULT_AGENT_URL } from './agent.js';
import { SluiceClient as BaseSluiceClient, type ClientOptions, type Transport } from './client.js';
import { causeCode } from './errors.js';
import { NotingDispatcher, validateTls, type TlsOptions } from './tls.js';

export * from './index.js';
export { pemProblem, validateTls, type PemKind, type TlsOptionNames, type TlsOptions } from './tls.js';

export interface NodeClientOptions extends ClientOptions {
  /**
   * For an https baseUrl: CA, client certificate and key (PEM contents). Checked in the constructor, which
   * throws ClientOptionError naming the field (cert without key, an http URL, not PEM, key not the cert's).
   */
  tls?: TlsOptions;
  /** Replaces undici's fetch (tests); with `tls` it is handed undici's `dispatcher` in the request init. */
  fetch?: typeof fetch;
}

/**
 * A transport over undici presenting `tls`, whose own dispatcher both carries the TLS material and notes what
 * each connection saw, so a failure can be read as a TLS matter.
 */
export function nodeTransport(opts: { tls?: TlsOptions; fetch?: typeof fetch } = {}): Transport {
  const tls = opts.tls ?? {};
  const hasTls = Object.values(tls).some((v) => v !== undefined);
  const dispatcher = opts.fetch && !hasTls ? undefined : new NotingDispatcher(tls);
  const fetchFn = opts.fetch ?? (undiciFetch as unknown as typeof fetch);
  const clientCert = tls.cert !== undefined;
  return {
    fetch: (url, init) =>
      fetchFn(url, (dispatcher ? { ...init, dispatcher: dispatcher.agent } : init) as RequestInit),
    failure(err, started) {
      const note = dispatcher?.noteOf(err, started);
      const raw = causeCode(err);
      return {
        // A TLS alert explains an "other side closed" better than the closing does.
        code: note?.tlsAlert ?? raw,
        clientCert,
        closedUnanswered:
          note !== undefined &&
          note.openedAt >= started &&
          (raw === 'UND_ERR_SOCKET' || raw === 'ECONNRESET'),
      };
    },
    close: async () => {
      await dispatcher?.close();
    },
  };
}

/** Checks the TLS options against the URL (throws ClientOptionError) and puts the Node transport in. */
function withNodeTransport<T extends NodeClientOptions>(opts: T): T {
  validateTls(opts.baseUrl.replace(/\/+$/, ''), opts.tls ?? {});
  return { ...opts, transport: opts.transport ?? nodeTransport(opts) };
}

/** The controller's API client, with TLS options. */
export class SluiceClient extends BaseSluiceClient {
  constructor(opts: NodeClientOptions) {
    super(withNodeTransport(opts));
  }
}

/** An agent's API client, with TLS options; `baseUrl` defaults to DEFAULT_AGENT_URL. */
export class AgentClient extends BaseAgentClient {
  constructor(opts: Partial<NodeClientOptions> = {}) {
    super(withNodeTransport({ ...opts, baseUrl: opts.baseUrl ?? DEFAULT_AGENT_URL }));
  }
}
