import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderApps } from '../../src/controller/pipeline.js';
import { AppOrderError } from '../../src/controller/errors.js';
import { appCookie } from '../../src/controller/app.js';

const a = (name: string, after?: string[]) => ({ name, after });

test('apps without constraints keep registration order', () => {
  assert.deepEqual(
    orderApps([a('x'), a('y'), a('z')]).map((x) => x.name),
    ['x', 'y', 'z'],
  );
});

test('after moves an app behind its predecessors, otherwise stable', () => {
  const order = orderApps([
    a('forwarding', ['firewall', 'hosts']),
    a('topology'),
    a('firewall', ['topology']),
    a('hosts', ['topology']),
  ]).map((x) => x.name);
  assert.deepEqual(order, ['topology', 'firewall', 'hosts', 'forwarding']);
});

test('names of apps not registered are ignored', () => {
  assert.deepEqual(
    orderApps([a('forwarding', ['firewall']), a('hosts')]).map((x) => x.name),
    ['forwarding', 'hosts'],
  );
});

test('a cycle is a startup error naming the apps on it', () => {
  assert.throws(
    () => orderApps([a('ok'), a('p', ['q']), a('q', ['r']), a('r', ['p'])]),
    (err: unknown) =>
      err instanceof AppOrderError && /cycle.*p, q, r/.test(err.message) && err.code === 'CTL_APP_ORDER',
  );
  assert.throws(() => orderApps([a('self', ['self'])]), AppOrderError);
  assert.throws(() => orderApps([a('dup'), a('dup')]), /registered twice/);
});

test('appCookie puts the app id in the high 16 bits and rejects bad ids', () => {
  assert.equal(appCookie(1), 0x0001_0000_0000_0000n);
  assert.equal(appCookie(0xffff), 0xffff_0000_0000_0000n);
  assert.throws(() => appCookie(0), /appId/);
  assert.throws(() => appCookie(0x10000), /appId/);
  assert.throws(() => appCookie(1.5), /appId/);
});
