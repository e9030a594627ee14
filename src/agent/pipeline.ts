/**
 * The agent's own pipeline on its host bridge (OpenFlow 1.3 only), declared as data like SLUICE_PIPELINE:
 *
 *   table 0 `classify`: which network a packet belongs to, by in_port; a container port only sends from its
 *            own MAC, and IPv4/ARP only from its own address. The network's VNI goes into metadata and the
 *            packet goes on to `forward`. Anything else is dropped (the overlay's lowest flow).
 *   table 1 `forward`:  within the network in metadata only: ARP answers for known addresses, unicast to a
 *            local port, to the tunnel port for a remote endpoint, to the gateway port; everything else
 *            flooded to the network's own ports.
 *
 * The controller's table-miss entries (priority 0: goto the next table, then to the controller) stay below
 * the overlay's catch-all drops, so no packet reaches the controller: the agent answers nothing reactively.
 */
import type { PipelineDecl } from '../controller/index.js';

export const OVERLAY_APP = 'overlay';
export const CLASSIFY_TABLE = 0;
export const FORWARD_TABLE = 1;

export const AGENT_PIPELINE: PipelineDecl = {
  stages: [
    { name: 'classify', of13Table: CLASSIFY_TABLE },
    { name: 'forward', of13Table: FORWARD_TABLE },
  ],
  bands: [
    { app: 'core', role: 'miss-classify', stage: 'classify', of13: [0, 0], of10: [0, 0], intent: true },
    { app: 'core', role: 'miss-forward', stage: 'forward', of13: [0, 0], of10: [0, 0], intent: true },
    // The agent's bridge speaks OpenFlow 1.3 only: the of10 ranges are never used (declared for the check).
    {
      app: OVERLAY_APP,
      role: 'classify',
      stage: 'classify',
      of13: [1, 0xffff],
      of10: [1, 0x7fff],
      intent: true,
    },
    {
      app: OVERLAY_APP,
      role: 'forward',
      stage: 'forward',
      of13: [1, 0xffff],
      of10: [0x8000, 0xffff],
      intent: true,
    },
  ],
};
