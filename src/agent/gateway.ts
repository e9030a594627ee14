/**
 * A network's gateway on each host, pure parts: the OVS internal port's name, its MAC, and the iptables
 * rules that go with it (docs/contracts.md, "Agent dataplane").
 *
 * The gateway is anycast (distributed, as Socketplane's and OVN's): every host with an endpoint of the
 * network has a port holding the gateway address with the same MAC, so a container's traffic to its
 * gateway stays on its own host and never crosses a tunnel.
 *
 * Rules, each tagged with a comment `sluice-gw:<port>` so a restarted agent finds the ones nothing wants:
 *   filter FORWARD  -i <port> -o slg+ -j DROP          always: routing through the host's gateway ports
 *                                                      must not join two networks (isolation)
 *   nat POSTROUTING -s <subnet> ! -o <port> -j MASQUERADE   when the network has `nat`: leaving the overlay
 *                                                      by any other interface takes the host's address
 */
import { VNI_MAX } from './network.js';

export const GATEWAY_PREFIX = 'slg';
/** Every rule the agent adds carries a comment starting with this. */
export const RULE_TAG = 'sluice-gw:';

/** The gateway port of VNI `vni`: slg + the VNI in hex (at most 9 characters). */
export function gatewayName(vni: number): string {
  checkVni(vni);
  return GATEWAY_PREFIX + vni.toString(16);
}

/**
 * The gateway's MAC, the same on every host: locally administered unicast 0a:59:00 + the VNI's 24 bits
 * (endpoints' MACs are 0a:58:<address>, so the two never meet).
 */
export function gatewayMac(vni: number): string {
  checkVni(vni);
  const hex = vni.toString(16).padStart(6, '0');
  return `0a:59:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

function checkVni(vni: number): void {
  if (!Number.isInteger(vni) || vni < 1 || vni > VNI_MAX) {
    throw new RangeError(`vni: must be an integer 1..${VNI_MAX}, got ${vni}`);
  }
}

export type IptTable = 'nat' | 'filter';

/** One iptables rule: `iptables -t TABLE -I|-D CHAIN ...args`. */
export interface IptRule {
  table: IptTable;
  chain: string;
  /** In the order `iptables -S` prints them, so a listed rule compares equal to the wanted one. */
  args: string[];
}

/** The chains the agent's rules live in (and where it looks for strays). */
export const RULE_CHAINS: readonly { table: IptTable; chain: string }[] = [
  { table: 'filter', chain: 'FORWARD' },
  { table: 'nat', chain: 'POSTROUTING' },
];

/** The rules of one network's gateway on this host. */
export function gatewayRules(g: { vni: number; subnet: string; nat: boolean }): IptRule[] {
  const port = gatewayName(g.vni);
  const tag = ['-m', 'comment', '--comment', RULE_TAG + port];
  const rules: IptRule[] = [
    {
      table: 'filter',
      chain: 'FORWARD',
      args: ['-i', port, '-o', `${GATEWAY_PREFIX}+`, ...tag, '-j', 'DROP'],
    },
  ];
  if (g.nat) {
    rules.push({
      table: 'nat',
      chain: 'POSTROUTING',
      args: ['-s', g.subnet, '!', '-o', port, ...tag, '-j', 'MASQUERADE'],
    });
  }
  return rules;
}

/** A rule as one comparable string. */
export const ruleKey = (r: IptRule): string => [r.table, r.chain, ...r.args].join(' ');

/**
 * The agent's rules in `iptables -t TABLE -S CHAIN` output (lines `-A CHAIN ...` whose comment starts with
 * RULE_TAG). Comments are the agent's own, without spaces, so a line splits on whitespace; quotes go.
 */
export function parseTaggedRules(table: IptTable, chain: string, listing: string): IptRule[] {
  const out: IptRule[] = [];
  for (const line of listing.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== '-A' || words[1] !== chain) continue;
    const args = words.slice(2).map((w) => w.replace(/^"(.*)"$/, '$1'));
    const c = args.indexOf('--comment');
    if (c < 0 || !args[c + 1]?.startsWith(RULE_TAG)) continue;
    out.push({ table, chain, args });
  }
  return out;
}
