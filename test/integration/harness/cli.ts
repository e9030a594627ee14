/**
 * Harness steps for shell scripts (scripts/integration.sh):
 *   node dist/test/integration/harness/cli.js ensure-ovs | clean | clean-all | stop-ovs | leftovers
 */
import { cleanLeftovers, leftovers } from './cleanup.js';
import { ensureOvs, stopOvsIfStarted } from './ovs.js';

const USAGE = 'usage: cli.js ensure-ovs | clean | clean-all | stop-ovs | leftovers';

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case 'ensure-ovs': {
      const { started } = await ensureOvs();
      console.log(started ? 'harness: started Open vSwitch' : 'harness: Open vSwitch already running');
      return 0;
    }
    case 'clean':
    case 'clean-all': {
      // Plain clean spares whatever a live test process still owns: several people may share a machine.
      const r = await cleanLeftovers({ all: cmd === 'clean-all' });
      const removed = [
        r.mininets ? `${r.mininets} mininet network(s)` : '',
        ...r.processes,
        ...r.bridges.map((b) => `bridge ${b}`),
        ...r.namespaces.map((n) => `netns ${n}`),
        ...r.interfaces.map((i) => `interface ${i}`),
        ...r.simHosts.map((h) => `simulated hosts: ${h}`),
        ...r.simNodes.map((n) => `simulated nodes: ${n}`),
      ].filter(Boolean);
      console.log(
        removed.length ? `harness: removed leftovers: ${removed.join(', ')}` : 'harness: nothing left over',
      );
      return 0;
    }
    case 'stop-ovs':
      console.log(
        (await stopOvsIfStarted()) ? 'harness: stopped Open vSwitch' : 'harness: left Open vSwitch running',
      );
      return 0;
    case 'leftovers': {
      const l = await leftovers();
      const any = Object.values(l).some((v) => v.length > 0);
      console.log(JSON.stringify(l));
      return any ? 1 : 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`harness ${process.argv[2]}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
