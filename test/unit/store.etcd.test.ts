import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdFailure } from '../../src/store/etcd.js';

test('etcdFailure says etcd is unreachable in plain words, keeping the cause', () => {
  const grpc =
    '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 10.99.0.254:2379. ' +
    'Resolution note: ';
  assert.equal(
    etcdFailure('put', new Error(grpc)),
    'put failed: etcd is unreachable (connect ECONNREFUSED 10.99.0.254:2379)',
  );
  assert.equal(
    etcdFailure('get', new Error('Execution prevented because the circuit breaker is open')),
    'get failed: etcd is unreachable (no answer to the last calls; retrying in a few seconds)',
  );
  assert.equal(
    etcdFailure('list', new Error('4 DEADLINE_EXCEEDED: Deadline exceeded')),
    'list failed: etcd is unreachable (4 DEADLINE_EXCEEDED: Deadline exceeded)',
  );
  // Anything else is passed on as it is.
  assert.equal(
    etcdFailure('txn', new Error('etcdserver: too many operations')),
    'txn failed: etcdserver: too many operations',
  );
  assert.equal(etcdFailure('get', 'odd'), 'get failed: odd');
});
