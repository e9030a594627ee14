/**
 * Node descriptions (the NVP/NSX toolkit's JSON, issue 12): the control cluster the nodes join, and the nodes
 * themselves (hypervisor, gateway, service). One schema serves the file `sluice node apply` reads, the body of
 * PUT /api/v1/nodes/{name}, the stored record and the client's types. Keys are snake_case as in the seed's
 * files. Unknown keys are refused (a misspelt `data_interfce` would otherwise provision a node without one).
 */
import { Type, type Static } from '@sinclair/typebox';
import { describePattern } from './check.js';

const closed = { additionalProperties: false } as const;

/** A node or zone name: what `sluice node provision NAME` takes and what the API's paths carry. */
export const NODE_NAME_PATTERN = describePattern(
  '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$',
  'a name: up to 63 letters, digits, ".", "_" or "-", starting with a letter or digit',
);
const Name = (description: string) => Type.String({ pattern: NODE_NAME_PATTERN, description });
const Port = (description: string) => Type.Integer({ minimum: 1, maximum: 65535, description });
const ADDRESS_PATTERN = describePattern(
  '^[A-Za-z0-9.:_-]+$',
  'an IPv4 or IPv6 address or a host name (letters, digits, ".", ":", "_", "-")',
);
/** An IPv4/IPv6 address or a DNS name (checked further where it is used). */
const Address = (description: string) =>
  Type.String({ minLength: 1, maxLength: 253, pattern: ADDRESS_PATTERN, description });
const ABSOLUTE_PATH_PATTERN = describePattern('^/', 'an absolute path (starting with /)');
const AbsolutePath = (description: string) =>
  Type.String({ minLength: 2, maxLength: 4096, pattern: ABSOLUTE_PATH_PATTERN, description });
/** A Linux interface or bridge name (IFNAMSIZ: at most 15 bytes, no '/' or spaces). */
export const IFNAME_PATTERN = describePattern(
  '^[A-Za-z0-9_.:-]{1,15}$',
  'an interface name: 1 to 15 letters, digits, ".", "_", ":" or "-"',
);
const IfName = (description: string) => Type.String({ pattern: IFNAME_PATTERN, description });

export const NODE_TYPES = ['hypervisor', 'gateway', 'service'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export const ControllerAddress = Type.Object(
  {
    address: Address('where nodes reach this controller (its management address)'),
    api_port: Type.Optional(Port('REST API port, default 8080')),
    openflow_port: Type.Optional(Port('OpenFlow over SSL, default 6653')),
    ovsdb_port: Type.Optional(Port('OVSDB manager connections over SSL, default 6640')),
  },
  closed,
);

export const ControlCluster = Type.Object(
  {
    controllers: Type.Array(ControllerAddress, { minItems: 1, maxItems: 16 }),
    api_token_file: Type.Optional(
      AbsolutePath('a file holding the API token (the token itself is never stored in a description)'),
    ),
  },
  { ...closed, description: 'the control cluster the nodes join' },
);

/** How `sluice node provision` reaches the node: this machine, or SSH (key or password; sudo if not root). */
export const NodeAccess = Type.Union([
  Type.Object({ kind: Type.Literal('local') }, closed),
  Type.Object(
    {
      kind: Type.Literal('ssh'),
      user: Type.String({
        pattern: describePattern(
          '^[a-z_][a-z0-9_.-]{0,31}$',
          'a user name (lower-case, up to 32 characters)',
        ),
        description: 'the SSH login',
      }),
      host: Type.Optional(Address('default: management_address')),
      port: Type.Optional(Port('default 22')),
      key_file: Type.Optional(AbsolutePath('private key; without it a password is asked for')),
      known_hosts: Type.Optional(AbsolutePath('checked host keys (default ~/.ssh/known_hosts)')),
      sudo: Type.Optional(
        Type.Boolean({ description: 'run commands through sudo (default: unless user is root)' }),
      ),
    },
    closed,
  ),
]);

const common = {
  name: Name('the node name, unique in the cluster'),
  management_address: Address('the address the node manages from and the controller sees it at'),
  transport_zone: Name('the transport zone the node joins'),
  ovsdb: Type.Optional(
    Type.String({
      pattern: describePattern(
        '^(unix:/|tcp:|ssl:)',
        'an OVSDB remote: unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT',
      ),
      maxLength: 4096,
      description: "the node's OVSDB, default unix:/var/run/openvswitch/db.sock",
    }),
  ),
  pki_dir: Type.Optional(
    AbsolutePath('where the node keeps its key and certificates, default /etc/openvswitch'),
  ),
  integration_bridge: Type.Optional(IfName('default br-int')),
  datapath_type: Type.Optional(
    Type.Union([Type.Literal('system'), Type.Literal('netdev')], {
      description: 'system (kernel) by default; netdev for a userspace datapath',
    }),
  ),
  access: Type.Optional(NodeAccess),
  description: Type.Optional(Type.String({ maxLength: 1024 })),
};

export const HypervisorNode = Type.Object(
  {
    type: Type.Literal('hypervisor'),
    ...common,
    data_interface: IfName('the interface tunnels leave by'),
    data_bridge: Type.Optional(IfName('default br-<data_interface>, cut to 15 characters')),
  },
  closed,
);
export const GatewayNode = Type.Object(
  { type: Type.Literal('gateway'), ...common, mgmt_rendezvous_client: Type.Boolean() },
  closed,
);
export const ServiceNode = Type.Object(
  { type: Type.Literal('service'), ...common, mgmt_rendezvous_server: Type.Boolean() },
  closed,
);
export const NodeDescription = Type.Union([HypervisorNode, GatewayNode, ServiceNode]);

/** A description file (or a directory's files merged): the cluster, nodes, or both. */
export const NodeDocument = Type.Object(
  {
    cluster: Type.Optional(ControlCluster),
    nodes: Type.Optional(Type.Array(NodeDescription, { maxItems: 10000 })),
  },
  closed,
);

export type ControllerAddress = Static<typeof ControllerAddress>;
export type ControlCluster = Static<typeof ControlCluster>;
export type NodeAccess = Static<typeof NodeAccess>;
export type NodeDescription = Static<typeof NodeDescription>;
export type NodeDocument = Static<typeof NodeDocument>;

// ---- the API's replies about descriptions, the PKI, transport nodes and zones, and the control cluster

const When = (description: string) => Type.String({ format: 'date-time', description });

const AppliedChange = Type.Union(
  [Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')],
  { description: 'what the apply did (or, with dry_run, would do)' },
);

/** PUT /api/v1/nodes/{name}: the stored revision; `changed` is false when the description was the same. */
export const NodeApplied = Type.Object({
  name: Type.String(),
  revision: Type.Integer({ description: 'the description revision, 1 for the first' }),
  changed: Type.Boolean(),
  change: AppliedChange,
});

/** PUT /api/v1/cluster/description: as NodeApplied, for the one cluster description. */
export const ClusterApplied = Type.Object({
  revision: Type.Integer({ description: 'the cluster description revision, 1 for the first' }),
  changed: Type.Boolean(),
  change: AppliedChange,
});

export const NodeSummary = Type.Object({
  name: Type.String(),
  type: Type.Union(NODE_TYPES.map((t) => Type.Literal(t))),
  transport_zone: Type.String(),
  management_address: Type.String(),
  revision: Type.Integer(),
  updated: When('when this revision was applied'),
});

export const NodeRecord = Type.Object({
  name: Type.String(),
  revision: Type.Integer(),
  updated: When('when this revision was applied'),
  description: NodeDescription,
});

export const NodeRevision = Type.Object({
  revision: Type.Integer(),
  applied: When('when it was applied'),
  change: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('deleted')]),
  /** Absent for a deletion. */
  description: Type.Optional(NodeDescription),
});

export const ClusterDescriptionRecord = Type.Object({
  revision: Type.Integer(),
  updated: When('when it was applied'),
  description: ControlCluster,
});

/** GET /api/v1/cluster/description/history: each applied revision of the cluster description. */
export const ClusterRevision = Type.Object({
  revision: Type.Integer(),
  applied: When('when it was applied'),
  change: Type.Union([Type.Literal('created'), Type.Literal('updated')]),
  description: ControlCluster,
});

/** POST /api/v1/pki/sign: a node's certificate request (PEM), signed by the controller's CA. */
export const SignRequest = Type.Object(
  {
    node: Name('the node the certificate is for (its description must be applied)'),
    csr: Type.String({ minLength: 64, maxLength: 16384, description: 'PKCS#10 request, PEM' }),
  },
  closed,
);
export const SignedCertificate = Type.Object({
  certificate: Type.String({ description: "the node's certificate, PEM" }),
  ca: Type.String({ description: "the CA's certificate, PEM (the node's cacert)" }),
  fingerprint: Type.String({ description: 'SHA-256 of the certificate, colon-separated hex' }),
  not_after: When('when the certificate expires'),
});
export const CaCertificate = Type.Object({
  certificate: Type.String({ description: "the CA's certificate, PEM" }),
  fingerprint: Type.String(),
});

/** PUT /api/v1/transport-nodes/{name}: what provisioning registers once the node is set up. */
export const TransportNodeRegistration = Type.Object(
  {
    type: Type.Union(NODE_TYPES.map((t) => Type.Literal(t))),
    transport_zone: Name('its transport zone'),
    management_address: Address('its management address'),
    system_id: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Open_vSwitch external_ids:system-id',
    }),
    integration_bridge: IfName('its integration bridge'),
    data_interface: Type.Optional(IfName('hypervisors: the tunnel interface')),
    data_bridge: Type.Optional(IfName('hypervisors: the bridge holding data_interface')),
    mgmt_rendezvous_server: Type.Optional(Type.Boolean()),
    mgmt_rendezvous_client: Type.Optional(Type.Boolean()),
    certificate_fingerprint: Type.String({ description: "SHA-256 of the node's certificate" }),
  },
  closed,
);

export const ConnectionState = Type.Object({
  connected: Type.Boolean(),
  since: Type.Optional(When('when it connected or went away')),
  remote: Type.Optional(Type.String({ description: 'the address it connected from' })),
});

export const TransportNode = Type.Object({
  name: Type.String(),
  ...TransportNodeRegistration.properties,
  registered: When('when provisioning registered it'),
  ovsdb: ConnectionState,
  openflow: Type.Intersect([ConnectionState, Type.Object({ dpid: Type.Optional(Type.String()) })]),
  faults: Type.Optional(
    Type.Array(
      Type.Object({
        field: Type.String({ description: 'the registration field the node contradicts, e.g. system_id' }),
        expected: Type.String({ description: 'what provisioning registered' }),
        seen: Type.String({ description: 'what the node presents on its connection' }),
        reason: Type.String(),
      }),
      { description: 'what the connected node contradicts in its registration; absent when none' },
    ),
  ),
  tunnels: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.String({ description: 'vxlan, geneve, gre, stt' }),
      remote_ip: Type.String(),
      state: Type.String({ description: 'up, down or unknown (OVSDB Interface link_state)' }),
    }),
  ),
});

export const TransportZone = Type.Object({
  name: Type.String(),
  nodes: Type.Array(Type.String()),
  connected: Type.Integer({ description: 'nodes whose OVSDB and OpenFlow connections are both up' }),
});

export const InterfaceStatistics = Type.Object({
  node: Type.String(),
  interface: Type.String(),
  sampled: When('when the node last reported them'),
  statistics: Type.Record(Type.String(), Type.Integer(), {
    description: 'OVSDB Interface statistics: rx_packets, rx_bytes, tx_packets, tx_bytes, rx_dropped...',
  }),
});

/** GET /api/v1/cluster: the control cluster's members and who leads, NVP's shape plus leadership. */
export const ControlClusterMember = Type.Object({
  id: Type.String(),
  display_name: Type.String(),
  version: Type.String(),
  roles: Type.Array(
    Type.Object({
      role: Type.Union([Type.Literal('api'), Type.Literal('openflow'), Type.Literal('ovsdb-manager')]),
      listen_addr: Type.String({ description: 'scheme:host:port, e.g. ssl:10.0.0.1:6640' }),
    }),
  ),
  leader: Type.Boolean({ description: 'whether this member is the elected leader' }),
  since: Type.Optional(When('the leader: when it was elected')),
  started: Type.Optional(When('when this member started')),
});
/** One switch's mastership in a cluster (issue 13). */
export const ClusterSwitch = Type.Object({
  dpid: Type.String({ description: 'the datapath id, 16 hex digits' }),
  master: Type.Union([Type.String(), Type.Null()], {
    description: 'the member that masters the switch (sends ROLE_REQUEST master); null while none does',
  }),
  since: Type.Optional(When('when the master took the switch')),
  generation: Type.Optional(
    Type.String({ description: "the OpenFlow role generation id: the store's revision of the mastership" }),
  ),
  members: Type.Array(Type.String(), { description: 'the members the switch is connected to' }),
});
export const ClusterRebalanced = Type.Object({
  moves: Type.Array(
    Type.Object({
      dpid: Type.String(),
      from: Type.String({ description: 'the member that gives the switch up' }),
      to: Type.String({ description: 'the member the switch should go to' }),
    }),
    { description: 'the switches asked to move; the moves take place within seconds' },
  ),
});
export const ClusterLeader = Type.Object({
  id: Type.String({ description: 'the leading member' }),
  since: When('when it was elected'),
});
export const ControlClusterView = Type.Object({
  cluster_id: Type.Optional(
    Type.String({ description: '--cluster-id of a clustered controller (absent when it runs alone)' }),
  ),
  leader: Type.Optional(
    Type.Object(ClusterLeader.properties, {
      description: 'who leads (a controller alone leads itself); absent while an election is open',
    }),
  ),
  members: Type.Array(ControlClusterMember),
  switches: Type.Optional(
    Type.Array(ClusterSwitch, { description: 'clustered only: who masters each switch, by dpid' }),
  ),
});

export type NodeApplied = Static<typeof NodeApplied>;
export type NodeSummary = Static<typeof NodeSummary>;
export type NodeRecord = Static<typeof NodeRecord>;
export type NodeRevision = Static<typeof NodeRevision>;
export type ClusterDescriptionRecord = Static<typeof ClusterDescriptionRecord>;
export type ClusterApplied = Static<typeof ClusterApplied>;
export type ClusterRevision = Static<typeof ClusterRevision>;
export type SignRequest = Static<typeof SignRequest>;
export type SignedCertificate = Static<typeof SignedCertificate>;
export type CaCertificate = Static<typeof CaCertificate>;
export type TransportNodeRegistration = Static<typeof TransportNodeRegistration>;
export type TransportNode = Static<typeof TransportNode>;
export type TransportZone = Static<typeof TransportZone>;
export type InterfaceStatistics = Static<typeof InterfaceStatistics>;
export type ControlClusterMember = Static<typeof ControlClusterMember>;
export type ControlClusterView = Static<typeof ControlClusterView>;
export type ClusterSwitch = Static<typeof ClusterSwitch>;
export type ClusterRebalanced = Static<typeof ClusterRebalanced>;
export type ClusterLeader = Static<typeof ClusterLeader>;
