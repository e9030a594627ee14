import { isIP } from 'node:net';
import { OvsdbRemoteError } from './errors.js';

/** Default remote of a Debian/Ubuntu Open vSwitch install. */
export const DEFAULT_REMOTE = 'unix:/var/run/openvswitch/db.sock';
/** IANA port for OVSDB, used when a tcp:/ssl: remote names no port (as ovs-vsctl does). */
export const OVSDB_DEFAULT_PORT = 6640;

export type Remote =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'ssl'; host: string; port: number };

/**
 * Parses an active OVS remote string: `unix:PATH`, `tcp:HOST[:PORT]`, `ssl:HOST[:PORT]`; an IPv6 host is written
 * in brackets (`tcp:[::1]:6640`). Passive remotes (`punix:`, `ptcp:`, `pssl:`) are for servers and rejected.
 */
export function parseRemote(remote: string): Remote {
  const colon = remote.indexOf(':');
  if (colon < 0) throw new OvsdbRemoteError(remote, 'expected unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT');
  const scheme = remote.slice(0, colon);
  const rest = remote.slice(colon + 1);
  if (scheme === 'unix') {
    if (rest === '') throw new OvsdbRemoteError(remote, 'unix: needs a socket path');
    return { kind: 'unix', path: rest };
  }
  if (scheme === 'tcp' || scheme === 'ssl') {
    const { host, port } = parseHostPort(remote, rest);
    return { kind: scheme, host, port };
  }
  if (scheme === 'punix' || scheme === 'ptcp' || scheme === 'pssl') {
    throw new OvsdbRemoteError(
      remote,
      `${scheme}: is a passive (listening) remote; a client needs an active one`,
    );
  }
  throw new OvsdbRemoteError(remote, `unknown scheme ${JSON.stringify(scheme)}`);
}

function parseHostPort(remote: string, rest: string): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new OvsdbRemoteError(remote, "IPv6 address lacks ']'");
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new OvsdbRemoteError(remote, "expected ':' after ']'");
    portText = after === '' ? undefined : after.slice(1);
    if (isIP(host) !== 6) throw new OvsdbRemoteError(remote, `not an IPv6 address: ${host}`);
  } else {
    const parts = rest.split(':');
    if (parts.length > 2)
      throw new OvsdbRemoteError(remote, 'write an IPv6 host in brackets: tcp:[::1]:6640');
    host = parts[0];
    portText = parts[1];
  }
  if (host === '') throw new OvsdbRemoteError(remote, 'missing host');
  if (portText === undefined) return { host, port: OVSDB_DEFAULT_PORT };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new OvsdbRemoteError(remote, `port must be 1-65535, got ${JSON.stringify(portText)}`);
  }
  return { host, port: Number(portText) };
}

export function formatRemote(r: Remote): string {
  if (r.kind === 'unix') return `unix:${r.path}`;
  const host = isIP(r.host) === 6 ? `[${r.host}]` : r.host;
  return `${r.kind}:${host}:${r.port}`;
}
