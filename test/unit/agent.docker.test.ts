import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  DockerClient,
  DockerError,
  dockerSocketFromEnv,
  negotiateApiVersion,
  parseEvent,
  type DockerEvent,
} from '../../src/agent/docker.js';
import { ConflictError, FieldError, NotFoundError } from '../../src/util/index.js';
import { waitFor } from '../support/wait.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-docker-'));
let sockets = 0;
after(() => fs.rmSync(root, { recursive: true, force: true }));

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

/** A fake dockerd on a fresh Unix socket: records requests, answers with `handler`. */
async function fakeDockerd(handler: Handler, apiVersion = '1.41') {
  const socketPath = path.join(root, `d${++sockets}.sock`);
  const seen: { method: string; url: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      if (req.url === '/_ping') {
        res.writeHead(200, { 'API-Version': apiVersion, 'content-type': 'text/plain' }).end('OK');
        return;
      }
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath,
    seen,
    server,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const json = (res: http.ServerResponse, status: number, v: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));

test('API version: the lower of the server and 1.41; DOCKER_HOST unix:// only', async () => {
  assert.equal(negotiateApiVersion('1.43'), '1.41');
  assert.equal(negotiateApiVersion('1.40'), '1.40');
  assert.equal(negotiateApiVersion('1.9'), '1.9');
  assert.equal(negotiateApiVersion(undefined), '1.41');
  assert.equal(dockerSocketFromEnv({}), '/var/run/docker.sock');
  assert.equal(dockerSocketFromEnv({ DOCKER_HOST: 'unix:///tmp/d.sock' }), '/tmp/d.sock');
  assert.throws(
    () => dockerSocketFromEnv({ DOCKER_HOST: 'tcp://1.2.3.4:2375' }),
    (e: unknown) => e instanceof FieldError && e.field === 'DOCKER_HOST',
  );

  for (const [server, want] of [
    ['1.43', '/v1.41/version'],
    ['1.40', '/v1.40/version'],
  ]) {
    const d = await fakeDockerd(
      (_q, _b, res) => json(res, 200, { Version: '20.10.24', ApiVersion: server, MinAPIVersion: '1.12' }),
      server,
    );
    const c = new DockerClient({ socketPath: d.socketPath });
    assert.deepEqual(await c.version(), { version: '20.10.24', apiVersion: server, minApiVersion: '1.12' });
    await c.version();
    assert.deepEqual(
      d.seen.map((s) => s.url),
      ['/_ping', want, want],
      'negotiated once, then reused',
    );
    await d.close();
  }
});

test('inspect container: id, name, pid, running, restart count, networks; unknown -> NotFoundError', async () => {
  const d = await fakeDockerd((req, _b, res) => {
    if (req.url === '/v1.41/containers/web/json') {
      json(res, 200, {
        Id: 'abc123',
        Name: '/web',
        RestartCount: 2,
        State: { Running: true, Pid: 4242 },
        NetworkSettings: {
          Networks: { net1: { NetworkID: 'n1', EndpointID: 'e1', IPAddress: '10.1.0.2', MacAddress: 'm' } },
        },
      });
    } else json(res, 404, { message: 'No such container: ghost' });
  });
  const c = new DockerClient({ socketPath: d.socketPath });
  assert.deepEqual(await c.inspectContainer('web'), {
    id: 'abc123',
    name: 'web',
    pid: 4242,
    running: true,
    restartCount: 2,
    networks: { net1: { networkId: 'n1', endpointId: 'e1', ipAddress: '10.1.0.2', macAddress: 'm' } },
  });
  await assert.rejects(
    c.inspectContainer('ghost'),
    (e: unknown) => e instanceof NotFoundError && e.field === 'container' && /ghost/.test(e.message),
  );
  await assert.rejects(
    c.inspectContainer(''),
    (e: unknown) => e instanceof FieldError && e.field === 'container',
  );
  await d.close();
});

test('networks: inspect maps driver, options, IPAM; create sends the IPAM config; 409 -> ConflictError', async () => {
  const d = await fakeDockerd((req, body, res) => {
    if (req.url === '/v1.41/networks/n1') {
      json(res, 200, {
        Id: 'n1',
        Name: 'net1',
        Driver: 'sluice',
        Options: { 'sluice.network': 'blue' },
        IPAM: { Driver: 'sluice', Config: [{ Subnet: '10.5.0.0/16', Gateway: '10.5.0.1' }] },
        Labels: null,
        Containers: {
          c1: { Name: 'web', EndpointID: 'e1', MacAddress: '0a:58:0a:05:00:02', IPv4Address: '10.5.0.2/16' },
        },
      });
    } else if (req.url === '/v1.41/networks/create') {
      if (JSON.parse(body).Name === 'taken')
        json(res, 409, { message: 'network with name taken already exists' });
      else json(res, 201, { Id: 'new1', Warning: '' });
    } else if (req.method === 'DELETE' && req.url === '/v1.41/networks/new1') res.writeHead(204).end();
    else if (req.url!.startsWith('/v1.41/networks?filters=')) {
      assert.deepEqual(JSON.parse(new URL(req.url!, 'http://x').searchParams.get('filters')!), {
        driver: ['sluice'],
      });
      json(res, 200, [
        { Id: 'n1', Name: 'net1', Driver: 'sluice', IPAM: { Config: [{ Subnet: '10.5.0.0/16' }] } },
      ]);
    } else json(res, 404, { message: 'network x not found' });
  });
  const c = new DockerClient({ socketPath: d.socketPath });
  assert.deepEqual(await c.inspectNetwork('n1'), {
    id: 'n1',
    name: 'net1',
    driver: 'sluice',
    options: { 'sluice.network': 'blue' },
    ipamDriver: 'sluice',
    ipamConfig: [{ subnet: '10.5.0.0/16', gateway: '10.5.0.1' }],
    labels: {},
    containers: { c1: { name: 'web', endpointId: 'e1' } },
  });
  await assert.rejects(
    c.inspectNetwork('x'),
    (e: unknown) => e instanceof NotFoundError && e.field === 'network',
  );
  const created = await c.createNetwork({
    name: 'blue',
    driver: 'sluice',
    ipamDriver: 'sluice',
    subnet: '10.5.0.0/16',
    options: { 'sluice.network': 'blue' },
  });
  assert.deepEqual(created, { id: 'new1', warning: '' });
  const sent = JSON.parse(d.seen.find((s) => s.url === '/v1.41/networks/create')!.body);
  assert.deepEqual(sent, {
    Name: 'blue',
    CheckDuplicate: true,
    Driver: 'sluice',
    IPAM: { Driver: 'sluice', Config: [{ Subnet: '10.5.0.0/16' }], Options: {} },
    Options: { 'sluice.network': 'blue' },
    Labels: {},
  });
  await assert.rejects(
    c.createNetwork({ name: 'taken', driver: 'sluice' }),
    (e: unknown) => e instanceof ConflictError && e.field === 'name',
  );
  await c.removeNetwork('new1');
  const listed = await c.listNetworks({ driver: 'sluice' });
  assert.deepEqual(
    listed.map((l) => [l.id, l.name, l.ipamConfig]),
    [['n1', 'net1', [{ subnet: '10.5.0.0/16' }]]],
  );
  await d.close();
});

test('dockerd not running: DOCKER_UNAVAILABLE naming the socket and what to do', async () => {
  const socketPath = path.join(root, 'nobody.sock');
  const c = new DockerClient({ socketPath });
  await assert.rejects(c.ping(), (e: unknown) => {
    assert.ok(e instanceof DockerError);
    assert.equal(e.code, 'DOCKER_UNAVAILABLE');
    assert.match(e.message, new RegExp(`unix://${socketPath}`));
    assert.match(e.message, /start it|DOCKER_HOST/);
    return true;
  });
  await assert.rejects(c.inspectContainer('web'), (e: unknown) => e instanceof DockerError);
  // Any other refusal keeps dockerd's message.
  const d = await fakeDockerd((_q, _b, res) => json(res, 500, { message: 'disk full' }));
  await assert.rejects(
    new DockerClient({ socketPath: d.socketPath }).inspectNetwork('n'),
    (e: unknown) => e instanceof DockerError && e.code === 'DOCKER_API_ERROR' && /disk full/.test(e.message),
  );
  await d.close();
});

test('parseEvent keeps the watched container and network events only', () => {
  const ev = parseEvent(
    JSON.stringify({
      Type: 'container',
      Action: 'die',
      Actor: { ID: 'c1', Attributes: { name: 'web', exitCode: '0' } },
      time: 1,
      timeNano: 1000000001,
    }),
  );
  assert.deepEqual(ev, {
    type: 'container',
    action: 'die',
    id: 'c1',
    attributes: { name: 'web', exitCode: '0' },
    timeNano: 1000000001,
  });
  assert.equal(
    parseEvent(JSON.stringify({ Type: 'container', Action: 'exec_start', Actor: { ID: 'c' } })),
    undefined,
  );
  assert.equal(parseEvent(JSON.stringify({ Type: 'image', Action: 'pull' })), undefined);
  assert.ok(parseEvent('{nope') instanceof DockerError);
});

test('event stream: delivers in order, survives a throwing handler, reconnects from the last event', async () => {
  let streams = 0;
  const line = (action: string, id: string, nano: number, type = 'container') =>
    JSON.stringify({ Type: type, Action: action, Actor: { ID: id, Attributes: {} }, timeNano: nano }) + '\n';
  const d = await fakeDockerd((req, _b, res) => {
    assert.match(req.url!, /^\/v1\.41\/events\?filters=/);
    const n = ++streams;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (n === 1) {
      assert.doesNotMatch(req.url!, /since=/);
      // The first stream: two events (one split across writes), garbage, then dockerd goes away.
      res.write(line('start', 'c1', 5e9));
      res.write(line('die', 'c1', 6e9).slice(0, 10));
      res.write(line('die', 'c1', 6e9).slice(10) + '{garbage\n');
      res.end();
    } else if (n === 2) {
      // dockerd refuses once (starting up): the client backs off and tries again.
      res.destroy();
    } else {
      assert.match(req.url!, /since=6(&|$)/);
      // Replays the last second: the already delivered die is skipped, the rest goes through.
      res.write(line('die', 'c1', 6e9));
      res.write(line('connect', 'n1', 7e9, 'network'));
      res.write(line('destroy', 'c1', 8e9));
    }
  });
  const got: DockerEvent[] = [];
  const errors: unknown[] = [];
  let connects = 0;
  const c = new DockerClient({ socketPath: d.socketPath });
  const stream = c.events({
    initialBackoffMs: 5,
    onConnect: () => connects++,
    onError: (e) => errors.push(e),
    onEvent: (ev) => {
      got.push(ev);
      if (ev.action === 'start') throw new Error('handler bug');
    },
  });
  await waitFor(() => got.length >= 4, { what: 'four events across reconnects', intervalMs: 5 });
  stream.close();
  assert.deepEqual(
    got.map((e) => `${e.type}:${e.action}:${e.id}`),
    ['container:start:c1', 'container:die:c1', 'network:connect:n1', 'container:destroy:c1'],
  );
  assert.ok(connects >= 2);
  assert.ok(errors.some((e) => e instanceof Error && e.message === 'handler bug'));
  assert.ok(errors.some((e) => e instanceof DockerError && /not JSON/.test(e.message)));
  await d.close();
});

test('event stream: dockerd down at first, comes up later; close stops reconnecting', async () => {
  const socketPath = path.join(root, 'late.sock');
  const c = new DockerClient({ socketPath });
  const errors: unknown[] = [];
  const got: DockerEvent[] = [];
  const stream = c.events({
    initialBackoffMs: 5,
    maxBackoffMs: 20,
    onError: (e) => errors.push(e),
    onEvent: (e) => void got.push(e),
  });
  await waitFor(() => errors.length >= 2, { what: 'two failed connects', intervalMs: 5 });
  assert.ok(errors.every((e) => e instanceof DockerError && e.code === 'DOCKER_UNAVAILABLE'));
  const server = http.createServer((req, res) => {
    if (req.url === '/_ping') return void res.writeHead(200, { 'API-Version': '1.41' }).end('OK');
    res.writeHead(200);
    res.write(
      JSON.stringify({ Type: 'network', Action: 'destroy', Actor: { ID: 'n9' }, timeNano: 1 }) + '\n',
    );
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  await waitFor(() => got.length === 1, { what: 'the event once dockerd is up', intervalMs: 5 });
  stream.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  assert.equal(got[0].id, 'n9');
});
