/**
 * What a host-aware rule's action does, through the other apps' typed handles and never around them: each
 * apply returns an Applied record (the tag: exactly what it created), which is stored, and undo removes exactly
 * that. The target apps validate and store as their own API calls do, so a rule's firewall rule or static flow
 * is listed, persisted and reconciled like any other.
 *
 * Parameters may name the host they act on: `{{ip}}`, `{{mac}}`, `{{host}}`, `{{dpid}}` and `{{port}}` inside a
 * string value are replaced by the monitored host's address, its MAC and attachment point (from the
 * controller's host tracking), so one rule with a host selector acts on each host it selects.
 */
import { OFP_VERSION_1_0, type OfVersion } from '../../openflow/index.js';
import { ipv4TextToNum, macTextToNum } from '../../packet/index.js';
import { AppError, formatDpid, NotFoundError } from '../../util/index.js';
import { parseAclRule, type AclApp } from '../acl/index.js';
import { parseRule as parseFirewallRule, type FirewallApp } from '../firewall/index.js';
import type { ForwardingApp } from '../forwarding/index.js';
import { parsePolicyBody, type QosApp } from '../qos/index.js';
import { parseEntry, type StaticFlowsApp } from '../staticflows/index.js';
import type { Avoid } from '../topology/index.js';
import { undirectedKey } from '../topology/index.js';
import { HandError, type HandAction, type HandRule, type RerouteParams } from './rules.js';

/** The host an action lands on, joined to host tracking where the controller has seen it. */
export interface ActionHost {
  name: string;
  ip?: string;
  mac?: string;
  dpid?: bigint;
  port?: number;
}

/** What one apply created: the undo removes exactly this. JSON-safe (stored). */
export type Applied =
  | { kind: 'none' }
  | { kind: 'firewall'; id: number }
  /** `borrowed`: an identical ACL entry existed (the user's); the undo leaves it. */
  | { kind: 'acl'; id: number; borrowed?: boolean }
  | { kind: 'staticflow'; name: string }
  | { kind: 'qos'; id: number }
  | { kind: 'route'; id: string }
  | { kind: 'service'; id: string };

/** The service-address part of forwarding the load-balance action drives (ForwardingApp implements it). */
export interface ServiceTarget {
  setService(s: { id: string; ip: string; port?: number; member: { ip: string; mac?: string } }): void;
  setServiceMember(id: string, member: { ip: string; mac?: string }): boolean;
  clearService(id: string): boolean;
}

/** The typed handles actions go through; an absent one is a module that is off. */
export interface ActionTargets {
  firewall?: Pick<FirewallApp, 'enabled' | 'add' | 'delete' | 'get'>;
  acl: Pick<AclApp, 'addOrReuse' | 'delete' | 'list'>;
  staticflows?: Pick<StaticFlowsApp, 'add' | 'delete' | 'get'>;
  qos?: Pick<QosApp, 'enabled' | 'addPolicy' | 'deletePolicy'>;
  forwarding?: Pick<ForwardingApp, 'setRouteConstraint' | 'clearRouteConstraint' | 'mode'>;
  services?: ServiceTarget;
  /** OpenFlow version of each connected switch. */
  switchVersions(): ReadonlyMap<bigint, OfVersion>;
}

/** An action could not be applied (module off, host not seen, the target app refused): the rule's error. */
export class ActionError extends Error {}

const PLACEHOLDER = /\{\{\s*(ip|mac|host|dpid|port)\s*\}\}/g;

/** A host standing in for the real one when a rule is checked on add. */
const SAMPLE_HOST: Required<ActionHost> = {
  name: 'host',
  ip: '10.0.0.1',
  mac: '00:00:00:00:00:01',
  dpid: 1n,
  port: 1,
};

/** `params` with placeholders replaced; a placeholder the host cannot fill is an ActionError naming it. */
export function substitute(params: Record<string, unknown>, host: ActionHost): Record<string, unknown> {
  const vars: Record<string, string | undefined> = {
    ip: host.ip,
    mac: host.mac,
    host: host.name,
    dpid: host.dpid === undefined ? undefined : formatDpid(host.dpid),
    port: host.port === undefined ? undefined : String(host.port),
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v !== 'string') {
      out[k] = v;
      continue;
    }
    out[k] = v.replace(PLACEHOLDER, (_m, name: string) => {
      const value = vars[name];
      if (value === undefined) {
        throw new ActionError(
          `${k}: {{${name}}} is unknown for host ${host.name} (${name === 'ip' ? 'the source gives no address' : 'the controller has not seen the host yet'})`,
        );
      }
      return value;
    });
  }
  return out;
}

/** The body the target app gets for `action` on `host`; names derived from the rule where the body has none. */
function targetBody(rule: HandRule, host: ActionHost): Record<string, unknown> {
  const a = rule.action;
  if (a.type !== 'firewall' && a.type !== 'acl' && a.type !== 'staticflow' && a.type !== 'qos') return {};
  const body = substitute(a.params, host);
  if ((a.type === 'staticflow' || a.type === 'qos') && body.name === undefined) {
    body.name = `hand-${rule.name}-${host.name}`;
  }
  return body;
}

/**
 * Checks a rule's action when it is added: the target app's own validation on a stand-in host (so a bad key
 * is refused naming `action.params.KEY`), and reroute/loadbalance shapes (already parsed). Throws HandError.
 */
export function checkActionBody(rule: HandRule, paramsField = 'action.params'): void {
  let body: Record<string, unknown>;
  try {
    body = targetBody(rule, SAMPLE_HOST);
  } catch (err) {
    throw new HandError(paramsField, (err as Error).message);
  }
  try {
    switch (rule.action.type) {
      case 'firewall':
        parseFirewallRule(body);
        break;
      case 'acl':
        parseAclRule(body);
        break;
      case 'staticflow':
        parseEntry(body);
        break;
      case 'qos':
        // Services are checked when applied: one may be added after the rule.
        parsePolicyBody(body, (name) => ({ sid: 1, name, tos: 0 }));
        break;
      default:
        break;
    }
  } catch (err) {
    if (err instanceof AppError) throw new HandError(`${paramsField}.${err.field}`, err.reason);
    throw err;
  }
}

/**
 * What stops the action from working now (a module that is off, a rate on an OpenFlow 1.0 switch), in words;
 * empty when nothing does. Shown when the rule is added and in its state.
 */
export function actionIssues(action: HandAction, t: ActionTargets): string[] {
  const issues: string[] = [];
  switch (action.type) {
    case 'firewall':
      if (!t.firewall) issues.push('the firewall module is not loaded');
      else if (!t.firewall.enabled)
        issues.push('the firewall is disabled: its rules have no effect until it is enabled');
      break;
    case 'staticflow':
      if (!t.staticflows) issues.push('the static flow module is not loaded');
      break;
    case 'qos': {
      if (!t.qos) issues.push('the QoS module is not loaded');
      else if (!t.qos.enabled) issues.push('QoS is disabled: enable it (PUT /api/v1/qos {"enabled":true})');
      if (action.params['rate-kbps'] !== undefined) {
        const old = [...t.switchVersions()].filter(([, v]) => v === OFP_VERSION_1_0).map(([d]) => d);
        if (old.length > 0) {
          issues.push(
            `rate-kbps needs OpenFlow 1.3 meters; switch(es) ${old.map(formatDpid).join(', ')} speak 1.0`,
          );
        }
      }
      break;
    }
    case 'reroute':
    case 'loadbalance':
      if (!t.forwarding || t.forwarding.mode !== 'path') {
        issues.push(`${action.type} needs forwarding in path mode (topology and host tracking)`);
      } else if (action.type === 'loadbalance' && !t.services) {
        issues.push('loadbalance needs service addresses in forwarding');
      }
      break;
    default:
      break;
  }
  return issues;
}

function avoidOf(p: RerouteParams): Avoid {
  if ('switch' in p.avoid) return { switches: new Set([p.avoid.switch]) };
  const l = p.avoid.link;
  return {
    links: new Set([
      undirectedKey({ srcDpid: l.src, srcPort: l.srcPort, dstDpid: l.dst, dstPort: l.dstPort }),
    ]),
  };
}

/** The tag of what rule `rule` does on `host`: route constraint ids, and the key of the stored record. */
export function tagOf(rule: string, host: string): string {
  return `hand:${rule}:${host}`;
}

/**
 * Applies `rule`'s action on `host`. Load balancing is the app's (it picks the pool member); this covers the
 * rest. Throws ActionError (or the target app's error) when it cannot.
 */
export async function applyAction(rule: HandRule, host: ActionHost, t: ActionTargets): Promise<Applied> {
  const issues = actionIssues(rule.action, t).filter((i) => !i.includes('has no effect'));
  if (issues.length > 0) throw new ActionError(issues.join('; '));
  const a = rule.action;
  switch (a.type) {
    case 'report':
    case 'loadbalance':
      return { kind: 'none' };
    case 'firewall':
      return { kind: 'firewall', id: (await t.firewall!.add(targetBody(rule, host))).id };
    case 'acl':
      return addAcl(t, targetBody(rule, host));
    case 'drop': {
      if (host.ip === undefined) throw new ActionError(`host ${host.name} has no IPv4 address to drop`);
      return addAcl(t, { 'src-ip': `${host.ip}/32`, action: 'deny' });
    }
    case 'staticflow': {
      const body = targetBody(rule, host);
      const name = String(body.name);
      if (t.staticflows!.get(name)) throw new ActionError(`static flow '${name}' exists already`);
      return { kind: 'staticflow', name: (await t.staticflows!.add(body)).name };
    }
    case 'qos': {
      const body = targetBody(rule, host);
      if (body['rate-kbps'] !== undefined && host.dpid !== undefined) {
        if (t.switchVersions().get(host.dpid) === OFP_VERSION_1_0) {
          throw new ActionError(
            `switch ${formatDpid(host.dpid)} speaks OpenFlow 1.0: no meters for rate-kbps`,
          );
        }
      }
      return { kind: 'qos', id: (await t.qos!.addPolicy(body)).id };
    }
    case 'reroute': {
      const mac = host.mac === undefined ? undefined : macTextToNum(host.mac);
      if (mac === undefined) throw new ActionError(`host ${host.name} has not been seen by the controller`);
      const id = tagOf(rule.name, host.name);
      t.forwarding!.setRouteConstraint(id, mac, avoidOf(a.params));
      return { kind: 'route', id };
    }
  }
}

async function addAcl(t: ActionTargets, body: Record<string, unknown>): Promise<Applied> {
  // The same entry may exist (the user's, or another rule's): rely on it, and leave it when undoing.
  const { rule, created } = await t.acl.addOrReuse(body);
  return created ? { kind: 'acl', id: rule.id } : { kind: 'acl', id: rule.id, borrowed: true };
}

/** Removes what `applied` says was created; something already gone counts as undone. */
export async function undoAction(applied: Applied, t: ActionTargets): Promise<void> {
  const gone = (err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
  };
  switch (applied.kind) {
    case 'none':
      return;
    case 'firewall':
      if (t.firewall) await t.firewall.delete(applied.id).catch(gone);
      return;
    case 'acl':
      if (!applied.borrowed) await t.acl.delete(applied.id).catch(gone);
      return;
    case 'staticflow':
      if (t.staticflows) await t.staticflows.delete(applied.name).catch(gone);
      return;
    case 'qos':
      if (t.qos) await t.qos.deletePolicy(applied.id).catch(gone);
      return;
    case 'route':
      t.forwarding?.clearRouteConstraint(applied.id);
      return;
    case 'service':
      t.services?.clearService(applied.id);
      return;
  }
}

/** A stored Applied record, checked (the store may hold anything); undefined when it is not one. */
export function parseApplied(raw: unknown): Applied | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  switch (o.kind) {
    case 'none':
      return { kind: 'none' };
    case 'firewall':
    case 'qos': {
      const id = num(o.id);
      return id === undefined ? undefined : { kind: o.kind, id };
    }
    case 'acl': {
      const id = num(o.id);
      return id === undefined
        ? undefined
        : { kind: 'acl', id, ...(o.borrowed === true ? { borrowed: true } : {}) };
    }
    case 'staticflow': {
      const name = str(o.name);
      return name === undefined ? undefined : { kind: 'staticflow', name };
    }
    case 'route':
    case 'service': {
      const id = str(o.id);
      return id === undefined ? undefined : { kind: o.kind, id };
    }
    default:
      return undefined;
  }
}

/** `ip` as a number, or undefined when it is not a dotted quad. */
export function ipNum(ip: string | undefined): number | undefined {
  return ip === undefined ? undefined : ipv4TextToNum(ip);
}
