import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonConfigFrom, type ControllerCliOptions } from '../../src/cli/controller.js';

const base: ControllerCliOptions = {
  openflowListen: '127.0.0.1',
  apiPort: 8080,
  listen: '127.0.0.1',
  store: 'embedded',
  logLevel: 'info',
};
const config = (o: Partial<ControllerCliOptions>) => daemonConfigFrom({ ...base, ...o }, {}, false, 'x');

test('the node listeners are off unless --nodes-listen is given', () => {
  assert.equal(config({}).nodes, undefined);
  assert.deepEqual(config({ nodesListen: '10.0.0.1' }).nodes, {
    listen: '10.0.0.1',
    ovsdbPort: 6640,
    openflowPort: 6653,
  });
  assert.deepEqual(config({ nodesListen: '127.0.0.1', nodesOpenflowPort: 6654, nodesOvsdbPort: 0 }).nodes, {
    listen: '127.0.0.1',
    ovsdbPort: 0,
    openflowPort: 6654,
  });
  assert.throws(() => config({ nodesOvsdbPort: 7000 }), /--nodes-ovsdb-port needs --nodes-listen/);
});

test("a node listener that would take another listener's address and port is refused", () => {
  // The plain OpenFlow listener's default 6653 on the same address.
  assert.throws(
    () => config({ nodesListen: '127.0.0.1' }),
    /--nodes-openflow-port 6653 on --nodes-listen 127.0.0.1 would take the port of --openflow-port 6653 on 127.0.0.1.*--nodes-openflow-port 6654/,
  );
  // A wildcard overlaps every address of its family.
  assert.throws(
    () => config({ openflowListen: '0.0.0.0', nodesListen: '10.0.0.1' }),
    /would take the port of --openflow-port 6653 on 0\.0\.0\.0/,
  );
  assert.throws(
    () => config({ nodesListen: '::', nodesOpenflowPort: 7000, nodesOvsdbPort: 8080 }),
    /--nodes-ovsdb-port 8080 .* --api-port 8080/,
  );
  assert.throws(
    () => config({ nodesListen: '10.0.0.1', nodesOpenflowPort: 7000, nodesOvsdbPort: 7000 }),
    /both 7000/,
  );
  // Another address, or another family's wildcard, is no clash.
  assert.ok(config({ openflowListen: '::1', nodesListen: '0.0.0.0', openflowPort: [6653] }).nodes);
});
