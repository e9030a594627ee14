/**
 * Node descriptions are checked where they enter (a file, a PUT body): unknown keys and wrong types are refused
 * naming the field, the node type (and the SSH access kind) is resolved first so the error is about that
 * type's own fields, and a pattern's failure says what to write instead of showing the regex.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstFault, pointerToField, NodeDocument, NodeDescription } from '../../src/schema/index.js';

const hypervisor = {
  type: 'hypervisor',
  name: 'hv1',
  management_address: '10.0.0.1',
  transport_zone: 'tz1',
  data_interface: 'eth1',
};
const withoutKey = (o: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const doc = {
  cluster: { controllers: [{ address: '10.0.0.254' }] },
  nodes: [
    hypervisor,
    {
      type: 'gateway',
      name: 'gw1',
      management_address: 'gw1.lab',
      transport_zone: 'tz1',
      mgmt_rendezvous_client: true,
    },
    {
      type: 'service',
      name: 'svc1',
      management_address: '10.0.0.3',
      transport_zone: 'tz1',
      mgmt_rendezvous_server: true,
      access: { kind: 'ssh', user: 'labadmin', key_file: '/root/.ssh/id_ed25519' },
    },
  ],
};

test('a well-formed document has no fault', () => {
  assert.equal(firstFault(NodeDocument, doc), undefined);
  assert.equal(firstFault(NodeDescription, { ...hypervisor, access: { kind: 'local' } }), undefined);
});

const faults: Array<[string, unknown, string, RegExp]> = [
  ['not an object', 'nodes', '', /expected object/],
  ['unknown top-level key', { ...doc, node: [] }, 'node', /unknown key/],
  [
    'misspelt node key',
    { nodes: [{ ...hypervisor, data_interfce: 'eth1' }] },
    'nodes[0].data_interfce',
    /unknown key/,
  ],
  [
    'missing type',
    { nodes: [{ name: 'x' }] },
    'nodes[0].type',
    /is required \(one of "hypervisor", "gateway", "service"\)/,
  ],
  [
    'unknown type',
    { nodes: [{ ...hypervisor, type: 'compute' }] },
    'nodes[0].type',
    /"compute" is not one of/,
  ],
  [
    'hypervisor without data interface',
    { nodes: [withoutKey(hypervisor, 'data_interface')] },
    'nodes[0].data_interface',
    /is required/,
  ],
  [
    'gateway with a data interface',
    { nodes: [{ ...doc.nodes[1], data_interface: 'eth1' }] },
    'nodes[0].data_interface',
    /unknown key/,
  ],
  [
    'interface name too long',
    { nodes: [{ ...hypervisor, data_interface: 'a-very-long-interface' }] },
    'nodes[0].data_interface',
    /is not an interface name: 1 to 15/,
  ],
  ['bad node name', { nodes: [{ ...hypervisor, name: '-x' }] }, 'nodes[0].name', /is not a name: up to 63/],
  [
    'port out of range',
    { cluster: { controllers: [{ address: 'c1', api_port: 70000 }] } },
    'cluster.controllers[0].api_port',
    /expected integer to be less or equal to 65535, got 70000/,
  ],
  [
    'no controllers',
    { cluster: { controllers: [] } },
    'cluster.controllers',
    /expected array length to be greater or equal to 1/,
  ],
  [
    'token inline',
    { cluster: { controllers: [{ address: 'c1' }], api_token: 'secret' } },
    'cluster.api_token',
    /unknown key/,
  ],
  [
    'relative key file',
    { nodes: [{ ...hypervisor, access: { kind: 'ssh', user: 'u', key_file: 'id_rsa' } }] },
    'nodes[0].access.key_file',
    /is not an absolute path/,
  ],
  [
    'unknown access kind',
    { nodes: [{ ...hypervisor, access: { kind: 'telnet' } }] },
    'nodes[0].access.kind',
    /"telnet" is not one of "local", "ssh"/,
  ],
  [
    'ssh without user',
    { nodes: [{ ...hypervisor, access: { kind: 'ssh' } }] },
    'nodes[0].access.user',
    /is required/,
  ],
  [
    'bad ovsdb remote',
    { nodes: [{ ...hypervisor, ovsdb: 'punix:/x' }] },
    'nodes[0].ovsdb',
    /is not an OVSDB remote/,
  ],
  [
    'wrong type of flag',
    { nodes: [{ ...doc.nodes[1], mgmt_rendezvous_client: 'yes' }] },
    'nodes[0].mgmt_rendezvous_client',
    /expected boolean, got "yes"/,
  ],
];
for (const [what, value, field, reason] of faults) {
  test(`refused: ${what}, naming ${field || 'the document'}`, () => {
    const f = firstFault(NodeDocument, value);
    assert.ok(f, 'expected a fault');
    assert.equal(f.field, field);
    assert.match(f.reason, reason);
  });
}

test('pointerToField writes JSON pointers as the paths people read', () => {
  assert.equal(pointerToField('/nodes/1/access/key_file'), 'nodes[1].access.key_file');
  assert.equal(pointerToField(''), '');
  assert.equal(pointerToField('/a~1b/0', 'x'), 'x.a/b[0]');
});
