/**
 * The page registry: the nav and the router are made from this list. Adding a page is one file in this
 * folder and one line here.
 */
import type { ComponentType } from 'react';
import { Cluster } from './cluster.js';
import { Firewall } from './firewall.js';
import { HostAware } from './hostaware.js';
import { Hosts } from './hosts.js';
import { Networks } from './networks.js';
import { Nodes } from './nodes.js';
import { Overview } from './overview.js';
import { Qos } from './qos.js';
import { Topology } from './topology.js';
import { StaticFlows } from './staticflows.js';
import { Switches } from './switches.js';

export interface PageDef {
  /** The path under /ui/ (no slashes): /ui/<path>. */
  path: string;
  /** The nav label and the page heading. */
  title: string;
  component: ComponentType;
}

export const PAGES: readonly PageDef[] = [
  { path: 'overview', title: 'Overview', component: Overview },
  { path: 'topology', title: 'Topology', component: Topology },
  { path: 'switches', title: 'Switches', component: Switches },
  { path: 'hosts', title: 'Hosts', component: Hosts },
  { path: 'staticflows', title: 'Static flows', component: StaticFlows },
  { path: 'firewall', title: 'Firewall & ACL', component: Firewall },
  { path: 'qos', title: 'QoS', component: Qos },
  { path: 'hostaware', title: 'Host-aware', component: HostAware },
  { path: 'networks', title: 'Container networks', component: Networks },
  { path: 'nodes', title: 'Nodes', component: Nodes },
  { path: 'cluster', title: 'Cluster', component: Cluster },
];

/** /ui/ and anything unknown land on the first page. */
export const HOME = PAGES[0];

/** The page for a location's pathname (`/ui/hosts/...` -> hosts); undefined for an unknown one. */
export function pageOf(pathname: string): PageDef | undefined {
  const first = pathname.replace(/^\/ui\/?/, '').split('/')[0];
  return first === '' ? HOME : PAGES.find((p) => p.path === first);
}
