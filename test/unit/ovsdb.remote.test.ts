import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_REMOTE,
  formatRemote,
  OvsdbArgumentError,
  OvsdbClient,
  OvsdbRemoteError,
  parseRemote,
} from '../../src/ovsdb/index.js';

test('parses unix, tcp and ssl remotes', () => {
  assert.deepEqual(parseRemote(DEFAULT_REMOTE), { kind: 'unix', path: '/var/run/openvswitch/db.sock' });
  assert.deepEqual(parseRemote('tcp:127.0.0.1:6641'), { kind: 'tcp', host: '127.0.0.1', port: 6641 });
  assert.deepEqual(parseRemote('ssl:10.0.0.1:6640'), { kind: 'ssl', host: '10.0.0.1', port: 6640 });
  assert.deepEqual(parseRemote('tcp:[::1]:6642'), { kind: 'tcp', host: '::1', port: 6642 });
  assert.deepEqual(parseRemote('tcp:ovsdb.example'), { kind: 'tcp', host: 'ovsdb.example', port: 6640 });
  assert.deepEqual(parseRemote('ssl:[fe80::1]'), { kind: 'ssl', host: 'fe80::1', port: 6640 });
});

test('formats back to the same string', () => {
  for (const r of ['unix:/tmp/x.sock', 'tcp:127.0.0.1:6641', 'ssl:[::1]:6640']) {
    assert.equal(formatRemote(parseRemote(r)), r);
  }
});

test('rejects malformed remotes with a reason', () => {
  const bad: [string, RegExp][] = [
    ['db.sock', /expected unix:PATH/],
    ['unix:', /socket path/],
    ['tcp::6640', /missing host/],
    ['tcp:1.2.3.4:0', /port must be/],
    ['tcp:1.2.3.4:65536', /port must be/],
    ['tcp:1.2.3.4:http', /port must be/],
    ['tcp:::1:6640', /brackets/],
    ['tcp:[::1', /lacks '\]'/],
    ['tcp:[::1]6640', /expected ':'/],
    ['tcp:[1.2.3.4]:1', /not an IPv6/],
    ['ptcp:6640', /passive/],
    ['punix:/tmp/x', /passive/],
    ['http:1.2.3.4:80', /unknown scheme/],
  ];
  for (const [remote, reason] of bad) {
    assert.throws(
      () => parseRemote(remote),
      (err: unknown) => {
        assert.ok(err instanceof OvsdbRemoteError, remote);
        assert.match(err.message, reason, remote);
        return true;
      },
    );
  }
});

test('client options are validated where they enter, naming the field', () => {
  assert.throws(() => new OvsdbClient({ remote: 'ptcp:6640' }), OvsdbRemoteError);
  assert.throws(() => new OvsdbClient({ requestTimeoutMs: 0 }), /options.requestTimeoutMs/);
  assert.throws(() => new OvsdbClient({ echoIntervalMs: -5 }), OvsdbArgumentError);
  assert.throws(() => new OvsdbClient({ reconnect: { maxDelayMs: 1.5 } }), /reconnect.maxDelayMs/);
  assert.throws(() => new OvsdbClient({ remote: 'ssl:127.0.0.1:6640' }), /needs options.ssl/);
  assert.equal(new OvsdbClient({ echoIntervalMs: 0, reconnect: false }).connected, false);
});
