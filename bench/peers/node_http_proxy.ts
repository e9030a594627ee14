#!/usr/bin/env node
/**
 * The floor of any Docker API proxy written on Node's HTTP stack: a node:http server that forwards every
 * request to dockerd over one keep-alive agent and pipes the answer back, with no checks, hooks, logging or
 * upgrades. Whatever it costs beyond direct is what the runtime and the extra sockets cost; whatever
 * `sluice proxy` costs beyond it is Sluice's own work. A reference row in the proxy bench, not a proxy to use.
 *
 * Standalone: node dist/bench/peers/node_http_proxy.js LISTEN_SOCKET DOCKER_SOCKET
 */
import fs from 'node:fs';
import http from 'node:http';

const [listen, target] = process.argv.slice(2);
if (!listen || !target) {
  console.error('usage: node_http_proxy.js LISTEN_SOCKET DOCKER_SOCKET');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true });
fs.rmSync(listen, { force: true });
http
  .createServer((req, res) => {
    const up = http.request(
      { socketPath: target, method: req.method, path: req.url, headers: req.headers, agent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  })
  .listen(listen);
