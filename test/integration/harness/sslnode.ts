/**
 * This machine's Open vSwitch as a transport node of a controller started with --nodes-listen: the node's
 * description applied, its key and request made by `openssl req` (as provisioning does) and signed through
 * the API, `ovs-vsctl set-ssl`, `set-manager ssl:` and a bridge with `set-controller ssl:` to the node
 * listeners, then registered. OVS's SSL settings and managers are global: what was there is noted first and
 * put back by restore().
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runOk } from './exec.js';
import { addTestBridge, deleteBridge, vsctl } from './ovs.js';
import { freePorts } from './ports.js';
import { sluiceCommand, startController, type RunningController } from './controller.js';
import { waitFor } from '../../support/wait.js';

/** A call of the controller's API with its token: the status and the parsed body. */
export type TokenApi = <T>(
  method: string,
  url: string,
  body?: unknown,
) => Promise<{ status: number; body: T }>;

export function tokenApi(ctl: RunningController, token: string): TokenApi {
  return async <T>(method: string, url: string, body?: unknown) => {
    const r = await fetch(`${ctl.apiUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as T };
  };
}

export interface NodesController {
  ctl: RunningController;
  api: TokenApi;
  ovsdbPort: number;
  openflowPort: number;
}

/**
 * A controller with `--api-token token` and the node listeners on `address` (default 127.0.0.1; free ports).
 * Its API stays on loopback.
 */
export async function startNodesController(token: string, address = '127.0.0.1'): Promise<NodesController> {
  const [ovsdbPort, openflowPort] = await freePorts(2);
  const ctl = await startController({
    command: sluiceCommand([
      ...['--api-token', token, '--nodes-listen', address],
      ...['--nodes-ovsdb-port', String(ovsdbPort), '--nodes-openflow-port', String(openflowPort)],
    ]),
  });
  return { ctl, api: tokenApi(ctl, token), ovsdbPort, openflowPort };
}

/** OVS's managers and SSL settings as they were before a test. */
export interface OvsManagers {
  sslWasSet: boolean;
  before: string[];
  /** The managers as they were (the node's ssl: manager gone): the node's OVSDB connection ends. */
  dropNodeManager(): Promise<void>;
  /** The managers and (when there were none) the SSL settings as they were. */
  restore(): Promise<void>;
}

export async function noteOvsManagers(): Promise<OvsManagers> {
  const sslWasSet = (await vsctl('get-ssl')).trim() !== '';
  const before = (await vsctl('get-manager')).split('\n').filter(Boolean);
  const dropNodeManager = async () => {
    if (before.length) await vsctl('set-manager', ...before);
    else await vsctl('del-manager');
  };
  return {
    sslWasSet,
    before,
    dropNodeManager,
    restore: async () => {
      await dropNodeManager();
      if (!sslWasSet) await vsctl('del-ssl');
    },
  };
}

export interface SslNodeOptions {
  node: string;
  zone: string;
  /** Its integration bridge (created; removed by removeSslNode). */
  bridge: string;
  /** 16 hex digits. */
  dpid: string;
  /** Where its key and certificates are written. */
  dir: string;
}

export interface SignedNode {
  certificate: string;
  ca: string;
  fingerprint: string;
}

/** The node's hypervisor description (its data interface need not exist for these tests). */
export const sslNodeDescription = (o: SslNodeOptions) => ({
  type: 'hypervisor',
  name: o.node,
  management_address: '127.0.0.1',
  transport_zone: o.zone,
  data_interface: 'eth9',
  integration_bridge: o.bridge,
  datapath_type: 'netdev',
});

/**
 * Describes, signs, points this OVS at the node listeners (refusing when OVS already has SSL settings it
 * would overwrite) and registers the node; returns what the CA signed and the request it signed. Wait with
 * waitSslNodeConnected.
 */
export async function connectSslNode(
  nodes: NodesController,
  managers: OvsManagers,
  o: SslNodeOptions,
): Promise<SignedNode & { csr: string }> {
  const { api } = nodes;
  assert.equal(managers.sslWasSet, false, 'OVS already has SSL settings; this test would overwrite them');
  // The description first: the CA signs only for described nodes.
  const described = await api('PUT', `/api/v1/nodes/${o.node}`, sslNodeDescription(o));
  assert.equal(described.status, 200, JSON.stringify(described.body));

  const key = path.join(o.dir, `${o.node}-privkey.pem`);
  const csr = await runOk(
    'openssl',
    ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', `/CN=${o.node}`],
    { timeoutMs: 30_000 },
  );
  const signed = await api<SignedNode>('POST', '/api/v1/pki/sign', { node: o.node, csr });
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  const cert = path.join(o.dir, `${o.node}-cert.pem`);
  const cacert = path.join(o.dir, `${o.node}-cacert.pem`);
  fs.writeFileSync(cert, signed.body.certificate);
  fs.writeFileSync(cacert, signed.body.ca);

  await vsctl('set-ssl', key, cert, cacert);
  await vsctl('set-manager', ...managers.before, `ssl:127.0.0.1:${nodes.ovsdbPort}`);
  await addTestBridge(o.bridge, {
    protocols: 'OpenFlow13',
    controllers: [`ssl:127.0.0.1:${nodes.openflowPort}`],
    failMode: 'secure',
    dpid: o.dpid,
  });
  const systemId = (await vsctl('get', 'Open_vSwitch', '.', 'external_ids:system-id'))
    .trim()
    .replace(/"/g, '');
  const registered = await api('PUT', `/api/v1/transport-nodes/${o.node}`, {
    type: 'hypervisor',
    transport_zone: o.zone,
    management_address: '127.0.0.1',
    system_id: systemId,
    integration_bridge: o.bridge,
    certificate_fingerprint: signed.body.fingerprint,
  });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  return { ...signed.body, csr };
}

export interface SeenNode {
  ovsdb: { connected: boolean };
  openflow: { connected: boolean; dpid?: string };
}

/** Waits until the node is connected on both OVSDB and OpenFlow; returns the transport node. */
export async function waitSslNodeConnected(nodes: NodesController, node: string): Promise<SeenNode> {
  const get = async () => (await nodes.api<SeenNode>('GET', `/api/v1/transport-nodes/${node}`)).body;
  return waitFor(
    async () => {
      const n = await get();
      return n.ovsdb.connected && n.openflow.connected ? n : undefined;
    },
    {
      what: `node ${node} connected on OVSDB and OpenFlow`,
      timeoutMs: 20_000,
      intervalMs: 250,
      detail: async () =>
        `node: ${JSON.stringify(await get())}\n${await vsctl('show')}\ncontroller log:\n${nodes.ctl.logTail(30)}`,
    },
  );
}

/** Removes the node's bridge and puts OVS's managers and SSL settings back. */
export async function removeSslNode(managers: OvsManagers | undefined, bridge: string): Promise<void> {
  await deleteBridge(bridge);
  await managers?.restore();
}
