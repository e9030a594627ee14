/** Scenario pieces several Mininet suites share. */
import { waitFor, type MininetNet } from '../harness/index.js';

/** One switch, s1, with hosts h1, h2 and h3 (10.0.0.1-3) on its ports 1-3. */
export const ONE_SWITCH_THREE_HOSTS = {
  switches: ['s1'],
  hosts: ['h1', 'h2', 'h3'],
  links: [
    ['h1', 's1'],
    ['h2', 's1'],
    ['h3', 's1'],
  ] as [string, string][],
};

/**
 * tcpdump's view on `to` of pings from `from` (address `fromIp`) to `toIp`, once it shows `tos` (e.g.
 * 'tos 0xb8'). Capture and pings repeat until then: until tcpdump listens it sees nothing.
 */
export async function pingsSeenWithTos(
  net: MininetNet,
  from: { host: string; ip: string },
  to: { host: string; ip: string },
  tos: string,
): Promise<string> {
  return waitFor(
    async () => {
      const filter = `icmp and src ${from.ip}`;
      const dump = await net.bg(to.host, [
        'tcpdump',
        '-v',
        '-n',
        '-l',
        '-c',
        '2',
        '-i',
        `${to.host}-eth0`,
        filter,
      ]);
      await net.ping(from.host, to.ip, { count: 3, intervalSec: 0.2 });
      const out = (await dump.kill()).stdout;
      return out.includes(tos) ? out : undefined;
    },
    { what: `${tos} in tcpdump on ${to.host}`, timeoutMs: 20_000 },
  );
}
