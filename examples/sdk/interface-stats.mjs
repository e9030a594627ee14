// A transport node's interface counters (the toolkit's get_interface_statistics).
// Build first (npm run build), then: node examples/sdk/interface-stats.mjs NODE [INTERFACE...]
// (SLUICE_API and SLUICE_TOKEN as for the CLI; without interfaces, every interface of the node).
import { SluiceClient } from 'sluice/client/node';

const [node, ...named] = process.argv.slice(2);
if (node === undefined) {
  console.error('usage: interface-stats.mjs NODE [INTERFACE...]');
  process.exit(2);
}
const client = new SluiceClient({
  baseUrl: process.env.SLUICE_API ?? 'http://127.0.0.1:8080',
  token: process.env.SLUICE_TOKEN,
});

try {
  const interfaces = named.length > 0 ? named : await client.nodes.interfaces(node);
  for (const iface of interfaces) {
    const s = await client.nodes.interfaceStatistics(node, iface);
    const counters = Object.entries(s.statistics).map(([k, v]) => `${k}=${v}`);
    console.log(`${s.node} ${s.interface} (${s.sampled}): ${counters.join(' ')}`);
  }
} catch (err) {
  switch (err.code) {
    case 'SLUICE_E_NOT_FOUND':
      console.error(`not found: ${err.detail}`);
      break;
    case 'SLUICE_E_CONNECTION':
      console.error(`cannot reach the controller at ${err.baseUrl} (${err.socketCode ?? err.message})`);
      break;
    default:
      console.error(`${err.code ?? 'error'}: ${err.message}`);
  }
  process.exitCode = 1;
}
