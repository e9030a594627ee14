// The control cluster, the transport zones and their nodes, as the NVP toolkit's scripts listed them.
// Build first (npm run build), then: SLUICE_API=http://127.0.0.1:8080 SLUICE_TOKEN=... node examples/sdk/nodes.mjs [ZONE]
import { SluiceClient } from 'sluice/client/node';

const client = new SluiceClient({
  baseUrl: process.env.SLUICE_API ?? 'http://127.0.0.1:8080',
  token: process.env.SLUICE_TOKEN,
});

try {
  for (const member of await client.nodes.controlCluster()) {
    const roles = member.roles.map((r) => `${r.role} ${r.listen_addr}`).join(', ');
    console.log(`controller ${member.display_name} (${member.version}): ${roles}`);
  }
  const zone = process.argv[2];
  if (zone !== undefined && !(await client.nodes.transportZoneExists(zone))) {
    console.error(`no transport zone ${zone}`);
    process.exitCode = 1;
  }
  for (const z of await client.nodes.transportZones()) {
    if (zone !== undefined && z.name !== zone) continue;
    console.log(`zone ${z.name}: ${z.connected}/${z.nodes.length} nodes connected`);
    for (const name of z.nodes) {
      const node = await client.nodes.transportNode(name);
      const state = (c) => (c.connected ? 'up' : 'down');
      console.log(`  ${name} ${node.type} ovsdb ${state(node.ovsdb)} openflow ${state(node.openflow)}`);
    }
  }
} catch (err) {
  // Every client error has a stable code: SLUICE_E_CONNECTION, SLUICE_E_UNAUTHORIZED, SLUICE_E_NOT_FOUND...
  console.error(`${err.code ?? 'error'}: ${err.message}`);
  process.exitCode = 1;
}
