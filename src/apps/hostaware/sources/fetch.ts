/**
 * The I/O edges of the Ganglia sources: gmond's XML port, gmetad's interactive query port and `rrdtool fetch`.
 * They only move bytes and classify failures; parsing is the pure parsers' job. Every failure is a
 * SourceFetchError with a stable code naming the source, because the poller turns it into a WARN message and
 * stale metrics (never an action), and tests and the API match on the code, not on the wording.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { SluiceError } from '../../../util/index.js';

export type SourceErrorCode = 'SOURCE_UNREACHABLE' | 'SOURCE_TIMEOUT' | 'SOURCE_GARBAGE';

export class SourceFetchError extends SluiceError {
  constructor(
    override readonly code: SourceErrorCode,
    /** The source in words, e.g. "gmond 127.0.0.1:8649" or "rrd /var/lib/ganglia/rrds/c/h1/load_one.rrd". */
    readonly source: string,
    detail: string,
  ) {
    super(`${source}: ${detail}`);
  }
}

export interface XmlFetchOptions {
  /** The whole exchange (connect, request, read to close) must finish within this (default 5000 ms). */
  timeoutMs?: number;
  /** An answer larger than this is refused (default 32 MiB): a runaway peer must not exhaust the controller. */
  maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/** "[::1]:8649" for IPv6 literals, so the address in a message can be pasted back. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Connects, optionally writes `request`, reads until the peer closes, and checks that a complete GANGLIA_XML
 * document came back (gmond and gmetad close the connection after one document; a cut-off one is garbage, not
 * a smaller truth).
 */
function readGangliaXml(
  source: string,
  host: string,
  port: number,
  request: string | undefined,
  opts: XmlFetchOptions,
): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const sock = net.connect({ host, port });
    const fail = (err: SourceFetchError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    // An overall deadline, not an idle timeout: a peer trickling bytes forever is as stuck as a silent one.
    const timer = setTimeout(
      () => fail(new SourceFetchError('SOURCE_TIMEOUT', source, `no complete answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.once('connect', () => {
      if (request !== undefined) sock.write(request);
    });
    sock.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        fail(new SourceFetchError('SOURCE_GARBAGE', source, `answer larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      // Before any byte arrived the peer is unreachable; a reset mid-answer leaves a document we cannot trust.
      const code = size === 0 ? 'SOURCE_UNREACHABLE' : 'SOURCE_GARBAGE';
      fail(new SourceFetchError(code, source, `${err.code ?? err.message} (after ${size} bytes)`));
    });
    sock.once('close', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const problem = xmlProblem(text);
      if (problem) reject(new SourceFetchError('SOURCE_GARBAGE', source, problem));
      else resolve(text);
    });
  });
}

/** Why `text` is not one complete Ganglia XML document, or undefined when it looks like one. */
function xmlProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty answer';
  if (!trimmed.startsWith('<')) return `not XML (starts with ${JSON.stringify(trimmed.slice(0, 40))})`;
  if (!trimmed.includes('<GANGLIA_XML')) return 'no GANGLIA_XML element';
  if (!trimmed.endsWith('</GANGLIA_XML>')) return `incomplete GANGLIA_XML document (${text.length} bytes)`;
  return undefined;
}

/** gmond's whole XML document from its tcp_accept_channel (it sends on connect, then closes). */
export function fetchGmondXml(host: string, port: number, opts: XmlFetchOptions = {}): Promise<string> {
  return readGangliaXml(`gmond ${hostPort(host, port)}`, host, port, undefined, opts);
}

/**
 * gmetad's answer to one interactive query, e.g. "/" (the grid), "/CLUSTER" or "/CLUSTER/HOST" (gmetad's
 * interactive port, 8652 by default, reads one line then answers and closes).
 */
export function queryGmetad(
  host: string,
  interactivePort: number,
  path: string,
  opts: XmlFetchOptions = {},
): Promise<string> {
  const source = `gmetad ${hostPort(host, interactivePort)}`;
  // A newline would end the query early and send the rest as garbage to gmetad.
  if (!path.startsWith('/') || /[\r\n]/.test(path)) {
    return Promise.reject(
      new Error(`${source}: query path must start with / and be one line: ${JSON.stringify(path)}`),
    );
  }
  return readGangliaXml(`${source} ${path}`, host, interactivePort, `${path}\n`, opts);
}

export type RrdCf = 'AVERAGE' | 'MIN' | 'MAX' | 'LAST';

export interface RrdFetchOptions {
  /** The rrdtool binary (default "rrdtool" on PATH). */
  rrdtool?: string;
  /** rrdtool must finish within this (default 5000 ms): a hung NFS mount must not stall the poller. */
  timeoutMs?: number;
}

/**
 * `rrdtool fetch FILE CF --start -WINDOW --end now`: its text output (a header of data-source names, then
 * "timestamp: value ..." lines) for the pure parser. A missing file or rrdtool counts as unreachable; output
 * without the header as garbage.
 */
export function rrdFetch(
  file: string,
  cf: RrdCf,
  windowSeconds: number,
  opts: RrdFetchOptions = {},
): Promise<string> {
  const source = `rrd ${file}`;
  const rrdtool = opts.rrdtool ?? 'rrdtool';
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) {
    return Promise.reject(
      new Error(`${source}: window must be a positive whole number of seconds: ${windowSeconds}`),
    );
  }
  return new Promise((resolve, reject) => {
    execFile(
      rrdtool,
      ['fetch', file, cf, '--start', `-${windowSeconds}`, '--end', 'now'],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: DEFAULT_MAX_BYTES, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.killed) {
            reject(
              new SourceFetchError('SOURCE_TIMEOUT', source, `rrdtool did not finish within ${timeoutMs} ms`),
            );
          } else if (e.code === 'ENOENT') {
            reject(new SourceFetchError('SOURCE_UNREACHABLE', source, `cannot run ${rrdtool}: not found`));
          } else {
            reject(new SourceFetchError('SOURCE_UNREACHABLE', source, stderr.trim() || e.message));
          }
          return;
        }
        // The first line names the data sources; a line of "ts: values" follows each step of the window.
        if (!/^\s*\S+.*\n\s*\n?\d+:/.test(stdout)) {
          reject(
            new SourceFetchError(
              'SOURCE_GARBAGE',
              source,
              `unexpected rrdtool output (starts with ${JSON.stringify(stdout.slice(0, 40))})`,
            ),
          );
          return;
        }
        resolve(stdout);
      },
    );
  });
}
