/**
 * Linux plumbing for the agent: veth pairs into container network namespaces, and the per-network VXLAN
 * devices that carry the overlay between hosts. Commands run with execFile (never a shell); each failure is
 * a LinkError naming the interface and carrying the command's stderr.
 *
 * Veth: the host end is the bridge port; both ends get tx offload off, which the userspace datapath needs
 * (veth hands it packets with unfinished checksums: ping works, TCP hangs). The container end is created
 * under a temporary name, moved into the namespace and renamed there, so a name such as eth0 never
 * clashes on the host.
 *
 * VXLAN (docs/contracts.md, "Agent dataplane"): one kernel device per network (VNI) per host, `nolearning`,
 * a port of the userspace bridge; head-end replication by one all-zeros FDB entry per live peer, and one
 * static FDB entry per remote endpoint MAC. The kernel refuses a second device with the same VNI and port
 * (so no device per peer and VNI), and a flow-based (`external`) device gets no tunnel metadata from the
 * userspace datapath (so no device per peer with the VNI set by flows).
 */
import { execFile } from 'node:child_process';
import { SluiceError } from '../util/index.js';
import { IFNAME_MAX, hostIfaceName } from './endpoints.js';
import { parseTaggedRules, type IptRule, type IptTable } from './gateway.js';

/** Runs a program with arguments; rejects with an error that carries `stderr` when it exits non-zero. */
export type Runner = (file: string, args: readonly string[]) => Promise<{ stdout: string }>;

const RUN_TIMEOUT_MS = 15_000;

export const execFileRunner: Runner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr) }));
      else resolve({ stdout: String(stdout) });
    });
  });

/** A Linux networking command failed: which interface, the command line, and what it printed on stderr. */
export class LinkError extends SluiceError {
  readonly code = 'SLU_LINK';
  constructor(
    readonly iface: string,
    readonly command: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`${iface}: '${command}' failed: ${stderr.trim() || 'no output'}`, options);
  }
}

/** Host ends of container veths (hostIfaceName); the agent lists links with it to find ones no endpoint owns. */
export const VETH_PREFIX = 'sv';
/** Container ends, only while on the host (before they move into the namespace). */
export const PEER_PREFIX = 'sp';
export const VXLAN_PREFIX = 'slx';
export const VXLAN_PORT = 4789;
/** The all-zeros MAC: the kernel VXLAN device sends broadcast and unknown unicast to every such entry. */
export const FLOOD_MAC = '00:00:00:00:00:00';

/** The veth names of an endpoint (its id: endpointId's hex), each at most 15 characters. */
export function vethNames(endpointId: string): { host: string; peer: string } {
  if (!/^[0-9a-f]{11,}$/.test(endpointId))
    throw new RangeError(`endpointId: must be hex (endpointId()), got '${endpointId}'`);
  const host = hostIfaceName(endpointId);
  return { host, peer: PEER_PREFIX + host.slice(VETH_PREFIX.length) };
}

/** The VXLAN device of VNI `vni` (slx + up to 8 digits). */
export function vxlanName(vni: number): string {
  if (!Number.isInteger(vni) || vni < 1 || vni > 16_777_215) {
    throw new RangeError(`vni: must be an integer 1..16777215, got ${vni}`);
  }
  return VXLAN_PREFIX + vni;
}

/** A network namespace: a process's (pid) or a bind-mounted one (path, e.g. /var/run/netns/x). */
export type NetnsRef = { pid: number } | { path: string };

export function netnsPath(ns: NetnsRef): string {
  if ('pid' in ns) {
    if (!Number.isInteger(ns.pid) || ns.pid < 1) throw new RangeError(`pid: must be a positive integer`);
    return `/proc/${ns.pid}/ns/net`;
  }
  if (!ns.path.startsWith('/')) throw new RangeError(`netns: must be an absolute path, got '${ns.path}'`);
  return ns.path;
}

export interface ContainerIface {
  /** Name inside the namespace, e.g. eth0. */
  ifname: string;
  mac: string;
  mtu: number;
  /** address/prefix-length */
  cidr: string;
  /** Default route via this address; none when absent. */
  gateway?: string;
}

export interface VxlanSpec {
  vni: number;
  /** This host's VTEP address, and the device that holds it. */
  underlayIp: string;
  underlayIface: string;
  mtu: number;
}

export interface GatewaySpec {
  mac: string;
  /** The gateway address / the subnet's prefix length. */
  cidr: string;
  mtu: number;
}

export interface FdbEntry {
  mac: string;
  dst: string;
}

export class LinuxNet {
  constructor(private readonly run: Runner = execFileRunner) {}

  /** Runs one command about `iface`; `absentOk`: stderr texts that mean "already gone" (resolves undefined). */
  private async cmd(
    iface: string,
    file: string,
    args: readonly string[],
    absentOk: readonly RegExp[] = [],
  ): Promise<string | undefined> {
    try {
      return (await this.run(file, args)).stdout;
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message ?? '');
      if (absentOk.some((re) => re.test(stderr))) return undefined;
      throw new LinkError(iface, [file, ...args].join(' '), stderr, { cause: err });
    }
  }

  private inNetns(ns: string, iface: string, file: string, args: readonly string[]) {
    return this.cmd(iface, 'nsenter', [`--net=${ns}`, file, ...args]);
  }

  /**
   * A veth pair, both ends tx offload off, the host end out of IP and up, the peer with `opts.peerMac` if
   * given. Fails (EEXIST) when `host` or `peer` exists already, unless `opts.replace`: then the old pair goes
   * first. One `ip` for the pair (MAC included), then ethtool and sysctl at once, then up: each command is a
   * process, and an attach waits for them.
   */
  async createVeth(
    host: string,
    peer: string,
    mtu: number,
    opts: { peerMac?: string; replace?: boolean } = {},
  ): Promise<void> {
    for (const n of [host, peer]) checkName(n);
    // prettier-ignore
    const add = [
      'link', 'add', host, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', peer, 'mtu', String(mtu),
      ...(opts.peerMac === undefined ? [] : ['address', opts.peerMac]),
    ];
    try {
      await this.cmd(host, 'ip', add);
    } catch (err) {
      if (!(opts.replace && err instanceof LinkError && /File exists/.test(err.stderr))) throw err;
      // A pair left from an earlier attach (a killed agent, a container's previous namespace).
      await this.deleteLink(host);
      await this.deleteLink(peer);
      await this.cmd(host, 'ip', add);
    }
    try {
      // Independent of each other: at once. The host end goes up only once it is out of IP (portOnly).
      await Promise.all([this.txOff(host), this.txOff(peer), this.portOnly(host)]);
      await this.cmd(host, 'ip', ['link', 'set', host, 'up']);
    } catch (err) {
      await this.deleteLink(host).catch(() => undefined);
      throw err;
    }
  }

  async txOff(iface: string): Promise<void> {
    await this.cmd(iface, 'ethtool', ['-K', iface, 'tx', 'off']);
  }

  /**
   * Moves `peer` into the namespace and sets it up there: renamed to `c.ifname`, MAC, MTU, tx offload off,
   * the address, up, and the default route via the gateway. Idempotent inside the namespace (replace).
   */
  async plugIntoNetns(peer: string, ns: NetnsRef, c: ContainerIface): Promise<void> {
    checkName(c.ifname);
    const path = netnsPath(ns);
    await this.cmd(peer, 'ip', ['link', 'set', peer, 'netns', 'pid' in ns ? String(ns.pid) : path]);
    const i = c.ifname;
    await this.inNetns(path, peer, 'ip', ['link', 'set', peer, 'name', i]);
    await this.inNetns(path, i, 'ip', ['link', 'set', i, 'address', c.mac, 'mtu', String(c.mtu)]);
    await this.inNetns(path, i, 'ethtool', ['-K', i, 'tx', 'off']);
    await this.inNetns(path, i, 'ip', ['addr', 'replace', c.cidr, 'dev', i]);
    await this.inNetns(path, i, 'ip', ['link', 'set', i, 'up']);
    if (c.gateway)
      await this.inNetns(path, i, 'ip', ['route', 'replace', 'default', 'via', c.gateway, 'dev', i]);
  }

  /** Deletes a link (a veth's other end goes with it); no error when it is already gone. */
  async deleteLink(name: string): Promise<void> {
    await this.cmd(name, 'ip', ['link', 'del', name], [/Cannot find device/, /does not exist/]);
  }

  /** Names of this namespace's links that start with `prefix`. */
  async listLinks(prefix: string): Promise<string[]> {
    const out = (await this.cmd(`${prefix}*`, 'ip', ['-j', 'link', 'show'])) ?? '[]';
    return parseJson<{ ifname: string }[]>(out, `${prefix}*`)
      .map((l) => l.ifname)
      .filter((n) => n.startsWith(prefix));
  }

  /** The destinations of this host's IPv4 routes (`default`, `10.0.0.0/24`, ...): the default network avoids them. */
  async routeDestinations(): Promise<string[]> {
    const out = (await this.cmd('routes', 'ip', ['-j', '-4', 'route', 'show'])) ?? '[]';
    return parseJson<{ dst: string }[]>(out, 'routes').map((r) => r.dst);
  }

  /**
   * The VXLAN device of `spec.vni`: created when missing (re-created when it exists with another VNI,
   * address or underlay device), MTU set, tx offload off, up. Returns its name.
   */
  async ensureVxlan(spec: VxlanSpec): Promise<string> {
    const name = vxlanName(spec.vni);
    const cur = await this.vxlanInfo(name);
    const same =
      cur?.id === spec.vni &&
      cur.local === spec.underlayIp &&
      cur.link === spec.underlayIface &&
      cur.port === VXLAN_PORT;
    if (cur && !same) await this.deleteLink(name);
    if (!same) {
      // prettier-ignore
      await this.cmd(name, 'ip', [
        'link', 'add', name, 'type', 'vxlan', 'id', String(spec.vni), 'dstport', String(VXLAN_PORT),
        'local', spec.underlayIp, 'dev', spec.underlayIface, 'nolearning',
      ]);
    }
    await this.cmd(name, 'ip', ['link', 'set', name, 'mtu', String(spec.mtu), 'up']);
    await this.txOff(name);
    await this.portOnly(name);
    return name;
  }

  /**
   * A bridge port's kernel device takes no part in the host's IP. The userspace datapath reads its ports
   * with raw sockets, so the kernel sees their packets too: without this it answers a container's ARP for
   * its gateway with the veth's own MAC, then routes what the container sends there, past the gateway ports'
   * isolation rules. No ARP answers, no forwarding of what arrives, no IPv6 (-e: a kernel without it is fine).
   */
  async portOnly(iface: string): Promise<void> {
    checkName(iface);
    const conf = (v: 4 | 6, key: string, value: number) => `net/ipv${v}/conf/${iface}/${key}=${value}`;
    await this.cmd(iface, 'sysctl', [
      '-q',
      '-e',
      '-w',
      conf(4, 'arp_ignore', 8),
      conf(4, 'forwarding', 0),
      conf(6, 'disable_ipv6', 1),
    ]);
  }

  private async vxlanInfo(
    name: string,
  ): Promise<{ id?: number; local?: string; link?: string; port?: number } | undefined> {
    const out = await this.cmd(name, 'ip', ['-j', '-d', 'link', 'show', name], [/does not exist/]);
    if (out === undefined) return undefined;
    const [link] = parseJson<{ linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } }[]>(
      out,
      name,
    );
    const data = link?.linkinfo?.info_kind === 'vxlan' ? (link.linkinfo.info_data ?? {}) : {};
    return {
      id: data.id as number | undefined,
      local: data.local as string | undefined,
      link: data.link as string | undefined,
      port: data.port as number | undefined,
    };
  }

  async deleteVxlan(vni: number): Promise<void> {
    await this.deleteLink(vxlanName(vni));
  }

  /** Broadcast, ARP and unknown unicast of the device's network reach `peerIp` too (idempotent). */
  async addFloodPeer(dev: string, peerIp: string): Promise<void> {
    await this.cmd(dev, 'bridge', ['fdb', 'append', FLOOD_MAC, 'dev', dev, 'dst', peerIp]);
  }

  async removeFloodPeer(dev: string, peerIp: string): Promise<void> {
    await this.cmd(dev, 'bridge', ['fdb', 'del', FLOOD_MAC, 'dev', dev, 'dst', peerIp], NO_ENTRY);
  }

  /** Frames to `mac` go to `peerIp` only (a remote endpoint's host; replaces an older entry). */
  async setRemoteMac(dev: string, mac: string, peerIp: string): Promise<void> {
    await this.cmd(dev, 'bridge', ['fdb', 'replace', mac, 'dev', dev, 'dst', peerIp]);
  }

  async removeRemoteMac(dev: string, mac: string): Promise<void> {
    await this.cmd(dev, 'bridge', ['fdb', 'del', mac, 'dev', dev], NO_ENTRY);
  }

  /** The device's static entries (flood entries have mac FLOOD_MAC), to converge on the wanted set. */
  async listFdb(dev: string): Promise<FdbEntry[]> {
    const out = (await this.cmd(dev, 'bridge', ['-j', 'fdb', 'show', 'dev', dev])) ?? '[]';
    return parseJson<{ mac: string; dst?: string }[]>(out, dev)
      .filter((e): e is FdbEntry => typeof e.dst === 'string')
      .map((e) => ({ mac: e.mac, dst: e.dst }));
  }

  /**
   * Sets up a network's gateway port (an OVS internal port): MAC, MTU, up and tx offload off (the userspace
   * datapath needs it, as for veths), and the address (only). One read when all is in place already.
   */
  async configureGateway(dev: string, g: GatewaySpec): Promise<void> {
    checkName(dev);
    const out = (await this.cmd(dev, 'ip', ['-j', 'addr', 'show', 'dev', dev])) ?? '[]';
    const [link] = parseJson<
      {
        address?: string;
        mtu?: number;
        flags?: string[];
        addr_info?: { family?: string; local?: string; prefixlen?: number }[];
      }[]
    >(out, dev);
    if (link?.address !== g.mac || link.mtu !== g.mtu || !link.flags?.includes('UP')) {
      await this.cmd(dev, 'ip', ['link', 'set', dev, 'address', g.mac, 'mtu', String(g.mtu), 'up']);
      await this.txOff(dev);
    }
    const held = (link?.addr_info ?? [])
      .filter((a) => a.family === 'inet')
      .map((a) => `${a.local}/${a.prefixlen}`);
    // An address of an earlier network with the same VNI goes.
    for (const a of held) if (a !== g.cidr) await this.cmd(dev, 'ip', ['addr', 'del', a, 'dev', dev]);
    if (!held.includes(g.cidr)) await this.cmd(dev, 'ip', ['addr', 'replace', g.cidr, 'dev', dev]);
  }

  /** The host routes between its interfaces (the gateways route for their networks). */
  async enableIpv4Forwarding(): Promise<void> {
    await this.cmd('ip_forward', 'sysctl', ['-w', 'net.ipv4.ip_forward=1']);
  }

  /** The agent's (tagged) rules in one chain. */
  async listTaggedRules(table: IptTable, chain: string): Promise<IptRule[]> {
    const out = await this.cmd(`${table}/${chain}`, 'iptables', ['-w', '-t', table, '-S', chain]);
    return parseTaggedRules(table, chain, out ?? '');
  }

  /** Inserts a rule at the top of its chain (ahead of anything that would accept the packet first). */
  async insertRule(r: IptRule): Promise<void> {
    await this.cmd(`${r.table}/${r.chain}`, 'iptables', ['-w', '-t', r.table, '-I', r.chain, ...r.args]);
  }

  /** Deletes a rule; no error when it is already gone. */
  async deleteRule(r: IptRule): Promise<void> {
    await this.cmd(
      `${r.table}/${r.chain}`,
      'iptables',
      ['-w', '-t', r.table, '-D', r.chain, ...r.args],
      [/does a matching rule exist/, /Bad rule/],
    );
  }
}

const NO_ENTRY = [/No such file or directory/, /Cannot find device/, /does not exist/];

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) {
    throw new RangeError(
      `interface name '${name}': must be 1..${IFNAME_MAX} of letters, digits, '_', '.', '-'`,
    );
  }
}

function parseJson<T>(text: string, iface: string): T {
  try {
    return JSON.parse(text || '[]') as T;
  } catch (err) {
    throw new LinkError(iface, 'parse JSON output', (err as Error).message, { cause: err });
  }
}
