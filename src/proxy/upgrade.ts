/**
 * Upgraded (hijacked) exchanges: `docker attach`, `exec` start, `run -it` and `run -i` send `Connection: Upgrade`
 * + `Upgrade: tcp` (the 20.10 CLI always does, also for the old 200-raw-stream answer) and then use the socket
 * both ways. Powerstrip hung here (its issue 69). The proxy opens a raw connection to dockerd, sends the request
 * head (after pre-hooks, if any match) and the bytes already read, and splices both ways byte for byte with
 * half-close: the client's FIN ends only the direction toward dockerd, whose output keeps flowing back until
 * it ends too (`echo hi | docker run -i busybox cat` prints hi and exits). No buffering, Nagle off both sides.
 * Post-hooks never run on an upgraded exchange (it is a stream); the access log says so.
 */
import type http from 'node:http';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { bearerMatches } from '../api/auth.js';
import { setRawHeader, streamingEndpoint } from './classify.js';
import { dockerError, tooLarge, unauthorized, unreachable, type ProxyAnswer } from './errors.js';
import { isJsonMediaType, type ClientRequest } from './protocol.js';
import { accessAdapters, loggable, upstreamHeaders, type AccessRecord, type ProxyOptions } from './server.js';
import { AdapterFailure } from './types.js';

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

/** An answer written on the raw socket (the HTTP server no longer owns it), then the socket is closed. */
function rawAnswer(socket: net.Socket, a: ProxyAnswer): void {
  const body = Buffer.from(a.body);
  const head =
    `HTTP/1.1 ${a.status} ${STATUS_TEXT[a.status] ?? 'Error'}\r\n` +
    `Content-Type: ${a.contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

/** The request line and headers as bytes. */
export function requestHead(method: string, path: string, headers: readonly string[]): Buffer {
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return Buffer.from(text + '\r\n', 'latin1');
}

/** Reads `n` bytes of body: first from `head`, then from the socket. Resolves with the body and any excess. */
function readBody(socket: net.Socket, head: Buffer, n: number): Promise<{ body: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = head;
    const done = () => {
      socket.off('data', onData);
      socket.off('error', reject);
      socket.off('end', onEnd);
      socket.pause();
      resolve({ body: buf.subarray(0, n), rest: buf.subarray(n) });
    };
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= n) done();
    };
    const onEnd = () => reject(new Error('the client closed before sending its request body'));
    if (buf.length >= n) {
      resolve({ body: buf.subarray(0, n), rest: buf.subarray(n) });
      return;
    }
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', onEnd);
    socket.resume();
  });
}

/** The 'upgrade' listener of the proxy's HTTP(S) server. */
export function proxyUpgradeHandler(o: ProxyOptions) {
  const cap = o.bodyCap ?? 16 * 1024 * 1024;
  return (req: http.IncomingMessage, socket: net.Socket, head: Buffer): void => {
    const start = performance.now();
    const method = req.method ?? 'POST';
    const url = req.url ?? '/';
    const rec: AccessRecord = {
      method,
      path: url,
      status: 0,
      bytes: 0,
      ms: 0,
      adapters: [],
      stream: true,
      streamKind: 'upgrade',
      upgraded: true,
    };
    socket.setNoDelay(true);
    o.log.debug({ method, path: loggable(rec).path, head: head.length }, 'upgrade: request');
    let logged = false;
    const finish = () => {
      if (logged) return;
      logged = true;
      rec.ms = Math.round((performance.now() - start) * 100) / 100;
      o.metrics?.request(method, rec.status, undefined);
      o.log.info(loggable(rec), 'request');
    };
    const answer = (a: ProxyAnswer) => {
      rec.status = a.status;
      rawAnswer(socket, a);
      finish();
    };
    socket.on('error', () => undefined);
    if (o.token !== undefined && !bearerMatches(req.headers.authorization, o.token)) {
      answer(unauthorized());
      return;
    }
    upgrade(o, cap, req, socket, head, rec, answer, finish).catch((err: Error) => {
      rec.error = err.message;
      answer(dockerError(500, `internal error: ${err.message}`));
    });
  };
}

async function upgrade(
  o: ProxyOptions,
  cap: number,
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
  rec: AccessRecord,
  answer: (a: ProxyAnswer) => void,
  finish: () => void,
): Promise<void> {
  const chain = o.chain();
  const hooks = chain.hooks(rec.method, rec.path.split('?')[0]);
  if (hooks.post.length > 0) rec.postHooksSkipped = hooks.post.map((a) => a.name);
  const kind = streamingEndpoint(rec.method, rec.path);
  if (kind) rec.streamKind = kind;
  let headers = upstreamHeaders(req.rawHeaders, o.token);
  headers.push('Connection', 'Upgrade', 'Upgrade', req.headers.upgrade ?? 'tcp');
  let sent: ClientRequest = { Method: rec.method, Request: rec.path, Body: null };
  let early = head;

  if (hooks.pre.length > 0) {
    // `exec start` carries a small JSON body with a Content-Length; it is read off the socket for the hooks.
    const length = Number(req.headers['content-length'] ?? 0);
    const json = length > 0 && isJsonMediaType(req.headers['content-type']);
    if (json && length > cap) {
      answer(tooLarge('the request body (JSON, which pre-hooks get)', cap));
      return;
    }
    let body: Buffer | undefined;
    if (json) {
      const read = await readBody(socket, head, length);
      body = read.body;
      early = read.rest;
      sent = { ...sent, Body: body.toString('utf8') };
    }
    try {
      const result = await chain.runPre(hooks.pre, sent, chain.call);
      rec.adapters.push(...accessAdapters(result.runs));
      o.metrics?.adapterRuns(result.runs);
      if (json && result.value.Body !== sent.Body) {
        const nb = Buffer.from(result.value.Body ?? '', 'utf8');
        headers = setRawHeader(headers, 'Content-Length', String(nb.length));
        early = Buffer.concat([nb, early]);
      } else if (json && body) {
        early = Buffer.concat([body, early]);
      }
      sent = result.value;
    } catch (err) {
      if (!(err instanceof AdapterFailure)) throw err;
      rec.adapters.push(...accessAdapters(err.runs));
      o.metrics?.adapterRuns(err.runs);
      rec.error = err.message;
      o.log.warn(
        { adapter: err.adapter, hook: err.hook, kind: err.kind, detail: err.detail },
        'adapter failed',
      );
      answer(chain.failureAnswer(err));
      return;
    }
  }
  splice(o, socket, requestHead(sent.Method, sent.Request, headers), early, rec, answer, finish);
}

function splice(
  o: ProxyOptions,
  client: net.Socket,
  headBytes: Buffer,
  early: Buffer,
  rec: AccessRecord,
  answer: (a: ProxyAnswer) => void,
  finish: () => void,
): void {
  let connected = false;
  o.log.debug({ path: loggable(rec).path, early: early.length }, 'upgrade: connecting');
  const up = o.upstream.connect(() => {
    connected = true;
    o.log.debug({ path: rec.path }, 'upgrade: connected, splicing');
    up.setNoDelay(true);
    up.write(early.length > 0 ? Buffer.concat([headBytes, early]) : headBytes);
    const m = o.metrics;
    if (m) {
      m.upgradedOpen++;
      m.upgrades.inc({ outcome: 'spliced' });
    }
    let closed = 0;
    const onClose = () => {
      if (++closed === 2) {
        if (m) m.upgradedOpen--;
        finish();
      }
    };
    // Status of dockerd's answer (101, or 200 raw-stream from an old daemon, or an error) for the log.
    let first = Buffer.alloc(0);
    const peek = (c: Buffer) => {
      first = Buffer.concat([first, c]);
      const line = first.indexOf('\r\n');
      if (line >= 0 || first.length > 256) {
        up.off('data', peek);
        rec.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(first.toString('latin1'))?.[1] ?? 0);
        o.log.debug({ path: rec.path, status: rec.status }, 'upgrade: dockerd answered');
      }
    };
    up.on('data', peek);
    up.on('data', (c: Buffer) => (rec.bytes += c.length));
    // pipe() ends the other side's writing when one side ends its own: half-close, both ways.
    client.pipe(up);
    up.pipe(client);
    client.resume();
    client.once('close', () => {
      up.destroy();
      onClose();
    });
    up.once('close', () => {
      // dockerd closed (both ways): end toward the client after what is already queued has been written.
      if (!client.writableEnded) client.end();
      onClose();
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      rec.error = `dockerd: ${err.code ?? err.message}`;
      client.destroy();
    });
    client.on('error', (err: NodeJS.ErrnoException) => {
      rec.error = `client: ${err.code ?? err.message}`;
      up.destroy();
    });
  });
  up.once('error', (err: NodeJS.ErrnoException) => {
    if (connected) return;
    rec.error = `dockerd: ${err.code ?? err.message}`;
    answer(unreachable(o.upstream.url, err));
  });
}
