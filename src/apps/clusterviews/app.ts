/**
 * The same runtime views on every member of a cluster (issue 13). Each member only learns links whose LLDP
 * reaches a switch it masters, and hosts from the packet-ins of those switches; this app publishes what the
 * topology and hosts apps learned here under the cluster's runtime prefix (records.ts), on this member's lease,
 * and merges what the other members published into those apps as remote links and hosts. A member's records
 * go when its lease does, and with them its part of everyone's view.
 *
 * Writes happen in the background, coalesced per key (LeasePublisher): a packet-in never waits on the store,
 * and a host seen again at the same place writes nothing. Outside a cluster (no ctx.cluster) it does nothing.
 */
import {
  LeasePublisher,
  PrefixMirror,
  clusterKeys,
  type MirrorChange,
  type Wanted,
} from '../../cluster/index.js';
import { appCookie, type App, type AppContext, type ClusterContext } from '../../controller/index.js';
import { every } from '../../util/index.js';
import type { Host, HostsApp } from '../hosts/index.js';
import type { TopologyApp, TopologyLink } from '../topology/index.js';
import {
  hostRecord,
  hostRecordKey,
  linkRecord,
  linkRecordKey,
  parseRuntimeEntry,
  runtimeKeyKind,
  type LinkRecord,
} from './records.js';

export const CLUSTERVIEWS_APP_ID = 9;

export interface ClusterViewsOptions {
  topology?: TopologyApp;
  hosts?: HostsApp;
  /** Coalescing window for writes (ms); default 200. */
  delayMs?: number;
  /** Re-list the prefix this often, in case the watch missed something (ms); default 60 s. */
  resyncMs?: number;
}

export class ClusterViewsApp implements App {
  readonly name = 'clusterviews';
  readonly cookie = appCookie(CLUSTERVIEWS_APP_ID);
  readonly after = ['topology', 'hosts'];
  private ctx: AppContext | undefined;
  private cluster: ClusterContext | undefined;
  private runtime = '';
  private publisher: LeasePublisher | undefined;
  private mirror: PrefixMirror | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  /** Link keys this member wants published (to delete those that went). */
  private linkKeys = new Set<string>();
  /** Per link key, the latency last published. */
  private linkLatency = new Map<string, number>();

  constructor(private readonly opts: ClusterViewsOptions = {}) {}

  async start(ctx: AppContext): Promise<void> {
    const cluster = ctx.cluster;
    if (!cluster) return;
    this.ctx = ctx;
    this.cluster = cluster;
    this.runtime = clusterKeys(cluster.clusterId).runtime;
    const publisher = new LeasePublisher({
      store: ctx.store,
      clock: ctx.clock,
      delayMs: this.opts.delayMs,
      snapshot: () => this.everything(),
      onError: (err, key) => ctx.log.warn({ err, key }, 'cluster views: publishing failed (retried)'),
    });
    this.publisher = publisher;
    const { topology, hosts } = this.opts;
    if (topology) {
      this.unsubscribe.push(topology.on('topology_changed', () => this.publishLinks()));
      // Latency is measured every round: its (whole-ms) figure is published when it changes.
      this.unsubscribe.push(every(ctx.clock, topology.intervalMs, () => this.publishLinks()));
    }
    if (hosts) {
      const changed = (h: Host) => {
        if (this.registered()) publisher.set(this.hostKey(h.mac), this.wantedHost(h.mac));
      };
      for (const ev of ['host_added', 'host_moved', 'host_updated'] as const) {
        this.unsubscribe.push(hosts.on(ev, (h: Host | { host: Host }) => changed('host' in h ? h.host : h)));
      }
      this.unsubscribe.push(hosts.on('host_removed', changed));
    }
    publisher.setLease(cluster.lease());
    this.unsubscribe.push(cluster.onRegistered((lease) => publisher.setLease(lease)));
    this.mirror = new PrefixMirror({
      store: ctx.store,
      prefix: this.runtime,
      clock: ctx.clock,
      resyncMs: this.opts.resyncMs,
      onChange: (change) => this.merge(change),
      onError: (err, context) => ctx.log.warn({ err }, `cluster views: ${context} failed`),
    });
    await this.mirror.start();
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.mirror?.stop();
    this.publisher?.stop();
  }

  /** Resolves once every change seen so far has been written (tests; a clean hand-over). */
  async flush(): Promise<void> {
    await this.publisher?.flush();
  }

  // ------------------------------------------------------------------------------------------ publishing

  private get member(): string {
    return this.cluster!.memberId;
  }

  /**
   * Whether this member has a lease (and so its final id): until then nothing is queued, as the snapshot taken
   * at registration covers everything learned meanwhile.
   */
  private registered(): boolean {
    return this.cluster?.lease() !== undefined && this.member !== '';
  }

  private hostKey(mac: number): string {
    return hostRecordKey(this.runtime, mac, this.member);
  }

  /** What this member's key for `mac` should hold when the write happens: its own record of the host, if any. */
  private wantedHost(mac: number): Wanted {
    return () => {
      const h = this.opts.hosts?.localHost(mac);
      return h && hostRecord(h, this.member);
    };
  }

  /** The local links as records by key; the keys of links that went are deleted. */
  private publishLinks(): void {
    const publisher = this.publisher;
    if (!publisher || !this.opts.topology || !this.registered()) return;
    const want = this.linkRecords();
    for (const key of this.linkKeys) if (!want.has(key)) publisher.set(key, undefined);
    for (const [key, rec] of want) publisher.set(key, () => rec);
    this.linkKeys = new Set(want.keys());
  }

  /**
   * The local links as records by key. A latency within 10% (and 1 ms) of the one last published is published
   * as it was, so that jitter alone writes nothing.
   */
  private linkRecords(): Map<string, LinkRecord> {
    const out = new Map<string, LinkRecord>();
    for (const l of this.opts.topology?.localLinks() ?? []) {
      const key = linkRecordKey(this.runtime, l, this.member);
      const rec = linkRecord(l, this.member);
      const was = this.linkLatency.get(key);
      if (
        was !== undefined &&
        rec.latencyMs !== undefined &&
        Math.abs(rec.latencyMs - was) <= Math.max(1, was / 10)
      ) {
        rec.latencyMs = was;
      }
      out.set(key, rec);
    }
    this.linkLatency = new Map(
      [...out].flatMap(([key, rec]) => (rec.latencyMs === undefined ? [] : [[key, rec.latencyMs] as const])),
    );
    return out;
  }

  /** Everything this member knows itself (published again under a new lease). */
  private *everything(): Iterable<[string, Wanted]> {
    const links = this.linkRecords();
    this.linkKeys = new Set(links.keys());
    for (const [key, rec] of links) yield [key, () => rec];
    for (const h of this.opts.hosts?.localHosts() ?? []) yield [this.hostKey(h.mac), this.wantedHost(h.mac)];
  }

  // ------------------------------------------------------------------------------------------- merging

  /** The other members' records into the topology and hosts apps; a record that does not read is skipped. */
  private merge(change: MirrorChange): void {
    const links: [string, TopologyLink][] = [];
    const hosts: [string, Host][] = [];
    const gone = { link: [] as string[], host: [] as string[] };
    for (const key of change.deletes) {
      const kind = runtimeKeyKind(this.runtime, key)?.kind;
      if (kind) gone[kind].push(key);
    }
    const now = this.ctx!.now();
    for (const e of change.puts) {
      let entry;
      try {
        entry = parseRuntimeEntry(this.runtime, e.key, e.value, now);
      } catch (err) {
        this.ctx!.log.warn(
          { key: e.key, field: (err as { field?: string }).field, reason: (err as Error).message },
          'cluster views: skipping a record that does not read',
        );
        // What the key held before (if it read) is no longer its publisher's word.
        const kind = runtimeKeyKind(this.runtime, e.key)?.kind;
        if (kind) gone[kind].push(e.key);
        continue;
      }
      if (entry === undefined || entry.member === this.member) continue;
      if (entry.kind === 'link') links.push([e.key, entry.link]);
      else hosts.push([e.key, entry.host]);
    }
    if (links.length + gone.link.length > 0) this.opts.topology?.updateRemoteLinks(links, gone.link);
    if (hosts.length + gone.host.length > 0) this.opts.hosts?.updateRemoteHosts(hosts, gone.host);
  }
}
