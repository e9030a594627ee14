/**
 * /api/v1/hostaware: module status, metric sources, monitored hosts and their metrics, rules with their state
 * per host, and paged messages (the SSE stream sends the same HandMessage). Properties are listed in the order
 * the app builds them (src/apps/hostaware), required ones first, so the serializer keeps the bytes.
 */
import { Type } from '@sinclair/typebox';
import { Int, Nullable, Num, Open, OpenAs } from './common.js';
import {
  HAND_ACTION_TYPES,
  HAND_AGGREGATIONS,
  HAND_COMPARATORS,
  HAND_EVENT_TYPES,
  HAND_RULE_STATES,
  HAND_SOURCE_TYPES,
} from './vocab.js';

const Ms = (description = 'ms since the epoch') => Num(description);
const Enum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );

export const HandStatus = Type.Object({
  enabled: Type.Boolean(),
  sources: Int(),
  hosts: Int('monitored hosts'),
  rules: Int(),
  activeActions: Int('actions in effect now (rule and host pairs)'),
  messages: Int("the last message's seq"),
});

export const HandSource = Type.Object({
  name: Type.String(),
  type: Enum(HAND_SOURCE_TYPES),
  config: Open('as stored, defaults filled in (gmond/gmetad `address` as host:port text)'),
  description: Type.String(),
  state: Enum(['unknown', 'ok', 'down'] as const),
  pollEvery: Num('seconds between polls now (a faster active rule shortens it)'),
  failures: Int('polls that failed since the last good one'),
  hosts: Int(),
  samples: Int(),
  lastPoll: Type.Optional(Ms()),
  lastOk: Type.Optional(Ms()),
  pollMs: Type.Optional(Num('how long the last poll took')),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});

export const HandAlertsAccepted = Type.Object({
  accepted: Int('alerts taken'),
  unmatched: Type.Array(Type.String(), { description: 'alerts no host matched' }),
});

export const HandHost = Type.Object({
  name: Type.String(),
  source: Type.String(),
  reported: Ms('when the source last reported it, ms since the epoch'),
  state: Enum(['up', 'stale'] as const),
  attached: Type.Boolean({ description: 'host tracking knows it (then mac, switch and port are set)' }),
  metrics: Int(),
  ip: Type.Optional(Type.String()),
  domain: Type.Optional(Type.String()),
  cluster: Type.Optional(Type.String()),
  mac: Type.Optional(Type.String()),
  switch: Type.Optional(Type.String({ description: 'a DPID' })),
  port: Type.Optional(Int()),
});

export const HandMetricValue = Type.Object({
  value: Type.Number(),
  at: Ms('as the source stamped it, ms since the epoch'),
  stale: Type.Boolean(),
  units: Type.Optional(Type.String()),
});

export const HandHostMetrics = Type.Object({
  host: HandHost,
  metrics: Type.Record(Type.String(), HandMetricValue),
});

export const HandCondition = Type.Object({
  metric: Type.String(),
  comparator: Enum(HAND_COMPARATORS),
  value: Type.Union([Type.Number(), Type.String()]),
  window: Type.Optional(Type.Object({ agg: Enum(HAND_AGGREGATIONS), seconds: Num('window length') })),
  clear: Type.Optional(Type.Number({ description: 'the threshold that clears it (hysteresis)' })),
});

/** A rule in the /api/v1 form as listed: every key, defaults explicit. */
export const HandRule = Type.Object({
  name: Type.String(),
  host: Type.String({ description: 'a host name or IP, a glob (web-*), cluster:NAME or *' }),
  conditions: Type.Array(HandCondition),
  join: Enum(['all', 'any'] as const),
  pollingTime: Num('seconds'),
  priority: Int(),
  checkLimit: Int('consecutive polls met before the action'),
  clearPolls: Int(),
  coolDown: Num('seconds'),
  active: Type.Boolean(),
  undoOnClear: Type.Boolean(),
  action: Type.Object({
    type: Enum(HAND_ACTION_TYPES),
    params: Type.Optional(
      Open(
        "the target app's body (placeholders {{ip}} {{mac}} {{host}} {{dpid}} {{port}}), or reroute/loadbalance's",
      ),
    ),
  }),
});

export const HandRuleHostState = Type.Object({
  rule: Type.String(),
  host: Type.String(),
  state: Enum(HAND_RULE_STATES),
  metCount: Int(),
  lastValues: Type.Array(Nullable(Type.Number()), {
    description: 'the value each condition was judged on, null when unknown',
  }),
  lastMet: Nullable(Type.Boolean()),
  lastEval: Type.Optional(Ms()),
  activeSince: Type.Optional(Ms()),
  coolingUntil: Type.Optional(Ms()),
  error: Type.Optional(Type.String()),
  applied: Type.Optional(
    OpenAs<{ kind: string } & Record<string, unknown>>('what the action created, while it is in effect'),
  ),
});

export const HandRuleView = Type.Object({
  rule: HandRule,
  issues: Type.Array(Type.String(), {
    description: 'why the action cannot work now (a module off, a rate on OpenFlow 1.0); empty when it can',
  }),
  hosts: Type.Array(HandRuleHostState),
});

export const HandMessage = Type.Object({
  seq: Int(),
  type: Enum(HAND_EVENT_TYPES),
  at: Ms(),
  message: Type.String(),
  rule: Type.Optional(Type.String()),
  host: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
  metric: Type.Optional(Type.String()),
  count: Type.Optional(Int('THRESHOLD_MET: the consecutive met count including this poll')),
});

export const HandMessagePage = Type.Object({
  messages: Type.Array(HandMessage),
  next: Int('pass as `after` for the next page'),
  dropped: Int("messages that fell out of the controller's ring before this read"),
});
