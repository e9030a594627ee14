/** The daemon's configuration: command-line values, then the stored controller config for what they leave open. */
import type { StoreConfig } from '../store/index.js';
import type { LogFormat, LogLevel } from './log.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA that client certificates must be signed by; when set, clients must present one. */
  caFile?: string;
}

export interface DaemonConfig {
  openflow: {
    /** Address the OpenFlow listeners bind (switches connect here). */
    listen: string;
    ports: number[];
    tls?: TlsFiles & { caFile: string };
  };
  api: {
    listen: string;
    /** 0 picks a free port (tests). */
    port: number;
    /** Bearer token every request but the health check must carry. */
    token?: string;
    tls?: TlsFiles;
  };
  /** Where state is kept: SQLite under a data directory, or an etcd cluster (keys under its namespace). */
  store: StoreConfig;
  /**
   * The transport nodes' listeners (issue 12), off unless asked: OVSDB manager connections and OpenFlow from
   * their integration bridges, both over TLS with certificates of the cluster CA (src/pki).
   */
  nodes?: { listen: string; ovsdbPort: number; openflowPort: number };
  /** OVSDB where the qos app sets up port queues (default unix:/var/run/openvswitch/db.sock). */
  ovsdb?: { remote: string };
  log: { level: LogLevel; format: LogFormat };
  version: string;
  /**
   * Cluster membership and leader election (issue 13; --store etcd only): members of one cluster share the
   * store's prefix and this id. `memberId` defaults to the controller's identity id.
   */
  cluster?: { id: string; memberId?: string };
}

/** Key of the users' controller settings in the store. */
export const CONTROLLER_CONFIG_KEY = '/config/controller';

/** What users may keep in the store under /config/controller (command-line values win over these). */
export interface StoredControllerConfig {
  apiToken?: string;
}

/** Validates the stored value where it enters; unknown keys are reported, not fatal (newer versions add keys). */
export function parseStoredControllerConfig(value: unknown): {
  config: StoredControllerConfig;
  unknownKeys: string[];
} {
  if (value === undefined) return { config: {}, unknownKeys: [] };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${CONTROLLER_CONFIG_KEY}: must be a JSON object, got ${JSON.stringify(value)}`);
  }
  const v = value as Record<string, unknown>;
  const config: StoredControllerConfig = {};
  if (v.apiToken !== undefined) {
    if (typeof v.apiToken !== 'string' || v.apiToken.length < 8) {
      throw new Error(`${CONTROLLER_CONFIG_KEY}.apiToken: must be a string of at least 8 characters`);
    }
    config.apiToken = v.apiToken;
  }
  const unknownKeys = Object.keys(v).filter((k) => k !== 'apiToken');
  return { config, unknownKeys };
}
