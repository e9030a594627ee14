/**
 * What provisioning does to a node, as the seed's transcript did it (OVS check, PKI, set-ssl, br-int, the data
 * bridge, set-manager, set-controller, register), each step idempotent: `plan` only reads the node and returns
 * the changes still needed (none on a second run), each change with its own undo, so the runner can print a
 * dry run, apply, and on a failure put back what this run changed.
 */
import { X509Certificate } from 'node:crypto';
import type {
  CaCertificate,
  ControlCluster,
  NodeDescription,
  SignedCertificate,
  SignRequest,
  TransportNode,
  TransportNodeRegistration,
} from '../schema/index.js';
import { runChecked, type Command, type CommandResult, type Executor } from './command.js';
import {
  parseGetSsl,
  parseOvsMap,
  parseOvsOptionalString,
  parseOvsString,
  parseTargets,
  sameTargets,
  vsctl,
  vsctlProbe,
} from './ovs.js';

export const DEFAULT_OVSDB = 'unix:/var/run/openvswitch/db.sock';
export const DEFAULT_PKI_DIR = '/etc/openvswitch';
export const DEFAULT_INTEGRATION_BRIDGE = 'br-int';
export const DEFAULT_PORTS = { api: 8080, openflow: 6653, ovsdb: 6640 } as const;
/** A certificate closer than this to its end is renewed. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/** The controller's side of provisioning (the CLI passes its API client). */
export interface ControlPlane {
  ca(): Promise<CaCertificate>;
  sign(req: SignRequest): Promise<SignedCertificate>;
  registration(name: string): Promise<TransportNode | undefined>;
  register(name: string, reg: TransportNodeRegistration): Promise<void>;
  unregister(name: string): Promise<void>;
}

export interface StepContext {
  node: NodeDescription;
  cluster: ControlCluster;
  exec: Executor;
  control: ControlPlane;
  /** What earlier steps found out (the system-id), for later ones. */
  facts: { systemId?: string; fingerprint?: string };
}

/** One change a step still has to make. `commands` is what a dry run and --verbose show. */
export interface Change {
  summary: string;
  commands: string[];
  apply(): Promise<void>;
  /**
   * Puts back what `apply` did, also after an `apply` that failed part-way (only the part that took effect);
   * false when there was nothing to put back.
   */
  undo(): Promise<void | false>;
  /** After every step succeeded (drops backups kept for undo). */
  commit?(): Promise<void>;
}

export interface Step {
  id: string;
  title: string;
  /** Read-only: what is still to change (empty: already as described). */
  plan(ctx: StepContext): Promise<Change[]>;
}

/** A step that cannot go on (OVS not running, the data interface on another bridge): what to do about it. */
export class StepRefused extends Error {
  override readonly name = 'StepRefused';
}

// ---- the node's settings, defaults filled in

export interface NodeSettings {
  db: string;
  pkiDir: string;
  files: { key: string; cert: string; cacert: string };
  bridge: string;
  dataBridge?: string;
  dataInterface?: string;
  managers: string[];
  controllers: string[];
}

export function settingsOf(node: NodeDescription, cluster: ControlCluster): NodeSettings {
  const pkiDir = (node.pki_dir ?? DEFAULT_PKI_DIR).replace(/\/+$/, '') || '/';
  const host = (a: string) => (a.includes(':') ? `[${a}]` : a);
  const dataInterface = node.type === 'hypervisor' ? node.data_interface : undefined;
  const dataBridge =
    node.type === 'hypervisor' ? (node.data_bridge ?? `br-${node.data_interface}`.slice(0, 15)) : undefined;
  return {
    db: node.ovsdb ?? DEFAULT_OVSDB,
    pkiDir,
    files: {
      key: `${pkiDir}/sluice-privkey.pem`,
      cert: `${pkiDir}/sluice-cert.pem`,
      cacert: `${pkiDir}/sluice-cacert.pem`,
    },
    bridge: node.integration_bridge ?? DEFAULT_INTEGRATION_BRIDGE,
    dataBridge,
    dataInterface,
    managers: cluster.controllers.map((c) => `ssl:${host(c.address)}:${c.ovsdb_port ?? DEFAULT_PORTS.ovsdb}`),
    controllers: cluster.controllers.map(
      (c) => `ssl:${host(c.address)}:${c.openflow_port ?? DEFAULT_PORTS.openflow}`,
    ),
  };
}

const line = (c: Command) => c.argv.join(' ');
const run = (ctx: StepContext, c: Command): Promise<CommandResult> => runChecked(ctx.exec, c);

/**
 * A change made of commands, undone by other commands. Each command is one OVSDB transaction: one that failed
 * changed nothing, so when none succeeded there is nothing to undo.
 */
function commandChange(ctx: StepContext, summary: string, apply: Command[], undo: Command[]): Change {
  let applied = 0;
  return {
    summary,
    commands: apply.map(line),
    async apply() {
      for (const c of apply) {
        await run(ctx, c);
        applied++;
      }
    },
    async undo() {
      if (applied === 0) return false;
      for (const c of undo) await run(ctx, c);
    },
  };
}

// ---- 1. Open vSwitch installed and running; the node's system-id

const ovsRunning: Step = {
  id: 'ovs',
  title: 'Open vSwitch is installed and running',
  async plan(ctx) {
    const s = settingsOf(ctx.node, ctx.cluster);
    const version = await ctx.exec.run({ argv: ['ovs-vsctl', '--version'], probe: true });
    if (version.code !== 0) {
      throw new StepRefused(
        'ovs-vsctl is not installed on the node: install Open vSwitch (Debian/Ubuntu: apt install openvswitch-switch)',
      );
    }
    const ids = await ctx.exec.run(vsctlProbe(s.db, 'get', 'Open_vSwitch', '.', 'external_ids'));
    if (ids.code !== 0) {
      throw new StepRefused(
        `ovsdb-server does not answer at ${s.db}: start Open vSwitch (systemctl start openvswitch-switch) ` +
          `or set "ovsdb" in the node's description (${ids.stderr.trim() || `status ${ids.code}`})`,
      );
    }
    const systemId = parseOvsMap(ids.stdout).get('system-id');
    if (systemId) {
      ctx.facts.systemId = systemId;
      return [];
    }
    const fresh = crypto.randomUUID();
    ctx.facts.systemId = fresh;
    return [
      commandChange(
        ctx,
        `set system-id ${fresh}`,
        [vsctl(s.db, 'set', 'Open_vSwitch', '.', `external_ids:system-id=${fresh}`)],
        [vsctl(s.db, 'remove', 'Open_vSwitch', '.', 'external_ids', 'system-id')],
      ),
    ];
  },
};

// ---- 2. PKI: a key made on the node, its certificate signed by the controller's CA

/** Why the node's certificate must be (re)issued, or undefined when it is good. Pure. */
export function certificateProblem(
  certPem: string | undefined,
  cacertPem: string | undefined,
  ca: CaCertificate,
  nodeName: string,
  now: number,
): string | undefined {
  if (!certPem) return 'no certificate yet';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return 'the certificate file is not a PEM certificate';
  }
  const caCert = new X509Certificate(ca.certificate);
  if (!cert.verify(caCert.publicKey)) return "the certificate is not signed by this cluster's CA";
  if (cacertPem === undefined || cacertPem.trim() !== ca.certificate.trim())
    return 'the CA certificate file is out of date';
  if (!new RegExp(`(^|\\n)CN=${nodeName.replace(/[.]/g, '\\.')}(\\n|$)`).test(cert.subject))
    return `the certificate is for ${cert.subject.replace(/\n/g, ', ')}, not ${nodeName}`;
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return `the certificate expires ${cert.validTo}`;
  return undefined;
}

async function readFileOn(ctx: StepContext, path: string): Promise<string | undefined> {
  const r = await ctx.exec.run({ argv: ['cat', '--', path], probe: true });
  return r.code === 0 ? r.stdout : undefined;
}

const pki: Step = {
  id: 'pki',
  title: "Node key and certificate signed by the cluster's CA",
  async plan(ctx) {
    const s = settingsOf(ctx.node, ctx.cluster);
    const ca = await ctx.control.ca();
    const [cert, cacert, key] = await Promise.all([
      readFileOn(ctx, s.files.cert),
      readFileOn(ctx, s.files.cacert),
      ctx.exec.run({ argv: ['test', '-s', s.files.key], probe: true }),
    ]);
    const problem =
      key.code !== 0 ? 'no private key yet' : certificateProblem(cert, cacert, ca, ctx.node.name, Date.now());
    if (!problem) {
      ctx.facts.fingerprint = new X509Certificate(cert!).fingerprint256;
      return [];
    }
    const files = [s.files.key, s.files.cert, s.files.cacert];
    const backup = (f: string) => `${f}.sluice-prev`;
    const taken: string[] = [];
    let createdDir: string | undefined;
    const csrCommand: Command = {
      argv: [
        'openssl',
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        s.files.key,
        '-subj',
        `/CN=${ctx.node.name}`,
      ],
    };
    const writeFile = (path: string, text: string): Command => ({
      argv: ['sh', '-c', 'umask 022 && cat > "$1"', 'sh', path],
      stdin: text,
    });
    return [
      {
        summary: `new key and certificate (${problem})`,
        commands: [
          `mkdir -p ${s.pkiDir}`,
          line(csrCommand),
          `POST /api/v1/pki/sign (node ${ctx.node.name})`,
          `write ${s.files.cert}, ${s.files.cacert}`,
        ],
        async apply() {
          // mkdir -p, printing the topmost directory it made (none when the directory was there): undo removes it.
          const made = await run(ctx, {
            argv: [
              'sh',
              '-c',
              'd="$1"; top=; while [ ! -e "$d" ]; do top="$d"; d=$(dirname -- "$d"); done; ' +
                'mkdir -p -- "$1" && printf %s "$top"',
              'sh',
              s.pkiDir,
            ],
          });
          createdDir = made.stdout.trim() || undefined;
          // Earlier files are kept aside until the whole run succeeds, for undo.
          for (const f of files) {
            await run(ctx, {
              argv: ['sh', '-c', '[ ! -e "$1" ] || mv -f -- "$1" "$1.sluice-prev"', 'sh', f],
            });
            taken.push(f);
          }
          await run(ctx, { argv: ['sh', '-c', 'umask 077 && exec "$@"', 'sh', ...csrCommand.argv] }).then(
            async (r) => {
              const signed = await ctx.control.sign({ node: ctx.node.name, csr: r.stdout });
              await run(ctx, writeFile(s.files.cert, signed.certificate));
              await run(ctx, writeFile(s.files.cacert, signed.ca));
              // As the next run computes it from the file (the controller's spelling of it may differ).
              ctx.facts.fingerprint = new X509Certificate(signed.certificate).fingerprint256;
            },
          );
        },
        async undo() {
          // Only the files this run put aside: the others were never touched.
          if (taken.length === 0 && !createdDir) return false;
          for (const f of taken)
            await run(ctx, {
              argv: [
                'sh',
                '-c',
                'rm -f -- "$1"; [ ! -e "$1.sluice-prev" ] || mv -f -- "$1.sluice-prev" "$1"',
                'sh',
                f,
              ],
            });
          if (createdDir) await run(ctx, { argv: ['rm', '-rf', '--', createdDir] });
        },
        async commit() {
          await run(ctx, { argv: ['rm', '-f', '--', ...files.map(backup)] });
        },
      },
    ];
  },
};

// ---- 3. set-ssl

const ssl: Step = {
  id: 'ssl',
  title: 'Open vSwitch uses the node certificate (set-ssl)',
  async plan(ctx) {
    const s = settingsOf(ctx.node, ctx.cluster);
    const now = parseGetSsl((await run(ctx, vsctl(s.db, 'get-ssl'))).stdout);
    if (
      now &&
      now.privateKey === s.files.key &&
      now.certificate === s.files.cert &&
      now.caCertificate === s.files.cacert &&
      !now.bootstrap
    )
      return [];
    return [
      commandChange(
        ctx,
        now ? `replace SSL settings (was ${now.certificate})` : 'set SSL key, certificate and CA',
        [vsctl(s.db, 'set-ssl', s.files.key, s.files.cert, s.files.cacert)],
        [
          now
            ? vsctl(
                s.db,
                ...(now.bootstrap ? ['--', '--bootstrap'] : []),
                'set-ssl',
                now.privateKey,
                now.certificate,
                now.caCertificate,
              )
            : vsctl(s.db, 'del-ssl'),
        ],
      ),
    ];
  },
};

// ---- 4. the integration bridge

const integrationBridge: Step = {
  id: 'integration-bridge',
  title: 'Integration bridge',
  async plan(ctx) {
    const s = settingsOf(ctx.node, ctx.cluster);
    const want: Record<string, string> = {
      'bridge-id': s.bridge,
      'sluice-node': ctx.node.name,
      'sluice-zone': ctx.node.transport_zone,
      ...(ctx.node.type === 'gateway'
        ? { 'sluice-rendezvous': ctx.node.mgmt_rendezvous_client ? 'client' : 'none' }
        : {}),
      ...(ctx.node.type === 'service'
        ? { 'sluice-rendezvous': ctx.node.mgmt_rendezvous_server ? 'server' : 'none' }
        : {}),
    };
    const exists = await ctx.exec.run(vsctlProbe(s.db, 'br-exists', s.bridge));
    if (exists.code === 2) {
      const sets = [
        'fail_mode=secure',
        ...(ctx.node.datapath_type ? [`datapath_type=${ctx.node.datapath_type}`] : []),
        ...Object.entries(want).map(([k, v]) => `external_ids:${k}=${v}`),
      ];
      return [
        commandChange(
          ctx,
          `create ${s.bridge}`,
          [vsctl(s.db, '--may-exist', 'add-br', s.bridge, '--', 'set', 'Bridge', s.bridge, ...sets)],
          [vsctl(s.db, '--if-exists', 'del-br', s.bridge)],
        ),
      ];
    }
    if (exists.code !== 0)
      throw new StepRefused(`ovs-vsctl br-exists ${s.bridge} failed: ${exists.stderr.trim()}`);
    const got = await run(
      ctx,
      vsctl(s.db, 'get', 'Bridge', s.bridge, 'external_ids', 'fail_mode', 'datapath_type'),
    );
    const [idsText = '{}', failModeText = '[]', dpText = '""'] = got.stdout.split('\n');
    const ids = parseOvsMap(idsText);
    const failMode = parseOvsOptionalString(failModeText);
    const datapath = parseOvsString(dpText);
    const changes: Change[] = [];
    const wrongIds = Object.entries(want).filter(([k, v]) => ids.get(k) !== v);
    if (wrongIds.length) {
      changes.push(
        commandChange(
          ctx,
          `set external ids ${wrongIds.map(([k, v]) => `${k}=${v}`).join(', ')}`,
          [vsctl(s.db, 'set', 'Bridge', s.bridge, ...wrongIds.map(([k, v]) => `external_ids:${k}=${v}`))],
          wrongIds.map(([k]) =>
            ids.has(k)
              ? vsctl(s.db, 'set', 'Bridge', s.bridge, `external_ids:${k}=${ids.get(k)}`)
              : vsctl(s.db, 'remove', 'Bridge', s.bridge, 'external_ids', k),
          ),
        ),
      );
    }
    if (failMode !== 'secure') {
      changes.push(
        commandChange(
          ctx,
          `fail mode secure (was ${failMode || 'standalone'})`,
          [vsctl(s.db, 'set-fail-mode', s.bridge, 'secure')],
          [
            failMode
              ? vsctl(s.db, 'set-fail-mode', s.bridge, failMode)
              : vsctl(s.db, 'del-fail-mode', s.bridge),
          ],
        ),
      );
    }
    if (ctx.node.datapath_type && datapath !== ctx.node.datapath_type) {
      changes.push(
        commandChange(
          ctx,
          `datapath ${ctx.node.datapath_type} (was ${datapath || 'system'})`,
          [vsctl(s.db, 'set', 'Bridge', s.bridge, `datapath_type=${ctx.node.datapath_type}`)],
          [vsctl(s.db, 'set', 'Bridge', s.bridge, `datapath_type=${datapath}`)],
        ),
      );
    }
    return changes;
  },
};

// ---- 5. the data bridge holding the data interface (hypervisors)

/**
 * `add-port`, then what the node's ovs-vswitchd made of it. OVS takes a port whose device does not exist and
 * leaves it broken, its Interface `error` saying why: that fails the change, which is then undone with the
 * rest of the run. OVS is asked rather than `ip link`, because the commands may run in another namespace or
 * machine than the node's OVS (the description's "ovsdb" target).
 */
function addDataPort(
  ctx: StepContext,
  s: NodeSettings & { dataBridge: string; dataInterface: string },
): Change {
  const add = vsctl(s.db, '--may-exist', 'add-port', s.dataBridge, s.dataInterface);
  const del = vsctl(s.db, '--if-exists', 'del-port', s.dataBridge, s.dataInterface);
  let added = false;
  return {
    summary: `add ${s.dataInterface} to ${s.dataBridge}`,
    commands: [line(add)],
    async apply() {
      await run(ctx, add);
      added = true;
      const error = parseOvsOptionalString(
        (await run(ctx, vsctl(s.db, 'get', 'Interface', s.dataInterface, 'error'))).stdout,
      );
      if (error)
        throw new StepRefused(
          `data_interface: Open vSwitch on node ${ctx.node.name} (${ctx.node.management_address}) cannot use ` +
            `${s.dataInterface}: ${error}: check "data_interface" in the node's description against \`ip link\` on the node`,
        );
    },
    async undo() {
      if (!added) return false;
      await run(ctx, del);
    },
  };
}

const dataBridge: Step = {
  id: 'data-bridge',
  title: 'Data bridge with the data interface',
  async plan(ctx) {
    const s = settingsOf(ctx.node, ctx.cluster);
    if (!s.dataBridge || !s.dataInterface) return [];
    // Checked before any change: a refused node keeps its bridges as they were.
    const onBridge = await ctx.exec.run(vsctlProbe(s.db, 'port-to-br', s.dataInterface));
    const holder = onBridge.code === 0 ? onBridge.stdout.trim() : undefined;
    if (holder && holder !== s.dataBridge) {
      throw new StepRefused(
        `${s.dataInterface} is a port of bridge ${holder}: remove it (ovs-vsctl del-port ${holder} ${s.dataInterface}) or set "data_bridge": "${holder}"`,
      );
    }
    const changes: Change[] = [];
    const exists = await ctx.exec.run(vsctlProbe(s.db, 'br-exists', s.dataBridge));
    if (exists.code === 2) {
      changes.push(
        commandChange(
          ctx,
          `create ${s.dataBridge}`,
          [
            vsctl(
              s.db,
              '--may-exist',
              'add-br',
              s.dataBridge,
              ...(ctx.node.datapath_type
                ? ['--', 'set', 'Bridge', s.dataBridge, `datapath_type=${ctx.node.datapath_type}`]
                : []),
            ),
          ],
          [vsctl(s.db, '--if-exists', 'del-br', s.dataBridge)],
        ),
      );
    } else if (exists.code !== 0) {
      throw new StepRefused(`ovs-vsctl br-exists ${s.dataBridge} failed: ${exists.stderr.trim()}`);
    }
    if (!holder)
      changes.push(addDataPort(ctx, { ...s, dataBridge: s.dataBridge, dataInterface: s.dataInterface }));
    return changes;
  },
};

// ---- 6, 7. manager and controller over SSL

/** `ssl:HOST:PORT` -> HOST (brackets of an IPv6 address kept); undefined for other kinds of target. */
function sslHost(target: string): string | undefined {
  const m = /^ssl:(.+):\d+$/.exec(target);
  return m?.[1];
}

/**
 * The managers a node should have: the cluster's, plus the others it has (a local ptcp: for tools), less the
 * ssl: ones on a host of `previousControllers` (the cluster as last provisioned, before its address changed).
 * Pure.
 */
export function plannedManagers(now: string[], cluster: string[], previousControllers: string[]): string[] {
  const oldHosts = new Set(previousControllers.map(sslHost).filter((h) => h !== undefined));
  const kept = now.filter((m) => cluster.includes(m) || !oldHosts.has(sslHost(m) ?? ''));
  return [...new Set([...kept, ...cluster])];
}

const manager: Step = {
  id: 'manager',
  title: 'OVSDB manager: the control cluster over SSL',
  async plan(ctx) {
    const s = settingsOf(ctx.node, ctx.cluster);
    const now = parseTargets((await run(ctx, vsctl(s.db, 'get-manager'))).stdout);
    // The integration bridge's ssl: controllers still name the cluster as last provisioned (the controller
    // step comes after this one): a manager on one of those hosts is the old cluster's and is replaced.
    const exists = await ctx.exec.run(vsctlProbe(s.db, 'br-exists', s.bridge));
    const previous =
      exists.code === 0 ? parseTargets((await run(ctx, vsctl(s.db, 'get-controller', s.bridge))).stdout) : [];
    const want = plannedManagers(now, s.managers, previous);
    if (sameTargets(now, want)) return [];
    const stale = now.filter((m) => !want.includes(m));
    return [
      commandChange(
        ctx,
        `add manager ${s.managers.filter((m) => !now.includes(m)).join(' ')}` +
          (stale.length ? ` (replacing ${stale.join(' ')})` : ''),
        [vsctl(s.db, 'set-manager', ...want)],
        [now.length ? vsctl(s.db, 'set-manager', ...now) : vsctl(s.db, 'del-manager')],
      ),
    ];
  },
};

const controller: Step = {
  id: 'controller',
  title: 'OpenFlow controller of the integration bridge over SSL',
  async plan(ctx) {
    const s = settingsOf(ctx.node, ctx.cluster);
    // In a dry run of a new node the bridge is only planned: it has no controller yet.
    const exists = await ctx.exec.run(vsctlProbe(s.db, 'br-exists', s.bridge));
    const now =
      exists.code === 2 ? [] : parseTargets((await run(ctx, vsctl(s.db, 'get-controller', s.bridge))).stdout);
    if (sameTargets(now, s.controllers)) return [];
    return [
      commandChange(
        ctx,
        `set controller ${s.controllers.join(' ')}${now.length ? ` (was ${now.join(' ')})` : ''}`,
        [vsctl(s.db, 'set-controller', s.bridge, ...s.controllers)],
        [
          now.length
            ? vsctl(s.db, 'set-controller', s.bridge, ...now)
            : vsctl(s.db, 'del-controller', s.bridge),
        ],
      ),
    ];
  },
};

// ---- 8. registration with the control cluster

export function registrationOf(
  node: NodeDescription,
  cluster: ControlCluster,
  systemId: string,
  fingerprint: string,
): TransportNodeRegistration {
  const s = settingsOf(node, cluster);
  return {
    type: node.type,
    transport_zone: node.transport_zone,
    management_address: node.management_address,
    system_id: systemId,
    integration_bridge: s.bridge,
    ...(node.type === 'hypervisor' ? { data_interface: node.data_interface, data_bridge: s.dataBridge } : {}),
    ...(node.type === 'gateway' ? { mgmt_rendezvous_client: node.mgmt_rendezvous_client } : {}),
    ...(node.type === 'service' ? { mgmt_rendezvous_server: node.mgmt_rendezvous_server } : {}),
    certificate_fingerprint: fingerprint,
  };
}

/** The registration's own keys of a transport node as the API shows it, for comparison. */
function registeredPart(t: TransportNode, keys: readonly string[]): Record<string, unknown> {
  const all = t as unknown as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => all[k] !== undefined).map((k) => [k, all[k]]));
}

const register: Step = {
  id: 'register',
  title: 'Registered with the control cluster',
  async plan(ctx) {
    const { systemId, fingerprint } = ctx.facts;
    // A dry run of a node not yet set up has no system-id or certificate yet: those come from earlier changes.
    const want = registrationOf(ctx.node, ctx.cluster, systemId ?? '(new)', fingerprint ?? '(new)');
    const now = await ctx.control.registration(ctx.node.name);
    const keys = Object.keys(want);
    let registered = false;
    if (
      now &&
      JSON.stringify(registeredPart(now, keys)) ===
        JSON.stringify(registeredPart(want as unknown as TransportNode, keys))
    )
      return [];
    return [
      {
        summary: now
          ? 'update the registration'
          : `register ${ctx.node.name} in zone ${ctx.node.transport_zone}`,
        commands: [`PUT /api/v1/transport-nodes/${ctx.node.name}`],
        async apply() {
          await ctx.control.register(
            ctx.node.name,
            registrationOf(ctx.node, ctx.cluster, ctx.facts.systemId!, ctx.facts.fingerprint!),
          );
          registered = true;
        },
        async undo() {
          if (!registered) return false;
          if (now) {
            const old = registeredPart(now, [
              ...keys,
              'data_interface',
              'data_bridge',
              'mgmt_rendezvous_client',
              'mgmt_rendezvous_server',
            ]);
            await ctx.control.register(ctx.node.name, old as unknown as TransportNodeRegistration);
          } else {
            await ctx.control.unregister(ctx.node.name);
          }
        },
      },
    ];
  },
};

/** The steps in the order the seed ran them. */
export const STEPS: readonly Step[] = [
  ovsRunning,
  pki,
  ssl,
  integrationBridge,
  dataBridge,
  manager,
  controller,
  register,
];
