/**
 * The wire's fixed vocabularies, as plain data (no TypeBox, so the client can re-export them at no cost): the
 * schemas enumerate them, the apps validate against them, the CLI offers them.
 */

export const HAND_SOURCE_TYPES = [
  'gmond',
  'gmetad',
  'rrd',
  'prometheus',
  'prometheus-query',
  'alertmanager',
] as const;
export const HAND_EVENT_TYPES = ['INFO', 'WARN', 'THRESHOLD_MET', 'ACTION', 'ERROR'] as const;
export const HAND_RULE_STATES = [
  'idle',
  'pending',
  'active',
  'suppressed',
  'cooling',
  'stale',
  'error',
] as const;
export const HAND_ACTION_TYPES = [
  'report',
  'firewall',
  'acl',
  'staticflow',
  'qos',
  'drop',
  'reroute',
  'loadbalance',
] as const;
export const HAND_COMPARATORS = ['gt', 'lt', 'et', 'gte', 'lte', 'ne'] as const;
export const HAND_AGGREGATIONS = ['avg', 'max', 'min'] as const;

/** A firewall rule's keys (Floodlight's), in the order the API writes them: the app, the API and the UI share it. */
export const FIREWALL_RULE_KEYS = [
  'ruleid',
  'switchid',
  'src-inport',
  'src-mac',
  'dst-mac',
  'dl-type',
  'src-ip',
  'dst-ip',
  'nw-proto',
  'tp-src',
  'tp-dst',
  'priority',
  'action',
] as const;
