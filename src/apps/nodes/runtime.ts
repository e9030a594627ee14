/**
 * What the controller sees of the transport nodes at run time, from their own connections: each node dials the
 * controller's OVSDB manager port and OpenFlow port over SSL with the certificate provisioning gave it, whose
 * CN is the node's name. The listeners (src/ovsdb's passive side, the controller's OpenFlow SSL listener) feed
 * this; the nodes app's routes read it beside the stored registrations.
 */
import type { InterfaceStatistics, TransportNode } from '../../schema/index.js';

export type ConnectionState = TransportNode['ovsdb'];
export type OpenflowState = TransportNode['openflow'];
export type Tunnel = TransportNode['tunnels'][number];

export interface TransportRuntime {
  /** The node's OVSDB manager connection (connected: false, no since, when never seen). */
  ovsdb(node: string): ConnectionState;
  /** Its integration bridge's OpenFlow connection, with the DPID once known. */
  openflow(node: string): OpenflowState;
  /** Tunnel interfaces (vxlan, geneve, gre, stt) in the node's OVSDB, with their link state. */
  tunnels(node: string): Tunnel[];
  /** Interface names the node's OVSDB reports, sorted. */
  interfaces(node: string): string[];
  /** The latest OVSDB Interface statistics of one interface, or undefined when the node has no such one. */
  interfaceStatistics(node: string, iface: string): InterfaceStatistics | undefined;
  /** The node's Open_vSwitch external_ids:system-id as its OVSDB connection reports it (unknown: undefined). */
  systemId?(node: string): string | undefined;
  /** Called when a node connects or goes away (both connections), for the zone counts and the dashboard. */
  onChange(cb: (node: string) => void): () => void;
}

/** Nothing connected: the runtime when the node listeners are off. */
export const NO_RUNTIME: TransportRuntime = {
  ovsdb: () => ({ connected: false }),
  openflow: () => ({ connected: false }),
  tunnels: () => [],
  interfaces: () => [],
  interfaceStatistics: () => undefined,
  onChange: () => () => undefined,
};
