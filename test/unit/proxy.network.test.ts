import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NetworkAdapterError,
  cidrNetworkName,
  ensureNetwork,
  joinDockerNetwork,
  networkAdapter,
  networkPreHook,
  networkWish,
  type NetworkAgent,
} from '../../src/proxy/network.js';
import { preHookRequest, type ClientRequest } from '../../src/proxy/protocol.js';
import { hookErrorStatus } from '../../src/proxy/refusal.js';

/** An agent holding networks in a map; answers like AgentClient (errors with an HTTP `status`). */
function fakeAgent(existing: string[] = [], opts: { raceOnCreate?: boolean; refuse?: string } = {}) {
  const nets = new Map<string, { name: string; subnet?: string; nat?: boolean }>(
    existing.map((n) => [n, { name: n }]),
  );
  const calls: string[] = [];
  const fail = (status: number, msg: string, field?: string) =>
    Object.assign(new Error(msg), { status, field });
  const agent: NetworkAgent = {
    networks: {
      get: (name) => {
        calls.push(`get ${name}`);
        const n = nets.get(name);
        return n ? Promise.resolve(n) : Promise.reject(fail(404, `no network ${name}`));
      },
      create: (req) => {
        calls.push(`create ${JSON.stringify(req)}`);
        if (opts.refuse) return Promise.reject(fail(409, opts.refuse, 'subnet'));
        nets.set(req.name, req);
        if (opts.raceOnCreate) return Promise.reject(fail(409, `name ${req.name} is taken`, 'name'));
        return Promise.resolve(req);
      },
    },
    dockerNetwork: (network) => {
      calls.push(`docker ${network}`);
      return Promise.resolve({ name: network });
    },
  };
  return { agent, nets, calls };
}

const create = (body: unknown, path = '/v1.41/containers/create?name=web'): ClientRequest => ({
  Method: 'POST',
  Request: path,
  Body: JSON.stringify(body),
});

test('the wish comes from SLUICE_NETWORK or SOCKETPLANE_CIDR; neither means no wish', () => {
  assert.deepEqual(networkWish(['A=1', 'SLUICE_NETWORK=red']), { kind: 'named', network: 'red' });
  assert.deepEqual(networkWish(['SOCKETPLANE_CIDR=10.1.0.0/16']), {
    kind: 'cidr',
    network: 'cidr-10.1.0.0-16',
    subnet: '10.1.0.0/16',
  });
  assert.deepEqual(networkWish(['SOCKETPLANE_CIDR=']), { kind: 'default', network: 'default' });
  assert.equal(networkWish(['PATH=/bin']), undefined);
  assert.equal(networkWish(undefined), undefined);
  assert.equal(networkWish(null), undefined);
});

test('bad wishes are refused naming the variable and the reason', () => {
  const refused = (env: unknown, field: string, reason: RegExp) =>
    assert.throws(
      () => networkWish(env),
      (e: unknown) => e instanceof NetworkAdapterError && e.field === field && reason.test(e.reason),
    );
  refused(['SLUICE_NETWORK=red', 'SOCKETPLANE_CIDR=10.1.0.0/16'], 'SLUICE_NETWORK', /both set/);
  refused(['SLUICE_NETWORK=no spaces'], 'SLUICE_NETWORK', /network name/);
  refused(['SOCKETPLANE_CIDR=10.1.0.0'], 'SOCKETPLANE_CIDR', /CIDR/);
  refused(['SOCKETPLANE_CIDR=10.1.300.0/24'], 'SOCKETPLANE_CIDR', /CIDR/);
  refused(['SOCKETPLANE_CIDR=10.1.0.0/31'], 'SOCKETPLANE_CIDR', /length 8\.\.30/);
  refused(['SOCKETPLANE_CIDR=10.1.2.3/16'], 'SOCKETPLANE_CIDR', /host bits.*10\.1\.0\.0\/16/);
  refused('SLUICE_NETWORK=red', 'Env', /list/);
  assert.deepEqual(cidrNetworkName(' 192.168.64.0/20 '), {
    network: 'cidr-192.168.64.0-20',
    subnet: '192.168.64.0/20',
  });
});

test('joinDockerNetwork sets NetworkMode, keeps the rest, and moves an endpoint config over', () => {
  const body = {
    Image: 'busybox',
    Env: ['SLUICE_NETWORK=red'],
    HostConfig: { NetworkMode: 'default', Memory: 5 },
    NetworkingConfig: { EndpointsConfig: { default: { Aliases: ['web'] } } },
  };
  assert.deepEqual(joinDockerNetwork(body, 'red'), {
    Image: 'busybox',
    Env: ['SLUICE_NETWORK=red'],
    HostConfig: { NetworkMode: 'red', Memory: 5 },
    NetworkingConfig: { EndpointsConfig: { red: { Aliases: ['web'] } } },
  });
  assert.deepEqual(joinDockerNetwork({}, 'red'), {
    HostConfig: { NetworkMode: 'red' },
    NetworkingConfig: { EndpointsConfig: { red: {} } },
  });
  assert.equal(
    (joinDockerNetwork({ HostConfig: { NetworkMode: 'red' } }, 'red').HostConfig as { NetworkMode: string })
      .NetworkMode,
    'red',
  );
  assert.throws(
    () => joinDockerNetwork({ HostConfig: { NetworkMode: 'host' } }, 'red'),
    (e: unknown) =>
      e instanceof NetworkAdapterError &&
      e.field === 'HostConfig.NetworkMode' &&
      /drop --network/.test(e.reason),
  );
});

test('ensureNetwork creates what is missing, uses what exists, and accepts a concurrent creator', async () => {
  const a = fakeAgent(['red']);
  assert.equal(await ensureNetwork(a.agent, { kind: 'named', network: 'red' }), 'red');
  assert.deepEqual(a.calls, ['get red']);

  const b = fakeAgent();
  await ensureNetwork(b.agent, { kind: 'cidr', network: 'cidr-10.9.0.0-16', subnet: '10.9.0.0/16' });
  assert.deepEqual(b.nets.get('cidr-10.9.0.0-16'), { name: 'cidr-10.9.0.0-16', subnet: '10.9.0.0/16' });
  await ensureNetwork(b.agent, { kind: 'default', network: 'default' });
  assert.deepEqual(b.nets.get('default'), { name: 'default', nat: true });

  const c = fakeAgent([], { raceOnCreate: true });
  assert.equal(await ensureNetwork(c.agent, { kind: 'named', network: 'blue' }), 'blue');
  assert.deepEqual(c.calls, ['get blue', 'create {"name":"blue"}', 'get blue']);

  const d = fakeAgent([], { refuse: 'subnet: 10.9.0.0/16 overlaps network red' });
  await assert.rejects(
    ensureNetwork(d.agent, { kind: 'cidr', network: 'cidr-10.9.0.0-16', subnet: '10.9.0.0/16' }),
    /overlaps network red/,
  );
});

test('the pre-hook rewrites creates that ask for a network, and passes everything else unchanged', async () => {
  const { agent, calls } = fakeAgent();
  const req = create({ Image: 'busybox', Env: ['SOCKETPLANE_CIDR=10.7.0.0/24'], HostConfig: {} });
  const out = await networkPreHook(agent, req);
  assert.equal(out.Method, 'POST');
  assert.equal(out.Request, req.Request);
  const body = JSON.parse(out.Body!) as { HostConfig: { NetworkMode: string } };
  assert.equal(body.HostConfig.NetworkMode, 'cidr-10.7.0.0-24');
  assert.deepEqual(calls, [
    'get cidr-10.7.0.0-24',
    'create {"name":"cidr-10.7.0.0-24","subnet":"10.7.0.0/24"}',
    'docker cidr-10.7.0.0-24',
  ]);
  // Unversioned path too.
  const unversioned = await networkPreHook(
    agent,
    create({ Env: ['SLUICE_NETWORK=cidr-10.7.0.0-24'] }, '/containers/create'),
  );
  assert.match(unversioned.Body!, /"NetworkMode":"cidr-10.7.0.0-24"/);

  for (const same of [
    create({ Image: 'busybox', Env: ['A=1'] }),
    create({ Env: ['SLUICE_NETWORK=red'] }, '/v1.41/containers/abc/start'),
    { Method: 'GET', Request: '/v1.41/containers/create', Body: null },
    { Method: 'POST', Request: '/v1.41/containers/create', Body: 'not json' },
    { Method: 'POST', Request: '/v1.41/containers/create', Body: null },
  ]) {
    assert.deepEqual(await networkPreHook(agent, same), same);
  }
  const before = calls.length;
  await assert.rejects(
    networkPreHook(agent, create({ Env: ['SLUICE_NETWORK=red'], HostConfig: { NetworkMode: 'none' } })),
    (e: unknown) => e instanceof NetworkAdapterError && e.field === 'HostConfig.NetworkMode',
  );
  assert.equal(calls.length, before, 'a refused create asks the agent nothing');
  await assert.rejects(
    networkPreHook(agent, create({ Env: ['SOCKETPLANE_CIDR=10.7.0.1/24'] })),
    (e: unknown) => e instanceof NetworkAdapterError && e.field === 'SOCKETPLANE_CIDR',
  );
});

test('as builtin:network it answers protocol messages; its refusals are 400s', async () => {
  const { agent } = fakeAgent(['red']);
  const adapter = networkAdapter(agent);
  const reply = (await adapter.handle(preHookRequest(create({ Env: ['SLUICE_NETWORK=red'] })))) as {
    ModifiedClientRequest: ClientRequest;
  };
  assert.match(reply.ModifiedClientRequest.Body!, /"NetworkMode":"red"/);
  const err = await adapter.handle(preHookRequest(create({ Env: ['SOCKETPLANE_CIDR=nope'] }))).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof NetworkAdapterError);
  assert.equal(hookErrorStatus(err), 400);
});
